package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.kernel.Losses;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * The cross-entropy of one row, PyTorch's {@code F.cross_entropy(..., reduction='none')}: {@code
 * SELECT nn.cross_entropy(logits, label)}, {@code nn.cross_entropy(logits, label, -100, 0.1)} or,
 * with probability targets, {@code nn.cross_entropy(logits, target_probs)}.
 */
public final class CrossEntropyFunction implements UnboundFunction {
  static final String NAME = "cross_entropy";
  private static final String FUNCTION = SoftmaxCatalog.DEFAULT_NAME + "." + NAME;
  static final String USAGE =
      FUNCTION + "(logits, label [, ignore_index [, label_smoothing]] | logits, target_probs)";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return USAGE
        + " - the cross-entropy -sum_j q_j log softmax(z)_j of the row, as PyTorch's"
        + " F.cross_entropy(reduction='none')\n"
        + "  logits: the logits z, array<float> or array<double>; the loss has their element type;"
        + " array<array<...>> per token, with labels array<int|bigint>: one loss per token\n"
        + "  label: the class index y in [0, L), int or bigint (q is one-hot)\n"
        + "  ignore_index: a label that gives loss 0 (default -100)\n"
        + "  label_smoothing: e in [0, 1]: q_j = (1 - e) [j = y] + e / L (default 0)\n"
        + "  target_probs: q, probabilities of the logits' type and length instead of a label";
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(NAME, SoftmaxCatalog.DEFAULT_NAME + "." + NAME, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(USAGE, input, 2, 4);
    ArrayType logits = Signature.floatingArray(USAGE, input, 0, "logits");
    DataType element = logits.elementType();
    boolean isFloat = Signature.isFloat(logits);
    if (input.fields()[1].dataType() instanceof ArrayType) {
      Signature.arity(USAGE, input, 2, 2);
      ArrayType targets =
          Signature.sameElementType(USAGE, input, 1, "target_probs", logits, "logits");
      return new InterpretedFunction<Object>(
          NAME,
          row -> {
            if (row.isNullAt(0) || row.isNullAt(1)) {
              return null;
            }
            return isFloat
                ? (Object)
                    LossRows.floatLoss(FUNCTION, row, 0, 1, (z, q) -> Losses.crossEntropy(z, q))
                : LossRows.doubleLoss(FUNCTION, row, 0, 1, (z, q) -> Losses.crossEntropy(z, q));
          },
          element,
          logits,
          targets);
    }
    DataType[] types = LossRows.labelTypes(USAGE, input, logits, "label_smoothing");
    return new InterpretedFunction<Object>(
        NAME,
        row -> {
          if (LossRows.anyNull(row, types.length)) {
            return null;
          }
          long label = row.getLong(1);
          long ignore = types.length > 2 ? row.getLong(2) : Losses.DEFAULT_IGNORE_INDEX;
          double smoothing = types.length > 3 ? row.getDouble(3) : 0;
          return isFloat
              ? (Object)
                  LossRows.floatLoss(
                      FUNCTION, row, 0, z -> Losses.crossEntropy(z, label, ignore, smoothing))
              : LossRows.doubleLoss(
                  FUNCTION, row, 0, z -> Losses.crossEntropy(z, label, ignore, smoothing));
        },
        element,
        types);
  }
}
