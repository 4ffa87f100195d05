package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The scalar float kernels' exponential against the double-double reference: within 3u of the exact
 * value (the bound {@link FloatKernels} derives with) wherever the result is a normal double, at
 * random points, at the edges of its table's intervals and at the edges of its domain.
 */
class ExpTest {
  private static final double U = 0x1p-53;

  @Test
  void isWithinThreeUnitsInTheLastPlaceOfTheExactValue() {
    List<Double> xs = new ArrayList<>();
    Random r = new Random(5);
    for (int i = 0; i < 200_000; i++) {
      xs.add(-708 * r.nextDouble());
      xs.add(-Math.pow(10, -12 + 14 * r.nextDouble()));
    }
    // either side of every interval edge (ln2/128 and its odd multiples) near 0 and near -708
    double step = Math.log(2) / 128;
    for (int k = 0; k < 400; k++) {
      for (double base : new double[] {-k * step, -708 + k * step}) {
        double x = Math.min(base, 0);
        for (int d = 0; d < 3; d++) {
          xs.add(x);
          xs.add(Math.min(0, Math.nextUp(x)));
          x = Math.nextDown(x);
        }
      }
    }
    xs.addAll(List.of(0.0, -0.0, -Double.MIN_VALUE, -1e-300, -708.0, -707.9999999999999));
    for (double x : xs) {
      DoubleDouble reference = DoubleDouble.exp(DoubleDouble.of(x));
      double exact = reference.value();
      double got = Exp.of(x);
      double error = reference.minus(DoubleDouble.of(got)).value() / exact;
      assertThat(Math.abs(error))
          .as("exp(%s) = %s, exact %s", x, got, exact)
          .isLessThanOrEqualTo(3 * U);
    }
  }

  @Test
  void outsideItsDomainItIsMathExpAndMinusInfinityGivesZero() {
    for (double x :
        new double[] {
          -708.0001,
          -720,
          -745,
          -745.2,
          -746,
          -1e6,
          Double.NEGATIVE_INFINITY,
          Double.MIN_VALUE,
          1,
          709,
          710,
          Double.POSITIVE_INFINITY,
          Double.NaN
        }) {
      assertThat(Double.valueOf(Exp.of(x))).as("exp(%s)", x).isEqualTo(Double.valueOf(Math.exp(x)));
    }
    assertThat(Exp.of(Double.NEGATIVE_INFINITY)).isEqualTo(0.0);
    assertThat(Exp.of(0)).isEqualTo(1.0);
  }
}
