package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Functions on per-token rows ({@code array<array<float>>}, tokens x classes): applied along the
 * last axis, checked against PyTorch 2.13's float64 values for 30 sequences (resources/losses,
 * {@code sequences.parquet}) and against the same function on each token's row.
 */
class PerTokenFunctionsTest {
  private static SparkSession spark;
  private static JsonNode expected;

  @BeforeAll
  static void start() throws Exception {
    spark = TestSpark.session();
    try (InputStream in =
        PerTokenFunctionsTest.class.getResourceAsStream("/losses/expected_losses.json")) {
      expected = new ObjectMapper().readTree(in).get("sequences");
    }
    spark.read().parquet(resource("sequences.parquet")).createOrReplaceTempView("sequences");
  }

  private static String resource(String name) throws URISyntaxException {
    return Path.of(PerTokenFunctionsTest.class.getResource("/losses/" + name).toURI()).toString();
  }

  private static double value(JsonNode n) {
    return n.isTextual() ? Double.parseDouble(n.asText().replace("inf", "Infinity")) : n.asDouble();
  }

  /** Within one float ulp of {@code scale}. */
  private static void assertWithinUlp(String what, float got, double want, double scale) {
    assertThat(Math.abs(got - want)).as(what).isLessThanOrEqualTo(Math.ulp((float) scale));
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void crossEntropyAndSoftmaxPerTokenMatchPyTorch(String mode) {
    TestSpark.useCodegen(spark, mode);
    List<Row> rows =
        spark
            .sql(
                "SELECT id, flatten(nn.softmax(logits)), nn.cross_entropy(logits, labels),"
                    + " flatten(nn.cross_entropy_backward(logits, labels)) FROM sequences ORDER BY id")
            .collectAsList();
    assertThat(rows).hasSize(30);
    int tokens = 0;
    for (Row r : rows) {
      JsonNode want = expected.get(String.valueOf(r.getLong(0)));
      // tokens x classes, flattened (a nested array reaches Java as a Scala collection)
      List<Float> probs = r.getList(1);
      List<Float> loss = r.getList(2);
      List<Float> grad = r.getList(3);
      assertThat(loss).hasSize(want.get("ce_loss").size());
      for (int t = 0; t < loss.size(); t++) {
        String at = "id " + r.getLong(0) + " token " + t;
        double l = value(want.get("ce_loss").get(t));
        assertWithinUlp(at + " loss", loss.get(t), l, 1 + Math.abs(l));
        int classes = want.get("probs").get(t).size();
        for (int j = 0; j < classes; j++) {
          double p = value(want.get("probs").get(t).get(j));
          assertWithinUlp(at + " prob " + j, probs.get(t * classes + j), p, p);
          double g = value(want.get("ce_grad").get(t).get(j));
          // the gradient's scale S_j + |q_j| is at least |g|
          assertWithinUlp(at + " grad " + j, grad.get(t * classes + j), g, p + Math.abs(g - p));
        }
        tokens++;
      }
    }
    assertThat(tokens).isGreaterThan(30);
  }

  @Test
  void theGuidesMeanLossOverTokensIsPyTorchsReductionMean() {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    // the query docs/losses.md gives
    double mean =
        spark
            .sql(
                "SELECT avg(loss) FROM sequences LATERAL VIEW"
                    + " posexplode(cross_entropy(logits, labels)) t AS token, loss"
                    + " WHERE labels[token] <> -100")
            .collectAsList()
            .get(0)
            .getDouble(0);
    double sum = 0;
    int count = 0;
    for (Row r : spark.sql("SELECT id, labels FROM sequences").collectAsList()) {
      List<Long> labels = r.getList(1);
      JsonNode losses = expected.get(String.valueOf(r.getLong(0))).get("ce_loss");
      for (int t = 0; t < labels.size(); t++) {
        if (labels.get(t) != -100) {
          sum += value(losses.get(t));
          count++;
        }
      }
    }
    assertThat(count).isPositive();
    // each float loss is within one float ulp of PyTorch's: so is their mean, relatively
    assertThat(mean).isCloseTo(sum / count, within(1e-6 * sum / count));
  }

  @Test
  void eachTokenGetsWhatItsOwnRowGets() {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    Row r =
        spark
            .sql(
                "SELECT nn.log_softmax(z) <=> array(nn.log_softmax(z[0]), nn.log_softmax(z[1])),"
                    + " nn.softmax_backward(nn.softmax(z), g)"
                    + "   <=> array(nn.softmax_backward(nn.softmax(z[0]), g[0]),"
                    + "             nn.softmax_backward(nn.softmax(z[1]), g[1])),"
                    + " nn.softmax_entropy(z, 2) <=> array(nn.softmax_entropy(z[0], 2),"
                    + "                                    nn.softmax_entropy(z[1], 2)),"
                    + " nn.kl_distill(z, g, 2) <=> array(nn.kl_distill(z[0], g[0], 2),"
                    + "                                  nn.kl_distill(z[1], g[1], 2)),"
                    + " nn.softmax_topk(z, 2) <=> array(nn.softmax_topk(z[0], 2),"
                    + "                                 nn.softmax_topk(z[1], 2))"
                    + " FROM (SELECT array(array(1d, 2d, 3d), array(0d, double('-Infinity'), 5d)) AS z,"
                    + " array(array(0.5d, 1d, -1d), array(2d, 0d, 1d)) AS g)")
            .collectAsList()
            .get(0);
    for (int i = 0; i < r.size(); i++) {
      assertThat(r.getBoolean(i)).as("column %d", i).isTrue();
    }
  }

  @Test
  void aNullTokenOrLabelGivesANullElementAndPaddingGivesZero() {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    Row r =
        spark
            .sql(
                "SELECT nn.cross_entropy(array(array(0f, 0f), NULL, array(0f, 0f)),"
                    + " array(1, 0, CAST(NULL AS INT))),"
                    + " nn.cross_entropy(array(array(0f, 0f)), array(-100))")
            .collectAsList()
            .get(0);
    List<Float> loss = r.getList(0);
    assertThat(loss.get(0)).isEqualTo((float) Math.log(2));
    assertThat(loss.get(1)).isNull();
    assertThat(loss.get(2)).isNull();
    assertThat(r.<Float>getList(1)).containsExactly(0f);
  }

  @Test
  void tokenCountsThatDifferAreRefusedNamingTheFunction() {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    assertThatThrownBy(
            () ->
                spark
                    .sql("SELECT nn.cross_entropy(array(array(0f, 0f), array(1f, 0f)), array(1))")
                    .collect())
        .hasStackTraceContaining("nn.cross_entropy: the per-token arguments have 2 and 1 tokens");
  }
}
