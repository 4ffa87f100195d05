package dev.softmax.job;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.format.SchemaElement;
import org.apache.parquet.format.Util;
import org.apache.parquet.hadoop.Footer;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.execution.datasources.parquet.ParquetFileFormat$;
import org.apache.spark.sql.execution.datasources.parquet.ParquetToSparkSchemaConverter;
import org.apache.spark.sql.internal.SQLConf;
import org.apache.spark.sql.types.StructType;

/**
 * What one Parquet file's footer tells before Spark reads it: encodings Spark's vectorized reader
 * refuses (BYTE_STREAM_SPLIT, pyarrow's recommended float encoding), float16 columns Spark cannot
 * read at all, and the average number of leaf values per row of each top-level column (the row
 * width, which sizes the reader's batches), the bytes of its largest row group (which a reader
 * holds at once), and the schema Spark reads from it (null when Spark cannot).
 */
record ParquetFooter(
    Path file,
    boolean byteStreamSplit,
    List<String> float16Columns,
    Map<String, Double> valuesPerRow,
    long largestRowGroupBytes,
    StructType sparkSchema) {

  static ParquetFooter read(Path file, Configuration conf) {
    ParquetMetadata footer;
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      footer = reader.getFooter();
    } catch (IOException | RuntimeException e) {
      List<String> float16 = float16ColumnsUnknownToThisParquet(file, conf);
      if (!float16.isEmpty()) {
        return new ParquetFooter(file, false, float16, Map.of(), 0, null);
      }
      throw new UsageException(
          HadoopFiles.staleChecksum(e)
              .orElse(
                  "cannot read input file " + file + " as Parquet: " + InputDataset.firstLine(e)));
    }
    List<String> float16 = new ArrayList<>();
    for (var column : footer.getFileMetaData().getSchema().getColumns()) {
      PrimitiveType leaf = column.getPrimitiveType();
      // by name: parquet-mr before 1.14 (Spark 3.5) has no FLOAT16 annotation class
      if (leaf.getLogicalTypeAnnotation() != null
          && leaf.getLogicalTypeAnnotation().toString().startsWith("FLOAT16")) {
        float16.add(column.getPath()[0]);
      }
    }
    boolean bss = false;
    long rows = 0;
    long largest = 0;
    Map<String, Long> values = new LinkedHashMap<>();
    for (BlockMetaData block : footer.getBlocks()) {
      rows += block.getRowCount();
      largest = Math.max(largest, block.getTotalByteSize());
      for (ColumnChunkMetaData chunk : block.getColumns()) {
        bss |= chunk.getEncodings().contains(Encoding.BYTE_STREAM_SPLIT);
        values.merge(chunk.getPath().toArray()[0], chunk.getValueCount(), Long::sum);
      }
    }
    Map<String, Double> perRow = new LinkedHashMap<>();
    for (Type field : footer.getFileMetaData().getSchema().getFields()) {
      long v = values.getOrDefault(field.getName(), 0L);
      perRow.put(field.getName(), rows == 0 ? 0.0 : (double) v / rows);
    }
    return new ParquetFooter(
        file, bss, List.copyOf(float16), perRow, largest, sparkSchema(file, footer));
  }

  /**
   * The schema Spark's own inference reads from this footer (the schema string Spark writes into
   * its files, else the Parquet schema converted under the session's settings), or null when Spark
   * cannot convert it: Spark's inference then reports why.
   */
  private static StructType sparkSchema(Path file, ParquetMetadata footer) {
    try {
      return ParquetFileFormat$.MODULE$.readSchemaFromFooter(
          new Footer(file, footer), new ParquetToSparkSchemaConverter(SQLConf.get()));
    } catch (Exception e) {
      // an AnalysisException for a type Spark cannot read (float16, refused above with advice)
      return null;
    }
  }

  /**
   * The top-level columns holding float16, read from the footer's Thrift schema: Parquet before
   * 1.14 (Spark 3.5's) fails to convert a footer with the FLOAT16 annotation, which it does not
   * know. Such a column is a FIXED_LEN_BYTE_ARRAY of 2 bytes with a logical type this Parquet
   * cannot name: FLOAT16 is the only logical type on 2-byte fixed arrays. Empty if the file does
   * not read that far.
   */
  private static List<String> float16ColumnsUnknownToThisParquet(Path file, Configuration conf) {
    List<String> found = new ArrayList<>();
    try {
      FileSystem fs = file.getFileSystem(conf);
      long length = fs.getFileStatus(file).getLen();
      if (length < 12) {
        return found;
      }
      try (FSDataInputStream in = fs.open(file)) {
        byte[] tail = new byte[8];
        in.readFully(length - 8, tail);
        int footerLength = ByteBuffer.wrap(tail, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (footerLength <= 0 || footerLength > length - 12) {
          return found;
        }
        in.seek(length - 8 - footerLength);
        List<SchemaElement> schema = Util.readFileMetaData(in).getSchema();
        // depth first: each element's children follow it; track the top-level column of each leaf
        String top = null;
        int remainingInTop = 0;
        for (int i = 1; i < schema.size(); i++) {
          SchemaElement e = schema.get(i);
          if (remainingInTop == 0) {
            top = e.getName();
          } else {
            remainingInTop--;
          }
          remainingInTop += e.getNum_children();
          if (e.getType() == org.apache.parquet.format.Type.FIXED_LEN_BYTE_ARRAY
              && e.getType_length() == 2
              && e.isSetLogicalType()
              && e.getLogicalType().getSetField() == null
              && !found.contains(top)) {
            found.add(top);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      found.clear();
    }
    return found;
  }
}
