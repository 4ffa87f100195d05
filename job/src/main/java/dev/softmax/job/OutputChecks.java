package dev.softmax.job;

import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * Where a run reads and writes, checked before anything is written: every input exists, and an
 * output is not a file system's root, does not overlap an input or another output, and (with {@code
 * --mode error}) does not exist once what dead runs left has been recovered.
 */
final class OutputChecks {
  private final HadoopFiles files;
  private final OutputPublisher publisher;

  OutputChecks(HadoopFiles files, OutputPublisher publisher) {
    this.files = files;
    this.publisher = publisher;
  }

  /** Fails unless every input exists. */
  void requireInputs(List<Path> inputs) {
    for (Path in : inputs) {
      if (!files.exists(in)) {
        throw new UsageException("input " + in + " does not exist");
      }
    }
  }

  /**
   * Fails when {@code out} is a file system's root, equals, lies inside or contains one of {@code
   * others} (named by what they are, e.g. "input"), or (with {@code mode error}) already exists
   * once what dead runs left has been {@linkplain OutputPublisher#recover recovered}; {@code mode
   * append} is for tables alone.
   */
  void requireWritable(String what, Path out, Map<Path, String> others, WriteMode mode) {
    if (mode == WriteMode.append) {
      throw new UsageException(
          "--mode append adds a snapshot to a table: it needs --output-table (a path output is"
              + " written whole, with --mode error or overwrite)");
    }
    if (out.getParent() == null) {
      throw new UsageException(
          what
              + " "
              + out
              + " is the root of its file system; the job writes beside"
              + " the output before it publishes, so name a directory inside it");
    }
    for (var other : others.entrySet()) {
      Path in = other.getKey();
      String name = other.getValue();
      if (out.equals(in)) {
        throw new UsageException(
            what + " " + out + " is also the " + name + "; write somewhere else");
      }
      if (isInside(out, in)) {
        throw new UsageException(
            what + " " + out + " lies inside the " + name + " " + in + "; write somewhere else");
      }
      if (isInside(in, out)) {
        throw new UsageException(
            what + " " + out + " contains the " + name + " " + in + "; write somewhere else");
      }
    }
    publisher.recover(out);
    if (mode == WriteMode.error && files.exists(out)) {
      throw new UsageException(
          what
              + " "
              + out
              + " already exists; remove it, choose another path,"
              + " or pass --mode overwrite (the old data stays until the new run has succeeded)");
    }
  }

  static boolean isInside(Path child, Path parent) {
    for (Path p = child.getParent(); p != null; p = p.getParent()) {
      if (p.equals(parent)) {
        return true;
      }
    }
    return false;
  }
}
