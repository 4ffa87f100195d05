package dev.softmax.job;

import static dev.softmax.job.ClusterIT.assertSameRows;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on YARN over HDFS: scripts/hadoop-cluster.sh starts a NameNode, a DataNode, a
 * ResourceManager and a NodeManager on 127.0.0.1, and scripts/submit.sh submits to it from the
 * Maven jars, in client and in cluster deploy mode. Results equal local mode bit for bit, a killed
 * executor container costs no row, a killed driver (cluster mode) leaves no output and its rerun
 * cleans up, racing runs publish once, and {@code stop} leaves no process. Runs on the lines whose
 * build has spark-yarn (3.5 and 4.2) and skips itself elsewhere.
 */
class YarnIT {
  private static final Path ROOT =
      Path.of(System.getProperty("softmax.root", "..")).toAbsolutePath();
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern APPLICATION = Pattern.compile("application_\\d+_\\d+");
  private static final String[] SMALL = {
    "--rows", "20000", "--width", "64", "--partitions", "8", "--grad"
  };

  @TempDir static Path dir;
  static Path cluster;
  static String hdfs;
  static FileSystem fs;
  static Path localInput;
  static Path localBigProbs;

  @BeforeAll
  static void startTheClusterAndComputeLocalReferences() throws Exception {
    assumeTrue(
        YarnIT.class.getClassLoader().getResource("org/apache/spark/deploy/yarn/Client.class")
            != null,
        "this Spark line's build has no spark-yarn (root pom.xml, spark.yarn.module)");
    cluster = dir.resolve("hadoop");
    Path log = dir.resolve("hadoop-start.log");
    Process start = script(log, "hadoop-cluster.sh", "start", "--memory", "6144");
    assertThat(start.waitFor(4, TimeUnit.MINUTES)).as("cluster started in time").isTrue();
    List<String> out = Files.readAllLines(log);
    assertThat(start.exitValue()).as(String.join("\n", out)).isZero();
    hdfs = out.get(out.size() - 2);
    assertThat(hdfs).matches("hdfs://127\\.0\\.0\\.1:\\d+");
    assertThat(out.get(out.size() - 1)).isEqualTo("HADOOP_CONF_DIR=" + cluster.resolve("conf"));
    fs = FileSystem.get(URI.create(hdfs), new Configuration());

    localInput = dir.resolve("local_input");
    runOk(with(new String[] {"generate", "--output", localInput.toString()}, SMALL));
    // the inputs of the jobs on YARN are written into HDFS by local mode (the racing runs generate
    // on YARN); the generator's values depend on the arguments only, not on where it runs
    runOk(with(new String[] {"generate", "--output", hdfs + "/small"}, SMALL));
    // the large input is written into HDFS by local mode; its reference read back from there
    runOk(
        "generate",
        "--output",
        hdfs + "/big",
        "--rows",
        "200000",
        "--width",
        "128",
        "--partitions",
        "12");
    localBigProbs = dir.resolve("local_big_probs");
    runOk("forward", "--input", hdfs + "/big", "--output", localBigProbs.toString());
  }

  @AfterAll
  static void stopLeavesNoProcess() throws Exception {
    if (cluster == null) {
      return;
    }
    if (fs != null) {
      fs.close();
    }
    Process stop = script(dir.resolve("hadoop-stop.log"), "hadoop-cluster.sh", "stop");
    assertThat(stop.waitFor(3, TimeUnit.MINUTES)).as("stop returned in time").isTrue();
    assertThat(clusterProcesses())
        .as(
            "no process of the test cluster is left: %s",
            Files.readString(dir.resolve("hadoop-stop.log")))
        .isEmpty();
  }

  @Test
  void forwardInClusterModeAndBackwardInClientModeEqualLocalModeBitForBit() throws Exception {
    String input = hdfs + "/small";
    String probs = hdfs + "/small_probs";
    String grads = hdfs + "/small_grads";
    Submission forward = submitOk("cluster", "forward", "--input", input, "--output", probs);
    submitOk("client", "backward", "--input", probs, "--output", grads);

    Path localProbs = dir.resolve("local_probs");
    Path localGrads = dir.resolve("local_grads");
    runOk("forward", "--input", localInput.toString(), "--output", localProbs.toString());
    runOk("backward", "--input", localProbs.toString(), "--output", localGrads.toString());
    assertSameRows(localProbs, copyToLocal(probs), "probs", 20000);
    assertSameRows(localGrads, copyToLocal(grads), "grad_logits", 20000);

    // the executors run the vector kernel: submit.sh gave them conf/jvm.options
    assertThat(summary(probs)).contains("\"master\" : \"yarn\"", "\"kernel\" : \"vector");
    // in cluster mode the driver ran in a container, with the job's defaults and log configuration
    Path driver = driverLogFolder(forward.application());
    assertThat(driver.resolve("stdout")).content().contains("forward: 20000 rows in");
    assertThat(driver.resolve("softmax-driver.log")).exists();
    assertThat(forward.console())
        .contains("YARN application " + forward.application() + " finished");
  }

