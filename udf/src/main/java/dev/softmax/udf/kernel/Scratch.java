package dev.softmax.udf.kernel;

/**
 * Per-thread room for a row's unrounded double values (the terms of a float row, or S for the
 * backward pass from logits). Allocating it per row cost as much as the whole computation
 * (docs/performance.md, "Tried and dropped"); a thread reuses its own buffer, sized to the widest
 * row it has seen, and never shares it. Kernels use it for the length of the row, never beyond, and
 * never call another kernel that uses it while they hold it.
 */
final class Scratch {
  private static final ThreadLocal<double[]> DOUBLES = ThreadLocal.withInitial(() -> new double[0]);

  /** The loss kernels' rows, apart from {@link #DOUBLES}: they call kernels that use that one. */
  private static final ThreadLocal<double[][]> LOSS_ROWS =
      ThreadLocal.withInitial(() -> new double[][] {new double[0], new double[0]});

  private Scratch() {}

  /**
   * This thread's loss row {@code slot} (0 or 1) of exactly {@code length} doubles, for the output
   * of a kernel that requires its row's length: reused while the rows keep one width (a dataset's
   * classes), reallocated when it changes.
   */
  static double[] lossRow(int slot, int length) {
    double[][] rows = LOSS_ROWS.get();
    if (rows[slot].length != length) {
      rows[slot] = new double[length];
    }
    return rows[slot];
  }

  /** This thread's buffer of at least {@code length} doubles. */
  static double[] doubles(int length) {
    double[] buffer = DOUBLES.get();
    if (buffer.length < length) {
      buffer = new double[length];
      DOUBLES.set(buffer);
    }
    return buffer;
  }
}
