package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backward runs end to end against S * (g - <S, g>) recomputed in DuckDB SQL. */
class BackwardJobTest {
  @TempDir static Path dir;
  static Path input;

  private static final String ROWS =
      "SELECT id, CAST(id % 2 AS INT) AS part, 'x' || id AS tag,"
          + " transform(sequence(1, CAST(id % 30 + 1 AS INT)), j -> (xxhash64(id, j) % 1000) / 100.0D) AS z,"
          + " transform(sequence(1, CAST(id % 30 + 1 AS INT)), j -> (xxhash64(j, id) % 1000) / 300.0D) AS g"
          + " FROM range(200)";

  @BeforeAll
  static void writeInput() {
    input = dir.resolve("in");
    JobTestKit.spark()
        .sql(ROWS)
        .selectExpr(
            "id",
            "part",
            "tag",
            "CAST(z AS array<float>) AS logits",
            "CAST(g AS array<float>) AS grad")
        .write()
        .partitionBy("part")
        .parquet(input.toString());
  }

  /** Elements of the job's output next to DuckDB's S * (g - <S, g>) / T, in double. */
  private static String elements(String probs, String grad, String join, String out, String t) {
    String dot =
        "list_sum(list_transform(list_zip(" + probs + ", " + grad + "), lambda q: q[1] * q[2]))";
    String expected =
        "list_transform(list_zip("
            + probs
            + ", "
            + grad
            + "), lambda q: q[1] * (q[2] - "
            + dot
            + ") / "
            + t
            + ")";
    String scale =
        "list_transform(list_zip("
            + probs
            + ", "
            + grad
            + "), lambda q: q[1] * (abs(q[2]) + "
            + "list_sum(list_transform(list_zip("
            + probs
            + ", "
            + grad
            + "), lambda r: r[1] * abs(r[2])))) / "
            + t
            + ")";
    return "SELECT id, unnest(CAST(o."
        + out
        + " AS DOUBLE[])) AS d, unnest("
        + expected
        + ") AS e, unnest("
        + scale
        + ") AS s FROM "
        + join;
  }

  @Test
  void backwardFromProbsIsWithinOneFloatUlpOnItsScale() {
    Path probs = dir.resolve("probs");
    Path out = dir.resolve("grad_logits");
    runOk("forward", "--input", input.toString(), "--output", probs.toString());
    JobTestKit.Result r =
        runOk("backward", "--input", probs.toString(), "--output", out.toString());
    assertThat(r.out()).contains("backward: 200 rows in, 200 written");
    assertThat(duck("DESCRIBE SELECT * FROM " + parquet(out)))
        .extracting(m -> m.get("column_name"))
        .containsExactlyInAnyOrder("id", "tag", "grad_logits", "part");

    String join = parquet(probs) + " i JOIN " + parquet(out) + " o USING (id)";
    String rows =
        elements(
            "CAST(i.probs AS DOUBLE[])", "CAST(i.grad AS DOUBLE[])", join, "grad_logits", "1.0");
    assertThat(
            duckValue(
                "SELECT count(*) FROM (" + rows + ") WHERE abs(d - e) > s * pow(2, -23) + 1e-45"))
        .isEqualTo(0L);
    assertThat(duckValue("SELECT count(*) FROM (" + rows + ")"))
        .isEqualTo(duckValue("SELECT CAST(sum(len(logits)) AS BIGINT) FROM " + parquet(input)));
  }

  @Test
  void backwardFromLogitsWithTemperatureMatchesDuckDb() {
    Path out = dir.resolve("from_logits");
    runOk(
        "backward",
        "--input",
        input.toString(),
        "--output",
        out.toString(),
        "--logits-col",
        "logits",
        "--temperature",
        "0.5");
    String z = "CAST(i.logits AS DOUBLE[])";
    String shifted = "list_transform(" + z + ", lambda x: exp((x - list_max(" + z + ")) / 0.5))";
    String s = "list_transform(" + shifted + ", lambda e: e / list_sum(" + shifted + "))";
    String join = parquet(input) + " i JOIN " + parquet(out) + " o USING (id)";
    String rows = elements(s, "CAST(i.grad AS DOUBLE[])", join, "grad_logits", "0.5");
    assertThat(
            duckValue(
                "SELECT count(*) FROM (" + rows + ") WHERE abs(d - e) > s * pow(2, -22) + 1e-40"))
        .isEqualTo(0L);
  }

  @Test
  void gradientsFromAnotherDatasetAreJoinedOnTheKey() {
    Path logits = dir.resolve("join_logits");
    Path grads = dir.resolve("join_grads");
    // gradients in another order, in other files; id 5 has none and id 7 has two
    JobTestKit.spark()
        .sql(ROWS)
        .selectExpr("id", "z AS logits")
        .where("id < 20")
        .write()
        .parquet(logits.toString());
    JobTestKit.spark()
        .sql(ROWS)
        .selectExpr("id", "g AS grad")
        .where("id < 20 AND id != 5")
        .union(JobTestKit.spark().sql(ROWS).selectExpr("id", "g AS grad").where("id = 7"))
        .orderBy("grad")
        .repartition(3)
        .write()
        .parquet(grads.toString());
    Path out = dir.resolve("joined");
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
            out.toString(),
            "--on-bad-row",
            "quarantine");
    assertThat(r.out())
        .contains(
            "backward: 20 rows in, 18 written, 0 skipped, 2 quarantined",
            "missing gradient 1",
            "duplicate gradient key 1");
    Path quarantine = dir.resolve("joined.quarantine");
    assertThat(duck("SELECT id, error FROM " + parquet(quarantine) + " ORDER BY id"))
        .extracting(m -> m.get("id") + " " + m.get("error"))
        .containsExactly("5 missing gradient", "7 duplicate gradient key");

    String z = "i.logits";
    String shifted = "list_transform(" + z + ", lambda x: exp(x - list_max(" + z + ")))";
    String s = "list_transform(" + shifted + ", lambda e: e / list_sum(" + shifted + "))";
    String join =
        parquet(logits)
            + " i JOIN "
            + parquet(out)
            + " o USING (id) JOIN "
            + "(SELECT id, grad FROM "
            + parquet(grads)
            + " WHERE id != 7) gr USING (id)";
    String rows = elements(s, "gr.grad", join, "grad_logits", "1.0");
    assertThat(duckValue("SELECT count(DISTINCT id) FROM (" + rows + ")")).isEqualTo(18L);
    assertThat(
            duckValue("SELECT count(*) FROM (" + rows + ") WHERE abs(d - e) > s * 1e-13 + 1e-300"))
        .isEqualTo(0L);
  }
}
