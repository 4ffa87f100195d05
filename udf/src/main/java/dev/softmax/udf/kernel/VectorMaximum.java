package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row maxima with the JDK Vector API, in the preferred shape: NaN when any element is NaN ({@code
 * Math.max} semantics in every lane), each running maximum kept as an argument ({@link KnownClass}
 * says why). Only loaded when {@link Kernels#VECTOR} is true.
 */
final class VectorMaximum {
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> DOUBLES = DoubleVector.SPECIES_PREFERRED;

  private VectorMaximum() {}

  /**
   * The maximum of a float row, -inf for an empty one: four running maxima, each over every fourth
   * vector, so that the four chains of MAX (several instructions each, for Java's rule on NaN and
   * signed zeros) overlap. MAX is commutative and associative under that rule, so the order does
   * not change the result.
   */
  static double of(float[] z) {
    int step = FLOATS.length();
    int bound = FLOATS.loopBound(z.length);
    int unrolled = z.length - z.length % (4 * step);
    FloatVector m0 = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
    FloatVector m1 = m0;
    FloatVector m2 = m0;
    FloatVector m3 = m0;
    int j = 0;
    for (; j < unrolled; j += 4 * step) {
      m0 = FloatVector.fromArray(FLOATS, z, j).lanewise(VectorOperators.MAX, m0);
      m1 = FloatVector.fromArray(FLOATS, z, j + step).lanewise(VectorOperators.MAX, m1);
      m2 = FloatVector.fromArray(FLOATS, z, j + 2 * step).lanewise(VectorOperators.MAX, m2);
      m3 = FloatVector.fromArray(FLOATS, z, j + 3 * step).lanewise(VectorOperators.MAX, m3);
    }
    for (; j < bound; j += step) {
      m0 = FloatVector.fromArray(FLOATS, z, j).lanewise(VectorOperators.MAX, m0);
    }
    float max =
        KnownClass.of(m0)
            .lanewise(VectorOperators.MAX, m1)
            .lanewise(VectorOperators.MAX, m2)
            .lanewise(VectorOperators.MAX, m3)
            .reduceLanes(VectorOperators.MAX);
    for (; j < z.length; j++) {
      max = Math.max(max, z[j]);
    }
    return max;
  }

  /**
   * The maximum of a double row, -inf for an empty one: as for a float row, four running maxima.
   */
  static double of(double[] z) {
    int step = DOUBLES.length();
    int bound = DOUBLES.loopBound(z.length);
    int unrolled = z.length - z.length % (4 * step);
    DoubleVector m0 = DoubleVector.broadcast(DOUBLES, Double.NEGATIVE_INFINITY);
    DoubleVector m1 = m0;
    DoubleVector m2 = m0;
    DoubleVector m3 = m0;
    int j = 0;
    for (; j < unrolled; j += 4 * step) {
      m0 = DoubleVector.fromArray(DOUBLES, z, j).lanewise(VectorOperators.MAX, m0);
      m1 = DoubleVector.fromArray(DOUBLES, z, j + step).lanewise(VectorOperators.MAX, m1);
      m2 = DoubleVector.fromArray(DOUBLES, z, j + 2 * step).lanewise(VectorOperators.MAX, m2);
      m3 = DoubleVector.fromArray(DOUBLES, z, j + 3 * step).lanewise(VectorOperators.MAX, m3);
    }
    for (; j < bound; j += step) {
      m0 = DoubleVector.fromArray(DOUBLES, z, j).lanewise(VectorOperators.MAX, m0);
    }
    double max =
        KnownClass.of(m0)
            .lanewise(VectorOperators.MAX, m1)
            .lanewise(VectorOperators.MAX, m2)
            .lanewise(VectorOperators.MAX, m3)
            .reduceLanes(VectorOperators.MAX);
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
      m =
          FloatVector.fromArray(FLOATS, z, j)
              .lanewise(VectorOperators.ABS)
              .lanewise(VectorOperators.MAX, m);
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
      m =
          DoubleVector.fromArray(DOUBLES, z, j)
              .lanewise(VectorOperators.ABS)
              .lanewise(VectorOperators.MAX, m);
    }
    double max = KnownClass.of(m).reduceLanes(VectorOperators.MAX);
    for (; j < z.length; j++) {
      max = Math.max(max, Math.abs(z[j]));
    }
    return max;
  }
}
