package dev.softmax.job;

import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drivers that die (halted at each crash point of publishing), are stopped by SIGINT or SIGTERM
 * mid-write, or race each other: the old output survives, nothing half-written is ever published,
 * and the next run cleans up or restores what a dead run left. On the local file system here;
 * {@link HdfsCrashRecoveryJobTest} runs the same tests on HDFS.
 */
@Tag(JobProcess.TAG)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrashRecoveryJobTest {
  /** Logs of the driver processes; on the local file system, the data too. */
  @TempDir static File logs;

  /** The folder of every input and output, qualified by its file system. */
  Path dir;

  FileSystem fs;
  Path small;
  Path other;

  /** Where the tests' data lives: a folder of the local file system. */
  Path storage() throws IOException {
    return new Path(new File(logs, "data").toURI());
  }

  @BeforeAll
  void writeInputs() throws IOException {
    Path root = storage();
    fs = root.getFileSystem(new Configuration());
    dir = fs.makeQualified(root);
    small = new Path(dir, "small");
    other = new Path(dir, "other");
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
  void closeStorage() throws IOException {}

  /** Every file and folder under {@code root} with its length (0 for a folder). */
  private List<String> tree(Path root) {
    List<String> all = new ArrayList<>();
    walk(root, root, all);
    return all.stream().sorted().toList();
  }

  private void walk(Path root, Path p, List<String> all) {
    try {
      FileStatus s = fs.getFileStatus(p);
      String relative = root.toUri().relativize(p.toUri()).getPath();
      all.add(relative + " " + (s.isDirectory() ? 0 : s.getLen()));
      if (s.isDirectory()) {
        for (FileStatus child : fs.listStatus(p)) {
          walk(root, child.getPath(), all);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<String> leftovers(String name) {
    try {
      return Arrays.stream(fs.listStatus(dir))
          .map(s -> s.getPath().getName())
          .filter(n -> n.startsWith("." + name + "."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean exists(Path p) throws IOException {
    return fs.exists(p);
  }

  private long rows(Path dataset) {
    return JobTestKit.spark().read().parquet(dataset.toString()).count();
  }

  private long parquetFiles(Path dataset) throws IOException {
    long n = 0;
    var files = fs.listFiles(dataset, true);
    while (files.hasNext()) {
      if (files.next().getPath().getName().endsWith(".parquet")) {
        n++;
      }
    }
    return n;
  }

  private String summary(Path dataset) throws IOException {
    try (var in = fs.open(new Path(dataset, "_summary.json"))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Starts the job in a driver JVM of its own, its console in {@code logs/NAME.log}. */
  private JobProcess start(String name, Map<String, String> properties, String... args)
      throws IOException {
    return JobProcess.start(new File(logs, name + ".log").toPath(), properties, args);
  }

  /** Overwrites {@code out} with {@code other} in a driver halted at {@code point}. */
  private void crashWhileOverwriting(Path out, String point) throws Exception {
    JobProcess p =
        start(
            out.getName(),
            Map.of(CrashPoint.PROPERTY, point),
            "forward",
            "--input",
            other.toString(),
            "--output",
            out.toString(),
            "--mode",
            "overwrite");
    assertThat(p.await()).as(p.output()).isEqualTo(99);
  }

  @Test
  void aDriverKilledBetweenTheTwoMovesLosesNothingAndTheNextRunRestoresTheOldOutput()
      throws Exception {
    Path out = new Path(dir, "between");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    List<String> before = tree(out);
    crashWhileOverwriting(out, "aside");
    assertThat(exists(out)).isFalse();
    assertThat(leftovers("between")).anyMatch(n -> n.startsWith(".between.replaced-"));

    JobTestKit.Result refused =
        run("forward", "--input", other.toString(), "--output", out.toString());
    assertThat(refused.status()).as("%s", refused).isEqualTo(2);
    assertThat(refused.err()).contains("note: restored the previous " + out, "already exists");
    assertThat(tree(out)).isEqualTo(before);
    assertThat(leftovers("between")).isEmpty();
  }

  @Test
  void aDriverKilledAfterPublishingLeavesTheNewOutputAndTheNextRunRemovesTheOldOne()
      throws Exception {
    Path out = new Path(dir, "after");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    crashWhileOverwriting(out, "published");
    assertThat(rows(out)).isEqualTo(40L);

    JobTestKit.Result r =
        runOk(
            "forward",
            "--input",
            small.toString(),
            "--output",
            out.toString(),
            "--mode",
            "overwrite");
    assertThat(r.err()).contains("had published " + out + " before it died");
    assertThat(leftovers("after")).isEmpty();
    assertThat(rows(out)).isEqualTo(300L);
  }

  @Test
  void aDriverKilledBeforePublishingLeavesTheOldOutputAndTheNextRunRemovesTheStaging()
      throws Exception {
    Path out = new Path(dir, "before");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    List<String> before = tree(out);
    crashWhileOverwriting(out, "before-publish");
    assertThat(tree(out)).isEqualTo(before);
    assertThat(leftovers("before")).anyMatch(n -> n.startsWith(".before.staging-"));

    JobTestKit.Result refused =
        run("forward", "--input", other.toString(), "--output", out.toString());
    assertThat(refused.status()).isEqualTo(2);
    assertThat(refused.err()).contains("the unpublished output of a run that died");
    assertThat(leftovers("before")).isEmpty();
    assertThat(tree(out)).isEqualTo(before);
  }

  /**
   * Starts a generate run long enough to be caught mid-write, and signals it once its tasks write.
   */
  private JobProcess signalMidWrite(Path out, String signal) throws Exception {
    JobProcess p =
        start(
            out.getName(),
            Map.of(),
            "generate",
            "--output",
            out.toString(),
            "--rows",
            "160000",
            "--width",
            "256",
            "--partitions",
            "2",
            "--mode",
            "overwrite");
    long deadline = System.currentTimeMillis() + 120_000;
    while (!tasksWriting(out) && p.process().isAlive() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertThat(tasksWriting(out)).as("tasks started writing; log:\n%s", p.output()).isTrue();
    p.signal(signal);
    return p;
  }

  /** True once a task attempt's directory exists in the run's staging directory. */
  private boolean tasksWriting(Path out) {
    try {
      for (FileStatus s : fs.listStatus(dir)) {
        if (s.getPath().getName().startsWith("." + out.getName() + ".staging-")
            && hasAttempt(s.getPath(), 5)) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  private boolean hasAttempt(Path p, int depth) throws IOException {
    for (FileStatus s : fs.listStatus(p)) {
      if (s.getPath().getName().startsWith("attempt_")
          || (depth > 1 && s.isDirectory() && hasAttempt(s.getPath(), depth - 1))) {
        return true;
      }
    }
    return false;
  }

  @Test
  void sigintMidWritePublishesNothingRemovesTheStagingAndExits130() throws Exception {
    Assumptions.assumeFalse(
        sigintIgnored(),
        "SIGINT is ignored by this process (the tests were started in the"
            + " background of a shell without job control), and the job's JVM inherits that: the JVM then leaves"
            + " SIGINT alone, as it does under nohup; the SIGTERM test covers the same guard");
    Path out = new Path(dir, "sigint");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    List<String> before = tree(out);
    JobProcess p = signalMidWrite(out, "INT");
    assertThat(p.await()).as(p.output()).isEqualTo(130);
    assertThat(p.output()).contains("softmax generate: stopped by a signal; nothing was published");
    assertThat(tree(out)).isEqualTo(before);
    assertThat(leftovers("sigint")).isEmpty();
  }

  @Test
  void sigtermMidWritePublishesNothingRemovesTheStagingAndExits143() throws Exception {
    Path out = new Path(dir, "sigterm");
    JobProcess p = signalMidWrite(out, "TERM");
    assertThat(p.await()).as(p.output()).isEqualTo(143);
    assertThat(exists(out)).isFalse();
    assertThat(leftovers("sigterm")).isEmpty();
  }

  @Test
  void racingRunsInModeErrorPublishExactlyOnce() throws Exception {
    Path out = new Path(dir, "race_error");
    String[] args = {
      "generate",
      "--output",
      out.toString(),
      "--rows",
      "20000",
      "--width",
      "64",
      "--partitions",
      "2"
    };
    JobProcess a = start("race_error_a", Map.of(), args);
    JobProcess b = start("race_error_b", Map.of(), args);
    List<Integer> statuses = List.of(a.await(), b.await());
    assertThat(statuses).as("%s\n---\n%s", a.output(), b.output()).containsExactlyInAnyOrder(0, 2);
    JobProcess loser = statuses.get(0) == 2 ? a : b;
    assertThat(loser.output())
        .containsPattern(
            "softmax generate: .*(already exists|published by another run|being"
                + " published by another run)");
    assertThat(rows(out)).isEqualTo(20000L);
    assertThat(leftovers("race_error")).isEmpty();
  }

  @Test
  void racingOverwritesLeaveOneWholeOutput() throws Exception {
    Path out = new Path(dir, "race_over");
    JobProcess a =
        start(
            "race_over_a",
            Map.of(),
            "generate",
            "--output",
            out.toString(),
            "--rows",
            "30000",
            "--width",
            "32",
            "--partitions",
            "3",
            "--mode",
            "overwrite");
    JobProcess b =
        start(
            "race_over_b",
            Map.of(),
            "generate",
            "--output",
            out.toString(),
            "--rows",
            "50000",
            "--width",
            "32",
            "--partitions",
            "5",
            "--mode",
            "overwrite");
    assertThat(a.await()).as(a.output()).isZero();
    assertThat(b.await()).as(b.output()).isZero();
    long rows = rows(out);
    assertThat(rows).isIn(30000L, 50000L);
    assertThat(parquetFiles(out)).isEqualTo(rows == 30000L ? 3L : 5L);
    assertThat(summary(out)).contains("\"rows_in\" : " + rows);
    assertThat(leftovers("race_over")).isEmpty();
  }

  /**
   * Whether SIGINT (signal 2) is ignored by this process: Linux's /proc says; elsewhere, assume
   * not.
   */
  private static boolean sigintIgnored() throws IOException {
    File status = new File("/proc/self/status");
    if (!status.canRead()) {
      return false;
    }
    for (String line : Files.readAllLines(status.toPath())) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 1)) != 0;
      }
    }
    return false;
  }
}
