package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs that fail leave no staging and no output and never block the next run; errors are one
 * console line (the stack trace in a log file the line names); paths are taken as users type them.
 */
class FailuresJobTest {
  @TempDir Path dir;

  private static void assertOneLine(JobTestKit.Result r, int status, String... expected) {
    assertThat(r.status()).as("%s", r).isEqualTo(status);
    assertThat(r.err().strip()).as("%s", r).doesNotContain("\n").contains(expected);
  }

  @Test
  void aStaleChecksumSideFileIsNamedWithWhatToDo() throws Exception {
    // a copy that replaced a data file but brought the old file's .crc along
    Path in = dir.resolve("copied");
    JobTestKit.spark()
        .sql("SELECT id, array(float(id), 1f) AS logits FROM range(100)")
        .coalesce(1)
        .write()
        .parquet(in.toString());
    Path other = dir.resolve("other");
    JobTestKit.spark()
        .sql("SELECT id, array(float(id), 2f, 3f) AS logits FROM range(120)")
        .coalesce(1)
        .write()
        .parquet(other.toString());
    Path victim;
    try (Stream<Path> s = Files.list(in)) {
      victim = s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    try (Stream<Path> s = Files.list(other)) {
      Files.copy(
          s.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow(),
          victim,
          StandardCopyOption.REPLACE_EXISTING);
    }
    Path crc = victim.resolveSibling("." + victim.getFileName() + ".crc");
    assertThat(crc).exists();
    JobTestKit.Result r =
        run("forward", "--input", in.toString(), "--output", dir.resolve("out").toString());
    assertOneLine(r, 2, victim.getFileName() + " does not match its checksum side file", "remove");
    assertThat(r.err()).doesNotContain("arrow").contains(crc.getFileName().toString());
    assertThat(dir.resolve("out")).doesNotExist();

    Files.delete(crc);
    runOk("forward", "--input", in.toString(), "--output", dir.resolve("out").toString());
  }

  @Test
  void aTruncatedParquetFileFailsInOneLineNamingItAndLeavesNothingBehind() throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(float(id), 1f) AS logits FROM range(400)")
        .repartition(4)
        .write()
        .parquet(in.toString());
    List<Path> files;
    try (Stream<Path> s = Files.list(in)) {
      files = s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
    }
    Path victim = files.get(files.size() - 1);
    byte[] bytes = Files.readAllBytes(victim);
    Files.write(victim, Arrays.copyOf(bytes, bytes.length / 2));
    Files.deleteIfExists(victim.resolveSibling("." + victim.getFileName() + ".crc"));
    Path log = dir.resolve("job.log");
    System.setProperty(FailureReport.LOG_FILE_PROPERTY, log.toString());
    JobTestKit.Result r;
    try {
      r = run("forward", "--input", in.toString(), "--output", dir.resolve("out").toString());
    } finally {
      System.clearProperty(FailureReport.LOG_FILE_PROPERTY);
    }
    // Spark 4.x wraps the reader's error in FAILED_READ_FILE with the path; Spark 3.5 passes on
    // Parquet's own
    // error, which names the file too
    String says =
        JobTestKit.spark().version().startsWith("3.")
            ? "is not a Parquet file"
            : "cannot read input file";
    assertOneLine(
        r,
        1,
        "softmax forward failed: ",
        says,
        victim.getFileName().toString(),
        "(stack trace in " + log + ")");
    assertThat(Files.readString(log)).contains("softmax forward failed:", "\tat org.apache.spark");
    assertThat(dir.resolve("out")).doesNotExist();
    assertThat(JobTestKit.hiddenSiblings(dir)).isEmpty();

    Files.delete(victim);
    runOk("forward", "--input", in.toString(), "--output", dir.resolve("out").toString());
    assertThat(duckValue("SELECT count(*) FROM " + parquet(dir.resolve("out")))).isEqualTo(300L);
  }

  @Test
  void aTruncatedFirstFileIsRefusedBeforeAnyWorkInOneLineNamingIt() throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(float(id), 1f) AS logits FROM range(40)")
        .repartition(2)
        .write()
        .parquet(in.toString());
    Path victim;
    try (Stream<Path> s = Files.list(in)) {
      victim = s.filter(p -> p.toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
    }
    Files.write(victim, Arrays.copyOf(Files.readAllBytes(victim), 100));
    Files.deleteIfExists(victim.resolveSibling("." + victim.getFileName() + ".crc"));
    assertOneLine(
        run("forward", "--input", in.toString(), "--output", dir.resolve("out").toString()),
        2,
        "softmax forward: cannot read input file",
        victim.getFileName() + " as Parquet");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void theQuarantineOfAJoinedBackwardHoldsTheInputColumnsTheGradientAndErrorOnly() {
    Path logits = dir.resolve("logits");
    Path grads = dir.resolve("grads");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 0f) AS logits FROM range(6)")
        .write()
        .parquet(logits.toString());
    JobTestKit.spark()
        .sql("SELECT id, array(1f, 2f) AS grad FROM range(6) WHERE id != 3")
        .write()
        .parquet(grads.toString());
    Path out = dir.resolve("out");
    runOk(
        "backward",
        "--input",
        logits.toString(),
        "--grad-input",
        grads.toString(),
        "--key",
        "id",
        "--logits-col",
        "logits",
        "--on-bad-row",
        "quarantine",
        "--output",
        out.toString());
    List<Map<String, Object>> q = duck("SELECT * FROM " + parquet(dir.resolve("out.quarantine")));
    assertThat(q).hasSize(1);
    assertThat(q.get(0).keySet()).containsExactly("id", "logits", "grad", "error");
    assertThat(q.get(0).get("grad")).isNull();
    assertThat(q.get(0).get("error")).isEqualTo("missing gradient");
  }

