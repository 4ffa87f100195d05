package dev.softmax.job;

import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.network.util.JavaUtils;

/**
 * Memory per task bounded by the width of a row, never by how many rows a file, a row group or a
 * batch holds. Spark's vectorized Parquet reader fills batches of a fixed number of rows (4,096 by
 * default, whatever their width) and Parquet's writer first checks its buffer after 100 rows: at
 * 262,144 floats a row, that is 1 GiB and 100 MiB per task. Here both are derived from the bytes of
 * a row, and a row too wide for the memory a task has is refused before any work.
 *
 * @param what what the rows are, for the refusal ("rows of logits")
 * @param rowBytes the bytes of a row's array columns, input and output together
 * @param chunkBytes the largest piece of input a reader holds at once: a Parquet row group, an
 *     Arrow record batch (as the input's writer chose them)
 */
record TaskMemory(String what, long rowBytes, long chunkBytes) {
  /**
   * Bytes of rows a reader batch or a writer's first buffer check holds at most (at least one row).
   */
  static final long BATCH_BYTES = 16L << 20;

  /** Spark's own default batch size, kept for narrow rows. */
  static final int MAX_BATCH_ROWS = 4096;

  /** Bytes between a Parquet writer's later buffer checks. */
  static final long CHECK_BYTES = 64L << 20;

  /**
   * What a task holds besides its rows and its input chunk: the Parquet row group being written
   * (128 MiB) and its pages.
   */
  static final long FIXED_BYTES = 192L << 20;

  /**
   * Copies of a row a task holds at once (reader batch and its growth, projections, writer pages):
   * a bound chosen with margin, not a measurement; the runs README reports at 262,144 and 1,048,576
   * floats a row stayed within it.
   */
  static final int ROW_COPIES = 8;

  /** What Spark keeps of every JVM's heap for itself (its "reserved memory"). */
  static final long SPARK_RESERVED = 300L << 20;

  static TaskMemory ofRow(String what, double bytes, long chunkBytes) {
    return new TaskMemory(what, Math.max(1, (long) Math.ceil(bytes)), chunkBytes);
  }

  /** Rows per reader batch and per writer check: {@link #BATCH_BYTES} of rows, 1 to 4,096. */
  int batchRows() {
    return (int) Math.max(1, Math.min(MAX_BATCH_ROWS, BATCH_BYTES / rowBytes));
  }

  /**
   * Spark session settings for the run: the reader's batch and the Parquet writer's buffer checks.
   */
  Map<String, String> settings() {
    int rows = batchRows();
    int firstCheck = Math.min(rows, 100);
    long laterChecks = Math.max(firstCheck, Math.min(10_000, CHECK_BYTES / rowBytes));
    return Map.of(
        "spark.sql.parquet.columnarReaderBatchSize", Integer.toString(rows),
        "parquet.page.size.row.check.min", Integer.toString(firstCheck),
        "parquet.page.size.row.check.max", Long.toString(laterChecks));
  }

  /** Bytes a task needs for rows this wide and input chunks this large. */
  long neededPerTask() {
    return FIXED_BYTES + chunkBytes + ROW_COPIES * rowBytes;
  }

  /**
   * Fails with one line naming the row width, the memory and the setting to raise when a task of
   * {@code sc} has less memory than rows this wide need.
   */
  void requireFits(SparkContext sc) {
    boolean local = sc.isLocal();
    long heap =
        local
            ? Runtime.getRuntime().maxMemory()
            : JavaUtils.byteStringAsBytes(sc.getConf().get("spark.executor.memory", "1g"));
    int tasks =
        local
            ? Math.max(1, sc.defaultParallelism())
            : Integer.parseInt(sc.getConf().get("spark.executor.cores", "1"))
                / Integer.parseInt(sc.getConf().get("spark.task.cpus", "1"));
    long perTask = (heap - SPARK_RESERVED) / Math.max(1, tasks);
    if (neededPerTask() > perTask) {
      String raise =
          local
              ? "raise the driver's memory (DRIVER_MEMORY, spark.driver.memory) or run fewer tasks at once (--master local[1])"
              : "raise spark.executor.memory or lower spark.executor.cores";
      throw new UsageException(
          String.format(
              Locale.ROOT,
              "%s: about %d MiB of arrays a row, input read %d MiB at a time; a task needs about %d MiB but has %d MiB"
                  + " (%d MiB heap for %d task%s at once); %s",
              what,
              rowBytes >> 20,
              chunkBytes >> 20,
              neededPerTask() >> 20,
              perTask >> 20,
              heap >> 20,
              tasks,
              tasks == 1 ? "" : "s",
              raise));
    }
  }
}
