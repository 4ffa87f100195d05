package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels' exponential against the double-double reference: within 2u of the exact value
 * wherever that is a normal double, at random points over its whole range and either side of the
 * points where k changes; correctly rounded or within one step of the subnormals below; and the
 * edges: 0, -inf, NaN, overflow, underflow.
 */
class VectorExpTest {
  private static final double U = 0x1p-53;
  private static final int LANES = DoubleVector.SPECIES_PREFERRED.length();

  private static double[] exp(double[] x) {
    double[] out = new double[x.length];
    for (int j = 0; j < x.length; j += LANES) {
      VectorExp.of(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, x, j)).intoArray(out, j);
    }
    return out;
  }

  @Test
  void isWithinTwoUnitsInTheLastPlaceOfTheExactValue() {
    Random r = new Random(11);
    int n = 400_000;
    double[] x = new double[n + 24 * 1500];
    for (int i = 0; i < n; i += 4) {
      x[i] = -708 * r.nextDouble();
      x[i + 1] = 709 * r.nextDouble();
      x[i + 2] = -Math.pow(10, -12 + 14 * r.nextDouble());
      x[i + 3] = Math.pow(10, -12 + 14 * r.nextDouble());
    }
    // either side of every point where k changes (odd multiples of ln2/2), both signs
    int i = n;
    for (int k = 0; k < 1500 && i < x.length; k++) {
      double edge = (k - 1021.5) * Math.log(2);
      double below = edge;
      for (int d = 0; d < 12; d++) {
        x[i++] = below;
        below = Math.nextDown(below);
      }
      double above = Math.nextUp(edge);
      for (int d = 0; d < 12; d++) {
        x[i++] = above;
        above = Math.nextUp(above);
      }
    }
    double[] got = exp(x);
    for (int j = 0; j < x.length; j++) {
      DoubleDouble reference = DoubleDouble.exp(DoubleDouble.of(x[j]));
      double exact = reference.value();
      if (!(Math.abs(exact) >= Double.MIN_NORMAL) || Double.isInfinite(exact)) {
        continue;
      }
      double error = reference.minus(DoubleDouble.of(got[j])).value() / exact;
      assertThat(Math.abs(error))
          .as("exp(%s) = %s, exact %s", x[j], got[j], exact)
          .isLessThanOrEqualTo(2 * U);
    }
  }

  @Test
  void theSubnormalsAreWithinOneStepAndTheEdgesAreExact() {
    double[] x = new double[LANES * 8];
    for (int j = 0; j < x.length; j++) {
      x[j] = -708.5 - 37.0 * j / x.length;
    }
    double[] got = exp(x);
    for (int j = 0; j < x.length; j++) {
      assertThat(Math.abs(got[j] - Math.exp(x[j])))
          .as("exp(%s)", x[j])
          .isLessThanOrEqualTo(Math.ulp(Double.MIN_NORMAL));
    }
    double inf = Double.POSITIVE_INFINITY;
    double[] edges = {
      0.0, -0.0, -inf, inf, Double.NaN, -745.2, -746, -1e6, 709.8, 710, 1e6, -Double.MIN_VALUE, 1
    };
    double[] padded = new double[(edges.length + LANES - 1) / LANES * LANES];
    System.arraycopy(edges, 0, padded, 0, edges.length);
    double[] edgeResults = exp(padded);
    double[] expected = {1, 1, 0, inf, Double.NaN, 0, 0, 0, inf, inf, inf, 1, Math.E};
    for (int j = 0; j < edges.length; j++) {
      if (j == edges.length - 1) {
        assertThat(Math.abs(edgeResults[j] - Math.E)).isLessThanOrEqualTo(Math.ulp(Math.E));
      } else {
        assertThat(Double.valueOf(edgeResults[j]))
            .as("exp(%s)", edges[j])
            .isEqualTo(Double.valueOf(expected[j]));
      }
    }
  }
}
