package dev.softmax.job.arrow;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.sources.DataSourceRegister;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/**
 * Spark data source {@code arrow}: Arrow IPC files (Feather v2) and streams (Hugging Face datasets'
 * cache files), read as columnar batches of Arrow vectors and written as one IPC file per task.
 *
 * <pre>{@code
 * spark.read().format("arrow").load("cache-0001.arrow")              // a file or a directory
 * df.write().format("arrow").mode("append").option("compression", "zstd").save("out/")
 * }</pre>
 *
 * <p>Read options: {@code maxPartitionBytes} (default spark.sql.files.maxPartitionBytes): IPC files
 * are split into input partitions of whole record batches up to that many bytes. Write options:
 * {@code compression} none (default, readable everywhere), lz4 or zstd; {@code batchRows} rows per
 * record batch (default 4096) and {@code batchBytes} bytes of rows per record batch (default 16
 * MiB), whichever comes first.
 */
public final class ArrowTableProvider implements TableProvider, DataSourceRegister {
  /**
   * The sizes of the Arrow data at {@code path}, from the record batch headers: the average bytes
   * of a row (all columns) and the bytes of the largest record batch.
   */
  public static double[] sizes(SparkSession spark, String path) {
    var layouts =
        ArrowTable.of(spark, new CaseInsensitiveStringMap(Map.of("path", path)), null).layouts();
    return new double[] {IpcLayout.bytesPerRow(layouts), IpcLayout.largestBatchBytes(layouts)};
  }

  @Override
  public String shortName() {
    return "arrow";
  }

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return ArrowTable.of(SparkSession.active(), options, null).schema();
  }

  @Override
  public Table getTable(
      StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return ArrowTable.of(SparkSession.active(), new CaseInsensitiveStringMap(properties), schema);
  }

  @Override
  public boolean supportsExternalMetadata() {
    return true;
  }
}
