package dev.softmax.udf.kernel;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Softmax and log-softmax with the JDK Vector API in double lanes. Double rows: the same arithmetic
 * as the scalar kernels of {@link Softmax} (z - max carried as a double-double, exp corrected by
 * its low part, a compensated sum), lane by lane, with an exp of its own ({@link VectorExp}, within
 * 2u): so results meet the same accuracy contract, with the same bits whichever compiler runs them.
 * Float rows: plain double arithmetic, as {@link FloatKernels} derives. Running sums are arguments,
 * never receivers ({@link KnownClass} says why). Only loaded when {@link Kernels#VECTOR} is true.
 */
final class VectorSoftmax {
  private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_PREFERRED;

  /** Floats in as many lanes as LANES has doubles: they widen into one double vector. */
  private static final VectorSpecies<Float> HALF =
      VectorSpecies.of(float.class, VectorShape.forBitSize(LANES.vectorBitSize() / 2));

  /** Floats in the preferred shape, for finding the maximum's index. */
  private static final VectorSpecies<Float> WIDE = FloatVector.SPECIES_PREFERRED;

  private VectorSoftmax() {}

  static int lanes() {
    return LANES.length();
  }

  static void forward(double[] z, double t, double[] out) {
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    forwardInto(z, t, out);
  }

  /**
   * The forward pass into {@code out[0..z.length)} ({@code out} may be longer: a {@link Scratch}
   * buffer); false, with that range set to NaN, when the row has no valid softmax.
   */
  static boolean forwardInto(double[] z, double t, double[] out) {
    if (z.length == 0) {
      return true;
    }
    double m = VectorMaximum.of(z);
    if (m != m || Double.isInfinite(m)) {
      Arrays.fill(out, 0, z.length, Double.NaN);
      return false;
    }
    // a compensated (Kahan) sum in every lane; vectors stay in locals so they are never boxed
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector carry = sum;
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      DoubleVector e = term(DoubleVector.fromArray(LANES, z, j), m, t);
      e.intoArray(out, j);
      DoubleVector y = e.sub(carry);
      DoubleVector s = y.add(sum);
      carry = s.sub(sum).sub(y);
      sum = s;
    }
    for (; j < z.length; j++) {
      out[j] = term(z[j], m, t);
    }
    DoubleVector total =
        DoubleVector.broadcast(
            LANES, total(KnownClass.of(sum), KnownClass.of(carry), out, bound, z.length));
    for (j = 0; j < bound; j += LANES.length()) {
      DoubleVector.fromArray(LANES, out, j).div(total).intoArray(out, j);
    }
    for (; j < z.length; j++) {
      out[j] /= total.lane(0);
    }
    return true;
  }

  /**
   * Float rows, in plain double arithmetic (see {@link FloatKernels} for why that keeps the float
   * contract): read as floats and widened lane by lane, rounded to float once at the end. Checked
   * arguments: {@link Softmax#forward(float[], double, float[])} checks them, as {@link
   * SoftmaxBackward} does for {@link VectorBackward} and {@link FloatKernels}.
   */
  static void forward(float[] z, double t, float[] out) {
    double m = VectorMaximum.of(z);
    if (FloatKernels.invalid(m, z.length, out)) {
      return;
    }
    double[] e = Scratch.doubles(z.length);
    DoubleVector sum = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      DoubleVector ej = shifted(widen(z, j), m, t).lanewise(VectorOperators.EXP);
      ej.intoArray(e, j);
      sum = ej.add(sum);
    }
    double total = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; j < z.length; j++) {
      e[j] = Math.exp(shifted(z[j], m, t));
      total += e[j];
    }
    double scale = 1 / total;
    for (j = 0; j < bound; j += LANES.length()) {
      narrow(DoubleVector.fromArray(LANES, e, j).mul(scale)).intoArray(out, j);
    }
    for (; j < z.length; j++) {
      out[j] = (float) (e[j] * scale);
    }
  }

  /**
   * log_softmax(z / t) = (z - m) / t - log(sum): the terms of the forward pass but the maximum's
   * own (exactly 1) summed lane by lane with compensation (not stored), log1p of that sum, as the
   * scalar kernel does, then (z - m) / t as a double-double minus that log, lane by lane.
   */
  static void logForward(double[] z, double t, double[] out) {
    Rows.sameLength("logits", z.length, "output", out.length);
    Temperature.check(t);
    if (z.length == 0) {
      return;
    }
    double m = VectorMaximum.of(z);
    if (m != m || Double.isInfinite(m)) {
      Arrays.fill(out, Double.NaN);
      return;
    }
    double logSum = Math.log1p(sumOfOthers(z, m, t, firstIndexOf(z, m)));
    logOutputs(z, m, t, logSum, out);
  }

  /**
   * The sum of every term of the row but the maximum's own (at {@code arg}), compensated in every
   * lane and across them.
   *
   * <p>Why the log-softmax of double rows is three methods: C2 stops inlining this project's
   * methods into a compilation once it has made about 18,000 nodes (NodeCountInliningCutoff; the
   * Vector API's own methods are exempt), and a vector passed to or returned from a call left out
   * of line is an object. So each loop has a method whose arguments are arrays and scalars, where a
   * call that C2 leaves out of line costs nothing per element, and {@link #logOutputs} writes its
   * arithmetic out in the loop instead of calling a method that takes or returns a vector
   * (docs/performance.md, "C2: the node-count inlining cut-off (2.5-3x slower)").
   */
  private static double sumOfOthers(double[] z, double m, double t, int arg) {
    DoubleVector sum = DoubleVector.zero(LANES);
    DoubleVector carry = sum;
    int bound = LANES.loopBound(z.length);
    // the vector that holds the maximum goes first, so that its own term, exactly 1, is its lane's
    // first and exact, with a carry of 0; taken out of that lane's sum at the end (exactly), it
    // leaves the others' sum with their low bits in the carry (and no blend per element)
    int first = arg < bound ? arg - arg % LANES.length() : 0;
    for (int i = 0; i < bound; i += LANES.length()) {
      int j = first + i < bound ? first + i : first + i - bound;
      DoubleVector y = term(DoubleVector.fromArray(LANES, z, j), m, t).sub(carry);
      DoubleVector s = y.add(sum);
      carry = s.sub(sum).sub(y);
      sum = s;
    }
    double[] acc =
        lanes(KnownClass.of(sum), KnownClass.of(carry), arg < bound ? arg % LANES.length() : -1);
    for (int j = bound; j < z.length; j++) {
      if (j != arg) {
        kahan(acc, term(z[j], m, t));
      }
    }
    return acc[0] - acc[1];
  }

  /**
   * (z - m) / t - logSum for every element, with the low part of (z - m) / t (see {@link
   * #sumOfOthers}).
   */
  private static void logOutputs(double[] z, double m, double t, double logSum, double[] out) {
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      // (z - m) / t - logSum, with the low part of (z - m) / t; -inf where masked: written out
      // here, not in a method of ours that C2 may leave out of line (see sumOfOthers)
      DoubleVector v = DoubleVector.fromArray(LANES, z, j);
      DoubleVector d = v.sub(m);
      DoubleVector b = d.sub(v);
      DoubleVector lo = v.sub(d.sub(b)).add(b.neg().sub(m));
      DoubleVector x = d;
      if (t != Temperature.NONE) {
        x = d.div(t);
        DoubleVector remainder = x.neg().fma(DoubleVector.broadcast(LANES, t), d);
        lo = remainder.add(lo).div(t);
      }
      VectorMask<Double> masked = x.compare(VectorOperators.EQ, Double.NEGATIVE_INFINITY);
      x.sub(logSum).add(lo.blend(0.0, masked)).intoArray(out, j);
    }
    for (; j < z.length; j++) {
      out[j] = shiftedMinus(z[j], m, t, logSum);
    }
  }

  /**
   * Float rows, in plain double arithmetic (see {@link FloatKernels}), rounded to float once.
   * Checked arguments.
   */
  static void logForward(float[] z, double t, float[] out) {
    double m = VectorMaximum.of(z);
    if (FloatKernels.invalid(m, z.length, out)) {
      return;
    }
    int arg = firstIndexOf(z, (float) m);
    DoubleVector sum = DoubleVector.zero(LANES);
    int bound = LANES.loopBound(z.length);
    int j = 0;
    for (; j < bound; j += LANES.length()) {
      sum = withoutLane(shifted(widen(z, j), m, t).lanewise(VectorOperators.EXP), arg - j).add(sum);
    }
    double rest = KnownClass.of(sum).reduceLanes(VectorOperators.ADD);
    for (; j < z.length; j++) {
      rest += j == arg ? 0 : Math.exp(shifted(z[j], m, t));
    }
    double logSum = Math.log1p(rest);
    for (j = 0; j < bound; j += LANES.length()) {
      narrow(shifted(widen(z, j), m, t).sub(logSum)).intoArray(out, j);
    }
    for (; j < z.length; j++) {
      out[j] = (float) (shifted(z[j], m, t) - logSum);
    }
  }

  /** (z - m) / t in every lane, plain double; -inf where masked. */
  static DoubleVector shifted(DoubleVector z, double m, double t) {
    DoubleVector d = z.sub(m);
    return t == Temperature.NONE ? d : d.div(t);
  }

  private static double shifted(float z, double m, double t) {
    return t == Temperature.NONE ? z - m : (z - m) / t;
  }

  /** Double lanes rounded to float. */
  static FloatVector narrow(DoubleVector v) {
    return (FloatVector) v.convertShape(VectorOperators.D2F, HALF, 0);
  }

  static DoubleVector widen(float[] z, int j) {
    return (DoubleVector)
        FloatVector.fromArray(HALF, z, j).convertShape(VectorOperators.F2D, LANES, 0);
  }

  /**
   * The lanes' compensated sums, added into one compensated sum {sum, carry}, less 1 in lane {@code
   * one} (none when it is -1): the maximum's own term, taken out of the lane's sum that holds it
   * (which is then at least 1, so the subtraction is exact), while that lane's carry keeps the low
   * bits of its other terms.
   */
  private static double[] lanes(DoubleVector sum, DoubleVector carry, int one) {
    double[] acc = new double[2];
    for (int k = 0; k < LANES.length(); k++) {
      kahan(acc, k == one ? sum.lane(k) - 1 : sum.lane(k));
      kahan(acc, -carry.lane(k));
    }
    return acc;
  }

  /**
   * The first index of {@code m} in {@code z}: the maximum whose own term (exactly 1) log1p leaves
   * out.
   */
  private static int firstIndexOf(double[] z, double m) {
    int bound = LANES.loopBound(z.length);
    for (int j = 0; j < bound; j += LANES.length()) {
      VectorMask<Double> hit = DoubleVector.fromArray(LANES, z, j).compare(VectorOperators.EQ, m);
      if (hit.anyTrue()) {
        return j + hit.firstTrue();
      }
    }
    int j = bound;
    while (z[j] != m) {
      j++;
    }
    return j;
  }

  /**
   * The same for float rows, a vector of lanes at a time: a scalar scan costs a visible share of
   * the row (docs/performance.md, "The row's maximum").
   */
  private static int firstIndexOf(float[] z, float m) {
    int bound = WIDE.loopBound(z.length);
    for (int j = 0; j < bound; j += WIDE.length()) {
      VectorMask<Float> hit = FloatVector.fromArray(WIDE, z, j).compare(VectorOperators.EQ, m);
      if (hit.anyTrue()) {
        return j + hit.firstTrue();
      }
    }
    int j = bound;
    while (z[j] != m) {
      j++;
    }
    return j;
  }

  /**
   * {@code v} with lane {@code lane} set to 0 when it is a lane of this vector: the maximum's term,
   * left out of the sum so that log1p of the others keeps their full precision (the sum with the 1
   * in it would carry them to only about an ulp of 1).
   */
  static DoubleVector withoutLane(DoubleVector v, int lane) {
    return lane >= 0 && lane < LANES.length()
        ? v.blend(0.0, VectorMask.fromLong(LANES, 1L << lane))
        : v;
  }

  /**
   * (z - m) / t - logSum for one element (the tail of a row), as {@link #logOutputs} computes it in
   * lanes.
   */
  private static double shiftedMinus(double z, double m, double t, double logSum) {
    double d = z - m;
    double x = t == Temperature.NONE ? d : d / t;
    return x == Double.NEGATIVE_INFINITY ? x : (x - logSum) + Softmax.lowPart(z, m, d, t, x);
  }

  /** exp((z - m) / t) in every lane, corrected by the low part of (z - m) / t; 0 where masked. */
  private static DoubleVector term(DoubleVector v, double m, double t) {
    DoubleVector d = v.sub(m);
    // TwoSum: the rounding error of z - m
    DoubleVector b = d.sub(v);
    DoubleVector lo = v.sub(d.sub(b)).add(b.neg().sub(m));
    DoubleVector x = d;
    if (t != Temperature.NONE) {
      x = d.div(t);
      DoubleVector remainder = x.neg().fma(DoubleVector.broadcast(LANES, t), d);
      lo = remainder.add(lo).div(t);
    }
    VectorMask<Double> masked = x.compare(VectorOperators.EQ, Double.NEGATIVE_INFINITY);
    DoubleVector hi = VectorExp.of(x);
    return hi.fma(lo.blend(0.0, masked), hi);
  }

  /** The same term for one element (the tail of a row). */
  private static double term(double z, double m, double t) {
    double d = z - m;
    double x = t == Temperature.NONE ? d : d / t;
    if (x == Double.NEGATIVE_INFINITY) {
      return 0;
    }
    double hi = Math.exp(x);
    return Math.fma(hi, Softmax.lowPart(z, m, d, t, x), hi);
  }

  /** The lanes' compensated sums and the tail {@code e[from..to)}, summed with compensation. */
  private static double total(DoubleVector sum, DoubleVector carry, double[] e, int from, int to) {
    double[] acc = lanes(sum, carry, -1);
    for (int j = from; j < to; j++) {
      kahan(acc, e[j]);
    }
    return acc[0];
  }

  /** Adds {@code term} to the compensated sum {@code acc = {sum, carry}}. */
  private static void kahan(double[] acc, double term) {
    double y = term - acc[1];
    double s = acc[0] + y;
    acc[1] = (s - acc[0]) - y;
    acc[0] = s;
  }
}
