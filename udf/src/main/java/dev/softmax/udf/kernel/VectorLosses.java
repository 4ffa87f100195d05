package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The losses of float rows with the Vector API, fused: each reads the row in a pass for its maximum
 * and one for its exponentials, and writes only what it returns (no probability row for a loss).
 * Plain double arithmetic on the widened floats, rounded once, as {@link VectorSoftmax}'s float
 * kernels ({@link FloatKernels} derives why that keeps the float contract); every term summed here
 * has one sign, except in the distillation loss, where the float contract leaves the double error
 * of {@code T^2 sum p_j |log p_j - log q_j|} far below a float ulp of {@code 1 + |loss|}. A
 * loop-carried vector is an argument, never a receiver ({@link KnownClass}), and each loop is a
 * method of arrays and scalars (docs/performance.md, "C2: the node-count inlining cut-off (2.5-3x
 * slower)").
 */
final class VectorLosses {
  private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;

  private VectorLosses() {}

  /**
   * {@code log sum_j exp((z_j - m) / t)} of a row whose maximum {@code m} is finite (at least 0:
   * the maximum's own term is 1).
   */
  static double logSum(float[] z, double m, double t) {
    DoubleVector sum = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      sum =
          VectorSoftmax.shifted(VectorSoftmax.widen(z, j), m, t)
              .lanewise(VectorOperators.EXP)
              .add(sum);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; j < z.length; j++) {
      total += Math.exp(shifted(z[j], m, t));
    }
    return Math.log(total);
  }

  /** {@code sum_j (z_j - m)}: -inf when a class is masked. */
  static double sumShifted(float[] z, double m) {
    DoubleVector sum = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      sum = VectorSoftmax.widen(z, j).sub(m).add(sum);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; j < z.length; j++) {
      total += z[j] - m;
    }
    return total;
  }

  /**
   * {@code -sum_j q_j log S_j = sum_j q_j (logSum - (z_j - m))} over the classes with {@code q_j !=
   * 0}: every term is >= 0 for a probability vector.
   */
  static double weightedNll(float[] z, float[] q, double m, double logSum) {
    double sum = 0;
    for (int j = 0; j < z.length; j++) {
      if (q[j] != 0) {
        sum += q[j] * (logSum - (z[j] - m));
      }
    }
    return sum;
  }

  /**
   * Writes {@code upstream * (softmax(z)_j * total - q_j)} into {@code out}, with {@code q_j = off}
   * for every class but {@code y}, {@code q_y = off + hot} (a smoothed one-hot target: total 1),
   * rounded once.
   */
  static void oneHotBackward(
      float[] z, double m, int y, double hot, double off, double upstream, float[] out) {
    double[] e = Scratch.doubles(z.length);
    double total = exps(z, m, 1, e);
    double scale = upstream / total;
    double shift = -upstream * off;
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      VectorSoftmax.narrow(
              DoubleVector.fromArray(LANES, e, j).lanewise(VectorOperators.FMA, scale, shift))
          .intoArray(out, j);
    }
    for (; j < z.length; j++) {
      out[j] = (float) Math.fma(e[j], scale, shift);
    }
    out[y] = (float) (upstream * (e[y] / total - off - hot));
  }

  /** Writes {@code upstream * (softmax(z)_j * sum(q) - q_j)} into {@code out}, rounded once. */
  static void targetsBackward(float[] z, float[] q, double m, double upstream, float[] out) {
    double[] e = Scratch.doubles(z.length);
    double total = exps(z, m, 1, e);
    double sumQ = sum(q);
    double scale = upstream * sumQ / total;
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      DoubleVector s = DoubleVector.fromArray(LANES, e, j);
      DoubleVector qj = VectorSoftmax.widen(q, j).mul(-upstream);
      VectorSoftmax.narrow(
              s.lanewise(VectorOperators.FMA, DoubleVector.broadcast(LANES, scale), qj))
          .intoArray(out, j);
    }
    for (; j < z.length; j++) {
      out[j] = (float) Math.fma(e[j], scale, -upstream * q[j]);
    }
  }

  /**
   * The entropy {@code log s - (1 / s) sum_j e_j (z_j - m) / t} of {@code softmax(z / t)}, {@code
   * e_j = exp((z_j - m) / t)}, {@code s = sum e_j}: both parts are >= 0, a masked class adds 0.
   */
  static double entropy(float[] z, double m, double t) {
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector weighted = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      DoubleVector d = VectorSoftmax.shifted(VectorSoftmax.widen(z, j), m, t);
      DoubleVector e = d.lanewise(VectorOperators.EXP);
      VectorMask<Double> masked = e.compare(VectorOperators.EQ, 0.0);
      sum = e.add(sum);
      weighted = e.mul(d).blend(0.0, masked).add(weighted);
    }
    double s = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    double w = KnownClass.of(weighted).reduceLanes(VectorOperators.ADD);
    for (; j < z.length; j++) {
      double d = shifted(z[j], m, t);
      double e = Math.exp(d);
      s += e;
      w += e == 0 ? 0 : e * d;
    }
    return Math.log(s) - w / s;
  }

  /**
   * {@code sum_j p_j (log p_j - log q_j)} with {@code log p_j = (t_j - mt) / T - lt}, {@code log
   * q_j = (z_j - mz) / T - lz}; a class with {@code p_j = 0} adds 0.
   */
  static double kl(
      float[] z, float[] teacher, double mz, double mt, double lz, double lt, double temperature) {
    DoubleVector sum = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      DoubleVector logP =
          VectorSoftmax.shifted(VectorSoftmax.widen(teacher, j), mt, temperature).sub(lt);
      DoubleVector logQ = VectorSoftmax.shifted(VectorSoftmax.widen(z, j), mz, temperature).sub(lz);
      DoubleVector p = logP.lanewise(VectorOperators.EXP);
      VectorMask<Double> none = p.compare(VectorOperators.EQ, 0.0);
      sum = p.mul(logP.sub(logQ)).blend(0.0, none).add(sum);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; j < z.length; j++) {
      double logP = shifted(teacher[j], mt, temperature) - lt;
      double p = Math.exp(logP);
      if (p != 0) {
        total += p * (logP - (shifted(z[j], mz, temperature) - lz));
      }
    }
    return total;
  }

  /**
   * Writes the indices of the {@code n} largest values of {@code z} (no NaN, {@code n} at most
   * {@link TopIndices}' insertion limit) into {@code top}, largest first, ties to the lower index:
   * a block of lanes is looked at one by one only when one of them beats the smallest value held.
   */
  static void largest(float[] z, int n, int[] top) {
    int size = 0;
    int j = 0;
    for (; j < z.length && size < n; j++) {
      size = TopIndices.offer(z, n, top, size, j);
    }
    // j is where the list filled up, not a multiple of the lanes: blocks from there
    for (; j + FLOATS.length() <= z.length; j += FLOATS.length()) {
      if (beats(z, j, z[top[n - 1]])) {
        for (int i = j; i < j + FLOATS.length(); i++) {
          size = TopIndices.offer(z, n, top, size, i);
        }
      }
    }
    for (; j < z.length; j++) {
      size = TopIndices.offer(z, n, top, size, j);
    }
  }

  private static boolean beats(float[] z, int j, float smallest) {
    return FloatVector.fromArray(FLOATS, z, j).compare(VectorOperators.GT, smallest).anyTrue();
  }

  /** Sets {@code e_j = exp((z_j - m) / t)} and returns their sum. */
  private static double exps(float[] z, double m, double t, double[] e) {
    DoubleVector sum = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      DoubleVector ej =
          VectorSoftmax.shifted(VectorSoftmax.widen(z, j), m, t).lanewise(VectorOperators.EXP);
      ej.intoArray(e, j);
      sum = ej.add(sum);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; j < z.length; j++) {
      e[j] = Math.exp(shifted(z[j], m, t));
      total += e[j];
    }
    return total;
  }

  private static double sum(float[] x) {
    DoubleVector sum = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(x.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      sum = VectorSoftmax.widen(x, j).add(sum);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; j < x.length; j++) {
      total += x[j];
    }
    return total;
  }

  private static double shifted(float z, double m, double t) {
    return t == Temperature.NONE ? z - m : (z - m) / t;
  }
}
