package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The test oracle against values computed to 60 digits with Python decimal (of the exact doubles).
 */
class DoubleDoubleTest {
  @Test
  void expMatchesSixtyDigitValues() {
    assertExact(DoubleDouble.exp(DoubleDouble.of(1)), 2.718281828459045, 1.4456468917292502e-16);
    assertExact(
        DoubleDouble.exp(DoubleDouble.of(0.001)), 1.0010005001667084, -4.290842058948394e-17);
    DoubleDouble tiny = DoubleDouble.exp(DoubleDouble.of(-700.5));
    assertThat(tiny.hi()).isEqualTo(5.980196118639791e-305);
  }

  @Test
  void logMatchesSixtyDigitValue() {
    assertExact(DoubleDouble.log(DoubleDouble.of(3)), 1.0986122886681098, -9.07129723500153e-17);
  }

  private static void assertExact(DoubleDouble d, double hi, double lo) {
    assertThat(d.hi()).isEqualTo(hi);
    assertThat(d.lo()).isCloseTo(lo, within(Math.ulp(hi) * 1e-12));
  }
}
