package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The float kernels compute in plain double arithmetic (no double-double, no compensated sums):
 * {@link FloatKernels} derives how far from the exact value a result may be before its one rounding
 * to float. This holds both the scalar and the vector kernels to that derivation against the
 * double-double {@link Reference}: every float result is within half a float ulp of the exact value
 * plus the derived bound, a bound thousands of times tighter than a float ulp at these widths.
 * Computing in float arithmetic, or losing a term, fails it.
 */
class FloatRowsTest {
  private static final double U = 0x1p-53;

  /** A kernel of each kind, with its number of partial sums k. */
  private record Kind(
      int k,
      RowKernels.OfFloat forward,
      RowKernels.OfFloat log,
      RowKernels.PairOfFloat fromProbs,
      RowKernels.PairOfFloat fromLogits,
      RowKernels.PairOfFloat fromLogProbs) {}

  private static final Map<String, Kind> KINDS =
      Map.of(
          "scalar",
              new Kind(
                  2,
                  FloatKernels::forward,
                  FloatKernels::logForward,
                  FloatKernels::fromProbs,
                  FloatKernels::fromLogits,
                  FloatKernels::fromLogProbs),
          "vector",
              new Kind(
                  VectorSoftmax.lanes(),
                  VectorSoftmax::forward,
                  VectorSoftmax::logForward,
                  VectorBackward::fromProbs,
                  VectorBackward::fromLogits,
                  VectorBackward::fromLogProbs));

