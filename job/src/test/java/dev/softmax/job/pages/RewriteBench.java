package dev.softmax.job.pages;

import dev.softmax.udf.SqlFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * The page path's rewrite of one file, timed in a JVM of its own without Spark: {@code RewriteBench
 * forward|backward FILE TIMES [hadoop.key=value ...]} rewrites FILE (columns {@code id}, {@code
 * logits}, {@code grad}, as {@code generate --grad} writes them) TIMES times with zstd into a
 * temporary file and prints each rewrite's seconds: the first ones show the JIT's warm-up, the last
 * ones a task's steady state. Run it with the job's test classpath and {@code conf/jvm.options};
 * docs/performance.md says what it measured.
 */
public final class RewriteBench {
  private RewriteBench() {}

  public static void main(String[] args) throws IOException {
    boolean backward = args[0].equals("backward");
    int times = Integer.parseInt(args[2]);
    Configuration conf = new Configuration();
    for (int i = 3; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      conf.set(kv[0], kv[1]);
    }
    RowFunction function =
        backward
            ? new RowFunction(
                SqlFunction.SOFTMAX_BACKWARD_FROM_LOGITS,
                1.0,
                List.of("logits", "grad"),
                "grad_logits")
            : new RowFunction(SqlFunction.SOFTMAX, 1.0, List.of("logits"), "probs");
    List<String> columns = backward ? List.of("id", "grad_logits") : List.of("id", "grad", "probs");
    FileTask task = new FileTask(args[1], "", columns, true, true, function, Map.of());
    java.nio.file.Path dir = Files.createTempDirectory("rewrite-bench");
    FileSystem local = FileSystem.getLocal(conf);
    try {
      for (int i = 0; i < times; i++) {
        Path out = new Path(dir.resolve("out-" + i + ".parquet").toUri());
        long start = System.nanoTime();
        long rows = FileRewrite.rewrite(task, conf, CompressionCodecName.ZSTD, out);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            "rewrite %d: %d rows in %.3f s, %d bytes%n",
            i, rows, seconds, local.getFileStatus(out).getLen());
        local.delete(out, false);
      }
    } finally {
      local.delete(new Path(dir.toUri()), true);
    }
  }
}
