package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.job.pages.PageOutputFormat;
import dev.softmax.job.s3.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on a real Spark standalone cluster (a master and two workers, separate JVMs, started by
 * scripts/local-cluster.sh) through scripts/submit.sh: results equal local mode bit for bit, a
 * killed executor costs no row, and a killed driver leaves nothing that looks complete.
 */
class ClusterIT {
  private static final Path ROOT =
      Path.of(System.getProperty("softmax.root", ".")).toAbsolutePath();
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(4);

  @TempDir static Path dir;
  static Path cluster;
  static Path input;
  static Path big;
  static Path localProbs;
  static Path localGrads;
  static Path bigProbs;
  static String master;

  @BeforeAll
  static void startClusterAndComputeLocalReferences() throws Exception {
    cluster = dir.resolve("cluster");
    input = dir.resolve("input");
    big = dir.resolve("big");
    localProbs = dir.resolve("local_probs");
    localGrads = dir.resolve("local_grads");
    bigProbs = dir.resolve("big_probs_local");
    runOk(
        "generate",
        "--output",
        input.toString(),
        "--rows",
        "20000",
        "--width",
        "64",
        "--partitions",
        "8",
        "--grad");
    runOk(
        "generate",
        "--output",
        big.toString(),
        "--rows",
        "200000",
        "--width",
        "128",
        "--partitions",
        "12");
    runOk("forward", "--input", input.toString(), "--output", localProbs.toString());
    runOk("backward", "--input", localProbs.toString(), "--output", localGrads.toString());
    runOk("forward", "--input", big.toString(), "--output", bigProbs.toString());

    Process start =
        script(
            "local-cluster.sh",
            List.of(
                "start", "--workers", "2", "--cores", "1", "--memory", "1g", "--distinct-hosts"),
            dir.resolve("cluster-start.log"));
    assertThat(start.waitFor(3, TimeUnit.MINUTES)).as("cluster started in time").isTrue();
    assertThat(start.exitValue()).as(Files.readString(dir.resolve("cluster-start.log"))).isZero();
    master = Files.readString(cluster.resolve("master.url")).strip();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    Process stop = script("local-cluster.sh", List.of("stop"), dir.resolve("cluster-stop.log"));
    assertThat(stop.waitFor(2, TimeUnit.MINUTES)).isTrue();
    assertThat(clusterProcesses()).as("no Spark process of the test cluster is left").isEmpty();
  }

  private static Process script(String name, List<String> args, Path log) throws IOException {
    List<String> command =
        new ArrayList<>(List.of("bash", ROOT.resolve("scripts").resolve(name).toString()));
    command.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SOFTMAX_CLUSTER_DIR", cluster.toString());
    pb.environment().put("SOFTMAX_NO_BUILD", "1");
    pb.environment().put("SOFTMAX_LOG_DIR", dir.resolve("logs").toString());
    // saving run-local's class archive costs half a minute once per build; ClassArchiveTest holds
    // it
    pb.environment().put("SOFTMAX_CLASS_ARCHIVE", "off");
    pb.environment().remove("SPARK_HOME");
    return pb.start();
  }

  /** Starts scripts/submit.sh against the test cluster; its process is the driver JVM. */
  private static Process submit(Path log, String... args) throws IOException {
    List<String> all =
        new ArrayList<>(List.of("--master", master, "--conf", "spark.executor.memory=768m"));
    all.addAll(List.of(args));
    return script("submit.sh", all, log);
  }

  private static int finish(Process p, Path log) throws Exception {
    if (!p.waitFor(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          "job did not finish in " + JOB_TIMEOUT + ":\n" + Files.readString(log));
    }
    return p.exitValue();
  }

  private static List<ProcessHandle> clusterProcesses() {
    String marker = cluster.resolve("spark-home").toString();
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .toList();
  }

  private static List<ProcessHandle> executors() {
    return clusterProcesses().stream()
        .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .toList();
  }

