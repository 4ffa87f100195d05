package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Losses;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The k most probable classes of a row: {@code SELECT nn.softmax_topk(logits, 5)}, an array of
 * {@code struct<index: int, prob: float|double>}, largest first, ties to the lower index; the full
 * probability row is never written.
 */
public final class SoftmaxTopKFunction implements UnboundFunction {
  static final String NAME = "softmax_topk";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  private static final String USAGE = FUNCTION + "(logits, k [, temperature])";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE
        + " - the k largest probabilities of softmax(z / T) with their class indices, largest"
        + " first, ties to the lower index\n"
        + "  logits: z, array<float> or array<double>; prob has their element type;"
        + " array<array<...>> per token\n"
        + "  k: how many classes, an int >= 0 (all of them when k > L)\n"
        + "  temperature: T, a finite number > 0 (default 1)";
  }

  /** The result's element: {@code struct<index: int, prob: float|double>}. */
  static StructType entry(DataType element) {
    return new StructType().add("index", DataTypes.IntegerType, false).add("prob", element, false);
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(NAME, SoftmaxCatalog.DEFAULT_NAME + "." + NAME, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(USAGE, input, 2, 3);
    ArrayType logits = Signature.floatingArray(USAGE, input, 0, "logits");
    Signature.integral(USAGE, input, 1, "k");
    if (input.size() == 3) {
      Signature.numeric(USAGE, input, 2, "temperature");
    }
    DataType[] types =
        input.size() == 3
            ? new DataType[] {logits, DataTypes.IntegerType, DataTypes.DoubleType}
            : new DataType[] {logits, DataTypes.IntegerType};
    boolean isFloat = Signature.isFloat(logits);
    return new InterpretedFunction<ArrayData>(
        NAME,
        row -> {
          if (LossRows.anyNull(row, types.length)) {
            return null;
          }
          int k = row.getInt(1);
          double t =
              types.length == 3
                  ? ArrayRows.temperature(FUNCTION, row.getDouble(2))
                  : Temperature.NONE;
          return isFloat
              ? top(ArrayRows.floats(row.getArray(0)), k, t)
              : top(ArrayRows.doubles(row.getArray(0)), k, t);
        },
        new ArrayType(entry(logits.elementType()), false),
        types);
  }

  private static ArrayData top(float[] z, int k, double t) {
    if (z == null) {
      return null;
    }
    int n = Math.min(Math.max(k, 0), z.length);
    int[] index = new int[n];
    double[] prob = new double[n];
    LossRows.named(FUNCTION, () -> Losses.topK(z, k, t, index, prob));
    Object[] entries = new Object[n];
    for (int i = 0; i < n; i++) {
      entries[i] = new GenericInternalRow(new Object[] {index[i], (float) prob[i]});
    }
    return new GenericArrayData(entries);
  }

  private static ArrayData top(double[] z, int k, double t) {
    if (z == null) {
      return null;
    }
    int n = Math.min(Math.max(k, 0), z.length);
    int[] index = new int[n];
    double[] prob = new double[n];
    LossRows.named(FUNCTION, () -> Losses.topK(z, k, t, index, prob));
    Object[] entries = new Object[n];
    for (int i = 0; i < n; i++) {
      entries[i] = new GenericInternalRow(new Object[] {index[i], prob[i]});
    }
    return new GenericArrayData(entries);
  }
}
