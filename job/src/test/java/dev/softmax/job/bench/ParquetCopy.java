package dev.softmax.job.bench;

import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructField;

/**
 * The identity copy that {@code scripts/bench.sh --processes} and {@code --threads} measure the job
 * against, as a process of its own launched the way the job is (spark-submit, the same conf): reads
 * a Parquet dataset partitioned by {@code part} and writes it unchanged with the job's writer
 * settings (zstd, dictionary encoding off for one float list, as the job has it for the list it
 * computes), so the difference is what the job adds.
 *
 * <p>{@code ParquetCopy INPUT OUTPUT}
 */
public final class ParquetCopy {
  private ParquetCopy() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    Dataset<Row> rows = spark.read().parquet(args[0]);
    DataFrameWriter<Row> writer = rows.write().mode("overwrite").option("compression", "zstd");
    for (StructField field : rows.schema().fields()) {
      if (field.dataType() instanceof ArrayType) {
        writer =
            writer.option("parquet.enable.dictionary#" + field.name() + ".list.element", "false");
        break;
      }
    }
    writer.partitionBy("part").parquet(args[1]);
    spark.stop();
  }
}
