package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.job.s3.S3Server;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drivers on S3 (s3proxy through S3A) that die at each point of the in-place protocol ({@link
 * ObjectStoreOutput}), are killed or stopped mid-write, or find the output taken: the old output
 * survives whole, nothing of a dead run stays visible or pending, and the next run finishes or
 * undoes what a dead run left. Every driver is a JVM of its own, given the S3A settings as a user
 * gives them ({@code spark.hadoop.*}); none of its output shows the secret key.
 */
@Tag(JobProcess.TAG)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3CrashRecoveryJobTest {
  private static final String BUCKET = "crash";

  @TempDir static File logs;
  private S3Server s3;
  private FileSystem fs;
  private Path root;
  private Path small;
  private Path other;

  @BeforeAll
  void start() throws Exception {
    s3 = S3Server.start(logs.toPath());
    s3.createBucket(BUCKET);
    Configuration hadoop = JobTestKit.spark().sparkContext().hadoopConfiguration();
    s3.hadoopSettings().forEach(hadoop::set);
    root = new Path("s3a://" + BUCKET + "/");
    fs = root.getFileSystem(hadoop);
    small = new Path(root, "small");
    other = new Path(root, "other");
    JobTestKit.spark()
        .sql("SELECT id, array(float(id % 7), 1f, -2f) AS logits FROM range(300)")
        .repartition(3)
        .write()
        .parquet(small.toString());
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 0f) AS logits FROM range(40)")
        .write()
        .parquet(other.toString());
  }

  @AfterAll
  void stop() throws Exception {
    for (String k : s3.hadoopSettings().keySet()) {
      JobTestKit.spark().sparkContext().hadoopConfiguration().unset(k);
    }
    // the runs set S3A's committer on the session that later test classes share
    JobTestKit.spark().conf().unset("spark.sql.sources.commitProtocolClass");
    JobTestKit.spark().conf().unset("spark.sql.parquet.output.committer.class");
    FileSystem.closeAll();
    s3.close();
  }

  /**
   * Starts a driver with the S3A settings and the scripts' logging (Spark's and Hadoop's messages
   * at INFO into {@code NAME.driver.log}, the job's lines on the console).
   */
  private JobProcess start(String name, Map<String, String> properties, String... args)
      throws Exception {
    Map<String, String> all = new HashMap<>(s3.sparkSettings());
    all.put(
        "log4j2.configurationFile", JobProcess.ROOT.resolve("conf/log4j2.properties").toString());
    all.put(FailureReport.LOG_FILE_PROPERTY, driverLog(name).toString());
    all.putAll(properties);
    return JobProcess.start(new File(logs, name + ".log").toPath(), all, args);
  }

  private static java.nio.file.Path driverLog(String name) {
    return new File(logs, name + ".driver.log").toPath();
  }

  /** Runs a driver to its end; neither its console nor its log file shows the secret key. */
  private JobProcess finished(String name, Map<String, String> properties, String... args)
      throws Exception {
    JobProcess p = start(name, properties, args);
    p.await();
    assertNoSecret(name, p);
    return p;
  }

  private void assertNoSecret(String name, JobProcess p) throws Exception {
    assertThat(p.output()).doesNotContain(s3.secret());
    assertThat(Files.readString(driverLog(name))).isNotEmpty().doesNotContain(s3.secret());
  }

  private List<String> keys(String prefix) throws Exception {
    return s3.keys(BUCKET, prefix);
  }

  private long rows(Path dataset) {
    return JobTestKit.spark().read().parquet(dataset.toString()).count();
  }

  private List<String> leftovers(String name) throws Exception {
    return keys("." + name + ".");
  }

  private JobProcess crashWhileOverwriting(Path out, String point) throws Exception {
    JobProcess p =
        finished(
            out.getName() + "-" + point,
            Map.of(CrashPoint.PROPERTY, point),
            "forward",
            "--input",
            other.toString(),
            "--output",
            out.toString(),
            "--mode",
            "overwrite");
    assertThat(p.process().exitValue()).as(p.output()).isEqualTo(99);
    return p;
  }

  /** A run in this JVM (whose Spark session has the S3A settings too). */
  private void forward(Path in, Path out, String mode) {
    JobTestKit.runOk(
        "forward", "--input", in.toString(), "--output", out.toString(), "--mode", mode);
  }

  /** The data files a reader of {@code out} sees (the committer's __magic folder is hidden). */
  private List<String> visible(String out) throws Exception {
    return keys(out + "/").stream().filter(k -> !k.contains("/__magic")).toList();
  }

  /** The destinations of the uploads named in the committer's pending files under {@code out}. */
  private List<String> recordedUploads(String out) throws Exception {
    List<String> named = new ArrayList<>();
    Pattern key = Pattern.compile("\"destinationKey\"\\s*:\\s*\"([^\"]+)\"");
    for (String k : keys(out + "/__magic")) {
      if (k.endsWith(".pending") || k.endsWith(".pendingset")) {
        try (var in = fs.open(new Path(root, k))) {
          Matcher m = key.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
          while (m.find()) {
            named.add(m.group(1));
          }
        }
      }
    }
    return named;
  }

  /**
   * The multipart uploads begun for objects under {@code out} and neither completed nor aborted.
   */
  private List<String> pending(String out) throws Exception {
    return s3.pendingUploads(BUCKET).stream().filter(k -> k.startsWith(out + "/")).toList();
  }

  @Test
  void aDriverKilledBeforeItWritesLeavesTheOldOutputAndTheNextRunClearsItsRecord()
      throws Exception {
    Path out = new Path(root, "recorded");
    forward(small, out, "error");
    List<String> before = keys("recorded/");
    crashWhileOverwriting(out, "recorded");
    assertThat(keys("recorded/")).isEqualTo(before);
    assertThat(leftovers("recorded")).anyMatch(k -> k.contains(".pending-"));

    JobTestKit.Result refused =
        JobTestKit.run("forward", "--input", other.toString(), "--output", out.toString());
    assertThat(refused.status()).as("%s", refused).isEqualTo(2);
    assertThat(refused.err()).contains("died while writing " + out, "already exists");
    assertThat(keys("recorded/")).isEqualTo(before);
    assertThat(leftovers("recorded")).isEmpty();
  }

  @Test
  void aDriverKilledAfterItsSummaryLeavesTheNewOutputAndTheNextRunRemovesTheOldObjects()
      throws Exception {
    Path out = new Path(root, "summarised");
    forward(small, out, "error");
    List<String> old = keys("summarised/").stream().filter(k -> k.endsWith(".parquet")).toList();
    crashWhileOverwriting(out, "before-publish");
    // the new run's files are in, the old ones not yet gone: both visible until the next run
    assertThat(keys("summarised/")).containsAll(old);

    JobTestKit.Result r =
        JobTestKit.run("forward", "--input", other.toString(), "--output", out.toString());
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err()).contains("had finished writing it before it died");
    assertThat(keys("summarised/")).doesNotContainAnyElementsOf(old);
    assertThat(rows(out)).isEqualTo(40L);
    assertThat(leftovers("summarised")).isEmpty();
  }

  @Test
  void aDriverKilledAfterRemovingTheOldObjectsLeavesTheNewOutput() throws Exception {
    Path out = new Path(root, "published");
    forward(small, out, "error");
    crashWhileOverwriting(out, "published");
    assertThat(rows(out)).isEqualTo(40L);
    forward(small, out, "overwrite");
    assertThat(rows(out)).isEqualTo(300L);
    assertThat(leftovers("published")).isEmpty();
  }

  /** A generate run long enough to be caught while its tasks upload, with several task waves. */
  private JobProcess generateUntilUploading(Path out, String name) throws Exception {
    JobProcess p =
        start(
            name,
            Map.of(),
            "generate",
            "--output",
            out.toString(),
            "--rows",
            "120000",
            "--width",
            "256",
            "--partitions",
            "8",
            "--mode",
            "overwrite");
    long deadline = System.currentTimeMillis() + 120_000;
    while (p.process().isAlive()
        && System.currentTimeMillis() < deadline
        && keys(out.getName() + "/__magic").stream()
            .noneMatch(k -> k.endsWith(".pending") || k.endsWith(".pendingset"))) {
      Thread.sleep(50);
    }
    assertThat(p.process().isAlive()).as("still writing; log:\n%s", p.output()).isTrue();
    return p;
  }

  @Test
  void aDriverKilledMidWriteLeavesNothingVisibleAndTheNextRunAbortsItsUploads() throws Exception {
    Path out = new Path(root, "killed");
    forward(small, out, "error");
    List<String> before = keys("killed/");
    JobProcess p = generateUntilUploading(out, "killed-generate");
    p.process().destroyForcibly().waitFor();
    // the old data is all there; the committer removed _SUCCESS when its job began
    assertThat(visible("killed"))
        .containsExactlyInAnyOrderElementsOf(
            before.stream().filter(k -> !k.endsWith("/_SUCCESS")).toList());
    List<String> recorded = recordedUploads("killed");
    assertThat(recorded).isNotEmpty();
    assertThat(pending("killed")).containsAll(recorded);

    JobTestKit.Result refused =
        JobTestKit.run("forward", "--input", other.toString(), "--output", out.toString());
    assertThat(refused.status()).as("%s", refused).isEqualTo(2);
    assertThat(refused.err()).contains("died while writing " + out);
    assertThat(keys("killed/")).isEqualTo(before);
    // every upload the committer had recorded is aborted; one a task had begun but not yet
    // recorded when its driver was killed is named nowhere (left to the bucket's lifecycle rule)
    assertThat(pending("killed")).doesNotContainAnyElementsOf(recorded);
    assertThat(leftovers("killed")).isEmpty();
  }

  @Test
  void sigtermMidWriteLeavesTheOldOutputAndNoUploadsAndExits143() throws Exception {
    Path out = new Path(root, "sigterm");
    forward(small, out, "error");
    List<String> before = keys("sigterm/");
    JobProcess p = generateUntilUploading(out, "sigterm-generate");
    p.signal("TERM");
    assertThat(p.await()).as(p.output()).isEqualTo(143);
    assertNoSecret("sigterm-generate", p);
    assertThat(keys("sigterm/")).isEqualTo(before);
    assertThat(pending("sigterm")).isEmpty();
    assertThat(leftovers("sigterm")).isEmpty();
  }

  @Test
  void aRunThatFindsTheOutputBeingWrittenRefusesInModeErrorAndSaysWhenRacesAreNotDetected()
      throws Exception {
    Path out = new Path(root, "busy");
    // a live run holds the lock: this JVM
    JobTestKit.spark();
    new HadoopFiles(fs.getConf())
        .writeText(ObjectStoreOutput.lock(out), RunOwner.current().toString());
    JobTestKit.Result refused =
        JobTestKit.run("forward", "--input", small.toString(), "--output", out.toString());
    assertThat(refused.status()).as("%s", refused).isEqualTo(2);
    assertThat(refused.err()).contains(out + " is being published by another run");
    assertThat(keys("busy/")).isEmpty();
    fs.delete(ObjectStoreOutput.lock(out), false);

    // s3proxy ignores If-None-Match: the run says that racing runs are not detected
    JobTestKit.Result r =
        JobTestKit.runOk("forward", "--input", small.toString(), "--output", out.toString());
    assertThat(r.err()).contains("does not refuse a second create", "are not detected here");
    assertThat(rows(out)).isEqualTo(300L);
    assertThat(leftovers("busy")).isEmpty();
  }
}
