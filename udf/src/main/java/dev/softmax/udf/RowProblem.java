package dev.softmax.udf;

import org.apache.spark.unsafe.types.UTF8String;

/**
 * Why a row cannot go through a softmax function: each an answer of a {@link RowCheck}'s SQL
 * function.
 */
public enum RowProblem {
  NULL_ARRAY("null array"),
  EMPTY_ARRAY("empty array"),
  NULL_ELEMENT("null element"),
  NAN_OR_INFINITY("NaN or +inf"),
  ALL_MASKED("all entries -inf"),
  NON_FINITE("non-finite value"),
  /** Two array arguments of one row differ in length (the kernels refuse such a pair). */
  LENGTH_MISMATCH("length mismatch"),
  /** A cross-entropy's label (or a token's) is null. */
  NULL_LABEL("null label"),
  /**
   * A cross-entropy's label is neither a class of the row, in [0, L), nor the ignore index (the
   * function refuses it).
   */
  LABEL_OUT_OF_RANGE("label outside [0, L)");

  private final String reason;
  private final UTF8String answer;

  RowProblem(String reason) {
    this.reason = reason;
    this.answer = UTF8String.fromString(reason);
  }

  /**
   * Why a row of logits whose shape is good is bad, told by its maximum (NaN when any element is
   * NaN): NaN or +inf, or every entry -inf; null for a good row. {@code nn.check_logits} and the
   * checked forms decide by this rule, and so does any other reader of logits that must fail on the
   * same rows.
   */
  public static RowProblem ofLogitsMaximum(double max) {
    if (max != max || max == Double.POSITIVE_INFINITY) {
      return NAN_OR_INFINITY;
    }
    return max == Double.NEGATIVE_INFINITY ? ALL_MASKED : null;
  }

  /**
   * Why a row of values (probabilities, gradients) whose shape is good is bad, told by its largest
   * magnitude (NaN or +inf when there is a non-finite value): {@link #NON_FINITE}, or null for a
   * good row, the rule of {@code nn.check_values}.
   */
  public static RowProblem ofValuesMagnitude(double magnitude) {
    return Double.isFinite(magnitude) ? null : NON_FINITE;
  }

  /** The words the check function answers, and the job counts bad rows under. */
  public String reason() {
    return reason;
  }

  /** {@link #reason()} as the check function returns it. */
  public UTF8String answer() {
    return answer;
  }
}
