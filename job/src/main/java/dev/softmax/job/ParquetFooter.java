package dev.softmax.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;

/**
 * What one Parquet file's footer tells before Spark reads it: encodings Spark's vectorized reader
 * refuses (BYTE_STREAM_SPLIT, pyarrow's recommended float encoding), float16 columns Spark cannot
 * read at all, and the average number of leaf values per row of each top-level column (the row
 * width, which sizes the reader's batches), and the bytes of its largest row group (which a
 * reader holds at once).
 */
record ParquetFooter(Path file, boolean byteStreamSplit, List<String> float16Columns, Map<String, Double> valuesPerRow,
    long largestRowGroupBytes) {

  static ParquetFooter read(Path file, Configuration conf) {
    ParquetMetadata footer;
    try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
      footer = reader.getFooter();
    } catch (IOException | RuntimeException e) {
      throw new UsageException("cannot read input file " + file + " as Parquet: " + InputDataset.firstLine(e));
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
    return new ParquetFooter(file, bss, List.copyOf(float16), perRow, largest);
  }
}
