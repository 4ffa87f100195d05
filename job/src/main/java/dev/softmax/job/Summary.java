package dev.softmax.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.SparkSession;

/**
 * What a run did: written as {@code _summary.json} in the output and as one console line. {@code
 * loss} (the loss command's alone, null for the others) is written as {@code loss_mean}, {@code
 * loss_sum} and {@code loss_count}. {@code snapshot} and {@code quarantineSnapshot}: the ids of the
 * snapshots a run committed to its output and quarantine tables (null, and left out, for paths).
 */
record Summary(
    String command,
    String input,
    String output,
    String quarantine,
    long rowsIn,
    long rowsWritten,
    long rowsSkipped,
    long rowsQuarantined,
    Map<String, Long> badRowsByReason,
    @JsonUnwrapped(prefix = "loss_") LossTotals loss,
    List<String> columns,
    String elementType,
    double elapsedSeconds,
    double rowsPerSecond,
    String sparkVersion,
    String master,
    String kernel,
    List<String> notes,
    @JsonInclude(JsonInclude.Include.NON_NULL) Long snapshot,
    @JsonInclude(JsonInclude.Include.NON_NULL) Long quarantineSnapshot) {

  /** The summary of a run that wrote paths. */
  Summary(
      String command,
      String input,
      String output,
      String quarantine,
      long rowsIn,
      long rowsWritten,
      long rowsSkipped,
      long rowsQuarantined,
      Map<String, Long> badRowsByReason,
      LossTotals loss,
      List<String> columns,
      String elementType,
      double elapsedSeconds,
      double rowsPerSecond,
      String sparkVersion,
      String master,
      String kernel,
      List<String> notes) {
    this(
        command,
        input,
        output,
        quarantine,
        rowsIn,
        rowsWritten,
        rowsSkipped,
        rowsQuarantined,
        badRowsByReason,
        loss,
        columns,
        elementType,
        elapsedSeconds,
        rowsPerSecond,
        sparkVersion,
        master,
        kernel,
        notes,
        null,
        null);
  }

  /**
   * The summary of {@code run}, written to {@code output} (a path or a table) with the counts of
   * {@code tally}; {@code startNanos}: when the run began ({@link System#nanoTime}).
   */
  static Summary of(
      BatchRun run,
      SparkSession spark,
      String output,
      String quarantine,
      RowCounts.Tally tally,
      long skipped,
      long quarantined,
      List<String> columns,
      long startNanos,
      String kernel,
      List<String> notes) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    return new Summary(
        run.command(),
        run.source().description(),
        output,
        quarantine,
        tally.rowsIn(),
        tally.good(),
        skipped,
        quarantined,
        tally.byReason(),
        tally.loss(),
        columns,
        run.output().elementType(),
        seconds,
        tally.rowsIn() / seconds,
        spark.version(),
        spark.sparkContext().master(),
        kernel,
        notes);
  }

  /** This summary with the snapshots a run committed to its tables. */
  Summary withSnapshots(long snapshot, Long quarantineSnapshot) {
    return new Summary(
        command,
        input,
        output,
        quarantine,
        rowsIn,
        rowsWritten,
        rowsSkipped,
        rowsQuarantined,
        badRowsByReason,
        loss,
        columns,
        elementType,
        elapsedSeconds,
        rowsPerSecond,
        sparkVersion,
        master,
        kernel,
        notes,
        snapshot,
        quarantineSnapshot);
  }

  /**
   * The batch's mean loss, as PyTorch's {@code reduction='mean'}: {@code sum} over the {@code
   * count} losses that count (rows, or tokens for per-token rows; ignored labels and bad rows
   * excluded); {@code mean} is null when none counts.
   */
  record LossTotals(Double mean, double sum, long count) {
    String toLine() {
      return mean == null
          ? "; no loss counted"
          : String.format(Locale.ROOT, "; mean loss %.6g over %d", mean, count);
    }
  }

  String toJson() {
    try {
      return new ObjectMapper()
              .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(this)
          + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the summary as JSON", e);
    }
  }

  String toLine() {
    String reasons =
        badRowsByReason.isEmpty()
            ? ""
            : badRowsByReason.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", ", " [", "]"));
    return String.format(
            Locale.ROOT,
            "%s: %d rows in, %d written, %d skipped, %d quarantined%s%s; %s %s in %.1f s (%.0f rows/s) -> %s",
            command,
            rowsIn,
            rowsWritten,
            rowsSkipped,
            rowsQuarantined,
            reasons,
            loss == null ? "" : loss.toLine(),
            elementType,
            String.join(",", columns),
            elapsedSeconds,
            rowsPerSecond,
            output)
        + (snapshot == null ? "" : " snapshot " + snapshot)
        + (quarantineSnapshot == null
            ? ""
            : "; quarantine " + quarantine + " snapshot " + quarantineSnapshot);
  }
}
