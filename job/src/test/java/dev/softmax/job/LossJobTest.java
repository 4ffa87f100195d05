package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loss command end to end against PyTorch 2.13's float64 values for 120 rows and 30 sequences
 * of tokens ({@code src/test/resources/losses/README.md}): a float loss within one float ulp of
 * {@code 1 + |loss|}, a gradient element within one float ulp of {@code T (S_j + |q_j|)}; the
 * summary's mean over the rows (tokens) that count; bad labels under every policy; refusals.
 */
class LossJobTest {
  @TempDir static Path dir;
  static Path rows;
  static Path sequences;
  static JsonNode expected;

  /** The fixture's rows by id: logits, label, teacher logits and target probabilities. */
  static Map<Long, Row> inputs;

  /** Of the fixture's 120 rows, 11 have the ignore index -100. */
  private static final long COUNTED_ROWS = 109;

  @BeforeAll
  static void readFixtures() throws IOException {
    rows = resource("losses.parquet");
    sequences = resource("sequences.parquet");
    try (InputStream in = LossJobTest.class.getResourceAsStream("/losses/expected_losses.json")) {
      expected = new ObjectMapper().readTree(in);
    }
    inputs = new HashMap<>();
    for (Row r : JobTestKit.spark().read().parquet(rows.toString()).collectAsList()) {
      inputs.put(r.getLong(r.fieldIndex("id")), r);
    }
    assertThat(inputs).hasSize(120);
  }

