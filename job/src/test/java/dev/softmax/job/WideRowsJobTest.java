package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows as wide as an LLM vocabulary in bounded memory: 200 rows of 262,144 floats in one file, one
 * task, a 1 GiB heap (Spark's default reader batch would hold all 200 rows of both columns at
 * once), checked against DuckDB's softmax of a sample of rows; and a row too wide for the heap is
 * refused in one line before any work.
 */
@Tag(JobProcess.TAG)
class WideRowsJobTest {
  private static final int WIDTH = 262_144;
  private static final Map<String, String> ONE_TASK = Map.of("spark.master", "local[1]");

  @TempDir static Path dir;
  static Path wide;

  @BeforeAll
  static void generateInOneTaskUnderOneGiB() throws Exception {
    wide = dir.resolve("wide");
    JobProcess p =
        JobProcess.start(
            dir.resolve("generate.log"),
            ONE_TASK,
            "generate",
            "--output",
            wide.toString(),
            "--rows",
            "200",
            "--width",
            Integer.toString(WIDTH),
            "--partitions",
            "1",
            "--grad");
    assertThat(p.await()).as(p.output()).isZero();
  }

  /**
   * DuckDB's softmax (in double: float subtraction would cost ulps) of a few rows, and the job's
   * probabilities beside it.
   */
  private static final String REFERENCE =
      """
      WITH l AS (SELECT id, logits::DOUBLE[] AS logits, list_max(logits)::DOUBLE AS m
                 FROM read_parquet('%1$s/**/*.parquet') WHERE id IN (0, 117, 199)),
           s AS (SELECT id, logits, m, list_sum(list_transform(logits, x -> exp(x - m))) AS z FROM l)
      SELECT s.id, list_transform(s.logits, x -> exp(x - s.m) / s.z) AS expected, p.probs
      FROM s JOIN read_parquet('%2$s/**/*.parquet') p ON p.id = s.id ORDER BY s.id""";

  @Test
  void forwardRunsInOneTaskUnderOneGiBAndMatchesDuckDb() throws Exception {
    Path probs = dir.resolve("probs");
    JobProcess p =
        JobProcess.start(
            dir.resolve("forward.log"),
            ONE_TASK,
            "forward",
            "--input",
            wide.toString(),
            "--output",
            probs.toString());
    assertThat(p.await()).as(p.output()).isZero();
    assertThat(p.output()).contains("200 rows in, 200 written");
    int rows = 0;
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(String.format(REFERENCE, wide, probs))) {
      while (rs.next()) {
        Object[] expected = (Object[]) rs.getArray("expected").getArray();
        Object[] got = (Object[]) rs.getArray("probs").getArray();
        assertThat(got).hasSize(WIDTH);
        for (int i = 0; i < WIDTH; i++) {
          double want = ((Number) expected[i]).doubleValue();
          float have = ((Number) got[i]).floatValue();
          if (Math.abs(have - want) > Math.ulp((float) want)) {
            throw new AssertionError(
                "id " + rs.getLong("id") + " [" + i + "]: " + have + " vs DuckDB " + want);
          }
        }
        rows++;
      }
    }
    assertThat(rows).isEqualTo(3);
  }

  @Test
  void backwardFromLogitsRunsInOneTaskUnderOneGiB() throws Exception {
    Path grads = dir.resolve("grads");
    JobProcess p =
        JobProcess.start(
            dir.resolve("backward.log"),
            ONE_TASK,
            "backward",
            "--input",
            wide.toString(),
            "--logits-col",
            "logits",
            "--output",
            grads.toString());
    assertThat(p.await()).as(p.output()).isZero();
    assertThat(p.output()).contains("200 rows in, 200 written");
    int rows = 0;
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(String.format(BACKWARD_REFERENCE, wide, grads))) {
      while (rs.next()) {
        Object[] probs = (Object[]) rs.getArray("s").getArray();
        Object[] g = (Object[]) rs.getArray("g").getArray();
        Object[] got = (Object[]) rs.getArray("grad_logits").getArray();
        double dot = rs.getDouble("dot");
        double absDot = rs.getDouble("abs_dot");
        assertThat(got).hasSize(WIDTH);
        for (int i = 0; i < WIDTH; i++) {
          double si = ((Number) probs[i]).doubleValue();
          double gi = ((Number) g[i]).doubleValue();
          double want = si * (gi - dot);
          double scale = si * (Math.abs(gi) + absDot);
          float have = ((Number) got[i]).floatValue();
          if (Math.abs(have - want) > Math.ulp((float) scale)) {
            throw new AssertionError(
                "id " + rs.getLong("id") + " [" + i + "]: " + have + " vs DuckDB " + want);
          }
        }
        rows++;
      }
    }
    assertThat(rows).isEqualTo(2);
  }

  /**
   * DuckDB's S * (g - <S, g>) of a few rows, and the scale S_i (|g_i| + sum_j S_j |g_j|) of its
   * error.
   */
  private static final String BACKWARD_REFERENCE =
      """
      WITH l AS (SELECT id, logits::DOUBLE[] AS logits, grad::DOUBLE[] AS g, list_max(logits)::DOUBLE AS m
                 FROM read_parquet('%1$s/**/*.parquet') WHERE id IN (3, 150)),
           z AS (SELECT id, logits, g, m, list_sum(list_transform(logits, x -> exp(x - m))) AS z FROM l),
           s AS (SELECT id, g, list_transform(logits, x -> exp(x - m) / z) AS s FROM z)
      SELECT s.id, s.s, s.g, list_inner_product(s.s, s.g) AS dot,
             list_inner_product(s.s, list_transform(s.g, x -> abs(x))) AS abs_dot, b.grad_logits
      FROM s JOIN read_parquet('%2$s/**/*.parquet') b ON b.id = s.id ORDER BY s.id""";

  @Test
  void aRowTooWideForTheHeapIsRefusedInOneLineBeforeAnyWork() throws Exception {
    Path out = dir.resolve("too_wide");
    JobProcess p =
        JobProcess.start(
            dir.resolve("too_wide.log"),
            ONE_TASK,
            "generate",
            "--output",
            out.toString(),
            "--rows",
            "2",
            "--width",
            "200000000",
            "--partitions",
            "1");
    assertThat(p.await()).as(p.output()).isEqualTo(2);
    assertThat(p.output())
        .containsPattern(
            "softmax generate: rows of 200000000 values: about 762 MiB of arrays a row,"
                + " input read 0 MiB at a time; a task needs about \\d+ MiB but has \\d+ MiB \\(\\d+ MiB heap for 1 task at once\\);"
                + " raise the driver's memory");
    assertThat(out).doesNotExist();
  }
}
