package dev.softmax.udf;

/**
 * A checked function ({@code nn.softmax_checked}, {@code nn.log_softmax_checked}) met a row that
 * its check finds bad: the query fails with this, and {@link #problem()} says why.
 */
public final class RowProblemException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final RowProblem problem;

  /** {@code function}: the SQL function's qualified name, which the message starts with. */
  public RowProblemException(String function, RowProblem problem) {
    super(function + ": bad row: " + problem.reason());
    this.problem = problem;
  }

  /** Why the row is bad, as the row check answers. */
  public RowProblem problem() {
    return problem;
  }
}
