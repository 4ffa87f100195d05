package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Losses;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The gradient of {@link CrossEntropyFunction} with respect to the logits: {@code SELECT
 * nn.cross_entropy_backward(logits, label)}, with the same arguments as the loss and an optional
 * upstream gradient of the loss last.
 */
public final class CrossEntropyBackwardFunction implements UnboundFunction {
  static final String NAME = "cross_entropy_backward";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  private static final String USAGE =
      FUNCTION
          + "(logits, label [, ignore_index [, label_smoothing [, upstream]]]"
          + " | logits, target_probs [, upstream])";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE
        + " - the gradient dL/dz = upstream * (softmax(z) sum(q) - q) of cross_entropy; zeros for"
        + " an ignored row\n"
        + "  logits: the logits z, array<float> or array<double>; the gradient has their type;"
        + " array<array<...>> per token, with labels array<int|bigint>\n"
        + "  label: the class index y in [0, L), int or bigint (q is one-hot)\n"
        + "  ignore_index: a label that gives a gradient of zeros (default -100)\n"
        + "  label_smoothing: e in [0, 1]: q_j = (1 - e) [j = y] + e / L (default 0)\n"
        + "  target_probs: q, probabilities of the logits' type and length instead of a label\n"
        + "  upstream: dLoss/dL, a number (default 1)";
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(NAME, SoftmaxCatalog.DEFAULT_NAME + "." + NAME, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(USAGE, input, 2, 5);
    ArrayType logits = Signature.floatingArray(USAGE, input, 0, "logits");
    ArrayType result = Signature.resultOf(logits);
    boolean isFloat = Signature.isFloat(logits);
    if (input.fields()[1].dataType() instanceof ArrayType) {
      Signature.arity(USAGE, input, 2, 3);
      ArrayType targets =
          Signature.sameElementType(USAGE, input, 1, "target_probs", logits, "logits");
      if (input.size() == 3) {
        Signature.numeric(USAGE, input, 2, "upstream");
      }
      DataType[] types =
          input.size() == 3
              ? new DataType[] {logits, targets, DataTypes.DoubleType}
              : new DataType[] {logits, targets};
      return new InterpretedFunction<Object>(
          NAME,
          row -> {
            if (LossRows.anyNull(row, types.length)) {
              return null;
            }
            double up = types.length == 3 ? row.getDouble(2) : 1;
            return isFloat
                ? LossRows.floatGrad(
                    FUNCTION, row, 0, 1, (z, q, out) -> Losses.crossEntropyBackward(z, q, up, out))
                : LossRows.doubleGrad(
                    FUNCTION, row, 0, 1, (z, q, out) -> Losses.crossEntropyBackward(z, q, up, out));
          },
          result,
          types);
    }
    DataType[] types = LossRows.labelTypes(USAGE, input, logits, "label_smoothing", "upstream");
    return new InterpretedFunction<Object>(
        NAME,
        row -> {
          if (LossRows.anyNull(row, types.length)) {
            return null;
          }
          long label = row.getLong(1);
          long ignore = types.length > 2 ? row.getLong(2) : Losses.DEFAULT_IGNORE_INDEX;
          double smoothing = types.length > 3 ? row.getDouble(3) : 0;
          double up = types.length > 4 ? row.getDouble(4) : 1;
          return isFloat
              ? LossRows.floatGrad(
                  FUNCTION,
                  row,
                  0,
                  (z, out) -> Losses.crossEntropyBackward(z, label, ignore, smoothing, up, out))
              : LossRows.doubleGrad(
                  FUNCTION,
                  row,
                  0,
                  (z, out) -> Losses.crossEntropyBackward(z, label, ignore, smoothing, up, out));
        },
        result,
        types);
  }
}
