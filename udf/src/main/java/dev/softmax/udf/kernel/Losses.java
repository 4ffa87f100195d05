package dev.softmax.udf.kernel;

import java.util.Arrays;

/**
 * Training losses over one row of logits, with PyTorch's semantics ({@code F.cross_entropy}, {@code
 * F.kl_div} as used for distillation), and their gradients with respect to the logits.
 *
 * <p>Each loss is built on the log-softmax and softmax kernels ({@link Softmax}), so it shares
 * their accuracy and their semantics: NaN or +inf in the logits gives a NaN loss (and a NaN
 * gradient row), a row of only -inf gives NaN, and -inf is a masked class. {@code 0 * log 0} is 0
 * wherever a target or teacher probability is 0. Float rows are widened to double, computed by the
 * double kernels and rounded once, so a float result is within one float ulp of the exact value on
 * the loss's scale {@code 1 + |loss|} (and on {@code T (S_j + |q_j|)} for a gradient element): the
 * double computation's error is a few double ulp of that scale.
 *
 * <p>Sums over a row are compensated. Every term of the entropy and of a cross-entropy is of one
 * sign, so no sum here loses digits to cancellation; the distillation loss is a difference of
 * log-probabilities weighted by the teacher's probabilities, exact to a few ulp of {@code T^2 sum
 * p_j |log p_j - log q_j|}.
 */
public final class Losses {
  /**
   * PyTorch's default {@code ignore_index}: a label that marks a row (or token) that counts not.
   */
  public static final long DEFAULT_IGNORE_INDEX = -100;

  private Losses() {}

  /**
   * The cross-entropy of logits {@code z} against class {@code label}: {@code -log softmax(z)_y},
   * or with label smoothing {@code e}: {@code -(1 - e) log S_y - (e / L) sum_j log S_j}. 0 for the
   * ignore index; +inf when the label's class is masked (-inf), or when {@code e > 0} and any class
   * is.
   *
   * @throws IllegalArgumentException when the label is neither in [0, L) nor the ignore index, or
   *     {@code e} is not in [0, 1]
   */
  public static double crossEntropy(double[] z, long label, long ignoreIndex, double smoothing) {
    if (label == ignoreIndex) {
      return 0;
    }
    int y = checkLabel(label, z.length, ignoreIndex);
    checkSmoothing(smoothing);
    double[] logS = Scratch.lossRow(0, z.length);
    Softmax.logForward(z, Temperature.NONE, logS);
    double nll = -logS[y];
    if (smoothing == 0) {
      return nll;
    }
    Sum all = new Sum();
    for (double l : logS) {
      all.add(l);
    }
    double mean = -all.value() / z.length;
    return (1 - smoothing) * nll + smoothing * mean;
  }

  /** {@link #crossEntropy(double[], long, long, double)} of a float row, rounded once. */
  public static float crossEntropy(float[] z, long label, long ignoreIndex, double smoothing) {
    double m = fusedMaximum(z);
    if (label == ignoreIndex || !Double.isFinite(m)) {
      return (float) crossEntropy(widen(z), label, ignoreIndex, smoothing);
    }
    int y = checkLabel(label, z.length, ignoreIndex);
    checkSmoothing(smoothing);
    double logSum = VectorLosses.logSum(z, m, Temperature.NONE);
    double nll = logSum - (z[y] - m);
    if (smoothing == 0) {
      return (float) nll;
    }
    double mean = logSum - VectorLosses.sumShifted(z, m) / z.length;
    return (float) ((1 - smoothing) * nll + smoothing * mean);
  }

  /**
   * Writes {@code upstream * dL/dz} of {@link #crossEntropy(double[], long, long, double)} into
   * {@code out}: {@code upstream * (S_j - q_j)} with {@code q} the smoothed one-hot target; zeros
   * for the ignore index.
   */
  public static void crossEntropyBackward(
      double[] z, long label, long ignoreIndex, double smoothing, double upstream, double[] out) {
    Rows.sameLength("logits", z.length, "output", out.length);
    if (label == ignoreIndex) {
      Arrays.fill(out, 0);
      return;
    }
    int y = checkLabel(label, z.length, ignoreIndex);
    checkSmoothing(smoothing);
    Softmax.forward(z, Temperature.NONE, out);
    double off = smoothing / z.length;
    for (int j = 0; j < out.length; j++) {
      double q = j == y ? (1 - smoothing) + off : off;
      out[j] = upstream * (out[j] - q);
    }
  }

