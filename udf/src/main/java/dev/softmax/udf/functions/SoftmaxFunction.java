package dev.softmax.udf.functions;

import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Row-wise softmax: {@code SELECT nn.softmax(logits)} or {@code nn.softmax(logits, 2.0)}. */
public final class SoftmaxFunction implements UnboundFunction {
  static final String NAME = "softmax";
  private static final String USAGE = "nn.softmax(logits [, temperature])";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE + " - the row-wise softmax exp(z_j / T) / sum_l exp(z_l / T)\n"
        + "  logits: array<float> or array<double>; the result has the same element type\n"
        + "  temperature: T, a finite number > 0 (default 1)";
  }

  @Override
  public BoundFunction bind(StructType input) {
    Signature.arity(USAGE, input, 1, 2);
    ArrayType logits = Signature.floatingArray(USAGE, input, 0, "logits");
    if (input.size() == 2) {
      Signature.numeric(USAGE, input, 1, "temperature");
      return Signature.isFloat(logits) ? new FloatWithTemperature(logits) : new DoubleWithTemperature(logits);
    }
    return Signature.isFloat(logits) ? new Float(logits) : new Double(logits);
  }

  /** nn.softmax(array&lt;float&gt;). */
  public static final class Float extends SoftmaxBoundFunction<ArrayData> {
    Float(ArrayType logits) {
      super(NAME, Signature.resultOf(logits), logits);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits) {
      return ArrayRows.mapFloats("nn.softmax", logits, Temperature.NONE, Softmax::forward);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0));
    }
  }

  /** nn.softmax(array&lt;double&gt;). */
  public static final class Double extends SoftmaxBoundFunction<ArrayData> {
    Double(ArrayType logits) {
      super(NAME, Signature.resultOf(logits), logits);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits) {
      return ArrayRows.mapDoubles("nn.softmax", logits, Temperature.NONE, Softmax::forward);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0));
    }
  }

  /** nn.softmax(array&lt;float&gt;, temperature). */
  public static final class FloatWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    FloatWithTemperature(ArrayType logits) {
      super(NAME, Signature.resultOf(logits), logits, DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits, double temperature) {
      return ArrayRows.mapFloats("nn.softmax", logits, temperature, Softmax::forward);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0), row.getDouble(1));
    }
  }

  /** nn.softmax(array&lt;double&gt;, temperature). */
  public static final class DoubleWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    DoubleWithTemperature(ArrayType logits) {
      super(NAME, Signature.resultOf(logits), logits, DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits, double temperature) {
      return ArrayRows.mapDoubles("nn.softmax", logits, temperature, Softmax::forward);
    }

    @Override
    public ArrayData produceResult(InternalRow row) {
      return invoke(row.isNullAt(0) ? null : row.getArray(0), row.getDouble(1));
    }
  }
}
