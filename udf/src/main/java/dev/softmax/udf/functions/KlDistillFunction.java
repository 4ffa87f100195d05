package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Losses;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The distillation loss of a student's logits against a teacher's (Hinton et al.): {@code SELECT
 * nn.kl_distill(student_logits, teacher_logits, 2.0)}.
 */
public final class KlDistillFunction implements UnboundFunction {
  static final String NAME = "kl_distill";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  private static final String USAGE = FUNCTION + "(student_logits, teacher_logits, temperature)";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE
        + " - T^2 KL(softmax(t / T) || softmax(z / T)), 0 log 0 = 0\n"
        + "  student_logits: z, array<float> or array<double>; the loss has their element type;"
        + " array<array<...>> per token\n"
        + "  teacher_logits: t, an array of the same element type and length\n"
        + "  temperature: T, a finite number > 0";
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(NAME, SoftmaxCatalog.DEFAULT_NAME + "." + NAME, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(USAGE, input, 3, 3);
    ArrayType student = Signature.floatingArray(USAGE, input, 0, "student_logits");
    ArrayType teacher =
        Signature.sameElementType(USAGE, input, 1, "teacher_logits", student, "student_logits");
    Signature.numeric(USAGE, input, 2, "temperature");
    boolean isFloat = Signature.isFloat(student);
    return new InterpretedFunction<Object>(
        NAME,
        row -> {
          if (LossRows.anyNull(row, 3)) {
            return null;
          }
          double t = ArrayRows.temperature(FUNCTION, row.getDouble(2));
          return isFloat
              ? (Object)
                  LossRows.floatLoss(FUNCTION, row, 0, 1, (z, th) -> Losses.klDistill(z, th, t))
              : LossRows.doubleLoss(FUNCTION, row, 0, 1, (z, th) -> Losses.klDistill(z, th, t));
        },
        student.elementType(),
        student,
        teacher,
        DataTypes.DoubleType);
  }
}
