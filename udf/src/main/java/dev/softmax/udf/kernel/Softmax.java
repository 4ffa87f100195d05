package dev.softmax.udf.kernel;

import java.util.Arrays;

/**
 * Row-wise softmax {@code S_j = exp(z_j / T) / sum_l exp(z_l / T)} and log-softmax over one row.
 *
 * <p>Semantics (as PyTorch, JAX and scipy): an empty row gives an empty row; NaN or +inf anywhere
 * makes the whole row NaN; -inf is a masked entry (probability 0, log-probability -inf); a row of
 * only -inf is a NaN row. The maximum is subtracted first, so logits up to +-1e308 do not overflow.
 *
 * <p>Accuracy: {@code z_j - max} is carried as an unevaluated sum of two doubles (and so is its
 * quotient by T), the denominator is summed with compensation, and float rows are widened to double
 * and rounded once at the end. Double results are within a few ulp; float results are within one
 * float ulp of the exact value.
 */
public final class Softmax {
  private Softmax() {}

  /**
   * Writes softmax(z / t) into {@code out}, which has the length of {@code z}; with the {@link
   * Kernels#VECTOR vector kernel} when the JDK's Vector API is there, else the scalar one.
   */
  public static void forward(double[] z, double t, double[] out) {
    if (Kernels.VECTOR) {
      VectorSoftmax.forward(z, t, out);
    } else {
      scalarForward(z, t, out);
    }
  }

  /** The scalar forward kernel: the reference the vector kernel must agree with. */
  static void scalarForward(double[] z, double t, double[] out) {
    int arg = start(z, t, out);
    if (arg < 0) {
      return;
    }
    double sum = 1.0 + shiftedExps(z, arg, t, out);
    for (int j = 0; j < out.length; j++) {
      out[j] /= sum;
    }
  }

  /**
   * Float rows: computed in plain double arithmetic ({@link FloatKernels} says why), rounded once.
   */
  public static void forward(float[] z, double t, float[] out) {
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorSoftmax.forward(z, t, out);
    } else {
      FloatKernels.forward(z, t, out);
    }
  }

  /** Writes log_softmax(z / t) = (z - max) / t - log(sum exp((z - max) / t)) into {@code out}. */
  public static void logForward(double[] z, double t, double[] out) {
    if (Kernels.VECTOR) {
      VectorSoftmax.logForward(z, t, out);
    } else {
      scalarLogForward(z, t, out);
    }
  }

  /** The scalar log-softmax kernel: the reference the vector kernel must agree with. */
  static void scalarLogForward(double[] z, double t, double[] out) {
    int arg = start(z, t, out);
    if (arg < 0) {
      return;
    }
    // log1p of the sum without the maximum's own term (exactly 1) keeps log(sum) accurate when
    // the other terms are tiny.
    double logSum = Math.log1p(shiftedExps(z, arg, t, out));
    double m = z[arg];
    for (int j = 0; j < z.length; j++) {
      double d = z[j] - m;
      double x = t == Temperature.NONE ? d : d / t;
      out[j] = x == Double.NEGATIVE_INFINITY ? x : (x - logSum) + lowPart(z[j], m, d, t, x);
    }
  }

  /**
   * Float rows: computed in plain double arithmetic ({@link FloatKernels} says why), rounded once.
   */
  public static void logForward(float[] z, double t, float[] out) {
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    if (Kernels.VECTOR) {
      VectorSoftmax.logForward(z, t, out);
    } else {
      FloatKernels.logForward(z, t, out);
    }
  }

  /**
   * Checks the lengths and the temperature, then returns the index of the row's maximum, or -1 when
   * {@code out} is already final: an empty row, or a row with no valid softmax (set to NaN).
   */
  static int start(double[] z, double t, double[] out) {
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    if (z.length == 0) {
      return -1;
    }
    int arg = argMax(z);
    if (arg < 0) {
      Arrays.fill(out, Double.NaN);
    }
    return arg;
  }

  /**
   * Index of the row's maximum, or -1 when the row has no valid softmax: it is empty, holds a NaN
   * or +inf, or every entry is -inf.
   */
  static int argMax(double[] z) {
    int arg = -1;
    double m = Double.NEGATIVE_INFINITY;
    for (int j = 0; j < z.length; j++) {
      double v = z[j];
      if (v > m) {
        m = v;
        arg = j;
      } else if (v != v) {
        return -1;
      }
    }
    return m == Double.POSITIVE_INFINITY ? -1 : arg;
  }

  /**
   * Sets {@code e[j] = exp((z_j - max) / t)} (so {@code e[arg] = 1}) and returns the compensated
   * sum of all terms but {@code e[arg]}.
   */
  private static double shiftedExps(double[] z, int arg, double t, double[] e) {
    double m = z[arg];
    double sum = 0;
    double carry = 0;
    for (int j = 0; j < z.length; j++) {
      double d = z[j] - m;
      double x = t == Temperature.NONE ? d : d / t;
      double v;
      if (j == arg) {
        v = 1.0;
      } else if (x == Double.NEGATIVE_INFINITY) {
        v = 0.0;
      } else {
        double hi = Math.exp(x);
        // exp(x + lo) = exp(x) * (1 + lo) to well below an ulp, since |lo| <= ulp(x)
        v = Math.fma(hi, lowPart(z[j], m, d, t, x), hi);
        double y = v - carry;
        double s = sum + y;
        carry = (s - sum) - y;
        sum = s;
      }
      e[j] = v;
    }
    return sum;
  }

  /**
   * The rounding error of {@code x = (z - m) / t} as computed in double: given {@code d = fl(z -
   * m)} and {@code x = fl(d / t)}, returns {@code lo} with {@code x + lo = (z - m) / t} to double
   * precision of {@code lo}. Finite inputs only.
   */
  static double lowPart(double z, double m, double d, double t, double x) {
    double b = d - z;
    double subtractionError = (z - (d - b)) + (-m - b);
    if (t == Temperature.NONE) {
      return subtractionError;
    }
    double divisionRemainder = Math.fma(-x, t, d);
    return (divisionRemainder + subtractionError) / t;
  }
}
