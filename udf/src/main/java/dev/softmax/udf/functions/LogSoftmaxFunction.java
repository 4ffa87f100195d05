package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Row-wise log-softmax: {@code SELECT nn.log_softmax(logits)} or {@code nn.log_softmax(logits,
 * 2.0)}.
 */
public final class LogSoftmaxFunction extends LogitsFunction {
  static final String NAME = "log_softmax";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;

  public LogSoftmaxFunction() {
    super(
        NAME,
        "the row-wise log-softmax z_j / T - log(sum_l exp(z_l / T)), computed stably",
        OnFloats::new,
        OnDoubles::new,
        OnFloatsWithTemperature::new,
        OnDoublesWithTemperature::new);
  }

  /** On array&lt;float&gt;. */
  public static final class OnFloats extends SoftmaxBoundFunction<ArrayData> {
    OnFloats(ArrayType logits) {
      super(NAME, row -> invoke(array(row, 0)), Signature.resultOf(logits), logits);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits) {
      return ArrayRows.mapFloats(FUNCTION, logits, Temperature.NONE, Softmax::logForward);
    }
  }

  /** On array&lt;double&gt;. */
  public static final class OnDoubles extends SoftmaxBoundFunction<ArrayData> {
    OnDoubles(ArrayType logits) {
      super(NAME, row -> invoke(array(row, 0)), Signature.resultOf(logits), logits);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits) {
      return ArrayRows.mapDoubles(FUNCTION, logits, Temperature.NONE, Softmax::logForward);
    }
  }

  /** On array&lt;float&gt; with a temperature. */
  public static final class OnFloatsWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    OnFloatsWithTemperature(ArrayType logits) {
      super(
          NAME,
          row -> invoke(array(row, 0), row.getDouble(1)),
          Signature.resultOf(logits),
          logits,
          DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits, double temperature) {
      return ArrayRows.mapFloats(FUNCTION, logits, temperature, Softmax::logForward);
    }
  }

  /** On array&lt;double&gt; with a temperature. */
  public static final class OnDoublesWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    OnDoublesWithTemperature(ArrayType logits) {
      super(
          NAME,
          row -> invoke(array(row, 0), row.getDouble(1)),
          Signature.resultOf(logits),
          logits,
          DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits, double temperature) {
      return ArrayRows.mapDoubles(FUNCTION, logits, temperature, Softmax::logForward);
    }
  }
}
