package dev.softmax.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.count_if;
import static org.apache.spark.sql.functions.lit;

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
 * (docs/performance.md, "Where a forward job's time goes").
 */
final class RowCounts {
  private final Observation seen = new Observation("rows");
  private final List<String> reasons;
  private final boolean hasRules;
  private final boolean writeCounts;
  private boolean observed;

  /**
   * Counts for a run with these rules (null: every row is good); {@code writeCounts}: the run's
   * write command counts what it writes, and {@link #tally} gets that count.
   */
  RowCounts(BatchRun.RowRules rules, boolean writeCounts) {
    this.reasons = rules == null ? List.of() : rules.reasons();
    this.hasRules = rules != null;
    this.writeCounts = writeCounts;
  }

  /** What a run that writes {@code rows} counted; read it once the write has finished. */
  record Tally(long rowsIn, long good, Map<String, Long> byReason) {}

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
    observed = true;
    return rows.observe(seen, count(lit(1)).as("rows_in"), metrics.toArray(Column[]::new));
  }

  /**
   * {@code rows} that are all good (a run without rules, or one that fails on a bad row), counted
   * as they are written: rows in, and no row per reason. Unchanged when the write command counts
   * them.
   */
  Dataset<Row> observeAllGood(Dataset<Row> rows) {
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
      return new Tally(written, written, Map.of());
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
    return new Tally(rowsIn, good, byReason);
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
