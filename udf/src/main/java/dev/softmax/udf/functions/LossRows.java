package dev.softmax.udf.functions;

import java.util.function.Supplier;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The loss functions' rows: reads their arrays (null, or a null element, gives null), calls a loss
 * kernel and names the SQL function in a kernel's refusal (a bad label, two lengths). A loss is a
 * {@code Float} or a {@code Double}: a conditional that picks one of the two must cast a branch to
 * {@code Object}, or Java unboxes both and widens the float (Spark then gets a {@code Double} for a
 * float column, and a null loss throws).
 */
final class LossRows {
  private LossRows() {}

  /** A loss of one float row. */
  @FunctionalInterface
  interface FloatLoss {
    float apply(float[] z);
  }

  /** A loss of one double row. */
  @FunctionalInterface
  interface DoubleLoss {
    double apply(double[] z);
  }

  /** A loss of two float rows. */
  @FunctionalInterface
  interface FloatPairLoss {
    float apply(float[] a, float[] b);
  }

  /** A loss of two double rows. */
  @FunctionalInterface
  interface DoublePairLoss {
    double apply(double[] a, double[] b);
  }

  /** A gradient of one float row into an output row. */
  @FunctionalInterface
  interface FloatGrad {
    void apply(float[] z, float[] out);
  }

  /** A gradient of one double row into an output row. */
  @FunctionalInterface
  interface DoubleGrad {
    void apply(double[] z, double[] out);
  }

  /** A gradient of two float rows into an output row. */
  @FunctionalInterface
  interface FloatPairGrad {
    void apply(float[] a, float[] b, float[] out);
  }

  /** A gradient of two double rows into an output row. */
  @FunctionalInterface
  interface DoublePairGrad {
    void apply(double[] a, double[] b, double[] out);
  }

  /** Whether any of the first {@code n} arguments is null. */
  static boolean anyNull(InternalRow row, int n) {
    for (int i = 0; i < n; i++) {
      if (row.isNullAt(i)) {
        return true;
      }
    }
    return false;
  }

  /** Runs a kernel; its refusal (an {@link IllegalArgumentException}) names the SQL function. */
  static <T> T named(String function, Supplier<T> kernel) {
    try {
      return kernel.get();
    } catch (IllegalArgumentException e) {
      throw ArrayRows.named(function, e);
    }
  }

  static Float floatLoss(String function, InternalRow row, int i, FloatLoss loss) {
    float[] z = ArrayRows.floats(row.getArray(i));
    return z == null ? null : named(function, () -> loss.apply(z));
  }

  static Double doubleLoss(String function, InternalRow row, int i, DoubleLoss loss) {
    double[] z = ArrayRows.doubles(row.getArray(i));
    return z == null ? null : named(function, () -> loss.apply(z));
  }

  static Float floatLoss(String function, InternalRow row, int i, int j, FloatPairLoss loss) {
    float[] a = ArrayRows.floats(row.getArray(i));
    float[] b = ArrayRows.floats(row.getArray(j));
    return a == null || b == null ? null : named(function, () -> loss.apply(a, b));
  }

  static Double doubleLoss(String function, InternalRow row, int i, int j, DoublePairLoss loss) {
    double[] a = ArrayRows.doubles(row.getArray(i));
    double[] b = ArrayRows.doubles(row.getArray(j));
    return a == null || b == null ? null : named(function, () -> loss.apply(a, b));
  }

  static ArrayData floatGrad(String function, InternalRow row, int i, FloatGrad grad) {
    float[] z = ArrayRows.floats(row.getArray(i));
    if (z == null) {
      return null;
    }
    float[] out = new float[z.length];
    named(
        function,
        () -> {
          grad.apply(z, out);
          return out;
        });
    return ArrayRows.of(out);
  }

  static ArrayData doubleGrad(String function, InternalRow row, int i, DoubleGrad grad) {
    double[] z = ArrayRows.doubles(row.getArray(i));
    if (z == null) {
      return null;
    }
    double[] out = new double[z.length];
    named(
        function,
        () -> {
          grad.apply(z, out);
          return out;
        });
    return ArrayRows.of(out);
  }

  static ArrayData floatGrad(String function, InternalRow row, int i, int j, FloatPairGrad grad) {
    float[] a = ArrayRows.floats(row.getArray(i));
    float[] b = ArrayRows.floats(row.getArray(j));
    if (a == null || b == null) {
      return null;
    }
    float[] out = new float[a.length];
    named(
        function,
        () -> {
          grad.apply(a, b, out);
          return out;
        });
    return ArrayRows.of(out);
  }

  static ArrayData doubleGrad(String function, InternalRow row, int i, int j, DoublePairGrad grad) {
    double[] a = ArrayRows.doubles(row.getArray(i));
    double[] b = ArrayRows.doubles(row.getArray(j));
    if (a == null || b == null) {
      return null;
    }
    double[] out = new double[a.length];
    named(
        function,
        () -> {
          grad.apply(a, b, out);
          return out;
        });
    return ArrayRows.of(out);
  }

  /**
   * The argument types of a call with a label: the logits, the label and whichever of the optional
   * scalars the call gives (ignore_index, then the numbers named in {@code doubles}), the integral
   * ones as bigint and the others as double, so Spark casts them to what the row reads.
   */
  static DataType[] labelTypes(
      String usage, StructType input, ArrayType logits, String... doubles) {
    Signature.integral(usage, input, 1, "label");
    DataType[] types = new DataType[input.size()];
    types[0] = logits;
    types[1] = DataTypes.LongType;
    if (input.size() > 2) {
      Signature.integral(usage, input, 2, "ignore_index");
      types[2] = DataTypes.LongType;
    }
    for (int k = 3; k < input.size(); k++) {
      Signature.numeric(usage, input, k, doubles[k - 3]);
      types[k] = DataTypes.DoubleType;
    }
    return types;
  }
}