  /** {@link #crossEntropyBackward(double[], long, long, double, double, double[])} on floats. */
  public static void crossEntropyBackward(
      float[] z, long label, long ignoreIndex, double smoothing, double upstream, float[] out) {
    Rows.sameLength("logits", z.length, "output", out.length);
    double m = fusedMaximum(z);
    if (label != ignoreIndex && Double.isFinite(m)) {
      int y = checkLabel(label, z.length, ignoreIndex);
      checkSmoothing(smoothing);
      double off = smoothing / z.length;
      VectorLosses.oneHotBackward(z, m, y, 1 - smoothing, off, upstream, out);
      return;
    }
    double[] wide = new double[z.length];
    crossEntropyBackward(widen(z), label, ignoreIndex, smoothing, upstream, wide);
    narrow(wide, out);
  }

  /**
   * The cross-entropy against probability targets {@code q} (soft labels): {@code -sum_j q_j log
   * softmax(z)_j}, a class with {@code q_j = 0} adding 0 even where it is masked.
   */
  public static double crossEntropy(double[] z, double[] q) {
    Rows.sameLength("logits", z.length, "target_probs", q.length);
    double[] logS = Scratch.lossRow(0, z.length);
    Softmax.logForward(z, Temperature.NONE, logS);
    if (z.length > 0 && Double.isNaN(logS[0])) {
      // a row with no softmax is NaN throughout, whatever classes the targets skip
      return Double.NaN;
    }
    return -weightedSum(q, logS);
  }

  /** {@link #crossEntropy(double[], double[])} of float rows, rounded once. */
  public static float crossEntropy(float[] z, float[] q) {
    Rows.sameLength("logits", z.length, "target_probs", q.length);
    double m = fusedMaximum(z);
    if (!Double.isFinite(m)) {
      return (float) crossEntropy(widen(z), widen(q));
    }
    return (float) VectorLosses.weightedNll(z, q, m, VectorLosses.logSum(z, m, Temperature.NONE));
  }

  /**
   * Writes {@code upstream * dL/dz} of {@link #crossEntropy(double[], double[])} into {@code out}:
   * {@code upstream * (S_j sum(q) - q_j)}.
   */
  public static void crossEntropyBackward(double[] z, double[] q, double upstream, double[] out) {
    Rows.sameLength("logits", z.length, "target_probs", q.length);
    Rows.sameLength("logits", z.length, "output", out.length);
    Softmax.forward(z, Temperature.NONE, out);
    Sum sum = new Sum();
    for (double v : q) {
      sum.add(v);
    }
    double total = sum.value();
    for (int j = 0; j < out.length; j++) {
      out[j] = upstream * Math.fma(out[j], total, -q[j]);
    }
  }

  /** {@link #crossEntropyBackward(double[], double[], double, double[])} on floats. */
  public static void crossEntropyBackward(float[] z, float[] q, double upstream, float[] out) {
    Rows.sameLength("logits", z.length, "target_probs", q.length);
    Rows.sameLength("logits", z.length, "output", out.length);
    double m = fusedMaximum(z);
    if (Double.isFinite(m)) {
      VectorLosses.targetsBackward(z, q, m, upstream, out);
      return;
    }
    double[] wide = new double[z.length];
    crossEntropyBackward(widen(z), widen(q), upstream, wide);
    narrow(wide, out);
  }

