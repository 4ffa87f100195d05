package dev.softmax.job.arrow;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.read.Batch;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.SupportsPushDownRequiredColumns;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Reading Arrow IPC: only the required columns, as columnar batches; an IPC file is split into
 * input partitions of whole record batches (up to maxPartitionBytes each), a stream is one.
 */
final class ArrowScan implements ScanBuilder, SupportsPushDownRequiredColumns, Scan, Batch {
  /** Some record batches of one file: {@code batches} null means all of a stream. */
  record Split(String file, IpcFormat format, int[] batches) implements InputPartition {}

  private final ArrowTable table;
  private final long maxPartitionBytes;
  private final SerializableConfiguration conf;
  private StructType required;

  ArrowScan(
      ArrowTable table, StructType schema, long maxPartitionBytes, SerializableConfiguration conf) {
    this.table = table;
    this.required = schema;
    this.maxPartitionBytes = maxPartitionBytes;
    this.conf = conf;
  }

  @Override
  public void pruneColumns(StructType requiredSchema) {
    this.required = requiredSchema;
  }

  @Override
  public Scan build() {
    return this;
  }

  @Override
  public StructType readSchema() {
    return required;
  }

  @Override
  public String description() {
    return "ArrowScan " + table.name() + " " + required.catalogString();
  }

  @Override
  public Batch toBatch() {
    return this;
  }

  @Override
  public InputPartition[] planInputPartitions() {
    List<InputPartition> splits = new ArrayList<>();
    for (IpcLayout layout : table.layouts()) {
      String file = layout.path().toString();
      if (layout.format() == IpcFormat.STREAM) {
        splits.add(new Split(file, IpcFormat.STREAM, null));
        continue;
      }
      List<Integer> group = new ArrayList<>();
      long bytes = 0;
      for (int i = 0; i < layout.batchBytes().size(); i++) {
        long b = layout.batchBytes().get(i);
        if (!group.isEmpty() && bytes + b > maxPartitionBytes) {
          splits.add(
              new Split(
                  file, IpcFormat.FILE, group.stream().mapToInt(Integer::intValue).toArray()));
          group.clear();
          bytes = 0;
        }
        group.add(i);
        bytes += b;
      }
      if (!group.isEmpty()) {
        splits.add(
            new Split(file, IpcFormat.FILE, group.stream().mapToInt(Integer::intValue).toArray()));
      }
    }
    return splits.toArray(InputPartition[]::new);
  }

  @Override
  public PartitionReaderFactory createReaderFactory() {
    return new ReaderFactory(required, conf);
  }

  /** Opens a split on an executor. */
  record ReaderFactory(StructType required, SerializableConfiguration conf)
      implements PartitionReaderFactory {
    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
      throw new UnsupportedOperationException("the arrow source reads columnar batches only");
    }

    @Override
    public PartitionReader<ColumnarBatch> createColumnarReader(InputPartition partition) {
      return new ArrowBatchReader((Split) partition, required, conf.value());
    }

    @Override
    public boolean supportColumnarReads(InputPartition partition) {
      return true;
    }
  }
}
