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
 *   <li>{@code z_j - m} of two floats is exact in double when their exponents are within 29 of each
 *       other, and within u of itself otherwise; dividing by T adds one rounding. So {@code x_j} is
 *       within 2u|x_j| of {@code (z_j - m) / T}, and {@code exp(x_j)} within (2|x_j| + 4)u of its
 *       exact value, relatively ({@link Exp}, which these kernels use, is within 3u; the vector
 *       kernels' exp within 1u). A probability that does not underflow a float has |x_j| <= 104 +
 *       ln n.
 *   <li>A sum of n non-negative terms in k plain partial sums is within (n/k + k)u of the exact
 *       sum; a dot product of float rows likewise within (n/k + k)u of the sum of |s_j g_j| (the
 *       product of two floats is exact in double).
 *   <li>The final division, subtraction and products add a few u.
 * </ul>
 *
 * So before its one rounding to float every result is within (n/k + 252)u of the exact value
 * (forward) or of the scale it is measured on (log-softmax, backward). For n < 2^26 k that is below
 * a quarter of a float ulp (at least 2^-25 relative): the result is within half a float ulp plus
 * that, within one float ulp. {@code FloatRowsTest} checks these bounds against the double-double
 * reference, for both the scalar and the vector kernels. Computing in float arithmetic instead gave
 * errors of up to 47 float ulp.
 */
final class FloatKernels {
  private FloatKernels() {}

  /** softmax(z / t) of a float row. */
  static void forward(float[] z, double t, float[] out) {
    int n = z.length;
    double m = largest(z);
    if (invalid(m, n, out)) {
      return;
    }
    double[] e = widened(z, Scratch.doubles(n), 0);
    double sum0 = 0;
    double sum1 = 0;
    int j = 0;
    for (; j + 1 < n; j += 2) {
      double a = Exp.of(shifted(e[j], m, t));
      double b = Exp.of(shifted(e[j + 1], m, t));
      e[j] = a;
      e[j + 1] = b;
      sum0 += a;
      sum1 += b;
    }
    if (j < n) {
      e[j] = Exp.of(shifted(e[j], m, t));
      sum0 += e[j];
    }
    narrow(e, 1 / (sum0 + sum1), out);
  }

  /**
   * log_softmax(z / t) of a float row: x_j - log1p(the sum of every term but the maximum's own), so
   * the log keeps the other terms' precision when they are tiny.
   */
  static void logForward(float[] z, double t, float[] out) {
    int n = z.length;
    double m = largest(z);
    if (invalid(m, n, out)) {
      return;
    }
    double[] x = widened(z, Scratch.doubles(n), 0);
    int arg = firstIndexOf(x, m);
    double rest = 0;
    for (int j = 0; j < n; j++) {
      x[j] = shifted(x[j], m, t);
      rest += j == arg ? 0 : Exp.of(x[j]);
    }
    double logSum = Math.log1p(rest);
    for (int j = 0; j < n; j++) {
      x[j] -= logSum;
    }
    narrow(x, 1, out);
  }

  /** dL/dz = S * (g - <S, g>) / t from float probabilities and gradient. */
  static void fromProbs(float[] s, float[] g, double t, float[] out) {
    int n = s.length;
    double[] w = Scratch.doubles(2 * n);
    widened(s, w, 0);
    widened(g, w, n);
    double dot0 = 0;
    double dot1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      dot0 += w[i] * w[n + i];
      dot1 += w[i + 1] * w[n + i + 1];
    }
    if (i < n) {
      dot0 += w[i] * w[n + i];
    }
    double dot = dot0 + dot1;
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    for (i = 0; i < n; i++) {
      w[i] *= w[n + i] - dot;
    }
    narrow(w, 1 / t, out);
  }

  /**
   * dL/dz from float logits: the terms e_j = exp(x_j) with their sum and <e, g> in one pass, then
   * <S, g> = <e, g> / sum and S_j (g_j - <S, g>) / t with S_j = e_j / sum, in double.
   */
  static void fromLogits(float[] z, float[] g, double t, float[] out) {
    int n = z.length;
    double m = largest(z);
    if (invalid(m, n, out)) {
      return;
    }
    double[] w = Scratch.doubles(2 * n);
    widened(z, w, 0);
    widened(g, w, n);
    double sum0 = 0;
    double sum1 = 0;
    double dot0 = 0;
    double dot1 = 0;
    int j = 0;
    for (; j + 1 < n; j += 2) {
      double a = Exp.of(shifted(w[j], m, t));
      double b = Exp.of(shifted(w[j + 1], m, t));
      w[j] = a;
      w[j + 1] = b;
      sum0 += a;
      sum1 += b;
      dot0 += a * w[n + j];
      dot1 += b * w[n + j + 1];
    }
    if (j < n) {
      w[j] = Exp.of(shifted(w[j], m, t));
      sum0 += w[j];
      dot0 += w[j] * w[n + j];
    }
    double sum = sum0 + sum1;
    double dot = (dot0 + dot1) / sum;
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    for (j = 0; j < n; j++) {
      w[j] *= w[n + j] - dot;
    }
    narrow(w, 1 / sum / t, out);
  }

  /**
   * The log-softmax backward, {@code (g - exp(y) * sum(g)) / t}, from float log-probabilities and
   * gradient.
   */
  static void fromLogProbs(float[] y, float[] g, double t, float[] out) {
    int n = y.length;
    double[] w = Scratch.doubles(2 * n);
    widened(y, w, 0);
    widened(g, w, n);
    double sum0 = 0;
    double sum1 = 0;
    int i = 0;
    for (; i + 1 < n; i += 2) {
      sum0 += w[n + i];
      sum1 += w[n + i + 1];
    }
    if (i < n) {
      sum0 += w[n + i];
    }
    double sum = sum0 + sum1;
    if (!Double.isFinite(sum)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    for (i = 0; i < n; i++) {
      w[i] = w[n + i] - Exp.of(w[i]) * sum;
    }
    narrow(w, 1 / t, out);
  }

  /**
   * {@code x} widened into {@code w[from..from + x.length)}. Conversions get loops of their own,
   * which the JIT vectorizes: a loop that mixes float loads or stores with double arithmetic it
   * leaves scalar, several times slower (docs/performance.md, "C2: float and double in one loop").
   */
  private static double[] widened(float[] x, double[] w, int from) {
    for (int i = 0; i < x.length; i++) {
      w[from + i] = x[i];
    }
    return w;
  }

  /** {@code out[i] = (float) (w[i] * scale)}: each result rounded to float once. */
  private static void narrow(double[] w, double scale, float[] out) {
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) (w[i] * scale);
    }
  }

  /** (z - m) / t in double; -inf for a masked entry. */
  private static double shifted(double z, double m, double t) {
    return t == Temperature.NONE ? z - m : (z - m) / t;
  }

  /**
   * True, with {@code out} set to NaN, when a row whose maximum is {@code m} has no valid softmax:
   * m is NaN (the vector kernels' maximum of a row with a NaN in it), +inf, or -inf (only masked
   * entries; for {@link #largest}, only masked entries and NaN). True, with nothing to do, for an
   * empty row. A NaN that {@link #largest} skips makes the row NaN through the sum instead.
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

  /**
   * The largest element of a float row, its NaNs skipped: -inf when it has no other. A NaN is not
   * lost: its term (exp of NaN) is NaN, so is the sum of the terms, and every result of the
   * forward, the log-softmax and the backward from logits is computed from that sum, so the whole
   * row comes out NaN, as the contract says. One comparison per element costs about half as much as
   * {@code Math.max} on the widened row, whose NaN rule is a chain of blends (see
   * docs/performance.md, "The row's maximum").
   */
  private static double largest(float[] z) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : z) {
      if (v > max) {
        max = v;
      }
    }
    return max;
  }

  /**
   * The first index of {@code m} in {@code x}: the maximum whose own term (exactly 1) log1p leaves
   * out.
   */
  private static int firstIndexOf(double[] x, double m) {
    int j = 0;
    while (x[j] != m) {
      j++;
    }
    return j;
  }
}
