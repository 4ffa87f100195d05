package dev.softmax.udf;

import static dev.softmax.udf.RowProblem.ALL_MASKED;
import static dev.softmax.udf.RowProblem.EMPTY_ARRAY;
import static dev.softmax.udf.RowProblem.NAN_OR_INFINITY;
import static dev.softmax.udf.RowProblem.NON_FINITE;
import static dev.softmax.udf.RowProblem.NULL_ARRAY;
import static dev.softmax.udf.RowProblem.NULL_ELEMENT;

import java.util.List;
import org.apache.spark.sql.Column;

/**
 * The rules an array argument's rows must meet, each checked by a SQL function that answers null
 * for a good row and else one of its {@link #problems()}.
 */
public enum RowCheck {
  /** Logits and log-probabilities: -inf masks an entry, but not every entry. */
  LOGITS(NULL_ARRAY, EMPTY_ARRAY, NULL_ELEMENT, NAN_OR_INFINITY, ALL_MASKED),
  /** Probabilities and gradients: every value finite. */
  VALUES(NULL_ARRAY, EMPTY_ARRAY, NULL_ELEMENT, NON_FINITE);

  private final List<RowProblem> problems;

  RowCheck(RowProblem... problems) {
    this.problems = List.of(problems);
  }

  /** Every answer of the check but null, in the order the check tries them. */
  public List<RowProblem> problems() {
    return problems;
  }

  /** The SQL function that checks these rules. */
  public SqlFunction function() {
    return this == LOGITS ? SqlFunction.CHECK_LOGITS : SqlFunction.CHECK_VALUES;
  }

  /** The check on {@code array}: null, or why that row is bad. */
  public Column on(Column array) {
    return function().call(array);
  }
}
