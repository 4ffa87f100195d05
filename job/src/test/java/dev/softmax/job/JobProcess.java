package dev.softmax.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The job in a JVM of its own (the test classpath, conf/jvm.options), to be killed, signalled or
 * raced.
 */
record JobProcess(Process process, Path log) {
  /**
   * The JUnit tag of tests that start drivers in JVMs of their own; {@code scripts/test.sh --unit}
   * leaves them out.
   */
  static final String TAG = "driver-process";

  static final Path ROOT = Path.of(System.getProperty("softmax.root", "..")).toAbsolutePath();

  /**
   * Starts {@code SoftmaxJob} with these system properties and arguments; stdout and stderr go to
   * {@code log}.
   */
  static JobProcess start(Path log, Map<String, String> properties, String... args)
      throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + ROOT.resolve("conf/jvm.options"),
                "-Xmx1g",
                "-Dspark.ui.enabled=false",
                "-Dspark.master=local[2]",
                "-Dlog4j2.configurationFile="
                    + ROOT.resolve("job/src/test/resources/log4j2-test.properties")));
    properties.forEach((k, v) -> command.add("-D" + k + "=" + v));
    command.addAll(
        List.of("-cp", System.getProperty("java.class.path"), SoftmaxJob.class.getName()));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new JobProcess(p, log);
  }

  /** Waits for the process (at most three minutes) and returns its exit status. */
  int await() throws InterruptedException {
    if (!process.waitFor(3, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IllegalStateException("the job did not finish in 3 minutes; log:\n" + output());
    }
    return process.exitValue();
  }

  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Sends a signal by name (INT, TERM) to the process. */
  void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start();
    kill.waitFor();
  }
}
