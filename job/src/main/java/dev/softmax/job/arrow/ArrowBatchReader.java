package dev.softmax.job.arrow;

import java.io.IOException;
import java.util.List;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.SeekableReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * One split's record batches as Spark columnar batches over the Arrow vectors (LZ4/ZSTD decoded),
 * in a child of Spark's Arrow allocator that {@link #close} (at the task's end) releases.
 */
final class ArrowBatchReader implements PartitionReader<ColumnarBatch> {
  private final ArrowScan.Split split;
  private final StructType required;
  private final BufferAllocator allocator;
  private final ArrowReader reader;
  private final List<ArrowBlock> blocks;
  private int next;
  private ColumnarBatch current;

  ArrowBatchReader(ArrowScan.Split split, StructType required, Configuration conf) {
    this.split = split;
    this.required = required;
    Path path = new Path(split.file());
    this.allocator =
        ArrowUtils.rootAllocator().newChildAllocator("arrow reader " + path, 0, Long.MAX_VALUE);
    ArrowReader opened = null;
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (split.format() == IpcFormat.FILE) {
        HadoopChannel channel = new HadoopChannel(fs.open(path), fs.getFileStatus(path).getLen());
        ArrowFileReader file =
            new ArrowFileReader(
                new SeekableReadChannel(channel), allocator, CommonsCompressionFactory.INSTANCE);
        opened = file;
        this.blocks = file.getRecordBlocks();
      } else {
        opened =
            new ArrowStreamReader(fs.open(path), allocator, CommonsCompressionFactory.INSTANCE);
        this.blocks = null;
      }
      this.reader = opened;
    } catch (IOException | RuntimeException e) {
      try {
        if (opened != null) {
          opened.close();
        }
      } catch (IOException ignored) {
        // the open failure is what the user needs to see
      } finally {
        allocator.close();
      }
      throw new ArrowInputException(path, "cannot open: " + e.getMessage());
    }
  }

  @Override
  public boolean next() throws IOException {
    boolean loaded;
    try {
      if (blocks != null) {
        loaded =
            next < split.batches().length
                && ((ArrowFileReader) reader).loadRecordBatch(blocks.get(split.batches()[next++]));
      } else {
        loaded = reader.loadNextBatch();
      }
    } catch (IOException | RuntimeException e) {
      throw new ArrowInputException(
          new Path(split.file()), "cannot read a record batch: " + e.getMessage());
    }
    if (!loaded) {
      return false;
    }
    VectorSchemaRoot root = reader.getVectorSchemaRoot();
    ColumnVector[] columns = new ColumnVector[required.size()];
    for (int i = 0; i < columns.length; i++) {
      StructField field = required.fields()[i];
      FieldVector v = root.getVector(field.name());
      columns[i] =
          ArrowListColumn.handles(v)
              ? new ArrowListColumn(v, field.dataType())
              : new ArrowColumnVector(v);
    }
    current = new ColumnarBatch(columns, root.getRowCount());
    return true;
  }

  @Override
  public ColumnarBatch get() {
    return current;
  }

  @Override
  public void close() throws IOException {
    try {
      reader.close();
    } finally {
      allocator.close();
    }
  }
}