  @Test
  void aKilledExecutorContainerCostsNoRow() throws Exception {
    String out = hdfs + "/executor_loss";
    Process driver =
        submit(
            dir.resolve("executor-loss.log"),
            "client",
            "forward",
            "--input",
            hdfs + "/big",
            "--output",
            out);
    await(
        "the write to start",
        () -> writing(out) && executors().size() == 2,
        driver,
        dir.resolve("executor-loss.log"));
    executors().get(0).destroyForcibly();
    assertThat(driver.isAlive()).as("the job was still running when the executor died").isTrue();
    assertThat(finish(driver, dir.resolve("executor-loss.log"))).isZero();
    assertSameRows(localBigProbs, copyToLocal(out), "probs", 200000);
    assertThat(hiddenSiblings()).noneMatch(n -> n.startsWith(".executor_loss"));
  }

  @Test
  void aKilledDriverInClusterModeLeavesNoOutputAndItsRerunCleansUp() throws Exception {
    String out = hdfs + "/driver_loss";
    Path log = dir.resolve("driver-loss.log");
    // one attempt: YARN would otherwise start the driver again at once, itself a rerun
    Process client =
        submit(
            log,
            "cluster",
            "--conf",
            "spark.yarn.maxAppAttempts=1",
            "forward",
            "--input",
            hdfs + "/big",
            "--output",
            out);
    await("the write to start", () -> writing(out) && !drivers().isEmpty(), client, log);
    List<ProcessHandle> killed = drivers();
    killed.forEach(ProcessHandle::destroyForcibly);
    assertThat(finish(client, log)).as("the submission failed").isNotZero();
    String application = application(Files.readString(log));
    // the executors of the failed application are gone before the rerun looks
    await("the application's containers to end", () -> containersOf(application).isEmpty());

    assertThat(fs.exists(hadoopPath(out))).as("no output").isFalse();
    assertThat(hiddenSiblings()).anyMatch(n -> n.startsWith(".driver_loss.staging-"));

    Submission rerun = submitOk("cluster", "forward", "--input", hdfs + "/big", "--output", out);
    assertThat(summary(out))
        .contains("the unpublished output of a run that died", "\"rows_in\" : 200000");
    assertSameRows(localBigProbs, copyToLocal(out), "probs", 200000);
    assertThat(hiddenSiblings()).noneMatch(n -> n.startsWith(".driver_loss"));
    assertThat(rerun.application()).isNotEqualTo(application);
  }

  /** Two generate runs on YARN, in mode error: one publishes what local mode generates. */
  @Test
  void racingRunsToOneHdfsOutputPublishExactlyOnce() throws Exception {
    String out = hdfs + "/race";
    String[] args = with(new String[] {"--num-executors", "1", "generate", "--output", out}, SMALL);
    Path logA = dir.resolve("race-a.log");
    Path logB = dir.resolve("race-b.log");
    Process a = submit(logA, "client", args);
    Process b = submit(logB, "client", args);
    List<Integer> statuses = List.of(finish(a, logA), finish(b, logB));
    assertThat(statuses)
        .as("%s\n---\n%s", Files.readString(logA), Files.readString(logB))
        .containsExactlyInAnyOrder(0, 2);
    Path loser = statuses.get(0) == 2 ? logA : logB;
    assertThat(Files.readString(loser))
        .containsPattern(
            "softmax generate: .*(already exists|published by another run|being"
                + " published by another run)");
    assertSameRows(localInput, copyToLocal(out), "logits", 20000);
    assertSameRows(localInput, copyToLocal(out), "grad", 20000);
    assertThat(hiddenSiblings()).noneMatch(n -> n.startsWith(".race."));
  }

  /** A finished submission: its console and its YARN application. */
  record Submission(String console, String application) {}

  /** Submits through scripts/submit.sh to the test cluster and waits for a successful finish. */
  private static Submission submitOk(String deployMode, String... args) throws Exception {
    Path log = Files.createTempFile(dir, "submit-", ".log");
    int status = finish(submit(log, deployMode, args), log);
    String console = Files.readString(log);
    assertThat(status).as(console).isZero();
    return new Submission(console, deployMode.equals("cluster") ? application(console) : null);
  }

