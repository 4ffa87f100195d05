package dev.softmax.udf.functions;

import dev.softmax.udf.RowCheck;
import dev.softmax.udf.RowProblem;
import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Maximum;
import java.util.stream.Collectors;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Why a row cannot go through the softmax functions, or null when it can: {@code SELECT
 * nn.check_logits(logits)} and {@code nn.check_values(grad)}. Batch jobs use these to sort out bad
 * rows in the same pass that computes the good ones.
 *
 * <p>{@code check_logits}: null array, empty array, null element, NaN or +inf, all entries -inf.
 * {@code check_values} (probabilities, gradients): null array, empty array, null element,
 * non-finite value.
 */
public final class CheckFunction implements UnboundFunction {
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
    return SoftmaxCatalog.DEFAULT_NAME
        + "."
        + name
        + "(array) - null when the row is valid, else why not: "
        + (logits ? RowCheck.LOGITS : RowCheck.VALUES)
            .problems().stream().map(RowProblem::reason).collect(Collectors.joining(", "))
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

  /**
   * Null, empty, null element: the checks both functions share (and the checked functions make
   * before they copy the row).
   */
  static RowProblem shape(ArrayData a) {
    if (a == null) {
      return RowProblem.NULL_ARRAY;
    }
    if (a.numElements() == 0) {
      return RowProblem.EMPTY_ARRAY;
    }
    return ArrayRows.hasNullElement(a) ? RowProblem.NULL_ELEMENT : null;
  }

  /**
   * NaN or +inf, or every entry -inf, told by the row's maximum (NaN when any element is NaN): one
   * vectorized pass over a copy of the row, which costs less than reading Spark's array element by
   * element.
   */
  static RowProblem logitsProblem(double max) {
    return RowProblem.ofLogitsMaximum(max);
  }

  /** Any non-finite value, told by the row's largest magnitude (NaN or +inf when there is one). */
  private static RowProblem valuesProblem(double magnitude) {
    return RowProblem.ofValuesMagnitude(magnitude);
  }

  /** The check's answer: null for a good row. */
  private static UTF8String answer(RowProblem problem) {
    return problem == null ? null : problem.answer();
  }

  /** nn.check_logits(array&lt;float&gt;). */
  public static final class FloatLogits extends SoftmaxBoundFunction<UTF8String> {
    FloatLogits(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      RowProblem problem = shape(a);
      return answer(problem != null ? problem : logitsProblem(Maximum.of(a.toFloatArray())));
    }
  }

  /** nn.check_logits(array&lt;double&gt;). */
  public static final class DoubleLogits extends SoftmaxBoundFunction<UTF8String> {
    DoubleLogits(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      RowProblem problem = shape(a);
      return answer(problem != null ? problem : logitsProblem(Maximum.of(a.toDoubleArray())));
    }
  }

  /** nn.check_values(array&lt;float&gt;). */
  public static final class FloatValues extends SoftmaxBoundFunction<UTF8String> {
    FloatValues(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      RowProblem problem = shape(a);
      return answer(problem != null ? problem : valuesProblem(Maximum.magnitude(a.toFloatArray())));
    }
  }

  /** nn.check_values(array&lt;double&gt;). */
  public static final class DoubleValues extends SoftmaxBoundFunction<UTF8String> {
    DoubleValues(String name, ArrayType type) {
      super(name, row -> invoke(array(row, 0)), DataTypes.StringType, type);
    }

    // magic method used in codegen
    public static UTF8String invoke(ArrayData a) {
      RowProblem problem = shape(a);
      return answer(
          problem != null ? problem : valuesProblem(Maximum.magnitude(a.toDoubleArray())));
    }
  }
}
