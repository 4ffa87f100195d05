package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * {@link KnownClass#of} gives every value back bit for bit: signed zeros, infinities, NaN,
 * subnormals.
 */
class KnownClassTest {
  private static final double[] VALUES = {
    -0.0,
    0.0,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY,
    Double.MIN_VALUE,
    -Double.MIN_VALUE,
    Double.MAX_VALUE,
    1.0,
    -3.5e-300
  };

  @Test
  void everyDoubleLaneComesBackBitForBit() {
    int lanes = DoubleVector.SPECIES_PREFERRED.length();
    for (int start = 0; start < VALUES.length; start++) {
      double[] in = new double[lanes];
      for (int k = 0; k < lanes; k++) {
        in[k] = VALUES[(start + k) % VALUES.length];
      }
      double[] out =
          KnownClass.of(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, in, 0)).toArray();
      for (int k = 0; k < lanes; k++) {
        assertThat(Double.doubleToRawLongBits(out[k]))
            .as("lane %d: %s", k, in[k])
            .isEqualTo(Double.doubleToRawLongBits(in[k]));
      }
    }
  }

  @Test
  void everyFloatLaneComesBackBitForBit() {
    int lanes = FloatVector.SPECIES_PREFERRED.length();
    for (int start = 0; start < VALUES.length; start++) {
      float[] in = new float[lanes];
      for (int k = 0; k < lanes; k++) {
        double v = VALUES[(start + k) % VALUES.length];
        in[k] =
            v == Double.MIN_VALUE
                ? Float.MIN_VALUE
                : v == -Double.MIN_VALUE ? -Float.MIN_VALUE : (float) v;
      }
      float[] out =
          KnownClass.of(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, in, 0)).toArray();
      for (int k = 0; k < lanes; k++) {
        assertThat(Float.floatToRawIntBits(out[k]))
            .as("lane %d: %s", k, in[k])
            .isEqualTo(Float.floatToRawIntBits(in[k]));
      }
    }
  }
}