  private static boolean writing(Path output) {
    Path parent = output.getParent();
    try (Stream<Path> s = Files.list(parent)) {
      return s.anyMatch(
          p ->
              p.getFileName().toString().startsWith("." + output.getFileName() + ".staging-")
                  && Files.exists(p.resolve("_temporary")));
    } catch (IOException e) {
      return false;
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(JOB_TIMEOUT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(100);
    }
  }

  /**
   * Every row of {@code a} has a partner in {@code b} with the same id and a bit-identical column.
   */
  static void assertSameRows(Path a, Path b, String column, long rows) {
    assertThat(duckValue("SELECT count(*) FROM " + parquet(a))).isEqualTo(rows);
    assertThat(duckValue("SELECT count(*) FROM " + parquet(b))).isEqualTo(rows);
    assertThat(duckValue("SELECT count(DISTINCT id) FROM " + parquet(b))).isEqualTo(rows);
    // float equality is bit equality here: the outputs hold no NaN (checked) and no -0.0 (softmax
    // >= 0)
    assertThat(
            duckValue(
                "SELECT count(*) FROM "
                    + parquet(b)
                    + " WHERE list_has_any("
                    + column
                    + ", [CAST('NaN' AS FLOAT)])"))
        .isEqualTo(0L);
    assertThat(
            duckValue(
                "SELECT count(*) FROM "
                    + parquet(a)
                    + " x JOIN "
                    + parquet(b)
                    + " y USING (id) WHERE x."
                    + column
                    + " = y."
                    + column
                    + " AND x.part = y.part"))
        .isEqualTo(rows);
  }

  @Test
  void forwardAndBackwardOnTheClusterEqualLocalModeBitForBit() throws Exception {
    Path probs = dir.resolve("cluster_probs");
    Path grads = dir.resolve("cluster_grads");
    Path log = dir.resolve("submit-forward.log");
    assertThat(
            finish(
                submit(log, "forward", "--input", input.toString(), "--output", probs.toString()),
                log))
        .as(Files.readString(log))
        .isZero();
    // the kernel is asked of the executors (submit.sh passes them conf/jvm.options), not the driver
    assertThat(JobTestKit.summary(probs))
        .contains(
            "\"master\" : \"" + master + "\"",
            "\"rows_in\" : 20000",
            "\"kernel\" : \"vector (jdk.incubator.vector");
    Path log2 = dir.resolve("submit-backward.log");
    assertThat(
            finish(
                submit(log2, "backward", "--input", probs.toString(), "--output", grads.toString()),
                log2))
        .as(Files.readString(log2))
        .isZero();
    assertSameRows(localProbs, probs, "probs", 20000);
    assertSameRows(localGrads, grads, "grad_logits", 20000);
  }

  /**
   * Speculation on the page path: the first attempt of task 0 waits two minutes after writing its
   * file; Spark starts a copy of it on the other worker's host (never on a host that runs an
   * attempt of the task: hence the cluster's distinct hosts), the copy commits, Spark kills the
   * first attempt, and the output is one file per input file with local mode's values.
   */
  @Test
  void aSpeculativeAttemptOfASlowTaskLeavesOneFilePerTaskAndTheSameValues() throws Exception {
    Path out = dir.resolve("speculated");
    Path events = Files.createDirectories(dir.resolve("speculated_events"));
    Path log = dir.resolve("submit-speculated.log");
    Instant start = Instant.now();
    int status =
        finish(
            submit(
                log,
                "--conf",
                "spark.speculation=true",
                "--conf",
                "spark.speculation.interval=100ms",
                "--conf",
                "spark.speculation.quantile=0.5",
                "--conf",
                "spark.speculation.minTaskRuntime=2s",
                "--conf",
                "spark.speculation.efficiency.enabled=false",
                "--conf",
                "spark.hadoop." + PageOutputFormat.SLOW_FIRST_ATTEMPT + "=120000",
                "--conf",
                "spark.eventLog.enabled=true",
                "--conf",
                "spark.eventLog.compress=false",
                "--conf",
                "spark.eventLog.dir=" + events.toUri(),
                "forward",
                "--input",
                input.toString(),
                "--output",
                out.toString()),
            log);
    assertThat(status).as(Files.readString(log)).isZero();
    assertThat(Duration.between(start, Instant.now()))
        .as("the run did not wait for the slow attempt")
        .isLessThan(Duration.ofSeconds(100));
    assertThat(JobTestKit.summary(out)).contains("written by the page path: 8 tasks");

    // one file, or on Spark 4 a folder of rolled files
    StringBuilder eventLog = new StringBuilder();
    try (Stream<Path> s = Files.walk(events)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        eventLog.append(Files.readString(p));
      }
    }
    // a copy of task 0 ran and succeeded (the first attempt's end may come after the job's)
    assertThat(
            eventLog
                .toString()
                .lines()
                .filter(l -> l.contains("\"Event\":\"SparkListenerTaskEnd\""))
                .filter(l -> l.contains("\"Speculative\":true"))
                .filter(l -> l.contains("\"Reason\":\"Success\""))
                .count())
        .as("a speculative attempt succeeded")
        .isGreaterThanOrEqualTo(1);

    try (Stream<Path> s = Files.walk(out)) {
      List<String> names = s.map(p -> p.getFileName().toString()).toList();
      assertThat(names.stream().filter(n -> n.endsWith(".parquet"))).hasSize(8);
      assertThat(names)
          .as("no attempt's folder or file is left")
          .noneMatch(n -> n.startsWith("_temporary") || n.contains("attempt_"));
    }
    assertSameRows(localProbs, out, "probs", 20000);
  }

