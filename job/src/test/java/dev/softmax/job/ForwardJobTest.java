package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.job.pages.PageWrite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.util.QueryExecutionListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forward runs end to end, checked by DuckDB: it reads the job's Parquet and recomputes softmax in
 * double precision in SQL, an engine and a formula independent of the job's kernels.
 */
class ForwardJobTest {
  @TempDir static Path dir;
  static Path floats;
  static Path doubles;

  @BeforeAll
  static void writeInputs() {
    floats = dir.resolve("floats");
    doubles = dir.resolve("doubles");
    // widths 1..40, values from a hash (deterministic), an extra string column, partitions
    String rows =
        "SELECT id, IF(id % 2 = 0, 'train', 'eval') AS split, CAST(id % 3 AS INT) AS part,"
            + " transform(sequence(1, CAST(id % 40 + 1 AS INT)),"
            + "   j -> (xxhash64(id, j) % 2000) / 100.0D) AS z FROM range(300)";
    JobTestKit.spark()
        .sql(rows)
        .selectExpr("id", "split", "part", "CAST(z AS array<float>) AS logits")
        .write()
        .partitionBy("part")
        .parquet(floats.toString());
    JobTestKit.spark()
        .sql(rows)
        .selectExpr("id", "split", "part", "z AS logits")
        .write()
        .partitionBy("part")
        .parquet(doubles.toString());
  }

  /** Softmax of a DOUBLE[] column in DuckDB SQL. */
  private static String duckSoftmax(String z, String t) {
    String shifted =
        "list_transform(" + z + ", lambda x: exp((x - list_max(" + z + ")) / " + t + "))";
    return "list_transform(" + shifted + ", lambda e: e / list_sum(" + shifted + "))";
  }

  @Test
  void floatForwardIsWithinOneFloatUlpOfDuckDbAndKeepsColumnsAndPartitions() {
    Path out = dir.resolve("probs");
    JobTestKit.Result r =
        runOk("forward", "--input", floats.toString(), "--output", out.toString());
    assertThat(r.out()).contains("forward: 300 rows in, 300 written, 0 skipped, 0 quarantined");

    assertThat(out.resolve("part=0")).isDirectory();
    assertThat(out.resolve("_SUCCESS")).exists();
    assertThat(duckValue("SELECT typeof(probs) FROM " + parquet(out) + " LIMIT 1"))
        .isEqualTo("FLOAT[]");
    assertThat(duck("DESCRIBE SELECT * FROM " + parquet(out)))
        .extracting(m -> m.get("column_name"))
        .containsExactlyInAnyOrder("id", "split", "probs", "part");

    String joined =
        "SELECT i.id, i.split AS split_in, o.split AS split_out, i.part AS part_in, o.part AS part_out,"
            + " CAST(o.probs AS DOUBLE[]) AS p, "
            + duckSoftmax("CAST(i.logits AS DOUBLE[])", "1.0")
            + " AS e"
            + " FROM "
            + parquet(floats)
            + " i JOIN "
            + parquet(out)
            + " o USING (id)";
    assertThat(
            duckValue(
                "SELECT count(*) FROM ("
                    + joined
                    + ") WHERE split_in = split_out AND part_in = part_out"))
        .isEqualTo(300L);
    String elements = "SELECT id, unnest(p) AS p, unnest(e) AS e FROM (" + joined + ")";
    // one float ulp of the exact value is at most 2^-23 of it
    assertThat(
            duckValue(
                "SELECT count(*) FROM ("
                    + elements
                    + ") WHERE abs(p - e) > abs(e) * pow(2, -23) + 1e-45"))
        .isEqualTo(0L);
    assertThat(duckValue("SELECT count(*) FROM (" + elements + ")"))
        .isEqualTo(duckValue("SELECT CAST(sum(len(logits)) AS BIGINT) FROM " + parquet(floats)));
  }

  @Test
  void doubleLogSoftmaxWithTemperatureMatchesDuckDb() {
    Path out = dir.resolve("log_probs_t");
    runOk(
        "forward",
        "--input",
        doubles.toString(),
        "--output",
        out.toString(),
        "--log",
        "--temperature",
        "2.5");
    assertThat(duckValue("SELECT typeof(log_probs) FROM " + parquet(out) + " LIMIT 1"))
        .isEqualTo("DOUBLE[]");
    String z = "i.logits";
    String expected =
        "list_transform("
            + z
            + ", lambda x: (x - list_max("
            + z
            + ")) / 2.5 - ln(list_sum("
            + "list_transform("
            + z
            + ", lambda y: exp((y - list_max("
            + z
            + ")) / 2.5)))))";
    String elements =
        "SELECT unnest(o.log_probs) AS y, unnest("
            + expected
            + ") AS e FROM "
            + parquet(doubles)
            + " i JOIN "
            + parquet(out)
            + " o USING (id)";
    assertThat(duckValue("SELECT max(abs(y - e) / (abs(e) + 1)) FROM (" + elements + ")"))
        .satisfies(v -> assertThat((Double) v).isLessThan(1e-13));
  }

