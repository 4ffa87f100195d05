package dev.softmax.job;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.raise_error;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The common tail of forward and backward: sort out bad rows by policy, compute one output
 * column, write Parquet into a staging directory, count what happened, and publish the output with
 * its summary only when everything has succeeded.
 */
final class BatchWrite {
  /** Why a row is bad (null when it is good); dropped before writing. */
  static final String ERROR = "__softmax_error";
  /** The prefix of every working column the job adds; none is ever written. */
  static final String INTERNAL = "__softmax_";
  /**
   * The input file a row came from, for the fail policy's message, where it must be taken before
   * a join; dropped before writing. Without it the message reads input_file_name() itself.
   */
  static final String FILE = "__softmax_file";
  /** The column quarantined rows carry their reason in. */
  static final String QUARANTINE_ERROR = "error";

  /**
   * One run. {@code rows} holds the input columns (and maybe {@link #FILE}); {@code problem} says why
   * a row is bad, or null; {@code reasons} lists every answer {@code problem} can give.
   */
  record Plan(
      String command,
      String input,
      Dataset<Row> rows,
      Column problem,
      List<String> reasons,
      String outputColumn,
      Column result,
      List<String> consumed,
      List<String> keys,
      List<String> partitionColumns,
      String elementType) {}

  private BatchWrite() {}

