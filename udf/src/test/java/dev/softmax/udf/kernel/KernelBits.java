package dev.softmax.udf.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.zip.CRC32;

/**
 * Prints a CRC of the bits every kernel on double rows gives on a fixed set of rows, after running
 * the whole set {@code args[0]} times. {@link SameBitsTest} compares what JVMs that run the kernels
 * in different compilers print.
 */
final class KernelBits {
  private KernelBits() {}

  public static void main(String[] args) {
    int rounds = Integer.parseInt(args[0]);
    Map<String, Long> crcs = new LinkedHashMap<>();
    for (int round = 0; round < rounds; round++) {
      crcs.clear();
      run(crcs);
    }
    System.out.println(Kernels.name());
    crcs.forEach((name, crc) -> System.out.println(name + " " + Long.toHexString(crc)));
  }

  /** One round: every kernel on every (row, gradient) pair, with and without a temperature. */
  private static void run(Map<String, Long> crcs) {
    List<double[][]> rows = rows();
    for (double t : new double[] {1.0, 0.7}) {
      put(crcs, "forward t=" + t, rows, (z, g) -> out(z.length, o -> Softmax.forward(z, t, o)));
      put(
          crcs,
          "log_softmax t=" + t,
          rows,
          (z, g) -> out(z.length, o -> Softmax.logForward(z, t, o)));
      put(
          crcs,
          "backward from logits t=" + t,
          rows,
          (z, g) -> out(z.length, o -> SoftmaxBackward.fromLogits(z, g, t, o)));
      // the probabilities and log-probabilities given are the scalar kernels', whose bits no
      // compiler changes, so that this compares the backward kernel alone
      put(
          crcs,
          "backward from probs t=" + t,
          rows,
          (z, g) -> {
            double[] s = out(z.length, o -> Softmax.scalarForward(z, t, o));
            return out(z.length, o -> SoftmaxBackward.fromProbs(s, g, t, o));
          });
      put(
          crcs,
          "backward from log-probs t=" + t,
          rows,
          (z, g) -> {
            double[] y = out(z.length, o -> Softmax.scalarLogForward(z, t, o));
            return out(z.length, o -> SoftmaxBackward.fromLogProbs(y, g, t, o));
          });
      put(crcs, "entropy t=" + t, rows, (z, g) -> new double[] {Losses.entropy(z, t)});
      put(crcs, "kl_distill t=" + t, rows, (z, g) -> new double[] {Losses.klDistill(z, g, t)});
      put(
          crcs,
          "kl_distill backward t=" + t,
          rows,
          (z, g) -> out(z.length, o -> Losses.klDistillBackward(z, g, t, 0.5, o)));
    }
    put(
        crcs,
        "cross_entropy",
        rows,
        (z, g) -> new double[] {Losses.crossEntropy(z, z.length / 2, -100, 0.1)});
    put(
        crcs,
        "cross_entropy backward",
        rows,
        (z, g) ->
            out(z.length, o -> Losses.crossEntropyBackward(z, z.length / 2, -100, 0.1, 1.5, o)));
    put(
        crcs,
        "cross_entropy with target probabilities",
        rows,
        (z, g) -> {
          double[] q = out(g.length, o -> Softmax.scalarForward(g, 1, o));
          return new double[] {Losses.crossEntropy(z, q)};
        });
  }

  private static double[] out(int length, Consumer<double[]> kernel) {
    double[] o = new double[length];
    kernel.accept(o);
    return o;
  }

  /** The CRC of a kernel's outputs over every row, under its name. */
  private static void put(
      Map<String, Long> crcs,
      String name,
      List<double[][]> rows,
      BiFunction<double[], double[], double[]> kernel) {
    CRC32 crc = new CRC32();
    for (double[][] row : rows) {
      for (double v : kernel.apply(row[0], row[1])) {
        long bits = Double.doubleToRawLongBits(v);
        for (int i = 0; i < 8; i++) {
          crc.update((int) (bits >>> (8 * i)));
        }
      }
    }
    crcs.put(name, crc.getValue());
  }

  /**
   * (logits, gradient) pairs of widths 1 to 300 at every scale of {@link RandomRows} (even seeds
   * with masked entries), and a row whose exponentials are subnormal or 0.
   */
  static List<double[][]> rows() {
    List<double[][]> rows = new ArrayList<>();
    for (int width = 1; width <= 300; width += 7) {
      double scale = RandomRows.SCALES[width % RandomRows.SCALES.length];
      rows.add(
          new double[][] {RandomRows.logits(width, scale, width), RandomRows.grads(width, width)});
    }
    double[] deep = new double[40];
    for (int i = 1; i < deep.length; i++) {
      deep[i] = -700 - 1.5 * i;
    }
    rows.add(new double[][] {deep, deep.clone()});
    return rows;
  }
}
