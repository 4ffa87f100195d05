package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float kernels of {@link Losses} against PyTorch: 120 rows of float32 logits with PyTorch's
 * float64 results ({@code src/test/resources/losses/README.md} says how they were made). A float
 * loss must be within one float ulp of the scale {@code 1 + |loss|}, a gradient element within one
 * float ulp of {@code T (S_j + |q_j|)}, with S the student's softmax at T and q the target, both
 * computed here with the double-double {@link Reference}; an infinite value must be matched
 * exactly.
 */
class LossesFixtureTest {
  private static final String DIR = "/losses/";
  private static final int ROWS = 120;

  /** One row of {@code losses.parquet} with its expected values. */
  record Case(
      long id, float[] logits, long label, float[] teacher, float[] targets, JsonNode expected) {
    @Override
    public String toString() {
      return "id " + id + ", width " + logits.length + ", label " + label;
    }
  }

  /** Read once, on first use, for every test of the class. */
  private static final class Fixture {
    static final JsonNode EXPECTED = readJson();
    static final List<Case> CASES = readCases(EXPECTED.get("rows"));
  }

  static Stream<Case> rows() {
    return Fixture.CASES.stream();
  }

  static Stream<Case> smoothedRows() {
    return rows().filter(c -> c.expected().has("ce_ls_loss"));
  }

  private static double temperature() {
    return Fixture.EXPECTED.get("temperature").asDouble();
  }

  private static double smoothing() {
    return Fixture.EXPECTED.get("label_smoothing").asDouble();
  }

  @Test
  void fixtureHasEveryRowWithItsExpectedValues() {
    assertThat(Fixture.CASES).hasSize(ROWS);
    assertThat(Fixture.EXPECTED.get("rows").size()).isEqualTo(ROWS);
    assertThat(temperature()).isEqualTo(2.0);
    assertThat(smoothing()).isEqualTo(0.1);
    assertThat(Fixture.EXPECTED.get("k").asInt()).isEqualTo(5);
    // the README's shape: every eleventh row ignored; every ninth masked at 1 and 3 where it has
    // a class 3 (9 of the 14); label smoothing where neither (120 - 11 - 9 + 2 both)
    assertThat(rows().filter(c -> c.label() == Losses.DEFAULT_IGNORE_INDEX)).hasSize(11);
    assertThat(rows().filter(c -> c.logits().length > 3 && isMasked(c.logits(), 1, 3))).hasSize(9);
    assertThat(smoothedRows()).hasSize(102);
  }

