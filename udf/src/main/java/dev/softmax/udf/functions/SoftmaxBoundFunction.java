package dev.softmax.udf.functions;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;

/**
 * What every bound function of the catalog shares: its types, a readable canonical name, and
 * equality by that name (Spark's defaults are a random name and identity, which would make the
 * same call in one query run twice). Each concrete class declares its own static {@code invoke}.
 */
abstract class SoftmaxBoundFunction<R> implements ScalarFunction<R> {
  private final String name;
  private final DataType resultType;
  private final DataType[] inputTypes;

  SoftmaxBoundFunction(String name, DataType resultType, DataType... inputTypes) {
    this.name = name;
    this.resultType = resultType;
    this.inputTypes = inputTypes.clone();
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
    return "nn." + name + Arrays.stream(inputTypes)
        .map(DataType::catalogString)
        .collect(Collectors.joining(", ", "(", ")"));
  }

  @Override
  public boolean equals(Object o) {
    return o != null && o.getClass() == getClass()
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
