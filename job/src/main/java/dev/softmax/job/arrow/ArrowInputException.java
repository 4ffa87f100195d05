package dev.softmax.job.arrow;

import org.apache.hadoop.fs.Path;

/** A damaged or unsupported Arrow input, named with its file: the message is one line. */
public final class ArrowInputException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ArrowInputException(Path file, String problem) {
    super("arrow input " + file + ": " + problem.lines().findFirst().orElse(problem));
  }
}
