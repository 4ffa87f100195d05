package dev.softmax.job.pages;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.CodecFactory;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

/**
 * Runs the page path on a small synthetic file while Spark starts, so that a fresh JVM has compiled
 * what its tasks run (the page reader, the decoding, the kernels through {@link RowFunction}, the
 * page writer, the codec and the local file system's streams) before the first input file. Without
 * it the first tasks of a local run take two to four times as long as the later ones
 * (docs/performance.md, "The page path's first tasks"). For local-mode runs only, whose executors
 * are threads of this JVM; the file lives in a temporary folder that is removed afterwards.
 */
public final class PageWarmup {
  /** Rows of the synthetic file, and their width. */
  static final int ROWS = 2_000;

  static final int WIDTH = 256;

  /**
   * Rewrites of the synthetic file: past the JIT's thresholds for the per-row and per-page code.
   */
  static final int REWRITES = 10;

  private PageWarmup() {}

  /** Starts {@link #run} on a daemon thread, which ends when it is done. */
  public static Thread inBackground(RowFunction function, String codec) {
    Thread thread =
        new Thread(
            () -> {
              try {
                run(
                    function,
                    PageWrite.codec(codec),
                    Integer.getInteger("softmax.warmup.rewrites", REWRITES));
              } catch (IOException | RuntimeException e) {
                // costs only time: the run's own tasks report what is wrong
              }
            },
            "softmax-warmup");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /**
   * Writes a file of {@link #ROWS} float rows into a temporary folder, with {@code function}'s
   * input columns and one more column that the rewrite keeps, and rewrites it {@code rewrites}
   * times; returns the rows rewritten.
   */
  static long run(RowFunction function, CompressionCodecName codec, int rewrites)
      throws IOException {
    java.nio.file.Path dir = Files.createTempDirectory("softmax-warmup");
    Configuration conf = new Configuration();
    FileSystem local = FileSystem.getLocal(conf);
    try {
      Path in = new Path(dir.resolve("in.parquet").toUri());
      String kept = "kept";
      List<String> columns = new ArrayList<>(function.inputs());
      columns.add(kept);
      write(in, columns, codec, conf);
      FileTask task =
          new FileTask(
              in.toString(), "", List.of(kept, function.output()), true, true, function, Map.of());
      long rows = 0;
      for (int i = 0; i < rewrites; i++) {
        Path out = new Path(dir.resolve("out-" + i + ".parquet").toUri());
        rows += FileRewrite.rewrite(task, conf, codec, out);
        local.delete(out, false);
      }
      return rows;
    } finally {
      local.delete(new Path(dir.toUri()), true);
    }
  }

  /** A file of {@code columns}, each a list of {@link #WIDTH} floats per row, in one row group. */
  private static void write(
      Path file, List<String> columns, CompressionCodecName codec, Configuration conf)
      throws IOException {
    List<Type> fields = new ArrayList<>();
    for (String c : columns) {
      fields.add(
          Types.optionalGroup()
              .as(LogicalTypeAnnotation.listType())
              .addField(
                  Types.repeatedGroup()
                      .addField(
                          Types.primitive(
                                  PrimitiveType.PrimitiveTypeName.FLOAT, Type.Repetition.OPTIONAL)
                              .named("element"))
                      .named("list"))
              .named(c));
    }
    MessageType schema = new MessageType("spark_schema", fields);
    CodecFactory codecs = new CodecFactory(conf, ParquetProperties.DEFAULT_PAGE_SIZE);
    try {
      ParquetFileWriter out =
          new ParquetFileWriter(
              HadoopOutputFile.fromPath(file, conf),
              schema,
              ParquetFileWriter.Mode.CREATE,
              ParquetWriter.DEFAULT_BLOCK_SIZE,
              0,
              ParquetProperties.DEFAULT_COLUMN_INDEX_TRUNCATE_LENGTH,
              ParquetProperties.DEFAULT_STATISTICS_TRUNCATE_LENGTH,
              false);
      out.start();
      out.startBlock(ROWS);
      SplittableRandom random = new SplittableRandom(1);
      float[] row = new float[WIDTH];
      for (ColumnDescriptor c : schema.getColumns()) {
        out.startColumn(c, (long) ROWS * WIDTH, codec);
        ListPages pages =
            new ListPages(out, c, codecs.getCompressor(codec), ParquetProperties.DEFAULT_PAGE_SIZE);
        for (int r = 0; r < ROWS; r++) {
          for (int i = 0; i < WIDTH; i++) {
            row[i] = (float) random.nextDouble(-4, 4);
          }
          pages.add(row);
        }
        pages.flush();
        out.endColumn();
      }
      out.endBlock();
      out.end(Map.of());
    } finally {
      codecs.release();
    }
  }
}
