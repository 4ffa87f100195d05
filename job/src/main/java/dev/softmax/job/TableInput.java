package dev.softmax.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * An Iceberg table as an input: one snapshot of it (the current one, {@code --snapshot ID}, or the
 * one current at {@code --as-of TIME}), pinned when the run starts, so that every read of the run
 * (the write, and the look-up of a bad row after a failure) sees the same rows however the table
 * changes meanwhile; the summary names it. Its identity partition columns are the output's by
 * default, as a path input's Hive partitions are. Sized for {@link TaskMemory} by the footer of its
 * largest Parquet data file.
 */
final class TableInput {
  private TableInput() {}

  /**
   * Reads {@code table} (given with {@code option}) at {@code snapshot} or as of {@code asOf} (both
   * null: its current snapshot); a usage error names a missing catalog, table or snapshot.
   */
  static InputDataset read(
      SparkSession spark, String option, TableName table, Long snapshot, String asOf, Notes notes) {
    IcebergRuntime.requireCatalog(spark, option, table);
    if (!spark.catalog().tableExists(table.toString())) {
      throw new UsageException(option + " " + table + " does not exist");
    }
    long id =
        snapshot != null
            ? requireSnapshot(spark, option, table, snapshot)
            : asOf != null
                ? snapshotAsOf(spark, option, table, asOf)
                : current(spark, option, table);
    // SQL's time travel: Spark 3.5's DataFrameReader.table ignores a versionAsOf option
    Dataset<Row> rows = spark.sql("SELECT * FROM " + table.quoted() + " VERSION AS OF " + id);
    String name = table + " at snapshot " + id;
    List<String> partitions = identityPartitions(spark, table, rows, notes);
    Dataset<Row> largest =
        spark
            .sql("SELECT * FROM " + table.quoted("files") + " VERSION AS OF " + id)
            .filter(col("content").equalTo(0).and(col("file_format").equalTo("PARQUET")))
            .orderBy(col("file_size_in_bytes").desc())
            .select("file_path")
            .limit(1);
    List<Row> file = largest.collectAsList();
    if (file.isEmpty()) {
      // no Parquet data file to size rows by: an empty snapshot, or ORC or Avro files
      return new InputDataset(name, rows, partitions, Map.of(), List.of(), Map.of(), 0, 0);
    }
    Path first = new Path(file.get(0).getString(0));
    ParquetFooter footer = ParquetFooter.read(first, spark.sparkContext().hadoopConfiguration());
    InputDataset.requireNoFloat16(footer, first);
    return InputDataset.parquet(name, first, rows, partitions, footer);
  }

  /** The snapshot of {@code table}'s main branch. */
  private static long current(SparkSession spark, String option, TableName table) {
    List<Row> main =
        spark
            .table(table.metadata("refs"))
            .filter(col("name").equalTo("main"))
            .select("snapshot_id")
            .collectAsList();
    if (main.isEmpty()) {
      throw new UsageException(option + " " + table + " has no snapshot yet: it holds no rows");
    }
    return main.get(0).getLong(0);
  }

  private static long requireSnapshot(
      SparkSession spark, String option, TableName table, long snapshot) {
    if (spark
        .table(table.metadata("snapshots"))
        .filter(col("snapshot_id").equalTo(snapshot))
        .isEmpty()) {
      throw new UsageException(
          "--snapshot "
              + snapshot
              + ": "
              + option
              + " "
              + table
              + " has no such snapshot (its snapshots: SELECT * FROM "
              + table.metadata("snapshots")
              + ")");
    }
    return snapshot;
  }

  /** The snapshot that was current at {@code asOf}, as Iceberg reads as of a time. */
  private static long snapshotAsOf(
      SparkSession spark, String option, TableName table, String asOf) {
    Instant at = parseTime(asOf);
    List<Row> found =
        spark
            .table(table.metadata("history"))
            .filter(col("made_current_at").leq(lit(Timestamp.from(at))))
            .orderBy(col("made_current_at").desc())
            .select("snapshot_id")
            .limit(1)
            .collectAsList();
    if (found.isEmpty()) {
      throw new UsageException(
          "--as-of "
              + asOf
              + ": "
              + option
              + " "
              + table
              + " had no snapshot then (its history: SELECT * FROM "
              + table.metadata("history")
              + ")");
    }
    return found.get(0).getLong(0);
  }

  /** An instant as ISO-8601 with a zone or offset ({@code 2026-12-05T07:30:00Z}), or epoch ms. */
  static Instant parseTime(String text) {
    if (text.matches("\\d+")) {
      return Instant.ofEpochMilli(Long.parseLong(text));
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new UsageException(
          "--as-of "
              + text
              + ": give a time as ISO-8601 with a zone (2026-12-05T07:30:00Z) or as"
              + " milliseconds since the epoch");
    }
  }

  /**
   * The table's identity partition columns: its partition fields that are also columns (Iceberg
   * names an identity field after its column, other transforms {@code id_bucket}, ...); a note
   * names the other fields, which the output does not take over.
   */
  private static List<String> identityPartitions(
      SparkSession spark, TableName table, Dataset<Row> rows, Notes notes) {
    StructType schema = spark.table(table.metadata("partitions")).schema();
    List<String> columns = List.of(rows.columns());
    List<String> identity = new ArrayList<>();
    List<String> others = new ArrayList<>();
    if (List.of(schema.fieldNames()).contains("partition")
        && schema.apply("partition").dataType() instanceof StructType fields) {
      for (StructField f : fields.fields()) {
        (columns.contains(f.name()) ? identity : others).add(f.name());
      }
    }
    if (!others.isEmpty()) {
      notes.add(
          table
              + " is also partitioned by "
              + String.join(", ", others)
              + " (not identity transforms): the output is partitioned by "
              + (identity.isEmpty() ? "nothing" : String.join(", ", identity))
              + " unless --partition-by says otherwise");
    }
    return identity;
  }
}
