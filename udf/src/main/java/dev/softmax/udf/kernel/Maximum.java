package dev.softmax.udf.kernel;

/**
 * The largest element, or the largest magnitude, of a row: what the row checks need, in one pass
 * that cannot miss a NaN ({@code Math.max} semantics: NaN when any element is NaN). With the {@link
 * Kernels#VECTOR vector kernel} when the JDK's Vector API is there.
 */
public final class Maximum {
  private Maximum() {}

  /** The maximum of {@code z}: NaN when any element is NaN, -inf for an empty row. */
  public static double of(float[] z) {
    return Kernels.VECTOR ? VectorMaximum.of(z) : scalarOf(z);
  }

  /** The maximum of {@code z}: NaN when any element is NaN, -inf for an empty row. */
  public static double of(double[] z) {
    return Kernels.VECTOR ? VectorMaximum.of(z) : scalarOf(z);
  }

  /**
   * The largest |z_j|: NaN when any element is NaN, +inf when one is infinite, 0 for an empty row.
   */
  public static double magnitude(float[] z) {
    return Kernels.VECTOR ? VectorMaximum.magnitude(z) : scalarMagnitude(z);
  }

  /**
   * The largest |z_j|: NaN when any element is NaN, +inf when one is infinite, 0 for an empty row.
   */
  public static double magnitude(double[] z) {
    return Kernels.VECTOR ? VectorMaximum.magnitude(z) : scalarMagnitude(z);
  }

  static double scalarOf(float[] z) {
    float max = Float.NEGATIVE_INFINITY;
    for (float v : z) {
      max = Math.max(max, v);
    }
    return max;
  }

  static double scalarOf(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    return max;
  }

  static double scalarMagnitude(float[] z) {
    float max = 0;
    for (float v : z) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }

  static double scalarMagnitude(double[] z) {
    double max = 0;
    for (double v : z) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }
}
