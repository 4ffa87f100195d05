package dev.softmax.udf.kernel;

/**
 * Compensated sums and dot products (Ogita, Rump and Oishi, "Accurate sum and dot product", 2005):
 * as accurate as if computed in twice the working precision, then rounded once.
 */
final class Dot {
  private Dot() {}

  static double compensated(double[] a, double[] b) {
    double[] acc = new double[2];
    for (int i = 0; i < a.length; i++) {
      add(acc, a[i], b[i]);
    }
    return acc[0] + acc[1];
  }

  /**
   * Adds {@code a * b} to the compensated dot product {@code acc = {sum, error}} (one step of
   * {@link #compensated}).
   */
  static void add(double[] acc, double a, double b) {
    double p = a * b;
    double pError = Math.fma(a, b, -p);
    double s = acc[0] + p;
    double z = s - acc[0];
    acc[1] += ((acc[0] - (s - z)) + (p - z)) + pError;
    acc[0] = s;
  }

  static double sum(double[] a) {
    double sum = 0;
    double error = 0;
    for (double v : a) {
      double s = sum + v;
      double z = s - sum;
      error += (sum - (s - z)) + (v - z);
      sum = s;
    }
    return sum + error;
  }
}
