package dev.softmax.job;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Options every subcommand that writes a dataset takes. */
final class CommonOptions {
  @Option(
      names = "--mode",
      paramLabel = "MODE",
      description =
          "When the output exists: refuse (error), replace it after a successful run"
              + " (overwrite), or, for a table, add a snapshot (append): ${COMPLETION-CANDIDATES}."
              + " Default: ${DEFAULT-VALUE}.")
  WriteMode mode = WriteMode.error;

  @Option(
      names = "--on-bad-row",
      paramLabel = "POLICY",
      description =
          "Rows that cannot be computed: stop the run (fail), drop and count them (skip),"
              + " or write them with an error column to the quarantine path: ${COMPLETION-CANDIDATES}."
              + " Default: ${DEFAULT-VALUE}.")
  BadRowPolicy onBadRow = BadRowPolicy.fail;

  @Option(
      names = "--quarantine",
      paramLabel = "PATH",
      description =
          "Where quarantined rows go. Default: <output>.quarantine beside the output; with"
              + " --output-table a table, by default <table>_quarantine.")
  String quarantine;

  @Option(
      names = "--partition-by",
      split = ",",
      paramLabel = "COL[,COL...]",
      description =
          "Partition the output by these columns. Default: the input's partition columns.")
  List<String> partitionBy;

  @Option(
      names = "--output-format",
      paramLabel = "FORMAT",
      description =
          "${COMPLETION-CANDIDATES}: parquet (partitioned directories), or arrow: one Arrow IPC"
              + " file per task, no partition directories (partition columns become ordinary columns)."
              + " Quarantined rows are always Parquet. Default: ${DEFAULT-VALUE}.")
  Formats.Output outputFormat = Formats.Output.parquet;

  @Option(
      names = "--arrow-compression",
      paramLabel = "CODEC",
      description =
          "Buffer compression of Arrow output: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}"
              + " (every Arrow implementation reads it; the JavaScript one reads no compressed buffers).")
  Formats.ArrowCompression arrowCompression = Formats.ArrowCompression.none;

  /** Fails on partitioning asked of Arrow output. */
  void checkOutput() {
    if (outputFormat == Formats.Output.arrow && partitionBy != null && !partitionBy.isEmpty()) {
      throw new UsageException(
          "--output-format arrow writes no partition directories; drop --partition-by");
    }
  }

  /**
   * Where quarantined rows go (null unless the policy is quarantine): a sibling of the output by
   * default.
   */
  Path quarantinePath(HadoopFiles files, Path output) {
    if (!quarantines()) {
      return null;
    }
    return quarantine != null
        ? files.qualify(quarantine)
        : new Path(output.getParent(), output.getName() + ".quarantine");
  }

  /**
   * The table quarantined rows go to (null unless the policy is quarantine): {@code --quarantine}
   * names one, else it is the output table's name with {@link TableName#QUARANTINE_SUFFIX}.
   */
  TableName quarantineTable(TableName output) {
    if (!quarantines()) {
      return null;
    }
    return quarantine != null ? TableName.parse("--quarantine", quarantine) : output.quarantine();
  }

  /** Whether bad rows are quarantined; {@code --quarantine} is refused with another policy. */
  private boolean quarantines() {
    if (onBadRow != BadRowPolicy.quarantine && quarantine != null) {
      throw new UsageException("--quarantine is only used with --on-bad-row quarantine");
    }
    return onBadRow == BadRowPolicy.quarantine;
  }

  /**
   * Writes the planned run under a {@link RunGuard} with the Spark {@code settings} it needs (set
   * for the run, then restored), and prints its summary line. Returns the exit status.
   */
  int write(
      SparkSession spark,
      OutputPublisher publisher,
      BatchRun plan,
      Path output,
      Path quarantinePath,
      Notes notes,
      Map<String, String> settings,
      CommandSpec spec) {
    return write(
        spark,
        publisher,
        plan,
        notes,
        settings,
        spec,
        (guard, kernel) ->
            BatchWrite.run(
                spark,
                publisher.files(),
                guard,
                plan,
                this,
                output,
                quarantinePath,
                notes.all(),
                kernel));
  }

  /** How a run's rows are written and published, once the executors' kernel is known. */
  interface Writer {
    Summary write(RunGuard guard, String kernel);
  }

  /**
   * {@link #write} through {@code writer}: paths ({@link BatchWrite}) or tables ({@link
   * TableWrite}).
   */
  int write(
      SparkSession spark,
      OutputPublisher publisher,
      BatchRun plan,
      Notes notes,
      Map<String, String> settings,
      CommandSpec spec,
      Writer writer) {
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> previous = new LinkedHashMap<>();
    settings.forEach(
        (k, v) -> {
          // contains, not getOption: Spark 4 answers getOption of an unset key without a default by
          // building an exception, which loads Spark's error messages (a tenth of a second or more)
          previous.put(k, spark.conf().contains(k) ? spark.conf().get(k) : null);
          spark.conf().set(k, v);
        });
    try (RunGuard guard = new RunGuard(spark.sparkContext(), plan.command(), publisher, err)) {
      String kernel = guard.action(() -> ExecutorKernels.probe(spark));
      String slow = ExecutorKernels.note(kernel);
      if (slow != null) {
        notes.add(slow);
      }
      Summary summary = writer.write(guard, kernel);
      spec.commandLine().getOut().println(summary.toLine());
      spec.commandLine().getOut().flush();
      return 0;
    } finally {
      previous.forEach(
          (k, v) -> {
            if (v == null) {
              spark.conf().unset(k);
            } else {
              spark.conf().set(k, v);
            }
          });
    }
  }
}
