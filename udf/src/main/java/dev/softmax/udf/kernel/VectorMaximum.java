package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row maxima with the JDK Vector API, in the preferred shape: NaN when any element is NaN ({@code
 * Math.max} semantics in every lane), the running maximum kept as an argument ({@link KnownClass}
 * says why). Only loaded when {@link Kernels#VECTOR} is true.
 */
final class VectorMaximum {
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;

  private VectorMaximum() {}

  /** The maximum of a float row, -inf for an empty one. */
  static double of(float[] z) {
    int bound = FLOATS.loopBound(z.length);
    FloatVector m = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
    int j = 0;
    for (; j < bound; j += FLOATS.length()) {
      m = FloatVector.fromArray(FLOATS, z, j).lanewise(VectorOperators.MAX, m);
    }
    float max = KnownClass.of(m).reduceLanes(VectorOperators.MAX);
    for (; j < z.length; j++) {
      max = Math.max(max, z[j]);
    }
    return max;
  }

  /** The maximum of a double row, -inf for an empty one. */
  static double of(double[] z) {
    int bound = DOUBLES.loopBound(z.length);
    DoubleVector m = DoubleVector.broadcast(DOUBLES, Double.NEGATIVE_INFINITY);
    int j = 0;
    for (; j < bound; j += DOUBLES.length()) {
      m = DoubleVector.fromArray(DOUBLES, z, j).lanewise(VectorOperators.MAX, m);
    }
    double max = KnownClass.of(m).reduceLanes(VectorOperators.MAX);
    for (; j < z.length; j++) {
      max = Math.max(max, z[j]);
    }
    return max;
  }

  /** The largest magnitude in a float row, 0 for an empty one. */
  static double magnitude(float[] z) {
    int bound = FLOATS.loopBound(z.length);
    FloatVector m = FloatVector.zero(FLOATS);
    int j = 0;
    for (; j < bound; j += FLOATS.length()) {
      m = FloatVector.fromArray(FLOATS, z, j).lanewise(VectorOperators.ABS).lanewise(VectorOperators.MAX, m);
    }
    float max = KnownClass.of(m).reduceLanes(VectorOperators.MAX);
    for (; j < z.length; j++) {
      max = Math.max(max, Math.abs(z[j]));
    }
    return max;
  }

  /** The largest magnitude in a double row, 0 for an empty one. */
  static double magnitude(double[] z) {
    int bound = DOUBLES.loopBound(z.length);
    DoubleVector m = DoubleVector.zero(DOUBLES);
    int j = 0;
    for (; j < bound; j += DOUBLES.length()) {
      m = DoubleVector.fromArray(DOUBLES, z, j).lanewise(VectorOperators.ABS).lanewise(VectorOperators.MAX, m);
    }
    double max = KnownClass.of(m).reduceLanes(VectorOperators.MAX);
    for (; j < z.length; j++) {
      max = Math.max(max, Math.abs(z[j]));
    }
    return max;
  }
}
