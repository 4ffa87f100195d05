package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static dev.softmax.job.JobTestKit.summary;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.softmax.job.pages.PageWrite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page path ({@link PageWrite}) against Spark's row path on the same inputs: the same rows, bit
 * for bit, read back by Spark and by DuckDB; the same failures; the row path where the page path
 * does not apply, and the summary says which ran.
 */
class PageWriteJobTest {
  @TempDir static Path dir;
  static Path floats;
  static Path doubles;

  @BeforeAll
  static void writeInputs() {
    floats = dir.resolve("floats");
    doubles = dir.resolve("doubles");
    // widths 1..40, a string column, partitions, several row groups per file (small row groups)
    String rows =
        "SELECT id, IF(id % 2 = 0, 'train', 'eval') AS split, CAST(id % 3 AS INT) AS part,"
            + " transform(sequence(1, CAST(id % 40 + 1 AS INT)),"
            + "   j -> IF(j = 3 AND id % 7 = 0, double('-Infinity'),"
            + "     (xxhash64(id, j) % 2000) / 100.0D)) AS z,"
            + " transform(sequence(1, CAST(id % 40 + 1 AS INT)),"
            + "   j -> (xxhash64(id, j, 7) % 1000) / 300.0D) AS g FROM range(3000)";
    SparkSession spark = JobTestKit.spark();
    spark
        .sql(rows)
        .selectExpr(
            "id",
            "split",
            "part",
            "CAST(z AS array<float>) AS logits",
            "CAST(g AS array<float>) AS grad")
        .repartition(2)
        .write()
        .option("parquet.block.size", "20000")
        .partitionBy("part")
        .parquet(floats.toString());
    spark
        .sql(rows)
        .selectExpr("id", "split", "part", "z AS logits", "g AS grad")
        .write()
        .partitionBy("part")
        .parquet(doubles.toString());
  }

  /** Runs the job with the page path on or off (for the run only). */
  private static JobTestKit.Result job(boolean pages, String... args) {
    SparkSession spark = JobTestKit.spark();
    spark.conf().set(PageWrite.ENABLED, Boolean.toString(pages));
    try {
      return run(args);
    } finally {
      spark.conf().unset(PageWrite.ENABLED);
    }
  }

  /** The rows of a dataset as Spark reads them, ordered by id, floats and doubles as their bits. */
  private static List<String> sparkRows(Path data, String column) {
    List<String> out = new ArrayList<>();
    for (Row r :
        JobTestKit.spark()
            .read()
            .parquet(data.toString())
            .orderBy("id")
            .selectExpr("id", "split", "part", column)
            .collectAsList()) {
      StringBuilder b = new StringBuilder(r.get(0) + "|" + r.get(1) + "|" + r.get(2) + "|");
      for (Object v : r.getList(3)) {
        b.append(
                v instanceof Float f
                    ? Integer.toHexString(Float.floatToRawIntBits(f))
                    : Long.toHexString(Double.doubleToRawLongBits((Double) v)))
            .append(',');
      }
      out.add(b.toString());
    }
    return out;
  }

  /** The rows of a dataset as DuckDB reads them, ordered by id. */
  private static List<String> duckRows(Path data, String column) {
    return duck(
            "SELECT id, split, part, " + column + " AS v FROM " + parquet(data) + " ORDER BY id")
        .stream()
        .map(m -> m.get("id") + "|" + m.get("split") + "|" + m.get("part") + "|" + m.get("v"))
        .toList();
  }

  @Test
  void floatForwardOnThePagePathIsTheRowPathsBitForBit() {
    Path pages = dir.resolve("probs_pages");
    Path rows = dir.resolve("probs_rows");
    String[] args = {"forward", "--input", floats.toString(), "--output"};
    JobTestKit.Result p = job(true, concat(args, pages.toString()));
    JobTestKit.Result r = job(false, concat(args, rows.toString()));
    assertThat(p.status()).as("%s", p).isZero();
    assertThat(r.status()).as("%s", r).isZero();
    assertThat(summary(pages)).contains("written by the page path");
    assertThat(summary(rows)).contains("written by Spark's row path: " + PageWrite.ENABLED);
    assertThat(p.out()).contains("forward: 3000 rows in, 3000 written, 0 skipped, 0 quarantined");

    List<String> expected = sparkRows(rows, "probs");
    assertThat(expected).hasSize(3000);
    assertThat(sparkRows(pages, "probs")).isEqualTo(expected);
    assertThat(duckRows(pages, "probs")).isEqualTo(duckRows(rows, "probs"));
    assertThat(pages.resolve("part=2")).isDirectory();
  }

