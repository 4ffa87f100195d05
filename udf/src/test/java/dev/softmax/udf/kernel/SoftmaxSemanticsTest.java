package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The edge-case contract shared with PyTorch, JAX and scipy. */
class SoftmaxSemanticsTest {
  private static final double NEG_INF = Double.NEGATIVE_INFINITY;

  private static double[] softmax(double... z) {
    double[] s = new double[z.length];
    Softmax.forward(z, 1.0, s);
    return s;
  }

  private static double[] logSoftmax(double... z) {
    double[] y = new double[z.length];
    Softmax.logForward(z, 1.0, y);
    return y;
  }

  @Test
  void emptyRowGivesEmptyRow() {
    assertThat(softmax()).isEmpty();
    assertThat(logSoftmax()).isEmpty();
    float[] out = new float[0];
    Softmax.forward(new float[0], 1.0, out);
    assertThat(out).isEmpty();
  }

  @Test
  void singleEntryIsProbabilityOne() {
    assertThat(softmax(-123.5)).containsExactly(1.0);
    assertThat(logSoftmax(7e300)).containsExactly(0.0);
  }

  @Test
  void nanAnywhereMakesTheWholeRowNaN() {
    assertThat(softmax(1, Double.NaN, 2)).containsOnly(Double.NaN);
    assertThat(softmax(Double.NaN, 1)).containsOnly(Double.NaN);
    assertThat(logSoftmax(1, 2, Double.NaN)).containsOnly(Double.NaN);
  }

  @Test
  void positiveInfinityMakesTheWholeRowNaN() {
    assertThat(softmax(1, Double.POSITIVE_INFINITY, 2)).containsOnly(Double.NaN);
    assertThat(logSoftmax(Double.POSITIVE_INFINITY)).containsOnly(Double.NaN);
  }

  @Test
  void negativeInfinityIsAMaskedEntry() {
    assertThat(softmax(0, NEG_INF, 0)).containsExactly(0.5, 0.0, 0.5);
    assertThat(logSoftmax(0, NEG_INF, 0)).containsExactly(-Math.log(2), NEG_INF, -Math.log(2));
  }

  @Test
  void allMaskedRowGivesNaN() {
    assertThat(softmax(NEG_INF, NEG_INF)).containsOnly(Double.NaN);
    assertThat(logSoftmax(NEG_INF)).containsOnly(Double.NaN);
  }

  @Test
  void hugeLogitsDoNotOverflow() {
    assertThat(softmax(1e308, -1e308, 1e308)).containsExactly(0.5, 0.0, 0.5);
    assertThat(softmax(-1e308, -1e308)).containsExactly(0.5, 0.5);
    float[] s = new float[2];
    Softmax.forward(new float[] {Float.MAX_VALUE, Float.MAX_VALUE}, 1.0, s);
    assertThat(s).containsExactly(0.5f, 0.5f);
  }

  @Test
  void shiftInvariance() {
    assertThat(softmax(1001, 1002, 1003)).containsExactly(softmax(1, 2, 3));
  }

  @Test
  void temperatureDividesTheLogits() {
    double[] hot = new double[3];
    Softmax.forward(new double[] {2, 4, 6}, 2.0, hot);
    assertThat(hot).containsExactly(softmax(1, 2, 3));
  }

  @ParameterizedTest
  @ValueSource(
      doubles = {0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
  void invalidTemperatureIsRefused(double t) {
    assertThatThrownBy(() -> Softmax.forward(new double[] {1, 2}, t, new double[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("temperature must be finite and > 0, got " + t);
    assertThatThrownBy(
            () -> SoftmaxBackward.fromLogits(new float[] {1}, new float[] {1}, t, new float[1]))
        .hasMessageStartingWith("temperature must be finite and > 0");
  }

  @Test
  void outputOfTheWrongLengthIsRefused() {
    assertThatThrownBy(() -> Softmax.forward(new double[] {1, 2}, 1.0, new double[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("logits has 2 elements but output has 3");
  }
}
