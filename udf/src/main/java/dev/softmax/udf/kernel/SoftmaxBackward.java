package dev.softmax.udf.kernel;

import java.util.Arrays;

/**
 * The softmax backward pass as a vector-Jacobian product, in O(L) time and memory.
 *
 * <p>With {@code J = diag(S) - S S^T} (symmetric), {@code dL/dz = J^T g = S * (g - <S, g>)}; with
 * a temperature T the chain rule adds a factor 1/T. No L x L matrix is formed ({@link Jacobian}
 * does that, as a reference). A row whose {@code <S, g>} is not finite (NaN or infinite inputs)
 * gives a NaN row. Float rows are widened to double and rounded once.
 */
public final class SoftmaxBackward {
  private SoftmaxBackward() {}

  /** dL/dz from the probabilities S = softmax(z / t) and the upstream gradient g = dL/dS. */
  public static void fromProbs(double[] s, double[] g, double t, double[] out) {
    Rows.sameLength("probs", s.length, "grad", g.length);
    Rows.sameLength("probs", s.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorBackward.fromProbs(s, g, t, out);
    } else {
      scalarFromProbs(s, g, t, out);
    }
  }

  /** The scalar kernel: the reference the vector kernel must agree with. Checked arguments. */
  static void scalarFromProbs(double[] s, double[] g, double t, double[] out) {
    double dot = Dot.compensated(s, g);
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Double.NaN);
      return;
    }
    for (int i = 0; i < s.length; i++) {
      double v = s[i] * (g[i] - dot);
      out[i] = t == Temperature.NONE ? v : v / t;
    }
  }

  /** Float rows: computed in double, rounded once. */
  public static void fromProbs(float[] s, float[] g, double t, float[] out) {
    Rows.sameLength("probs", s.length, "grad", g.length);
    Rows.sameLength("probs", s.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorBackward.fromProbs(s, g, t, out);
    } else {
      scalarFromProbs(s, g, t, out);
    }
  }

  /** The scalar kernel on float rows, read in place (widened element by element, no copies). */
  static void scalarFromProbs(float[] s, float[] g, double t, float[] out) {
    double[] acc = new double[2];
    for (int i = 0; i < s.length; i++) {
      Dot.add(acc, s[i], g[i]);
    }
    double dot = acc[0] + acc[1];
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    for (int i = 0; i < s.length; i++) {
      double v = s[i] * ((double) g[i] - dot);
      out[i] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  /** dL/dz from the logits z: recomputes S = softmax(z / t) in double first. */
  public static void fromLogits(double[] z, double[] g, double t, double[] out) {
    Rows.sameLength("logits", z.length, "grad", g.length);
    Rows.sameLength("logits", z.length, "output", out.length);
    double[] s = new double[z.length];
    Softmax.forward(z, t, s);
    fromProbs(s, g, t, out);
  }

  /** Float rows: S is kept in double, the result rounded once. */
  public static void fromLogits(float[] z, float[] g, double t, float[] out) {
    Rows.sameLength("logits", z.length, "grad", g.length);
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorBackward.fromLogits(z, g, t, out);
    } else {
      Rows.viaDouble(z, g, t, out, SoftmaxBackward::scalarFromLogits);
    }
  }

  /** The scalar kernels from logits (double rows): the reference for the vector ones. */
  static void scalarFromLogits(double[] z, double[] g, double t, double[] out) {
    double[] s = new double[z.length];
    Softmax.scalarForward(z, t, s);
    scalarFromProbs(s, g, t, out);
  }

  /**
   * The log-softmax backward: given y = log_softmax(z / t) and g = dL/dy, writes {@code dL/dz = (g
   * - exp(y) * sum(g)) / t}.
   */
  public static void fromLogProbs(double[] y, double[] g, double t, double[] out) {
    Rows.sameLength("log_probs", y.length, "grad", g.length);
    Rows.sameLength("log_probs", y.length, "output", out.length);
    Temperature.check(t);
    double sum = Dot.sum(g);
    if (!Double.isFinite(sum)) {
      Arrays.fill(out, Double.NaN);
      return;
    }
    for (int i = 0; i < y.length; i++) {
      double v = g[i] - Math.exp(y[i]) * sum;
      out[i] = t == Temperature.NONE ? v : v / t;
    }
  }

  /** Float rows: computed in double, rounded once. */
  public static void fromLogProbs(float[] y, float[] g, double t, float[] out) {
    Rows.sameLength("log_probs", y.length, "grad", g.length);
    Rows.sameLength("log_probs", y.length, "output", out.length);
    Rows.viaDouble(y, g, t, out, SoftmaxBackward::fromLogProbs);
  }
}