  static Summary run(SparkSession spark, DatasetPaths paths, RunGuard guard, Plan plan, CommonOptions options,
      Path output, Path quarantine, List<String> notes, String kernel) {
    long start = System.nanoTime();
    Dataset<Row> marked = plan.rows().withColumn(ERROR, plan.problem());
    Observation seen = new Observation("rows");
    List<Column> metrics = new ArrayList<>();
    metrics.add(count(lit(1)).as("rows_in"));
    metrics.add(count_if(col(ERROR).isNull()).as("good"));
    for (int i = 0; i < plan.reasons().size(); i++) {
      metrics.add(count_if(col(ERROR).equalTo(plan.reasons().get(i))).as("reason_" + i));
    }
    Dataset<Row> observed = marked.observe(seen, metrics.get(0), metrics.subList(1, metrics.size()).toArray(Column[]::new));

    Dataset<Row> good = options.onBadRow == BadRowPolicy.fail
        ? observed.withColumn(plan.outputColumn(),
            when(col(ERROR).isNotNull(), raise_error(failMessage(plan))).otherwise(plan.result()))
        : observed.filter(col(ERROR).isNull()).withColumn(plan.outputColumn(), plan.result());
    good = dropInternal(good.drop(plan.consumed().toArray(String[]::new)));

    List<String> partitionBy = options.outputFormat == Formats.Output.arrow ? List.of()
        : options.partitionBy != null ? options.partitionBy : plan.partitionColumns();
    Path staged = guard.stage(output);
    Path stagedQuarantine = quarantine == null ? null : guard.stage(quarantine);
    try {
      Dataset<Row> toWrite = good;
      guard.action(() -> {
        if (options.outputFormat == Formats.Output.arrow) {
          toWrite.write().format("arrow").mode("append").option("compression", options.arrowCompression.name())
              .save(staged.toString());
        } else {
          write(toWrite, partitionBy, plan.outputColumn(), staged);
        }
        return null;
      });
      Map<String, Object> counts = metrics(seen);
      long rowsIn = (Long) counts.get("rows_in");
      long written = (Long) counts.get("good");
      Map<String, Long> byReason = new LinkedHashMap<>();
      for (int i = 0; i < plan.reasons().size(); i++) {
        long n = (Long) counts.get("reason_" + i);
        if (n > 0) {
          byReason.put(plan.reasons().get(i), n);
        }
      }
      long bad = rowsIn - written;
      long quarantined = 0;
      if (stagedQuarantine != null) {
        quarantined = guard.action(() -> writeQuarantine(marked, partitionBy, stagedQuarantine));
        if (quarantined != bad) {
          throw new IllegalStateException("the input changed during the run: " + bad
              + " bad rows were counted while writing the output but " + quarantined + " were quarantined");
        }
      }
      long skipped = options.onBadRow == BadRowPolicy.skip ? bad : 0;
      if (rowsIn != written + skipped + quarantined) {
        throw new IllegalStateException("rows do not add up: " + rowsIn + " in, " + written
            + " written, " + skipped + " skipped, " + quarantined + " quarantined");
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      Summary summary = new Summary(plan.command(), plan.input(), output.toString(),
          quarantine == null ? null : quarantine.toString(), rowsIn, written, skipped, quarantined,
          byReason, List.of(good.columns()), plan.elementType(), seconds, rowsIn / seconds,
          spark.version(), spark.sparkContext().master(), kernel, notes);
      paths.writeText(new Path(staged, "_summary.json"), summary.toJson());
      List<DatasetPaths.Target> targets = new ArrayList<>();
      if (stagedQuarantine != null) {
        targets.add(new DatasetPaths.Target(stagedQuarantine, quarantine));
      }
      targets.add(new DatasetPaths.Target(staged, output));
      guard.publish(targets, options.mode);
      return summary;
    } catch (Exception e) {
      // SparkException is checked and not a RuntimeException: every failure ends here
      boolean signalled = guard.aborted();
      guard.abort();
      if (signalled) {
        throw new RunGuard.Aborted();
      }
      throw BadRowException.within(e).map(RuntimeException.class::cast)
          .orElseGet(() -> e instanceof RuntimeException r ? r : new JobFailedException(e));
    }
  }

  /** Drops the job's own working columns (named {@code __softmax_...}). */
  private static Dataset<Row> dropInternal(Dataset<Row> rows) {
    return rows.drop(java.util.Arrays.stream(rows.columns()).filter(c -> c.startsWith(INTERNAL)).toArray(String[]::new));
  }

  private static Column failMessage(Plan plan) {
    List<Column> key = new ArrayList<>();
    for (String k : plan.keys()) {
      key.add(concat(lit(k + "="), coalesce(col(k).cast("string"), lit("null"))));
    }
    Column file = List.of(plan.rows().columns()).contains(FILE) ? col(FILE) : input_file_name();
    // sources other than files (the arrow source among them) leave input_file_name() empty
    file = when(file.equalTo(""), lit(plan.input())).otherwise(file);
    Column where = key.isEmpty()
        ? concat(lit("in "), file)
        : concat(concat_ws(", ", key.toArray(Column[]::new)), lit(" in "), file);
    return concat(lit(BadRowException.MARKER + plan.command() + ": "), col(ERROR), lit(" at "), where,
        lit("; rerun with --on-bad-row quarantine to set such rows aside (or --on-bad-row skip)."));
  }

  private static void write(Dataset<Row> rows, List<String> partitionBy, String arrayColumn, Path to) {
    rows.write()
        .partitionBy(partitionBy.toArray(String[]::new))
        // dictionary encoding of float lists is wasted work: their values hardly repeat
        .option("parquet.enable.dictionary#" + arrayColumn + ".list.element", "false")
        .parquet(to.toString());
  }

  private static long writeQuarantine(Dataset<Row> marked, List<String> partitionBy, Path to) {
    Observation seen = new Observation("quarantine");
    Dataset<Row> bad = dropInternal(marked.filter(col(ERROR).isNotNull())
            .withColumnRenamed(ERROR, QUARANTINE_ERROR))
        .observe(seen, count(lit(1)).as("rows"));
    bad.write().partitionBy(partitionBy.toArray(String[]::new)).parquet(to.toString());
    return (Long) metrics(seen).get("rows");
  }

  /** The metrics of an action that has finished: available at once. */
  private static Map<String, Object> metrics(Observation observation) {
    try {
      return observation.getAsJava();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the row counts", e);
    }
  }
}