  /**
   * The distillation loss of student logits {@code z} against teacher logits {@code t} at
   * temperature {@code T} (Hinton et al.): {@code T^2 KL(p || q) = T^2 sum_j p_j (log p_j - log
   * q_j)} with {@code p = softmax(t / T)}, {@code q = softmax(z / T)}; a class with {@code p_j = 0}
   * adds 0.
   */
  public static double klDistill(double[] z, double[] t, double temperature) {
    Rows.sameLength("student_logits", z.length, "teacher_logits", t.length);
    Temperature.check(temperature);
    double[] logP = Scratch.lossRow(0, t.length);
    double[] logQ = Scratch.lossRow(1, z.length);
    Softmax.logForward(t, temperature, logP);
    Softmax.logForward(z, temperature, logQ);
    Sum sum = new Sum();
    for (int j = 0; j < z.length; j++) {
      double lp = logP[j];
      double p = Math.exp(lp);
      // p = 0 (masked, or underflowed) adds 0 even where the student's class is masked
      if (p != 0) {
        sum.add(p * (lp - logQ[j]));
      }
    }
    return temperature * temperature * sum.value();
  }

  /** {@link #klDistill(double[], double[], double)} of float rows, rounded once. */
  public static float klDistill(float[] z, float[] t, double temperature) {
    Rows.sameLength("student_logits", z.length, "teacher_logits", t.length);
    Temperature.check(temperature);
    double mz = fusedMaximum(z);
    double mt = fusedMaximum(t);
    if (!Double.isFinite(mz) || !Double.isFinite(mt)) {
      return (float) klDistill(widen(z), widen(t), temperature);
    }
    double lz = VectorLosses.logSum(z, mz, temperature);
    double lt = VectorLosses.logSum(t, mt, temperature);
    return (float) (temperature * temperature * VectorLosses.kl(z, t, mz, mt, lz, lt, temperature));
  }

  /**
   * Writes {@code upstream * dL/dz} of {@link #klDistill(double[], double[], double)} into {@code
   * out}: {@code upstream * T (softmax(z / T) - softmax(t / T))}.
   */
  public static void klDistillBackward(
      double[] z, double[] t, double temperature, double upstream, double[] out) {
    Rows.sameLength("student_logits", z.length, "teacher_logits", t.length);
    Rows.sameLength("student_logits", z.length, "output", out.length);
    double[] p = Scratch.lossRow(0, t.length);
    Softmax.forward(t, temperature, p);
    Softmax.forward(z, temperature, out);
    double scale = upstream * temperature;
    for (int j = 0; j < out.length; j++) {
      out[j] = scale * (out[j] - p[j]);
    }
  }

  /** {@link #klDistillBackward(double[], double[], double, double, double[])} on floats. */
  public static void klDistillBackward(
      float[] z, float[] t, double temperature, double upstream, float[] out) {
    Rows.sameLength("student_logits", z.length, "teacher_logits", t.length);
    Rows.sameLength("student_logits", z.length, "output", out.length);
    double[] wide = new double[z.length];
    klDistillBackward(widen(z), widen(t), temperature, upstream, wide);
    narrow(wide, out);
  }

  /**
   * The entropy {@code -sum_j S_j log S_j} of {@code S = softmax(z / T)}, masked classes adding 0.
   * NaN for an empty row, as the softmax of nothing is not a distribution.
   */
  public static double entropy(double[] z, double temperature) {
    Temperature.check(temperature);
    if (z.length == 0) {
      return Double.NaN;
    }
    double[] logS = Scratch.lossRow(0, z.length);
    double[] s = Scratch.lossRow(1, z.length);
    Softmax.logForward(z, temperature, logS);
    Softmax.forward(z, temperature, s);
    Sum sum = new Sum();
    for (int j = 0; j < z.length; j++) {
      double l = logS[j];
      if (l != Double.NEGATIVE_INFINITY) {
        sum.add(-s[j] * l);
      }
    }
    return sum.value();
  }

  /** {@link #entropy(double[], double)} of a float row, rounded once. */
  public static float entropy(float[] z, double temperature) {
    Temperature.check(temperature);
    double m = fusedMaximum(z);
    if (!Double.isFinite(m)) {
      return (float) entropy(widen(z), temperature);
    }
    return (float) VectorLosses.entropy(z, m, temperature);
  }