  private static final double[] TEMPERATURES = {1.0, 0.37, 4.0};

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void forwardIsRoundedOnceFromWithinTheDerivedBound(int width, double scale, long seed) {
    float[] z = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    for (double t : TEMPERATURES) {
      DoubleDouble[] exact = Reference.softmax(RandomRows.toDoubles(z), t);
      double[] x = shifted(z, t);
      for (var kind : KINDS.entrySet()) {
        float[] s = new float[width];
        kind.getValue().forward().apply(z, t, s);
        double sums = sums(width, kind.getValue().k()) + 6 * Math.log(width + 1);
        for (int j = 0; j < width; j++) {
          double bound = (sums + 2 * finite(x[j]) + 16) * U * Math.abs(exact[j].value());
          assertRoundedOnce(
              s[j], exact[j], bound, kind.getKey() + " forward, seed " + seed + ", T " + t, j);
        }
      }
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void logSoftmaxIsRoundedOnceFromWithinTheDerivedBound(int width, double scale, long seed) {
    float[] z = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    for (double t : TEMPERATURES) {
      DoubleDouble[] exact = Reference.logSoftmax(RandomRows.toDoubles(z), t);
      double[] x = shifted(z, t);
      // the mean |x| of the terms log1p sums (all but the maximum's), weighted by the terms
      int arg = argMax(x);
      double weighted = 0;
      double rest = 0;
      for (int j = 0; j < width; j++) {
        if (j != arg && x[j] != Double.NEGATIVE_INFINITY) {
          weighted += Math.abs(x[j]) * Math.exp(x[j]);
          rest += Math.exp(x[j]);
        }
      }
      double meanAbs = rest > 0 ? weighted / rest : 0;
      for (var kind : KINDS.entrySet()) {
        float[] y = new float[width];
        kind.getValue().log().apply(z, t, y);
        double bound = (1.5 * (sums(width, kind.getValue().k()) + 2 + 2 * meanAbs) + 8) * U;
        for (int j = 0; j < width; j++) {
          String what = kind.getKey() + " log_softmax, seed " + seed + ", T " + t;
          if (z[j] == Float.NEGATIVE_INFINITY) {
            assertThat(y[j]).as("%s, index %d", what, j).isEqualTo(Float.NEGATIVE_INFINITY);
          } else {
            assertRoundedOnce(y[j], exact[j], bound * Math.abs(exact[j].value()), what, j);
          }
        }
      }
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void backwardFromProbsIsRoundedOnceFromWithinTheDerivedBound(int width, double scale, long seed) {
    float[] s = RandomRows.toFloats(probabilities(RandomRows.logits(width, scale, seed)));
    float[] g = RandomRows.toFloats(RandomRows.grads(width, seed));
    double[] sd = RandomRows.toDoubles(s);
    double[] gd = RandomRows.toDoubles(g);
    for (double t : TEMPERATURES) {
      DoubleDouble[] exact = Reference.backward(Reference.exact(sd), gd, t);
      double[] scaleOf = Reference.backwardScale(sd, gd, t);
      for (var kind : KINDS.entrySet()) {
        float[] dz = new float[width];
        kind.getValue().fromProbs().apply(s, g, t, dz);
        double factor = (sums(width, kind.getValue().k()) + 4) * U;
        for (int i = 0; i < width; i++) {
          assertRoundedOnce(
              dz[i],
              exact[i],
              factor * scaleOf[i],
              kind.getKey() + " from probs, seed " + seed + ", T " + t,
              i);
        }
      }
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void backwardFromLogitsIsRoundedOnceFromWithinTheDerivedBound(
      int width, double scale, long seed) {
    float[] z = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    float[] g = RandomRows.toFloats(RandomRows.grads(width, seed));
    double[] gd = RandomRows.toDoubles(g);
    for (double t : TEMPERATURES) {
      DoubleDouble[] probs = Reference.softmax(RandomRows.toDoubles(z), t);
      DoubleDouble[] exact = Reference.backward(probs, gd, t);
      double[] sd = new double[width];
      for (int j = 0; j < width; j++) {
        sd[j] = probs[j].value();
      }
      double[] scaleOf = Reference.backwardScale(sd, gd, t);
      double[] x = shifted(z, t);
      double maxAbs = 0;
      for (double v : x) {
        maxAbs = Math.max(maxAbs, finite(v));
      }
      for (var kind : KINDS.entrySet()) {
        float[] dz = new float[width];
        kind.getValue().fromLogits().apply(z, g, t, dz);
        double sums = 2 * sums(width, kind.getValue().k()) + 6 * Math.log(width + 1) + 2 * maxAbs;
        for (int i = 0; i < width; i++) {
          double bound = (sums + 2 * finite(x[i]) + 32) * U * scaleOf[i];
          assertRoundedOnce(
              dz[i], exact[i], bound, kind.getKey() + " from logits, seed " + seed + ", T " + t, i);
        }
      }
    }
  }

  /**
   * The log-softmax backward (g - exp(y) sum(g)) / t: the sum of n floats in k partial sums is
   * within (n/k + k) u of the sum of |g_j|, exp and the three operations after it add a few u, all
   * on the scale (|g_i| + exp(y_i) sum_j |g_j|) / t.
   */
  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void logSoftmaxBackwardIsRoundedOnceFromWithinTheDerivedBound(
      int width, double scale, long seed) {
    DoubleDouble[] logProbs = Reference.logSoftmax(RandomRows.logits(width, scale, seed), 1.0);
    float[] y = new float[width];
    for (int j = 0; j < width; j++) {
      y[j] = (float) logProbs[j].value();
    }
    float[] g = RandomRows.toFloats(RandomRows.grads(width, seed));
    DoubleDouble sum = DoubleDouble.ZERO;
    double abs = 0;
    for (float v : g) {
      sum = sum.plus(DoubleDouble.of(v));
      abs += Math.abs(v);
    }
    for (double t : TEMPERATURES) {
      for (var kind : KINDS.entrySet()) {
        float[] dz = new float[width];
        kind.getValue().fromLogProbs().apply(y, g, t, dz);
        double factor = (sums(width, kind.getValue().k()) + 8) * U;
        for (int i = 0; i < width; i++) {
          DoubleDouble p = DoubleDouble.exp(DoubleDouble.of(y[i]));
          DoubleDouble exact =
              DoubleDouble.of(g[i]).minus(p.times(sum)).dividedBy(DoubleDouble.of(t));
          double scaleOf = (Math.abs(g[i]) + p.value() * abs) / t;
          assertRoundedOnce(
              dz[i],
              exact,
              factor * scaleOf,
              kind.getKey() + " log_softmax backward, seed " + seed + ", T " + t,
              i);
        }
      }
    }
  }

  /**
   * A NaN anywhere in a row of logits makes the whole result NaN, in the forward, the log-softmax
   * and the backward from logits of both kinds: first, last (the vector kernels' tail), beside a
   * masked -inf, alone. The scalar kernels find the maximum without looking at NaN and rely on the
   * NaN's term reaching every result; this holds them to that.
   */
  @Test
  void aNanAnywhereInTheLogitsMakesTheWholeRowNaN() {
    float nan = Float.NaN;
    float inf = Float.NEGATIVE_INFINITY;
    float[] wide = new float[37];
    for (int j = 0; j < wide.length; j++) {
      wide[j] = j % 5 - 2.5f;
    }
    float[][] rows = {
      {nan},
      {nan, 1, 2},
      {1, nan, 2},
      {1, 2, nan},
      {3, inf, nan},
      {nan, inf},
      withNan(wide, 0),
      withNan(wide, 17),
      withNan(wide, 36)
    };
    for (var kind : KINDS.entrySet()) {
      for (float[] z : rows) {
        for (double t : TEMPERATURES) {
          float[] g = new float[z.length];
          Arrays.fill(g, 0.5f);
          float[] out = new float[z.length];
          String what = kind.getKey() + " " + Arrays.toString(z) + ", T " + t;
          kind.getValue().forward().apply(z, t, out);
          assertThat(out).as("forward, %s", what).containsOnly(nan);
          out = new float[z.length];
          kind.getValue().log().apply(z, t, out);
          assertThat(out).as("log-softmax, %s", what).containsOnly(nan);
          out = new float[z.length];
          kind.getValue().fromLogits().apply(z, g, t, out);
          assertThat(out).as("backward from logits, %s", what).containsOnly(nan);
        }
      }
    }
  }

  private static float[] withNan(float[] z, int at) {
    float[] copy = z.clone();
    copy[at] = Float.NaN;
    return copy;
  }

  /**
   * A float rounded to nearest from a double within {@code bound} of the exact value is within half
   * its ulp plus {@code bound} of it.
   */
  private static void assertRoundedOnce(
      float actual, DoubleDouble exact, double bound, String what, int index) {
    assertThat(Math.abs(exact.errorOf(actual)))
        .as(
            "%s, index %d: got %s, exact %s, bound %s beyond half an ulp",
            what, index, actual, exact.value(), bound)
        .isLessThanOrEqualTo(Math.ulp(actual) / 2.0 + bound);
  }

  /** The error of n terms summed in k partial sums, then those summed: n/k + k (in u). */
  private static double sums(int n, int k) {
    return Math.ceil((double) n / k) + k;
  }

  /** (z - m) / t as the tests see it, to size the bounds. */
  private static double[] shifted(float[] z, double t) {
    double m = Double.NEGATIVE_INFINITY;
    for (float v : z) {
      m = Math.max(m, v);
    }
    double[] x = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      x[j] = (z[j] - m) / t;
    }
    return x;
  }

  /** |x|, or 0 for a masked entry (its term is exactly 0). */
  private static double finite(double x) {
    return Double.isFinite(x) ? Math.abs(x) : 0;
  }

  private static int argMax(double[] x) {
    int arg = 0;
    for (int j = 1; j < x.length; j++) {
      arg = x[j] > x[arg] ? j : arg;
    }
    return arg;
  }

  /** Softmax of a row, from the reference, as doubles: probabilities to round to float. */
  private static double[] probabilities(double[] z) {
    DoubleDouble[] s = Reference.softmax(z, 1.0);
    double[] p = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      p[j] = s[j].value();
    }
    return p;
  }
}
