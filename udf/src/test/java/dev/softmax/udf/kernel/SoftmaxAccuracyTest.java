package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Forward and log-softmax against the double-double {@link Reference}. */
class SoftmaxAccuracyTest {
  private static final double DOUBLE_RELATIVE = 1e-13;

  /** Both forward kernels, whichever one this JVM would pick. */
  static final Map<String, RowKernels.OfDouble> KERNELS =
      Map.of("scalar", Softmax::scalarForward, "vector", VectorSoftmax::forward);

  /** Both float forward kernels. */
  static final Map<String, RowKernels.OfFloat> FLOAT_KERNELS =
      Map.of(
          "scalar", FloatKernels::forward,
          "vector", VectorSoftmax::forward);

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void doubleForwardIsWithin1e13Relative(int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    for (double t : new double[] {1.0, 0.37, 4.0}) {
      DoubleDouble[] exact = Reference.softmax(z, t);
      for (var kernel : KERNELS.entrySet()) {
        double[] s = new double[width];
        kernel.getValue().apply(z, t, s);
        assertDoubleClose(s, exact, kernel.getKey() + " kernel, seed " + seed + ", T " + t);
      }
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void floatForwardIsWithinOneFloatUlp(int width, double scale, long seed) {
    float[] z = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    for (double t : new double[] {1.0, 0.37}) {
      DoubleDouble[] exact = Reference.softmax(RandomRows.toDoubles(z), t);
      for (var kernel : FLOAT_KERNELS.entrySet()) {
        float[] s = new float[width];
        kernel.getValue().apply(z, t, s);
        assertFloatClose(s, exact, kernel.getKey() + " kernel, seed " + seed + ", T " + t);
      }
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void doubleLogSoftmaxIsWithin1e13OfItsScale(int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    for (double t : new double[] {1.0, 2.5}) {
      double[] y = new double[width];
      Softmax.logForward(z, t, y);
      DoubleDouble[] ref = Reference.logSoftmax(z, t);
      for (int j = 0; j < width; j++) {
        if (z[j] == Double.NEGATIVE_INFINITY) {
          assertThat(y[j]).isEqualTo(Double.NEGATIVE_INFINITY);
          continue;
        }
        // y = (z - m)/T - log(sum): conditioned on the size of its two terms, not on |y|
        double scaleOfTerms = Math.abs(ref[j].value()) + 2 * Math.log(width) + 1;
        assertThat(Math.abs(ref[j].errorOf(y[j])))
            .as("seed %d, T %s, index %d: got %s, exact %s", seed, t, j, y[j], ref[j].value())
            .isLessThanOrEqualTo(DOUBLE_RELATIVE * scaleOfTerms);
      }
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void floatLogSoftmaxIsWithinOneFloatUlp(int width, double scale, long seed) {
    float[] z = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    float[] y = new float[width];
    Softmax.logForward(z, 1.0, y);
    assertFloatClose(y, Reference.logSoftmax(RandomRows.toDoubles(z), 1.0), "seed " + seed);
  }

  @Test
  void knownValuesOfOneTwoThree() {
    // exact to 50 digits (Python decimal): 0.0900305731703804579980...,
    // 0.2447284710547976524729...,
    // 0.6652409557748218895290...; the kernel is within 1 ulp of each
    double[] s = new double[3];
    Softmax.forward(new double[] {1, 2, 3}, 1.0, s);
    assertThat(s[0]).isCloseTo(0.090030573170380458, within(Math.ulp(0.09)));
    assertThat(s[1]).isCloseTo(0.24472847105479765, within(Math.ulp(0.24)));
    assertThat(s[2]).isCloseTo(0.66524095577482189, within(Math.ulp(0.66)));
  }

  static void assertDoubleClose(double[] actual, DoubleDouble[] exact, String what) {
    for (int j = 0; j < actual.length; j++) {
      // below the normal range relative error has no meaning: an absolute floor of MIN_NORMAL
      double bound = DOUBLE_RELATIVE * Math.abs(exact[j].value()) + Double.MIN_NORMAL;
      assertThat(Math.abs(exact[j].errorOf(actual[j])))
          .as("%s, index %d: got %s, exact %s", what, j, actual[j], exact[j].value())
          .isLessThanOrEqualTo(bound);
    }
  }

  static void assertFloatClose(float[] actual, DoubleDouble[] exact, String what) {
    for (int j = 0; j < actual.length; j++) {
      double e = exact[j].value();
      if (e == Double.NEGATIVE_INFINITY) {
        assertThat(actual[j]).as("%s, index %d", what, j).isEqualTo(Float.NEGATIVE_INFINITY);
        continue;
      }
      assertThat(Math.abs(exact[j].errorOf(actual[j])))
          .as("%s, index %d: got %s, exact %s", what, j, actual[j], e)
          .isLessThanOrEqualTo((double) Math.ulp((float) e));
    }
  }
}
