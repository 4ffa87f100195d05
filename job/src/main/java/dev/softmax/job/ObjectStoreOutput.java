package dev.softmax.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.BBUploadHandle;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.MultipartUploader;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * Publishing where a directory cannot be renamed (S3 through S3A, where a rename copies every
 * object): the run writes its output in place, through S3A's committer, which makes each file
 * visible only when the Spark job commits; nothing is ever copied. What keeps the old output safe
 * is a record, beside the output, of the objects it had before the run ({@code
 * .NAME.pending-OWNER}): a run that fails, is stopped or dies is undone by removing every object
 * that the record does not list (and restoring the old {@code _SUCCESS}); a run that has written
 * its {@code _summary.json} (the last thing it writes) has finished, and only then are the old
 * objects removed. Runs take the output's publish lock ({@code .NAME.lock}) before they write, with
 * S3's create-if-absent where the store honours it; where it does not, the run says that concurrent
 * runs are not detected. docs/object-stores.md gives the protocol and what a reader can see.
 */
final class ObjectStoreOutput {
  private static final String PENDING = "pending-";
  private static final String SUCCESS = "_SUCCESS";
  private static final String SUMMARY = "_summary.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COMMIT_PROTOCOL_KEY = "spark.sql.sources.commitProtocolClass";
  private static final String SPARK_DEFAULT_PROTOCOL =
      "org.apache.spark.sql.execution.datasources.SQLHadoopMapReduceCommitProtocol";
  private static final String COMMIT_PROTOCOL =
      "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol";
  private static final String PARQUET_COMMITTER =
      "org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter";
  private static final String S3A_COMMITTER_FACTORY =
      "org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory";

  private final HadoopFiles files;
  private final RunOwner owner;
  private final Notes notes;

  ObjectStoreOutput(HadoopFiles files, RunOwner owner, Notes notes) {
    this.files = files;
    this.owner = owner;
    this.notes = notes;
  }

  /** Whether {@code out} is published in place: S3 through S3A. */
  static boolean appliesTo(Path out) {
    return "s3a".equals(out.toUri().getScheme());
  }

  /**
   * Makes Spark's file writes commit through S3A's committers (spark-hadoop-cloud's binding), the
   * magic committer unless the user chose one: each task's files become visible only when the job
   * commits, and nothing is renamed. A commit protocol the user set is kept, with a note.
   */
  static void useCommitter(SparkSession spark, List<String> notes) {
    RuntimeConfig conf = spark.conf();
    // Spark 4.0 checks a default given to get(key, default): read the setting as an option
    String protocol = conf.getOption(COMMIT_PROTOCOL_KEY).getOrElse(() -> "");
    if (!protocol.isEmpty() && !protocol.equals(COMMIT_PROTOCOL)) {
      if (protocol.equals(SPARK_DEFAULT_PROTOCOL)) {
        conf.set(COMMIT_PROTOCOL_KEY, COMMIT_PROTOCOL);
      } else {
        notes.add("writing to S3 through " + protocol + " (" + COMMIT_PROTOCOL_KEY + ")");
        return;
      }
    }
    conf.set(COMMIT_PROTOCOL_KEY, COMMIT_PROTOCOL);
    conf.set("spark.sql.parquet.output.committer.class", PARQUET_COMMITTER);
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    hadoop.set("mapreduce.outputcommitter.factory.scheme.s3a", S3A_COMMITTER_FACTORY);
    if (hadoop.get("fs.s3a.committer.name", "file").equals("file")) {
      hadoop.set("fs.s3a.committer.name", "magic");
    }
    hadoop.setIfUnset("fs.s3a.committer.magic.enabled", "true");
  }

  private static String prefix(Path out) {
    return "." + out.getName() + ".";
  }

  static Path lock(Path out) {
    return new Path(out.getParent(), prefix(out) + "lock");
  }

  private Path record(Path out, RunOwner by) {
    return new Path(out.getParent(), prefix(out) + PENDING + by);
  }

  /**
   * Before the run writes {@code out}: records the objects it has now. {@code decidedBy} is the
   * output whose new {@code _summary.json} marks the run finished ({@code out} itself, or the
   * output a quarantine belongs to). The caller holds the publish lock.
   */
  void begin(Path out, Path decidedBy) {
    ObjectNode r = JSON.createObjectNode();
    r.put("output", out.toString());
    r.put("decided_by", decidedBy.toString());
    r.put("summary_before", digest(new Path(decidedBy, SUMMARY)));
    ArrayNode before = r.putArray("before");
    for (FileStatus s : objects(out)) {
      ObjectNode o = before.addObject();
      o.put("path", relative(out, s.getPath()));
      o.put("version", version(s));
      if (relative(out, s.getPath()).equals(SUCCESS)) {
        r.put("success_before", Base64.getEncoder().encodeToString(bytes(s.getPath())));
      }
    }
    files.writeText(record(out, owner), r.toPrettyString());
    CrashPoint.reached("recorded");
  }

  /**
   * The run has finished (its summary is written): removes the objects {@code out} had before that
   * the run did not write over, then the record.
   */
  void finish(Path out) {
    Path record = record(out, owner);
    forward(out, read(record));
    CrashPoint.reached("published");
    files.delete(record);
  }

  /**
   * The run did not finish: removes every object of {@code out} that was not there before it (its
   * files and the committer's pending uploads), restores the old {@code _SUCCESS}, then the record.
   * Nothing when this run recorded nothing for {@code out}.
   */
  void undo(Path out) {
    Path record = record(out, owner);
    if (!files.exists(record)) {
      return;
    }
    back(out, read(record));
    files.delete(record);
  }