  /**
   * Starts scripts/submit.sh against the test cluster in this deploy mode; in client mode its
   * process is the driver JVM. Small containers: the node has 6 GiB for two applications at once.
   */
  private static Process submit(Path log, String deployMode, String... args) throws IOException {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--master",
                "yarn",
                "--deploy-mode",
                deployMode,
                "--driver-memory",
                "768m",
                "--conf",
                "spark.yarn.am.memory=256m",
                "--conf",
                "spark.executor.memory=768m"));
    if (deployMode.equals("client")) {
      // a driver in client mode whose application master registers while it still attaches its
      // web UI can fail to start: YARN's UI filter arrives meanwhile, and Spark 4.2's Jetty throws
      // a ConcurrentModificationException from ServletHandler.initialize (seen once here)
      all.addAll(List.of("--conf", "spark.ui.enabled=false"));
    }
    all.addAll(List.of(args));
    return script(log, "submit.sh", all.toArray(String[]::new));
  }

  private static Process script(Path log, String name, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(List.of("bash", ROOT.resolve("scripts").resolve(name).toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SOFTMAX_HADOOP_DIR", cluster.toString());
    pb.environment().put("HADOOP_CONF_DIR", cluster.resolve("conf").toString());
    // this host's name resolves to a loopback address: without it Spark would take another
    // interface's
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("SOFTMAX_NO_BUILD", "1");
    pb.environment().put("SOFTMAX_LOG_DIR", dir.resolve("logs").toString());
    pb.environment().put("SOFTMAX_CLASS_ARCHIVE", "off");
    pb.environment().remove("SPARK_HOME");
    pb.environment().remove("YARN_CONF_DIR");
    return pb.start();
  }

  private static int finish(Process p, Path log) throws Exception {
    if (!p.waitFor(JOB_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(
          "job did not finish in " + JOB_TIMEOUT + ":\n" + Files.readString(log));
    }
    return p.exitValue();
  }

  private static String application(String console) {
    Matcher m = APPLICATION.matcher(console);
    assertThat(m.find()).as("a YARN application named in:\n%s", console).isTrue();
    return m.group();
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
   * Waits for {@code condition} while the submission {@code p} (its console in {@code log}) runs.
   */
  private static void await(String what, BooleanSupplier condition, Process p, Path log)
      throws Exception {
    await(what, () -> condition.getAsBoolean() || !p.isAlive());
    if (!condition.getAsBoolean()) {
      throw new AssertionError(
          "the submission ended (status "
              + p.waitFor()
              + ") before "
              + what
              + ":\n"
              + Files.readString(log));
    }
  }

  /** Every process of the test cluster: its JVM and the containers, all named by its folder. */
  private static List<ProcessHandle> clusterProcesses() {
    String marker = cluster.toString() + "/";
    return ProcessHandle.allProcesses()
        .filter(h -> h.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .toList();
  }

  private static List<ProcessHandle> javaContainers(String mainClass) {
    return clusterProcesses().stream()
        .filter(h -> h.info().command().orElse("").endsWith("/java"))
        .filter(h -> h.info().commandLine().orElse("").contains(mainClass))
        .toList();
  }

  private static List<ProcessHandle> executors() {
    return javaContainers("YarnCoarseGrainedExecutorBackend");
  }

  /** The JVMs of drivers in cluster mode (the application master runs the job's main). */
  private static List<ProcessHandle> drivers() {
    return javaContainers("org.apache.spark.deploy.yarn.ApplicationMaster");
  }

  private static List<ProcessHandle> containersOf(String application) {
    String container = "container_" + application.substring("application_".length()) + "_";
    return clusterProcesses().stream()
        .filter(h -> h.info().commandLine().orElse("").contains(container))
        .toList();
  }

  /** The NodeManager's log folder of an application's first container: its driver's. */
  private static Path driverLogFolder(String application) throws IOException {
    String container = "container_" + application.substring("application_".length()) + "_01_000001";
    try (Stream<Path> s = Files.walk(cluster.resolve("target"))) {
      return s.filter(p -> p.getFileName().toString().equals(container))
          .filter(p -> Files.exists(p.resolve("stdout")))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no log folder of " + container));
    }
  }

  /** True once a task attempt writes into the output's staging directory in HDFS. */
  private static boolean writing(String output) {
    String name = output.substring(output.lastIndexOf('/') + 1);
    try {
      for (FileStatus s : fs.listStatus(hadoopPath(hdfs + "/"))) {
        if (s.getPath().getName().startsWith("." + name + ".staging-")
            && fs.exists(hadoopPath(s.getPath() + "/_temporary"))) {
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      return false;
    }
  }

  /** Names in HDFS's root that start with a dot: staging, set-aside outputs, publish locks. */
  private static List<String> hiddenSiblings() throws IOException {
    return Arrays.stream(fs.listStatus(hadoopPath(hdfs + "/")))
        .map(s -> s.getPath().getName())
        .filter(n -> n.startsWith("."))
        .toList();
  }

  private static String summary(String output) throws IOException {
    try (var in = fs.open(hadoopPath(output + "/_summary.json"))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A copy of an HDFS dataset in the test's folder, for DuckDB. */
  private static Path copyToLocal(String output) {
    Path local = dir.resolve("from-hdfs").resolve(output.substring(output.lastIndexOf('/') + 1));
    try {
      if (!Files.exists(local)) {
        Files.createDirectories(local.getParent());
        fs.copyToLocalFile(false, hadoopPath(output), hadoopPath(local.toUri().toString()), true);
      }
      return local;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A path for Hadoop's file system API (this class's {@code Path}s are the local disk's). */
  private static org.apache.hadoop.fs.Path hadoopPath(String uri) {
    return new org.apache.hadoop.fs.Path(uri);
  }

  private static String[] with(String[] first, String[] more) {
    return Stream.concat(Arrays.stream(first), Arrays.stream(more)).toArray(String[]::new);
  }
}
