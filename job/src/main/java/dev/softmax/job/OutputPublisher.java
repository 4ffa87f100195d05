package dev.softmax.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The staged write: data goes to a hidden sibling of the output ({@code .NAME.staging-OWNER}) and
 * takes the output's place only once it is complete. Publishing holds an exclusive lock file
 * ({@code .NAME.lock}) so that racing runs publish one at a time, and moves the old output aside
 * ({@code .NAME.replaced-OWNER}) until the new one is in place. A later run finishes or undoes what
 * a run that died left (see {@link #recover}); nothing there ever deletes an output that has no
 * replacement. Relies on an atomic rename of directories (local disk, HDFS); where there is none
 * (S3), the output is written in place instead ({@link ObjectStoreOutput}), under the same lock.
 */
final class OutputPublisher {
  private static final String STAGING = "staging-";
  private static final String REPLACED = "replaced-";
  private static final long LOCK_WAIT_MILLIS = 10 * 60 * 1000;

  private final HadoopFiles files;
  private final RunOwner owner = RunOwner.current();
  private final Notes notes;
  private final ObjectStoreOutput objectStore;

  /** The outputs this run writes in place (S3), each under its lock from {@link #stage} on. */
  private final List<Path> inPlace = new ArrayList<>();

  /** One staged dataset and the path it is published to. */
  record Target(Path staged, Path out) {}

  /** {@code notes} takes a line for each thing {@link #recover} repairs. */
  OutputPublisher(HadoopFiles files, Notes notes) {
    this.files = files;
    this.notes = notes;
    this.objectStore = new ObjectStoreOutput(files, owner, notes);
  }

  HadoopFiles files() {
    return files;
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
    FileSystem fs = files.fileSystem(out);
    Path lock = lock(out);
    Optional<RunOwner> locker =
        files.exists(lock) ? RunOwner.parse(files.readText(lock)) : Optional.empty();
    if (ObjectStoreOutput.appliesTo(out)) {
      objectStore.recover(out);
      if (locker.map(RunOwner::isDead).orElse(false)) {
        files.delete(lock);
      }
      return;
    }
    List<Path> replaced = new ArrayList<>();
    for (Path p : siblings(out)) {
      String kind = p.getName().substring(prefix(out).length());
      Optional<RunOwner> by = RunOwner.parse(kind.substring(kind.indexOf('-') + 1));
      boolean dead = by.map(RunOwner::isDead).orElse(false);
      if (kind.startsWith(STAGING) && dead) {
        files.delete(p);
        notes.add("removed " + p + ", the unpublished output of a run that died");
      } else if (kind.startsWith(REPLACED)) {
        if (dead) {
          replaced.add(p);
        } else if (!files.exists(out)
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
      replaced.sort(Comparator.comparing(files::modified));
      for (int i = replaced.size() - 1; i >= 0; i--) {
        Path p = replaced.get(i);
        if (!files.exists(out)) {
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
          files.delete(p);
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

  private static String prefix(Path out) {
    return "." + out.getName() + ".";
  }

  private static Path lock(Path out) {
    return new Path(out.getParent(), prefix(out) + "lock");
  }

  /** The staging and set-aside directories beside {@code out}, of any run. */
  private List<Path> siblings(Path out) {
    String prefix = prefix(out);
    return files.list(out.getParent()).stream()
        .filter(
            p ->
                p.getName().startsWith(prefix + STAGING)
                    || p.getName().startsWith(prefix + REPLACED))
        .toList();
  }

  /** The hidden sibling this run writes {@code out} into before {@link #publish} moves it. */
  Path staging(Path out) {
    return new Path(out.getParent(), prefix(out) + STAGING + owner);
  }

  /**
   * Where this run writes {@code out}: its {@linkplain #staging staging directory}, or on S3 {@code
   * out} itself, once this run holds its publish lock (refused at once with {@code mode error},
   * waited for with {@code overwrite}) and has recorded what it holds now. {@code decidedBy}: the
   * output whose summary marks the run finished (the output a quarantine belongs to).
   */
  Path stage(Path out, Path decidedBy, WriteMode mode) {
    if (!ObjectStoreOutput.appliesTo(out)) {
      return staging(out);
    }
    try {
      claim(out, mode);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      checkClaimed(out, mode);
      objectStore.begin(out, decidedBy);
    } catch (RuntimeException e) {
      release(lock(out));
      throw e;
    }
    inPlace.add(out);
    return out;
  }

  /** After this run took the lock of {@code out}, written in place. */
  private void checkClaimed(Path out, WriteMode mode) {
    if (!files.refusesSecondCreate(lock(out), owner.toString())) {
      notes.add(
          out.toUri().getScheme()
              + "://"
              + out.toUri().getAuthority()
              + " does not refuse a second create of an object (S3's If-None-Match),"
              + " so runs that write "
              + out
              + " at the same time are not detected here");
    }
    if (mode == WriteMode.error && files.exists(out)) {
      throw new UsageException(
          out
              + " was published by another run while this one ran; this run"
              + " published nothing (pass --mode overwrite to replace it)");
    }
  }

  /**
   * Removes what this run staged for an output it does not publish: its staging directory, or on S3
   * every object it wrote in place (and the publish lock it held).
   */
  void discard(Path staged) {
    if (inPlace.contains(staged)) {
      try {
        objectStore.undo(staged);
      } finally {
        inPlace.remove(staged);
        release(lock(staged));
      }
    } else if (!ObjectStoreOutput.appliesTo(staged)) {
      files.delete(staged);
    }
    // else: written in place and finished, it is the published output
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
        if (inPlace.contains(t.out())) {
          // held since stage; released once finished, or by discard after undoing
          continue;
        }
        claim(t.out(), mode);
        held.add(lock(t.out()));
      }
      for (Target t : ordered) {
        if (!inPlace.contains(t.out()) && mode == WriteMode.error && files.exists(t.out())) {
          throw new UsageException(
              t.out()
                  + " was published by another run while this one ran; this run"
                  + " published nothing (pass --mode overwrite to replace it)");
        }
      }
      CrashPoint.reached("before-publish");
      List<Path> asides = new ArrayList<>();
      for (Target t : ordered) {
        if (inPlace.contains(t.out())) {
          objectStore.finish(t.out());
          inPlace.remove(t.out());
          held.add(lock(t.out()));
          continue;
        }
        FileSystem fs = files.fileSystem(t.out());
        Path aside = new Path(t.out().getParent(), prefix(t.out()) + REPLACED + owner);
        boolean replacing = fs.exists(t.out());
        if (replacing) {
          if (!fs.rename(t.out(), aside)) {
            throw new IOException("cannot move the previous " + t.out() + " aside to " + aside);
          }
          asides.add(aside);
          CrashPoint.reached("aside");
        }
        if (!fs.rename(t.staged(), t.out())) {
          if (replacing) {
            fs.rename(aside, t.out());
          }
          throw new IOException("cannot move " + t.staged() + " to " + t.out());
        }
        CrashPoint.reached("published");
      }
      for (Path aside : asides) {
        files.delete(aside);
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
    while (!files.createExclusive(lock, owner.toString())) {
      Optional<RunOwner> holder = RunOwner.parse(files.readText(lock));
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

  private void release(Path lock) {
    try {
      if (RunOwner.parse(files.readText(lock)).map(o -> o.equals(owner)).orElse(false)) {
        files.fileSystem(lock).delete(lock, false);
      }
    } catch (IOException | UncheckedIOException e) {
      notes.add("could not remove the publish lock " + lock + ": " + e.getMessage());
    }
  }
}
