package dev.softmax.job;

import dev.softmax.udf.SqlFunction;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A subcommand that reads a dataset and writes one: checks the options, then the paths, then the
 * input's schema, all before any Spark job runs; then writes through {@link BatchWrite}.
 */
abstract class DatasetCommand implements Callable<Integer> {
  @Option(
      names = "--input",
      required = true,
      paramLabel = "PATH",
      description = "Parquet file or directory (Hive-style partitions included).")
  String input;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "PATH",
      description = "Output directory.")
  String output;

  @Option(
      names = "--key",
      split = ",",
      paramLabel = "COL[,COL...]",
      description =
          "Columns that identify a row: named in bad-row messages%n"
              + "(default: id, when there is such a column).")
  List<String> key;

  @Option(
      names = "--input-format",
      paramLabel = "FORMAT",
      description =
          "Input format, ${COMPLETION-CANDIDATES}; auto tells Parquet from Arrow IPC (file or"
              + " stream) by the first file's bytes. Default: ${DEFAULT-VALUE}.")
  Formats.Input inputFormat = Formats.Input.auto;

  @Mixin CommonOptions common;

  @Spec CommandSpec spec;

  /** The subcommand's name, as in the summary. */
  abstract String command();

  /** Option checks that need no Spark; throw {@link UsageException}. */
  void checkOptions() {}

  /** The SQL function the run computes (the row checks of its arguments run too). */
  abstract SqlFunction function();

  /**
   * The functions a local run compiles while Spark starts ({@link SparkSessions#warmUp}): those the
   * run calls on each row.
   */
  List<SqlFunction> warmedUp() {
    return SparkSessions.calledFunctions(function(), common.onBadRow);
  }

  /** Extra inputs the run reads besides {@code --input}, each with a name for messages. */
  Map<Path, String> otherInputs(HadoopFiles files) {
    return Map.of();
  }

  /**
   * Builds the run over the checked input; what it decided for the user goes into {@code notes}.
   */
  abstract BatchRun plan(
      SparkSession spark,
      HadoopFiles files,
      InputDataset input,
      List<String> keys,
      Notes notes,
      Map<String, String> settings);

  /** The memory a task needs for the input's rows (the array columns read and the one written). */
  abstract TaskMemory memory(InputDataset data);

  @Override
  public Integer call() {
    common.checkOutput();
    checkOptions();
    SparkSessions.warmUp(warmedUp());
    SparkSession spark = SparkSessions.start(command());
    Notes notes = new Notes(command(), spec.commandLine().getErr());
    HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    OutputPublisher publisher = new OutputPublisher(files, notes);
    OutputChecks checks = new OutputChecks(files, publisher);
    Path in = files.qualify(input);
    Path out = files.qualify(output);
    Map<Path, String> inputs = new LinkedHashMap<>();
    inputs.put(in, "input");
    inputs.putAll(otherInputs(files));
    checks.requireInputs(List.copyOf(inputs.keySet()));
    checks.requireWritable("output", out, inputs, common.mode);
    Path quarantine = common.quarantinePath(files, out);
    if (quarantine != null) {
      Map<Path, String> taken = new LinkedHashMap<>(inputs);
      taken.put(out, "output");
      checks.requireWritable("quarantine", quarantine, taken, common.mode);
    }
    InputDataset data = InputDataset.read(spark, in, inputFormat);
    List<String> keys =
        key != null
            ? key
            : List.of(data.rows().columns()).contains("id") ? List.of("id") : List.of();
    for (String k : keys) {
      data.field("--key", k);
    }
    if (common.partitionBy != null) {
      for (String p : common.partitionBy) {
        data.field("--partition-by", p);
      }
    }
    data.notes().forEach(notes::add);
    Map<String, String> settings = new LinkedHashMap<>(data.readSettings());
    BatchRun plan = plan(spark, files, data, keys, notes, settings);
    TaskMemory memory = memory(data);
    memory.requireFits(spark.sparkContext());
    settings.putAll(memory.settings());
    return common.write(spark, publisher, plan, out, quarantine, notes, settings, spec);
  }

  static void requireValidTemperature(double temperature) {
    try {
      SqlFunction.checkTemperature(temperature);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--temperature: " + e.getMessage());
    }
  }

  /** Fails when the output column would overwrite an input column that is kept. */
  static void requireNewColumn(InputDataset data, String outputColumn, List<String> consumed) {
    requireNewColumn("--output-col", data, outputColumn, consumed);
  }

  /**
   * Fails when the column {@code option} names for output would overwrite an input column that is
   * kept.
   */
  static void requireNewColumn(
      String option, InputDataset data, String outputColumn, List<String> consumed) {
    if (List.of(data.rows().columns()).contains(outputColumn) && !consumed.contains(outputColumn)) {
      throw new UsageException(
          option
              + " "
              + outputColumn
              + " is already a column of "
              + data.path()
              + "; choose another name");
    }
  }
}
