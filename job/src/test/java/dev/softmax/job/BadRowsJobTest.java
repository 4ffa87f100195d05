package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.udf.RowCheck;
import dev.softmax.udf.RowProblem;
import dev.softmax.udf.SqlFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad-row reason under every policy; rows in = written + skipped + quarantined. */
class BadRowsJobTest {
  @TempDir static Path dir;
  static Path logits;
  static Path pairs;

  /** id -> the reason its row is bad, for ids 1..6; ids 0, 7, 8, 9 are good. */
  private static final List<String> FORWARD_REASONS =
      List.of(
          "1 logits: null array",
          "2 logits: empty array",
          "3 logits: null element",
          "4 logits: NaN or +inf",
          "5 logits: NaN or +inf",
          "6 logits: all entries -inf");

  private static final List<String> BACKWARD_REASONS =
      List.of(
          "1 probs: null element",
          "2 probs: non-finite value",
          "3 grad: null array",
          "4 grad: non-finite value",
          "5 length mismatch");

  @BeforeAll
  static void writeInputs() {
    logits = dir.resolve("logits");
    JobTestKit.spark()
        .sql(
            "SELECT * FROM VALUES"
                + " (0L, array(1f, 2f)), (1L, CAST(NULL AS array<float>)), (2L, CAST(array() AS array<float>)),"
                + " (3L, array(1f, NULL)), (4L, array(1f, float('NaN'))), (5L, array(float('Infinity'), 1f)),"
                + " (6L, array(float('-Infinity'), float('-Infinity'))), (7L, array(float('-Infinity'), 0f)),"
                + " (8L, array(3f)), (9L, array(-1f, 1f, 0f)) AS t(id, logits)")
        .repartition(3)
        .write()
        .parquet(logits.toString());
    pairs = dir.resolve("pairs");
    JobTestKit.spark()
        .sql(
            "SELECT * FROM VALUES"
                + " (0L, array(0.5d, 0.5d), array(1d, 2d)), (1L, array(0.5d, NULL), array(1d, 2d)),"
                + " (2L, array(double('-Infinity'), 1d), array(1d, 2d)), (3L, array(1d), CAST(NULL AS array<double>)),"
                + " (4L, array(1d), array(double('NaN'))), (5L, array(0.5d, 0.5d), array(1d, 2d, 3d)),"
                + " (6L, array(1d), array(7d)) AS t(id, probs, grad)")
        .write()
        .parquet(pairs.toString());
  }

  @Test
  void failStopsAtTheFirstBadRowWithAClearLineAndWritesNothing() {
    Path out = dir.resolve("fail_out");
    JobTestKit.Result r = run("forward", "--input", logits.toString(), "--output", out.toString());
    assertThat(r.status()).as("%s", r).isEqualTo(1);
    assertThat(r.err().strip())
        .as("one line")
        .doesNotContain("\n")
        .startsWith("bad row: forward: logits: ")
        .containsPattern("at id=[1-6] in file:.*\\.parquet; rerun with --on-bad-row quarantine")
        .endsWith("(or --on-bad-row skip).");
    // the reason is that of the row the message names
    Matcher m =
        Pattern.compile("^bad row: forward: (logits: [^@]*) at id=(\\d) in ")
            .matcher(r.err().strip());
    assertThat(m.find()).as(r.err()).isTrue();
    assertThat(FORWARD_REASONS).contains(m.group(2) + " " + m.group(1));
    assertThat(out).doesNotExist();
    assertThat(JobTestKit.hiddenSiblings(dir)).noneMatch(n -> n.startsWith(".fail_out"));
  }