  private static Path resource(String name) {
    try {
      return Path.of(LossJobTest.class.getResource("/losses/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode expectedRow(long id) {
    return expected.get("rows").get(Long.toString(id));
  }

  @Test
  void labelCrossEntropyAndItsGradientMatchPyTorch() {
    Path out = dir.resolve("ce");
    JobTestKit.Result r =
        runOk(
            "loss",
            "--input",
            rows.toString(),
            "--output",
            out.toString(),
            "--label-col",
            "label",
            "--grad");
    assertThat(r.out()).contains("loss: 120 rows in, 120 written", "mean loss ", "over 109");
    assertThat(columns(out))
        .containsExactlyInAnyOrder(
            "id", "label", "teacher_logits", "target_probs", "loss", "grad_logits");
    int checked = assertLossesAndGradients(out, "ce_loss", "ce_grad", id -> labelTarget(id, 0));
    assertThat(checked).isEqualTo(120);
  }

  @Test
  void labelSmoothingMatchesPyTorchOnTheRowsItGives() {
    Path out = dir.resolve("ce_ls");
    double e = expected.get("label_smoothing").asDouble();
    runOk(
        "loss",
        "--input",
        rows.toString(),
        "--output",
        out.toString(),
        "--label-col",
        "label",
        "--label-smoothing",
        Double.toString(e),
        "--ignore-index",
        "-100",
        "--grad");
    int checked =
        assertLossesAndGradients(out, "ce_ls_loss", "ce_ls_grad", id -> labelTarget(id, e));
    assertThat(checked).isEqualTo(102);
  }

  @Test
  void softTargetsMatchPyTorch() {
    Path out = dir.resolve("soft");
    JobTestKit.Result r =
        runOk(
            "loss",
            "--input",
            rows.toString(),
            "--output",
            out.toString(),
            "--target-col",
            "target_probs",
            "--grad");
    assertThat(r.out()).contains("over 120");
    int checked =
        assertLossesAndGradients(
            out, "soft_loss", "soft_grad", id -> widen(floats(id, "target_probs")));
    assertThat(checked).isEqualTo(120);
    assertSummary(out, "soft_loss", 120, id -> true);
  }

  @Test
  void distillationAtTemperatureTwoMatchesPyTorch() {
    Path out = dir.resolve("kd");
    double t = expected.get("temperature").asDouble();
    runOk(
        "loss",
        "--input",
        rows.toString(),
        "--output",
        out.toString(),
        "--teacher-col",
        "teacher_logits",
        "--temperature",
        Double.toString(t),
        "--grad",
        "--grad-output-col",
        "d_student");
    assertThat(columns(out)).contains("d_student").doesNotContain("grad_logits", "logits");
    Map<Long, Float> loss = losses(out, "loss");
    Map<Long, float[]> grad = arrays(out, "d_student");
    for (long id : inputs.keySet()) {
      JsonNode e = expectedRow(id);
      assertLoss(loss.get(id), e.get("kd_loss"), id);
      assertGradient(
          grad.get(id),
          e.get("kd_grad"),
          scale(floats(id, "logits"), softmax(floats(id, "teacher_logits"), t), t),
          id);
    }
    assertSummary(out, "kd_loss", 120, id -> true);
  }

  @Test
  void theSummaryGivesTheMeanOverTheRowsThatCount() {
    Path out = dir.resolve("ce_mean");
    JobTestKit.Result r =
        runOk(
            "loss", "--input", rows.toString(), "--output", out.toString(), "--label-col", "label");
    // without --grad the logits are kept
    assertThat(columns(out)).contains("logits", "loss").doesNotContain("grad_logits");
    assertSummary(out, "ce_loss", COUNTED_ROWS, id -> label(id) != -100);
    JsonNode summary = summaryJson(out);
    assertThat(r.out())
        .contains(String.format(java.util.Locale.ROOT, "mean loss %.6g over 109", mean(summary)));
    // DuckDB, reading the output, agrees: avg over the rows whose label is not ignored
    double duckMean =
        (Double) duckValue("SELECT avg(loss) FROM " + parquet(out) + " WHERE label <> -100");
    assertThat(Math.abs(duckMean - mean(summary))).isLessThanOrEqualTo(1e-12 * duckMean);
  }

  private static double mean(JsonNode summary) {
    return summary.get("loss_mean").asDouble();
  }

  /**
   * The summary's {@code loss_sum}, {@code loss_count} and {@code loss_mean} against PyTorch's
   * values summed over the rows {@code counts} keeps: each loss within one float ulp of its scale,
   * so the sum within the sum of those ulps (and a double rounding per row).
   */
  private static void assertSummary(
      Path out, String key, long count, java.util.function.LongPredicate counts) {
    JsonNode summary = summaryJson(out);
    double sum = 0;
    double bound = 0;
    long n = 0;
    for (long id : inputs.keySet()) {
      if (counts.test(id)) {
        double l = expectedRow(id).get(key).asDouble();
        sum += l;
        bound += Math.ulp((float) (1 + Math.abs(l))) + Math.ulp(Math.abs(sum)) * 2;
        n++;
      }
    }
    assertThat(n).isEqualTo(count);
    assertThat(summary.get("loss_count").asLong()).isEqualTo(count);
    assertThat(Math.abs(summary.get("loss_sum").asDouble() - sum)).isLessThanOrEqualTo(bound);
    assertThat(Math.abs(mean(summary) - sum / count)).isLessThanOrEqualTo(bound / count);
  }

  @Test
  void aBatchOfIgnoredRowsHasNoMeanAndAnInfiniteLossAnInfiniteOne() throws IOException {
    Path in = dir.resolve("edge_means_in");
    JobTestKit.spark()
        .sql(
            "SELECT * FROM VALUES (0L, array(1f, 2f), -100, 0), (1L, array(3f, 0f), -100, 1),"
                + " (2L, array(1f, float('-Infinity')), -100, 1) AS t(id, logits, ignored, masked)")
        .write()
        .parquet(in.toString());
    Path none = dir.resolve("edge_none");
    JobTestKit.Result r =
        runOk(
            "loss",
            "--input",
            in.toString(),
            "--output",
            none.toString(),
            "--label-col",
            "ignored");
    assertThat(r.out()).contains("3 rows in, 3 written, 0 skipped, 0 quarantined; no loss counted");
    JsonNode summary = summaryJson(none);
    assertThat(summary.get("loss_mean").isNull()).as("%s", summary).isTrue();
    assertThat(summary.get("loss_sum").asDouble()).isZero();
    assertThat(summary.get("loss_count").asLong()).isZero();

    // id 2's label is a masked class: loss +inf, as PyTorch's
    Path inf = dir.resolve("edge_inf");
    r =
        runOk(
            "loss", "--input", in.toString(), "--output", inf.toString(), "--label-col", "masked");
    assertThat(r.out()).contains("mean loss Infinity over 3");
    assertThat(JobTestKit.summary(inf))
        .contains("\"loss_mean\" : \"Infinity\"", "\"loss_sum\" : \"Infinity\"");
  }

  @Test
  void aLocalRunWarmsUpTheRowChecksItRuns() {
    LossCommand labels = new LossCommand();
    labels.labelCol = "label";
    assertThat(labels.warmedUp()).containsExactly(dev.softmax.udf.SqlFunction.CHECK_LOGITS);
    LossCommand targets = new LossCommand();
    targets.targetCol = "q";
    assertThat(targets.warmedUp())
        .containsExactly(
            dev.softmax.udf.SqlFunction.CHECK_LOGITS, dev.softmax.udf.SqlFunction.CHECK_VALUES);
    LossCommand teacher = new LossCommand();
    teacher.teacherCol = "t";
    assertThat(teacher.warmedUp()).containsExactly(dev.softmax.udf.SqlFunction.CHECK_LOGITS);
  }

  @Test
  void perTokenCrossEntropyMatchesPyTorchAndCountsTokens() {
    Path out = dir.resolve("tokens");
    JobTestKit.Result r =
        runOk(
            "loss",
            "--input",
            sequences.toString(),
            "--output",
            out.toString(),
            "--label-col",
            "labels",
            "--grad");
    JsonNode bySequence = expected.get("sequences");
    Map<String, float[]> logits = tokenRows(sequences, "logits");
    Map<String, Float> loss = new HashMap<>();
    for (Row row :
        JobTestKit.spark()
            .read()
            .parquet(out.toString())
            .selectExpr("id", "posexplode(loss) AS (t, l)")
            .collectAsList()) {
      loss.put(row.getLong(0) + "/" + row.getInt(1), row.getFloat(2));
    }
    Map<String, float[]> grad = tokenRows(out, "grad_logits");
    Map<String, Long> labels = new HashMap<>();
    for (Row row :
        JobTestKit.spark()
            .read()
            .parquet(sequences.toString())
            .selectExpr("id", "posexplode(labels) AS (t, y)")
            .collectAsList()) {
      labels.put(row.getLong(0) + "/" + row.getInt(1), row.getLong(2));
    }
    double sum = 0;
    double bound = 0;
    long counted = 0;
    int tokens = 0;
    var ids = bySequence.fieldNames();
    while (ids.hasNext()) {
      String id = ids.next();
      JsonNode e = bySequence.get(id);
      for (int t = 0; t < e.get("ce_loss").size(); t++) {
        String token = id + "/" + t;
        long y = labels.get(token);
        assertLoss(loss.get(token), e.get("ce_loss").get(t), token);
        float[] z = logits.get(token);
        double[] q = new double[z.length];
        if (y != -100) {
          q[(int) y] = 1;
          double l = e.get("ce_loss").get(t).asDouble();
          sum += l;
          bound += Math.ulp((float) (1 + l)) + 2 * Math.ulp(sum);
          counted++;
        }
        assertGradient(grad.get(token), e.get("ce_grad").get(t), scale(z, q, 1), token);
        tokens++;
      }
    }
    assertThat(tokens).isEqualTo(165);
    assertThat(counted).isEqualTo(138);
    assertThat(r.out()).contains("loss: 30 rows in, 30 written", "over 138");
    JsonNode summary = summaryJson(out);
    assertThat(summary.get("loss_count").asLong()).isEqualTo(138);
    assertThat(Math.abs(summary.get("loss_sum").asDouble() - sum)).isLessThanOrEqualTo(bound);
    assertThat(Math.abs(mean(summary) - sum / 138)).isLessThanOrEqualTo(bound / 138);
  }

  @Test
  void aPerTokenLabelOutsideTheClassesIsABadRow() {
    Path in = dir.resolve("bad_tokens_in");
    JobTestKit.spark()
        .sql(
            "SELECT * FROM VALUES"
                + " (0L, array(array(1f, 2f), array(0f, 0f)), array(1, -100)),"
                + " (1L, array(array(1f, 2f), array(0f, 0f)), array(1, 2)),"
                + " (2L, array(array(1f, 2f), array(0f, float('NaN'))), array(0, 0)),"
                + " (3L, array(array(1f, 2f)), array(0, 1)),"
                + " (4L, array(array(1f, 2f)), array(CAST(NULL AS INT)))"
                + " AS t(id, logits, labels)")
        .write()
        .parquet(in.toString());
    Path out = dir.resolve("bad_tokens");
    JobTestKit.Result r =
        runOk(
            "loss",
            "--input",
            in.toString(),
            "--output",
            out.toString(),
            "--label-col",
            "labels",
            "--on-bad-row",
            "quarantine");
    assertThat(r.out()).contains("5 rows in, 1 written, 0 skipped, 4 quarantined", "over 1");
    assertThat(duck("SELECT id, error FROM " + parquet(dir.resolve("bad_tokens.quarantine"))))
        .extracting(m -> m.get("id") + " " + m.get("error"))
        .containsExactlyInAnyOrder(
            "1 labels: label outside [0, L)",
            "2 logits: NaN or +inf",
            "3 length mismatch",
            "4 labels: null label");
    // the good row's loss: -log softmax([1, 2])_1 = log(1 + e^-1); its padding token gives 0
    assertThat(summaryJson(out).get("loss_count").asLong()).isEqualTo(1);
    assertThat(summaryJson(out).get("loss_sum").asDouble())
        .isCloseTo(Math.log1p(Math.exp(-1)), org.assertj.core.data.Offset.offset(1e-7));
  }

  // --- bad labels under every policy

  /** Rows with labels of every kind: ids 1, 2, 4 and 5 are bad; 3 is ignored. */
  private static Path labelRows() {
    Path in = dir.resolve("labels_in");
    if (!Files.exists(in)) {
      JobTestKit.spark()
          .sql(
              "SELECT * FROM VALUES"
                  + " (0L, array(1f, 2f, 3f), 1), (1L, array(1f, 2f, 3f), 7),"
                  + " (2L, array(1f, 2f, 3f), CAST(NULL AS INT)), (3L, array(5f, 2f, 3f), -100),"
                  + " (4L, array(1f, float('NaN'), 3f), 0), (5L, array(1f, 2f, 3f), -1),"
                  + " (6L, array(0f, 0f, 0f), 0) AS t(id, logits, label)")
          .repartition(2)
          .write()
          .parquet(in.toString());
    }
    return in;
  }

  private static final List<String> LABEL_REASONS =
      List.of(
          "1 label: label outside [0, L)",
          "2 label: null label",
          "4 logits: NaN or +inf",
          "5 label: label outside [0, L)");

  @Test
  void aLabelOutsideTheClassesFailsTheRunInOneLine() {
    Path in = dir.resolve("one_bad_label");
    JobTestKit.spark()
        .sql(
            "SELECT * FROM VALUES (0L, array(1f, 2f, 3f, 4f, 5f), 1),"
                + " (7L, array(1f, 2f, 3f, 4f, 5f), 7), (8L, array(1f, 2f, 3f, 4f, 5f), -100)"
                + " AS t(id, logits, label)")
        .write()
        .parquet(in.toString());
    Path out = dir.resolve("fail_out");
    JobTestKit.Result r =
        run(
            "loss",
            "--input",
            in.toString(),
            "--output",
            out.toString(),
            "--label-col",
            "label",
            "--grad");
    assertThat(r.status()).as("%s", r).isEqualTo(1);
    assertThat(r.err().strip())
        .as("one line")
        .doesNotContain("\n")
        .startsWith("bad row: loss: label: label outside [0, L) at id=7 in file:")
        .endsWith("(or --on-bad-row skip).");
    assertThat(out).doesNotExist();

    // and with several bad rows, the one it names has its own reason
    JobTestKit.Result several =
        run(
            "loss",
            "--input",
            labelRows().toString(),
            "--output",
            out.toString(),
            "--label-col",
            "label");
    assertThat(several.status()).as("%s", several).isEqualTo(1);
    Matcher m =
        Pattern.compile("^bad row: loss: ([^@]*) at id=(\\d) in ").matcher(several.err().strip());
    assertThat(m.find()).as(several.err()).isTrue();
    assertThat(LABEL_REASONS).contains(m.group(2) + " " + m.group(1));
  }

  @Test
  void skipDropsAndCountsBadLabels() {
    Path out = dir.resolve("labels_skip");
    JobTestKit.Result r =
        runOk(
            "loss",
            "--input",
            labelRows().toString(),
            "--output",
            out.toString(),
            "--label-col",
            "label",
            "--on-bad-row",
            "skip",
            "--grad");
    assertThat(r.out())
        .contains(
            "loss: 7 rows in, 3 written, 4 skipped, 0 quarantined",
            "label: label outside [0, L) 2",
            "label: null label 1",
            "logits: NaN or +inf 1",
            "over 2");
    assertThat(duck("SELECT id FROM " + parquet(out) + " ORDER BY id"))
        .extracting(m -> m.get("id"))
        .containsExactly(0L, 3L, 6L);
    assertThat(JobTestKit.summary(out))
        .contains("\"label: label outside [0, L)\" : 2", "\"rows_skipped\" : 4");
    // the ignored row: loss 0 and a gradient of zeros; it counts not in the mean
    assertThat(
            duck(
                "SELECT CAST(loss AS VARCHAR) AS l, CAST(grad_logits AS VARCHAR) AS g FROM "
                    + parquet(out)
                    + " WHERE id = 3"))
        .extracting(m -> m.get("l") + " " + m.get("g"))
        .containsExactly("0.0 [0.0, 0.0, 0.0]");
    JsonNode summary = summaryJson(out);
    assertThat(summary.get("loss_count").asLong()).isEqualTo(2);
    // ids 0 and 6: -log softmax([1, 2, 3])_1 and log 3, recomputed by DuckDB
    double expectedSum = (Double) duckValue("SELECT ln(exp(1) + exp(2) + exp(3)) - 2 + ln(3)");
    assertThat(summary.get("loss_sum").asDouble())
        .isCloseTo(expectedSum, org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void quarantineKeepsBadLabelsWithTheirReason() {
    Path out = dir.resolve("labels_q");
    JobTestKit.Result r =
        runOk(
            "loss",
            "--input",
            labelRows().toString(),
            "--output",
            out.toString(),
            "--label-col",
            "label",
            "--on-bad-row",
            "quarantine");
    assertThat(r.out()).contains("7 rows in, 3 written, 0 skipped, 4 quarantined", "over 2");
    assertThat(
            duck(
                "SELECT id, error FROM "
                    + parquet(dir.resolve("labels_q.quarantine"))
                    + " ORDER BY id"))
        .extracting(m -> m.get("id") + " " + m.get("error"))
        .containsExactlyElementsOf(LABEL_REASONS);
    assertThat(duck("DESCRIBE SELECT * FROM " + parquet(dir.resolve("labels_q.quarantine"))))
        .extracting(m -> m.get("column_name"))
        .containsExactlyInAnyOrder("id", "logits", "label", "error");
  }

  @Test
  void targetsOfAnotherLengthOrNotFiniteAreBadRows() {
    Path in = dir.resolve("targets_in");
    JobTestKit.spark()
        .sql(
            "SELECT * FROM VALUES"
                + " (0L, array(1d, 2d), array(0.5d, 0.5d), array(0d, 1d)),"
                + " (1L, array(1d, 2d), array(0.5d, 0.25d, 0.25d), array(0d, 1d, 2d)),"
                + " (2L, array(1d, 2d), array(double('NaN'), 1d), array(double('Infinity'), 1d)),"
                + " (3L, array(1d, 2d), CAST(NULL AS array<double>), array(double('-Infinity'), double('-Infinity')))"
                + " AS t(id, logits, q, teacher)")
        .write()
        .parquet(in.toString());
    JobTestKit.Result soft =
        runOk(
            "loss",
            "--input",
            in.toString(),
            "--output",
            dir.resolve("targets_skip").toString(),
            "--target-col",
            "q",
            "--on-bad-row",
            "skip");
    assertThat(soft.out())
        .contains(
            "4 rows in, 1 written, 3 skipped",
            "length mismatch 1",
            "q: non-finite value 1",
            "q: null array 1");
    JobTestKit.Result kd =
        runOk(
            "loss",
            "--input",
            in.toString(),
            "--output",
            dir.resolve("teacher_skip").toString(),
            "--teacher-col",
            "teacher",
            "--on-bad-row",
            "skip");
    assertThat(kd.out())
        .contains(
            "4 rows in, 1 written, 3 skipped",
            "length mismatch 1",
            "teacher: NaN or +inf 1",
            "teacher: all entries -inf 1");
  }

  // --- column names as users write them

  @Test
  void namesWithDotsSpacesAndBackticksAreTopLevelColumnsInEveryCommand() {
    Path in = dir.resolve("names_in");
    JobTestKit.spark()
        .sql(
            "SELECT id AS `row.id`, CAST(array(1, 2, id) AS array<float>) AS `model.logits`,"
                + " CAST(array(0.5, -1, 2) AS array<float>) AS `my grad`,"
                + " CAST(id % 3 AS INT) AS `la``bel`, struct(1 AS logits) AS model FROM range(6)")
        .write()
        .parquet(in.toString());
    Path probs = dir.resolve("names_probs");
    runOk(
        "forward",
        "--input",
        in.toString(),
        "--output",
        probs.toString(),
        "--logits-col",
        "model.logits",
        "--output-col",
        "my probs",
        "--key",
        "row.id");
    assertThat(columns(probs)).contains("my probs", "my grad", "la`bel", "model");
    Path grads = dir.resolve("names_grads");
    runOk(
        "backward",
        "--input",
        probs.toString(),
        "--output",
        grads.toString(),
        "--probs-col",
        "my probs",
        "--grad-col",
        "my grad",
        "--output-col",
        "d.z");
    // the gradients from another dataset, matched on a key with a dot
    Path gradIn = dir.resolve("names_grad_in");
    JobTestKit.spark()
        .read()
        .parquet(in.toString())
        .select("`row.id`", "`my grad`")
        .write()
        .parquet(gradIn.toString());
    Path fromLogits = dir.resolve("names_from_logits");
    runOk(
        "backward",
        "--input",
        in.toString(),
        "--output",
        fromLogits.toString(),
        "--logits-col",
        "model.logits",
        "--grad-col",
        "my grad",
        "--grad-input",
        gradIn.toString(),
        "--key",
        "row.id");
    // the two backward passes agree, and with DuckDB's S * (g - <S, g>)
    String z = "\"model.logits\"";
    String s =
        "list_transform("
            + z
            + ", lambda x: exp(x - list_max("
            + z
            + ")) / list_sum(list_transform("
            + z
            + ", lambda y: exp(y - list_max("
            + z
            + ")))))";
    List<Map<String, Object>> expected =
        duck(
            "SELECT \"row.id\" AS id, list_transform(list_zip("
                + s
                + ", \"my grad\"), lambda p: p[1] * (p[2] - list_sum(list_transform(list_zip("
                + s
                + ", \"my grad\"), lambda q: q[1] * q[2])))) AS e FROM "
                + parquet(in)
                + " ORDER BY 1");
    List<Map<String, Object>> got =
        duck("SELECT \"row.id\" AS id, \"d.z\" AS a FROM " + parquet(grads) + " ORDER BY 1");
    List<Map<String, Object>> got2 =
        duck(
            "SELECT \"row.id\" AS id, grad_logits AS a FROM "
                + parquet(fromLogits)
                + " ORDER BY 1");
    assertThat(got).hasSize(6);
    for (int i = 0; i < 6; i++) {
      double[] e = doubles(expected.get(i).get("e"));
      double[] a = doubles(got.get(i).get("a"));
      double[] b = doubles(got2.get(i).get("a"));
      for (int j = 0; j < e.length; j++) {
        assertThat(Math.abs(a[j] - e[j])).isLessThanOrEqualTo(1e-6);
        assertThat(Math.abs(b[j] - e[j])).isLessThanOrEqualTo(1e-6);
      }
    }

    Path loss = dir.resolve("names_loss");
    runOk(
        "loss",
        "--input",
        in.toString(),
        "--output",
        loss.toString(),
        "--logits-col",
        "model.logits",
        "--label-col",
        "la`bel",
        "--grad",
        "--output-col",
        "the loss",
        "--grad-output-col",
        "d`z",
        "--key",
        "row.id",
        "--partition-by",
        "la`bel");
    assertThat(loss.resolve("la`bel=2")).isDirectory();
    assertThat(columns(loss))
        .containsExactlyInAnyOrder("row.id", "my grad", "la`bel", "model", "the loss", "d`z");
    // -log softmax(z)_y, recomputed by DuckDB
    assertThat(
            duckValue(
                "SELECT max(abs(\"the loss\" - (ln(list_sum(list_transform(i.\"model.logits\","
                    + " lambda x: exp(x)))) - i.\"model.logits\"[i.\"la`bel\" + 1]))) FROM "
                    + parquet(in)
                    + " i JOIN "
                    + parquet(loss)
                    + " o USING (\"row.id\")"))
        .satisfies(d -> assertThat((Double) d).isLessThan(1e-5));

    // a bad row is named by a key with a dot
    Path badIn = dir.resolve("names_bad_in");
    JobTestKit.spark()
        .sql("SELECT 4L AS `row.id`, array(1f, 2f) AS `model.logits`, 9 AS `la``bel`")
        .write()
        .parquet(badIn.toString());
    JobTestKit.Result bad =
        run(
            "loss",
            "--input",
            badIn.toString(),
            "--output",
            dir.resolve("names_bad").toString(),
            "--logits-col",
            "model.logits",
            "--label-col",
            "la`bel",
            "--key",
            "row.id");
    assertThat(bad.err()).startsWith("bad row: loss: la`bel: label outside [0, L) at row.id=4 in");
  }

  @Test
  void aNameIsNeverAPathIntoAStruct() {
    Path in = dir.resolve("struct_in");
    JobTestKit.spark()
        .sql("SELECT 1L AS id, named_struct('logits', array(1f, 2f)) AS model")
        .write()
        .parquet(in.toString());
    assertRefused(
        "--logits-col model.logits is not a column of",
        "forward",
        "--input",
        in.toString(),
        "--output",
        dir.resolve("struct_out").toString(),
        "--logits-col",
        "model.logits");
    assertRefused(
        "never a field of a struct such as model",
        "loss",
        "--input",
        in.toString(),
        "--output",
        dir.resolve("struct_out").toString(),
        "--logits-col",
        "model.logits",
        "--label-col",
        "id");
  }

  // --- refusals

  private static void assertRefused(String expected, String... args) {
    JobTestKit.Result r = run(args);
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err().strip()).as("%s", r).doesNotContain("\n").contains(expected);
    assertThat(r.out()).isEmpty();
  }

  private static String[] loss(String... options) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "loss", "--input", rows.toString(), "--output", dir.resolve("refused").toString()));
    args.addAll(List.of(options));
    return args.toArray(String[]::new);
  }

  @Test
  void exactlyOneOfTheLabelTargetAndTeacherColumns() {
    assertRefused(
        "softmax loss: give one of --label-col (cross-entropy against class labels), --target-col"
            + " (against target probabilities) and --teacher-col (distillation), not more",
        loss("--label-col", "label", "--teacher-col", "teacher_logits"));
    assertRefused(
        "softmax loss: give one of --label-col (cross-entropy against class labels), --target-col"
            + " (against target probabilities) and --teacher-col (distillation)",
        loss());
  }

  @Test
  void optionsOfOneLossAreRefusedWithAnother() {
    assertRefused(
        "softmax loss: --label-smoothing is only used with --label-col",
        loss("--target-col", "target_probs", "--label-smoothing", "0.1"));
    assertRefused(
        "softmax loss: --ignore-index is only used with --label-col",
        loss("--teacher-col", "teacher_logits", "--ignore-index", "0"));
    assertRefused(
        "softmax loss: --temperature is only used with --teacher-col",
        loss("--label-col", "label", "--temperature", "2"));
    assertRefused(
        "softmax loss: --grad-output-col is only used with --grad",
        loss("--label-col", "label", "--grad-output-col", "g"));
  }

  @Test
  void valuesOutOfTheirRangeAreRefused() {
    assertRefused(
        "softmax loss: --label-smoothing: must be in [0, 1]; got 1.5",
        loss("--label-col", "label", "--label-smoothing", "1.5"));
    assertRefused(
        "softmax loss: --temperature: ",
        loss("--teacher-col", "teacher_logits", "--temperature", "0"));
    assertRefused(
        "softmax loss: --output-col and --grad-output-col both name g",
        loss("--label-col", "label", "--grad", "--output-col", "g", "--grad-output-col", "g"));
  }

  @Test
  void columnsOfTheWrongTypeAreRefused() {
    assertRefused(
        "softmax loss: --label-col teacher_logits in file:"
            + rows
            + " is array<float>; it must be int or bigint",
        loss("--label-col", "teacher_logits"));
    assertRefused(
        "softmax loss: --target-col label in file:" + rows + " is bigint; it must be array<float>",
        loss("--target-col", "label"));
    assertRefused(
        "softmax loss: --output-col label is already a column of",
        loss("--label-col", "label", "--output-col", "label"));
    assertRefused(
        "softmax loss: --teacher-col missing is not a column of", loss("--teacher-col", "missing"));
    Path doubles = dir.resolve("double_teacher");
    JobTestKit.spark()
        .sql("SELECT array(1f, 2f) AS logits, array(1d, 2d) AS teacher")
        .write()
        .parquet(doubles.toString());
    assertRefused(
        "softmax loss: --teacher-col teacher holds array<double> but logits holds array<float>;"
            + " both must have one type",
        "loss",
        "--input",
        doubles.toString(),
        "--output",
        dir.resolve("refused").toString(),
        "--teacher-col",
        "teacher");
    assertRefused(
        "softmax loss: --label-col id in file:"
            + sequences
            + " is bigint; with per-token logits it must be array<int> or array<bigint>",
        "loss",
        "--input",
        sequences.toString(),
        "--output",
        dir.resolve("refused").toString(),
        "--label-col",
        "id");
  }

  // --- helpers

  /** The one-hot target of row {@code id}'s label with smoothing {@code e} (zeros if ignored). */
  private static double[] labelTarget(long id, double e) {
    Row r = inputs.get(id);
    long y = label(id);
    int width = r.getList(r.fieldIndex("logits")).size();
    double[] q = new double[width];
    if (y != -100) {
      for (int j = 0; j < width; j++) {
        q[j] = (j == y ? 1 - e : 0) + e / width;
      }
    }
    return q;
  }

  private static long label(long id) {
    Row r = inputs.get(id);
    return r.getLong(r.fieldIndex("label"));
  }

  /** Checks every row the JSON gives {@code lossKey} for; returns how many. */
  private static int assertLossesAndGradients(
      Path out, String lossKey, String gradKey, java.util.function.LongFunction<double[]> target) {
    Map<Long, Float> loss = losses(out, "loss");
    Map<Long, float[]> grad = arrays(out, "grad_logits");
    int checked = 0;
    for (long id : inputs.keySet()) {
      JsonNode e = expectedRow(id);
      if (!e.has(lossKey)) {
        continue;
      }
      assertLoss(loss.get(id), e.get(lossKey), id);
      assertGradient(
          grad.get(id), e.get(gradKey), scale(floats(id, "logits"), target.apply(id), 1), id);
      checked++;
    }
    return checked;
  }

  private static void assertLoss(float got, JsonNode expected, Object where) {
    double e = number(expected);
    if (!Double.isFinite(e)) {
      assertThat((double) got).as("%s", where).isEqualTo(e);
      return;
    }
    assertThat(Math.abs(got - e))
        .as("%s: got %s, PyTorch %s", where, got, e)
        .isLessThanOrEqualTo((double) Math.ulp((float) (1 + Math.abs(e))));
  }

  private static void assertGradient(float[] got, JsonNode expected, double[] scale, Object where) {
    assertThat(got).as("%s", where).hasSize(expected.size());
    for (int j = 0; j < got.length; j++) {
      double e = number(expected.get(j));
      assertThat(Math.abs(got[j] - e))
          .as("%s, index %d: got %s, PyTorch %s", where, j, got[j], e)
          .isLessThanOrEqualTo((double) Math.ulp((float) scale[j]));
    }
  }

  /** T (S_j + |q_j|) with S = softmax(z / T). */
  private static double[] scale(float[] z, double[] q, double t) {
    double[] s = softmax(z, t);
    double[] out = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      out[j] = t * (s[j] + Math.abs(q[j]));
    }
    return out;
  }

