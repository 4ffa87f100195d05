package dev.softmax.udf.functions;

import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructType;

/**
 * Checks of a call's argument types at bind time. Failures are {@link
 * UnsupportedOperationException}s, which Spark reports as analysis errors.
 */
final class Signature {
  private Signature() {}

  static void arity(String usage, StructType input, int min, int max) {
    int n = input.size();
    if (n < min || n > max) {
      String expected = min == max ? String.valueOf(min) : min + " or " + max;
      throw new UnsupportedOperationException(
          usage + " expects " + expected + " arguments, got " + n + ": " + input.catalogString());
    }
  }

  /** The argument at {@code index}, which must be array<float> or array<double>. */
  static ArrayType floatingArray(String usage, StructType input, int index, String argument) {
    DataType type = input.fields()[index].dataType();
    if (type instanceof ArrayType array
        && (array.elementType() instanceof FloatType
            || array.elementType() instanceof DoubleType)) {
      return array;
    }
    throw new UnsupportedOperationException(
        usage
            + ": "
            + argument
            + " must be array<float> or array<double>, got "
            + type.catalogString());
  }

  /** A second array argument, which must have the element type of the first. */
  static ArrayType sameElementType(
      String usage,
      StructType input,
      int index,
      String argument,
      ArrayType first,
      String firstName) {
    ArrayType array = floatingArray(usage, input, index, argument);
    if (!array.elementType().equals(first.elementType())) {
      throw new UnsupportedOperationException(
          usage
              + ": "
              + firstName
              + " and "
              + argument
              + " must have the same element type, got "
              + first.catalogString()
              + " and "
              + array.catalogString());
    }
    return array;
  }

  static void numeric(String usage, StructType input, int index, String argument) {
    DataType type = input.fields()[index].dataType();
    if (!(type instanceof NumericType)) {
      throw new UnsupportedOperationException(
          usage + ": " + argument + " must be a number, got " + type.catalogString());
    }
  }

  /** The argument at {@code index}, which must be an int or a bigint (a class index, a count). */
  static void integral(String usage, StructType input, int index, String argument) {
    DataType type = input.fields()[index].dataType();
    if (!(type instanceof IntegerType || type instanceof LongType || type instanceof ShortType)) {
      throw new UnsupportedOperationException(
          usage + ": " + argument + " must be an int or a bigint, got " + type.catalogString());
    }
  }

  static boolean isFloat(ArrayType type) {
    return type.elementType() instanceof FloatType;
  }

  /** The result type: an array of the input's element type, without null elements. */
  static ArrayType resultOf(ArrayType input) {
    return new ArrayType(input.elementType(), false);
  }
}
