package dev.softmax.job.pages;

import dev.softmax.udf.RowProblem;
import java.util.Arrays;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.impl.ColumnReaderImpl;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.io.api.PrimitiveConverter;

/**
 * The rows of one column chunk of a {@code list<float>} or {@code list<double>} column (Parquet's
 * three-level list: an optional or required list of a repeated group of one optional or required
 * element), read with parquet-java's column reader, which decodes every page encoding: for the
 * encodings {@link DecodedPages} does not decode (BYTE_STREAM_SPLIT, the delta encodings).
 */
final class ListRows implements ListSource {
  private final ColumnReaderImpl reader;
  private final long values;
  private final int present;
  private final int emptyList;
  private final RowFunction function;
  private long read;
  private float[] floats = new float[256];
  private double[] doubles = new double[0];
  private float[] floatRow = new float[0];
  private double[] doubleRow = new double[0];

  /**
   * {@code elementOptional}: whether the element may be null (its definition level is then one
   * above the repeated group's).
   */
  ListRows(
      ColumnDescriptor column, PageReader pages, boolean elementOptional, RowFunction function) {
    this.reader = new ColumnReaderImpl(column, pages, new PrimitiveConverter() {}, null);
    this.values = reader.getTotalValueCount();
    this.present = column.getMaxDefinitionLevel();
    this.emptyList = present - (elementOptional ? 2 : 1);
    this.function = function;
  }

  /** The next row of a float column: an array this reader may reuse for the next row. */
  @Override
  public float[] nextFloats() {
    int n = 0;
    do {
      requirePresent(n);
      if (n == floats.length) {
        floats = Arrays.copyOf(floats, n * 2);
      }
      floats[n++] = reader.getFloat();
      reader.consume();
      read++;
    } while (read < values && reader.getCurrentRepetitionLevel() > 0);
    if (floatRow.length != n) {
      floatRow = new float[n];
    }
    System.arraycopy(floats, 0, floatRow, 0, n);
    return floatRow;
  }

  /** The next row of a double column: an array this reader may reuse for the next row. */
  @Override
  public double[] nextDoubles() {
    int n = 0;
    do {
      requirePresent(n);
      if (n == doubles.length) {
        doubles = Arrays.copyOf(doubles, Math.max(256, n * 2));
      }
      doubles[n++] = reader.getDouble();
      reader.consume();
      read++;
    } while (read < values && reader.getCurrentRepetitionLevel() > 0);
    if (doubleRow.length != n) {
      doubleRow = new double[n];
    }
    System.arraycopy(doubles, 0, doubleRow, 0, n);
    return doubleRow;
  }

  /** Refuses the row unless the value at {@code index} of it is present. */
  private void requirePresent(int index) {
    int level = reader.getCurrentDefinitionLevel();
    if (level == present) {
      return;
    }
    if (index > 0 || level > emptyList) {
      throw function.refuse(RowProblem.NULL_ELEMENT);
    }
    throw function.refuse(level == emptyList ? RowProblem.EMPTY_ARRAY : RowProblem.NULL_ARRAY);
  }
}
