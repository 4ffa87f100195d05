package dev.softmax.job;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.ShutdownHookManager;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;

/**
 * One run's hold on its Spark jobs and staged directories, so that a run that fails for any reason,
 * or is stopped by SIGINT or SIGTERM, publishes nothing and leaves nothing behind: its jobs run in
 * a job group of their own; on failure, or from a shutdown hook that runs before Spark's own, the
 * group is cancelled, its running tasks are waited for (an aborted job's tasks can still be
 * writing), and only then is the staging removed. Publishing is never cut short: a signal that
 * arrives while the output is being moved into place waits for the move to finish.
 */
final class RunGuard implements AutoCloseable {
  /**
   * Above Spark's own hooks (registered with Hadoop's manager at 40), so the context is still up.
   */
  private static final int SHUTDOWN_PRIORITY = 50;

  private static final long TASK_WAIT_MILLIS = 60_000;

  private final SparkContext sc;
  private final String group = "softmax-" + UUID.randomUUID();
  private final String command;
  private final OutputPublisher publisher;
  private final PrintWriter err;
  private final Runnable hook = this::onSignal;
  private final List<Path> staged = new ArrayList<>();
  private int inAction;
  private boolean aborted;
  private boolean publishing;

  RunGuard(SparkContext sc, String command, OutputPublisher publisher, PrintWriter err) {
    this.sc = sc;
    this.command = command;
    this.publisher = publisher;
    this.err = err;
    sc.setJobGroup(group, "softmax " + command, true);
    ShutdownHookManager.get()
        .addShutdownHook(hook, SHUTDOWN_PRIORITY, TASK_WAIT_MILLIS + 10_000, TimeUnit.MILLISECONDS);
  }

  /**
   * Where the run writes {@code out} ({@link OutputPublisher#stage}), undone unless the run
   * publishes it.
   */
  Path stage(Path out, Path decidedBy, WriteMode mode) {
    synchronized (this) {
      if (aborted) {
        throw new Aborted();
      }
    }
    // outside the lock: staging may wait for another run's publish lock, and a signal must not
    Path p = publisher.stage(out, decidedBy, mode);
    boolean late;
    synchronized (this) {
      late = aborted;
      if (!late) {
        staged.add(p);
      }
    }
    if (late) {
      publisher.discard(p);
      throw new Aborted();
    }
    return p;
  }

  /** Runs one Spark action of this run; none starts once the run is aborted. */
  <T> T action(Supplier<T> action) {
    synchronized (this) {
      if (aborted) {
        throw new Aborted();
      }
      inAction++;
    }
    try {
      return action.get();
    } finally {
      synchronized (this) {
        inAction--;
        notifyAll();
      }
    }
  }

  /** Publishes what was staged; nothing is removed once this has begun. */
  void publish(List<OutputPublisher.Target> targets, WriteMode mode) {
    synchronized (this) {
      if (aborted) {
        throw new Aborted();
      }
      publishing = true;
    }
    try {
      publisher.publish(targets, mode);
      synchronized (this) {
        staged.clear();
      }
    } finally {
      synchronized (this) {
        publishing = false;
        notifyAll();
      }
    }
  }

  /**
   * Cancels the run's Spark jobs, waits until none of their tasks is running (at most a minute),
   * and removes what the run staged. Returns whether this call did it (false when it was done).
   */
  boolean abort() {
    synchronized (this) {
      if (aborted) {
        return false;
      }
      aborted = true;
    }
    long deadline = System.currentTimeMillis() + TASK_WAIT_MILLIS;
    while (true) {
      if (!sc.isStopped()) {
        sc.cancelJobGroup(group);
      }
      synchronized (this) {
        if ((inAction == 0 && !publishing && runningTasks() == 0)
            || System.currentTimeMillis() > deadline) {
          break;
        }
        try {
          wait(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    List<Path> left;
    synchronized (this) {
      left = List.copyOf(staged);
      staged.clear();
    }
    for (Path p : left) {
      publisher.discard(p);
    }
    return true;
  }

  /**
   * Runs a Spark action that reads, after the run was aborted: in a job group of its own, which the
   * abort did not cancel. A signal that arrives meanwhile stops Spark, and with it the action.
   */
  <T> T afterAbort(Supplier<T> action) {
    if (!sc.isStopped()) {
      sc.setJobGroup(group + "-after", "softmax " + command + ": after the run", true);
    }
    return action.get();
  }

  synchronized boolean aborted() {
    return aborted;
  }

  private int runningTasks() {
    if (sc.isStopped()) {
      return 0;
    }
    int running = 0;
    for (int job : sc.statusTracker().getJobIdsForGroup(group)) {
      scala.Option<SparkJobInfo> info = sc.statusTracker().getJobInfo(job);
      if (info.isEmpty()) {
        continue;
      }
      for (int stage : info.get().stageIds()) {
        scala.Option<SparkStageInfo> s = sc.statusTracker().getStageInfo(stage);
        running += s.isEmpty() ? 0 : s.get().numActiveTasks();
      }
    }
    return running;
  }

  private void onSignal() {
    if (abort()) {
      err.println(
          "softmax "
              + command
              + ": stopped by a signal; nothing was published and the staged output"
              + " was removed");
      err.flush();
    }
  }

  @Override
  public void close() {
    try {
      ShutdownHookManager.get().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run: nothing to remove
    }
    if (!sc.isStopped()) {
      sc.clearJobGroup();
    }
  }

  /**
   * The run was aborted (by a signal) while the driver went on: no message, no exit status of its
   * own.
   */
  static final class Aborted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Aborted() {
      super("the run was stopped");
    }
  }
}
