package dev.softmax.job;

/** A bad row stopped a run with {@code --on-bad-row fail}: exit status 1. */
final class BadRowException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Marks the message Spark carries back from the task that met the bad row. */
  static final String MARKER = "bad row: ";

  BadRowException(String message) {
    super(message);
  }

  /** The bad-row message inside a failure of a Spark job, if that is what stopped it. */
  static java.util.Optional<BadRowException> within(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      String m = t.getMessage();
      int at = m == null ? -1 : m.indexOf(MARKER);
      if (at >= 0) {
        String line = m.substring(at).lines().findFirst().orElse("");
        // Spark appends its own context to raise_error's message after a period and a space
        int end = line.indexOf(BadRowException.END);
        return java.util.Optional.of(new BadRowException(end < 0 ? line : line.substring(0, end + END.length())));
      }
    }
    return java.util.Optional.empty();
  }

  static final String END = "(or --on-bad-row skip).";
}
