package dev.softmax.job.s3;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An S3 server for tests: s3proxy 2.6.0 in a process of its own (its Jetty and logging stay off the
 * test classpath), objects in memory ({@code jclouds.provider=transient}), on a free port of
 * 127.0.0.1, with a fresh secret key per server. The build copies its jar into {@code
 * target/<line>/s3-server} (job/pom.xml); {@code softmax.s3.server.jar} names it. Buckets are
 * created, and listed, over plain HTTP with AWS signature version 2, which s3proxy accepts.
 */
public final class S3Server implements AutoCloseable {
  public static final String REGION = "us-east-1";
  public static final String ACCESS_KEY = "softmax-test";

  private final Process process;
  private final Path log;
  private final String endpoint;
  private final String secret = "secret-" + UUID.randomUUID();
  private final HttpClient http = HttpClient.newHttpClient();

  private S3Server(Path dir) throws IOException, InterruptedException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    endpoint = "http://127.0.0.1:" + port;
    Path properties = dir.resolve("s3proxy.properties");
    Files.writeString(
        properties,
        String.join(
            "\n",
            "s3proxy.endpoint=" + endpoint,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=" + ACCESS_KEY,
            "s3proxy.credential=" + secret,
            // S3A sends headers s3proxy does not know (e.g. checksums)
            "s3proxy.ignore-unknown-headers=true",
            // the filesystem backend cannot hold both a/ and a/b
            "jclouds.provider=transient",
            "jclouds.identity=" + ACCESS_KEY,
            "jclouds.credential=" + secret,
            ""));
    log = dir.resolve("s3proxy.log");
    process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-jar",
                jar().toString(),
                "--properties",
                properties.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    // a test JVM that is stopped before close() takes its server with it
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroy));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try (Socket probe = new Socket()) {
        probe.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          process.destroyForcibly();
          throw new IOException(
              "s3proxy did not start on " + endpoint + "; its log:\n" + Files.readString(log));
        }
        Thread.sleep(200);
      }
    }
  }

  /** Starts a server whose files (its settings and log) go into {@code dir}. */
  public static S3Server start(Path dir) throws IOException, InterruptedException {
    return new S3Server(dir);
  }

  private static Path jar() {
    String named = System.getProperty("softmax.s3.server.jar");
    if (named != null && Files.isRegularFile(Path.of(named))) {
      return Path.of(named);
    }
    throw new IllegalStateException(
        "no s3proxy jar at "
            + named
            + " (softmax.s3.server.jar); mvn generate-test-resources copies it there");
  }

  public String endpoint() {
    return endpoint;
  }

  /** The secret key, which no output of the job may show. */
  public String secret() {
    return secret;
  }

  /**
   * Spark settings for S3A against this server, without the committer: what a user passes with
   * {@code --conf}.
   */
  public Map<String, String> sparkSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    hadoopSettings().forEach((k, v) -> s.put("spark.hadoop." + k, v));
    return s;
  }

  /** The same settings as Hadoop configuration keys. */
  public Map<String, String> hadoopSettings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("fs.s3a.endpoint", endpoint);
    s.put("fs.s3a.endpoint.region", REGION);
    s.put("fs.s3a.path.style.access", "true");
    s.put("fs.s3a.connection.ssl.enabled", "false");
    s.put("fs.s3a.access.key", ACCESS_KEY);
    s.put("fs.s3a.secret.key", secret);
    // a failed request is a failed test: no minutes of retries against a local server
    s.put("fs.s3a.attempts.maximum", "2");
    s.put("fs.s3a.retry.limit", "2");
    return s;
  }

  /** Creates a bucket (S3A does not). */
  public void createBucket(String bucket) throws IOException, InterruptedException {
    HttpResponse<String> r = send("PUT", "/" + bucket + "/", "");
    if (r.statusCode() != 200) {
      throw new IOException("cannot create bucket " + bucket + ": " + r.statusCode() + r.body());
    }
  }

  /** The keys of the objects in {@code bucket} under {@code prefix}. */
  public List<String> keys(String bucket, String prefix) throws IOException, InterruptedException {
    List<String> keys = new ArrayList<>();
    String marker = "";
    while (true) {
      HttpResponse<String> r =
          send(
              "GET",
              "/" + bucket + "/",
              "?prefix=" + prefix + (marker.isEmpty() ? "" : "&marker=" + marker));
      if (r.statusCode() != 200) {
        throw new IOException("cannot list " + bucket + ": " + r.statusCode() + r.body());
      }
      List<String> page = all(r.body(), "Key");
      keys.addAll(page);
      if (!r.body().contains("<IsTruncated>true</IsTruncated>") || page.isEmpty()) {
        return keys;
      }
      marker = page.get(page.size() - 1);
    }
  }

  /**
   * The multipart uploads begun and neither completed nor aborted in {@code bucket}: each
   * destination key once per upload.
   */
  public List<String> pendingUploads(String bucket) throws IOException, InterruptedException {
    HttpResponse<String> r = send("GET", "/" + bucket + "/", "?uploads");
    if (r.statusCode() != 200) {
      throw new IOException(
          "cannot list the uploads of " + bucket + ": " + r.statusCode() + r.body());
    }
    List<String> keys = new ArrayList<>();
    Matcher m = Pattern.compile("<Upload>(.*?)</Upload>", Pattern.DOTALL).matcher(r.body());
    while (m.find()) {
      keys.addAll(all(m.group(1), "Key"));
    }
    return keys;
  }

  private static List<String> all(String xml, String element) {
    List<String> found = new ArrayList<>();
    Matcher m = Pattern.compile("<" + element + ">(.*?)</" + element + ">").matcher(xml);
    while (m.find()) {
      found.add(m.group(1).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"));
    }
    return found;
  }

  /** A request signed with AWS signature version 2 ({@code resource}: /bucket/ or /bucket/key). */
  private HttpResponse<String> send(String method, String resource, String query)
      throws IOException, InterruptedException {
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC));
    // the signed resource keeps only sub-resources such as ?uploads, not ?prefix=...
    String signedResource = resource + (query.equals("?uploads") ? "?uploads" : "");
    String toSign = method + "\n\n\n" + date + "\n" + signedResource;
    String signature;
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
      signature =
          Base64.getEncoder().encodeToString(mac.doFinal(toSign.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(endpoint + resource + query))
            .header("Date", date)
            .header("Authorization", "AWS " + ACCESS_KEY + ":" + signature)
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The server's log, for a failing test's message. */
  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
