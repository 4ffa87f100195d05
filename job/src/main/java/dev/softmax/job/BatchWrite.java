package dev.softmax.job;

import dev.softmax.job.pages.PageWrite;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;

/**
 * Carries out a {@link BatchRun}: marks bad rows ({@link BadRows}), writes the good ones into a
 * staging directory, counts what happened ({@link RowCounts}), quarantines, and publishes the
 * output with its summary only when everything has succeeded; on any failure the {@link RunGuard}
 * removes what the run staged (and a bad row that a checked function failed on is then looked up,
 * to name it).
 */
final class BatchWrite {
  private BatchWrite() {}

  static Summary run(
      SparkSession spark,
      HadoopFiles files,
      RunGuard guard,
      BatchRun run,
      CommonOptions options,
      Path output,
      Path quarantine,
      List<String> notes,
      String kernel) {
    long start = System.nanoTime();
    Dataset<Row> marked = BadRows.mark(run);
    // Spark's Parquet write counts the rows it writes (WrittenRows); the Arrow sink's does not
    boolean parquet = options.outputFormat == Formats.Output.parquet;
    RowCounts counts = new RowCounts(run.rules(), run.loss(), parquet);
    Dataset<Row> good = BadRows.goodRows(marked, run, options.onBadRow, counts);
    List<String> partitionBy =
        options.outputFormat == Formats.Output.arrow
            ? List.of()
            : options.partitionBy != null ? options.partitionBy : run.source().partitionColumns();
    boolean objectStore = ObjectStoreOutput.appliesTo(output);
    PageWrite pages =
        run.pages() == null
            ? null
            : objectStore
                ? PageWrite.rowPath("the output is on an object store (written in place)")
                : PageWrite.plan(
                    spark,
                    run.pages().function(),
                    run.pages().input(),
                    run.source().partitionColumns(),
                    parquet,
                    options.onBadRow == BadRowPolicy.fail,
                    partitionBy,
                    good.schema());
    if (pages != null) {
      notes = new ArrayList<>(notes);
      notes.add(pages.note());
    }
    if (ObjectStoreOutput.appliesTo(output)
        || (quarantine != null && ObjectStoreOutput.appliesTo(quarantine))) {
      if (!parquet) {
        throw new UsageException(
            "--output-format arrow commits by renaming its files, which on "
                + output.toUri().getScheme()
                + ":// copies each one: write Parquet there (through S3A's committer), or Arrow"
                + " to local disk or HDFS");
      }
      ObjectStoreOutput.useCommitter(spark, notes);
    }
    Path staged = guard.stage(output, output, options.mode);
    Path stagedQuarantine;
    try {
      stagedQuarantine = quarantine == null ? null : guard.stage(quarantine, output, options.mode);
    } catch (RuntimeException e) {
      // on S3 staging the output took its lock and recorded its objects: give them back
      guard.abort();
      throw e;
    }
    try {
      Runnable writeGood = () -> write(good, options, partitionBy, run.output().columns(), staged);
      long written =
          guard.action(
              () -> {
                if (pages != null && pages.applies()) {
                  return pages.write(spark, staged);
                }
                if (!parquet) {
                  writeGood.run();
                  return -1L;
                }
                return WrittenRows.count(spark, staged, writeGood);
              });
      RowCounts.Tally tally = counts.tally(written);
      long quarantined = 0;
      if (stagedQuarantine != null) {
        quarantined = guard.action(() -> BadRows.quarantine(marked, partitionBy, stagedQuarantine));
      }
      long skipped =
          requireAddsUp(tally, options.onBadRow, stagedQuarantine == null ? null : quarantined);
      Summary summary =
          Summary.of(
              run,
              spark,
              output.toString(),
              quarantine == null ? null : quarantine.toString(),
              tally,
              skipped,
              quarantined,
              List.of(good.columns()),
              start,
              kernel,
              notes);
      files.writeText(new Path(staged, "_summary.json"), summary.toJson());
      publish(guard, staged, output, stagedQuarantine, quarantine, options.mode);
      return summary;
    } catch (Exception e) {
      throw failed(guard, marked, run, e);
    }
  }