  /**
   * The {@code k} most probable classes of {@code softmax(z / T)}, largest first, ties to the lower
   * index: writes their indices into {@code index} and their probabilities into {@code prob} and
   * returns how many there are, {@code min(k, L)}. A row with no softmax (NaN, +inf, all -inf)
   * gives the first {@code min(k, L)} indices with probability NaN.
   */
  public static int topK(double[] z, int k, double temperature, int[] index, double[] prob) {
    Temperature.check(temperature);
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0; got " + k);
    }
    int n = Math.min(k, z.length);
    if (n == 0) {
      return 0;
    }
    double[] logS = Scratch.lossRow(0, z.length);
    Softmax.logForward(z, temperature, logS);
    if (Double.isNaN(logS[0])) {
      for (int i = 0; i < n; i++) {
        index[i] = i;
        prob[i] = Double.NaN;
      }
      return n;
    }
    TopIndices.largest(logS, n, index);
    for (int i = 0; i < n; i++) {
      prob[i] = Math.exp(logS[index[i]]);
    }
    return n;
  }

  /** {@link #topK(double[], int, double, int[], double[])} of a float row. */
  public static int topK(float[] z, int k, double temperature, int[] index, double[] prob) {
    Temperature.check(temperature);
    double m = fusedMaximum(z);
    int n = Math.min(k, z.length);
    if (k < 0 || n == 0 || !Double.isFinite(m)) {
      return topK(widen(z), k, temperature, index, prob);
    }
    double logSum = VectorLosses.logSum(z, m, temperature);
    if (n <= TopIndices.INSERTION_LIMIT) {
      VectorLosses.largest(z, n, index);
    } else {
      TopIndices.largest(z, n, index);
    }
    for (int i = 0; i < n; i++) {
      double x = z[index[i]] - m;
      prob[i] = Math.exp((temperature == Temperature.NONE ? x : x / temperature) - logSum);
    }
    return n;
  }

  /**
   * The row's maximum for the fused float kernels ({@link VectorLosses}): NaN when there is no
   * Vector API or the row holds a NaN, -inf for an empty or all-masked row. A row with no finite
   * maximum takes the double kernels, which give every such row its semantics.
   */
  private static double fusedMaximum(float[] z) {
    return Kernels.VECTOR ? VectorMaximum.of(z) : Double.NaN;
  }

  private static int checkLabel(long label, int classes, long ignoreIndex) {
    if (label < 0 || label >= classes) {
      throw new IllegalArgumentException(
          "label "
              + label
              + " is outside [0, "
              + classes
              + ") and is not the ignore index "
              + ignoreIndex);
    }
    return (int) label;
  }

  private static void checkSmoothing(double smoothing) {
    if (!(smoothing >= 0 && smoothing <= 1)) {
      throw new IllegalArgumentException("label_smoothing must be in [0, 1]; got " + smoothing);
    }
  }

  /** {@code sum_j w_j x_j} over the classes with {@code w_j != 0}, compensated. */
  private static double weightedSum(double[] w, double[] x) {
    Sum sum = new Sum();
    for (int j = 0; j < w.length; j++) {
      if (w[j] != 0) {
        sum.add(w[j] * x[j]);
      }
    }
    return sum.value();
  }

  /**
   * A compensated sum (Neumaier's) that gives the plain sum's infinity or NaN where a term is not
   * finite: compensation would turn inf - inf into NaN.
   */
  private static final class Sum {
    private double sum;
    private double error;
    private double plain;

    void add(double v) {
      plain += v;
      double s = sum + v;
      error += Math.abs(sum) >= Math.abs(v) ? (sum - s) + v : (v - s) + sum;
      sum = s;
    }

    double value() {
      return Double.isFinite(plain) ? sum + error : plain;
    }
  }

  private static double[] widen(float[] x) {
    double[] out = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      out[j] = x[j];
    }
    return out;
  }

  private static void narrow(double[] x, float[] out) {
    for (int j = 0; j < x.length; j++) {
      out[j] = (float) x[j];
    }
  }
}
