package dev.softmax.udf.functions;

import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;

/** Spark arrays to and from primitive rows, with the null rules of the functions. */
final class ArrayRows {
  private ArrayRows() {}

  /** A kernel from one float row (and a temperature) to an output row of the same length. */
  @FunctionalInterface
  interface FloatRowKernel {
    void apply(float[] x, double t, float[] out);
  }

  /** A kernel from one double row (and a temperature) to an output row of the same length. */
  @FunctionalInterface
  interface DoubleRowKernel {
    void apply(double[] x, double t, double[] out);
  }

  /** A kernel from two float rows of one length (and a temperature) to an output row. */
  @FunctionalInterface
  interface FloatPairKernel {
    void apply(float[] a, float[] b, double t, float[] out);
  }

  /** A kernel from two double rows of one length (and a temperature) to an output row. */
  @FunctionalInterface
  interface DoublePairKernel {
    void apply(double[] a, double[] b, double t, double[] out);
  }

  /** Applies {@code kernel} to a float array: null (or a null element) gives null. */
  static ArrayData mapFloats(String function, ArrayData x, double t, FloatRowKernel kernel) {
    double temperature = temperature(function, t);
    float[] in = floats(x);
    if (in == null) {
      return null;
    }
    float[] out = new float[in.length];
    kernel.apply(in, temperature, out);
    return of(out);
  }

  /** Applies {@code kernel} to a double array: null (or a null element) gives null. */
  static ArrayData mapDoubles(String function, ArrayData x, double t, DoubleRowKernel kernel) {
    double temperature = temperature(function, t);
    double[] in = doubles(x);
    if (in == null) {
      return null;
    }
    double[] out = new double[in.length];
    kernel.apply(in, temperature, out);
    return of(out);
  }

  /** Applies {@code kernel} to two float arrays, which must have one length. */
  static ArrayData mapFloatPairs(
      String function, String aName, ArrayData a, String bName, ArrayData b, double t,
      FloatPairKernel kernel) {
    double temperature = temperature(function, t);
    float[] x = floats(a);
    float[] y = floats(b);
    if (x == null || y == null) {
      return null;
    }
    requireSameLength(function, aName, x.length, bName, y.length);
    float[] out = new float[x.length];
    kernel.apply(x, y, temperature, out);
    return of(out);
  }

  /** Applies {@code kernel} to two double arrays, which must have one length. */
  static ArrayData mapDoublePairs(
      String function, String aName, ArrayData a, String bName, ArrayData b, double t,
      DoublePairKernel kernel) {
    double temperature = temperature(function, t);
    double[] x = doubles(a);
    double[] y = doubles(b);
    if (x == null || y == null) {
      return null;
    }
    requireSameLength(function, aName, x.length, bName, y.length);
    double[] out = new double[x.length];
    kernel.apply(x, y, temperature, out);
    return of(out);
  }

  /** The elements as floats, or null when the array is null or holds a null element. */
  static float[] floats(ArrayData a) {
    if (a == null || hasNullElement(a)) {
      return null;
    }
    return a.toFloatArray();
  }

  /** The elements as doubles, or null when the array is null or holds a null element. */
  static double[] doubles(ArrayData a) {
    if (a == null || hasNullElement(a)) {
      return null;
    }
    return a.toDoubleArray();
  }

  // toFloatArray()/toDoubleArray() read garbage where an element is null: look first
  private static boolean hasNullElement(ArrayData a) {
    int n = a.numElements();
    for (int i = 0; i < n; i++) {
      if (a.isNullAt(i)) {
        return true;
      }
    }
    return false;
  }

  static ArrayData of(float[] x) {
    return UnsafeArrayData.fromPrimitiveArray(x);
  }

  static ArrayData of(double[] x) {
    return UnsafeArrayData.fromPrimitiveArray(x);
  }

  /** Fails with the function's name and both lengths when two arrays differ in length. */
  static void requireSameLength(String function, String a, int lengthA, String b, int lengthB) {
    if (lengthA != lengthB) {
      throw new IllegalArgumentException(
          function + ": " + a + " has " + lengthA + " elements but " + b + " has " + lengthB);
    }
  }

  /** The temperature, or an error naming the function. Codegen passes a null temperature as 0. */
  static double temperature(String function, double t) {
    try {
      return Temperature.check(t);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(function + ": " + e.getMessage(), e);
    }
  }
}
