package dev.softmax.job;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.softmax.job.pages.RowFunction;
import dev.softmax.udf.RowCheck;
import dev.softmax.udf.RowProblem;
import dev.softmax.udf.SqlFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code backward}: dL/dlogits from probabilities (or logits) and upstream gradients. */
@Command(
    name = "backward",
    mixinStandardHelpOptions = true,
    description =
        "Softmax backward pass dL/dz = S * (g - <S, g>) per row; every other column is kept.")
final class BackwardCommand extends DatasetCommand {
  static final String MISSING_GRADIENT = "missing gradient";
  static final String DUPLICATE_GRADIENT = "duplicate gradient key";
  private static final String GRAD_COUNT = "__softmax_grad_count";

  @Option(
      names = "--probs-col",
      paramLabel = "COL",
      description = "Probabilities S (default: probs, or log_probs with --log).")
  String probsCol;

  @Option(
      names = "--logits-col",
      paramLabel = "COL",
      description = "Logits z instead of probabilities: S is recomputed from them.")
  String logitsCol;

  @Option(
      names = "--grad-col",
      paramLabel = "COL",
      description = "dL/dS. Default: ${DEFAULT-VALUE}.")
  String gradCol = "grad";

  @Option(names = "--output-col", paramLabel = "COL", description = "Default: ${DEFAULT-VALUE}.")
  String outputCol = "grad_logits";

