package dev.softmax.udf.kernel;

import java.util.Arrays;

/**
 * The scalar kernels for float rows: plain double arithmetic, without the double-double and
 * compensated sums the double rows need. {@link VectorSoftmax} and {@link VectorBackward} do the
 * same in vector lanes.
 *
 * <p>Why that keeps the float contract (u = 2^-53, n the row's length, k the number of partial
 * sums: 2 here, one per lane in the vector kernels):
 *
 * <ul>
 *   <li>{@code z_j - m} of two floats is exact in double when their exponents are within 29 of
 *       each other, and within u of itself otherwise; dividing by T adds one rounding. So {@code
 *       x_j} is within 2u|x_j| of {@code (z_j - m) / T}, and {@code exp(x_j)} within (2|x_j| + 2)u
 *       of its exact value, relatively. A probability that does not underflow a float has |x_j| <=
 *       104 + ln n.
 *   <li>A sum of n non-negative terms in k plain partial sums is within (n/k + k)u of the exact sum;
 *       a dot product of float rows likewise within (n/k + k)u of the sum of |s_j g_j| (the
 *       product of two floats is exact in double).
 *   <li>The final division, subtraction and products add a few u.
 * </ul>
 *
 * So before its one rounding to float every result is within (n/k + 250)u of the exact value
 * (forward) or of the scale it is measured on (log-softmax, backward). For n < 2^27 k that is
 * below a quarter of a float ulp (at least 2^-25 relative): the result is within half a float ulp
 * plus that, within one float ulp. {@code FloatRowsTest} checks these bounds against the
 * double-double reference, for both the scalar and the vector kernels. Computing in float arithmetic
 * instead gave errors of up to 47 float ulp.
 */
final class FloatKernels {
  private FloatKernels() {}

  /** softmax(z / t) of a float row. */
  static void forward(float[] z, double t, float[] out) {
    int n = z.length;
    double m = max(z);
    if (invalid(m, n, out)) {
      return;
    }
    double[] e = Scratch.doubles(n);
    double sum0 = 0;
    double sum1 = 0;
    int j = 0;
    for (; j + 1 < n; j += 2) {
      double a = Math.exp(shifted(z[j], m, t));
      double b = Math.exp(shifted(z[j + 1], m, t));
      e[j] = a;
      e[j + 1] = b;
      sum0 += a;
      sum1 += b;
    }
    if (j < n) {
      e[j] = Math.exp(shifted(z[j], m, t));
      sum0 += e[j];
    }
    double scale = 1 / (sum0 + sum1);
    for (j = 0; j < n; j++) {
      out[j] = (float) (e[j] * scale);
    }
  }

  /**
   * log_softmax(z / t) of a float row: x_j - log1p(the sum of every term but the maximum's own),
   * so the log keeps the other terms' precision when they are tiny.
   */
  static void logForward(float[] z, double t, float[] out) {
    int n = z.length;
    double m = max(z);
    if (invalid(m, n, out)) {
      return;
    }
    int arg = firstIndexOf(z, (float) m);
    double rest = 0;
    for (int j = 0; j < n; j++) {
      rest += j == arg ? 0 : Math.exp(shifted(z[j], m, t));
    }
    double logSum = Math.log1p(rest);
    for (int j = 0; j < n; j++) {
      out[j] = (float) (shifted(z[j], m, t) - logSum);
    }
  }

  /** dL/dz = S * (g - <S, g>) / t from float probabilities and gradient. */
  static void fromProbs(float[] s, float[] g, double t, float[] out) {
    int n = s.length;
    double dot0 = 0;
    double dot1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      dot0 += (double) s[i] * g[i];
      dot1 += (double) s[i + 1] * g[i + 1];
    }
    if (i < n) {
      dot0 += (double) s[i] * g[i];
    }
    double dot = dot0 + dot1;
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    for (i = 0; i < n; i++) {
      double v = s[i] * (g[i] - dot);
      out[i] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  /**
   * dL/dz from float logits: the terms e_j = exp(x_j) with their sum and <e, g> in one pass, then
   * <S, g> = <e, g> / sum and S_j (g_j - <S, g>) / t with S_j = e_j / sum, in double.
   */
  static void fromLogits(float[] z, float[] g, double t, float[] out) {
    int n = z.length;
    double m = max(z);
    if (invalid(m, n, out)) {
      return;
    }
    double[] e = Scratch.doubles(n);
    double sum0 = 0;
    double sum1 = 0;
    double dot0 = 0;
    double dot1 = 0;
    int j = 0;
    for (; j + 1 < n; j += 2) {
      double a = Math.exp(shifted(z[j], m, t));
      double b = Math.exp(shifted(z[j + 1], m, t));
      e[j] = a;
      e[j + 1] = b;
      sum0 += a;
      sum1 += b;
      dot0 += a * g[j];
      dot1 += b * g[j + 1];
    }
    if (j < n) {
      e[j] = Math.exp(shifted(z[j], m, t));
      sum0 += e[j];
      dot0 += e[j] * g[j];
    }
    double sum = sum0 + sum1;
    double dot = (dot0 + dot1) / sum;
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    double scale = 1 / sum;
    for (j = 0; j < n; j++) {
      double v = e[j] * scale * (g[j] - dot);
      out[j] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  /** (z - m) / t in double; -inf for a masked entry. */
  private static double shifted(float z, double m, double t) {
    return t == Temperature.NONE ? z - m : (z - m) / t;
  }

  /**
   * True, with {@code out} set to NaN, when a row whose maximum is {@code m} has no valid softmax
   * (a NaN or +inf in it, or only -inf); true, with nothing to do, for an empty row.
   */
  static boolean invalid(double m, int n, float[] out) {
    if (n == 0) {
      return true;
    }
    if (m != m || Double.isInfinite(m)) {
      Arrays.fill(out, Float.NaN);
      return true;
    }
    return false;
  }

  /** The maximum, NaN when any element is NaN. */
  private static double max(float[] z) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v);
    }
    return max;
  }

  /** The first index of {@code m} in {@code z}: the maximum whose own term (exactly 1) log1p leaves out. */
  static int firstIndexOf(float[] z, float m) {
    int j = 0;
    while (z[j] != m) {
      j++;
    }
    return j;
  }
}