  @Test
  void doubleLogSoftmaxWithTemperatureOnThePagePathIsTheRowPathsBitForBit() {
    Path pages = dir.resolve("logp_pages");
    Path rows = dir.resolve("logp_rows");
    String[] args = {
      "forward", "--input", doubles.toString(), "--log", "--temperature", "2.5", "--output"
    };
    runPair(args, pages, rows);
    assertThat(summary(pages)).contains("written by the page path");
    assertThat(sparkRows(pages, "log_probs")).isEqualTo(sparkRows(rows, "log_probs"));
    assertThat(duckRows(pages, "log_probs")).isEqualTo(duckRows(rows, "log_probs"));
  }

  @Test
  void floatBackwardFromLogitsOnThePagePathIsTheRowPathsBitForBit() {
    Path pages = dir.resolve("grad_pages");
    Path rows = dir.resolve("grad_rows");
    String[] args = {
      "backward", "--input", floats.toString(), "--logits-col", "logits", "--output"
    };
    runPair(args, pages, rows);
    assertThat(summary(pages)).contains("written by the page path");
    assertThat(sparkRows(pages, "grad_logits")).isEqualTo(sparkRows(rows, "grad_logits"));
    assertThat(duckRows(pages, "grad_logits")).isEqualTo(duckRows(rows, "grad_logits"));
    assertThat(duck("DESCRIBE SELECT * FROM " + parquet(pages)))
        .extracting(m -> m.get("column_name"))
        .containsExactlyInAnyOrder("id", "split", "grad_logits", "part");
  }

  @Test
  void doubleBackwardFromLogitsWithTemperatureOnThePagePathIsTheRowPathsBitForBit() {
    Path pages = dir.resolve("grad_t_pages");
    Path rows = dir.resolve("grad_t_rows");
    String[] args = {
      "backward",
      "--input",
      doubles.toString(),
      "--logits-col",
      "logits",
      "--temperature",
      "0.7",
      "--output"
    };
    runPair(args, pages, rows);
    assertThat(summary(pages)).contains("written by the page path");
    // the vector kernels give the same bits interpreted and compiled (SameBitsTest), so the two
    // paths' tasks agree however far the JIT had got in each
    assertThat(sparkRows(pages, "grad_logits")).isEqualTo(sparkRows(rows, "grad_logits"));
    assertThat(duckRows(pages, "grad_logits")).isEqualTo(duckRows(rows, "grad_logits"));
  }

  @Test
  void aBadGradientOrALengthMismatchFailsThePagePathAsItFailsTheRowPath() {
    for (String bad :
        List.of("array(1f, float('Infinity'))", "array(1f)", "CAST(NULL AS array<float>)")) {
      Path in = dir.resolve("bad_grad_" + Integer.toHexString(bad.hashCode()));
      JobTestKit.spark()
          .sql(
              "SELECT id, array(float(id), 1f) AS logits, IF(id = 23, "
                  + bad
                  + ", array(0.5f, 1f)) AS grad FROM range(40)")
          .repartition(1)
          .write()
          .parquet(in.toString());
      String[] args = {"backward", "--input", in.toString(), "--logits-col", "logits", "--output"};
      JobTestKit.Result p = job(true, concat(args, in + "_pages"));
      JobTestKit.Result r = job(false, concat(args, in + "_rows"));
      assertThat(p.status()).as("%s", p).isEqualTo(1);
      assertThat(p.err()).as(bad).contains("at id=23 in ").isEqualTo(r.err());
    }
  }

