package dev.softmax.job.pages;

import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.RecordWriter;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The Hadoop output format of the page path: each record is a {@link FileTask}, rewritten into one
 * file of the task attempt's work directory, so Hadoop's output committer (the one the output
 * path's file system is configured with, through Spark's commit protocol) publishes exactly one
 * attempt's files per task, whatever retries and speculative attempts ran.
 */
public final class PageOutputFormat extends FileOutputFormat<NullWritable, FileTask> {
  /** The Hadoop setting that carries the output codec's name (parquet-java's names). */
  static final String CODEC = "softmax.pages.codec";

  /**
   * Test-only: when this system property is true, the first attempt of every task fails after
   * writing its file, so that the retry's file is the one committed ({@code PageRetryJobTest} sets
   * it in a driver of its own). Unset in every real run.
   */
  public static final String FAIL_FIRST_ATTEMPTS = "softmax.test.fail-first-attempts";

  /**
   * Test-only: a Hadoop setting ({@code spark.hadoop.} before it in a Spark setting), milliseconds
   * that the first attempt of task 0 waits after writing its file, before it commits, so that Spark
   * starts a speculative attempt of it on another host ({@code ClusterIT} sets it, and the
   * executors get it with the job's Hadoop settings). Unset in every real run.
   */
  public static final String SLOW_FIRST_ATTEMPT = "softmax.test.slow-first-attempt-ms";

  @Override
  public RecordWriter<NullWritable, FileTask> getRecordWriter(TaskAttemptContext context)
      throws IOException {
    Path work = getDefaultWorkFile(context, "").getParent();
    CompressionCodecName codec =
        CompressionCodecName.valueOf(context.getConfiguration().get(CODEC));
    int partition = context.getTaskAttemptID().getTaskID().getId();
    return new RecordWriter<>() {
      private int files;

      @Override
      public void write(NullWritable key, FileTask task) throws IOException {
        String name =
            String.format("part-%05d-%03d%s.parquet", partition, files++, codec.getExtension());
        Path dir = task.partitionDir().isEmpty() ? work : new Path(work, task.partitionDir());
        FileRewrite.rewrite(task, context.getConfiguration(), codec, new Path(dir, name));
        if (context.getTaskAttemptID().getId() == 0 && Boolean.getBoolean(FAIL_FIRST_ATTEMPTS)) {
          throw new IOException("test: the first attempt of each task fails after its file");
        }
        long slow = context.getConfiguration().getLong(SLOW_FIRST_ATTEMPT, 0);
        if (slow > 0 && partition == 0 && context.getTaskAttemptID().getId() == 0) {
          try {
            Thread.sleep(slow);
          } catch (InterruptedException e) {
            // Spark kills this attempt once another one of the task has succeeded
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("test: the slow first attempt was killed");
          }
        }
      }

      @Override
      public void close(TaskAttemptContext c) {}
    };
  }

  /** The job's own checks ran before any Spark job: the staging directory exists by design. */
  @Override
  public void checkOutputSpecs(JobContext job) {}
}
