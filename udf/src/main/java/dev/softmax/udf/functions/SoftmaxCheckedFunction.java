package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;

/**
 * {@code nn.softmax_checked(logits [, T])}: {@code nn.softmax} in the form that fails the query on
 * a bad row. On a row that {@code nn.check_logits} finds good it gives {@code nn.softmax}'s bits;
 * on any other row (a null array among them) it throws {@link dev.softmax.udf.RowProblemException},
 * which says why. A batch job that stops on its first bad row calls this instead of the check and
 * the function apart, so that each row is read out of Spark's array once.
 */
public final class SoftmaxCheckedFunction extends LogitsFunction {
  static final String NAME = "softmax_checked";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;

  public SoftmaxCheckedFunction() {
    super(
        NAME,
        "nn.softmax, but a row that nn.check_logits finds bad fails the query with why",
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
      return ArrayRows.mapCheckedFloats(FUNCTION, logits, Temperature.NONE, Softmax::forward);
    }
  }

  /** On array&lt;double&gt;. */
  public static final class OnDoubles extends SoftmaxBoundFunction<ArrayData> {
    OnDoubles(ArrayType logits) {
      super(NAME, row -> invoke(array(row, 0)), Signature.resultOf(logits), logits);
    }

    // magic method used in codegen
    public static ArrayData invoke(ArrayData logits) {
      return ArrayRows.mapCheckedDoubles(FUNCTION, logits, Temperature.NONE, Softmax::forward);
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
      return ArrayRows.mapCheckedFloats(FUNCTION, logits, temperature, Softmax::forward);
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
      return ArrayRows.mapCheckedDoubles(FUNCTION, logits, temperature, Softmax::forward);
    }
  }
}
