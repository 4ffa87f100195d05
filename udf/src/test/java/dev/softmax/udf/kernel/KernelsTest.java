package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The vector kernel runs where the module is, the scalar one where it is not, with one contract. */
class KernelsTest {
  @Test
  void vectorKernelRunsUnderTheProjectJvmOptions() {
    // conf/jvm.options adds jdk.incubator.vector, and the tests run with it
    assertThat(Kernels.VECTOR).isTrue();
    assertThat(Kernels.name()).startsWith("vector (jdk.incubator.vector, ");
  }

  private static String kernelOfAJvmWith(String... options) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    var command = new java.util.ArrayList<>(List.of(java));
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
    assertThat(kernelOfAJvmWith("--add-modules=jdk.incubator.vector", "-Dsoftmax.kernel=scalar")).isEqualTo("scalar");
  }

  @Test
  void bothKernelsKeepTheEdgeCaseContract() {
    double inf = Double.POSITIVE_INFINITY;
    List<double[]> rows = List.of(new double[0], new double[] {5}, new double[] {1, Double.NaN, 2},
        new double[] {1, inf, 2}, new double[] {-inf, -inf, -inf}, new double[] {1e308, -1e308, 1e308},
        new double[] {0, -inf, 0, -inf, 0, -inf, 0, -inf, 0, -inf, 0, 1e-300},
        new double[] {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3});
    for (double[] z : rows) {
      double[] scalar = new double[z.length];
      double[] vector = new double[z.length];
      Softmax.scalarForward(z, 1.0, scalar);
      VectorSoftmax.forward(z, 1.0, vector);
      float[] zf = RandomRows.toFloats(z);
      float[] scalarF = new float[z.length];
      float[] vectorF = new float[z.length];
      Rows.viaDouble(zf, 1.0, scalarF, Softmax::scalarForward);
      VectorSoftmax.forward(zf, 1.0, vectorF);
      for (int i = 0; i < z.length; i++) {
        if (Float.isNaN(scalarF[i])) {
          assertThat(vectorF[i]).isNaN();
        } else {
          assertThat(Math.abs(vectorF[i] - scalarF[i])).isLessThanOrEqualTo(Math.ulp(scalarF[i]));
        }
        if (Double.isNaN(scalar[i])) {
          assertThat(vector[i]).as("row %s", java.util.Arrays.toString(z)).isNaN();
        } else {
          assertThat(Math.abs(vector[i] - scalar[i])).as("row %s", java.util.Arrays.toString(z))
              .isLessThanOrEqualTo(4 * Math.ulp(scalar[i]));
        }
      }
    }
  }
}