  /**
   * Fails unless the rows add up: the rows quarantined (null: the run quarantines none) are the bad
   * rows counted while the output was written, and rows in = written + skipped + quarantined.
   * Returns the rows skipped.
   */
  static long requireAddsUp(RowCounts.Tally tally, BadRowPolicy policy, Long quarantined) {
    long bad = tally.rowsIn() - tally.good();
    if (quarantined != null && quarantined != bad) {
      throw new IllegalStateException(
          "the input changed during the run: "
              + bad
              + " bad rows were counted while writing the output but "
              + quarantined
              + " were quarantined");
    }
    long written = tally.good();
    long q = quarantined == null ? 0 : quarantined;
    long skipped = policy == BadRowPolicy.skip ? bad : 0;
    if (tally.rowsIn() != written + skipped + q) {
      throw new IllegalStateException(
          "rows do not add up: "
              + tally.rowsIn()
              + " in, "
              + written
              + " written, "
              + skipped
              + " skipped, "
              + q
              + " quarantined");
    }
    return skipped;
  }

  /**
   * The exception to throw for a failed write, once the guard has aborted the run: a bad row's
   * (looked up when a checked function stopped the run), {@link RunGuard.Aborted} when a signal
   * stopped it, else the failure itself.
   */
  static RuntimeException failed(RunGuard guard, Dataset<Row> marked, BatchRun run, Exception e) {
    // SparkException is checked and not a RuntimeException: every failure ends here
    boolean signalled = guard.aborted();
    guard.abort();
    if (signalled) {
      return new RunGuard.Aborted();
    }
    Optional<BadRowException> bad =
        BadRowException.within(e)
            .or(
                () ->
                    BadRowException.checkedWithin(e)
                        .map(
                            problem ->
                                guard.afterAbort(() -> BadRows.located(marked, run, problem))));
    return bad.map(RuntimeException.class::cast)
        .orElseGet(() -> e instanceof RuntimeException r ? r : new JobFailedException(e));
  }

  /**
   * Writes the good rows into the staging directory, as Parquet or Arrow IPC; {@code computed}: the
   * columns the run computed.
   */
  private static void write(
      Dataset<Row> rows,
      CommonOptions options,
      List<String> partitionBy,
      List<String> computed,
      Path to) {
    if (options.outputFormat == Formats.Output.arrow) {
      rows.write()
          .format("arrow")
          .mode("append")
          .option("compression", options.arrowCompression.name())
          .save(to.toString());
      return;
    }
    // append: on S3 the output is written in place, beside the objects it had (ObjectStoreOutput)
    DataFrameWriter<Row> writer =
        rows.write().mode("append").partitionBy(partitionBy.toArray(String[]::new));
    for (String c : computed) {
      // dictionary encoding of computed floats is wasted work: their values hardly repeat
      writer =
          writer.option(
              "parquet.enable.dictionary#" + leafPath(c, rows.schema().apply(c).dataType()),
              "false");
    }
    writer.parquet(to.toString());
  }

  /**
   * The path of the Parquet leaf column that holds a column's values, as Spark writes lists ({@code
   * probs.list.element}; a per-token {@code grad_logits.list.element.list.element}).
   */
  private static String leafPath(String column, DataType type) {
    String path = column;
    while (type instanceof ArrayType a) {
      path += ".list.element";
      type = a.elementType();
    }
    return path;
  }

  /** Moves the staged output (and quarantine) into place, together. */
  private static void publish(
      RunGuard guard,
      Path staged,
      Path output,
      Path stagedQuarantine,
      Path quarantine,
      WriteMode mode) {
    List<OutputPublisher.Target> targets = new ArrayList<>();
    if (stagedQuarantine != null) {
      targets.add(new OutputPublisher.Target(stagedQuarantine, quarantine));
    }
    targets.add(new OutputPublisher.Target(staged, output));
    guard.publish(targets, mode);
  }
}
