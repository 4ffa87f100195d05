package dev.softmax.job;

/** A problem with the command line or the paths, found before any Spark work: exit status 2. */
final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
