package dev.softmax.udf.functions;

import java.util.function.Function;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A function on per-token rows: its first argument is {@code array<array<float|double>>} (tokens x
 * classes) and it applies along the last axis. Every array argument is then per token, one level
 * deeper than the function takes it on a row ({@code array<array<...>>} for logits, grads, targets
 * and teachers, {@code array<int|bigint>} for labels); scalar arguments (a temperature, k, an
 * ignore index) are shared by the tokens. The result has one element per token: {@code array<...>}
 * of the row function's result. A null token (or a null label) gives a null element; tokens counts
 * that differ between the arguments are refused.
 */
final class PerToken {
  private PerToken() {}

  /** Whether the call's first argument is per-token rows. */
  static boolean applies(StructType input) {
    return input.size() > 0
        && input.fields()[0].dataType() instanceof ArrayType outer
        && outer.elementType() instanceof ArrayType;
  }

  /**
   * Binds the row function ({@code rows}, the function's own binding of one row's types) to the
   * types one level down and returns its per-token form.
   */
  static BoundFunction bind(
      String name,
      String qualifiedName,
      StructType input,
      Function<StructType, BoundFunction> rows) {
    StructField[] fields = input.fields();
    boolean[] perToken = new boolean[fields.length];
    StructField[] inner = new StructField[fields.length];
    for (int i = 0; i < fields.length; i++) {
      DataType type = fields[i].dataType();
      perToken[i] = type instanceof ArrayType;
      inner[i] =
          perToken[i]
              ? new StructField(
                  fields[i].name(),
                  ((ArrayType) type).elementType(),
                  ((ArrayType) type).containsNull(),
                  fields[i].metadata())
              : fields[i];
    }
    ScalarFunction<?> row = (ScalarFunction<?>) rows.apply(new StructType(inner));
    DataType[] rowTypes = row.inputTypes();
    DataType[] types = new DataType[rowTypes.length];
    for (int i = 0; i < types.length; i++) {
      types[i] =
          perToken[i]
              ? new ArrayType(rowTypes[i], ((ArrayType) fields[i].dataType()).containsNull())
              : rowTypes[i];
    }
    return new InterpretedFunction<ArrayData>(
        name,
        args -> apply(qualifiedName, row, perToken, rowTypes, args),
        new ArrayType(row.resultType(), true),
        types);
  }

  private static ArrayData apply(
      String function,
      ScalarFunction<?> row,
      boolean[] perToken,
      DataType[] rowTypes,
      InternalRow args) {
    int tokens = -1;
    for (int i = 0; i < perToken.length; i++) {
      if (args.isNullAt(i)) {
        return null;
      }
      if (perToken[i]) {
        int n = args.getArray(i).numElements();
        if (tokens >= 0 && n != tokens) {
          throw new IllegalArgumentException(
              function + ": the per-token arguments have " + tokens + " and " + n + " tokens");
        }
        tokens = n;
      }
    }
    Object[] out = new Object[tokens];
    Object[] values = new Object[perToken.length];
    for (int t = 0; t < tokens; t++) {
      boolean nullToken = false;
      for (int i = 0; i < perToken.length; i++) {
        if (perToken[i]) {
          ArrayData tokensOf = args.getArray(i);
          values[i] = tokensOf.isNullAt(t) ? null : tokensOf.get(t, rowTypes[i]);
          nullToken |= values[i] == null;
        } else {
          values[i] = args.get(i, rowTypes[i]);
        }
      }
      out[t] = nullToken ? null : row.produceResult(new GenericInternalRow(values.clone()));
    }
    return new GenericArrayData(out);
  }
}
