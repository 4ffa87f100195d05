package dev.softmax.udf.bench;

import dev.softmax.udf.kernel.Kernels;
import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link KernelBenchmark} twice, with the vector kernels and with the scalar fallback, and
 * prints ns per element as two Markdown tables: in each cell the median of the measured iterations,
 * which a burst of other work on a shared machine moves less than the mean JMH reports, and in
 * brackets the fastest iteration, the least disturbed by it (other work only ever adds time), with
 * the share of CPU time the host took for other guests meanwhile ({@link CpuSteal}). {@code
 * KernelBench quick|full}: quick is one fork of 7 short iterations (about three minutes), full two
 * forks of 5 iterations of 1 s (about twenty-five minutes).
 */
public final class KernelBench {
  private KernelBench() {}

  /** The loss kernels and the kernels their targets compare them with (mode {@code losses}). */
  private static final String LOSSES =
      "KernelBenchmark\\.(forward|backwardFromLogits|crossEntropy|crossEntropyBackward)(Float|Double)$"
          + "|KernelBenchmark\\.(entropyFloat|topFiveFloat)$";

  public static void main(String[] args) throws RunnerException {
    if (args.length > 0 && args[0].equals("losses")) {
      System.out.println(losses());
      return;
    }
    boolean full = args.length > 0 && args[0].equals("full");
    StringBuilder md = new StringBuilder();
    md.append(table(full, Kernels.name(), new String[0]));
    // the fallback executors run without the Vector API module, forced here in the same JVM
    md.append('\n')
        .append(
            table(
                full,
                "scalar (the fallback without jdk.incubator.vector; forced with"
                    + " -Dsoftmax.kernel=scalar)",
                new String[] {"-Dsoftmax.kernel=scalar"}));
    System.out.println(md);
  }

  /**
   * The loss kernels at L = 256, 4,096 and 262,144 (two forks of 5 iterations of half a second),
   * and the targets as ratios of medians: the cross-entropy and its backward against the
   * forward and the backward from logits, top-5 against the forward.
   */
  private static String losses() throws RunnerException {
    Map<String, Map<Integer, Double>> medians = new TreeMap<>();
    String md =
        table(
            new OptionsBuilder()
                .include(LOSSES)
                .param("width", "256", "4096", "262144")
                .forks(2)
                .warmupIterations(3)
                .warmupTime(TimeValue.milliseconds(500))
                .measurementIterations(5)
                .measurementTime(TimeValue.milliseconds(500))
                .jvmArgsPrepend(jvmArgs()),
            Kernels.name(),
            medians);
    StringBuilder out = new StringBuilder(md).append('\n');
    out.append("| ratio of medians (target <= 1) | L = 256 | L = 4096 | L = 262144 |\n");
    out.append("| --- | ---: | ---: | ---: |\n");
    for (String type : new String[] {"Float", "Double"}) {
      out.append("| (crossEntropy + crossEntropyBackward) / (forward + backwardFromLogits), ")
          .append(type.toLowerCase(Locale.ROOT))
          .append(" |");
      for (int w : new int[] {256, 4096, 262144}) {
        double loss =
            medians.get("crossEntropy" + type).get(w)
                + medians.get("crossEntropyBackward" + type).get(w);
        double base =
            medians.get("forward" + type).get(w) + medians.get("backwardFromLogits" + type).get(w);
        out.append(String.format(Locale.ROOT, " %.2f |", loss / base));
      }
      out.append('\n');
    }
    out.append("| topFiveFloat / forwardFloat |");
    for (int w : new int[] {256, 4096, 262144}) {
      out.append(
          String.format(
              Locale.ROOT,
              " %.2f |",
              medians.get("topFiveFloat").get(w) / medians.get("forwardFloat").get(w)));
    }
    return out.append('\n').toString();
  }

  /** One JMH run of every kernel, with {@code extra} JVM options, as a Markdown table. */
  private static String table(boolean full, String kernel, String[] extra) throws RunnerException {
    ChainedOptionsBuilder options =
        new OptionsBuilder()
            .include(KernelBenchmark.class.getSimpleName())
            .forks(full ? 2 : 1)
            .warmupIterations(3)
            .warmupTime(TimeValue.milliseconds(full ? 1000 : 300))
            .measurementIterations(full ? 5 : 7)
            .measurementTime(TimeValue.milliseconds(full ? 1000 : 200))
            .jvmArgsPrepend(jvmArgs())
            .jvmArgsAppend(extra);
    return table(options, kernel, new TreeMap<>());
  }

  /**
   * Runs {@code options} and gives ns per element as a Markdown table; {@code medians} takes each
   * kernel's median per width.
   */
  private static String table(
      ChainedOptionsBuilder options, String kernel, Map<String, Map<Integer, Double>> medians)
      throws RunnerException {
    CpuSteal start = CpuSteal.now();
    Collection<RunResult> results = new Runner(options.build()).run();
    double steal = CpuSteal.now().percentSince(start);

    Map<String, Map<Integer, String>> table = new TreeMap<>();
    for (RunResult r : results) {
      String name = r.getParams().getBenchmark().replaceAll(".*\\.", "");
      int width = Integer.parseInt(r.getParams().getParam("width"));
      double[] scores = sortedScores(r);
      medians.computeIfAbsent(name, k -> new TreeMap<>()).put(width, median(scores) / width);
      table
          .computeIfAbsent(name, k -> new TreeMap<>())
          .put(
              width,
              String.format(Locale.ROOT, "%.2f (%.2f)", median(scores) / width, scores[0] / width));
    }
    StringBuilder md = new StringBuilder();
    md.append(
            "Kernel ns per element (JMH average time per row / L: median of iterations (fastest iteration); kernel: ")
        .append(kernel)
        .append(String.format(Locale.ROOT, "; CPU steal during the run: %.1f%%", steal))
        .append(")\n\n| kernel |");
    Map<Integer, String> any = table.values().iterator().next();
    any.keySet().forEach(w -> md.append(" L = ").append(w).append(" |"));
    md.append("\n| --- |");
    any.keySet().forEach(w -> md.append(" ---: |"));
    md.append('\n');
    table.forEach(
        (name, byWidth) -> {
          md.append("| ").append(name).append(" |");
          byWidth.values().forEach(ns -> md.append(' ').append(ns).append(" |"));
          md.append('\n');
        });
    return md.toString();
  }

  /** The scores of a run's measured iterations, over all its forks, fastest first. */
  private static double[] sortedScores(RunResult r) {
    return r.getBenchmarkResults().stream()
        .flatMap(b -> b.getIterationResults().stream())
        .mapToDouble(i -> i.getPrimaryResult().getScore())
        .sorted()
        .toArray();
  }

  private static double median(double[] scores) {
    int half = scores.length / 2;
    return scores.length % 2 == 1 ? scores[half] : (scores[half - 1] + scores[half]) / 2;
  }

  /** The forked JVMs get the same options as this one (the Vector API module among them). */
  private static String[] jvmArgs() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("--add-") || a.startsWith("-D") || a.startsWith("-XX"))
        .toArray(String[]::new);
  }
}
