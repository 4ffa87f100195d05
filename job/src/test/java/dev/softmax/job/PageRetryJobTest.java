package dev.softmax.job;

import static dev.softmax.job.JobTestKit.summary;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.job.pages.PageOutputFormat;
import dev.softmax.job.pages.PageWrite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page path when a task attempt fails after writing its file: the retry's file is the one
 * published, one per input file, and the values are the row path's, bit for bit. The driver runs in
 * a JVM of its own with a local master that retries a task once ({@code local[2,2]}), and {@link
 * PageOutputFormat#FAIL_FIRST_ATTEMPTS} fails every task's first attempt.
 */
@Tag(JobProcess.TAG)
class PageRetryJobTest {
  @TempDir Path dir;

  @Test
  void aFailedAttemptLeavesNothingAndItsRetrysFileIsPublished()
      throws IOException, InterruptedException {
    Path input = dir.resolve("logits");
    SparkSession spark = JobTestKit.spark();
    spark
        .sql(
            "SELECT id, CAST(id % 2 AS INT) AS part, transform(sequence(1, CAST(id % 30 + 1 AS"
                + " INT)), j -> CAST((xxhash64(id, j) % 2000) / 100.0D AS FLOAT)) AS logits,"
                + " transform(sequence(1, CAST(id % 30 + 1 AS INT)), j -> CAST((xxhash64(id, j, 7)"
                + " % 1000) / 300.0D AS FLOAT)) AS grad FROM range(2000)")
        .repartition(3)
        .write()
        .partitionBy("part")
        .parquet(input.toString());
    Path pages = dir.resolve("pages");
    Path rows = dir.resolve("rows");
    String[] args = {
      "backward", "--input", input.toString(), "--logits-col", "logits", "--output",
    };

    JobProcess retried =
        JobProcess.start(
            dir.resolve("retried.log"),
            Map.of("spark.master", "local[2,2]", PageOutputFormat.FAIL_FIRST_ATTEMPTS, "true"),
            concat(args, pages.toString()));
    assertThat(retried.await()).as(retried.output()).isZero();
    assertThat(retried.output()).contains("test: the first attempt of each task fails");
    assertThat(summary(pages)).contains("written by the page path: 6 tasks");

    spark.conf().set(PageWrite.ENABLED, "false");
    try {
      assertThat(JobTestKit.run(concat(args, rows.toString())).status()).isZero();
    } finally {
      spark.conf().unset(PageWrite.ENABLED);
    }

    assertThat(dataFiles(pages)).hasSize(dataFiles(input).size());
    try (Stream<Path> s = Files.walk(pages)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .as("no attempt's folder or file is left")
          .noneMatch(n -> n.startsWith("_temporary") || n.contains("attempt_"));
    }
    List<String> expected = bits(rows);
    assertThat(expected).hasSize(2000);
    assertThat(bits(pages)).isEqualTo(expected);
  }

  /** The rows ordered by id, the gradient as its floats' bits. */
  private static List<String> bits(Path data) {
    List<String> out = new ArrayList<>();
    for (Row r :
        JobTestKit.spark()
            .read()
            .parquet(data.toString())
            .orderBy("id")
            .selectExpr("id", "part", "grad_logits")
            .collectAsList()) {
      StringBuilder b = new StringBuilder(r.get(0) + "|" + r.get(1) + "|");
      for (Object v : r.getList(2)) {
        b.append(Integer.toHexString(Float.floatToRawIntBits((Float) v))).append(',');
      }
      out.add(b.toString());
    }
    return out;
  }

  private static List<Path> dataFiles(Path data) throws IOException {
    try (Stream<Path> s = Files.walk(data)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .toList();
    }
  }

  private static String[] concat(String[] args, String last) {
    String[] all = java.util.Arrays.copyOf(args, args.length + 1);
    all[args.length] = last;
    return all;
  }
}
