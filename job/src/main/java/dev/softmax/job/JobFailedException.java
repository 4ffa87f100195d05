package dev.softmax.job;

/**
 * A run failed for a reason that is not a bad row or a usage error (a Spark job failed): exit
 * status 1.
 */
final class JobFailedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  JobFailedException(Throwable cause) {
    super(cause.getMessage(), cause);
  }
}
