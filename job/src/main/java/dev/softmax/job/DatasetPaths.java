package dev.softmax.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.hadoop.util.VersionInfo;

/**
 * Where a run reads and writes, checked before anything is written, and the staged write: data goes
 * to a hidden sibling of the output ({@code .NAME.staging-OWNER}) and takes the output's place only
 * once it is complete. Publishing holds an exclusive lock file ({@code .NAME.lock}) so that racing
 * runs publish one at a time, and moves the old output aside ({@code .NAME.replaced-OWNER}) until
 * the new one is in place. A later run finishes or undoes what a run that died left (see {@link
 * #recover}); nothing there ever deletes an output that has no replacement.
 */
final class DatasetPaths {
  /** Test-only: the name of a crash point at which the driver halts, as a killed driver would. */
  static final String CRASH_AT_PROPERTY = "softmax.test.crash-at";

  private static final String STAGING = "staging-";
  private static final String REPLACED = "replaced-";
  private static final long LOCK_WAIT_MILLIS = 10 * 60 * 1000;

  private final Configuration conf;
  private final RunOwner owner = RunOwner.current();
  private final Notes notes;

  /** One staged dataset and the path it is published to. */
  record Target(Path staged, Path out) {}

  /** {@code notes} takes a line for each thing {@link #recover} repairs. */
  DatasetPaths(Configuration conf, Notes notes) {
    this.conf = conf;
    this.notes = notes;
  }

  /** The path qualified by its file system; a usage error naming what to add for a missing one. */
  Path qualify(String path) {
    Path p = new Path(path);
    try {
      return fs(p).makeQualified(p);
    } catch (UncheckedIOException e) {
      throw new UsageException(
          "cannot resolve " + path + ": " + InputDataset.firstLine(e.getCause()));
    }
  }

