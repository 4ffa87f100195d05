package dev.softmax.udf.kernel;

/**
 * The explicit softmax Jacobian {@code J = diag(S) - S S^T}, an L x L matrix per row.
 *
 * <p>A reference and a teaching aid: it costs O(L^2) time and memory, where {@link SoftmaxBackward}
 * computes the same {@code J^T g} in O(L). Rows wider than {@link #MAX_WIDTH} are refused rather
 * than risking an out-of-memory error.
 */
public final class Jacobian {
  /** The widest row whose Jacobian is built: 4096 x 4096 doubles is 128 MiB. */
  public static final int MAX_WIDTH = 4096;

  private Jacobian() {}

  /** J[i][j] = S_i * (delta_ij - S_j). */
  public static double[][] of(double[] s) {
    checkWidth(s.length);
    double[][] j = new double[s.length][s.length];
    for (int r = 0; r < s.length; r++) {
      for (int c = 0; c < s.length; c++) {
        j[r][c] = (r == c ? s[r] : 0.0) - s[r] * s[c];
      }
    }
    return j;
  }

  /** Float rows: each entry computed in double from the widened probabilities, rounded once. */
  public static float[][] of(float[] s) {
    double[][] j = of(Rows.widen(s));
    float[][] out = new float[s.length][s.length];
    for (int r = 0; r < s.length; r++) {
      Rows.narrow(j[r], out[r]);
    }
    return out;
  }

  /** J^T g by the plain matrix-vector product (J is symmetric, so also J g). */
  public static double[] transposeTimes(double[][] j, double[] g) {
    Rows.sameLength("jacobian", j.length, "grad", g.length);
    double[] out = new double[g.length];
    for (int r = 0; r < j.length; r++) {
      for (int c = 0; c < g.length; c++) {
        out[c] += j[r][c] * g[r];
      }
    }
    return out;
  }

  /**
   * @throws IllegalArgumentException when a row of {@code width} elements is wider than {@link
   *     #MAX_WIDTH}
   */
  public static void checkWidth(int width) {
    if (width > MAX_WIDTH) {
      throw new IllegalArgumentException(
          "row has "
              + width
              + " elements; the explicit Jacobian is limited to "
              + MAX_WIDTH
              + " (use softmax_backward for J^T g in O(L))");
    }
  }
}