  @Test
  void aKilledExecutorCostsNoRow() throws Exception {
    Path out = dir.resolve("executor_loss");
    Path log = dir.resolve("submit-executor-loss.log");
    Process driver = submit(log, "forward", "--input", big.toString(), "--output", out.toString());
    await("the write to start", () -> writing(out) && executors().size() == 2);
    ProcessHandle victim = executors().get(0);
    victim.destroyForcibly();
    assertThat(driver.isAlive()).as("the job was still running when the executor died").isTrue();
    assertThat(finish(driver, log)).as(Files.readString(log)).isZero();
    // Spark's messages go to the driver's log file, not the console
    assertThat(Files.readString(log)).doesNotContain("\tat ");
    assertThat(driverLogs()).containsAnyOf("Lost executor", "ExecutorLostFailure", "Executor lost");
    assertSameRows(bigProbs, out, "probs", 200000);
  }

  @Test
  void aKilledDriverLeavesNothingThatLooksCompleteAndTheRerunRecovers() throws Exception {
    Path out = dir.resolve("driver_loss");
    Path log = dir.resolve("submit-driver-loss.log");
    Process driver = submit(log, "forward", "--input", big.toString(), "--output", out.toString());
    await("the write to start", () -> writing(out));
    driver.destroyForcibly();
    driver.waitFor(1, TimeUnit.MINUTES);

    assertThat(out).as("a reader of the output path sees no dataset").doesNotExist();
    assertThat(dir.resolve("driver_loss/_SUCCESS")).doesNotExist();

    // the rerun, in the default --mode error, removes what the dead driver staged and says so
    Path rerunLog = dir.resolve("submit-driver-loss-rerun.log");
    int rerun =
        finish(
            submit(rerunLog, "forward", "--input", big.toString(), "--output", out.toString()),
            rerunLog);
    assertThat(rerun).as(Files.readString(rerunLog)).isZero();
    assertThat(Files.readString(rerunLog))
        .contains("note: removed", "the unpublished output of a run that died");
    assertSameRows(bigProbs, out, "probs", 200000);
    assertThat(JobTestKit.hiddenSiblings(dir)).noneMatch(n -> n.startsWith(".driver_loss"));
  }

