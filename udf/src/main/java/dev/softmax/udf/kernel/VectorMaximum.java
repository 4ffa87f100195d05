package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row maxima with the JDK Vector API, in the preferred shape: NaN when any element is NaN ({@code
 * Math.max} semantics in every lane). Only loaded when {@link Kernels#VECTOR} is true.
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
      m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(FLOATS, z, j));
    }
    float max = m.reduceLanes(VectorOperators.MAX);
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
      m = m.lanewise(VectorOperators.MAX, DoubleVector.fromArray(DOUBLES, z, j));
    }
    double max = m.reduceLanes(VectorOperators.MAX);
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
      m = m.lanewise(VectorOperators.MAX, FloatVector.fromArray(FLOATS, z, j).lanewise(VectorOperators.ABS));
    }
    float max = m.reduceLanes(VectorOperators.MAX);
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
      m = m.lanewise(VectorOperators.MAX, DoubleVector.fromArray(DOUBLES, z, j).lanewise(VectorOperators.ABS));
    }
    double max = m.reduceLanes(VectorOperators.MAX);
    for (; j < z.length; j++) {
      max = Math.max(max, Math.abs(z[j]));
    }
    return max;
  }
}
