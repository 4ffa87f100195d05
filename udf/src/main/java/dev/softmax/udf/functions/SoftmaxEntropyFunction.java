package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Losses;
import dev.softmax.udf.kernel.Temperature;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The entropy of a row's softmax: {@code SELECT nn.softmax_entropy(logits)}. */
public final class SoftmaxEntropyFunction implements UnboundFunction {
  static final String NAME = "softmax_entropy";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  private static final String USAGE = FUNCTION + "(logits [, temperature])";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE
        + " - the entropy -sum_j S_j log S_j of S = softmax(z / T), 0 log 0 = 0\n"
        + "  logits: z, array<float> or array<double>; the entropy has their element type;"
        + " array<array<...>> per token\n"
        + "  temperature: T, a finite number > 0 (default 1)";
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(NAME, SoftmaxCatalog.DEFAULT_NAME + "." + NAME, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(USAGE, input, 1, 2);
    ArrayType logits = Signature.floatingArray(USAGE, input, 0, "logits");
    if (input.size() == 2) {
      Signature.numeric(USAGE, input, 1, "temperature");
    }
    DataType[] types =
        input.size() == 2 ? new DataType[] {logits, DataTypes.DoubleType} : new DataType[] {logits};
    boolean isFloat = Signature.isFloat(logits);
    return new InterpretedFunction<Object>(
        NAME,
        row -> {
          if (LossRows.anyNull(row, types.length)) {
            return null;
          }
          double t =
              types.length == 2
                  ? ArrayRows.temperature(FUNCTION, row.getDouble(1))
                  : Temperature.NONE;
          return isFloat
              ? (Object) LossRows.floatLoss(FUNCTION, row, 0, z -> Losses.entropy(z, t))
              : LossRows.doubleLoss(FUNCTION, row, 0, z -> Losses.entropy(z, t));
        },
        logits.elementType(),
        types);
  }
}
