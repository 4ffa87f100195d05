package dev.softmax.udf.kernel;

/** The softmax temperature T in softmax(z / T): finite and strictly positive. */
public final class Temperature {
  /** The temperature that leaves the logits unscaled. */
  public static final double NONE = 1.0;

  private Temperature() {}

  /**
   * Returns {@code t} when it is a valid temperature.
   *
   * @throws IllegalArgumentException when {@code t} is NaN, infinite, zero or negative
   */
  public static double check(double t) {
    if (!(t > 0) || Double.isInfinite(t)) {
      throw new IllegalArgumentException("temperature must be finite and > 0, got " + t);
    }
    return t;
  }
}
