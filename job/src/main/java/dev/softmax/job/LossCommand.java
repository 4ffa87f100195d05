package dev.softmax.job;

import static org.apache.spark.sql.functions.aggregate;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.transform;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.zip_with;

import dev.softmax.udf.RowCheck;
import dev.softmax.udf.RowProblem;
import dev.softmax.udf.SqlFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loss}: a training loss per row (or per token) of a logits column, against class labels,
 * target probabilities or a teacher's logits, and with {@code --grad} its gradient; the summary
 * gives the batch's mean loss.
 */
@Command(
    name = "loss",
    mixinStandardHelpOptions = true,
    description =
        "Loss of a logits column per row (per token for array<array<...>> logits): cross-entropy"
            + " against --label-col or --target-col, or distillation against --teacher-col; with"
            + " --grad also dL/dlogits. Every other column is kept; the summary gives the mean"
            + " loss.")
final class LossCommand extends DatasetCommand {
  @Option(
      names = "--logits-col",
      paramLabel = "COL",
      description =
          "Logits z: array<float|double>, or per token array<array<float|double>>; consumed only"
              + " with --grad. Default: ${DEFAULT-VALUE}.")
  String logitsCol = "logits";

  @Option(
      names = "--label-col",
      paramLabel = "COL",
      description =
          "Class indices y, int or bigint (per token: array<int|bigint>): cross-entropy, as"
              + " PyTorch's F.cross_entropy(z, y, reduction='none').")
  String labelCol;

  @Option(
      names = "--target-col",
      paramLabel = "COL",
      description =
          "Target probabilities q, like the logits: cross-entropy -sum_j q_j log softmax(z)_j.")
  String targetCol;