  @Test
  void gradInputWinsOverAnInputColumnOfTheSameNameAndTheSummarySaysSo() {
    Path logits = dir.resolve("logits");
    Path grads = dir.resolve("grads");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 0f) AS logits, array(9f, 9f) AS grad FROM range(3)")
        .write()
        .parquet(logits.toString());
    JobTestKit.spark()
        .sql("SELECT id, array(1f, 2f) AS grad FROM range(3)")
        .write()
        .parquet(grads.toString());
    Path out = dir.resolve("out");
    JobTestKit.Result r =
        runOk(
            "backward",
            "--input",
            logits.toString(),
            "--grad-input",
            grads.toString(),
            "--key",
            "id",
            "--logits-col",
            "logits",
            "--output",
            out.toString());
    assertThat(r.err()).contains("the gradients are taken from --grad-input");
    // S = (1/2, 1/2), g = (1, 2): S * (g - <S, g>) = (-1/4, 1/4); the input's (9, 9) would give
    // zeros
    assertThat(duckValue("SELECT DISTINCT grad_logits::VARCHAR FROM " + parquet(out)))
        .isEqualTo("[-0.25, 0.25]");
    assertThat(duck("SELECT * FROM " + parquet(out) + " LIMIT 1").get(0).keySet())
        .containsExactly("id", "grad_logits");
    assertThat(JobTestKit.summary(out)).contains("taken from --grad-input");
  }

  @Test
  void anOutputWithATrailingSlashGetsItsQuarantineBesideIt() {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, IF(id = 2, array(float('NaN')), array(1f)) AS logits FROM range(5)")
        .write()
        .parquet(in.toString());
    runOk(
        "forward",
        "--input",
        in + "/",
        "--output",
        dir.resolve("out") + "/",
        "--on-bad-row",
        "quarantine");
    assertThat(duckValue("SELECT count(*) FROM " + parquet(dir.resolve("out")))).isEqualTo(4L);
    assertThat(duckValue("SELECT count(*) FROM " + parquet(dir.resolve("out.quarantine"))))
        .isEqualTo(1L);
  }

  @Test
  void relativePathsWithDotDotAreResolvedFromTheWorkingDirectory() {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(1f, 1f) AS logits FROM range(5)")
        .write()
        .parquet(in.toString());
    Path cwd = Path.of("").toAbsolutePath();
    String relative = cwd.relativize(dir.resolve("sub")) + "/../out";
    runOk("forward", "--input", cwd.relativize(in).toString(), "--output", relative);
    assertThat(duckValue("SELECT count(*) FROM " + parquet(dir.resolve("out")))).isEqualTo(5L);
    assertThat(dir.resolve("sub")).doesNotExist();
  }

  @Test
  void anUnknownSchemeIsAUsageErrorInOneLine() {
    assertOneLine(
        run("forward", "--input", "nosuch://bucket/x", "--output", dir.resolve("o").toString()),
        2,
        "no Hadoop FileSystem for scheme nosuch in nosuch://bucket/x");
  }

  @Test
  void aSchemeWithoutItsConnectorSaysWhatToAdd() {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(1f) AS logits FROM range(1)")
        .write()
        .parquet(in.toString());
    assertOneLine(
        run("forward", "--input", in.toString(), "--output", "gs://bucket/out"),
        2,
        "no Hadoop FileSystem for scheme gs in gs://bucket/out: add the Cloud Storage connector");
  }

  @Test
  void s3aWithoutCredentialsSaysWhereAndWhy() {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(1f) AS logits FROM range(1)")
        .write()
        .parquet(in.toString());
    JobTestKit.Result r = run("forward", "--input", in.toString(), "--output", "s3a://bucket/out");
    assertOneLine(r, 1, "cannot look at s3a://bucket/");
    // Hadoop 3.3's S3A says "Credentials", 3.4's "credentials"
    assertThat(r.err().toLowerCase(java.util.Locale.ROOT)).contains("credentials");
  }

  @Test
  void aFileSystemRootIsRefusedAsOutput() {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(1f) AS logits FROM range(1)")
        .write()
        .parquet(in.toString());
    assertOneLine(
        run("forward", "--input", in.toString(), "--output", "/", "--mode", "overwrite"),
        2,
        "output file:/ is the root of its file system");
  }
}
