package dev.softmax.job.arrow;

import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.complex.BaseRepeatedValueVector;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.complex.LargeListVector;
import org.apache.arrow.vector.complex.ListVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.vectorized.ArrowColumnVector;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.sql.vectorized.ColumnarMap;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A list, large_list or fixed_size_list Arrow vector as a Spark array column, without copying: rows
 * are slices of the child vector. Spark's own ArrowColumnVector rejects fixed_size_list.
 */
final class ArrowListColumn extends ColumnVector {
  private final FieldVector vector;
  private final ArrowColumnVector elements;

  ArrowListColumn(FieldVector vector, DataType type) {
    super(type);
    this.vector = vector;
    FieldVector child =
        vector instanceof LargeListVector large
            ? large.getDataVector()
            : vector instanceof FixedSizeListVector fixed
                ? fixed.getDataVector()
                : ((BaseRepeatedValueVector) vector).getDataVector();
    this.elements = new ArrowColumnVector(child);
  }

  static boolean handles(FieldVector v) {
    return v instanceof ListVector
        || v instanceof LargeListVector
        || v instanceof FixedSizeListVector;
  }

  @Override
  public ColumnarArray getArray(int rowId) {
    if (vector instanceof FixedSizeListVector fixed) {
      int width = fixed.getListSize();
      return new ColumnarArray(elements, rowId * width, width);
    }
    if (vector instanceof LargeListVector large) {
      long start = large.getElementStartIndex(rowId);
      return new ColumnarArray(
          elements,
          Math.toIntExact(start),
          Math.toIntExact(large.getElementEndIndex(rowId) - start));
    }
    ListVector list = (ListVector) vector;
    int start = list.getElementStartIndex(rowId);
    return new ColumnarArray(elements, start, list.getElementEndIndex(rowId) - start);
  }

  @Override
  public boolean isNullAt(int rowId) {
    return vector.isNull(rowId);
  }

  @Override
  public boolean hasNull() {
    return vector.getNullCount() > 0;
  }

  @Override
  public int numNulls() {
    return vector.getNullCount();
  }

  /** The Arrow vectors belong to the reader's root, which closes them. */
  @Override
  public void close() {}

  private static UnsupportedOperationException notAScalar() {
    return new UnsupportedOperationException("an array column has no scalar values");
  }

  @Override
  public boolean getBoolean(int rowId) {
    throw notAScalar();
  }

  @Override
  public byte getByte(int rowId) {
    throw notAScalar();
  }

  @Override
  public short getShort(int rowId) {
    throw notAScalar();
  }

  @Override
  public int getInt(int rowId) {
    throw notAScalar();
  }

  @Override
  public long getLong(int rowId) {
    throw notAScalar();
  }

  @Override
  public float getFloat(int rowId) {
    throw notAScalar();
  }

  @Override
  public double getDouble(int rowId) {
    throw notAScalar();
  }

  @Override
  public ColumnarMap getMap(int ordinal) {
    throw notAScalar();
  }

  @Override
  public Decimal getDecimal(int rowId, int precision, int scale) {
    throw notAScalar();
  }

  @Override
  public UTF8String getUTF8String(int rowId) {
    throw notAScalar();
  }

  @Override
  public byte[] getBinary(int rowId) {
    throw notAScalar();
  }

  @Override
  public ColumnVector getChild(int ordinal) {
    throw notAScalar();
  }
}