  /**
   * Finishes or undoes what runs on this host that died left in {@code out}: a run whose summary
   * was written had finished and its old objects go; any other is undone. Records of runs that may
   * be alive are left alone.
   */
  void recover(Path out) {
    for (Path p : files.list(out.getParent())) {
      String name = p.getName();
      if (!name.startsWith(prefix(out) + PENDING)) {
        continue;
      }
      Optional<RunOwner> by = RunOwner.parse(name.substring((prefix(out) + PENDING).length()));
      if (!by.map(RunOwner::isDead).orElse(false)) {
        continue;
      }
      JsonNode r = read(p);
      if (finished(r)) {
        forward(out, r);
        notes.add(
            "removed the previous objects of "
                + out
                + ": run "
                + by.get()
                + " had finished writing it before it died");
      } else {
        back(out, r);
        notes.add(
            "removed what run "
                + by.get()
                + ", which died while writing "
                + out
                + ", had written there; the previous objects are as they were");
      }
      files.delete(p);
    }
  }

  /** Whether the run of record {@code r} wrote its summary (a different one, or a first one). */
  private boolean finished(JsonNode r) {
    return !digest(new Path(new Path(r.get("decided_by").asText()), SUMMARY))
        .equals(r.get("summary_before").asText());
  }

  private void forward(Path out, JsonNode r) {
    Map<String, String> now = versions(out);
    for (JsonNode o : r.get("before")) {
      String path = o.get("path").asText();
      // an object the run wrote over (_SUCCESS, _summary.json) is the run's own now
      if (o.get("version").asText().equals(now.get(path))) {
        files.delete(new Path(out, path));
      }
    }
  }

  private void back(Path out, JsonNode r) {
    Map<String, String> before = new HashMap<>();
    r.get("before").forEach(o -> before.put(o.get("path").asText(), o.get("version").asText()));
    abortPendingUploads(out);
    for (FileStatus s : objects(out)) {
      String path = relative(out, s.getPath());
      if (!before.containsKey(path)) {
        files.delete(s.getPath());
      }
    }
    // the committer's folders, with the directory markers S3A keeps in them
    for (Path p : files.list(out)) {
      if (p.getName().startsWith("__magic")) {
        files.delete(p);
      }
    }
    Path success = new Path(out, SUCCESS);
    if (r.has("success_before")) {
      if (!before.get(SUCCESS).equals(versions(out).get(SUCCESS))) {
        writeBytes(success, Base64.getDecoder().decode(r.get("success_before").asText()));
      }
    }
  }

  /**
   * Aborts the multipart uploads that S3A's magic committer had begun for tasks of a run that never
   * committed: each is named, with its upload id, in a {@code .pending} or {@code .pendingset} file
   * under the output's {@code __magic} folder. Without this they stay invisible but stored (and
   * billed) until a lifecycle rule of the bucket aborts them.
   */
  private void abortPendingUploads(Path out) {
    FileSystem fs = files.fileSystem(out);
    List<JsonNode> commits = new ArrayList<>();
    for (FileStatus s : objects(out)) {
      String path = relative(out, s.getPath());
      if (path.startsWith("__magic")
          && (path.endsWith(".pending") || path.endsWith(".pendingset"))) {
        try {
          collectCommits(JSON.readTree(bytes(s.getPath())), commits);
        } catch (IOException e) {
          notes.add("could not read " + s.getPath() + ": " + e.getMessage());
        }
      }
    }
    if (commits.isEmpty()) {
      return;
    }
    try (MultipartUploader uploader = fs.createMultipartUploader(out).build()) {
      for (JsonNode c : commits) {
        Path destination =
            new Path(
                out.toUri().getScheme()
                    + "://"
                    + c.get("bucket").asText()
                    + "/"
                    + c.get("destinationKey").asText());
        byte[] id = c.get("uploadId").asText().getBytes(StandardCharsets.UTF_8);
        try {
          uploader
              .abort(BBUploadHandle.from(ByteBuffer.wrap(id)), destination)
              .get(60, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          notes.add("could not abort the pending upload to " + destination + ": " + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot abort the pending uploads under " + out, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while aborting uploads under " + out, e);
    }
  }

  private static void collectCommits(JsonNode node, List<JsonNode> into) {
    if (node.has("uploadId") && node.has("destinationKey") && node.has("bucket")) {
      into.add(node);
      return;
    }
    for (JsonNode child : node) {
      collectCommits(child, into);
    }
  }

  /** Every object (file) under {@code dir}; none when it does not exist. */
  private List<FileStatus> objects(Path dir) {
    List<FileStatus> all = new ArrayList<>();
    try {
      FileSystem fs = files.fileSystem(dir);
      if (!fs.exists(dir)) {
        return all;
      }
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        all.add(it.next());
      }
      return all;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  private Map<String, String> versions(Path out) {
    Map<String, String> v = new HashMap<>();
    for (FileStatus s : objects(out)) {
      v.put(relative(out, s.getPath()), version(s));
    }
    return v;
  }

  /** What tells one write of an object from another: its ETag where the store gives one. */
  private static String version(FileStatus s) {
    String etag = s instanceof EtagSource e ? e.getEtag() : null;
    return etag != null ? etag : s.getLen() + "@" + s.getModificationTime();
  }

  private static String relative(Path dir, Path p) {
    return dir.toUri().relativize(p.toUri()).getPath();
  }

  /** A digest of the file's bytes, or "absent". */
  private String digest(Path file) {
    if (!files.exists(file)) {
      return "absent";
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes(file)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] bytes(Path file) {
    try (var in = files.fileSystem(file).open(file)) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private void writeBytes(Path file, byte[] bytes) {
    try (var o = files.fileSystem(file).create(file, true)) {
      o.write(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  private JsonNode read(Path record) {
    try {
      return JSON.readTree(files.readText(record));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + record, e);
    }
  }
}
