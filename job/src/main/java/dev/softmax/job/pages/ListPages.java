package dev.softmax.job.pages;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.statistics.DoubleStatistics;
import org.apache.parquet.column.statistics.FloatStatistics;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;

/**
 * The data pages of one column chunk of a {@code list<float>} or {@code list<double>} column whose
 * rows are all present, non-empty and without null elements: repetition and definition levels as
 * RLE runs ({@link LevelRuns}), the values as PLAIN little-endian bytes copied in bulk, each page
 * compressed and handed to {@link ParquetFileWriter#writeDataPage} with its statistics (minimum,
 * maximum, no nulls) and row count, from which the writer builds the chunk's statistics, column
 * index and offset index. A page ends after the row that brings its values to {@code pageBytes}: a
 * row never spans two pages.
 */
final class ListPages {
  private final ParquetFileWriter out;
  private final ColumnDescriptor column;
  private final CodecFactory.BytesCompressor compressor;
  private final int pageBytes;
  private final boolean floats;
  private final LevelRuns repetition = new LevelRuns();
  private final LevelRuns definition = new LevelRuns();
  private byte[] values;
  private ByteBuffer valueBuffer;
  private int valueBytes;
  private int pageValues;
  private int pageRows;
  private float floatMin;
  private float floatMax;
  private double doubleMin;
  private double doubleMax;
  private byte[] page = new byte[0];

  ListPages(
      ParquetFileWriter out,
      ColumnDescriptor column,
      CodecFactory.BytesCompressor compressor,
      int pageBytes) {
    this.out = out;
    this.column = column;
    this.compressor = compressor;
    this.pageBytes = pageBytes;
    this.floats =
        column.getPrimitiveType().getPrimitiveTypeName()
            == org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.FLOAT;
    grow(pageBytes + 64);
    clear();
  }

  /** Adds a row of float values (at least one). */
  void add(float[] row) throws IOException {
    reserve(row.length * 4);
    valueBuffer.position(valueBytes);
    valueBuffer.asFloatBuffer().put(row);
    valueBytes += row.length * 4;
    float min = row[0];
    float max = row[0];
    for (float v : row) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (Float.isNaN(min)) {
      // Math.min and max give NaN for any NaN; the page's statistics order NaN above all
      min = floatMin;
      max = floatMax;
      for (float v : row) {
        if (Float.compare(v, min) < 0) {
          min = v;
        }
        if (Float.compare(v, max) > 0) {
          max = v;
        }
      }
    } else {
      min = Float.isNaN(floatMin) || Float.compare(min, floatMin) < 0 ? min : floatMin;
      max = Float.compare(max, floatMax) > 0 ? max : floatMax;
    }
    floatMin = min;
    floatMax = max;
    ended(row.length);
  }

  /** Adds a row of double values (at least one). */
  void add(double[] row) throws IOException {
    reserve(row.length * 8);
    valueBuffer.position(valueBytes);
    valueBuffer.asDoubleBuffer().put(row);
    valueBytes += row.length * 8;
    double min = row[0];
    double max = row[0];
    for (double v : row) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    if (Double.isNaN(min)) {
      // Math.min and max give NaN for any NaN; the page's statistics order NaN above all
      min = doubleMin;
      max = doubleMax;
      for (double v : row) {
        if (Double.compare(v, min) < 0) {
          min = v;
        }
        if (Double.compare(v, max) > 0) {
          max = v;
        }
      }
    } else {
      min = Double.isNaN(doubleMin) || Double.compare(min, doubleMin) < 0 ? min : doubleMin;
      max = Double.compare(max, doubleMax) > 0 ? max : doubleMax;
    }
    doubleMin = min;
    doubleMax = max;
    ended(row.length);
  }

  private void ended(int elements) throws IOException {
    repetition.add(0, 1);
    if (elements > 1) {
      repetition.add(1, elements - 1);
    }
    pageValues += elements;
    pageRows++;
    if (valueBytes >= pageBytes) {
      flush();
    }
  }

  /** Writes the page being filled, if it holds a row. */
  void flush() throws IOException {
    if (pageRows == 0) {
      return;
    }
    definition.add(column.getMaxDefinitionLevel(), pageValues);
    int size = repetition.size() + definition.size() + valueBytes;
    if (page.length < size) {
      page = new byte[size];
    }
    repetition.copyTo(page, 0);
    definition.copyTo(page, repetition.size());
    System.arraycopy(values, 0, page, repetition.size() + definition.size(), valueBytes);
    BytesInput compressed = compressor.compress(BytesInput.from(page, 0, size));
    out.writeDataPage(
        pageValues,
        size,
        compressed,
        statistics(),
        pageRows,
        Encoding.RLE,
        Encoding.RLE,
        Encoding.PLAIN);
    clear();
  }

  private Statistics<?> statistics() {
    Statistics<?> stats = Statistics.createStats(column.getPrimitiveType());
    if (floats) {
      ((FloatStatistics) stats).updateStats(floatMin);
      ((FloatStatistics) stats).updateStats(floatMax);
    } else {
      ((DoubleStatistics) stats).updateStats(doubleMin);
      ((DoubleStatistics) stats).updateStats(doubleMax);
    }
    return stats;
  }

  private void clear() {
    repetition.clear();
    definition.clear();
    valueBytes = 0;
    pageValues = 0;
    pageRows = 0;
    floatMin = Float.NaN;
    floatMax = Float.NEGATIVE_INFINITY;
    doubleMin = Double.NaN;
    doubleMax = Double.NEGATIVE_INFINITY;
  }

  private void reserve(int bytes) {
    if (valueBytes + bytes > values.length) {
      grow(Math.max(values.length * 2, valueBytes + bytes));
    }
  }

  private void grow(int capacity) {
    values = values == null ? new byte[capacity] : Arrays.copyOf(values, capacity);
    valueBuffer = ByteBuffer.wrap(values).order(ByteOrder.LITTLE_ENDIAN);
  }
}
