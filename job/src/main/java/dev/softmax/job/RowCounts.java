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
 * The rows a run read, wrote and set aside, counted by the write itself (a Spark observation, so
 * the input is read once): rows in, good rows, and rows per reason.
 */
final class RowCounts {
  private final Observation seen = new Observation("rows");
  private final List<String> reasons;
  private final boolean hasRules;

  /** Counts for a run with these rules (null: every row is good). */
  RowCounts(BatchRun.RowRules rules) {
    this.reasons = rules == null ? List.of() : rules.reasons();
    this.hasRules = rules != null;
  }

  /** What a run that writes {@code rows} counted; read it once the write has finished. */
  record Tally(long rowsIn, long good, Map<String, Long> byReason) {}

  /** {@code rows} (with {@link BadRows#ERROR} when the run has rules), counted as they are written. */
  Dataset<Row> observe(Dataset<Row> rows) {
    List<Column> metrics = new ArrayList<>();
    if (hasRules) {
      metrics.add(count_if(col(BadRows.ERROR).isNull()).as("good"));
      for (int i = 0; i < reasons.size(); i++) {
        metrics.add(count_if(col(BadRows.ERROR).equalTo(reasons.get(i))).as("reason_" + i));
      }
    }
    return rows.observe(seen, count(lit(1)).as("rows_in"), metrics.toArray(Column[]::new));
  }

  /**
   * {@code rows} that are all good (a run without rules, or one that fails on a bad row), counted as
   * they are written: rows in, and no row per reason.
   */
  Dataset<Row> observeAllGood(Dataset<Row> rows) {
    return rows.observe(seen, count(lit(1)).as("rows_in"));
  }

  /** The counts of the finished write: available at once. */
  Tally tally() {
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
