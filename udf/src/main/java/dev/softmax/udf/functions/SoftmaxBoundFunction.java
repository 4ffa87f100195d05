package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import java.io.Serializable;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;

/**
 * What every bound function of the catalog shares: its types, a readable canonical name, and
 * equality by that name (Spark's defaults are a random name and identity, which would make the same
 * call in one query run twice). Each concrete class declares its own static {@code invoke} (Spark
 * looks for it on the class itself) and hands this class a call of it on a row's arguments, which
 * {@link #produceResult} uses when Spark does not call {@code invoke} directly.
 */
abstract class SoftmaxBoundFunction<R> implements ScalarFunction<R> {
  /** The static invoke, applied to the arguments in a row. */
  @FunctionalInterface
  interface RowCall<R> extends Serializable {
    R apply(InternalRow row);
  }

  private final String name;
  private final RowCall<R> call;
  private final DataType resultType;
  private final DataType[] inputTypes;

  SoftmaxBoundFunction(String name, RowCall<R> call, DataType resultType, DataType... inputTypes) {
    this.name = name;
    this.call = call;
    this.resultType = resultType;
    this.inputTypes = inputTypes.clone();
  }

  /** Argument {@code i} of a row as an array, or null. */
  static ArrayData array(InternalRow row, int i) {
    return row.isNullAt(i) ? null : row.getArray(i);
  }

  @Override
  public R produceResult(InternalRow row) {
    return call.apply(row);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public DataType[] inputTypes() {
    return inputTypes.clone();
  }

  @Override
  public DataType resultType() {
    return resultType;
  }

  @Override
  public boolean isResultNullable() {
    return true;
  }

  @Override
  public String canonicalName() {
    return SoftmaxCatalog.DEFAULT_NAME
        + "."
        + name
        + Arrays.stream(inputTypes)
            .map(DataType::catalogString)
            .collect(Collectors.joining(", ", "(", ")"));
  }

  @Override
  public boolean equals(Object o) {
    return o != null
        && o.getClass() == getClass()
        && canonicalName().equals(((SoftmaxBoundFunction<?>) o).canonicalName());
  }

  @Override
  public int hashCode() {
    return canonicalName().hashCode();
  }

  @Override
  public String toString() {
    return canonicalName();
  }
}
