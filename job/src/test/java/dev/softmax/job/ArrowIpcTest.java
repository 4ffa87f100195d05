package dev.softmax.job;

import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The arrow data source and the job over Arrow IPC, on fixtures written by the JavaScript Arrow
 * library (src/test/resources/arrow/README.md), whose expected values were computed in double.
 */
class ArrowIpcTest {
  @TempDir static Path dir;
  static SparkSession spark;

  @BeforeAll
  static void copyFixtures() throws Exception {
    spark = JobTestKit.spark();
    for (String name :
        List.of(
            "file.arrow",
            "stream.arrow",
            "fixed16.arrow",
            "truncated.arrow",
            "expected-varying.json",
            "expected-fixed16.json")) {
      try (InputStream in = ArrowIpcTest.class.getResourceAsStream("/arrow/" + name)) {
        Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private static Dataset<Row> arrow(String name) {
    return spark.read().format("arrow").load(dir.resolve(name).toString());
  }

  @Test
  void readsTheFileAndStreamFormatsAlike() {
    Dataset<Row> file = arrow("file.arrow");
    Dataset<Row> stream = arrow("stream.arrow");
    assertThat(file.schema().catalogString())
        .isEqualTo("struct<id:bigint,split:string,logits:array<float>,grad:array<float>>");
    assertThat(stream.schema()).isEqualTo(file.schema());
    assertThat(file.count()).isEqualTo(230);
    assertThat(file.except(stream).count()).isZero();
    assertThat(stream.except(file).count()).isZero();
    Row row3 = file.where("id = 3").collectAsList().get(0);
    assertThat(row3.getString(1)).isIn("train", "eval");
    assertThat(row3.<Float>getList(2).get(1)).isEqualTo(Float.NEGATIVE_INFINITY);
  }

  @Test
  void readsFixedSizeListsAsArrays() {
    Dataset<Row> fixed = arrow("fixed16.arrow");
    assertThat(fixed.schema().apply("logits").dataType().catalogString()).isEqualTo("array<float>");
    assertThat(fixed.count()).isEqualTo(120);
    assertThat(fixed.selectExpr("min(size(logits))", "max(size(logits))").collectAsList().get(0))
        .isEqualTo(RowFactory.create(16, 16));
  }

  @Test
  void splitsIpcFilesByRecordBatchAndPrunesColumns() {
    Dataset<Row> split =
        spark
            .read()
            .format("arrow")
            .option("maxPartitionBytes", "1")
            .load(dir.resolve("file.arrow").toString());
    assertThat(split.rdd().getNumPartitions()).isEqualTo(5);
    assertThat(split.count()).isEqualTo(230);
    assertThat(arrow("file.arrow").rdd().getNumPartitions()).isEqualTo(1);
    assertThat(arrow("stream.arrow").rdd().getNumPartitions()).isEqualTo(1);
    String plan = split.select("id").queryExecution().executedPlan().toString();
    assertThat(plan).contains("ArrowScan").contains("struct<id:bigint>").doesNotContain("logits");
  }

  /** id -> (probs, grad_logits) from the fixture's JSON. */
  private static Map<Long, double[][]> expected(String json) throws Exception {
    Map<Long, double[][]> m = new HashMap<>();
    for (JsonNode row : new ObjectMapper().readTree(dir.resolve(json).toFile())) {
      m.put(
          row.get("id").asLong(),
          new double[][] {values(row.get("probs")), values(row.get("grad_logits"))});
    }
    return m;
  }

  private static double[] values(JsonNode array) {
    double[] v = new double[array.size()];
    for (int i = 0; i < v.length; i++) {
      JsonNode x = array.get(i);
      v[i] = x.isTextual() ? Double.parseDouble(x.asText()) : x.asDouble();
    }
    return v;
  }

  private static void assertWithinOneFloatUlp(
      Path output, String column, Map<Long, double[][]> expected, int which) {
    List<Row> rows = spark.read().parquet(output.toString()).select("id", column).collectAsList();
    assertThat(rows).hasSize(expected.size());
    long elements = 0;
    for (Row r : rows) {
      double[] want = expected.get(r.getLong(0))[which];
      List<Float> got = r.getList(1);
      assertThat(got).hasSize(want.length);
      for (int i = 0; i < want.length; i++) {
        assertThat(Math.abs(got.get(i) - want[i]))
            .as(
                "%s of id %d, index %d: got %s, expected %s",
                column, r.getLong(0), i, got.get(i), want[i])
            .isLessThanOrEqualTo((double) Math.ulp((float) want[i]));
        elements++;
      }
    }
    assertThat(elements).isPositive();
  }

  @ParameterizedTest
  @ValueSource(strings = {"file.arrow", "stream.arrow", "fixed16.arrow"})
  void forwardAndBackwardMatchTheFixturesToOneFloatUlp(String fixture) throws Exception {
    Map<Long, double[][]> expected =
        expected(fixture.startsWith("fixed") ? "expected-fixed16.json" : "expected-varying.json");
    Path probs = dir.resolve(fixture + ".probs");
    Path grads = dir.resolve(fixture + ".grads");
    JobTestKit.Result r =
        runOk("forward", "--input", dir.resolve(fixture).toString(), "--output", probs.toString());
    assertThat(r.out()).contains((fixture.startsWith("fixed") ? 120 : 230) + " rows in");
    runOk(
        "backward",
        "--input",
        dir.resolve(fixture).toString(),
        "--logits-col",
        "logits",
        "--output",
        grads.toString());
    assertWithinOneFloatUlp(probs, "probs", expected, 0);
    assertWithinOneFloatUlp(grads, "grad_logits", expected, 1);
  }

  @Test
  void aTruncatedFileIsRefusedInOneLineBeforeAnythingIsWritten() {
    Path out = dir.resolve("from_truncated");
    JobTestKit.Result r =
        run(
            "forward",
            "--input",
            dir.resolve("truncated.arrow").toString(),
            "--output",
            out.toString());
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err().strip())
        .doesNotContain("\n")
        .contains("truncated.arrow")
        .contains("not a complete Arrow IPC file (truncated or damaged)");
    assertThat(out).doesNotExist();
  }

  @Test
  void aTruncatedStreamIsRefusedToo() throws Exception {
    byte[] whole = Files.readAllBytes(dir.resolve("stream.arrow"));
    Path cut =
        Files.write(dir.resolve("cut-stream.arrow"), Arrays.copyOf(whole, whole.length * 6 / 10));
    JobTestKit.Result r =
        run(
            "forward",
            "--input",
            cut.toString(),
            "--input-format",
            "arrow",
            "--output",
            dir.resolve("from_cut").toString());
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err()).contains("cut-stream.arrow").contains("truncated");
  }

  @Test
  void aColumnOfTheWrongTypeIsRefused() {
    JobTestKit.Result r =
        run(
            "forward",
            "--input",
            dir.resolve("file.arrow").toString(),
            "--logits-col",
            "split",
            "--output",
            dir.resolve("wrong").toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err())
        .contains("--logits-col split in file:" + dir.resolve("file.arrow") + " is string");
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "lz4", "zstd"})
  void arrowOutputRoundTripsAndIsPlainArrowIpc(String compression) throws Exception {
    Path viaParquet = dir.resolve("rt_parquet_" + compression);
    Path viaArrow = dir.resolve("rt_arrow_" + compression);
    String in = dir.resolve("file.arrow").toString();
    runOk("forward", "--input", in, "--output", viaParquet.toString());
    runOk(
        "forward",
        "--input",
        in,
        "--output",
        viaArrow.toString(),
        "--output-format",
        "arrow",
        "--arrow-compression",
        compression);

    Dataset<Row> back = spark.read().format("arrow").load(viaArrow.toString());
    assertThat(back.schema().catalogString())
        .isEqualTo("struct<id:bigint,split:string,grad:array<float>,probs:array<float>>");
    assertThat(
            back.except(
                    spark
                        .read()
                        .parquet(viaParquet.toString())
                        .select("id", "split", "grad", "probs"))
                .count())
        .isZero();
    assertThat(back.count()).isEqualTo(230);

    // read again with Arrow's own file reader, not through the data source
    long rows = 0;
    try (Stream<Path> files = Files.list(viaArrow)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".arrow")).toList()) {
        assertThat(new String(Files.readAllBytes(f), 0, 6, StandardCharsets.US_ASCII))
            .isEqualTo("ARROW1");
        try (var allocator = new RootAllocator();
            var reader =
                new ArrowFileReader(
                    FileChannel.open(f), allocator, CommonsCompressionFactory.INSTANCE)) {
          for (ArrowBlock block : reader.getRecordBlocks()) {
            reader.loadRecordBatch(block);
            rows += reader.getVectorSchemaRoot().getRowCount();
          }
        }
      }
    }
    assertThat(rows).isEqualTo(230);
    assertThat(JobTestKit.summary(viaArrow)).contains("\"rows_written\" : 230");
  }
}