  /**
   * The forward fails from inside its checked function, which knows why a row is bad but not where,
   * and then reads the input again for a bad row to name. When that read finds none (the input
   * changed) or fails (the input is gone), the message gives the reason alone.
   */
  @Test
  void aBadRowThatCannotBeFoundAgainIsNamedByItsReason() throws Exception {
    String expected =
        "bad row: forward: logits: all entries -inf; rerun with --on-bad-row quarantine to set such"
            + " rows aside (or --on-bad-row skip).";
    Dataset<Row> goodOnly =
        JobTestKit.spark().sql("SELECT * FROM VALUES (0L, array(1f, 2f)) AS t(id, logits)");
    BatchRun run = forwardRun(goodOnly);
    assertThat(BadRows.located(BadRows.mark(run), run, RowProblem.ALL_MASKED)).hasMessage(expected);

    Path gone = dir.resolve("gone");
    JobTestKit.spark()
        .sql("SELECT * FROM VALUES (4L, array(1f, float('NaN'))) AS t(id, logits)")
        .write()
        .parquet(gone.toString());
    BatchRun unreadable = forwardRun(JobTestKit.spark().read().parquet(gone.toString()));
    try (var files = Files.list(gone)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    assertThat(BadRows.located(BadRows.mark(unreadable), unreadable, RowProblem.ALL_MASKED))
        .hasMessage(expected);
    // and found, the row is named with its own reason
    BatchRun found =
        forwardRun(JobTestKit.spark().read().parquet(logits.toString()).filter("id = 4"));
    assertThat(BadRows.located(BadRows.mark(found), found, RowProblem.ALL_MASKED).getMessage())
        .startsWith("bad row: forward: logits: NaN or +inf at id=4 in file:");
  }

  /** A forward run over {@code rows} with the job's rules for a logits column. */
  private static BatchRun forwardRun(Dataset<Row> rows) {
    RowCheck check = SqlFunction.SOFTMAX.argumentChecks().get(0);
    return new BatchRun(
        "forward",
        new BatchRun.Source("test rows", rows, List.of("id"), List.of()),
        new BatchRun.RowRules(
            concat(lit("logits: "), check.on(col("logits"))),
            check.problems().stream().map(p -> "logits: " + p.reason()).toList()),
        new BatchRun.Output(
            "probs",
            SqlFunction.SOFTMAX.call(col("logits")),
            List.of("logits"),
            "float",
            SqlFunction.SOFTMAX_CHECKED.call(col("logits"))));
  }

  @Test
  void skipDropsAndCountsEveryReason() {
    Path out = dir.resolve("skip_out");
    JobTestKit.Result r =
        runOk(
            "forward",
            "--input",
            logits.toString(),
            "--output",
            out.toString(),
            "--on-bad-row",
            "skip");
    assertThat(r.out())
        .contains(
            "forward: 10 rows in, 4 written, 6 skipped, 0 quarantined",
            "logits: null array 1",
            "logits: empty array 1",
            "logits: null element 1",
            "logits: NaN or +inf 2",
            "logits: all entries -inf 1");
    assertThat(duck("SELECT id FROM " + parquet(out) + " ORDER BY id"))
        .extracting(m -> m.get("id"))
        .containsExactly(0L, 7L, 8L, 9L);
    assertThat(JobTestKit.summary(out))
        .contains(
            "\"rows_in\" : 10",
            "\"rows_written\" : 4",
            "\"rows_skipped\" : 6",
            "\"rows_quarantined\" : 0",
            "\"logits: NaN or +inf\" : 2");
    assertThat(dir.resolve("skip_out.quarantine")).doesNotExist();
  }

  @Test
  void quarantineKeepsBadRowsWithAllTheirColumnsAndTheReason() {
    Path out = dir.resolve("q_out");
    Path quarantine = dir.resolve("elsewhere/bad");
    JobTestKit.Result r =
        runOk(
            "forward",
            "--input",
            logits.toString(),
            "--output",
            out.toString(),
            "--on-bad-row",
            "quarantine",
            "--quarantine",
            quarantine.toString());
    assertThat(r.out()).contains("10 rows in, 4 written, 0 skipped, 6 quarantined");
    assertThat(duck("SELECT id, error FROM " + parquet(quarantine) + " ORDER BY id"))
        .extracting(m -> m.get("id") + " " + m.get("error"))
        .containsExactlyElementsOf(FORWARD_REASONS);
    // the bad rows' own data, unchanged
    assertThat(duckValue("SELECT logits::VARCHAR FROM " + parquet(quarantine) + " WHERE id = 3"))
        .isEqualTo("[1.0, NULL]");
    assertThat(duckValue("SELECT count(*) FROM " + parquet(out))).isEqualTo(4L);
    assertThat(JobTestKit.summary(out))
        .contains("\"rows_quarantined\" : 6", "\"quarantine\" : \"file:" + quarantine);
  }

  @Test
  void backwardBadRowsAreQuarantinedBesideTheOutputByDefault() {
    Path out = dir.resolve("bq_out");
    JobTestKit.Result r =
        runOk(
            "backward",
            "--input",
            pairs.toString(),
            "--output",
            out.toString(),
            "--on-bad-row",
            "quarantine");
    assertThat(r.out()).contains("backward: 7 rows in, 2 written, 0 skipped, 5 quarantined");
    assertThat(
            duck(
                "SELECT id, error FROM "
                    + parquet(dir.resolve("bq_out.quarantine"))
                    + " ORDER BY id"))
        .extracting(m -> m.get("id") + " " + m.get("error"))
        .containsExactlyElementsOf(BACKWARD_REASONS);
    // S = (1/2, 1/2), g = (1, 2): <S,g> = 3/2, dz = (-1/4, 1/4); S = (1), g = (7): dz = 0
    assertThat(duck("SELECT id, grad_logits::VARCHAR AS d FROM " + parquet(out) + " ORDER BY id"))
        .extracting(m -> m.get("id") + " " + m.get("d"))
        .containsExactly("0 [-0.25, 0.25]", "6 [0.0]");
  }

  @Test
  void backwardFailNamesTheReason() {
    JobTestKit.Result r =
        run("backward", "--input", pairs.toString(), "--output", dir.resolve("bf").toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).startsWith("bad row: backward: ").contains("at id=");
  }
}
