package dev.softmax.udf.kernel;

/** Shape checks and float/double conversions shared by the kernels. */
final class Rows {
  private Rows() {}

  static double[] widen(float[] x) {
    double[] w = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      w[i] = x[i];
    }
    return w;
  }

  static void narrow(double[] x, float[] out) {
    for (int i = 0; i < x.length; i++) {
      out[i] = (float) x[i];
    }
  }

  /** Float rows through a double kernel: widened, computed in double, rounded once. */
  static void viaDouble(float[] x, double t, float[] out, RowKernels.OfDouble kernel) {
    double[] y = new double[out.length];
    kernel.apply(widen(x), t, y);
    narrow(y, out);
  }

  /** Float row pairs through a double kernel: widened, computed in double, rounded once. */
  static void viaDouble(float[] a, float[] b, double t, float[] out, RowKernels.PairOfDouble kernel) {
    double[] y = new double[out.length];
    kernel.apply(widen(a), widen(b), t, y);
    narrow(y, out);
  }

  static void sameLength(String what, int a, String other, int b) {
    if (a != b) {
      throw new IllegalArgumentException(
          what + " has " + a + " elements but " + other + " has " + b);
    }
  }
}
