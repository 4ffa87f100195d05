package dev.softmax.udf.kernel;

import java.util.Arrays;
import java.util.Comparator;

/** The indices of a row's largest values, largest first, ties to the lower index. */
final class TopIndices {
  /** Up to this many, a sorted insertion list; beyond, a sort of the whole row. */
  static final int INSERTION_LIMIT = 64;

  private TopIndices() {}

  /** Writes the indices of the {@code n} largest values of {@code x} (no NaN) into {@code top}. */
  static void largest(double[] x, int n, int[] top) {
    if (n > INSERTION_LIMIT) {
      Integer[] order = new Integer[x.length];
      Arrays.setAll(order, i -> i);
      Arrays.sort(
          order,
          Comparator.<Integer>comparingDouble(i -> x[i]).reversed().thenComparingInt(i -> i));
      for (int i = 0; i < n; i++) {
        top[i] = order[i];
      }
      return;
    }
    int size = 0;
    for (int j = 0; j < x.length; j++) {
      double v = x[j];
      // a later index ranks below an equal value already held, so only a larger value enters
      if (size == n && !(v > x[top[n - 1]])) {
        continue;
      }
      int at = size == n ? n - 1 : size++;
      while (at > 0 && v > x[top[at - 1]]) {
        top[at] = top[at - 1];
        at--;
      }
      top[at] = j;
    }
  }

  /** Writes the indices of the {@code n} largest values of {@code x} (no NaN) into {@code top}. */
  static void largest(float[] x, int n, int[] top) {
    if (n > INSERTION_LIMIT) {
      Integer[] order = new Integer[x.length];
      Arrays.setAll(order, i -> i);
      Arrays.sort(
          order,
          Comparator.<Integer>comparingDouble(i -> (double) x[i])
              .reversed()
              .thenComparingInt(i -> i));
      for (int i = 0; i < n; i++) {
        top[i] = order[i];
      }
      return;
    }
    int size = 0;
    for (int j = 0; j < x.length; j++) {
      size = offer(x, n, top, size, j);
    }
  }

  /**
   * Offers {@code x[j]} to the sorted list {@code top} of {@code size} of at most {@code n} indices
   * (later indices than those held); returns its new size. A later index ranks below an equal value
   * already held, so once the list is full only a larger value enters.
   */
  static int offer(float[] x, int n, int[] top, int size, int j) {
    float v = x[j];
    if (size == n && !(v > x[top[n - 1]])) {
      return size;
    }
    int at = size == n ? n - 1 : size++;
    while (at > 0 && v > x[top[at - 1]]) {
      top[at] = top[at - 1];
      at--;
    }
    top[at] = j;
    return size;
  }
}
