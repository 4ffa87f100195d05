package dev.softmax.udf.functions;

import dev.softmax.udf.RowProblem;
import dev.softmax.udf.RowProblemException;
import dev.softmax.udf.kernel.Maximum;
import dev.softmax.udf.kernel.RowKernels;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.bitset.BitSetMethods;

/** Spark arrays to and from primitive rows, with the null rules of the functions. */
final class ArrayRows {
  private ArrayRows() {}

  /** Applies {@code kernel} to a float array: null (or a null element) gives null. */
  static ArrayData mapFloats(String function, ArrayData x, double t, RowKernels.OfFloat kernel) {
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
  static ArrayData mapDoubles(String function, ArrayData x, double t, RowKernels.OfDouble kernel) {
    double temperature = temperature(function, t);
    double[] in = doubles(x);
    if (in == null) {
      return null;
    }
    double[] out = new double[in.length];
    kernel.apply(in, temperature, out);
    return of(out);
  }

  /**
   * Applies {@code kernel} to a float array of logits, which must pass {@code check_logits}: else
   * throws {@link RowProblemException}. The row is checked on the copy the kernel reads, so it is
   * read out of Spark's array once.
   */
  static ArrayData mapCheckedFloats(
      String function, ArrayData x, double t, RowKernels.OfFloat kernel) {
    double temperature = temperature(function, t);
    requireGood(function, CheckFunction.shape(x));
    float[] in = x.toFloatArray();
    requireGood(function, CheckFunction.logitsProblem(Maximum.of(in)));
    float[] out = new float[in.length];
    kernel.apply(in, temperature, out);
    return of(out);
  }

  /** {@link #mapCheckedFloats} on a double array. */
  static ArrayData mapCheckedDoubles(
      String function, ArrayData x, double t, RowKernels.OfDouble kernel) {
    double temperature = temperature(function, t);
    requireGood(function, CheckFunction.shape(x));
    double[] in = x.toDoubleArray();
    requireGood(function, CheckFunction.logitsProblem(Maximum.of(in)));
    double[] out = new double[in.length];
    kernel.apply(in, temperature, out);
    return of(out);
  }

  private static void requireGood(String function, RowProblem problem) {
    if (problem != null) {
      throw new RowProblemException(function, problem);
    }
  }

  /** Applies {@code kernel} to two float arrays; the kernel refuses two lengths. */
  static ArrayData mapFloatPairs(
      String function, ArrayData a, ArrayData b, double t, RowKernels.PairOfFloat kernel) {
    double temperature = temperature(function, t);
    float[] x = floats(a);
    float[] y = floats(b);
    if (x == null || y == null) {
      return null;
    }
    float[] out = new float[x.length];
    try {
      kernel.apply(x, y, temperature, out);
    } catch (IllegalArgumentException e) {
      throw named(function, e);
    }
    return of(out);
  }

  /** Applies {@code kernel} to two double arrays; the kernel refuses two lengths. */
  static ArrayData mapDoublePairs(
      String function, ArrayData a, ArrayData b, double t, RowKernels.PairOfDouble kernel) {
    double temperature = temperature(function, t);
    double[] x = doubles(a);
    double[] y = doubles(b);
    if (x == null || y == null) {
      return null;
    }
    double[] out = new double[x.length];
    try {
      kernel.apply(x, y, temperature, out);
    } catch (IllegalArgumentException e) {
      throw named(function, e);
    }
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

  /**
   * Whether an element is null (toFloatArray()/toDoubleArray() read garbage there: look first). An
   * {@link UnsafeArrayData} is answered from its null bits a word at a time.
   */
  static boolean hasNullElement(ArrayData a) {
    int n = a.numElements();
    if (a instanceof UnsafeArrayData u) {
      // the layout: the element count (8 bytes), then the null bits, element i at bit i % 64 of
      // word i / 64; bits past the last element are not relied on to be clear
      Object base = u.getBaseObject();
      long bits = u.getBaseOffset() + 8;
      int words = n / 64;
      int rest = n % 64;
      return BitSetMethods.anySet(base, bits, words)
          || rest != 0 && (Platform.getLong(base, bits + 8L * words) & ((1L << rest) - 1)) != 0;
    }
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

  /** The temperature, or an error naming the function. Codegen passes a null temperature as 0. */
  static double temperature(String function, double t) {
    try {
      return Temperature.check(t);
    } catch (IllegalArgumentException e) {
      throw named(function, e);
    }
  }

  /**
   * A kernel's refusal (lengths that differ, a bad temperature, a row too wide) with the SQL
   * function's name in front: the kernels say what is wrong, the bindings say where.
   */
  static IllegalArgumentException named(String function, IllegalArgumentException e) {
    return new IllegalArgumentException(function + ": " + e.getMessage(), e);
  }
}