  /** softmax(z / T) in double, the max subtracted first (a scale needs no more). */
  private static double[] softmax(float[] z, double t) {
    double max = Double.NEGATIVE_INFINITY;
    for (float x : z) {
      max = Math.max(max, x);
    }
    double[] s = new double[z.length];
    double sum = 0;
    for (int j = 0; j < z.length; j++) {
      s[j] = Math.exp((z[j] - max) / t);
      sum += s[j];
    }
    for (int j = 0; j < z.length; j++) {
      s[j] /= sum;
    }
    return s;
  }

  private static double number(JsonNode node) {
    if (node.isNumber()) {
      return node.asDouble();
    }
    return switch (node.asText()) {
      case "inf" -> Double.POSITIVE_INFINITY;
      case "-inf" -> Double.NEGATIVE_INFINITY;
      case "nan" -> Double.NaN;
      default -> throw new IllegalArgumentException("not a number in the fixture: " + node);
    };
  }

  private static float[] floats(long id, String column) {
    Row r = inputs.get(id);
    return toFloats(r.getList(r.fieldIndex(column)));
  }

  private static double[] widen(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }

  private static double[] doubles(Object duckArray) {
    try {
      Object[] values = (Object[]) ((java.sql.Array) duckArray).getArray();
      double[] out = new double[values.length];
      for (int i = 0; i < values.length; i++) {
        out[i] = ((Number) values[i]).doubleValue();
      }
      return out;
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static float[] toFloats(List<Object> values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) values.get(i)).floatValue();
    }
    return out;
  }

  private static Map<Long, Float> losses(Path out, String column) {
    Map<Long, Float> m = new HashMap<>();
    for (Row r :
        JobTestKit.spark().read().parquet(out.toString()).select("id", column).collectAsList()) {
      m.put(r.getLong(0), r.getFloat(1));
    }
    return m;
  }

  private static Map<Long, float[]> arrays(Path out, String column) {
    Map<Long, float[]> m = new HashMap<>();
    for (Row r :
        JobTestKit.spark().read().parquet(out.toString()).select("id", column).collectAsList()) {
      m.put(r.getLong(0), toFloats(r.getList(1)));
    }
    return m;
  }

  /** The rows of a per-token column, by "id/token". */
  private static Map<String, float[]> tokenRows(Path data, String column) {
    Map<String, float[]> m = new HashMap<>();
    for (Row r :
        JobTestKit.spark()
            .read()
            .parquet(data.toString())
            .selectExpr("id", "posexplode(" + column + ") AS (t, z)")
            .collectAsList()) {
      m.put(r.getLong(0) + "/" + r.getInt(1), toFloats(r.getList(2)));
    }
    return m;
  }

  private static List<String> columns(Path out) {
    return List.of(JobTestKit.spark().read().parquet(out.toString()).columns());
  }

  private static JsonNode summaryJson(Path out) {
    try {
      return new ObjectMapper().readTree(JobTestKit.summary(out));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
