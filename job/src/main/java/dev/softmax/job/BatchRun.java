package dev.softmax.job;

import dev.softmax.job.pages.PageWrite;
import dev.softmax.job.pages.RowFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One run of the job, by its parts: what it reads, the rules its rows must meet (none for
 * generate), the columns it computes, and (null but for the loss command) the losses it reduces to
 * a mean; and (null when it cannot) what the page path computes when it writes the run. {@link
 * BatchWrite} carries it out.
 */
record BatchRun(
    String command, Source source, RowRules rules, Output output, Loss loss, Pages pages) {

  /** A run that reduces no loss. */
  BatchRun(String command, Source source, RowRules rules, Output output) {
    this(command, source, rules, output, null, null);
  }

  /** A run that the page path cannot write. */
  BatchRun(String command, Source source, RowRules rules, Output output, Loss loss) {
    this(command, source, rules, output, loss, null);
  }

  /**
   * This run, which the page path ({@link PageWrite}) may write by computing {@code function} on
   * the rows of the Parquet files under {@code input}.
   */
  BatchRun withPages(RowFunction function, Path input) {
    return new BatchRun(command, source, rules, output, loss, new Pages(function, input));
  }

  /** What the page path computes, from which input. */
  record Pages(RowFunction function, Path input) {}

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
   * read once rather than by the check and then by the function. Further columns computed from the
   * same rows (the loss command's gradient) are {@code alongside}, by name; a bad row gets none.
   */
  record Output(
      String column,
      Column result,
      List<String> consumed,
      String elementType,
      Column checkedResult,
      Map<String, Column> alongside) {
    /** An output of one column. */
    Output(
        String column,
        Column result,
        List<String> consumed,
        String elementType,
        Column checkedResult) {
      this(column, result, consumed, elementType, checkedResult, Map.of());
    }

    /** An output of one column whose function has no checked form. */
    Output(String column, Column result, List<String> consumed, String elementType) {
      this(column, result, consumed, elementType, null, Map.of());
    }

    /**
     * An output of {@code column} and, after it, the columns of {@code alongside} (by name, in its
     * order), computed on the same rows; none has a checked form.
     */
    static Output withAlongside(
        String column,
        Column result,
        List<String> consumed,
        String elementType,
        Map<String, Column> alongside) {
      return new Output(
          column, result, consumed, elementType, null, new LinkedHashMap<>(alongside));
    }

    /** The names of every column the run computes: {@link #column} first. */
    List<String> columns() {
      List<String> all = new ArrayList<>();
      all.add(column);
      all.addAll(alongside.keySet());
      return all;
    }
  }

  /**
   * What the summary reduces to a mean, as PyTorch's {@code reduction='mean'}: for each written row
   * (the output's columns and the input's kept ones), {@code sum}, the sum of its losses that count
   * (a row's one loss, or its tokens'), and {@code count}, how many count (an ignored label counts
   * not). Bad rows count not.
   */
  record Loss(Column sum, Column count) {}

  /** A run without row rules: every row is written (generate). */
  static BatchRun withoutRules(String command, Source source, Output output) {
    return new BatchRun(command, source, null, output);
  }

  boolean hasRules() {
    return rules != null;
  }
}
