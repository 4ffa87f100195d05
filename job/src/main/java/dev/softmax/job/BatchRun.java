package dev.softmax.job;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One run of the job, by its parts: what it reads, the rules its rows must meet (none for
 * generate), and the column it computes. {@link BatchWrite} carries it out.
 */
record BatchRun(String command, Source source, RowRules rules, Output output) {

  /**
   * What the run reads: a description for the summary, the rows (the input's columns, maybe {@link
   * BadRows#FILE}), the key columns that name a bad row, and the partition columns the output keeps
   * by default.
   */
  record Source(
      String description, Dataset<Row> rows, List<String> keys, List<String> partitionColumns) {}

  /**
   * Why a row is bad ({@code problem}: null when it is good), and every answer {@code problem} can
   * give.
   */
  record RowRules(Column problem, List<String> reasons) {}

  /**
   * The column the run writes: its name, how it is computed, the input columns it replaces, its
   * element type for the summary, and (null when the function has none) how a form of the function
   * that fails on a bad row computes it: that form must fail on exactly the rows the run's rules
   * find bad, and a run that stops on its first bad row computes the column with it, so each row is
   * read once rather than by the check and then by the function.
   */
  record Output(
      String column,
      Column result,
      List<String> consumed,
      String elementType,
      Column checkedResult) {
    /** An output whose function has no checked form. */
    Output(String column, Column result, List<String> consumed, String elementType) {
      this(column, result, consumed, elementType, null);
    }
  }

  /** A run without row rules: every row is written (generate). */
  static BatchRun withoutRules(String command, Source source, Output output) {
    return new BatchRun(command, source, null, output);
  }

  boolean hasRules() {
    return rules != null;
  }
}
