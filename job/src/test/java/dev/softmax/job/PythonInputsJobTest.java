package dev.softmax.job;

import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files written by Python ML tooling (src/test/resources/python/README.md: pyarrow, Hugging Face
 * datasets, PyTorch): read or refused in one line, and every value within one float ulp of
 * PyTorch's (backward: on the scale S_i (|g_i| + sum_j S_j |g_j|)).
 */
class PythonInputsJobTest {
  private static final List<String> FIXTURES =
      List.of(
          "hf_disk/data-00000-of-00003.arrow",
          "hf_disk/data-00001-of-00003.arrow",
          "hf_disk/data-00002-of-00003.arrow",
          "hf_disk/dataset_info.json",
          "hf_disk/state.json",
          "pa_bss/part-0.parquet",
          "half.parquet",
          "hf.parquet",
          "feather_lz4.arrow",
          "large_list.arrow",
          "logits_only.parquet",
          "grads_some.parquet",
          "expected.json");

  @TempDir static Path dir;

  /** id -> {probs, grad_logits, grad} computed by PyTorch in float64. */
  static Map<Long, double[][]> expected = new HashMap<>();

  @BeforeAll
  static void copyFixtures() throws Exception {
    for (String name : FIXTURES) {
      Path to = dir.resolve(name);
      Files.createDirectories(to.getParent());
      try (InputStream in = PythonInputsJobTest.class.getResourceAsStream("/python/" + name)) {
        Files.copy(in, to);
      }
    }
    JsonNode json = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
    json.fields()
        .forEachRemaining(
            e ->
                expected.put(
                    Long.parseLong(e.getKey()),
                    new double[][] {
                      values(e.getValue().get("probs")),
                      values(e.getValue().get("grad_logits")),
                      values(e.getValue().get("grad"))
                    }));
    assertThat(expected).hasSize(120);
  }

  private static double[] values(JsonNode array) {
    double[] v = new double[array.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = array.get(i).asDouble();
    }
    return v;
  }

  private static List<Row> rows(Path output, String column) {
    return JobTestKit.spark()
        .read()
        .parquet(output.toString())
        .select("id", column)
        .collectAsList();
  }

  private static void assertProbs(Path output, int rows) {
    List<Row> got = rows(output, "probs");
    assertThat(got).hasSize(rows);
    for (Row r : got) {
      double[] want = expected.get(r.getLong(0))[0];
      List<Float> p = r.getList(1);
      assertThat(p).hasSize(want.length);
      for (int i = 0; i < want.length; i++) {
        assertThat(Math.abs(p.get(i) - want[i]))
            .as("probs of id %d [%d]: %s vs PyTorch %s", r.getLong(0), i, p.get(i), want[i])
            .isLessThanOrEqualTo((double) Math.ulp((float) want[i]));
      }
    }
  }

  private static void assertGradLogits(Path output, int rows) {
    List<Row> got = rows(output, "grad_logits");
    assertThat(got).hasSize(rows);
    for (Row r : got) {
      double[][] e = expected.get(r.getLong(0));
      double[] s = e[0];
      double[] g = e[2];
      double dot = 0;
      for (int j = 0; j < s.length; j++) {
        dot += s[j] * Math.abs(g[j]);
      }
      List<Float> d = r.getList(1);
      assertThat(d).hasSize(s.length);
      for (int i = 0; i < s.length; i++) {
        double scale = s[i] * (Math.abs(g[i]) + dot);
        assertThat(Math.abs(d.get(i) - e[1][i]))
            .as("grad_logits of id %d [%d]", r.getLong(0), i)
            .isLessThanOrEqualTo((double) Math.ulp((float) scale));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"hf_disk", "hf.parquet", "pa_bss", "feather_lz4.arrow", "large_list.arrow"})
  void forwardAndBackwardMatchPyTorchToOneFloatUlp(String fixture) {
    Path probs = dir.resolve(fixture + ".probs");
    runOk("forward", "--input", dir.resolve(fixture).toString(), "--output", probs.toString());
    assertProbs(probs, 120);
    Path grads = dir.resolve(fixture + ".grads");
    runOk(
        "backward",
        "--input",
        dir.resolve(fixture).toString(),
        "--logits-col",
        "logits",
        "--output",
        grads.toString());
    assertGradLogits(grads, 120);
  }

  @Test
  void byteStreamSplitIsReadWithTheRowBasedReaderAndSaysSo() {
    Path out = dir.resolve("bss_note");
    JobTestKit.Result r =
        runOk("forward", "--input", dir.resolve("pa_bss").toString(), "--output", out.toString());
    assertThat(r.err()).contains("uses BYTE_STREAM_SPLIT", "read with the row-based reader");
    assertThat(JobTestKit.summary(out)).contains("BYTE_STREAM_SPLIT");
    // the setting was for that run only
    assertThat(
            JobTestKit.spark().conf().get("spark.sql.parquet.enableNestedColumnVectorizedReader"))
        .isEqualTo("true");
  }

  @Test
  void gradientsFromASeparateFileAreMatchedOnId() {
    Path out = dir.resolve("joined");
    JobTestKit.Result r =
        runOk(
            "backward",
            "--input",
            dir.resolve("logits_only.parquet").toString(),
            "--grad-input",
            dir.resolve("grads_some.parquet").toString(),
            "--key",
            "id",
            "--logits-col",
            "logits",
            "--on-bad-row",
            "skip",
            "--output",
            out.toString());
    assertThat(r.out()).contains("120 rows in, 110 written, 10 skipped");
    assertGradLogits(out, 110);
  }

  @Test
  void float16IsRefusedInOneLineThatSaysWhatToConvert() {
    JobTestKit.Result r =
        run(
            "forward",
            "--input",
            dir.resolve("half.parquet").toString(),
            "--output",
            dir.resolve("half_out").toString());
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err().strip())
        .doesNotContain("\n")
        .contains("column logits of", "half.parquet holds float16", "write it as float32");
    assertThat(dir.resolve("half_out")).doesNotExist();
  }
}
