package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The vector kernel runs where the module is, the scalar one where it is not, with one contract.
 */
class KernelsTest {
  @Test
  void vectorKernelRunsUnderTheProjectJvmOptions() {
    // conf/jvm.options adds jdk.incubator.vector, and the tests run with it
    assertThat(Kernels.VECTOR).isTrue();
    assertThat(Kernels.name()).startsWith("vector (jdk.incubator.vector, ");
  }

  private static String kernelOfAJvmWith(String... options)
      throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    var command = new ArrayList<>(List.of(java));
    command.addAll(List.of(options));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), Kernels.class.getName()));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).isZero();
    return out;
  }

  @Test
  void withoutTheModuleTheScalarKernelRunsByItself() throws Exception {
    assertThat(kernelOfAJvmWith()).isEqualTo("scalar");
    assertThat(kernelOfAJvmWith("--add-modules=jdk.incubator.vector")).startsWith("vector");
    assertThat(kernelOfAJvmWith("--add-modules=jdk.incubator.vector", "-Dsoftmax.kernel=scalar"))
        .isEqualTo("scalar");
  }

  @Test
  void bothKernelsKeepTheEdgeCaseContract() {
    double inf = Double.POSITIVE_INFINITY;
    List<double[]> rows =
        List.of(
            new double[0],
            new double[] {5},
            new double[] {1, Double.NaN, 2},
            new double[] {1, inf, 2},
            new double[] {-inf, -inf, -inf},
            new double[] {1e308, -1e308, 1e308},
            new double[] {0, -inf, 0, -inf, 0, -inf, 0, -inf, 0, -inf, 0, 1e-300},
            new double[] {
              3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3
            });
    for (double[] z : rows) {
      double[] scalar = new double[z.length];
      double[] vector = new double[z.length];
      Softmax.scalarForward(z, 1.0, scalar);
      VectorSoftmax.forward(z, 1.0, vector);
      float[] zf = RandomRows.toFloats(z);
      float[] scalarF = new float[z.length];
      float[] vectorF = new float[z.length];
      FloatKernels.forward(zf, 1.0, scalarF);
      VectorSoftmax.forward(zf, 1.0, vectorF);
      for (int i = 0; i < z.length; i++) {
        if (Float.isNaN(scalarF[i])) {
          assertThat(vectorF[i]).isNaN();
        } else {
          assertThat(Math.abs(vectorF[i] - scalarF[i])).isLessThanOrEqualTo(Math.ulp(scalarF[i]));
        }
        if (Double.isNaN(scalar[i])) {
          assertThat(vector[i]).as("row %s", Arrays.toString(z)).isNaN();
        } else {
          assertThat(Math.abs(vector[i] - scalar[i]))
              .as("row %s", Arrays.toString(z))
              .isLessThanOrEqualTo(4 * Math.ulp(scalar[i]));
        }
      }
    }
  }

  /**
   * Log-softmax and both backward passes: the vector kernels against the scalar ones (which the
   * accuracy tests check against the double-double reference when the JVM has no Vector API), on
   * the edge rows and random rows of widths 1 to 300, with and without a temperature.
   */
  @Test
  void theVectorLogSoftmaxAndBackwardsAgreeWithTheScalarOnes() {
    double inf = Double.POSITIVE_INFINITY;
    List<double[]> rows =
        new ArrayList<>(
            List.of(
                new double[0],
                new double[] {5},
                new double[] {1, Double.NaN, 2},
                new double[] {1, inf, 2},
                new double[] {-inf, -inf, -inf},
                new double[] {1e308, -1e308, 1e308},
                new double[] {0, -inf, 0, -inf, 0, -inf, 0, -inf, 0, -inf, 0, 1e-300},
                new double[] {0, -800, -800, -800, -800, -800, -800, -800, -800, -800},
                new double[] {
                  3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3
                }));
    Random random = new Random(7);
    for (int width = 1; width <= 300; width += 13) {
      double[] z = new double[width];
      for (int i = 0; i < width; i++) {
        z[i] = random.nextGaussian() * (1 + width % 40);
      }
      rows.add(z);
    }
    for (double t : new double[] {1.0, 0.7, 3.0}) {
      for (double[] z : rows) {
        int n = z.length;
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
          g[i] = random.nextGaussian();
        }
        double[] s = new double[n];
        Softmax.scalarForward(z, t, s);
        String row = "t=" + t + " row " + Arrays.toString(z);

        double[] scalar = new double[n];
        double[] vector = new double[n];
        Softmax.scalarLogForward(z, t, scalar);
        VectorSoftmax.logForward(z, t, vector);
        assertClose(row + " log_softmax", scalar, vector, 4);
        SoftmaxBackward.scalarFromProbs(s, g, t, scalar);
        VectorBackward.fromProbs(s, g, t, vector);
        assertCloseAbsolute(row + " from probs", scalar, vector, s, g, 4);

        float[] zf = RandomRows.toFloats(z);
        float[] gf = RandomRows.toFloats(g);
        float[] sf = RandomRows.toFloats(s);
        float[] scalarF = new float[n];
        float[] vectorF = new float[n];
        FloatKernels.logForward(zf, t, scalarF);
        VectorSoftmax.logForward(zf, t, vectorF);
        assertCloseFloats(row + " log_softmax float", scalarF, vectorF, null, null, 0);
        // each float backward is within (n/k + k + ...) u of the terms' scale of the exact value
        // (FloatRowsTest); two of them, summed in different orders, within twice that of each other
        double sums = 2 * (n + 8 + 6 * Math.log(n + 1) + 2 * maxAbs(z, t) + 32) / t;
        FloatKernels.fromProbs(sf, gf, t, scalarF);
        VectorBackward.fromProbs(sf, gf, t, vectorF);
        assertCloseFloats(row + " from probs float", scalarF, vectorF, s, g, sums);
        FloatKernels.fromLogits(zf, gf, t, scalarF);
        VectorBackward.fromLogits(zf, gf, t, vectorF);
        assertCloseFloats(row + " from logits float", scalarF, vectorF, s, g, sums);
        SoftmaxBackward.scalarFromLogits(z, g, t, scalar);
        VectorBackward.fromLogits(z, g, t, vector);
        double[] y = new double[n];
        Softmax.scalarLogForward(z, t, y);
        SoftmaxBackward.scalarFromLogProbs(y, g, t, scalar);
        VectorBackward.fromLogProbs(y, g, t, vector);
        // each is held to the double backward's contract, (2 ceil(log2 L) + 4) u of the scale, so
        // within twice that of each other (as from logits below); the two sum in different
        // orders, and a fixed 8 ulps failed at L = 40
        assertCloseAbsolute(
            row + " from log-probs",
            scalar,
            vector,
            s,
            g,
            2 * (2 * (32 - Integer.numberOfLeadingZeros(Math.max(n - 1, 1))) + 4));
        float[] yf = RandomRows.toFloats(y);
        FloatKernels.fromLogProbs(yf, gf, t, scalarF);
        VectorBackward.fromLogProbs(yf, gf, t, vectorF);
        assertCloseFloats(row + " from log-probs float", scalarF, vectorF, s, g, sums);
        // S differs by a few ulps between the two forward kernels: each is held to the double
        // backward's contract, (2 ceil(log2 L) + 4) u of the scale, so within twice that of each
        // other
        assertCloseAbsolute(
            row + " from logits",
            scalar,
            vector,
            s,
            g,
            2 * (2 * (32 - Integer.numberOfLeadingZeros(Math.max(n - 1, 1))) + 4));
      }
    }
  }

  private static void assertClose(String what, double[] expected, double[] actual, int ulps) {
    for (int i = 0; i < expected.length; i++) {
      if (Double.isNaN(expected[i])) {
        assertThat(actual[i]).as("%s [%d]", what, i).isNaN();
      } else if (Double.isInfinite(expected[i])) {
        assertThat(actual[i]).as("%s [%d]", what, i).isEqualTo(expected[i]);
      } else {
        assertThat(Math.abs(actual[i] - expected[i]))
            .as("%s [%d]", what, i)
            .isLessThanOrEqualTo(ulps * Math.ulp(expected[i]));
      }
    }
  }

  /**
   * The backward's entries are S_i (g_i - <S, g>): a difference, so both kernels are held to a few
   * ulps of the terms' scale, S_i (|g_i| + |<S, g>|), not of the (possibly cancelled) result.
   */
  private static void assertCloseAbsolute(
      String what, double[] expected, double[] actual, double[] s, double[] g, int ulps) {
    double dot = 0;
    for (int i = 0; i < s.length; i++) {
      dot += Math.abs(s[i] * g[i]);
    }
    for (int i = 0; i < expected.length; i++) {
      if (Double.isNaN(expected[i])) {
        assertThat(actual[i]).as("%s [%d]", what, i).isNaN();
      } else {
        double scale = Math.abs(s[i]) * (Math.abs(g[i]) + dot);
        assertThat(Math.abs(actual[i] - expected[i]))
            .as("%s [%d]", what, i)
            .isLessThanOrEqualTo(ulps * Math.ulp(scale));
      }
    }
  }

  /** The largest finite |z_j - max| / t of a row: it sizes the error bound of its exponentials. */
  private static double maxAbs(double[] z, double t) {
    double m = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      m = Math.max(m, v);
    }
    double max = 0;
    for (double v : z) {
      double x = Math.abs((v - m) / t);
      max = Double.isFinite(x) ? Math.max(max, x) : max;
    }
    return max;
  }

  /**
   * Float results rounded once from double: at most one float ulp apart; for the backward (with
   * {@code s} and {@code g}), or {@code sums} double ulps of the terms' scale where the difference
   * cancels.
   */
  private static void assertCloseFloats(
      String what, float[] expected, float[] actual, double[] s, double[] g, double sums) {
    double dot = 0;
    for (int i = 0; s != null && i < s.length; i++) {
      dot += Math.abs(s[i] * g[i]);
    }
    for (int i = 0; i < expected.length; i++) {
      if (Float.isNaN(expected[i])) {
        assertThat(actual[i]).as("%s [%d]", what, i).isNaN();
      } else if (Float.isInfinite(expected[i])) {
        assertThat(actual[i]).as("%s [%d]", what, i).isEqualTo(expected[i]);
      } else {
        double tolerance = Math.ulp(expected[i]);
        if (s != null) {
          tolerance = Math.max(tolerance, sums * 0x1p-53 * Math.abs(s[i]) * (Math.abs(g[i]) + dot));
        }
        assertThat((double) Math.abs(actual[i] - expected[i]))
            .as("%s [%d]", what, i)
            .isLessThanOrEqualTo(tolerance);
      }
    }
  }
}