  @Option(
      names = "--log",
      description =
          "The probabilities column holds log-probabilities"
              + " (forward --log) and the gradient is dL/dlog_probs.")
  boolean log;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description =
          "The forward pass's temperature; the gradient carries 1/T. Default: ${DEFAULT-VALUE}.")
  double temperature = SqlFunction.NO_TEMPERATURE;

  @Option(
      names = "--grad-input",
      paramLabel = "PATH",
      description = "Read the gradients from this dataset, matched to the input's rows on --key.")
  String gradInput;

  @Option(
      names = "--grad-input-table",
      paramLabel = "TABLE",
      description =
          "Read the gradients from this Iceberg table (its current snapshot) instead, matched on"
              + " --key.")
  String gradInputTable;

  @Override
  String command() {
    return "backward";
  }

  @Override
  TaskMemory memory(InputDataset data) {
    // the gradient and the result are as wide as the probabilities or logits
    return TaskMemory.ofRow(
        "rows of " + firstColumn(), 3 * data.bytesPerRow(firstColumn()), data.largestChunkBytes());
  }

  @Override
  void checkOptions() {
    requireValidTemperature(temperature);
    if (probsCol != null && logitsCol != null) {
      throw new UsageException("give one of --probs-col and --logits-col, not both");
    }
    if (log && logitsCol != null) {
      throw new UsageException("--log reads log-probabilities; it does not go with --logits-col");
    }
    if (gradInput != null && gradInputTable != null) {
      throw new UsageException("give one of --grad-input and --grad-input-table, not both");
    }
    if ((gradInput != null || gradInputTable != null) && (key == null || key.isEmpty())) {
      throw new UsageException(
          (gradInput != null ? "--grad-input" : "--grad-input-table")
              + " needs --key COL[,COL...] to match gradient rows to input rows");
    }
  }

  @Override
  List<String> otherInputTables() {
    return gradInputTable == null ? List.of() : List.of(gradInputTable);
  }

  @Override
  Map<Path, String> otherInputs(HadoopFiles files) {
    return gradInput == null ? Map.of() : Map.of(files.qualify(gradInput), "gradient input");
  }

  private String firstColumn() {
    return logitsCol != null
        ? logitsCol
        : probsCol != null ? probsCol : log ? "log_probs" : "probs";
  }

  @Override
  SqlFunction function() {
    return logitsCol != null
        ? SqlFunction.SOFTMAX_BACKWARD_FROM_LOGITS
        : log ? SqlFunction.LOG_SOFTMAX_BACKWARD : SqlFunction.SOFTMAX_BACKWARD;
  }

  @Override
  BatchRun plan(
      SparkSession spark,
      HadoopFiles files,
      InputDataset data,
      List<String> keys,
      Notes notes,
      Map<String, String> settings) {
    String first = firstColumn();
    String firstOption = logitsCol != null ? "--logits-col" : "--probs-col";
    DataType element = data.floatingArrayColumn(firstOption, first);
    Dataset<Row> rows = data.rows();
    List<String> reasons = new ArrayList<>();
    List<Column> problems = new ArrayList<>();

    String gradSource = gradInput != null ? "--grad-input " + gradInput : null;
    if (gradInputTable != null) {
      gradSource = "--grad-input-table " + gradInputTable;
    }
    if (gradSource != null) {
      if (List.of(rows.columns()).contains(gradCol)) {
        if (keys.contains(gradCol) || first.equals(gradCol)) {
          throw new UsageException(
              "--grad-col "
                  + gradCol
                  + " is also "
                  + (keys.contains(gradCol) ? "a --key" : "the " + firstOption.substring(2))
                  + " column; name the gradient column something else");
        }
        rows = rows.drop(gradCol);
        notes.add(
            "--grad-col "
                + gradCol
                + " is a column of both "
                + data.name()
                + " and "
                + gradSource
                + "; the gradients are taken from "
                + (gradInputTable != null ? "--grad-input-table" : "--grad-input")
                + " and the input's "
                + gradCol
                + " is dropped");
      }
      InputDataset grads =
          gradInputTable != null
              ? TableInput.read(
                  spark,
                  "--grad-input-table",
                  TableName.parse("--grad-input-table", gradInputTable),
                  null,
                  null,
                  notes)
              : InputDataset.read(spark, files.qualify(gradInput), inputFormat);
      settings.putAll(grads.readSettings());
      grads.notes().forEach(notes::add);
      requireSameElement(grads.floatingArrayColumn("--grad-col", gradCol), element, first);
      for (String k : keys) {
        grads.field("--key", k);
      }
      Dataset<Row> byKey =
          grads
              .rows()
              .groupBy(keys.stream().map(Columns::named).toArray(Column[]::new))
              .agg(count(lit(1)).as(GRAD_COUNT), first(Columns.named(gradCol)).as(gradCol));
      // the input file must be read before the join, after which it is unknown
      rows =
          rows.withColumn(BadRows.FILE, input_file_name())
              .join(byKey, keys.toArray(new String[0]), "left");
      problems.add(when(col(GRAD_COUNT).isNull(), lit(MISSING_GRADIENT)));
      problems.add(when(col(GRAD_COUNT).gt(1), lit(DUPLICATE_GRADIENT)));
      reasons.add(MISSING_GRADIENT);
      reasons.add(DUPLICATE_GRADIENT);
    } else {
      requireSameElement(data.floatingArrayColumn("--grad-col", gradCol), element, first);
    }

    SqlFunction function = function();
    // each argument's rows checked by the rules the function gives for it
    List<String> arguments = List.of(first, gradCol);
    for (int i = 0; i < arguments.size(); i++) {
      RowCheck check = function.argumentChecks().get(i);
      String prefix = arguments.get(i) + ": ";
      problems.add(concat(lit(prefix), check.on(Columns.named(arguments.get(i)))));
      check.problems().forEach(p -> reasons.add(prefix + p.reason()));
    }
    problems.add(function.lengthProblem(Columns.named(first), Columns.named(gradCol)));
    reasons.add(RowProblem.LENGTH_MISMATCH.reason());

    List<String> consumed = List.of(first, gradCol, GRAD_COUNT);
    requireNewColumn(data, outputCol, consumed);
    BatchRun run =
        new BatchRun(
            command(),
            new BatchRun.Source(data.name(), rows, keys, data.partitionColumns()),
            new BatchRun.RowRules(coalesce(problems.toArray(Column[]::new)), reasons),
            new BatchRun.Output(
                outputCol,
                function.call(Columns.named(first), Columns.named(gradCol), lit(temperature)),
                consumed,
                element.simpleString()));
    // the page path reads the gradients beside the logits, from the same file
    return function == SqlFunction.SOFTMAX_BACKWARD_FROM_LOGITS
            && gradInput == null
            && gradInputTable == null
        ? withPages(
            run, files, new RowFunction(function, temperature, List.of(first, gradCol), outputCol))
        : run;
  }

  private void requireSameElement(DataType grad, DataType element, String first) {
    if (!grad.equals(element)) {
      throw new UsageException(
          "--grad-col "
              + gradCol
              + " holds "
              + grad.simpleString()
              + " but "
              + first
              + " holds "
              + element.simpleString()
              + "; both must have one element type");
    }
  }
}