  @Option(
      names = "--teacher-col",
      paramLabel = "COL",
      description =
          "A teacher's logits t, like the logits: distillation loss"
              + " T^2 KL(softmax(t/T) || softmax(z/T)).")
  String teacherCol;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description =
          "The distillation's temperature (with --teacher-col); finite and > 0. Default: 1.")
  Double temperature;

  @Option(
      names = "--label-smoothing",
      paramLabel = "E",
      description = "Label smoothing in [0, 1] (with --label-col). Default: 0.")
  Double labelSmoothing;

  @Option(
      names = "--ignore-index",
      paramLabel = "I",
      description =
          "A label that counts not: loss 0, a gradient of zeros, left out of the mean (with"
              + " --label-col). Default: -100.")
  Long ignoreIndex;

  @Option(
      names = "--grad",
      description = "Also write the gradient dL/dlogits; the logits column is then consumed.")
  boolean grad;

  @Option(names = "--output-col", paramLabel = "COL", description = "Default: ${DEFAULT-VALUE}.")
  String outputCol = "loss";

  @Option(
      names = "--grad-output-col",
      paramLabel = "COL",
      description = "The gradient's column (with --grad). Default: grad_logits.")
  String gradOutputCol;

  @Override
  String command() {
    return "loss";
  }

  @Override
  SqlFunction function() {
    return teacherCol != null ? SqlFunction.KL_DISTILL : SqlFunction.CROSS_ENTROPY;
  }

  /**
   * The row checks alone: {@link dev.softmax.udf.Warmup} runs functions of arrays alone, and a loss
   * takes a label, a temperature or targets it cannot make.
   */
  @Override
  List<SqlFunction> warmedUp() {
    return arrayChecks().stream().map(RowCheck::function).distinct().toList();
  }

  /** The checks of the loss's array arguments: the logits', then the targets' or teacher's. */
  private List<RowCheck> arrayChecks() {
    return targetCol != null ? function().targetProbsChecks() : function().argumentChecks();
  }

  private SqlFunction backward() {
    return teacherCol != null
        ? SqlFunction.KL_DISTILL_BACKWARD
        : SqlFunction.CROSS_ENTROPY_BACKWARD;
  }

  /** The target or teacher column, or null for labels. */
  private String otherColumn() {
    return targetCol != null ? targetCol : teacherCol;
  }

  private String otherOption() {
    return targetCol != null ? "--target-col" : "--teacher-col";
  }

  private String gradColumn() {
    return gradOutputCol != null ? gradOutputCol : "grad_logits";
  }

  @Override
  TaskMemory memory(InputDataset data) {
    // the logits, the targets' or teacher's array as wide, and the gradient written as wide
    double logits = data.bytesPerRow(logitsCol);
    double other = otherColumn() != null ? data.bytesPerRow(otherColumn()) : 0;
    return TaskMemory.ofRow(
        "rows of " + logitsCol, (grad ? 2 : 1) * logits + other, data.largestChunkBytes());
  }

  @Override
  void checkOptions() {
    long given = Stream.of(labelCol, targetCol, teacherCol).filter(c -> c != null).count();
    if (given != 1) {
      throw new UsageException(
          "give one of --label-col (cross-entropy against class labels), --target-col"
              + " (against target probabilities) and --teacher-col (distillation)"
              + (given > 1 ? ", not more" : ""));
    }
    if (temperature != null) {
      if (teacherCol == null) {
        throw new UsageException(
            "--temperature is only used with --teacher-col (the distillation's temperature)");
      }
      requireValidTemperature(temperature);
    }
    if (labelSmoothing != null) {
      if (labelCol == null) {
        throw new UsageException("--label-smoothing is only used with --label-col");
      }
      if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
        throw new UsageException("--label-smoothing: must be in [0, 1]; got " + labelSmoothing);
      }
    }
    if (ignoreIndex != null && labelCol == null) {
      throw new UsageException("--ignore-index is only used with --label-col");
    }
    if (gradOutputCol != null && !grad) {
      throw new UsageException("--grad-output-col is only used with --grad");
    }
    if (grad && gradColumn().equals(outputCol)) {
      throw new UsageException(
          "--output-col and --grad-output-col both name "
              + outputCol
              + "; the loss and its gradient need a column each");
    }
  }

  @Override
  BatchRun plan(
      SparkSession spark,
      HadoopFiles files,
      InputDataset data,
      List<String> keys,
      Notes notes,
      Map<String, String> settings) {
    ArrayType logitsType = data.lossLogitsColumn("--logits-col", logitsCol);
    boolean perToken = logitsType.elementType() instanceof ArrayType;
    DataType element = rowsOf(logitsType).elementType();
    SqlFunction function = function();
    Column z = Columns.named(logitsCol);
    List<Column> problems = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    List<RowCheck> checks = arrayChecks();
    addCheck(problems, reasons, logitsCol, checks.get(0), z, perToken);

    Column[] args;
    Column counted;
    if (labelCol != null) {
      requireLabels(data, perToken);
      Column y = Columns.named(labelCol);
      long ignore = ignoreIndex != null ? ignoreIndex : SqlFunction.DEFAULT_IGNORE_INDEX;
      String prefix = labelCol + ": ";
      if (perToken) {
        // a token count that differs from the logits' is the pair's, as for two arrays
        problems.add(when(y.isNotNull().and(size(y).notEqual(size(z))), lit(lengthMismatch())));
        reasons.add(lengthMismatch());
        problems.add(
            concat(
                lit(prefix),
                when(y.isNull(), lit(RowProblem.NULL_LABEL.reason()))
                    .otherwise(
                        firstProblem(
                            zip_with(z, y, (zt, yt) -> function.labelProblem(zt, yt, ignore))))));
      } else {
        problems.add(concat(lit(prefix), function.labelProblem(z, y, ignore)));
      }
      reasons.add(prefix + RowProblem.NULL_LABEL.reason());
      reasons.add(prefix + RowProblem.LABEL_OUT_OF_RANGE.reason());
      args = new Column[] {z, y, lit(ignore), lit(labelSmoothing != null ? labelSmoothing : 0.0)};
      counted =
          perToken
              ? size(filter(y, yt -> yt.notEqual(ignore)))
              : when(y.notEqual(ignore), lit(1)).otherwise(lit(0));
    } else {
      String other = otherColumn();
      ArrayType otherType = data.lossLogitsColumn(otherOption(), other);
      if (!sameShape(otherType, logitsType)) {
        throw new UsageException(
            otherOption()
                + " "
                + other
                + " holds "
                + otherType.simpleString()
                + " but "
                + logitsCol
                + " holds "
                + logitsType.simpleString()
                + "; both must have one type");
      }
      Column q = Columns.named(other);
      addCheck(problems, reasons, other, checks.get(1), q, perToken);
      problems.add(
          perToken
              ? when(size(z).notEqual(size(q)), lit(lengthMismatch()))
                  .otherwise(firstProblem(zip_with(z, q, function::lengthProblem)))
              : function.lengthProblem(z, q));
      reasons.add(lengthMismatch());
      args =
          teacherCol != null
              ? new Column[] {
                z, q, lit(temperature != null ? temperature : SqlFunction.NO_TEMPERATURE)
              }
              : new Column[] {z, q};
      counted = perToken ? size(Columns.named(outputCol)) : lit(1);
    }

    List<String> consumed = grad ? List.of(logitsCol) : List.of();
    requireNewColumn(data, outputCol, consumed);
    if (grad) {
      requireNewColumn("--grad-output-col", data, gradColumn(), consumed);
    }
    Column loss = Columns.named(outputCol);
    Column sum =
        perToken ? aggregate(loss, lit(0.0), (total, l) -> total.plus(l)) : loss.cast("double");
    return new BatchRun(
        command(),
        new BatchRun.Source(data.name(), data.rows(), keys, data.partitionColumns()),
        new BatchRun.RowRules(coalesce(problems.toArray(Column[]::new)), reasons),
        BatchRun.Output.withAlongside(
            outputCol,
            function.call(args),
            consumed,
            element.simpleString(),
            grad ? Map.of(gradColumn(), backward().call(args)) : Map.of()),
        new BatchRun.Loss(sum, counted));
  }

  /**
   * Adds the check of an array argument's rows (per token: of the tokens' rows, the first bad
   * token's reason) and its reasons, prefixed by the column's name.
   */
  private static void addCheck(
      List<Column> problems,
      List<String> reasons,
      String column,
      RowCheck check,
      Column array,
      boolean perToken) {
    String prefix = column + ": ";
    Column problem =
        perToken
            ? when(array.isNull(), lit(RowProblem.NULL_ARRAY.reason()))
                .when(size(array).equalTo(0), lit(RowProblem.EMPTY_ARRAY.reason()))
                .otherwise(firstProblem(transform(array, check::on)))
            : check.on(array);
    problems.add(concat(lit(prefix), problem));
    check.problems().forEach(p -> reasons.add(prefix + p.reason()));
  }

  /** The first non-null element of an array of reasons, or null. */
  private static Column firstProblem(Column reasons) {
    return aggregate(reasons, lit(null).cast("string"), (found, p) -> coalesce(found, p));
  }

  private static String lengthMismatch() {
    return RowProblem.LENGTH_MISMATCH.reason();
  }

  private void requireLabels(InputDataset data, boolean perToken) {
    DataType type = data.field("--label-col", labelCol).dataType();
    DataType label = perToken && type instanceof ArrayType a ? a.elementType() : type;
    boolean integral =
        (label instanceof IntegerType || label instanceof LongType)
            && (perToken == type instanceof ArrayType);
    if (!integral) {
      throw new UsageException(
          "--label-col "
              + labelCol
              + " in "
              + data.name()
              + " is "
              + type.catalogString()
              + (perToken
                  ? "; with per-token logits it must be array<int> or array<bigint>"
                  : "; it must be int or bigint"));
    }
  }

  /** The rows of classes of a logits-like type: itself, or per token its element. */
  private static ArrayType rowsOf(ArrayType type) {
    return type.elementType() instanceof ArrayType tokens ? tokens : type;
  }

  /** Whether two logits-like types nest alike and hold one element type. */
  private static boolean sameShape(ArrayType a, ArrayType b) {
    return (a.elementType() instanceof ArrayType) == (b.elementType() instanceof ArrayType)
        && rowsOf(a).elementType().equals(rowsOf(b).elementType());
  }
}
