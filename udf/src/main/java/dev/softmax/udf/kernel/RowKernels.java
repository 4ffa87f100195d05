package dev.softmax.udf.kernel;

/**
 * The shapes of the kernels, so callers can pass one as a value ({@code Softmax::forward}): a row
 * (or two rows of one length) and a temperature in, an output row of the same length out.
 */
public final class RowKernels {
  private RowKernels() {}

  /** One double row to an output row. */
  @FunctionalInterface
  public interface OfDouble {
    void apply(double[] x, double t, double[] out);
  }

  /** One float row to an output row. */
  @FunctionalInterface
  public interface OfFloat {
    void apply(float[] x, double t, float[] out);
  }

  /** Two double rows of one length to an output row. */
  @FunctionalInterface
  public interface PairOfDouble {
    void apply(double[] a, double[] b, double t, double[] out);
  }

  /** Two float rows of one length to an output row. */
  @FunctionalInterface
  public interface PairOfFloat {
    void apply(float[] a, float[] b, double t, float[] out);
  }
}