  /**
   * A bad row found on an executor: the checked function's exception travels to the driver JVM (a
   * generic task failure would give a generic line), which names the row (its key and file) in one
   * line and publishes nothing.
   */
  @Test
  void aBadRowOnAnExecutorStopsTheRunWithOneLineNamingIt() throws Exception {
    Path bad = dir.resolve("bad_rows");
    JobTestKit.spark()
        .range(0, 4000, 1, 4)
        .selectExpr(
            "id",
            "IF(id = 2718, array(1f, float('NaN'), 0f), array(1f, 2f, CAST(id AS float)))"
                + " AS logits")
        .write()
        .parquet(bad.toString());
    Path out = dir.resolve("bad_rows_out");
    Path log = dir.resolve("submit-bad-row.log");
    assertThat(
            finish(
                submit(log, "forward", "--input", bad.toString(), "--output", out.toString()), log))
        .as(Files.readString(log))
        .isEqualTo(1);
    List<String> console = console(log);
    assertThat(console).as("console").hasSize(1);
    assertThat(console.get(0))
        .startsWith("bad row: forward: logits: NaN or +inf at id=2718 in file:")
        .contains(bad.toString())
        .endsWith("(or --on-bad-row skip).");
    assertThat(out).doesNotExist();
    assertThat(JobTestKit.hiddenSiblings(dir)).noneMatch(n -> n.startsWith(".bad_rows_out"));
  }

  /** What a process printed, less the JDK's notice that the Vector API module is an incubator. */
  private static List<String> console(Path log) throws IOException {
    return Files.readAllLines(log).stream()
        .filter(l -> !l.startsWith("WARNING: Using incubator"))
        .toList();
  }

