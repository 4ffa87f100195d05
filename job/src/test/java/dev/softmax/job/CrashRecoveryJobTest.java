package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drivers that die (halted at each crash point of publishing), are stopped by SIGINT or SIGTERM
 * mid-write, or race each other: the old output survives, nothing half-written is ever published,
 * and the next run cleans up or restores what a dead run left.
 */
@Tag(JobProcess.TAG)
class CrashRecoveryJobTest {
  @TempDir static Path dir;
  static Path small;
  static Path other;

  @BeforeAll
  static void writeInputs() {
    small = dir.resolve("small");
    other = dir.resolve("other");
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

  private static List<String> tree(Path root) {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p) + " " + p.toFile().length()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> leftovers(Path parent, String name) {
    try (Stream<Path> s = Files.list(parent)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("." + name + "."))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Overwrites {@code out} with {@code other} in a driver halted at {@code point}. */
  private static void crashWhileOverwriting(Path out, String point) throws Exception {
    JobProcess p =
        JobProcess.start(
            dir.resolve(out.getFileName() + ".log"),
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
    Path out = dir.resolve("between");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    List<String> before = tree(out);
    crashWhileOverwriting(out, "aside");
    assertThat(out).doesNotExist();
    assertThat(leftovers(dir, "between")).anyMatch(n -> n.startsWith(".between.replaced-"));

    JobTestKit.Result refused =
        run("forward", "--input", other.toString(), "--output", out.toString());
    assertThat(refused.status()).as("%s", refused).isEqualTo(2);
    assertThat(refused.err()).contains("note: restored the previous file:" + out, "already exists");
    assertThat(tree(out)).isEqualTo(before);
    assertThat(leftovers(dir, "between")).isEmpty();
  }

  @Test
  void aDriverKilledAfterPublishingLeavesTheNewOutputAndTheNextRunRemovesTheOldOne()
      throws Exception {
    Path out = dir.resolve("after");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    crashWhileOverwriting(out, "published");
    assertThat(duckValue("SELECT count(*) FROM " + parquet(out))).isEqualTo(40L);

    JobTestKit.Result r =
        runOk(
            "forward",
            "--input",
            small.toString(),
            "--output",
            out.toString(),
            "--mode",
            "overwrite");
    assertThat(r.err()).contains("had published file:" + out + " before it died");
    assertThat(leftovers(dir, "after")).isEmpty();
    assertThat(duckValue("SELECT count(*) FROM " + parquet(out))).isEqualTo(300L);
  }

  @Test
  void aDriverKilledBeforePublishingLeavesTheOldOutputAndTheNextRunRemovesTheStaging()
      throws Exception {
    Path out = dir.resolve("before");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    List<String> before = tree(out);
    crashWhileOverwriting(out, "before-publish");
    assertThat(tree(out)).isEqualTo(before);
    assertThat(leftovers(dir, "before")).anyMatch(n -> n.startsWith(".before.staging-"));

    JobTestKit.Result refused =
        run("forward", "--input", other.toString(), "--output", out.toString());
    assertThat(refused.status()).isEqualTo(2);
    assertThat(refused.err()).contains("the unpublished output of a run that died");
    assertThat(leftovers(dir, "before")).isEmpty();
    assertThat(tree(out)).isEqualTo(before);
  }

  /**
   * Starts a generate run long enough to be caught mid-write, and signals it once its tasks write.
   */
  private static JobProcess signalMidWrite(Path out, String signal) throws Exception {
    JobProcess p =
        JobProcess.start(
            dir.resolve(out.getFileName() + ".log"),
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
  private static boolean tasksWriting(Path out) {
    try (Stream<Path> s = Files.walk(out.getParent(), 6)) {
      return s.anyMatch(
          f ->
              f.toString().contains("/." + out.getFileName() + ".staging-")
                  && f.getFileName().toString().startsWith("attempt_"));
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }

  @Test
  void sigintMidWritePublishesNothingRemovesTheStagingAndExits130() throws Exception {
    Assumptions.assumeFalse(
        sigintIgnored(),
        "SIGINT is ignored by this process (the tests were started in the"
            + " background of a shell without job control), and the job's JVM inherits that: the JVM then leaves"
            + " SIGINT alone, as it does under nohup; the SIGTERM test covers the same guard");
    Path out = dir.resolve("sigint");
    runOk("forward", "--input", small.toString(), "--output", out.toString());
    List<String> before = tree(out);
    JobProcess p = signalMidWrite(out, "INT");
    assertThat(p.await()).as(p.output()).isEqualTo(130);
    assertThat(p.output()).contains("softmax generate: stopped by a signal; nothing was published");
    assertThat(tree(out)).isEqualTo(before);
    assertThat(leftovers(dir, "sigint")).isEmpty();
  }

  @Test
  void sigtermMidWritePublishesNothingRemovesTheStagingAndExits143() throws Exception {
    Path out = dir.resolve("sigterm");
    JobProcess p = signalMidWrite(out, "TERM");
    assertThat(p.await()).as(p.output()).isEqualTo(143);
    assertThat(out).doesNotExist();
    assertThat(leftovers(dir, "sigterm")).isEmpty();
  }

  @Test
  void racingRunsInModeErrorPublishExactlyOnce() throws Exception {
    Path out = dir.resolve("race_error");
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
    JobProcess a = JobProcess.start(dir.resolve("race_error_a.log"), Map.of(), args);
    JobProcess b = JobProcess.start(dir.resolve("race_error_b.log"), Map.of(), args);
    List<Integer> statuses = List.of(a.await(), b.await());
    assertThat(statuses).as("%s\n---\n%s", a.output(), b.output()).containsExactlyInAnyOrder(0, 2);
    JobProcess loser = statuses.get(0) == 2 ? a : b;
    assertThat(loser.output())
        .containsPattern(
            "softmax generate: .*(already exists|published by another run|being"
                + " published by another run)");
    assertThat(duckValue("SELECT count(*) FROM " + parquet(out))).isEqualTo(20000L);
    assertThat(leftovers(dir, "race_error")).isEmpty();
  }

  @Test
  void racingOverwritesLeaveOneWholeOutput() throws Exception {
    Path out = dir.resolve("race_over");
    JobProcess a =
        JobProcess.start(
            dir.resolve("race_over_a.log"),
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
        JobProcess.start(
            dir.resolve("race_over_b.log"),
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
    long rows = (Long) duckValue("SELECT count(*) FROM " + parquet(out));
    assertThat(rows).isIn(30000L, 50000L);
    long files =
        (Long)
            duckValue(
                "SELECT count(DISTINCT filename) FROM read_parquet('"
                    + out
                    + "/**/*.parquet', filename = true)");
    assertThat(files).isEqualTo(rows == 30000L ? 3L : 5L);
    assertThat(JobTestKit.summary(out)).contains("\"rows_in\" : " + rows);
    assertThat(leftovers(dir, "race_over")).isEmpty();
  }

  /**
   * Whether SIGINT (signal 2) is ignored by this process: Linux's /proc says; elsewhere, assume
   * not.
   */
  private static boolean sigintIgnored() throws IOException {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return false;
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("SigIgn:")) {
        return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 1)) != 0;
      }
    }
    return false;
  }
}
