package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.SoftmaxBackward;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;

/** The log-softmax backward: {@code SELECT nn.log_softmax_backward(log_probs, grad)}. */
public final class LogSoftmaxBackwardFunction extends PairFunction {
  static final String NAME = "log_softmax_backward";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  private static final String FIRST = "log_probs";

  public LogSoftmaxBackwardFunction() {
    super(
        NAME,
        FIRST,
        "dL/dz = (g - exp(y) * sum(g)) / T",
        "y = log_softmax(z / T)",
        OnFloats::new,
        OnDoubles::new,
        OnFloatsWithTemperature::new,
        OnDoublesWithTemperature::new);
  }

  /** On array&lt;float&gt;. */
  public static final class OnFloats extends SoftmaxBoundFunction<ArrayData> {
    OnFloats(ArrayType first, ArrayType grad) {
      super(
          NAME,
          row -> invoke(array(row, 0), array(row, 1)),
          Signature.resultOf(first),
          first,
          grad);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad) {
      return ArrayRows.mapFloatPairs(
          FUNCTION, first, grad, Temperature.NONE, SoftmaxBackward::fromLogProbs);
    }
  }

  /** On array&lt;double&gt;. */
  public static final class OnDoubles extends SoftmaxBoundFunction<ArrayData> {
    OnDoubles(ArrayType first, ArrayType grad) {
      super(
          NAME,
          row -> invoke(array(row, 0), array(row, 1)),
          Signature.resultOf(first),
          first,
          grad);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad) {
      return ArrayRows.mapDoublePairs(
          FUNCTION, first, grad, Temperature.NONE, SoftmaxBackward::fromLogProbs);
    }
  }

  /** On array&lt;float&gt; with a temperature. */
  public static final class OnFloatsWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    OnFloatsWithTemperature(ArrayType first, ArrayType grad) {
      super(
          NAME,
          row -> invoke(array(row, 0), array(row, 1), row.getDouble(2)),
          Signature.resultOf(first),
          first,
          grad,
          DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad, double temperature) {
      return ArrayRows.mapFloatPairs(
          FUNCTION, first, grad, temperature, SoftmaxBackward::fromLogProbs);
    }
  }

  /** On array&lt;double&gt; with a temperature. */
  public static final class OnDoublesWithTemperature extends SoftmaxBoundFunction<ArrayData> {
    OnDoublesWithTemperature(ArrayType first, ArrayType grad) {
      super(
          NAME,
          row -> invoke(array(row, 0), array(row, 1), row.getDouble(2)),
          Signature.resultOf(first),
          first,
          grad,
          DataTypes.DoubleType);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData first, ArrayData grad, double temperature) {
      return ArrayRows.mapDoublePairs(
          FUNCTION, first, grad, temperature, SoftmaxBackward::fromLogProbs);
    }
  }
}
