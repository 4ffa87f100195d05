package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.udf.SqlFunction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Help, defaults from a properties file, and --partition-by. */
class CommandLineJobTest {
  @TempDir Path dir;

  @ParameterizedTest
  @ValueSource(strings = {"forward", "backward", "loss", "generate"})
  void everySubcommandHasHelp(String command) {
    JobTestKit.Result r = run(command, "--help");
    assertThat(r.status()).isZero();
    assertThat(r.out())
        .startsWith("Usage: softmax " + command)
        .contains("--output", "--mode", "--on-bad-row");
  }

  @Test
  void theJobWritesZstdWithoutAnyLauncherSettingAndASessionsOwnCodecWins() throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 1f) AS logits FROM range(4)")
        .write()
        .parquet(in.toString());
    JobTestKit.spark().conf().unset(SparkSessions.CODEC);
    runOk("forward", "--input", in.toString(), "--output", dir.resolve("z").toString());
    try (var files = Files.walk(dir.resolve("z"))) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")))
          .isNotEmpty()
          .allMatch(n -> n.endsWith(".zstd.parquet"));
    }
    JobTestKit.spark().conf().set(SparkSessions.CODEC, "snappy");
    try {
      runOk("forward", "--input", in.toString(), "--output", dir.resolve("s").toString());
      try (var files = Files.walk(dir.resolve("s"))) {
        assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")))
            .isNotEmpty()
            .allMatch(n -> n.endsWith(".snappy.parquet"));
      }
    } finally {
      JobTestKit.spark().conf().unset(SparkSessions.CODEC);
    }
  }

  /**
   * The run's own Spark settings (the reader's batch, the writer's checks) last for the run only.
   */
  @Test
  void theSettingsOfARunAreUndoneAfterIt() throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 1f) AS logits FROM range(4)")
        .write()
        .parquet(in.toString());
    var conf = JobTestKit.spark().conf();
    String batch = "spark.sql.parquet.columnarReaderBatchSize";
    String check = "parquet.page.size.row.check.max";
    conf.set(batch, "77");
    conf.unset(check);
    try {
      runOk("forward", "--input", in.toString(), "--output", dir.resolve("o").toString());
      assertThat(conf.get(batch)).isEqualTo("77");
      assertThat(conf.contains(check)).isFalse();
    } finally {
      conf.unset(batch);
    }
  }

  /**
   * The warm-up compiles what the run's write calls per row (ForwardJobTest reads the plans): under
   * the fail policy the forward's checked form alone; else the checks and the function.
   */
  @Test
  void theWarmupCompilesTheFunctionsTheRunCalls() {
    assertThat(SparkSessions.calledFunctions(SqlFunction.SOFTMAX, BadRowPolicy.fail))
        .containsExactly(SqlFunction.SOFTMAX_CHECKED);
    assertThat(SparkSessions.calledFunctions(SqlFunction.LOG_SOFTMAX, BadRowPolicy.fail))
        .containsExactly(SqlFunction.LOG_SOFTMAX_CHECKED);
    assertThat(SparkSessions.calledFunctions(SqlFunction.SOFTMAX, BadRowPolicy.skip))
        .containsExactly(SqlFunction.CHECK_LOGITS, SqlFunction.SOFTMAX);
    assertThat(
            SparkSessions.calledFunctions(
                SqlFunction.SOFTMAX_BACKWARD_FROM_LOGITS, BadRowPolicy.fail))
        .containsExactly(
            SqlFunction.CHECK_LOGITS,
            SqlFunction.CHECK_VALUES,
            SqlFunction.SOFTMAX_BACKWARD_FROM_LOGITS);
  }

  /** Only a local master's executors are threads of this JVM, which the warm-up compiles for. */
  @Test
  void theWarmupIsForLocalMastersOnly() {
    assertThat(SparkSessions.inProcessExecutors("local")).isTrue();
    assertThat(SparkSessions.inProcessExecutors("local[*]")).isTrue();
    assertThat(SparkSessions.inProcessExecutors("local[2, 3]")).isTrue();
    assertThat(SparkSessions.inProcessExecutors("local-cluster[2,1,1024]")).isFalse();
    assertThat(SparkSessions.inProcessExecutors("spark://host:7077")).isFalse();
    assertThat(SparkSessions.inProcessExecutors("yarn")).isFalse();
  }

  @Test
  @Tag(JobProcess.TAG)
  void theSummaryNamesTheKernelTheExecutorsRanAndAScalarOneIsToldWithTheFlagToAdd()
      throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 1f) AS logits FROM range(4)")
        .write()
        .parquet(in.toString());
    runOk("forward", "--input", in.toString(), "--output", dir.resolve("v").toString());
    assertThat(JobTestKit.summary(dir.resolve("v")))
        .contains("\"kernel\" : \"vector (jdk.incubator.vector");

    // an executor JVM without the Vector API (forced here: in local mode the executor is this JVM)
    JobProcess p =
        JobProcess.start(
            dir.resolve("scalar.log"),
            Map.of("softmax.kernel", "scalar"),
            "forward",
            "--input",
            in.toString(),
            "--output",
            dir.resolve("s").toString());
    assertThat(p.await()).as(p.output()).isZero();
    assertThat(p.output())
        .contains(
            "softmax forward: note: executors run the scalar softmax kernel (scalar)",
            "add --add-modules jdk.incubator.vector to spark.executor.extraJavaOptions");
    assertThat(JobTestKit.summary(dir.resolve("s"))).contains("\"kernel\" : \"scalar\"");
  }

  @Test
  void optionsWithAFixedSetOfValuesListThemInHelpAndRefuseOthersInOneLine() {
    assertThat(run("forward", "--help").out().replaceAll("\\s+", " "))
        .contains(
            "parquet, arrow",
            "none, lz4, zstd",
            "auto, parquet, arrow",
            "error, overwrite",
            "fail, skip, quarantine");
    JobTestKit.Result r = run("forward", "--input", "x", "--output", "y", "--output-format", "orc");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip())
        .doesNotContain("\n")
        .startsWith(
            "softmax forward: Invalid value for option '--output-format': expected one of [parquet, arrow]");
  }

  @Test
  void anOptionACommandDoesNotUseIsAnError() {
    JobTestKit.Result r =
        run(
            "generate",
            "--output",
            dir.resolve("g").toString(),
            "--rows",
            "3",
            "--width",
            "2",
            "--quarantine",
            dir.resolve("q").toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip())
        .isEqualTo(
            "softmax generate: --quarantine is not an option of generate: it writes"
                + " every row it makes, partitioned by part");
    assertThat(dir.resolve("g")).doesNotExist();
  }

  @Test
  void versionWithoutAJarManifestSaysDevelopmentBuild() {
    JobTestKit.Result r = run("--version");
    assertThat(r.status()).isZero();
    assertThat(r.out().strip()).isEqualTo("spark-softmax (development build)");
  }

  @Test
  void defaultsFileSetsOptionsAndFlagsWin() throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, IF(id = 1, array(float('NaN')), array(0f, 0f)) AS logits FROM range(4)")
        .write()
        .parquet(in.toString());
    Path defaults =
        Files.writeString(dir.resolve("job.properties"), "on-bad-row = skip\noutput-col = p\n");
    System.setProperty(SoftmaxJob.DEFAULTS_PROPERTY, defaults.toString());
    try {
      JobTestKit.Result r =
          runOk("forward", "--input", in.toString(), "--output", dir.resolve("a").toString());
      assertThat(r.out()).contains("4 rows in, 3 written, 1 skipped");
      assertThat(duck("DESCRIBE SELECT * FROM " + parquet(dir.resolve("a"))))
          .extracting(m -> m.get("column_name"))
          .containsExactly("id", "p");
      JobTestKit.Result failed =
          run(
              "forward",
              "--input",
              in.toString(),
              "--output",
              dir.resolve("b").toString(),
              "--on-bad-row",
              "fail");
      assertThat(failed.status()).isEqualTo(1);
    } finally {
      System.clearProperty(SoftmaxJob.DEFAULTS_PROPERTY);
    }
  }

  @Test
  void unreadableDefaultsFileIsAUsageError() {
    System.setProperty(SoftmaxJob.DEFAULTS_PROPERTY, dir.resolve("missing.properties").toString());
    try {
      JobTestKit.Result r = run("forward", "--help");
      assertThat(r.status()).isEqualTo(2);
      assertThat(r.err()).contains("cannot read the defaults file");
    } finally {
      System.clearProperty(SoftmaxJob.DEFAULTS_PROPERTY);
    }
  }

  @Test
  void partitionByReplacesTheInputPartitioning() {
    Path in = dir.resolve("parted");
    JobTestKit.spark()
        .sql(
            "SELECT id, CAST(id % 2 AS INT) AS p, IF(id < 3, 'x', 'y') AS q, array(1f) AS logits"
                + " FROM range(6)")
        .write()
        .partitionBy("p")
        .parquet(in.toString());
    Path same = dir.resolve("same");
    Path other = dir.resolve("other");
    runOk("forward", "--input", in.toString(), "--output", same.toString());
    runOk("forward", "--input", in.toString(), "--output", other.toString(), "--partition-by", "q");
    assertThat(same.resolve("p=0")).isDirectory();
    assertThat(other.resolve("q=x")).isDirectory();
    assertThat(other.resolve("p=0")).doesNotExist();
    assertThat(duck("SELECT id, p, q FROM " + parquet(other) + " ORDER BY id"))
        .hasSize(6)
        .allSatisfy(
            m -> assertThat(((Number) m.get("p")).longValue()).isEqualTo((Long) m.get("id") % 2));
  }
}
