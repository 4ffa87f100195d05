package dev.softmax.job.arrow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.SeekableReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.util.ArrowUtils;

/**
 * The schema and record batches of one Arrow IPC file or stream, read on the driver without
 * decoding any data: the file format's footer, or the stream's message headers (bodies skipped). A
 * truncated or damaged file fails here, before any task runs.
 */
record IpcLayout(
    Path path, IpcFormat format, Schema schema, List<Long> batchBytes, List<Long> batchRows) {

  /** The body bytes of the largest record batch of {@code layouts}: what a reader holds at once. */
  static long largestBatchBytes(List<IpcLayout> layouts) {
    return layouts.stream()
        .flatMap(l -> l.batchBytes().stream())
        .mapToLong(Long::longValue)
        .max()
        .orElse(0);
  }

  /** Body bytes per row over all the record batches of {@code layouts} (0 without rows). */
  static double bytesPerRow(List<IpcLayout> layouts) {
    long bytes = 0;
    long rows = 0;
    for (IpcLayout l : layouts) {
      bytes += l.batchBytes().stream().mapToLong(Long::longValue).sum();
      rows += l.batchRows().stream().mapToLong(Long::longValue).sum();
    }
    return rows == 0 ? 0 : (double) bytes / rows;
  }

  static IpcLayout of(Path path, Configuration conf) {
    IpcFormat format;
    try {
      format = IpcFormat.sniff(path, conf);
    } catch (UncheckedIOException e) {
      throw new ArrowInputException(path, "cannot read: " + e.getCause().getMessage());
    }
    try {
      FileSystem fs = path.getFileSystem(conf);
      long size = fs.getFileStatus(path).getLen();
      return switch (format) {
        case FILE -> ofFile(path, new HadoopChannel(fs.open(path), size));
        case STREAM -> ofStream(path, new HadoopChannel(fs.open(path), size), size);
        default ->
            throw new ArrowInputException(
                path,
                "not an Arrow IPC file or stream (its first bytes"
                    + " are neither ARROW1 nor an IPC message)");
      };
    } catch (IOException | RuntimeException e) {
      if (e instanceof ArrowInputException a) {
        throw a;
      }
      throw new ArrowInputException(
          path,
          "not a complete Arrow IPC "
              + (format == IpcFormat.FILE ? "file" : "stream")
              + " (truncated or damaged): "
              + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
  }

  private static IpcLayout ofFile(Path path, HadoopChannel channel) throws IOException {
    try (BufferAllocator allocator =
            ArrowUtils.rootAllocator()
                .newChildAllocator("arrow footer " + path, 0, Long.MAX_VALUE);
        ArrowFileReader reader = new ArrowFileReader(new SeekableReadChannel(channel), allocator)) {
      Schema schema = reader.getVectorSchemaRoot().getSchema();
      List<Long> bytes = new ArrayList<>();
      List<Long> rows = new ArrayList<>();
      for (ArrowBlock block : reader.getRecordBlocks()) {
        if (block.getOffset() + block.getMetadataLength() + block.getBodyLength()
            > channel.size()) {
          throw new ArrowInputException(
              path, "record batch at byte " + block.getOffset() + " runs past the end of the file");
        }
        bytes.add(block.getBodyLength());
        // the batch's header only (its row count); the body is not read
        channel.position(block.getOffset());
        MessageMetadataResult header = MessageSerializer.readMessage(new ReadChannel(channel));
        rows.add(rowCount(path, header));
      }
      return new IpcLayout(path, IpcFormat.FILE, schema, bytes, rows);
    }
  }

  private static long rowCount(Path path, MessageMetadataResult message) {
    if (message == null || message.getMessage().headerType() != MessageHeader.RecordBatch) {
      throw new ArrowInputException(path, "a record block does not hold a record batch");
    }
    RecordBatch batch = (RecordBatch) message.getMessage().header(new RecordBatch());
    return batch.length();
  }

  private static IpcLayout ofStream(Path path, HadoopChannel channel, long size)
      throws IOException {
    try (channel) {
      ReadChannel in = new ReadChannel(channel);
      MessageMetadataResult first = MessageSerializer.readMessage(in);
      if (first == null || first.getMessage().headerType() != MessageHeader.Schema) {
        throw new ArrowInputException(path, "the stream does not start with a schema message");
      }
      Schema schema = MessageSerializer.deserializeSchema(first);
      List<Long> bytes = new ArrayList<>();
      List<Long> rows = new ArrayList<>();
      MessageMetadataResult m;
      while ((m = MessageSerializer.readMessage(in)) != null) {
        long end = channel.position() + m.getMessageBodyLength();
        if (end > size) {
          throw new ArrowInputException(
              path, "truncated: a message body runs past the end of the stream");
        }
        channel.position(end);
        if (m.getMessage().headerType() == MessageHeader.RecordBatch) {
          bytes.add(m.getMessageBodyLength());
          rows.add(rowCount(path, m));
        }
      }
      return new IpcLayout(path, IpcFormat.STREAM, schema, bytes, rows);
    }
  }
}
