package dev.softmax.job;

/**
 * Deterministic pseudo-random normal values: value j of row {@code id} depends only on (seed, id,
 * j, stream), never on how Spark partitions the work.
 */
final class SyntheticValues {
  private SyntheticValues() {}

  /** SplitMix64's finalizer: a bijective mix of 64 bits. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static double uniform(long seed, long id, int j, int stream, int draw) {
    long h = mix(mix(mix(mix(seed) + id) + j) + (stream * 2L + draw));
    return ((h >>> 11) + 1) * 0x1p-53; // in (0, 1]
  }

  /** A standard normal value by the Box-Muller transform. */
  static double normal(long seed, long id, int j, int stream) {
    double u1 = uniform(seed, id, j, stream, 0);
    double u2 = uniform(seed, id, j, stream, 1);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  static float[] floats(long seed, long id, int width, int stream, double scale) {
    float[] x = new float[width];
    for (int j = 0; j < width; j++) {
      x[j] = (float) (scale * normal(seed, id, j, stream));
    }
    return x;
  }

  static double[] doubles(long seed, long id, int width, int stream, double scale) {
    double[] x = new double[width];
    for (int j = 0; j < width; j++) {
      x[j] = scale * normal(seed, id, j, stream);
    }
    return x;
  }
}
