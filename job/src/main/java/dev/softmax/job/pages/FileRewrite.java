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
import org.apache.parquet.hadoop.util.HadoopOutputFile;
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
    try (ParquetFileReader reader =
            new ParquetFileReader(in, HadoopReadOptions.builder(conf).build());
        SeekableInputStream raw = in.newStream()) {
      MessageType fileSchema = reader.getFooter().getFileMetaData().getSchema();
      Type input = requireList(fileSchema, function.input(), task);
      PrimitiveType element =
          input.asGroupType().getType(0).asGroupType().getType(0).asPrimitiveType();
      List<Type> fields = new ArrayList<>();
      for (String c : task.columns()) {
        if (c.equals(function.output())) {
          fields.add(outputType(c, element.getPrimitiveTypeName(), task));
        } else if (fileSchema.containsField(c)) {
          fields.add(fileSchema.getType(c));
        } else {
          throw new IllegalStateException(
              task.file() + " has no column " + c + ", which the dataset's first file has");
        }
      }
      MessageType outSchema = new MessageType(fileSchema.getName(), fields);
      MessageType requested = new MessageType(fileSchema.getName(), input);
      reader.setRequestedSchema(requested);
      ColumnDescriptor inColumn = requested.getColumns().get(0);
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
                HadoopOutputFile.fromPath(to, conf),
                outSchema,
                ParquetFileWriter.Mode.CREATE,
                ParquetOutputFormat.getLongBlockSize(conf),
                0,
                ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH,
                ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH,
                ParquetOutputFormat.getPageWriteChecksumEnabled(conf));
        out.start();
        boolean floats = element.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FLOAT;
        float[] floatOut = new float[0];
        double[] doubleOut = new double[0];
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          if (block.getRowCount() == 0) {
            // parquet-java's reader skips empty row groups too
            continue;
          }
          PageReadStore pages = reader.readNextRowGroup();
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
            long values = chunks.get(ColumnPath.get(inColumn.getPath())).getValueCount();
            out.startColumn(outColumn, values, codec);
            ListRows source =
                new ListRows(
                    inColumn, pages.getPageReader(inColumn), task.elementOptional(), function);
            ListPages sink = new ListPages(out, outColumn, compressor, pageBytes);
            for (long r = 0; r < block.getRowCount(); r++) {
              if (floats) {
                float[] z = source.nextFloats();
                if (floatOut.length != z.length) {
                  floatOut = new float[z.length];
                }
                function.apply(z, floatOut);
                sink.add(floatOut);
              } else {
                double[] z = source.nextDoubles();
                if (doubleOut.length != z.length) {
                  doubleOut = new double[z.length];
                }
                function.apply(z, doubleOut);
                sink.add(doubleOut);
              }
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

  /**
   * The input column, which must be a three-level list of floats or doubles as the dataset's first
   * file has it.
   */
  private static Type requireList(MessageType schema, String name, FileTask task) {
    if (schema.containsField(name)) {
      Type t = schema.getType(name);
      if (!t.isPrimitive()
          && t.getLogicalTypeAnnotation() instanceof LogicalTypeAnnotation.ListLogicalTypeAnnotation
          && t.isRepetition(
              task.listOptional() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED)
          && t.asGroupType().getFieldCount() == 1) {
        Type list = t.asGroupType().getType(0);
        if (!list.isPrimitive()
            && list.isRepetition(Type.Repetition.REPEATED)
            && list.asGroupType().getFieldCount() == 1) {
          Type element = list.asGroupType().getType(0);
          if (element.isPrimitive()
              && element.isRepetition(
                  task.elementOptional() ? Type.Repetition.OPTIONAL : Type.Repetition.REQUIRED)
              && (element.asPrimitiveType().getPrimitiveTypeName()
                      == PrimitiveType.PrimitiveTypeName.FLOAT
                  || element.asPrimitiveType().getPrimitiveTypeName()
                      == PrimitiveType.PrimitiveTypeName.DOUBLE)) {
            return t;
          }
        }
      }
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
