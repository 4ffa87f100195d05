package dev.softmax.job;

import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;

import dev.softmax.job.pages.RowFunction;
import dev.softmax.udf.RowCheck;
import dev.softmax.udf.SqlFunction;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code forward}: probabilities (or log-probabilities) from logits. */
@Command(
    name = "forward",
    mixinStandardHelpOptions = true,
    description = "Row-wise softmax of a logits column; every other column is kept.")
final class ForwardCommand extends DatasetCommand {
  @Option(names = "--logits-col", paramLabel = "COL", description = "Default: ${DEFAULT-VALUE}.")
  String logitsCol = "logits";

  @Option(
      names = "--output-col",
      paramLabel = "COL",
      description = "Default: probs, or log_probs with --log.")
  String outputCol;

  @Option(names = "--log", description = "Write log-probabilities (log_softmax) instead.")
  boolean log;

  @Option(
      names = "--temperature",
      paramLabel = "T",
      description = "softmax(z / T); finite and > 0. Default: ${DEFAULT-VALUE}.")
  double temperature = SqlFunction.NO_TEMPERATURE;

  @Override
  String command() {
    return "forward";
  }

  @Override
  SqlFunction function() {
    return log ? SqlFunction.LOG_SOFTMAX : SqlFunction.SOFTMAX;
  }

  @Override
  TaskMemory memory(InputDataset data) {
    return TaskMemory.ofRow(
        "rows of " + logitsCol, 2 * data.bytesPerRow(logitsCol), data.largestChunkBytes());
  }

  @Override
  void checkOptions() {
    requireValidTemperature(temperature);
  }

  @Override
  BatchRun plan(
      SparkSession spark,
      HadoopFiles files,
      InputDataset data,
      List<String> keys,
      Notes notes,
      Map<String, String> settings) {
    DataType element = data.floatingArrayColumn("--logits-col", logitsCol);
    String out = outputCol != null ? outputCol : log ? "log_probs" : "probs";
    List<String> consumed = List.of(logitsCol);
    requireNewColumn(data, out, consumed);
    SqlFunction function = function();
    RowCheck check = function.argumentChecks().get(0);
    String prefix = logitsCol + ": ";
    // the logits' check is the only rule, so the checked form fails on exactly the rows it marks
    SqlFunction checked = function.checked().orElseThrow();
    BatchRun run =
        new BatchRun(
            command(),
            new BatchRun.Source(data.name(), data.rows(), keys, data.partitionColumns()),
            new BatchRun.RowRules(
                concat(lit(prefix), check.on(Columns.named(logitsCol))),
                check.problems().stream().map(p -> prefix + p.reason()).toList()),
            new BatchRun.Output(
                out,
                function.call(Columns.named(logitsCol), lit(temperature)),
                consumed,
                element.simpleString(),
                checked.call(Columns.named(logitsCol), lit(temperature))));
    return withPages(run, files, new RowFunction(function, temperature, List.of(logitsCol), out));
  }
}
