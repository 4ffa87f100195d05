package dev.softmax.job;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.raise_error;
import static org.apache.spark.sql.functions.when;

import dev.softmax.udf.RowProblem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;

/**
 * Bad rows, by policy: marked with why they are bad, then failed on, skipped or quarantined. The
 * job's working columns are named {@code __softmax_...} and are never written.
 */
final class BadRows {
  /** Why a row is bad (null when it is good); dropped before writing. */
  static final String ERROR = "__softmax_error";

  /** The prefix of every working column the job adds. */
  static final String INTERNAL = "__softmax_";

  /**
   * The input file a row came from, for the fail policy's message, where it must be taken before a
   * join; dropped before writing. Without it the message reads input_file_name() itself.
   */
  static final String FILE = "__softmax_file";

  /** The column quarantined rows carry their reason in. */
  static final String QUARANTINE_ERROR = "error";

  /** How the fail policy's message ends: what to do instead. */
  private static final String INSTEAD =
      "; rerun with --on-bad-row quarantine to set such rows aside (or --on-bad-row skip).";

  private BadRows() {}

  /** The run's rows with {@link #ERROR} set by its rules (unchanged for a run without rules). */
  static Dataset<Row> mark(BatchRun run) {
    Dataset<Row> rows = run.source().rows();
    return run.hasRules() ? rows.withColumn(ERROR, run.rules().problem()) : rows;
  }

  /**
   * The rows to write, with the output column, by policy: a bad row fails the run or is left out;
   * counted by {@code counts} on the way. The counting comes after the output column is computed:
   * Spark's observation runs outside generated code, so counting earlier would split the read, the
   * check and the function into two stages and copy every row (its arrays element by element) in
   * between. Under the fail policy (and without rules) every row written is good, so the written
   * rows themselves are counted, last: no projection follows the observation. Under the fail policy
   * a function with a checked form computes the output with it, and the mark goes unread (Spark
   * prunes it): a bad row fails the run from inside the function, and {@link #located} then finds
   * where it is.
   */
  static Dataset<Row> goodRows(
      Dataset<Row> marked, BatchRun run, BadRowPolicy policy, RowCounts counts) {
    BatchRun.Output out = run.output();
    // an output column named like a consumed one replaces it: that name is not dropped
    String[] consumed =
        out.consumed().stream().filter(c -> !out.columns().contains(c)).toArray(String[]::new);
    if (!run.hasRules() || policy == BadRowPolicy.fail) {
      Column result =
          !run.hasRules()
              ? out.result()
              : out.checkedResult() != null
                  ? out.checkedResult()
                  : when(col(ERROR).isNotNull(), raise_error(failMessage(run)))
                      .otherwise(out.result());
      Dataset<Row> computed = marked.withColumn(out.column(), result);
      for (Map.Entry<String, Column> c : out.alongside().entrySet()) {
        // a bad row fails the run from the output column; its other columns are not computed
        computed =
            computed.withColumn(
                c.getKey(),
                run.hasRules() ? when(col(ERROR).isNull(), c.getValue()) : c.getValue());
      }
      return counts.observeAllGood(dropInternal(computed.drop(consumed)));
    }
    Dataset<Row> computed =
        marked.withColumn(out.column(), when(col(ERROR).isNull(), out.result()));
    for (Map.Entry<String, Column> c : out.alongside().entrySet()) {
      computed = computed.withColumn(c.getKey(), when(col(ERROR).isNull(), c.getValue()));
    }
    Dataset<Row> counted = counts.observe(computed.drop(consumed));
    return dropInternal(counted.filter(col(ERROR).isNull()));
  }

  /**
   * Writes the bad rows of {@code marked}, with their reason in {@link #QUARANTINE_ERROR}; returns
   * how many.
   */
  static long quarantine(Dataset<Row> marked, List<String> partitionBy, Path to) {
    Observation seen = new Observation("quarantine");
    // append: on S3 the quarantine is written in place, beside the objects it had
    // (ObjectStoreOutput)
    quarantined(marked)
        .observe(seen, count(lit(1)).as("rows"))
        .write()
        .mode("append")
        .partitionBy(partitionBy.toArray(String[]::new))
        .parquet(to.toString());
    return (Long) RowCounts.metrics(seen).get("rows");
  }

  /**
   * The bad rows of {@code marked} as they are quarantined: their columns and their reason in
   * {@link #QUARANTINE_ERROR}.
   */
  static Dataset<Row> quarantined(Dataset<Row> marked) {
    return dropInternal(
        marked.filter(col(ERROR).isNotNull()).withColumnRenamed(ERROR, QUARANTINE_ERROR));
  }

  /**
   * The fail policy's message for a run that a checked function stopped on a row with {@code
   * problem}: found by reading {@code marked} again for a bad row, which the function could not
   * name (it knows neither the keys nor the file). When that read finds none (the input changed) or
   * fails, the message gives the reason alone.
   */
  static BadRowException located(Dataset<Row> marked, BatchRun run, RowProblem problem) {
    try {
      List<Row> found =
          marked.filter(col(ERROR).isNotNull()).select(failMessage(run)).limit(1).collectAsList();
      if (!found.isEmpty()) {
        return new BadRowException(found.get(0).getString(0));
      }
    } catch (Exception e) {
      // (SparkException is checked, and Spark throws it from Java's view undeclared) the reason
      // alone, below: the failure that matters is the bad row's
    }
    String reason =
        run.rules().reasons().stream()
            .filter(r -> r.endsWith(": " + problem.reason()))
            .findFirst()
            .orElse(problem.reason());
    return new BadRowException(BadRowException.MARKER + run.command() + ": " + reason + INSTEAD);
  }

  /** Drops the job's own working columns. */
  private static Dataset<Row> dropInternal(Dataset<Row> rows) {
    return rows.drop(
        Arrays.stream(rows.columns()).filter(c -> c.startsWith(INTERNAL)).toArray(String[]::new));
  }

  /** The fail policy's message: the reason, the row's keys and file, and what to do instead. */
  private static Column failMessage(BatchRun run) {
    BatchRun.Source source = run.source();
    List<Column> key = new ArrayList<>();
    for (String k : source.keys()) {
      key.add(concat(lit(k + "="), coalesce(Columns.named(k).cast("string"), lit("null"))));
    }
    Column file = List.of(source.rows().columns()).contains(FILE) ? col(FILE) : input_file_name();
    // sources other than files (the arrow source among them) leave input_file_name() empty
    file = when(file.equalTo(""), lit(source.description())).otherwise(file);
    Column where =
        key.isEmpty()
            ? concat(lit("in "), file)
            : concat(concat_ws(", ", key.toArray(Column[]::new)), lit(" in "), file);
    return concat(
        lit(BadRowException.MARKER + run.command() + ": "),
        col(ERROR),
        lit(" at "),
        where,
        lit(INSTEAD));
  }
}
