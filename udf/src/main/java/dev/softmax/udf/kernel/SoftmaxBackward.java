package dev.softmax.udf.kernel;

import java.util.Arrays;

/**
 * The softmax backward pass as a vector-Jacobian product, in O(L) time and memory.
 *
 * <p>With {@code J = diag(S) - S S^T} (symmetric), {@code dL/dz = J^T g = S * (g - <S, g>)}; with a
 * temperature T the chain rule adds a factor 1/T. No L x L matrix is formed ({@link Jacobian} does
 * that, as a reference). A row whose {@code <S, g>} is not finite (NaN or infinite inputs) gives a
 * NaN row. Float rows are computed in plain double arithmetic and rounded once ({@link
 * FloatKernels} says why that is enough).
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

  /**
   * Float rows: computed in plain double arithmetic ({@link FloatKernels} says why), rounded once.
   */
  public static void fromProbs(float[] s, float[] g, double t, float[] out) {
    Rows.sameLength("probs", s.length, "grad", g.length);
    Rows.sameLength("probs", s.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorBackward.fromProbs(s, g, t, out);
    } else {
      FloatKernels.fromProbs(s, g, t, out);
    }
  }

  /** dL/dz from the logits z: recomputes S = softmax(z / t) in double first. */
  public static void fromLogits(double[] z, double[] g, double t, double[] out) {
    Rows.sameLength("logits", z.length, "grad", g.length);
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorBackward.fromLogits(z, g, t, out);
    } else {
      scalarFromLogits(z, g, t, out);
    }
  }

  /**
   * Float rows: S kept in double, in plain double arithmetic ({@link FloatKernels} says why),
   * rounded once.
   */
  public static void fromLogits(float[] z, float[] g, double t, float[] out) {
    Rows.sameLength("logits", z.length, "grad", g.length);
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorBackward.fromLogits(z, g, t, out);
    } else {
      FloatKernels.fromLogits(z, g, t, out);
    }
  }

  /** The scalar kernel from logits (double rows): the reference for the vector one. */
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
    if (Kernels.VECTOR) {
      VectorBackward.fromLogProbs(y, g, t, out);
    } else {
      scalarFromLogProbs(y, g, t, out);
    }
  }

  /** The scalar log-softmax backward (double rows): the reference for the vector one. */
  static void scalarFromLogProbs(double[] y, double[] g, double t, double[] out) {
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

  /**
   * Float rows: computed in plain double arithmetic ({@link FloatKernels} says why), rounded once.
   */
  public static void fromLogProbs(float[] y, float[] g, double t, float[] out) {
    Rows.sameLength("log_probs", y.length, "grad", g.length);
    Rows.sameLength("log_probs", y.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorBackward.fromLogProbs(y, g, t, out);
    } else {
      FloatKernels.fromLogProbs(y, g, t, out);
    }
  }
}