  @Test
  void smallPagesAndRowGroupsKeepEveryRowAndCorrectStatistics() throws IOException {
    Path pages = dir.resolve("small_pages");
    Path rows = dir.resolve("small_pages_rows");
    SparkSession spark = JobTestKit.spark();
    spark.conf().set("parquet.page.size", "1000");
    try {
      runPair(new String[] {"forward", "--input", floats.toString(), "--output"}, pages, rows);
    } finally {
      spark.conf().unset("parquet.page.size");
    }
    assertThat(sparkRows(pages, "probs")).isEqualTo(sparkRows(rows, "probs"));
    int rowGroups = 0;
    for (Path file : dataFiles(pages)) {
      try (ParquetFileReader reader =
          ParquetFileReader.open(
              HadoopInputFile.fromPath(
                  new org.apache.hadoop.fs.Path(file.toString()), new Configuration()))) {
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          rowGroups++;
          ColumnChunkMetaData chunk = block.getColumns().get(block.getColumns().size() - 1);
          assertThat(chunk.getPath().toDotString()).isEqualTo("probs.list.element");
          Statistics<?> stats = chunk.getStatistics();
          assertThat(stats.getNumNulls()).isZero();
          List<Object> actual =
              duck(
                      "SELECT min(p) AS lo, max(p) AS hi FROM (SELECT unnest(probs) AS p FROM"
                          + " read_parquet('"
                          + file
                          + "', file_row_number = true) WHERE file_row_number >= "
                          + firstRow(reader, block)
                          + " AND file_row_number < "
                          + (firstRow(reader, block) + block.getRowCount())
                          + ")")
                  .get(0)
                  .values()
                  .stream()
                  .toList();
          // Parquet writes a zero minimum as -0 and a zero maximum as +0: compared as numbers
          assertThat(((Number) stats.genericGetMin()).doubleValue())
              .isCloseTo(((Number) actual.get(0)).doubleValue(), within(0.0));
          assertThat(((Number) stats.genericGetMax()).doubleValue())
              .isCloseTo(((Number) actual.get(1)).doubleValue(), within(0.0));
          assertThat(reader.readColumnIndex(chunk)).isNotNull();
          assertThat(reader.readOffsetIndex(chunk).getPageCount()).isGreaterThan(1);
        }
      }
    }
    assertThat(rowGroups).as("row groups in the output").isGreaterThan(dataFiles(pages).size());
  }

  @Test
  void aBadRowFailsThePagePathAsItFailsTheRowPath() {
    Path in = dir.resolve("bad");
    JobTestKit.spark()
        .sql(
            "SELECT id, IF(id = 17, array(1f, float('NaN')), array(float(id), 1f)) AS logits"
                + " FROM range(40)")
        .repartition(1)
        .write()
        .parquet(in.toString());
    String[] args = {"forward", "--input", in.toString(), "--output"};
    JobTestKit.Result p = job(true, concat(args, dir.resolve("bad_pages").toString()));
    JobTestKit.Result r = job(false, concat(args, dir.resolve("bad_rows").toString()));
    assertThat(p.status()).as("%s", p).isEqualTo(1);
    assertThat(r.status()).as("%s", r).isEqualTo(1);
    assertThat(p.err()).startsWith("bad row: forward: logits: NaN or +inf at id=17 in ");
    assertThat(p.err()).isEqualTo(r.err());
    assertThat(dir.resolve("bad_pages")).doesNotExist();
  }

  @Test
  void anEmptyArrayFailsThePagePathAsItFailsTheRowPath() {
    Path in = dir.resolve("empty");
    JobTestKit.spark()
        .sql(
            "SELECT id, IF(id = 5, CAST(array() AS array<float>), array(float(id), 1f)) AS logits"
                + " FROM range(10)")
        .repartition(1)
        .write()
        .parquet(in.toString());
    String[] args = {"forward", "--input", in.toString(), "--output"};
    JobTestKit.Result p = job(true, concat(args, dir.resolve("empty_pages").toString()));
    JobTestKit.Result r = job(false, concat(args, dir.resolve("empty_rows").toString()));
    assertThat(p.status()).as("%s", p).isEqualTo(1);
    assertThat(p.err())
        .contains("bad row: forward: logits: empty array at id=5")
        .isEqualTo(r.err());
  }

  @Test
  void otherPoliciesTakeTheRowPathAndSaySo() {
    Path out = dir.resolve("skip");
    runOk(
        "forward",
        "--input",
        floats.toString(),
        "--output",
        out.toString(),
        "--on-bad-row",
        "skip");
    assertThat(summary(out))
        .contains("written by Spark's row path: the page path handles the fail policy only");
  }

  private static void runPair(String[] args, Path pages, Path rows) {
    JobTestKit.Result p = job(true, concat(args, pages.toString()));
    JobTestKit.Result r = job(false, concat(args, rows.toString()));
    assertThat(p.status()).as("%s", p).isZero();
    assertThat(r.status()).as("%s", r).isZero();
  }

  private static long firstRow(ParquetFileReader reader, BlockMetaData block) {
    long first = 0;
    for (BlockMetaData b : reader.getFooter().getBlocks()) {
      if (b == block) {
        return first;
      }
      first += b.getRowCount();
    }
    throw new IllegalStateException("no such row group");
  }

  private static List<Path> dataFiles(Path data) throws IOException {
    try (Stream<Path> s = Files.walk(data)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet"))
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .sorted()
          .toList();
    }
  }

  private static String[] concat(String[] args, String last) {
    String[] all = Arrays.copyOf(args, args.length + 1);
    all[args.length] = last;
    return all;
  }
}
