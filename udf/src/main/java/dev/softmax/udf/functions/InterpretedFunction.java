package dev.softmax.udf.functions;

import org.apache.spark.sql.types.DataType;

/**
 * A bound function with no static {@code invoke}: Spark calls {@link #produceResult} on each row.
 * For functions that take a scalar argument Spark could pass null for: a code-generated {@code
 * invoke(long label)} receives a null label as 0, which would silently pick class 0, while {@code
 * produceResult} sees the null and gives null.
 */
public final class InterpretedFunction<R> extends SoftmaxBoundFunction<R> {
  InterpretedFunction(String name, RowCall<R> call, DataType resultType, DataType... inputTypes) {
    super(name, call, resultType, inputTypes);
  }
}
