package dev.softmax.job.pages;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetOutputFormat;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ColumnPath;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Rewrites one Parquet file: each row group becomes one row group of the output with the same rows,
 * the kept columns' chunks copied byte for byte (their pages, statistics and indexes unchanged),
 * and the computed column written page by page ({@link ListPages}) from the input column's rows
 * ({@link ListRows}) through the {@link RowFunction}. Only the input column's chunks are read and
 * decoded.
 */
final class FileRewrite {
  private FileRewrite() {}

  /** Rewrites {@code task}'s file into {@code to}; returns the rows written. */
  static long rewrite(FileTask task, Configuration conf, CompressionCodecName codec, Path to)
      throws IOException {
    HadoopInputFile in = HadoopInputFile.fromPath(new Path(task.file()), conf);
    RowFunction function = task.function();
    try (ParquetFileReader reader = open(in, conf, task.file());
        SeekableInputStream raw = in.newStream()) {
      MessageType fileSchema = reader.getFooter().getFileMetaData().getSchema();
      List<Type> inputs = new ArrayList<>();
      for (String c : function.inputs()) {
        inputs.add(requireList(fileSchema, c, task));
      }
      PrimitiveType.PrimitiveTypeName element = elementOf(inputs.get(0)).getPrimitiveTypeName();
      for (Type t : inputs) {
        if (elementOf(t).getPrimitiveTypeName() != element) {
          throw new IllegalStateException(
              task.file() + ": the columns " + function.inputs() + " hold two element types");
        }
      }
      List<Type> fields = new ArrayList<>();
      for (String c : task.columns()) {
        if (c.equals(function.output())) {
          fields.add(outputType(c, element, task));
        } else if (fileSchema.containsField(c)) {
          fields.add(fileSchema.getType(c));
        } else {
          throw new IllegalStateException(
              task.file() + " has no column " + c + ", which the dataset's first file has");
        }
      }
      MessageType outSchema = new MessageType(fileSchema.getName(), fields);
      MessageType requested = new MessageType(fileSchema.getName(), inputs);
      reader.setRequestedSchema(requested);
      String[] outPath = {function.output(), "list", "element"};
      ColumnDescriptor outColumn = outSchema.getColumnDescription(outPath);
      int pageBytes =
          conf.getInt(ParquetOutputFormat.PAGE_SIZE, ParquetProperties.DEFAULT_PAGE_SIZE);
      CodecFactory codecs = new CodecFactory(conf, pageBytes);
      long rows = 0;
      try {
        CodecFactory.BytesCompressor compressor = codecs.getCompressor(codec);
        ParquetFileWriter out =
            new ParquetFileWriter(
                LocalFile.of(to, conf),
                outSchema,
                ParquetFileWriter.Mode.CREATE,
                ParquetOutputFormat.getLongBlockSize(conf),
                0,
                ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH,
                ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH,
                ParquetOutputFormat.getPageWriteChecksumEnabled(conf));
        out.start();
        RowLoop loop = new RowLoop(function, element == PrimitiveType.PrimitiveTypeName.FLOAT);
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          if (block.getRowCount() == 0) {
            // parquet-java's reader skips empty row groups too
            continue;
          }
          PageReadStore pages;
          try {
            pages = reader.readNextRowGroup();
          } catch (IOException | RuntimeException e) {
            throw unreadable(task.file(), e);
          }
          Map<ColumnPath, ColumnChunkMetaData> chunks = new HashMap<>();
          for (ColumnChunkMetaData chunk : block.getColumns()) {
            chunks.put(chunk.getPath(), chunk);
          }
          out.startBlock(block.getRowCount());
          for (ColumnDescriptor c : outSchema.getColumns()) {
            if (!c.equals(outColumn)) {
              ColumnChunkMetaData chunk = chunks.get(ColumnPath.get(c.getPath()));
              out.appendColumnChunk(
                  c,
                  raw,
                  chunk,
                  null,
                  reader.readColumnIndex(chunk),
                  reader.readOffsetIndex(chunk));
              continue;
            }
            List<ListSource> sources = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
              ColumnDescriptor d = requested.getColumns().get(i);
              boolean optional = elementOf(inputs.get(i)).isRepetition(Type.Repetition.OPTIONAL);
              boolean decoded =
                  DecodedPages.DECODED.containsAll(
                      chunks.get(ColumnPath.get(d.getPath())).getEncodings());
              sources.add(
                  decoded
                      ? new DecodedPages(d, pages.getPageReader(d), optional, function)
                      : new ListRows(d, pages.getPageReader(d), optional, function));
            }
            // on a good row the output has one value per logit
            long values =
                chunks.get(ColumnPath.get(requested.getColumns().get(0).getPath())).getValueCount();
            out.startColumn(outColumn, values, codec);
            ListPages sink = new ListPages(out, outColumn, compressor, pageBytes);
            for (long r = 0; r < block.getRowCount(); r++) {
              loop.next(sources, sink);
            }
            sink.flush();
            out.endColumn();
          }
          out.endBlock();
          rows += block.getRowCount();
        }
        Map<String, String> metadata = new HashMap<>();
        // how the kept columns' dates and timestamps were written, as Spark's reader needs to know
        reader
            .getFooter()
            .getFileMetaData()
            .getKeyValueMetaData()
            .forEach(
                (k, v) -> {
                  if (k.startsWith("org.apache.spark.legacy")) {
                    metadata.put(k, v);
                  }
                });
        metadata.putAll(task.metadata());
        out.end(metadata);
      } finally {
        codecs.release();
      }
      return rows;
    }
  }

  private static ParquetFileReader open(HadoopInputFile in, Configuration conf, String file)
      throws IOException {
    try {
      return new ParquetFileReader(in, HadoopReadOptions.builder(conf).build());
    } catch (IOException | RuntimeException e) {
      throw unreadable(file, e);
    }
  }

  /**
   * A failure to read an input file, told as the row path tells it: the file, then the reason (the
   * reader's exception is kept as suppressed, for the log's stack trace).
   */
  private static IOException unreadable(String file, Exception e) {
    IOException failure = new IOException("cannot read input file " + file + ": " + e.getMessage());
    failure.addSuppressed(e);
    return failure;
  }

  /** The element of a list column that {@link #requireList} accepted. */
  private static PrimitiveType elementOf(Type list) {
    return list.asGroupType().getType(0).asGroupType().getType(0).asPrimitiveType();
  }

  /** A three-level list of float or double, or a failure that names the file. */
  private static Type requireList(MessageType schema, String name, FileTask task) {
    if (schema.containsField(name) && PageWrite.listElement(schema.getType(name)) != null) {
      return schema.getType(name);
    }
    throw new IllegalStateException(
        task.file()
            + ": column "
            + name
            + " is not laid out as in the dataset's first file (a three-level list of float or"
            + " double)");
  }

  /** The computed column as Spark writes an array&lt;float|double&gt; column. */
  private static GroupType outputType(
      String name, PrimitiveType.PrimitiveTypeName element, FileTask task) {
    Type.Repetition list =
        task.outputOptional() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
    Type.Repetition elements =
        task.outputElementOptional() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED;
    return Types.buildGroup(list)
        .as(LogicalTypeAnnotation.listType())
        .addField(
            Types.repeatedGroup()
                .addField(Types.primitive(element, elements).named("element"))
                .named("list"))
        .named(name);
  }
}