  private static boolean isMasked(float[] z, int... classes) {
    for (int j : classes) {
      if (z[j] != Float.NEGATIVE_INFINITY) {
        return false;
      }
    }
    return true;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void crossEntropyWithLabelsMatchesPyTorch(Case c) {
    assertCrossEntropy(c, 0, "ce_loss", "ce_grad");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("smoothedRows")
  void crossEntropyWithLabelSmoothingMatchesPyTorch(Case c) {
    assertCrossEntropy(c, smoothing(), "ce_ls_loss", "ce_ls_grad");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void crossEntropyWithProbabilityTargetsMatchesPyTorch(Case c) {
    assertLoss(Losses.crossEntropy(c.logits(), c.targets()), c, "soft_loss");
    float[] grad = new float[c.logits().length];
    Losses.crossEntropyBackward(c.logits(), c.targets(), 1.0, grad);
    assertGradient(grad, c, "soft_grad", scale(c.logits(), Rows.widen(c.targets()), 1.0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void distillationMatchesPyTorch(Case c) {
    double t = temperature();
    assertLoss(Losses.klDistill(c.logits(), c.teacher(), t), c, "kd_loss");
    float[] grad = new float[c.logits().length];
    Losses.klDistillBackward(c.logits(), c.teacher(), t, 1.0, grad);
    assertGradient(grad, c, "kd_grad", scale(c.logits(), softmax(c.teacher(), t), t));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void entropyMatchesPyTorch(Case c) {
    assertLoss(Losses.entropy(c.logits(), 1.0), c, "entropy");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void topFiveMatchesPyTorch(Case c) {
    JsonNode expectedIndex = c.expected().get("top5_index");
    JsonNode expectedProb = c.expected().get("top5_prob");
    int k = Fixture.EXPECTED.get("k").asInt();
    int[] index = new int[k];
    double[] prob = new double[k];
    int n = Losses.topK(c.logits(), k, 1.0, index, prob);
    assertThat(n).isEqualTo(expectedIndex.size());
    for (int i = 0; i < n; i++) {
      assertThat(index[i]).as("%s, rank %d", c, i).isEqualTo(expectedIndex.get(i).asInt());
      // the SQL function returns floats: compare what it will return
      float expected = (float) number(expectedProb.get(i));
      assertThat((double) Math.abs((float) prob[i] - expected))
          .as("%s, rank %d: got %s, PyTorch %s", c, i, prob[i], expected)
          .isLessThanOrEqualTo(Math.ulp(expected));
    }
  }

  private static void assertCrossEntropy(Case c, double smoothing, String loss, String grad) {
    long ignore = Losses.DEFAULT_IGNORE_INDEX;
    int width = c.logits().length;
    assertLoss(Losses.crossEntropy(c.logits(), c.label(), ignore, smoothing), c, loss);
    float[] out = new float[width];
    Losses.crossEntropyBackward(c.logits(), c.label(), ignore, smoothing, 1.0, out);
    double[] q = new double[width];
    if (c.label() != ignore) {
      for (int j = 0; j < width; j++) {
        q[j] = (j == c.label() ? 1 - smoothing : 0) + smoothing / width;
      }
    }
    assertGradient(out, c, grad, scale(c.logits(), q, 1.0));
  }

  private static void assertLoss(float got, Case c, String key) {
    double expected = number(c.expected().get(key));
    if (!Double.isFinite(expected)) {
      assertThat((double) got).as("%s, %s", c, key).isEqualTo(expected);
      return;
    }
    assertThat(Math.abs(got - expected))
        .as("%s, %s: got %s, PyTorch %s", c, key, got, expected)
        .isLessThanOrEqualTo((double) Math.ulp((float) (1 + Math.abs(expected))));
  }

  private static void assertGradient(float[] got, Case c, String key, double[] scale) {
    JsonNode expected = c.expected().get(key);
    assertThat(got).as("%s, %s", c, key).hasSize(expected.size());
    for (int j = 0; j < got.length; j++) {
      double e = number(expected.get(j));
      if (!Double.isFinite(e)) {
        assertThat((double) got[j]).as("%s, %s, index %d", c, key, j).isEqualTo(e);
        continue;
      }
      assertThat(Math.abs(got[j] - e))
          .as("%s, %s, index %d: got %s, PyTorch %s", c, key, j, got[j], e)
          .isLessThanOrEqualTo((double) Math.ulp((float) scale[j]));
    }
  }

  /** T (S_j + |q_j|) with S = softmax(z / T) from the reference. */
  private static double[] scale(float[] z, double[] q, double t) {
    double[] s = softmax(z, t);
    double[] out = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      out[j] = t * (s[j] + Math.abs(q[j]));
    }
    return out;
  }

  private static double[] softmax(float[] z, double t) {
    DoubleDouble[] exact = Reference.softmax(Rows.widen(z), t);
    double[] s = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      s[j] = exact[j].value();
    }
    return s;
  }

  /** A JSON number, or one of the strings the fixture writes for non-finite values. */
  private static double number(JsonNode node) {
    if (node.isNumber()) {
      return node.asDouble();
    }
    switch (node.asText()) {
      case "inf":
        return Double.POSITIVE_INFINITY;
      case "-inf":
        return Double.NEGATIVE_INFINITY;
      case "nan":
        return Double.NaN;
      default:
        throw new IllegalArgumentException("not a number in the fixture: " + node);
    }
  }

  private static JsonNode readJson() {
    try (InputStream in =
        LossesFixtureTest.class.getResourceAsStream(DIR + "expected_losses.json")) {
      return new ObjectMapper().readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Case> readCases(JsonNode expectedById) {
    List<Case> cases = new ArrayList<>();
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), new Path(resource("losses.parquet")))
            .withConf(new Configuration())
            .build()) {
      for (Group row = reader.read(); row != null; row = reader.read()) {
        long id = row.getLong("id", 0);
        JsonNode values = expectedById.get(Long.toString(id));
        assertThat(values).as("expected values of id %d", id).isNotNull();
        cases.add(
            new Case(
                id,
                floats(row, "logits"),
                row.getLong("label", 0),
                floats(row, "teacher_logits"),
                floats(row, "target_probs"),
                values));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return cases;
  }

  /** A list of floats: a LIST group of repeated groups of one (non-null) element each. */
  private static float[] floats(Group row, String field) {
    Group list = row.getGroup(field, 0);
    float[] out = new float[list.getFieldRepetitionCount(0)];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.getGroup(0, i).getFloat(0, 0);
    }
    return out;
  }

  private static String resource(String name) {
    URL url = LossesFixtureTest.class.getResource(DIR + name);
    try {
      return url.toURI().toString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }
}
