package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The row maxima the row checks rely on, vector and scalar, against a plain comparison loop: one
 * special value (NaN, +inf, -inf, a new maximum) at every position of rows as wide as a few
 * vectors, so each lands in each running maximum of the vector body of some row and in the tail of
 * another.
 */
class MaximumTest {
  private static final int[] WIDTHS = {
    1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 200
  };
  private static final double[] SPECIALS = {
    Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e30
  };

  @Test
  void everyMaximumMatchesAComparisonLoop() {
    Random r = new Random(11);
    int checked = 0;
    for (int n : WIDTHS) {
      for (int p = 0; p < n; p++) {
        for (double special : SPECIALS) {
          double[] d = new double[n];
          for (int i = 0; i < n; i++) {
            d[i] = 10 * r.nextGaussian();
          }
          d[p] = special;
          float[] f = new float[n];
          for (int i = 0; i < n; i++) {
            f[i] = (float) d[i];
          }
          String where = "width " + n + ", " + special + " at " + p;
          checked +=
              check(
                  where,
                  maximum(d, false),
                  List.of(
                      z -> VectorMaximum.of(d),
                      z -> Maximum.scalarOf(d),
                      z -> VectorMaximum.of(f),
                      z -> Maximum.scalarOf(f)));
          checked +=
              check(
                  where,
                  maximum(d, true),
                  List.of(
                      z -> VectorMaximum.magnitude(d), z -> Maximum.scalarMagnitude(d),
                      z -> VectorMaximum.magnitude(f), z -> Maximum.scalarMagnitude(f)));
        }
      }
    }
    assertThat(checked).isEqualTo(8 * SPECIALS.length * Arrays.stream(WIDTHS).sum());
  }

  @Test
  void aRowOfOnlyMinusInfinityHasMaximumMinusInfinityAndAnEmptyRowHasNone() {
    float[] masked = new float[40];
    Arrays.fill(masked, Float.NEGATIVE_INFINITY);
    assertThat(VectorMaximum.of(masked)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(Maximum.scalarOf(masked)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(VectorMaximum.magnitude(masked)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(VectorMaximum.of(new double[0])).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(VectorMaximum.magnitude(new float[0])).isEqualTo(0.0);
  }

  /** The reference: NaN when any element is NaN, else the largest element (or |element|). */
  private static double maximum(double[] d, boolean magnitude) {
    double max = magnitude ? 0 : Double.NEGATIVE_INFINITY;
    for (double v : d) {
      if (Double.isNaN(v)) {
        return Double.NaN;
      }
      double x = magnitude ? Math.abs(v) : v;
      if (x > max) {
        max = x;
      }
    }
    return max;
  }

  private static int check(String where, double expected, List<ToDoubleFunction<Void>> maxima) {
    List<Double> got = new ArrayList<>();
    for (var m : maxima) {
      got.add(m.applyAsDouble(null));
    }
    // the float rows hold (float) of each element: compare in float
    for (int i = 0; i < got.size(); i++) {
      double want = i < 2 ? expected : (float) expected;
      double v = got.get(i);
      assertThat(v == want || v != v && want != want)
          .as("%s, maximum %d: %s, expected %s", where, i, v, want)
          .isTrue();
    }
    return got.size();
  }
}
