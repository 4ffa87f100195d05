package dev.softmax.job.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.compression.NoCompressionCodec;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.connector.write.BatchWrite;
import org.apache.spark.sql.connector.write.DataWriter;
import org.apache.spark.sql.connector.write.DataWriterFactory;
import org.apache.spark.sql.connector.write.LogicalWriteInfo;
import org.apache.spark.sql.connector.write.PhysicalWriteInfo;
import org.apache.spark.sql.connector.write.SupportsTruncate;
import org.apache.spark.sql.connector.write.WriteBuilder;
import org.apache.spark.sql.connector.write.WriterCommitMessage;
import org.apache.spark.sql.execution.arrow.ArrowWriter;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;
import org.apache.spark.util.SerializableConfiguration;

/**
 * Writing Arrow IPC files, one per task: each task attempt writes under {@code _temporary/JOB}, and
 * only the attempts Spark commits are moved to {@code part-NNNNN-JOB.arrow} when the job commits,
 * so a retried or speculative task never leaves a duplicate and two appends never collide. An
 * overwrite (truncate) removes the data files that were there once the new ones are in place. The
 * commit and abort remove only this job's temporary files.
 */
final class ArrowWrite implements WriteBuilder, SupportsTruncate, BatchWrite {
  /**
   * A record batch ends at this many bytes of rows (or batchRows rows), so wide rows make small
   * batches.
   */
  static final long DEFAULT_BATCH_BYTES = 16L << 20;

  private final Path path;
  private final StructType schema;
  private final String compression;
  private final int batchRows;
  private final long batchBytes;
  private final SerializableConfiguration conf;
  private final String jobId = UUID.randomUUID().toString().substring(0, 8);
  private boolean truncate;

  ArrowWrite(Path path, LogicalWriteInfo info, SerializableConfiguration conf) {
    this.path = path;
    this.schema = info.schema();
    this.compression = info.options().getOrDefault("compression", "none").toLowerCase(Locale.ROOT);
    this.batchRows = info.options().getInt("batchRows", 4096);
    this.batchBytes = info.options().getLong("batchBytes", DEFAULT_BATCH_BYTES);
    this.conf = conf;
    codec(compression);
  }

  static CompressionUtil.CodecType codec(String name) {
    return switch (name) {
      case "none" -> CompressionUtil.CodecType.NO_COMPRESSION;
      case "lz4" -> CompressionUtil.CodecType.LZ4_FRAME;
      case "zstd" -> CompressionUtil.CodecType.ZSTD;
      default ->
          throw new IllegalArgumentException(
              "arrow compression must be none, lz4 or zstd, got " + name);
    };
  }

  @Override
  public WriteBuilder truncate() {
    truncate = true;
    return this;
  }

  @Override
  public BatchWrite buildForBatch() {
    return this;
  }

  private Path temporary() {
    return new Path(path, "_temporary/" + jobId);
  }

  @Override
  public DataWriterFactory createBatchWriterFactory(PhysicalWriteInfo info) {
    return new Factory(temporary().toString(), schema, compression, batchRows, batchBytes, conf);
  }

  @Override
  public void commit(WriterCommitMessage[] messages) {
    Configuration c = conf.value();
    try {
      FileSystem fs = path.getFileSystem(c);
      List<Path> old = new ArrayList<>();
      if (truncate && fs.exists(path)) {
        for (FileStatus f : fs.listStatus(path)) {
          if (IpcFormat.isDataFile(f.getPath().getName())) {
            old.add(f.getPath());
          }
        }
      }
      for (WriterCommitMessage m : messages) {
        Written w = (Written) m;
        Path target =
            new Path(path, String.format(Locale.ROOT, "part-%05d-%s.arrow", w.partition(), jobId));
        if (!fs.rename(new Path(w.file()), target)) {
          throw new IOException("cannot move " + w.file() + " to " + target);
        }
      }
      for (Path p : old) {
        fs.delete(p, true);
      }
      removeTemporary(fs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes this job's temporary directory, and _temporary itself once no other job uses it. */
  private void removeTemporary(FileSystem fs) throws IOException {
    fs.delete(temporary(), true);
    Path parent = temporary().getParent();
    if (fs.exists(parent) && fs.listStatus(parent).length == 0) {
      fs.delete(parent, false);
    }
  }

  @Override
  public void abort(WriterCommitMessage[] messages) {
    try {
      removeTemporary(path.getFileSystem(conf.value()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A committed task's file, still under _temporary. */
  record Written(int partition, String file) implements WriterCommitMessage {}

  /** Makes one writer per task attempt. */
  record Factory(
      String dir,
      StructType schema,
      String compression,
      int batchRows,
      long batchBytes,
      SerializableConfiguration conf)
      implements DataWriterFactory {
    @Override
    public DataWriter<InternalRow> createWriter(int partitionId, long taskId) {
      Path file =
          new Path(dir, String.format(Locale.ROOT, "part-%05d-%d.arrow", partitionId, taskId));
      return new TaskWriter(partitionId, file, this);
    }
  }

  /** Rows into Arrow record batches through Spark's own ArrowWriter, batches into one IPC file. */
  static final class TaskWriter implements DataWriter<InternalRow> {
    private final int partition;
    private final Path file;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final ArrowWriter rows;
    private final FSDataOutputStream out;
    private final ArrowFileWriter writer;
    private final int batchRows;
    private final long batchBytes;
    private final Configuration conf;
    private int pending;
    private long pendingBytes;
    private boolean closed;

    TaskWriter(int partition, Path file, Factory f) {
      this.conf = f.conf().value();
      this.partition = partition;
      this.file = file;
      this.batchRows = f.batchRows();
      this.batchBytes = f.batchBytes();
      this.allocator =
          ArrowUtils.rootAllocator().newChildAllocator("arrow writer " + file, 0, Long.MAX_VALUE);
      this.root =
          VectorSchemaRoot.create(
              ArrowUtils.toArrowSchema(f.schema(), "UTC", true, false), allocator);
      this.rows = ArrowWriter.create(root);
      try {
        this.out = file.getFileSystem(conf).create(file, false);
      } catch (IOException e) {
        root.close();
        allocator.close();
        throw new UncheckedIOException("cannot create " + file, e);
      }
      CompressionUtil.CodecType codec = codec(f.compression());
      this.writer =
          new ArrowFileWriter(
              root,
              null,
              Channels.newChannel(out),
              Map.of(),
              IpcOption.DEFAULT,
              codec == CompressionUtil.CodecType.NO_COMPRESSION
                  ? NoCompressionCodec.Factory.INSTANCE
                  : CommonsCompressionFactory.INSTANCE,
              codec);
    }

    @Override
    public void write(InternalRow row) throws IOException {
      rows.write(row);
      pendingBytes += row instanceof UnsafeRow u ? u.getSizeInBytes() : 0;
      if (++pending == batchRows || pendingBytes >= batchBytes) {
        flush();
      }
    }

    private void flush() throws IOException {
      rows.finish();
      writer.writeBatch();
      rows.reset();
      pending = 0;
      pendingBytes = 0;
    }

    @Override
    public WriterCommitMessage commit() throws IOException {
      if (pending > 0) {
        flush();
      }
      writer.end();
      close();
      return new Written(partition, file.toString());
    }

    @Override
    public void abort() throws IOException {
      close();
      file.getFileSystem(conf).delete(file, false);
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        writer.close();
        out.close();
      } finally {
        root.close();
        allocator.close();
      }
    }
  }
}
