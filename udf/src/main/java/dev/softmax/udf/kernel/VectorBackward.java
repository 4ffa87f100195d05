package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The backward pass from probabilities with the JDK Vector API in double lanes: the same
 * arithmetic as {@link SoftmaxBackward#fromProbs} (the compensated dot product of {@link Dot},
 * one accumulator per lane, the lanes then summed with the same compensation; then one scaled
 * difference per element), float rows read and written as floats without copies. Only loaded when
 * {@link Kernels#VECTOR} is true.
 */
final class VectorBackward {
  private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Float> HALF =
      VectorSpecies.of(float.class, VectorShape.forBitSize(LANES.vectorBitSize() / 2));

  private VectorBackward() {}

  /** {@code out = S * (g - <S, g>) / t}; a NaN row when {@code <S, g>} is not finite. */
  static void fromProbs(double[] s, double[] g, double t, double[] out) {
    int n = s.length;
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector error = sum;
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      DoubleVector a = DoubleVector.fromArray(LANES, s, i);
      DoubleVector b = DoubleVector.fromArray(LANES, g, i);
      DoubleVector p = a.mul(b);
      DoubleVector pError = a.fma(b, p.neg());
      DoubleVector next = sum.add(p);
      DoubleVector z = next.sub(sum);
      error = error.add(sum.sub(next.sub(z)).add(p.sub(z))).add(pError);
      sum = next;
    }
    double[] acc = lanes(sum, error);
    for (; i < n; i++) {
      Dot.add(acc, s[i], g[i]);
    }
    double dot = acc[0] + acc[1];
    if (!Double.isFinite(dot)) {
      java.util.Arrays.fill(out, Double.NaN);
      return;
    }
    DoubleVector d = DoubleVector.broadcast(LANES, dot);
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v = DoubleVector.fromArray(LANES, s, i).mul(DoubleVector.fromArray(LANES, g, i).sub(d));
      (t == Temperature.NONE ? v : v.div(t)).intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = s[i] * (g[i] - dot);
      out[i] = t == Temperature.NONE ? v : v / t;
    }
  }

  /** Float rows: widened lane by lane, computed in double, each result rounded to float once. */
  static void fromProbs(float[] s, float[] g, double t, float[] out) {
    int n = s.length;
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector error = sum;
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      DoubleVector a = widen(s, i);
      DoubleVector b = widen(g, i);
      // the product of two floats is exact in double: no product error term
      DoubleVector p = a.mul(b);
      DoubleVector next = sum.add(p);
      DoubleVector z = next.sub(sum);
      error = error.add(sum.sub(next.sub(z)).add(p.sub(z)));
      sum = next;
    }
    double[] acc = lanes(sum, error);
    for (; i < n; i++) {
      Dot.add(acc, s[i], g[i]);
    }
    double dot = acc[0] + acc[1];
    if (!Double.isFinite(dot)) {
      java.util.Arrays.fill(out, Float.NaN);
      return;
    }
    DoubleVector d = DoubleVector.broadcast(LANES, dot);
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v = widen(s, i).mul(widen(g, i).sub(d));
      ((FloatVector) (t == Temperature.NONE ? v : v.div(t)).convertShape(VectorOperators.D2F, HALF, 0))
          .intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = s[i] * ((double) g[i] - dot);
      out[i] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  /**
   * Float rows from logits: S = softmax(z / t) kept in double in this thread's buffer, then the
   * backward from S and the float gradient, each result rounded to float once.
   */
  static void fromLogits(float[] z, float[] g, double t, float[] out) {
    int n = z.length;
    if (n == 0) {
      return;
    }
    double[] s = VectorSoftmax.scratch(n + 1);
    if (!VectorSoftmax.forwardUnrounded(z, t, s)) {
      java.util.Arrays.fill(out, Float.NaN);
      return;
    }
    int bound = LANES.loopBound(n);
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector error = sum;
    int i = 0;
    for (; i < bound; i += LANES.length()) {
      DoubleVector a = DoubleVector.fromArray(LANES, s, i);
      DoubleVector b = widen(g, i);
      DoubleVector p = a.mul(b);
      DoubleVector pError = a.fma(b, p.neg());
      DoubleVector next = sum.add(p);
      DoubleVector zz = next.sub(sum);
      error = error.add(sum.sub(next.sub(zz)).add(p.sub(zz))).add(pError);
      sum = next;
    }
    double[] acc = lanes(sum, error);
    for (; i < n; i++) {
      Dot.add(acc, s[i], g[i]);
    }
    double dot = acc[0] + acc[1];
    if (!Double.isFinite(dot)) {
      java.util.Arrays.fill(out, Float.NaN);
      return;
    }
    DoubleVector d = DoubleVector.broadcast(LANES, dot);
    for (i = 0; i < bound; i += LANES.length()) {
      DoubleVector v = DoubleVector.fromArray(LANES, s, i).mul(widen(g, i).sub(d));
      ((FloatVector) (t == Temperature.NONE ? v : v.div(t)).convertShape(VectorOperators.D2F, HALF, 0))
          .intoArray(out, i);
    }
    for (; i < n; i++) {
      double v = s[i] * ((double) g[i] - dot);
      out[i] = (float) (t == Temperature.NONE ? v : v / t);
    }
  }

  private static DoubleVector widen(float[] x, int i) {
    return (DoubleVector) FloatVector.fromArray(HALF, x, i).convertShape(VectorOperators.F2D, LANES, 0);
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
