package dev.softmax.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Carries out a {@link BatchRun} into Iceberg tables ({@link TableOutput}), as {@link BatchWrite}
 * does into paths: the same bad rows, counts and failures, but each table is published by its own
 * commit rather than by a rename. The quarantine table is committed first and the output table
 * second, so a published output never lacks its quarantine (as with paths); a run that stops in
 * between leaves the output table at its previous snapshot. The output's rows are counted as they
 * are written (an observation: Iceberg's writes do not report the rows they wrote to Spark's write
 * command), the quarantined ones by the snapshot that took them (its {@code added-records}), so
 * their sum is checked after the commits; an input table is pinned to one snapshot ({@link
 * TableInput}), so for it they always add up.
 */
final class TableWrite {
  private TableWrite() {}

  static Summary run(
      SparkSession spark,
      RunGuard guard,
      BatchRun run,
      CommonOptions options,
      TableName output,
      TableName quarantine,
      List<String> notes,
      String kernel) {
    long start = System.nanoTime();
    Dataset<Row> marked = BadRows.mark(run);
    RowCounts counts = new RowCounts(run.rules(), run.loss(), false);
    Dataset<Row> good = BadRows.goodRows(marked, run, options.onBadRow, counts);
    List<String> partitionBy =
        options.partitionBy != null ? options.partitionBy : run.source().partitionColumns();
    String runId = RunOwner.current().toString();
    // what the snapshot's summary says of the run; the rows it holds are Iceberg's added-records
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("command", run.command());
    properties.put("input", run.source().description());
    properties.put("columns", String.join(",", good.columns()));
    properties.put("element-type", run.output().elementType());
    properties.put("spark-version", spark.version());
    properties.put("kernel", kernel);
    try {
      Long quarantined = null;
      Long quarantineSnapshot = null;
      if (quarantine != null) {
        TableOutput.Commit committed =
            guard.action(
                () ->
                    TableOutput.write(
                        BadRows.quarantined(marked),
                        quarantine,
                        options.mode,
                        partitionBy,
                        runId,
                        properties));
        quarantineSnapshot = committed.snapshot();
        quarantined = committed.rows();
        CrashPoint.reached("quarantine-committed");
        properties.put("quarantine", quarantine + " snapshot " + quarantineSnapshot);
        properties.put("rows-quarantined", Long.toString(quarantined));
      }
      long snapshot =
          guard
              .action(
                  () ->
                      TableOutput.write(good, output, options.mode, partitionBy, runId, properties))
              .snapshot();

      RowCounts.Tally tally = counts.tally(-1);
      long skipped = BatchWrite.requireAddsUp(tally, options.onBadRow, quarantined);
      return Summary.of(
              run,
              spark,
              output.toString(),
              quarantine == null ? null : quarantine.toString(),
              tally,
              skipped,
              quarantined == null ? 0 : quarantined,
              List.of(good.columns()),
              start,
              kernel,
              notes)
          .withSnapshots(snapshot, quarantineSnapshot);
    } catch (Exception e) {
      throw BatchWrite.failed(guard, marked, run, e);
    }
  }
}
