package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Losses;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The gradient of {@link KlDistillFunction} with respect to the student's logits: {@code SELECT
 * nn.kl_distill_backward(student_logits, teacher_logits, 2.0)}.
 */
public final class KlDistillBackwardFunction implements UnboundFunction {
  static final String NAME = "kl_distill_backward";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  private static final String USAGE =
      FUNCTION + "(student_logits, teacher_logits, temperature [, upstream])";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE
        + " - the gradient upstream * T (softmax(z / T) - softmax(t / T)) of kl_distill\n"
        + "  student_logits: z, array<float> or array<double>; the gradient has their type;"
        + " array<array<...>> per token\n"
        + "  teacher_logits: t, an array of the same element type and length\n"
        + "  temperature: T, a finite number > 0\n"
        + "  upstream: dLoss/dL, a number (default 1)";
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(NAME, SoftmaxCatalog.DEFAULT_NAME + "." + NAME, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(USAGE, input, 3, 4);
    ArrayType student = Signature.floatingArray(USAGE, input, 0, "student_logits");
    ArrayType teacher =
        Signature.sameElementType(USAGE, input, 1, "teacher_logits", student, "student_logits");
    Signature.numeric(USAGE, input, 2, "temperature");
    if (input.size() == 4) {
      Signature.numeric(USAGE, input, 3, "upstream");
    }
    DataType[] types =
        input.size() == 4
            ? new DataType[] {student, teacher, DataTypes.DoubleType, DataTypes.DoubleType}
            : new DataType[] {student, teacher, DataTypes.DoubleType};
    boolean isFloat = Signature.isFloat(student);
    return new InterpretedFunction<Object>(
        NAME,
        row -> {
          if (LossRows.anyNull(row, types.length)) {
            return null;
          }
          double t = ArrayRows.temperature(FUNCTION, row.getDouble(2));
          double up = types.length == 4 ? row.getDouble(3) : 1;
          return isFloat
              ? LossRows.floatGrad(
                  FUNCTION, row, 0, 1, (z, th, out) -> Losses.klDistillBackward(z, th, t, up, out))
              : LossRows.doubleGrad(
                  FUNCTION, row, 0, 1, (z, th, out) -> Losses.klDistillBackward(z, th, t, up, out));
        },
        Signature.resultOf(student),
        types);
  }
}
