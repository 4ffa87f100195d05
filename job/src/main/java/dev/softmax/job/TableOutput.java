package dev.softmax.job;

import static org.apache.spark.sql.functions.col;

import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.CreateTableWriter;
import org.apache.spark.sql.DataFrameWriterV2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * An Iceberg table as an output: each write is one commit of the table's catalog, which makes it
 * all or nothing on any store, and {@code --mode} says which: {@code error} creates the table (and
 * fails when it exists, also when a racing run created it first), {@code overwrite} replaces its
 * contents, schema and partitioning in one snapshot (or creates it; the old snapshots stay for time
 * travel until they expire), {@code append} adds one snapshot (or creates it). Each snapshot the
 * job commits carries the run's properties ({@value #PREFIX}*) in its summary, by which the job
 * finds the id of the snapshot it committed.
 */
final class TableOutput {
  /** Where the job's properties go among a snapshot's summary properties. */
  static final String PREFIX = "softmax.";

  /** The property that names the run that committed a snapshot. */
  static final String RUN = PREFIX + "run";

  private TableOutput() {}

  /** A snapshot a run committed, and the rows it added (Iceberg's {@code added-records}). */
  record Commit(long snapshot, long rows) {}

  /**
   * Fails unless {@code table} (what: "output table", "quarantine table") can be written with
   * {@code mode}: its catalog is an Iceberg one, and with {@code error} it does not exist.
   */
  static void requireWritable(SparkSession spark, String what, TableName table, WriteMode mode) {
    IcebergRuntime.requireCatalog(spark, "--output-table", table);
    if (mode == WriteMode.error && spark.catalog().tableExists(table.toString())) {
      throw new UsageException(
          what
              + " "
              + table
              + " already exists; choose another table, or pass --mode overwrite (replaces its"
              + " rows in one snapshot) or --mode append (adds one)");
    }
  }

  /**
   * Writes {@code rows} into {@code table} in one commit, partitioned by {@code partitionBy} when
   * the write creates or replaces it, with {@code properties} (and {@value #RUN}) in the snapshot's
   * summary; returns the snapshot, with the rows it added as Iceberg counted them.
   */
  static Commit write(
      Dataset<Row> rows,
      TableName table,
      WriteMode mode,
      List<String> partitionBy,
      String run,
      Map<String, String> properties) {
    DataFrameWriterV2<Row> writer =
        rows.writeTo(table.toString()).option("snapshot-property." + RUN, run);
    for (Map.Entry<String, String> p : properties.entrySet()) {
      writer = writer.option("snapshot-property." + PREFIX + p.getKey(), p.getValue());
    }
    // Spark 3.5's partitionedBy returns the interface, Spark 4's the class
    CreateTableWriter<Row> creating = writer;
    if (!partitionBy.isEmpty()) {
      Column[] rest = partitionBy.stream().skip(1).map(Columns::named).toArray(Column[]::new);
      creating = writer.partitionedBy(Columns.named(partitionBy.get(0)), rest);
    }
    SparkSession spark = rows.sparkSession();
    try {
      switch (mode) {
        case error -> creating.create();
        case overwrite -> creating.createOrReplace();
        case append -> {
          if (spark.catalog().tableExists(table.toString())) {
            writer.append();
          } else {
            creating.create();
          }
        }
      }
    } catch (Exception e) {
      // SparkException and Spark's TableAlreadyExistsException are checked, and some lines'
      // DataFrameWriterV2 declares them while others do not
      if (lostRace(e)) {
        throw new UsageException(
            table
                + " was "
                + (mode == WriteMode.error ? "created" : "changed")
                + " by another run while this one ran, and this run's commit failed ("
                + InputDataset.firstLine(e)
                + "); this run committed nothing to it");
      }
      throw e instanceof RuntimeException r ? r : new JobFailedException(e);
    }
    List<Row> committed =
        spark
            .table(table.metadata("snapshots"))
            .filter(col("summary").getItem(RUN).equalTo(run))
            .select(col("snapshot_id"), col("summary").getItem("added-records"))
            .collectAsList();
    if (committed.size() != 1) {
      throw new IllegalStateException(
          "found " + committed.size() + " snapshots of " + table + " committed by run " + run);
    }
    Row commit = committed.get(0);
    // a snapshot that added no data file has no added-records
    return new Commit(
        commit.getLong(0), commit.isNullAt(1) ? 0 : Long.parseLong(commit.getString(1)));
  }

  /**
   * Whether a write failed because another writer committed first: the table was created meanwhile
   * (Spark's {@code TableAlreadyExistsException}, Iceberg's {@code AlreadyExistsException}) or
   * Iceberg's optimistic commit found a conflict it could not retry past ({@code
   * CommitFailedException}, or a {@code ValidationException} that found conflicting files).
   */
  private static boolean lostRace(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String name = t.getClass().getSimpleName();
      if (name.equals("TableAlreadyExistsException")
          || name.equals("AlreadyExistsException")
          || name.equals("CommitFailedException")
          || (name.equals("ValidationException")
              && String.valueOf(t.getMessage()).contains("conflicting"))) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
