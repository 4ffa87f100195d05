package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels give the same bits whichever compiler runs them: Java's arithmetic is exact or
 * correctly rounded, but the Vector API leaves the exponential and the order of a lane reduction to
 * the implementation, and its implementations differ between C2 (intrinsics: SVML's exp on x86) and
 * the interpreter and C1 (Java code, {@link Math#exp} per lane). A task's output must not depend on
 * whether C2 had compiled the kernel yet when the task ran.
 */
class SameBitsTest {
  @Test
  void theKernelsGiveTheSameBitsInterpretedByC1AndCompiledByC2() throws Exception {
    // C1 only: no Vector API intrinsics, every vector operation runs its Java code
    List<String> c1 = bits(1, "-XX:TieredStopAtLevel=1");
    // C2 only, compiling in the foreground once a method has run 200 times: the later rounds run
    // C2's code, and its log of compilations shows that the kernels' loops were compiled
    List<String> c2 =
        bits(
            30,
            "-XX:-TieredCompilation",
            "-XX:CompileThreshold=200",
            "-Xbatch",
            "-XX:+PrintCompilation");
    assertThat(c1.get(0)).startsWith("vector");
    assertThat(c1).hasSizeGreaterThan(15);
    List<String> compiled = c2.stream().filter(line -> line.contains("::")).toList();
    for (String kernel :
        List.of(
            "VectorSoftmax::forwardInto",
            "VectorSoftmax::sumOfOthers",
            "VectorSoftmax::logOutputs",
            "VectorBackward::fromProbs",
            "VectorBackward::fromLogProbs")) {
      assertThat(compiled).as("C2's compilations").anyMatch(line -> line.contains(kernel));
    }
    assertThat(c2.stream().filter(line -> !line.contains("::")).toList()).isEqualTo(c1);
  }

  private static List<String> bits(int rounds, String... options)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    var command = new ArrayList<>(List.of(java, "--add-modules=jdk.incubator.vector"));
    command.addAll(List.of(options));
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            KernelBits.class.getName(),
            String.valueOf(rounds)));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("exit status of %s", command).isZero();
    return out.lines().toList();
  }
}
