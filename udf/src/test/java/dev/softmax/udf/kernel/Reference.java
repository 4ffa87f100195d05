package dev.softmax.udf.kernel;

/**
 * Softmax, log-softmax and backward computed in double-double from the definitions: the test oracle
 * for the kernels. Inputs with NaN, +inf or all -inf are not its business.
 */
final class Reference {
  private Reference() {}

  static DoubleDouble[] softmax(double[] z, double t) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      m = Math.max(m, v);
    }
    DoubleDouble[] e = new DoubleDouble[z.length];
    DoubleDouble sum = DoubleDouble.ZERO;
    for (int j = 0; j < z.length; j++) {
      e[j] = DoubleDouble.exp(shifted(z[j], m, t));
      sum = sum.plus(e[j]);
    }
    for (int j = 0; j < z.length; j++) {
      e[j] = e[j].dividedBy(sum);
    }
    return e;
  }

  static DoubleDouble[] logSoftmax(double[] z, double t) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      m = Math.max(m, v);
    }
    DoubleDouble sum = DoubleDouble.ZERO;
    for (double v : z) {
      sum = sum.plus(DoubleDouble.exp(shifted(v, m, t)));
    }
    DoubleDouble logSum = DoubleDouble.log(sum);
    DoubleDouble[] y = new DoubleDouble[z.length];
    for (int j = 0; j < z.length; j++) {
      y[j] =
          z[j] == Double.NEGATIVE_INFINITY
              ? DoubleDouble.of(Double.NEGATIVE_INFINITY)
              : shifted(z[j], m, t).minus(logSum);
    }
    return y;
  }

  /** (z - m) / t, exactly subtracted. */
  private static DoubleDouble shifted(double z, double m, double t) {
    if (z == Double.NEGATIVE_INFINITY) {
      return DoubleDouble.of(z);
    }
    return DoubleDouble.of(z).minus(DoubleDouble.of(m)).dividedBy(DoubleDouble.of(t));
  }

  /** S * (g - <S, g>) / t from the exact values of S. */
  static DoubleDouble[] backward(DoubleDouble[] s, double[] g, double t) {
    DoubleDouble dot = DoubleDouble.ZERO;
    for (int j = 0; j < s.length; j++) {
      dot = dot.plus(s[j].times(g[j]));
    }
    DoubleDouble[] dz = new DoubleDouble[s.length];
    for (int i = 0; i < s.length; i++) {
      dz[i] = s[i].times(DoubleDouble.of(g[i]).minus(dot)).dividedBy(DoubleDouble.of(t));
    }
    return dz;
  }

  static DoubleDouble[] exact(double[] x) {
    DoubleDouble[] d = new DoubleDouble[x.length];
    for (int i = 0; i < x.length; i++) {
      d[i] = DoubleDouble.of(x[i]);
    }
    return d;
  }

  /** The scale on which backward errors are measured: S_i (|g_i| + sum_j S_j |g_j|) / t. */
  static double[] backwardScale(double[] s, double[] g, double t) {
    double weighted = 0;
    for (int j = 0; j < s.length; j++) {
      weighted += Math.abs(s[j]) * Math.abs(g[j]);
    }
    double[] scale = new double[s.length];
    for (int i = 0; i < s.length; i++) {
      scale[i] = Math.abs(s[i]) * (Math.abs(g[i]) + weighted) / t;
    }
    return scale;
  }
}
