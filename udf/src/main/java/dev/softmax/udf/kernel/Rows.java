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

  static void sameLength(String what, int a, String other, int b) {
    if (a != b) {
      throw new IllegalArgumentException(
          what + " has " + a + " elements but " + other + " has " + b);
    }
  }
}