  private static String driverLogs() throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> s = Files.list(dir.resolve("logs"))) {
      for (Path p : s.toList()) {
        all.append(Files.readString(p));
      }
    }
    return all.toString();
  }

  @Test
  void rowsOf262144FloatsGoThroughForwardAndBackwardWithSmallExecutors() throws Exception {
    // a large LLM vocabulary: 1 MiB of float32 per row, 100 rows per file (logits and grad: 200 MiB
    // a
    // file, one row group); executors here have 768 MiB, under 2 GB
    Path vocab = dir.resolve("vocab");
    runOk(
        "generate",
        "--output",
        vocab.toString(),
        "--rows",
        "200",
        "--width",
        "262144",
        "--partitions",
        "2",
        "--grad");
    Path localForward = dir.resolve("vocab_local_probs");
    Path localBackward = dir.resolve("vocab_local_grads");
    runOk("forward", "--input", vocab.toString(), "--output", localForward.toString());
    runOk(
        "backward",
        "--input",
        vocab.toString(),
        "--logits-col",
        "logits",
        "--output",
        localBackward.toString());

    Path probs = dir.resolve("vocab_probs");
    Path grads = dir.resolve("vocab_grads");
    Path log = dir.resolve("submit-vocab-forward.log");
    assertThat(
            finish(
                submit(log, "forward", "--input", vocab.toString(), "--output", probs.toString()),
                log))
        .as(Files.readString(log))
        .isZero();
    Path log2 = dir.resolve("submit-vocab-backward.log");
    assertThat(
            finish(
                submit(
                    log2,
                    "backward",
                    "--input",
                    vocab.toString(),
                    "--logits-col",
                    "logits",
                    "--output",
                    grads.toString()),
                log2))
        .as(Files.readString(log2))
        .isZero();
    assertSameRows(localForward, probs, "probs", 200);
    assertSameRows(localBackward, grads, "grad_logits", 200);
    assertThat(duckValue("SELECT min(len(probs)) FROM " + parquet(probs))).isEqualTo(262144L);
  }

  @Test
  void runLocalWritesS3WithTheSettingsGivenBeforeTheSubcommandAndNeverShowsTheSecret()
      throws Exception {
    try (S3Server s3 = S3Server.start(dir)) {
      s3.createBucket("runs");
      // the settings in a properties file, as users keep keys, but the endpoint as --conf
      StringBuilder settings = new StringBuilder("spark.driver.memory 1g\n");
      s3.sparkSettings()
          .forEach(
              (k, v) -> {
                if (!k.endsWith(".endpoint")) {
                  settings.append(k).append(' ').append(v).append('\n');
                }
              });
      Path properties = dir.resolve("s3.conf");
      Files.writeString(properties, settings);
      Path log = dir.resolve("run-local-s3.log");
      Process p =
          script(
              "run-local.sh",
              List.of(
                  "--properties-file",
                  properties.toString(),
                  "--conf",
                  "spark.hadoop.fs.s3a.endpoint=" + s3.endpoint(),
                  "forward",
                  "--input",
                  ROOT.resolve("data/sample").toString(),
                  "--output",
                  "s3a://runs/probs"),
              log);
      assertThat(finish(p, log)).as(Files.readString(log)).isZero();
      assertThat(Files.readString(log))
          .contains("forward: 2000 rows in, 2000 written", "-> s3a://runs/probs")
          .doesNotContain(s3.secret());
      assertThat(s3.keys("runs", "probs/"))
          .contains("probs/_SUCCESS", "probs/_summary.json")
          .anyMatch(k -> k.endsWith(".parquet"))
          .noneMatch(k -> k.contains("staging") || k.contains("__magic"));
      try (Stream<Path> logs = Files.list(dir.resolve("logs"))) {
        for (Path l : logs.toList()) {
          assertThat(Files.readString(l)).as(l.toString()).doesNotContain(s3.secret());
        }
      }
    }
  }

  @Test
  void runLocalPipedShowsNoProgressBarAndAFailureIsOneLineNamingItsLogFile() throws Exception {
    Path out = dir.resolve("piped");
    Path log = dir.resolve("run-local.log");
    Process ok =
        script(
            "run-local.sh",
            List.of(
                "forward",
                "--input",
                ROOT.resolve("data/sample").toString(),
                "--output",
                out.toString()),
            log);
    assertThat(finish(ok, log)).as(Files.readString(log)).isZero();
    assertThat(Files.readString(log))
        .doesNotContain("\r")
        .contains("forward: 2000 rows in, 2000 written");
    try (Stream<Path> files = Files.walk(out)) {
      assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet")))
          .as("the job's own codec, with no launcher setting")
          .isNotEmpty()
          .allMatch(n -> n.endsWith(".zstd.parquet"));
    }
    Path versionLog = dir.resolve("version.log");
    assertThat(finish(script("run-local.sh", List.of("--version"), versionLog), versionLog))
        .isZero();
    assertThat(Files.readString(versionLog)).containsPattern("spark-softmax \\d+\\.\\d+\\.\\d+");

    Path broken = dir.resolve("broken");
    runOk(
        "generate",
        "--output",
        broken.toString(),
        "--rows",
        "400",
        "--width",
        "8",
        "--partitions",
        "4");
    Path victim;
    try (Stream<Path> s = Files.walk(broken)) {
      victim = s.filter(p -> p.toString().endsWith(".parquet")).sorted().toList().get(3);
    }
    byte[] bytes = Files.readAllBytes(victim);
    Files.write(victim, Arrays.copyOf(bytes, bytes.length / 2));
    Files.deleteIfExists(victim.resolveSibling("." + victim.getFileName() + ".crc"));
    Path failLog = dir.resolve("run-local-fail.log");
    Process fail =
        script(
            "run-local.sh",
            List.of(
                "forward",
                "--input",
                broken.toString(),
                "--output",
                dir.resolve("broken_out").toString()),
            failLog);
    assertThat(finish(fail, failLog)).isEqualTo(1);
    List<String> console = console(failLog);
    assertThat(console).as("console").hasSize(1);
    assertThat(console.get(0))
        .contains(
            "softmax forward failed: cannot read input file",
            victim.getFileName().toString(),
            "(stack trace in " + dir.resolve("logs"));
    String named = console.get(0).replaceAll(".*\\(stack trace in (.*)\\)$", "$1");
    assertThat(Files.readString(Path.of(named))).contains("\tat org.apache.spark");
    assertThat(JobTestKit.hiddenSiblings(dir)).noneMatch(n -> n.startsWith(".broken_out"));
  }
}
