package dev.softmax.job;

import dev.softmax.job.pages.RowFunction;
import dev.softmax.udf.SqlFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A subcommand that reads a dataset and writes one: checks the options, then the paths, then the
 * input's schema, all before any Spark job runs; then writes through {@link BatchWrite}.
 */
abstract class DatasetCommand implements Callable<Integer> {
  /** What the run reads: a path or a table. */
  static final class Source {
    @Option(
        names = "--input",
        required = true,
        paramLabel = "PATH",
        description = "Parquet file or directory (Hive-style partitions included).")
    String path;

    @Option(
        names = "--input-table",
        required = true,
        paramLabel = "TABLE",
        description =
            "An Iceberg table, CATALOG.NAMESPACE.TABLE, instead of --input: its current snapshot,"
                + " or the one --snapshot or --as-of names (docs/tables.md).")
    String table;
  }

  /** Where the run writes: a path or a table. */
  static final class Target {
    @Option(
        names = "--output",
        required = true,
        paramLabel = "PATH",
        description = "Output directory.")
    String path;

    @Option(
        names = "--output-table",
        required = true,
        paramLabel = "TABLE",
        description =
            "An Iceberg table, CATALOG.NAMESPACE.TABLE, instead of --output: created, replaced or"
                + " appended to (--mode) in one commit (docs/tables.md).")
    String table;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  @Option(
      names = "--snapshot",
      paramLabel = "ID",
      description = "With --input-table: read this snapshot of it.")
  Long snapshot;

  @Option(
      names = "--as-of",
      paramLabel = "TIME",
      description =
          "With --input-table: read the snapshot that was current at this time (ISO-8601 with a"
              + " zone, 2026-12-05T07:30:00Z, or milliseconds since the epoch).")
  String asOf;

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

  /** Extra tables the run reads besides {@code --input-table}, as given. */
  List<String> otherInputTables() {
    return List.of();
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

  /**
   * {@code run} with the page path offered ({@link BatchRun#withPages}) where the run reads a path;
   * an input table takes the row path.
   */
  BatchRun withPages(BatchRun run, HadoopFiles files, RowFunction function) {
    return source.path == null ? run : run.withPages(function, files.qualify(source.path));
  }

  /** The memory a task needs for the input's rows (the array columns read and the one written). */
  abstract TaskMemory memory(InputDataset data);

  @Override
  public Integer call() {
    common.checkOutput();
    checkOptions();
    checkTables();
    SparkSessions.warmUp(warmedUp());
    SparkSession spark = SparkSessions.start(command());
    Notes notes = new Notes(command(), spec.commandLine().getErr());
    HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    OutputPublisher publisher = new OutputPublisher(files, notes);
    OutputChecks checks = new OutputChecks(files, publisher);
    Map<Path, String> inputs = new LinkedHashMap<>();
    Path in = source.path == null ? null : files.qualify(source.path);
    if (in != null) {
      inputs.put(in, "input");
    }
    inputs.putAll(otherInputs(files));
    checks.requireInputs(List.copyOf(inputs.keySet()));
    Path out = null;
    Path quarantine = null;
    TableName outTable = null;
    TableName quarantineTable = null;
    if (target.table != null) {
      outTable = TableName.parse("--output-table", target.table);
      quarantineTable = common.quarantineTable(outTable);
      List<TableName> written = new ArrayList<>(List.of(outTable));
      if (quarantineTable != null) {
        written.add(quarantineTable);
      }
      for (TableName t : written) {
        String what = t == outTable ? "output table" : "quarantine table";
        if (inputTables().contains(t)) {
          throw new UsageException(what + " " + t + " is also read by this run; write another");
        }
        TableOutput.requireWritable(spark, what, t, common.mode);
      }
    } else {
      out = files.qualify(target.path);
      checks.requireWritable("output", out, inputs, common.mode);
      quarantine = common.quarantinePath(files, out);
      if (quarantine != null) {
        Map<Path, String> taken = new LinkedHashMap<>(inputs);
        taken.put(out, "output");
        checks.requireWritable("quarantine", quarantine, taken, common.mode);
      }
    }
    InputDataset data =
        source.table != null
            ? TableInput.read(
                spark,
                "--input-table",
                TableName.parse("--input-table", source.table),
                snapshot,
                asOf,
                notes)
            : InputDataset.read(spark, in, inputFormat);
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
    if (outTable != null) {
      TableName output = outTable;
      TableName quarantined = quarantineTable;
      return common.write(
          spark,
          publisher,
          plan,
          notes,
          settings,
          spec,
          (guard, kernel) ->
              TableWrite.run(spark, guard, plan, common, output, quarantined, notes.all(), kernel));
    }
    return common.write(spark, publisher, plan, out, quarantine, notes, settings, spec);
  }

  /** Every table the run reads. */
  private List<TableName> inputTables() {
    List<TableName> tables = new ArrayList<>();
    if (source.table != null) {
      tables.add(TableName.parse("--input-table", source.table));
    }
    otherInputTables().forEach(t -> tables.add(TableName.parse("--grad-input-table", t)));
    return tables;
  }

  /**
   * Checks the table options before Spark starts: {@code --snapshot} and {@code --as-of} go with
   * {@code --input-table}, one at a time; a table in or out needs Iceberg's runtime; a table's file
   * format is its own.
   */
  private void checkTables() {
    if ((snapshot != null || asOf != null) && source.table == null) {
      throw new UsageException(
          (snapshot != null ? "--snapshot" : "--as-of") + " reads a table: it needs --input-table");
    }
    if (snapshot != null && asOf != null) {
      throw new UsageException("give one of --snapshot and --as-of, not both");
    }
    if (asOf != null) {
      TableInput.parseTime(asOf);
    }
    if (target.table != null && common.outputFormat != Formats.Output.parquet) {
      throw new UsageException(
          "--output-format is for path outputs; an Iceberg table's file format is the table's own"
              + " (its write.format.default property)");
    }
    List<String> options = new ArrayList<>();
    if (source.table != null) {
      options.add("--input-table");
    }
    if (target.table != null) {
      options.add("--output-table");
    }
    if (!otherInputTables().isEmpty()) {
      options.add("--grad-input-table");
    }
    if (!options.isEmpty()) {
      IcebergRuntime.require(String.join(" and ", options));
    }
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
              + data.name()
              + "; choose another name");
    }
  }
}
