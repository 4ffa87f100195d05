package dev.softmax.job;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import org.apache.spark.sql.execution.command.DataWritingCommandExec;
import org.apache.spark.sql.execution.datasources.InsertIntoHadoopFsRelationCommand;
import org.apache.spark.sql.execution.metric.SQLMetric;
import org.apache.spark.sql.util.QueryExecutionListener;
import scala.Option;

/**
 * The rows a file write wrote, as Spark's write command counted them: its {@value #METRIC} metric,
 * which the driver sums from the tasks it committed before the write returns. The command reaches
 * the session's query-execution listeners (the way Spark's observations reach their owners), so the
 * count is read from there once the write has returned.
 */
final class WrittenRows implements QueryExecutionListener {
  static final String METRIC = "numOutputRows";

  /** Spark hands the listeners a finished write within milliseconds; this is only a bound. */
  private static final long WAIT_SECONDS = 120;

  private final String output;
  private final CompletableFuture<Long> rows = new CompletableFuture<>();

  private WrittenRows(Path output) {
    this.output = output.toUri().getPath();
  }

  /**
   * Runs {@code write}, which writes files into {@code output}, and returns how many rows it wrote.
   */
  static long count(SparkSession spark, Path output, Runnable write) {
    WrittenRows listener = new WrittenRows(output);
    spark.listenerManager().register(listener);
    try {
      write.run();
      return listener.rows.get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Spark did not report how many rows it wrote to "
              + output
              + " within "
              + WAIT_SECONDS
              + " s");
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "interrupted while reading how many rows were written to " + output, e);
    } finally {
      spark.listenerManager().unregister(listener);
    }
  }

  @Override
  public void onSuccess(String funcName, QueryExecution qe, long durationNs) {
    DataWritingCommandExec write = find(qe.executedPlan());
    if (write == null
        || !(write.cmd() instanceof InsertIntoHadoopFsRelationCommand insert)
        || !insert.outputPath().toUri().getPath().equals(output)) {
      return;
    }
    Option<SQLMetric> metric = insert.metrics().get(METRIC);
    if (metric.isDefined()) {
      rows.complete(metric.get().value());
    } else {
      rows.completeExceptionally(
          new IllegalStateException("Spark's write to " + output + " has no " + METRIC));
    }
  }

  @Override
  public void onFailure(String funcName, QueryExecution qe, Exception exception) {
    // the write itself throws
  }

  /**
   * The write command in {@code plan}: its root, or inside the adaptive plan that holds the whole
   * write when Spark 4 plans a query with exchanges adaptively (in its final query stage).
   */
  private static DataWritingCommandExec find(SparkPlan plan) {
    if (plan instanceof DataWritingCommandExec exec) {
      return exec;
    }
    if (plan instanceof AdaptiveSparkPlanExec adaptive) {
      return find(adaptive.executedPlan());
    }
    if (plan instanceof QueryStageExec stage) {
      return find(stage.plan());
    }
    for (int i = 0; i < plan.children().size(); i++) {
      DataWritingCommandExec found = find(plan.children().apply(i));
      if (found != null) {
        return found;
      }
    }
    return null;
  }
}
