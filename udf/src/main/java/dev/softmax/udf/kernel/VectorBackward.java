package dev.softmax.udf.kernel;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The backward passes (from probabilities, from logits, from log-probabilities) with the JDK Vector
 * API in double lanes. Double rows: the same arithmetic as the scalar kernels of {@link
 * SoftmaxBackward} (the compensated dot product or sum of {@link Dot}, one accumulator per lane,
 * the lanes then summed with the same compensation). Float rows: plain double arithmetic, as {@link
 * FloatKernels} derives, read and written as floats without copies. Only loaded when {@link
 * Kernels#VECTOR} is true. Running sums are arguments, never receivers ({@link KnownClass} says
 * why).
 */
final class VectorBackward {
  private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_PREFERRED;

  private VectorBackward() {}

  /**
   * {@code out = S * (g - <S, g>) / t}; a NaN row when {@code <S, g>} is not finite. The row's
   * length is {@code g}'s: {@code s} may be longer (a {@link Scratch} buffer).
   */
  static void fromProbs(double[] s, double[] g, double t, double[] out) {
    int n = g.length;
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector error = sum;
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      DoubleVector a = DoubleVector.fromArray(LANES, s, i);
      DoubleVector b = DoubleVector.fromArray(LANES, g, i);
      DoubleVector p = a.mul(b);
      DoubleVector pError = a.fma(b, p.neg());
      DoubleVector next = p.add(sum);
      DoubleVector z = next.sub(sum);
      // sum - (next - z), written as -((next - z) - sum): the same value, sum not the receiver
      error = next.sub(z).sub(sum).neg().add(p.sub(z)).add(error).add(pError);
      sum = next;
    }
    double[] acc = lanes(KnownClass.of(sum), KnownClass.of(error));
    for (; i < n; i++) {
      Dot.add(acc, s[i], g[i]);
    }
    double dot = acc[0] + acc[1];
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Double.NaN);
      return;
    }
    DoubleVector d = DoubleVector.broadcast(LANES, dot);
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v =
          DoubleVector.fromArray(LANES, s, i).mul(DoubleVector.fromArray(LANES, g, i).sub(d));
      (t == Temperature.NONE ? v : v.div(t)).intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = s[i] * (g[i] - dot);
      out[i] = t == Temperature.NONE ? v : v / t;
    }
  }

  /**
   * Double rows from logits: S in this thread's {@link Scratch} buffer, then {@link #fromProbs}.
   */
  static void fromLogits(double[] z, double[] g, double t, double[] out) {
    double[] s = Scratch.doubles(z.length);
    if (VectorSoftmax.forwardInto(z, t, s)) {
      fromProbs(s, g, t, out);
    } else {
      Arrays.fill(out, Double.NaN);
    }
  }

  /**
   * Float rows, in plain double arithmetic (see {@link FloatKernels}): the products of two floats
   * are exact in double, summed in one partial sum per lane; each result rounded to float once.
   */
  static void fromProbs(float[] s, float[] g, double t, float[] out) {
    int n = s.length;
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      sum = VectorSoftmax.widen(s, i).fma(VectorSoftmax.widen(g, i), sum);
    }
    double dot = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      dot += (double) s[i] * g[i];
    }
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v = VectorSoftmax.widen(s, i).mul(VectorSoftmax.widen(g, i).sub(dot));
      VectorSoftmax.narrow(t == Temperature.NONE ? v : v.div(t)).intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = s[i] * (g[i] - dot);
      out[i] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  /**
   * Float rows from logits, in plain double arithmetic (see {@link FloatKernels}): the terms e_j =
   * exp(x_j) with their sum and <e, g> in one pass (the terms kept in this thread's {@link Scratch}
   * buffer), then <S, g> = <e, g> / sum and S_j (g_j - <S, g>) / t with S_j = e_j / sum.
   */
  static void fromLogits(float[] z, float[] g, double t, float[] out) {
    int n = z.length;
    double m = VectorMaximum.of(z);
    if (FloatKernels.invalid(m, n, out)) {
      return;
    }
    double[] e = Scratch.doubles(n);
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector weighted = sum;
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      DoubleVector ei =
          VectorSoftmax.shifted(VectorSoftmax.widen(z, i), m, t).lanewise(VectorOperators.EXP);
      ei.intoArray(e, i);
      sum = ei.add(sum);
      weighted = ei.fma(VectorSoftmax.widen(g, i), weighted);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    double dotE = KnownClass.of(weighted).reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      double x = z[i] - m;
      e[i] = Math.exp(t == Temperature.NONE ? x : x / t);
      total += e[i];
      dotE += e[i] * g[i];
    }
    double dot = dotE / total;
    if (!Double.isFinite(dot)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    double scale = 1 / total;
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v =
          DoubleVector.fromArray(LANES, e, i).mul(scale).mul(VectorSoftmax.widen(g, i).sub(dot));
      VectorSoftmax.narrow(t == Temperature.NONE ? v : v.div(t)).intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = e[i] * scale * (g[i] - dot);
      out[i] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  /**
   * The log-softmax backward on double rows: {@code (g - exp(y) * sum(g)) / t}, the sum of g
   * compensated in every lane (as the scalar kernel's {@link Dot#sum}), the lanes then added with
   * the same compensation. A NaN row when the sum is not finite.
   */
  static void fromLogProbs(double[] y, double[] g, double t, double[] out) {
    int n = y.length;
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector error = sum;
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      DoubleVector v = DoubleVector.fromArray(LANES, g, i);
      DoubleVector next = v.add(sum);
      DoubleVector z = next.sub(sum);
      error = next.sub(z).sub(sum).neg().add(v.sub(z)).add(error);
      sum = next;
    }
    double[] acc = lanes(KnownClass.of(sum), KnownClass.of(error));
    for (; i < n; i++) {
      Dot.add(acc, g[i], 1.0);
    }
    double total = acc[0] + acc[1];
    if (!Double.isFinite(total)) {
      Arrays.fill(out, Double.NaN);
      return;
    }
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v =
          DoubleVector.fromArray(LANES, g, i)
              .sub(VectorExp.of(DoubleVector.fromArray(LANES, y, i)).mul(total));
      (t == Temperature.NONE ? v : v.div(t)).intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = g[i] - Math.exp(y[i]) * total;
      out[i] = t == Temperature.NONE ? v : v / t;
    }
  }

  /**
   * The log-softmax backward on float rows, in plain double arithmetic (see {@link FloatKernels}).
   */
  static void fromLogProbs(float[] y, float[] g, double t, float[] out) {
    int n = y.length;
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      sum = VectorSoftmax.widen(g, i).add(sum);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; i < n; i++) {
      total += g[i];
    }
    if (!Double.isFinite(total)) {
      Arrays.fill(out, Float.NaN);
      return;
    }
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v =
          VectorSoftmax.widen(g, i)
              .sub(VectorSoftmax.widen(y, i).lanewise(VectorOperators.EXP).mul(total));
      VectorSoftmax.narrow(t == Temperature.NONE ? v : v.div(t)).intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = g[i] - Math.exp(y[i]) * total;
      out[i] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  /** The lanes' sums, added with compensation into {sum, error}, and their errors. */
  private static double[] lanes(DoubleVector sum, DoubleVector error) {
    double[] acc = new double[2];
    for (int k = 0; k < LANES.length(); k++) {
      Dot.add(acc, sum.lane(k), 1.0);
      acc[1] += error.lane(k);
    }
    return acc;
  }
}
