package dev.softmax.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;

/**
 * The rows a run read, wrote and set aside, counted by the write itself, so the input is read once:
 * rows in, good rows, and rows per reason. Rows that may be bad are counted by a Spark observation;
 * a run whose written rows are all its rows (no rules, or a bad row fails it) takes the count of a
 * file write from the write command ({@link WrittenRows}) rather than observing: an observation
 * runs outside generated code, so it splits the read, the functions and the write's sort into two
 * stages, which costs more CPU time per run, whatever the number of rows it counts
 * (docs/performance.md, "Where a forward job's time goes"). A run that reduces a loss ({@link
 * BatchRun.Loss}) is observed under every policy: the sum and count of its losses are taken by the
 * same observation, on the same pass, and no write command counts those.
 */
final class RowCounts {
  private static final String LOSS_SUM = "loss_sum";
  private static final String LOSS_COUNT = "loss_count";
  private final Observation seen = new Observation("rows");
  private final List<String> reasons;
  private final boolean hasRules;
  private final BatchRun.Loss loss;
  private final boolean writeCounts;
  private boolean observed;

  /**
   * Counts for a run with these rules (null: every row is good) that reduces {@code loss} (null:
   * none); {@code writeCounts}: the run's write command counts what it writes, and {@link #tally}
   * gets that count.
   */
  RowCounts(BatchRun.RowRules rules, BatchRun.Loss loss, boolean writeCounts) {
    this.reasons = rules == null ? List.of() : rules.reasons();
    this.hasRules = rules != null;
    this.loss = loss;
    this.writeCounts = writeCounts;
  }

  /**
   * What a run that writes {@code rows} counted; read it once the write has finished. {@code loss}
   * is null for a run that reduces none.
   */
  record Tally(long rowsIn, long good, Map<String, Long> byReason, Summary.LossTotals loss) {}

  /**
   * {@code rows} (with {@link BadRows#ERROR} when the run has rules), counted as they are written.
   */
  Dataset<Row> observe(Dataset<Row> rows) {
    List<Column> metrics = new ArrayList<>();
    if (hasRules) {
      metrics.add(count_if(col(BadRows.ERROR).isNull()).as("good"));
      for (int i = 0; i < reasons.size(); i++) {
        metrics.add(count_if(col(BadRows.ERROR).equalTo(reasons.get(i))).as("reason_" + i));
      }
    }
    if (loss != null) {
      Column good = hasRules ? col(BadRows.ERROR).isNull() : lit(true);
      metrics.add(sum(when(good, loss.sum())).as(LOSS_SUM));
      metrics.add(sum(when(good, loss.count())).as(LOSS_COUNT));
    }
    observed = true;
    return rows.observe(seen, count(lit(1)).as("rows_in"), metrics.toArray(Column[]::new));
  }

  /**
   * {@code rows} that are all good (a run without rules, or one that fails on a bad row), counted
   * as they are written: rows in, and no row per reason. Unchanged when the write command counts
   * them.
   */
  Dataset<Row> observeAllGood(Dataset<Row> rows) {
    if (loss != null) {
      observed = true;
      return rows.observe(
          seen,
          count(lit(1)).as("rows_in"),
          sum(loss.sum()).as(LOSS_SUM),
          sum(loss.count()).as(LOSS_COUNT));
    }
    if (writeCounts) {
      return rows;
    }
    observed = true;
    return rows.observe(seen, count(lit(1)).as("rows_in"));
  }

  /**
   * The counts of the finished write, given the rows its command wrote (-1 when it does not count
   * them): that count when nothing was observed; else what was observed, which must agree with it.
   */
  Tally tally(long written) {
    if (!observed) {
      if (written < 0) {
        throw new IllegalStateException("the write counted no rows and none were observed");
      }
      return new Tally(written, written, Map.of(), null);
    }
    Map<String, Object> m = metrics(seen);
    long rowsIn = (Long) m.get("rows_in");
    long good = m.containsKey("good") ? (Long) m.get("good") : rowsIn;
    Map<String, Long> byReason = new LinkedHashMap<>();
    for (int i = 0; i < reasons.size(); i++) {
      Long n = (Long) m.get("reason_" + i);
      if (n != null && n > 0) {
        byReason.put(reasons.get(i), n);
      }
    }
    if (written >= 0 && written != good) {
      throw new IllegalStateException(
          "rows do not add up: "
              + good
              + " good rows were counted but "
              + written
              + " were written");
    }
    return new Tally(rowsIn, good, byReason, loss == null ? null : lossTotals(m));
  }

  /** The loss's totals of the observed metrics (sums over no row are null: 0). */
  private static Summary.LossTotals lossTotals(Map<String, Object> m) {
    double sum = m.get(LOSS_SUM) == null ? 0 : ((Number) m.get(LOSS_SUM)).doubleValue();
    long n = m.get(LOSS_COUNT) == null ? 0 : ((Number) m.get(LOSS_COUNT)).longValue();
    return new Summary.LossTotals(n == 0 ? null : sum / n, sum, n);
  }

  /** The metrics of an action that has finished. */
  static Map<String, Object> metrics(Observation observation) {
    try {
      return observation.getAsJava();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the row counts", e);
    }
  }
}
