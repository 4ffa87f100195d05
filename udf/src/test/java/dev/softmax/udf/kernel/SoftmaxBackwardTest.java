package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The fused backward against the double-double reference, finite differences and the Jacobian. */
class SoftmaxBackwardTest {
  private static final double U = 0x1p-53;

  /** DESIGN.md's bound on the scale S_i (|g_i| + sum_j S_j |g_j|): (2 ceil(log2 L) + 4) u. */
  private static double doubleBound(int width) {
    int log2 = width <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(width - 1);
    return (2 * log2 + 4) * U;
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void doubleBackwardFromProbsIsWithinBoundOnItsScale(int width, double scale, long seed) {
    double[] s = new double[width];
    Softmax.forward(RandomRows.logits(width, scale, seed), 1.0, s);
    double[] g = RandomRows.grads(width, seed);
    for (double t : new double[] {1.0, 0.7}) {
      double[] dz = new double[width];
      SoftmaxBackward.fromProbs(s, g, t, dz);
      DoubleDouble[] ref = Reference.backward(Reference.exact(s), g, t);
      double[] scaleOf = Reference.backwardScale(s, g, t);
      // with T != 1 the final division by T rounds once more
      double bound = doubleBound(width) + (t == 1.0 ? 0 : U);
      for (int i = 0; i < width; i++) {
        assertThat(Math.abs(ref[i].errorOf(dz[i])))
            .as("seed %d, T %s, index %d: got %s, exact %s", seed, t, i, dz[i], ref[i].value())
            .isLessThanOrEqualTo(bound * scaleOf[i]);
      }
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void floatBackwardFromProbsIsWithinOneFloatUlpOfItsScale(int width, double scale, long seed) {
    float[] sf = new float[width];
    Softmax.forward(RandomRows.toFloats(RandomRows.logits(width, scale, seed)), 1.0, sf);
    float[] gf = RandomRows.toFloats(RandomRows.grads(width, seed));
    float[] dz = new float[width];
    SoftmaxBackward.fromProbs(sf, gf, 1.0, dz);
    double[] s = RandomRows.toDoubles(sf);
    double[] g = RandomRows.toDoubles(gf);
    assertFloatWithinUlpOfScale(
        dz,
        Reference.backward(Reference.exact(s), g, 1.0),
        Reference.backwardScale(s, g, 1.0),
        "seed " + seed);
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void backwardFromLogitsMatchesTheReference(int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    double[] g = RandomRows.grads(width, seed);
    double t = 1.5;
    DoubleDouble[] exactS = Reference.softmax(z, t);
    DoubleDouble[] ref = Reference.backward(exactS, g, t);
    double[] s = new double[width];
    for (int i = 0; i < width; i++) {
      s[i] = exactS[i].value();
    }
    double[] scaleOf = Reference.backwardScale(s, g, t);

    double[] dz = new double[width];
    SoftmaxBackward.fromLogits(z, g, t, dz);
    // S itself carries a few ulp of the forward pass on top of the backward's own bound
    double bound = doubleBound(width) + 8 * U;
    for (int i = 0; i < width; i++) {
      assertThat(Math.abs(ref[i].errorOf(dz[i])))
          .as("seed %d, index %d: got %s, exact %s", seed, i, dz[i], ref[i].value())
          .isLessThanOrEqualTo(bound * scaleOf[i] + Double.MIN_NORMAL);
    }

    float[] zf = RandomRows.toFloats(z);
    float[] gf = RandomRows.toFloats(g);
    float[] dzf = new float[width];
    SoftmaxBackward.fromLogits(zf, gf, t, dzf);
    double[] gw = RandomRows.toDoubles(gf);
    DoubleDouble[] exactSf = Reference.softmax(RandomRows.toDoubles(zf), t);
    double[] sw = new double[width];
    for (int i = 0; i < width; i++) {
      sw[i] = exactSf[i].value();
    }
    assertFloatWithinUlpOfScale(
        dzf,
        Reference.backward(exactSf, gw, t),
        Reference.backwardScale(sw, gw, t),
        "float, seed " + seed);
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void logSoftmaxBackwardMatchesTheReference(int width, double scale, long seed) {
    double[] y = new double[width];
    Softmax.logForward(RandomRows.logits(width, scale, seed), 1.0, y);
    double[] g = RandomRows.grads(width, seed);
    double[] dz = new double[width];
    SoftmaxBackward.fromLogProbs(y, g, 1.0, dz);
    DoubleDouble gSum = DoubleDouble.ZERO;
    double gAbs = 0;
    for (double v : g) {
      gSum = gSum.plus(DoubleDouble.of(v));
      gAbs += Math.abs(v);
    }
    for (int i = 0; i < width; i++) {
      DoubleDouble p = DoubleDouble.exp(DoubleDouble.of(y[i]));
      DoubleDouble ref = DoubleDouble.of(g[i]).minus(p.times(gSum));
      double scaleOf = Math.abs(g[i]) + p.value() * gAbs;
      assertThat(Math.abs(ref.errorOf(dz[i])))
          .as("seed %d, index %d: got %s, exact %s", seed, i, dz[i], ref.value())
          .isLessThanOrEqualTo((doubleBound(width) + 2 * U) * scaleOf);
    }
  }

  @Test
  void fusedBackwardMatchesCentralFiniteDifferences() {
    Random r = new Random(42);
    for (int trial = 0; trial < 20; trial++) {
      int width = 1 + r.nextInt(12);
      double t = 0.5 + r.nextDouble() * 2;
      double[] z = new double[width];
      double[] g = new double[width];
      for (int j = 0; j < width; j++) {
        z[j] = 3 * r.nextGaussian();
        g[j] = r.nextGaussian();
      }
      double[] dz = new double[width];
      SoftmaxBackward.fromLogits(z, g, t, dz);
      double h = 1e-6;
      for (int i = 0; i < width; i++) {
        double[] up = z.clone();
        double[] down = z.clone();
        up[i] += h;
        down[i] -= h;
        double numeric = (loss(up, g, t) - loss(down, g, t)) / (2 * h);
        assertThat(dz[i])
            .as("trial %d (seed 42), index %d", trial, i)
            .isCloseTo(numeric, Offset.offset(1e-8));
      }
    }
  }

  /** L(z) = <g, softmax(z / t)>, whose gradient is the backward pass. */
  private static double loss(double[] z, double[] g, double t) {
    double[] s = new double[z.length];
    Softmax.forward(z, t, s);
    double l = 0;
    for (int j = 0; j < z.length; j++) {
      l += g[j] * s[j];
    }
    return l;
  }

  @Test
  void fusedBackwardEqualsTheExplicitJacobianProduct() {
    for (int width : new int[] {1, 2, 5, 64, 513}) {
      long seed = 31L * width;
      double[] s = new double[width];
      Softmax.forward(RandomRows.logits(width, 2, seed), 1.0, s);
      double[] g = RandomRows.grads(width, seed);
      double[] fused = new double[width];
      SoftmaxBackward.fromProbs(s, g, 1.0, fused);
      double[] viaMatrix = Jacobian.transposeTimes(Jacobian.of(s), g);
      double[] scaleOf = Reference.backwardScale(s, g, 1.0);
      for (int i = 0; i < width; i++) {
        // the plain matrix product rounds L times: its error grows like L u
        assertThat(Math.abs(fused[i] - viaMatrix[i]))
            .as("width %d, seed %d, index %d", width, seed, i)
            .isLessThanOrEqualTo((width + 4) * U * scaleOf[i]);
      }
    }
  }

  @Test
  void nonFiniteInputsGiveANaNRow() {
    double[] dz = new double[2];
    SoftmaxBackward.fromProbs(new double[] {0.5, 0.5}, new double[] {1, Double.NaN}, 1.0, dz);
    assertThat(dz).containsOnly(Double.NaN);
    SoftmaxBackward.fromProbs(
        new double[] {0.5, 0.5}, new double[] {Double.POSITIVE_INFINITY, 1}, 1.0, dz);
    assertThat(dz).containsOnly(Double.NaN);
    SoftmaxBackward.fromLogits(new double[] {Double.NaN, 1}, new double[] {1, 1}, 1.0, dz);
    assertThat(dz).containsOnly(Double.NaN);
  }

  @Test
  void knownValues() {
    // S = (0.25, 0.75), g = (1, 0): <S,g> = 0.25, dz = (0.25 * 0.75, 0.75 * -0.25)
    double[] dz = new double[2];
    SoftmaxBackward.fromProbs(new double[] {0.25, 0.75}, new double[] {1, 0}, 1.0, dz);
    assertThat(dz).containsExactly(0.1875, -0.1875);
    SoftmaxBackward.fromProbs(new double[] {0.25, 0.75}, new double[] {1, 0}, 2.0, dz);
    assertThat(dz).containsExactly(0.09375, -0.09375);
    SoftmaxBackward.fromProbs(new double[0], new double[0], 1.0, new double[0]);
  }

  @Test
  void lengthMismatchNamesBothLengths() {
    assertThatThrownBy(
            () -> SoftmaxBackward.fromProbs(new float[3], new float[4], 1.0, new float[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("probs has 3 elements but grad has 4");
    assertThatThrownBy(
            () -> SoftmaxBackward.fromLogits(new double[2], new double[1], 1.0, new double[2]))
        .hasMessage("logits has 2 elements but grad has 1");
  }

  static void assertFloatWithinUlpOfScale(
      float[] dz, DoubleDouble[] ref, double[] scaleOf, String what) {
    for (int i = 0; i < dz.length; i++) {
      assertThat(Math.abs(ref[i].errorOf(dz[i])))
          .as("%s, index %d: got %s, exact %s", what, i, dz[i], ref[i].value())
          .isLessThanOrEqualTo((double) Math.ulp((float) scaleOf[i]));
    }
  }
}
