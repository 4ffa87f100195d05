package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.RowCheck;
import dev.softmax.udf.RowProblem;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Why a row cannot go through the softmax functions, or null when it can: {@code SELECT
 * nn.check_logits(logits)} and {@code nn.check_values(grad)}. Batch jobs use these to sort out
 * bad rows in the same pass that computes the good ones.
 *
 * <p>{@code check_logits}: null array, empty array, null element, NaN or +inf, all entries -inf.
 * {@code check_values} (probabilities, gradients): null array, empty array, null element,
 * non-finite value.
 */
public final class CheckFunction implements UnboundFunction {
  private static final UTF8String NULL_ARRAY = RowProblem.NULL_ARRAY.answer();
  private static final UTF8String EMPTY_ARRAY = RowProblem.EMPTY_ARRAY.answer();
  private static final UTF8String NULL_ELEMENT = RowProblem.NULL_ELEMENT.answer();
  private static final UTF8String NAN_OR_INFINITY = RowProblem.NAN_OR_INFINITY.answer();
  private static final UTF8String ALL_MASKED = RowProblem.ALL_MASKED.answer();
  private static final UTF8String NON_FINITE = RowProblem.NON_FINITE.answer();

  private final String name;
  private final boolean logits;

  private CheckFunction(String name, boolean logits) {
    this.name = name;
    this.logits = logits;
  }

  /** nn.check_logits(logits): the softmax input rules. */
  public static CheckFunction logits() {
    return new CheckFunction("check_logits", true);
  }

  /** nn.check_values(array): every element present and finite. */
  public static CheckFunction values() {
    return new CheckFunction("check_values", false);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return SoftmaxCatalog.DEFAULT_NAME + "." + name + "(array) - null when the row is valid, else why not: "
        + (logits ? RowCheck.LOGITS : RowCheck.VALUES).problems().stream().map(RowProblem::reason)
            .collect(java.util.stream.Collectors.joining(", "))
        + "\n  array: array<float> or array<double>";
  }

  @Override
  public BoundFunction bind(StructType input) {
    String usage = SoftmaxCatalog.DEFAULT_NAME + "." + name + "(array)";
    Signature.arity(usage, input, 1, 1);
    ArrayType type = Signature.floatingArray(usage, input, 0, "array");
    boolean isFloat = Signature.isFloat(type);
    if (logits) {
      return isFloat ? new FloatLogits(name, type) : new DoubleLogits(name, type);
    }
    return isFloat ? new FloatValues(name, type) : new DoubleValues(name, type);
  }

  /** Null, empty, null element: the checks both functions share. */
  private static UTF8String shape(ArrayData a) {
    if (a == null) {
      return NULL_ARRAY;
    }
    int n = a.numElements();
    if (n == 0) {
      return EMPTY_ARRAY;
    }
    for (int i = 0; i < n; i++) {
      if (a.isNullAt(i)) {
        return NULL_ELEMENT;
      }
    }
    return null;
  }

  /** NaN or +inf, or every entry -inf; read in place, without copying the row. */
  private static UTF8String logitsProblem(ArrayData a, boolean isFloat) {
    boolean anyUnmasked = false;
    for (int i = 0, n = a.numElements(); i < n; i++) {
      double v = isFloat ? a.getFloat(i) : a.getDouble(i);
      if (v != v || v == Double.POSITIVE_INFINITY) {
        return NAN_OR_INFINITY;
      }
      anyUnmasked |= v != Double.NEGATIVE_INFINITY;
    }
    return anyUnmasked ? null : ALL_MASKED;
  }

  /** Any non-finite value; read in place. */
  private static UTF8String valuesProblem(ArrayData a, boolean isFloat) {
    for (int i = 0, n = a.numElements(); i < n; i++) {
      double v = isFloat ? a.getFloat(i) : a.getDouble(i);
      if (!Double.isFinite(v)) {
        return NON_FINITE;
      }
    }
    return null;
  }

  /** nn.check_logits(array&lt;float&gt;). */
  public static final class FloatLogits extends SoftmaxBoundFunction<UTF8String> {
    FloatLogits(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      UTF8String problem = shape(a);
      return problem != null ? problem : logitsProblem(a, true);
    }
  }

  /** nn.check_logits(array&lt;double&gt;). */
  public static final class DoubleLogits extends SoftmaxBoundFunction<UTF8String> {
    DoubleLogits(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      UTF8String problem = shape(a);
      return problem != null ? problem : logitsProblem(a, false);
    }
  }

  /** nn.check_values(array&lt;float&gt;). */
  public static final class FloatValues extends SoftmaxBoundFunction<UTF8String> {
    FloatValues(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      UTF8String problem = shape(a);
      return problem != null ? problem : valuesProblem(a, true);
    }
  }

  /** nn.check_values(array&lt;double&gt;). */
  public static final class DoubleValues extends SoftmaxBoundFunction<UTF8String> {
    DoubleValues(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      UTF8String problem = shape(a);
      return problem != null ? problem : valuesProblem(a, false);
    }
  }
}