  private FileSystem fs(Path p) {
    try {
      return p.getFileSystem(conf);
    } catch (UnsupportedFileSystemException e) {
      throw new UsageException(missingFileSystem(p));
    } catch (RuntimeException e) {
      // a scheme Hadoop knows (s3a, gs, abfs) whose implementation is not on the classpath
      if (e.getCause() instanceof ClassNotFoundException) {
        throw new UsageException(missingFileSystem(p));
      }
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + p, e);
    }
  }

  /** What to add to the classpath for a scheme that has no Hadoop FileSystem here. */
  static String missingFileSystem(Path p) {
    String scheme = p.toUri().getScheme();
    String hadoop = VersionInfo.getVersion();
    String add =
        switch (scheme) {
          case "s3a" ->
              "add hadoop-aws "
                  + hadoop
                  + " (the cluster's Hadoop version) and the AWS SDK bundle it"
                  + " depends on, e.g. --packages org.apache.hadoop:hadoop-aws:"
                  + hadoop;
          case "s3", "s3n" ->
              "use s3a:// with hadoop-aws "
                  + hadoop
                  + " (--packages org.apache.hadoop:hadoop-aws:"
                  + hadoop
                  + "); s3:// is only served on EMR";
          case "gs" ->
              "add the Cloud Storage connector (com.google.cloud.bigdataoss:gcs-connector, hadoop3 build)";
          case "abfs", "abfss", "wasb", "wasbs" ->
              "add hadoop-azure "
                  + hadoop
                  + " (--packages org.apache.hadoop:hadoop-azure:"
                  + hadoop
                  + ")";
          default ->
              "the job reads and writes Hadoop file systems (file, hdfs, s3a, gs, abfs); check the path";
        };
    return "no Hadoop FileSystem for scheme " + scheme + " in " + p + ": " + add;
  }

  boolean exists(Path p) {
    try {
      return fs(p).exists(p);
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
   * Fails when {@code out} is a file system's root, equals, lies inside or contains one of {@code
   * others} (named by what they are, e.g. "input"), or (with {@code mode error}) already exists
   * once what dead runs left has been {@linkplain #recover recovered}.
   */
  void requireWritable(String what, Path out, Map<Path, String> others, WriteMode mode) {
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
    recover(out);
    if (mode == WriteMode.error && exists(out)) {
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

  /**
   * Cleans up after runs on this host that died while writing {@code out}: their staging
   * directories (never published) are removed; an output one of them had moved aside is moved back
   * when nothing replaced it, and removed when the new output had already taken its place; their
   * lock is released. Leftovers of runs that may still be alive are left alone; an output set aside
   * by a run on another host, with nothing in its place, is a usage error saying how to move it
   * back, never deleted.
   */
  void recover(Path out) {
    FileSystem fs = fs(out);
    Path lock = lock(out);
    Optional<RunOwner> locker = exists(lock) ? RunOwner.parse(readText(lock)) : Optional.empty();
    List<Path> replaced = new ArrayList<>();
    for (Path p : siblings(out)) {
      String kind = p.getName().substring(prefix(out).length());
      Optional<RunOwner> by = RunOwner.parse(kind.substring(kind.indexOf('-') + 1));
      boolean dead = by.map(RunOwner::isDead).orElse(false);
      if (kind.startsWith(STAGING) && dead) {
        discard(p);
        notes.add("removed " + p + ", the unpublished output of a run that died");
      } else if (kind.startsWith(REPLACED)) {
        if (dead) {
          replaced.add(p);
        } else if (!exists(out)
            && !locker.map(RunOwner::toString).equals(by.map(RunOwner::toString))) {
          throw new UsageException(
              "the previous "
                  + out
                  + " is in "
                  + p
                  + ", set aside by run "
                  + by.map(RunOwner::toString).orElse("?")
                  + " that did not finish publishing; if no run is"
                  + " writing there, move it back (hadoop fs -mv "
                  + p
                  + " "
                  + out
                  + ") and rerun");
        }
      }
    }
    try {
      replaced.sort(Comparator.comparing(p -> modified(fs, p)));
      for (int i = replaced.size() - 1; i >= 0; i--) {
        Path p = replaced.get(i);
        if (!exists(out)) {
          if (!fs.rename(p, out)) {
            throw new IOException("cannot move " + p + " back to " + out);
          }
          notes.add(
              "restored the previous "
                  + out
                  + " from "
                  + p
                  + ", where a run that died while"
                  + " publishing had set it aside");
        } else {
          discard(p);
          notes.add(
              "removed "
                  + p
                  + ": the run that set it aside had published "
                  + out
                  + " before it died");
        }
      }
      if (locker.map(RunOwner::isDead).orElse(false)) {
        fs.delete(lock, false);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot recover " + out, e);
    }
  }

  private static long modified(FileSystem fs, Path p) {
    try {
      return fs.getFileStatus(p).getModificationTime();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String prefix(Path out) {
    return "." + out.getName() + ".";
  }

  private static Path lock(Path out) {
    return new Path(out.getParent(), prefix(out) + "lock");
  }

  /** The staging and set-aside directories beside {@code out}, of any run. */
  List<Path> siblings(Path out) {
    try {
      FileSystem fs = fs(out);
      if (!fs.exists(out.getParent())) {
        return List.of();
      }
      String prefix = prefix(out);
      return java.util.Arrays.stream(fs.listStatus(out.getParent()))
          .map(FileStatus::getPath)
          .filter(
              p ->
                  p.getName().startsWith(prefix + STAGING)
                      || p.getName().startsWith(prefix + REPLACED))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + out.getParent(), e);
    }
  }

  /** The hidden sibling this run writes {@code out} into before {@link #publish} moves it. */
  Path staging(Path out) {
    return new Path(out.getParent(), prefix(out) + STAGING + owner);
  }

  /**
   * Moves every complete staged dataset to its output, all under their publish locks: with {@code
   * mode error} none is published when another run has published any of them meanwhile (a usage
   * error); with {@code overwrite} racing runs publish one after the other and the last wins whole.
   * An old output is moved aside first and removed only once the new one is in place.
   */
  void publish(List<Target> targets, WriteMode mode) {
    List<Target> ordered =
        targets.stream().sorted(Comparator.comparing(t -> t.out().toString())).toList();
    List<Path> held = new ArrayList<>();
    try {
      for (Target t : ordered) {
        claim(t.out(), mode);
        held.add(lock(t.out()));
      }
      for (Target t : ordered) {
        if (mode == WriteMode.error && exists(t.out())) {
          throw new UsageException(
              t.out()
                  + " was published by another run while this one ran; this run"
                  + " published nothing (pass --mode overwrite to replace it)");
        }
      }
      crashPoint("before-publish");
      List<Path> asides = new ArrayList<>();
      for (Target t : ordered) {
        FileSystem fs = fs(t.out());
        Path aside = new Path(t.out().getParent(), prefix(t.out()) + REPLACED + owner);
        boolean replacing = fs.exists(t.out());
        if (replacing) {
          if (!fs.rename(t.out(), aside)) {
            throw new IOException("cannot move the previous " + t.out() + " aside to " + aside);
          }
          asides.add(aside);
          crashPoint("aside");
        }
        if (!fs.rename(t.staged(), t.out())) {
          if (replacing) {
            fs.rename(aside, t.out());
          }
          throw new IOException("cannot move " + t.staged() + " to " + t.out());
        }
        crashPoint("published");
      }
      for (Path aside : asides) {
        discard(aside);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      held.forEach(this::release);
    }
  }

  /**
   * Takes the publish lock of {@code out}: refuses at once (mode error) or waits for it
   * (overwrite).
   */
  private void claim(Path out, WriteMode mode) throws IOException {
    Path lock = lock(out);
    long deadline = System.currentTimeMillis() + LOCK_WAIT_MILLIS;
    while (!createExclusive(lock, owner.toString())) {
      Optional<RunOwner> holder = RunOwner.parse(readText(lock));
      if (holder.map(RunOwner::isDead).orElse(false)) {
        recover(out);
        continue;
      }
      if (mode == WriteMode.error) {
        throw new UsageException(
            out
                + " is being published by another run ("
                + lock
                + "); this run"
                + " published nothing");
      }
      if (System.currentTimeMillis() > deadline) {
        throw new UsageException(
            "waited "
                + LOCK_WAIT_MILLIS / 60000
                + " minutes for "
                + lock
                + " held by run "
                + holder.map(RunOwner::toString).orElse("?")
                + "; if no run is publishing "
                + out
                + ", remove it");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + lock, e);
      }
    }
  }

  /**
   * Creates {@code file} holding {@code text} unless it exists, atomically where the file system
   * can.
   */
  private boolean createExclusive(Path file, String text) throws IOException {
    FileSystem fs = fs(file);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if ("file".equals(fs.getScheme())) {
      // Hadoop's local create(overwrite=false) checks, then opens: not atomic; O_EXCL is
      try {
        Files.write(
            Paths.get(file.toUri()),
            bytes,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (var out = fs.create(file, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private void release(Path lock) {
    try {
      if (RunOwner.parse(readText(lock)).map(o -> o.equals(owner)).orElse(false)) {
        fs(lock).delete(lock, false);
      }
    } catch (IOException | UncheckedIOException e) {
      notes.add("could not remove the publish lock " + lock + ": " + e.getMessage());
    }
  }

  private static void crashPoint(String name) {
    if (name.equals(System.getProperty(CRASH_AT_PROPERTY))) {
      Runtime.getRuntime().halt(99);
    }
  }

  /** Removes what a failed run staged. */
  void discard(Path staged) {
    try {
      fs(staged).delete(staged, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + staged, e);
    }
  }

  String readText(Path file) {
    try (var in = fs(file).open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.FileNotFoundException e) {
      return "";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  void writeText(Path file, String text) {
    try (var out = fs(file).create(file, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