  @Test
  void outputColumnAndLogitsColumnAreConfigurable() throws Exception {
    Path in = dir.resolve("renamed");
    JobTestKit.spark()
        .sql("SELECT 1L AS id, array(0f, 0f) AS scores")
        .write()
        .parquet(in.toString());
    Path out = dir.resolve("renamed_out");
    runOk(
        "forward",
        "--input",
        in.toString(),
        "--output",
        out.toString(),
        "--logits-col",
        "scores",
        "--output-col",
        "p");
    assertThat(duckValue("SELECT p FROM " + parquet(out)).toString()).isEqualTo("[0.5, 0.5]");
    assertThat(Files.readString(out.resolve("_summary.json")))
        .contains("\"columns\" : [ \"id\", \"p\" ]");

    // an output column named like the logits column replaces it (it was once dropped with them)
    Path replaced = dir.resolve("replaced_out");
    runOk(
        "forward",
        "--input",
        in.toString(),
        "--output",
        replaced.toString(),
        "--logits-col",
        "scores",
        "--output-col",
        "scores");
    assertThat(duckValue("SELECT scores FROM " + parquet(replaced)).toString())
        .isEqualTo("[0.5, 0.5]");
    assertThat(Files.readString(replaced.resolve("_summary.json")))
        .contains("\"columns\" : [ \"id\", \"scores\" ]");
  }

  /**
   * Under the fail policy the checked function alone (no separate row check), the output column and
   * the write's sort by partition in one stage of generated code, reading the scan's columnar
   * arrays. Nothing observes the rows (an observation runs outside generated code and split that
   * stage in two): the write command counts them, and the summary's rows in come from that count.
   */
  @Test
  void underFailTheCheckedFunctionRunsAloneInOneGeneratedStage() throws Exception {
    String plan = writePlan(dir.resolve("one_stage"), "fail");
    assertThat(plan)
        .as("the write's plan")
        .doesNotContain("CollectMetrics")
        .doesNotContain("CheckFunction")
        .doesNotContainPattern("[^d]SoftmaxFunction");
    String stage = stageOf(plan, "SoftmaxCheckedFunction");
    // the scan's columnar batches feed that stage directly, and the write's sort is part of it
    assertThat(plan)
        .as(plan)
        .containsPattern("\\*\\(" + stage + "\\) ColumnarToRow")
        .containsPattern("\\*\\(" + stage + "\\) Sort");
  }

  /**
   * Under skip (and quarantine) every row is marked: the row check and the function in one
   * generated stage.
   */
  @Test
  void underSkipTheCheckAndTheFunctionRunInOneGeneratedStage() throws Exception {
    String plan = writePlan(dir.resolve("one_stage_skip"), "skip");
    assertThat(plan).as("the write's plan").doesNotContain("SoftmaxCheckedFunction");
    String stage = stageOf(plan, "CheckFunction");
    assertThat(stageOf(plan, "SoftmaxFunction")).as(plan).isEqualTo(stage);
    assertThat(plan).as(plan).containsPattern("\\*\\(" + stage + "\\) ColumnarToRow");
  }

  /** The executed plan of the write of a forward run over {@code floats} under {@code policy}. */
  private static String writePlan(Path out, String policy) throws InterruptedException {
    AtomicReference<String> written = new AtomicReference<>();
    QueryExecutionListener listener =
        new QueryExecutionListener() {
          @Override
          public void onSuccess(String funcName, QueryExecution qe, long durationNs) {
            String plan = qe.executedPlan().treeString();
            if (plan.contains("SoftmaxCheckedFunction") || plan.contains("CheckFunction")) {
              written.set(plan);
            }
          }

          @Override
          public void onFailure(String funcName, QueryExecution qe, Exception exception) {}
        };
    JobTestKit.spark().listenerManager().register(listener);
    // the plan of Spark's row path, which the page path would otherwise replace under fail
    JobTestKit.spark().conf().set(PageWrite.ENABLED, "false");
    try {
      runOk(
          "forward",
          "--input",
          floats.toString(),
          "--output",
          out.toString(),
          "--on-bad-row",
          policy);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (written.get() == null && System.nanoTime() < until) {
        Thread.sleep(50);
      }
    } finally {
      JobTestKit.spark().conf().unset(PageWrite.ENABLED);
      JobTestKit.spark().listenerManager().unregister(listener);
    }
    assertThat(written.get()).as("the write's plan").isNotNull();
    return written.get();
  }

  /** The generated-code stage, {@code *(n)}, of the plan line that calls {@code function}. */
  private static String stageOf(String plan, String function) {
    Matcher m = Pattern.compile("\\*\\((\\d+)\\) [^\\n]*" + function).matcher(plan);
    assertThat(m.find()).as("%s in a generated stage of %s", function, plan).isTrue();
    return m.group(1);
  }
}
