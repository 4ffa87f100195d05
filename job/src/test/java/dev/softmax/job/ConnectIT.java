package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.softmax.job.connect.ConnectClientCheck;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/connect-server.sh starts a Spark Connect server from the Maven jars with the project's
 * jar; the JVM Connect client, in a JVM without Spark SQL or this project, calls the functions.
 */
class ConnectIT {
  private static final Path ROOT =
      Path.of(System.getProperty("softmax.root", "..")).toAbsolutePath();

  @TempDir Path dir;

  private Process script(Path log, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(List.of("bash", ROOT.resolve("scripts/connect-server.sh").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SOFTMAX_CONNECT_DIR", dir.resolve("connect").toString());
    pb.environment().put("SOFTMAX_LOG_DIR", dir.resolve("logs").toString());
    pb.environment().put("SOFTMAX_NO_BUILD", "1");
    pb.environment().put("CONNECT_MEMORY", "1g");
    return pb.start();
  }

  /**
   * The test classpath without the Spark SQL engine, the Connect server and this project: what a
   * client has.
   */
  private static String clientClasspath() {
    String client =
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .filter(
                e ->
                    !e.matches(
                        ".*/spark-(sql|sql-api|catalyst|core|connect|hive)_2\\.1[23]-.*\\.jar"))
            .filter(
                e ->
                    !e.contains("/softmax-udf")
                        && !e.contains("/softmax-job")
                        && !e.matches(".*/(udf|job)/target/[^/]+/classes"))
            .collect(Collectors.joining(File.pathSeparator));
    return client;
  }

  private static Map<String, String> lines(String output) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0 && line.substring(0, eq).matches("[a-z_]+")) {
        m.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return m;
  }

  @Test
  void theJvmClientCallsTheFunctionsPlainAndQualifiedBySqlAndCallFunction() throws Exception {
    assumeTrue(
        ConnectIT.class
                .getClassLoader()
                .getResource("org/apache/spark/sql/connect/service/SparkConnectServer.class")
            != null,
        "this Spark line's build has no Spark Connect server (see job/pom.xml, profile spark-connect)");
    Path startLog = dir.resolve("start.log");
    Process start = script(startLog, "start");
    try {
      assertThat(start.waitFor(3, TimeUnit.MINUTES)).isTrue();
      List<String> out = Files.readAllLines(startLog);
      assertThat(start.exitValue()).as(String.join("\n", out)).isZero();
      String url = out.get(out.size() - 1);
      assertThat(url).matches("sc://127\\.0\\.0\\.1:\\d+");

      Path clientLog = dir.resolve("client.log");
      Process client =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "@" + ROOT.resolve("conf/jvm.options"),
                  "-cp",
                  clientClasspath(),
                  ConnectClientCheck.class.getName(),
                  url)
              .redirectErrorStream(true)
              .redirectOutput(clientLog.toFile())
              .start();
      assertThat(client.waitFor(3, TimeUnit.MINUTES)).isTrue();
      String output = Files.readString(clientLog);
      assertThat(client.exitValue()).as(output).isZero();
      Map<String, String> r = lines(output);
      assertThat(r)
          .as(output)
          .containsEntry("classic_engine_on_classpath", "false")
          .containsEntry("project_on_classpath", "false")
          .containsEntry("rows", "1200")
          .containsEntry("softmax_equal_nn", "1200")
          .containsEntry("backward_equal_nn", "1200")
          .containsEntry("call_function_equal", "1200")
          .containsEntry("quarter", "[0.25, 0.25, 0.25, 0.25]");
      assertThat(Double.parseDouble(r.get("max_row_sum_error"))).isLessThan(1e-6);
      assertThat(Double.parseDouble(r.get("max_gradient_sum"))).isLessThan(1e-6);
      assertThat(r.get("describe"))
          .contains("Function: softmax", "Usage: softmax(logits [, temperature])");
    } finally {
      Process stop = script(dir.resolve("stop.log"), "stop");
      assertThat(stop.waitFor(2, TimeUnit.MINUTES)).isTrue();
    }
    assertThat(
            ProcessHandle.allProcesses()
                .filter(h -> h.info().commandLine().orElse("").contains("SparkConnectServer"))
                .filter(h -> h.info().commandLine().orElse("").contains(dir.toString()))
                .toList())
        .as("no server process is left")
        .isEmpty();
  }
}
