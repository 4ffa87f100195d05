package dev.softmax.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where a run reads and writes, checked before anything is written, and the staged write: data
 * goes to a hidden sibling of the output and takes the output's place only once it is complete,
 * so a failed run leaves the previous output as it was.
 */
final class DatasetPaths {
  private final Configuration conf;
  private final String runId = UUID.randomUUID().toString().substring(0, 8);

  DatasetPaths(Configuration conf) {
    this.conf = conf;
  }

  Path qualify(String path) {
    try {
      Path p = new Path(path);
      return p.getFileSystem(conf).makeQualified(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot resolve " + path, e);
    }
  }

  boolean exists(Path p) {
    try {
      return p.getFileSystem(conf).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look at " + p, e);
    }
  }

  /** Fails unless every input exists. */
  void requireInputs(List<Path> inputs) {
    for (Path in : inputs) {
      if (!exists(in)) {
        throw new UsageException("input " + in + " does not exist");
      }
    }
  }

  /**
   * Fails when {@code out} equals, lies inside or contains one of {@code others} (named by what
   * they are, e.g. "input"), or (with {@code mode error}) already exists.
   */
  void requireWritable(String what, Path out, java.util.Map<Path, String> others, WriteMode mode) {
    for (var other : others.entrySet()) {
      Path in = other.getKey();
      String name = other.getValue();
      if (out.equals(in)) {
        throw new UsageException(what + " " + out + " is also the " + name + "; write somewhere else");
      }
      if (isInside(out, in)) {
        throw new UsageException(what + " " + out + " lies inside the " + name + " " + in + "; write somewhere else");
      }
      if (isInside(in, out)) {
        throw new UsageException(what + " " + out + " contains the " + name + " " + in + "; write somewhere else");
      }
    }
    if (mode == WriteMode.error && exists(out)) {
      throw new UsageException(what + " " + out + " already exists; remove it, choose another path,"
          + " or pass --mode overwrite (the old data stays until the new run has succeeded)");
    }
    List<Path> left = leftovers(out);
    if (mode == WriteMode.error && !left.isEmpty()) {
      throw new UsageException("a run writing " + what + " " + out + " did not finish and left " + left.get(0)
          + " (" + left.size() + " in all); pass --mode overwrite to write anyway (it removes them),"
          + " or delete them");
    }
  }

  /** What runs that died while writing {@code out} left beside it: staged or set-aside data. */
  List<Path> leftovers(Path out) {
    try {
      FileSystem fs = out.getFileSystem(conf);
      if (!fs.exists(out.getParent())) {
        return List.of();
      }
      String prefix = "." + out.getName() + ".";
      return java.util.Arrays.stream(fs.listStatus(out.getParent()))
          .map(org.apache.hadoop.fs.FileStatus::getPath)
          .filter(p -> p.getName().startsWith(prefix + "staging-") || p.getName().startsWith(prefix + "replaced-"))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + out.getParent(), e);
    }
  }

  /** Removes what runs that died while writing {@code out} left beside it. */
  void removeLeftovers(Path out) {
    leftovers(out).forEach(this::discard);
  }

  static boolean isInside(Path child, Path parent) {
    for (Path p = child.getParent(); p != null; p = p.getParent()) {
      if (p.equals(parent)) {
        return true;
      }
    }
    return false;
  }

  /** The hidden sibling a run writes {@code out} into before {@link #publish} moves it. */
  Path staging(Path out) {
    return new Path(out.getParent(), "." + out.getName() + ".staging-" + runId);
  }

  /**
   * Moves the complete {@code staged} dataset to {@code out}, replacing what was there. The old
   * dataset is moved aside first and restored if the move fails.
   */
  void publish(Path staged, Path out) {
    try {
      FileSystem fs = out.getFileSystem(conf);
      Path aside = new Path(out.getParent(), "." + out.getName() + ".replaced-" + runId);
      boolean replacing = fs.exists(out);
      if (replacing && !fs.rename(out, aside)) {
        throw new IOException("cannot move the previous " + out + " aside to " + aside);
      }
      if (!fs.rename(staged, out)) {
        if (replacing) {
          fs.rename(aside, out);
        }
        throw new IOException("cannot move " + staged + " to " + out);
      }
      if (replacing) {
        fs.delete(aside, true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Removes what a failed run staged. */
  void discard(Path staged) {
    try {
      staged.getFileSystem(conf).delete(staged, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + staged, e);
    }
  }

  void writeText(Path file, String text) {
    try (var out = file.getFileSystem(conf).create(file, true)) {
      out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
