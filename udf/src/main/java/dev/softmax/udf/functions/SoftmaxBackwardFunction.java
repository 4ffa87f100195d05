package dev.softmax.udf.functions;

import dev.softmax.udf.kernel.SoftmaxBackward;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The softmax backward from probabilities: {@code SELECT nn.softmax_backward(probs, grad)}. */
public final class SoftmaxBackwardFunction implements UnboundFunction {
  static final String NAME = "softmax_backward";
  private static final String FUNCTION = "nn." + NAME;
  private static final String FIRST = "probs";
  private static final String USAGE = FUNCTION + "(" + FIRST + ", grad [, temperature])";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE + " - dL/dz = S * (g - <S, g>) / T, the vector-Jacobian product in O(L)\n"
        + "  probs: S = softmax(z / T), array<float> or array<double>\n"
        + "  grad: g = dL/dS, an array of the same element type and length\n"
        + "  temperature: T used in the forward pass, a finite number > 0 (default 1)";
  }

  @Override
  public BoundFunction bind(StructType input) {
    Signature.arity(USAGE, input, 2, 3);
    ArrayType first = Signature.floatingArray(USAGE, input, 0, FIRST);
    ArrayType grad = Signature.sameElementType(USAGE, input, 1, "grad", first, FIRST);
    if (input.size() == 3) {
      Signature.numeric(USAGE, input, 2, "temperature");
      return Signature.isFloat(first)
          ? new FloatWithTemperature(first, grad)
          : new DoubleWithTemperature(first, grad);
    }
    return Signature.isFloat(first) ? new Float(first, grad) : new Double(first, grad);
  }

  /** The function over float arrays. */
  public static final class Float extends SoftmaxBoundFunction<ArrayData> {
    Float(ArrayType first, ArrayType grad) {
      super(NAME, Signature.resultOf(first), first, grad);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad) {
      return ArrayRows.mapFloatPairs(
          FUNCTION, FIRST, first, "grad", grad, Temperature.NONE, SoftmaxBackward::fromProbs);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0), row.isNullAt(1) ? null : row.getArray(1));
    }
  }

  /** The function over double arrays. */
  public static final class Double extends SoftmaxBoundFunction<ArrayData> {
    Double(ArrayType first, ArrayType grad) {
      super(NAME, Signature.resultOf(first), first, grad);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad) {
      return ArrayRows.mapDoublePairs(
          FUNCTION, FIRST, first, "grad", grad, Temperature.NONE, SoftmaxBackward::fromProbs);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0), row.isNullAt(1) ? null : row.getArray(1));
    }
  }

  /** The function over float arrays with a temperature. */
  public static final class FloatWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    FloatWithTemperature(ArrayType first, ArrayType grad) {
      super(NAME, Signature.resultOf(first), first, grad, DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad, double temperature) {
      return ArrayRows.mapFloatPairs(
          FUNCTION, FIRST, first, "grad", grad, temperature, SoftmaxBackward::fromProbs);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0), row.isNullAt(1) ? null : row.getArray(1),
          row.getDouble(2));
    }
  }

  /** The function over double arrays with a temperature. */
  public static final class DoubleWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    DoubleWithTemperature(ArrayType first, ArrayType grad) {
      super(NAME, Signature.resultOf(first), first, grad, DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad, double temperature) {
      return ArrayRows.mapDoublePairs(
          FUNCTION, FIRST, first, "grad", grad, temperature, SoftmaxBackward::fromProbs);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0), row.isNullAt(1) ? null : row.getArray(1),
          row.getDouble(2));
    }
  }
}
