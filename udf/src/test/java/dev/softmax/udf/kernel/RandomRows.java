package dev.softmax.udf.kernel;

import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** Seeded random rows for accuracy tests; every case names its seed so a failure can be rerun. */
final class RandomRows {
  static final int[] WIDTHS = {1, 2, 3, 7, 64, 1000, 10_000, 100_000};
  static final double[] SCALES = {1e-3, 1, 30, 1e3};

  private RandomRows() {}

  /** (width, scale, seed) for every width and logit scale. */
  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (int w : WIDTHS) {
      for (int s = 0; s < SCALES.length; s++) {
        b.add(Arguments.of(w, SCALES[s], 7919L * w + s));
      }
    }
    return b.build();
  }

  /** Normal logits of the given scale; for even seeds every 7th entry (width > 2) is masked. */
  static double[] logits(int width, double scale, long seed) {
    Random r = new Random(seed);
    double[] z = new double[width];
    for (int j = 0; j < width; j++) {
      z[j] = scale * r.nextGaussian();
      if (seed % 2 == 0 && width > 2 && j % 7 == 3) {
        z[j] = Double.NEGATIVE_INFINITY;
      }
    }
    return z;
  }

  /** Upstream gradients: normal, of mixed magnitudes. */
  static double[] grads(int width, long seed) {
    Random r = new Random(~seed);
    double[] g = new double[width];
    for (int j = 0; j < width; j++) {
      g[j] = r.nextGaussian() * Math.pow(10, r.nextInt(5) - 2);
    }
    return g;
  }

  static float[] toFloats(double[] x) {
    float[] f = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      f[i] = (float) x[i];
    }
    return f;
  }

  static double[] toDoubles(float[] x) {
    return Rows.widen(x);
  }
}
