package dev.softmax.job;

import dev.softmax.udf.RowProblem;
import dev.softmax.udf.RowProblemException;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.SparkThrowable;

/** A bad row stopped a run with {@code --on-bad-row fail}: exit status 1. */
final class BadRowException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * How the job's {@code raise_error} message starts: it tells it from a user's own raise_error.
   */
  static final String MARKER = "bad row: ";

  /**
   * Spark's error class for {@code raise_error}, whose parameter errorMessage is the message as
   * raised.
   */
  static final String RAISED = "USER_RAISED_EXCEPTION";

  BadRowException(String message) {
    super(message);
  }

  /**
   * The bad-row message inside a failure of a Spark job, if that is what stopped it: found by the
   * error class of the exception {@code raise_error} throws, and read from its parameters. Spark
   * 3.5's {@code raise_error} throws a plain {@link RuntimeException} (that exact class) with the
   * message as raised.
   */
  static Optional<BadRowException> within(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String message = null;
      if (t instanceof SparkThrowable s && RAISED.equals(s.getErrorClass())) {
        Map<String, String> parameters = s.getMessageParameters();
        message = parameters == null ? null : parameters.get("errorMessage");
      } else if (t.getClass() == RuntimeException.class) {
        message = t.getMessage();
      }
      if (message != null && message.startsWith(MARKER)) {
        return Optional.of(new BadRowException(message));
      }
    }
    return Optional.empty();
  }

  /**
   * The problem a checked function ({@link dev.softmax.udf.SqlFunction#checked()}) threw inside a
   * failure of a Spark job, if that is what stopped it: the function knows why the row is bad, not
   * where it is ({@link BadRows#located}).
   */
  static Optional<RowProblem> checkedWithin(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof RowProblemException r) {
        return Optional.of(r.problem());
      }
    }
    return Optional.empty();
  }
}
