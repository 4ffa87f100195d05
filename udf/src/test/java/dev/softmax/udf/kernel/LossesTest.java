package dev.softmax.udf.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The losses and their gradients against the double-double {@link Reference} on random rows,
 * against central finite differences, and their edge cases (PyTorch's semantics).
 *
 * <p>The contract (DESIGN.md, "Numerics"): a double loss within 1e-13 of the exact value on the
 * scale {@code 1 + |loss|}, a float loss within one float ulp of that scale; a double gradient
 * element within {@code (2 ceil(log2 L) + 4) u} of the scale {@code T (S_j + |q_j|)}, with S the
 * student's softmax at T and q the target, a float one within one float ulp of it.
 */
class LossesTest {
  private static final double U = 0x1p-53;
  private static final double LOSS_RELATIVE = 1e-13;
  private static final double NEG_INF = Double.NEGATIVE_INFINITY;
  private static final double NAN = Double.NaN;
  private static final long IGNORE = Losses.DEFAULT_IGNORE_INDEX;
  private static final double[] SMOOTHINGS = {0, 0.1};
  private static final double[] TEMPERATURES = {0.5, 1, 2};

  /** DESIGN.md's backward bound on its scale: (2 ceil(log2 L) + 4) u. */
  private static double gradientBound(int width) {
    int log2 = width <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(width - 1);
    return (2 * log2 + 4) * U;
  }

  // ---- accuracy on random rows, double ----

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void doubleCrossEntropyWithLabelsMatchesTheReference(int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    int y = label(z, seed);
    Exact ref = Exact.of(z, 1);
    for (double e : SMOOTHINGS) {
      String what = "seed " + seed + ", label " + y + ", smoothing " + e;
      assertDoubleLoss(
          Losses.crossEntropy(z, y, IGNORE, e), ref.crossEntropy(y, e), what + ", loss");
      double[] dz = new double[width];
      Losses.crossEntropyBackward(z, y, IGNORE, e, 1.0, dz);
      DoubleDouble[] q = smoothedOneHot(width, y, e);
      assertDoubleGradient(dz, ref.minus(q, 1), ref.gradientScale(q, 1), what + ", gradient");
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void doubleCrossEntropyWithProbabilityTargetsMatchesTheReference(
      int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    double[] q = targets(z, seed);
    Exact ref = Exact.of(z, 1);
    String what = "seed " + seed;
    assertDoubleLoss(Losses.crossEntropy(z, q), ref.softCrossEntropy(q), what + ", loss");
    double[] dz = new double[width];
    Losses.crossEntropyBackward(z, q, 1.0, dz);
    assertDoubleGradient(
        dz, ref.softGradient(q), ref.gradientScale(Reference.exact(q), 1), what + ", gradient");
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void doubleEntropyMatchesTheReference(int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    for (double t : TEMPERATURES) {
      assertDoubleLoss(Losses.entropy(z, t), Exact.of(z, t).entropy(), "seed " + seed + ", T " + t);
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void doubleDistillationMatchesTheReference(int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    double[] teacher = teacher(z, scale, seed);
    for (double t : TEMPERATURES) {
      String what = "seed " + seed + ", T " + t;
      Exact student = Exact.of(z, t);
      Exact p = Exact.of(teacher, t);
      assertDoubleLoss(Losses.klDistill(z, teacher, t), student.distillation(p), what + ", loss");
      double[] dz = new double[width];
      Losses.klDistillBackward(z, teacher, t, 1.0, dz);
      assertDoubleGradient(
          dz, student.minus(p.s, t), student.gradientScale(p.s, t), what + ", gradient");
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void topKMatchesTheOrderOfTheLogitsAndTheReferenceProbabilities(
      int width, double scale, long seed) {
    double[] z = RandomRows.logits(width, scale, seed);
    // the softmax is monotone in z: the order of the logits, ties to the lower index, is exact
    Integer[] order = IntStream.range(0, width).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.<Integer>comparingDouble(j -> -z[j]).thenComparingInt(j -> j));
    DoubleDouble[] s = Reference.softmax(z, 1.5);
    for (int k : new int[] {5, 100}) {
      int[] index = new int[k];
      double[] prob = new double[k];
      int n = Losses.topK(z, k, 1.5, index, prob);
      assertThat(n).isEqualTo(Math.min(k, width));
      for (int i = 0; i < n; i++) {
        String what = "seed " + seed + ", k " + k + ", rank " + i;
        assertThat(index[i]).as(what).isEqualTo(order[i]);
        assertThat(Math.abs(s[index[i]].errorOf(prob[i])))
            .as("%s: got %s, exact %s", what, prob[i], s[index[i]].value())
            .isLessThanOrEqualTo(LOSS_RELATIVE * s[index[i]].value() + Double.MIN_NORMAL);
      }
    }
  }

  // ---- accuracy on random rows, float ----

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void floatCrossEntropyWithLabelsIsWithinOneFloatUlp(int width, double scale, long seed) {
    float[] zf = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    double[] z = RandomRows.toDoubles(zf);
    int y = label(z, seed);
    Exact ref = Exact.of(z, 1);
    for (double e : SMOOTHINGS) {
      String what = "float, seed " + seed + ", label " + y + ", smoothing " + e;
      assertFloatLoss(
          Losses.crossEntropy(zf, y, IGNORE, e), ref.crossEntropy(y, e), what + ", loss");
      float[] dz = new float[width];
      Losses.crossEntropyBackward(zf, y, IGNORE, e, 1.0, dz);
      DoubleDouble[] q = smoothedOneHot(width, y, e);
      assertFloatGradient(dz, ref.minus(q, 1), ref.gradientScale(q, 1), what + ", gradient");
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void floatCrossEntropyWithProbabilityTargetsIsWithinOneFloatUlp(
      int width, double scale, long seed) {
    float[] zf = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    double[] z = RandomRows.toDoubles(zf);
    float[] qf = RandomRows.toFloats(targets(z, seed));
    double[] q = RandomRows.toDoubles(qf);
    Exact ref = Exact.of(z, 1);
    String what = "float, seed " + seed;
    assertFloatLoss(Losses.crossEntropy(zf, qf), ref.softCrossEntropy(q), what + ", loss");
    float[] dz = new float[width];
    Losses.crossEntropyBackward(zf, qf, 1.0, dz);
    assertFloatGradient(
        dz, ref.softGradient(q), ref.gradientScale(Reference.exact(q), 1), what + ", gradient");
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void floatEntropyIsWithinOneFloatUlp(int width, double scale, long seed) {
    float[] zf = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    double[] z = RandomRows.toDoubles(zf);
    for (double t : TEMPERATURES) {
      assertFloatLoss(
          Losses.entropy(zf, t), Exact.of(z, t).entropy(), "float, seed " + seed + ", T " + t);
    }
  }

  @ParameterizedTest(name = "width {0}, scale {1}, seed {2}")
  @MethodSource("dev.softmax.udf.kernel.RandomRows#cases")
  void floatDistillationIsWithinOneFloatUlp(int width, double scale, long seed) {
    float[] zf = RandomRows.toFloats(RandomRows.logits(width, scale, seed));
    double[] z = RandomRows.toDoubles(zf);
    float[] tf = RandomRows.toFloats(teacher(z, scale, seed));
    double[] teacher = RandomRows.toDoubles(tf);
    for (double t : TEMPERATURES) {
      String what = "float, seed " + seed + ", T " + t;
      Exact student = Exact.of(z, t);
      Exact p = Exact.of(teacher, t);
      assertFloatLoss(Losses.klDistill(zf, tf, t), student.distillation(p), what + ", loss");
      float[] dz = new float[width];
      Losses.klDistillBackward(zf, tf, t, 1.0, dz);
      assertFloatGradient(
          dz, student.minus(p.s, t), student.gradientScale(p.s, t), what + ", gradient");
    }
  }

  // ---- gradients against central finite differences of the double loss ----

  @Test
  void crossEntropyGradientMatchesCentralFiniteDifferences() {
    Random r = new Random(4242);
    for (int trial = 0; trial < 20; trial++) {
      int width = 1 + r.nextInt(12);
      double[] z = normal(r, width, 3);
      int y = r.nextInt(width);
      double[] q = normalized(r, width);
      for (double e : SMOOTHINGS) {
        double[] dz = new double[width];
        Losses.crossEntropyBackward(z, y, IGNORE, e, 1.0, dz);
        assertMatchesFiniteDifferences(
            dz,
            z,
            v -> Losses.crossEntropy(v, y, IGNORE, e),
            "labels, trial " + trial + " (seed 4242), smoothing " + e);
      }
      double[] dz = new double[width];
      Losses.crossEntropyBackward(z, q, 1.0, dz);
      assertMatchesFiniteDifferences(
          dz, z, v -> Losses.crossEntropy(v, q), "targets, trial " + trial + " (seed 4242)");
    }
  }

  @Test
  void distillationGradientMatchesCentralFiniteDifferences() {
    Random r = new Random(2424);
    for (int trial = 0; trial < 20; trial++) {
      int width = 1 + r.nextInt(12);
      double[] z = normal(r, width, 3);
      double[] teacher = normal(r, width, 3);
      for (double t : TEMPERATURES) {
        double[] dz = new double[width];
        Losses.klDistillBackward(z, teacher, t, 1.0, dz);
        assertMatchesFiniteDifferences(
            dz, z, v -> Losses.klDistill(v, teacher, t), "trial " + trial + " (seed 2424), T " + t);
      }
    }
  }

  // ---- semantics ----

  @Test
  void ignoredRowGivesZeroLossAndZeroGradient() {
    double[] z = {1, 2, 3};
    assertThat(Losses.crossEntropy(z, IGNORE, IGNORE, 0)).isZero();
    assertThat(Losses.crossEntropy(z, IGNORE, IGNORE, 0.1)).isZero();
    assertThat(Losses.crossEntropy(new float[] {1, 2}, IGNORE, IGNORE, 0)).isZero();
    double[] dz = {9, 9, 9};
    Losses.crossEntropyBackward(z, IGNORE, IGNORE, 0.1, 1.0, dz);
    assertThat(dz).containsExactly(0, 0, 0);
    // any ignore index, even one inside the row's classes
    assertThat(Losses.crossEntropy(z, 1, 1, 0)).isZero();
    float[] dzf = {9, 9, 9};
    Losses.crossEntropyBackward(new float[] {1, 2, 3}, 7, 7, 0, 1.0, dzf);
    assertThat(dzf).containsExactly(0, 0, 0);
  }

  @Test
  void labelOutsideRangeIsRefusedNamingIt() {
    double[] z = {1, 2, 3};
    for (long label : new long[] {3, -1, -101, Long.MAX_VALUE}) {
      assertThatThrownBy(() -> Losses.crossEntropy(z, label, IGNORE, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("label " + label)
          .hasMessageContaining("[0, 3)");
      assertThatThrownBy(() -> Losses.crossEntropyBackward(z, label, IGNORE, 0, 1.0, new double[3]))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("label " + label);
    }
    assertThatThrownBy(() -> Losses.crossEntropy(new double[0], 0, IGNORE, 0))
        .hasMessageContaining("label 0");
  }

  @Test
  void smoothingOutsideTheUnitIntervalIsRefused() {
    for (double e : new double[] {-0.1, 1.5, NAN}) {
      assertThatThrownBy(() -> Losses.crossEntropy(new double[] {1, 2}, 0, IGNORE, e))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("label_smoothing")
          .hasMessageContaining(String.valueOf(e));
    }
  }

  @Test
  void invalidTemperatureIsRefused() {
    double[] z = {1, 2};
    for (double t : new double[] {0, -1, NAN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> Losses.klDistill(z, z, t))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("temperature");
      assertThatThrownBy(() -> Losses.klDistillBackward(z, z, t, 1.0, new double[2]))
          .hasMessageContaining("temperature");
      assertThatThrownBy(() -> Losses.entropy(z, t)).hasMessageContaining("temperature");
      assertThatThrownBy(() -> Losses.topK(z, 1, t, new int[1], new double[1]))
          .hasMessageContaining("temperature");
    }
  }

  @Test
  void lengthMismatchNamesBothRows() {
    assertThatThrownBy(() -> Losses.crossEntropy(new double[3], new double[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("logits has 3 elements but target_probs has 2");
    assertThatThrownBy(() -> Losses.klDistill(new float[2], new float[4], 1.0))
        .hasMessage("student_logits has 2 elements but teacher_logits has 4");
    assertThatThrownBy(
            () -> Losses.crossEntropyBackward(new double[2], 0, IGNORE, 0, 1.0, new double[3]))
        .hasMessage("logits has 2 elements but output has 3");
  }

  @Test
  void knownValues() {
    // softmax(0, ln 3) = (1/4, 3/4)
    double[] z = {0, Math.log(3)};
    assertThat(Losses.crossEntropy(z, 0, IGNORE, 0)).isCloseTo(Math.log(4), within(4 * U));
    assertThat(Losses.crossEntropy(z, 1, IGNORE, 0)).isCloseTo(Math.log(4.0 / 3), within(4 * U));
    // smoothing 0.5, L = 2: q = (3/4, 1/4); -(3/4) log(1/4) - (1/4) log(3/4)
    double smoothed = 0.75 * Math.log(4) + 0.25 * Math.log(4.0 / 3);
    assertThat(Losses.crossEntropy(z, 0, IGNORE, 0.5)).isCloseTo(smoothed, within(8 * U));
    double[] dz = new double[2];
    Losses.crossEntropyBackward(z, 0, IGNORE, 0.5, 1.0, dz);
    assertThat(dz[0]).isCloseTo(-0.5, within(4 * U));
    assertThat(dz[1]).isCloseTo(0.5, within(4 * U));
    // entropy of (1/4, 3/4)
    assertThat(Losses.entropy(z, 1))
        .isCloseTo(0.25 * Math.log(4) + 0.75 * Math.log(4.0 / 3), within(4 * U));
  }

  @Test
  void labelOnMaskedClassGivesInfiniteLoss() {
    double[] z = {1, NEG_INF, 2};
    assertThat(Losses.crossEntropy(z, 1, IGNORE, 0)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Losses.crossEntropy(new float[] {1, Float.NEGATIVE_INFINITY}, 1, IGNORE, 0))
        .isEqualTo(Float.POSITIVE_INFINITY);
    // PyTorch's gradient there is S - onehot: finite
    double[] dz = new double[3];
    Losses.crossEntropyBackward(z, 1, IGNORE, 0, 1.0, dz);
    double[] s = new double[3];
    Softmax.forward(z, 1, s);
    assertThat(dz).containsExactly(s[0], -1, s[2]);
  }

  @Test
  void smoothingWithAMaskedClassGivesInfiniteLoss() {
    double[] z = {1, NEG_INF, 2};
    assertThat(Losses.crossEntropy(z, 0, IGNORE, 0.1)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Losses.crossEntropy(z, 0, IGNORE, 0)).isFinite();
  }

  @Test
  void zeroTargetOnMaskedClassAddsNothing() {
    double[] masked = {1, NEG_INF, 2};
    double[] q = {0.25, 0, 0.75};
    double loss = Losses.crossEntropy(masked, q);
    assertThat(loss)
        .isCloseTo(
            Losses.crossEntropy(new double[] {1, 2}, new double[] {0.25, 0.75}), within(4 * U));
    assertThat(loss).isFinite().isPositive();
    double[] dz = new double[3];
    Losses.crossEntropyBackward(masked, q, 1.0, dz);
    assertThat(dz[1]).isZero();
    // the same for a teacher's masked class in distillation, where the student's is masked too
    assertThat(Losses.klDistill(masked, masked, 2.0)).isZero();
    double[] student = {0.5, NEG_INF, 3};
    assertThat(Losses.klDistill(student, masked, 1.0))
        .isCloseTo(
            Losses.klDistill(new double[] {0.5, 3}, new double[] {1, 2}, 1.0), within(4 * U));
  }

  @Test
  void positiveTargetOnMaskedClassGivesInfiniteLoss() {
    double[] z = {1, NEG_INF, 2};
    assertThat(Losses.crossEntropy(z, new double[] {0.5, 0.25, 0.25}))
        .isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Losses.klDistill(z, new double[] {1, 1, 2}, 1.0))
        .isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void distillationFromItselfIsZeroWithAZeroGradient() {
    double[] z = RandomRows.logits(1000, 30, 12L);
    for (double t : TEMPERATURES) {
      assertThat(Losses.klDistill(z, z, t)).isZero();
      double[] dz = new double[z.length];
      Losses.klDistillBackward(z, z, t, 1.0, dz);
      assertThat(dz).containsOnly(0.0);
    }
  }

  @Test
  void nanLogitGivesNanLoss() {
    double[] z = {1, NAN, 2};
    double[] ok = {1, 2, 3};
    double[] q = {0.25, 0.25, 0.5};
    assertAllNaN(z, ok, q);
    // a teacher's NaN poisons the distillation too
    assertThat(Losses.klDistill(ok, z, 1.0)).isNaN();
    double[] dz = new double[3];
    Losses.klDistillBackward(ok, z, 1.0, 1.0, dz);
    assertThat(dz).containsOnly(NAN);
    assertThat(Losses.crossEntropy(new float[] {Float.NaN, 1}, 0, IGNORE, 0)).isNaN();
  }

  @Test
  void nanLogitGivesNanLossEvenWhereEveryTargetIsZero() {
    assertThat(Losses.crossEntropy(new double[] {1, NAN}, new double[] {0, 0})).isNaN();
  }

  @Test
  void teacherProbabilityThatUnderflowsToZeroAddsNothingOnAMaskedStudentClass() {
    // exp(-1000) is 0 in double: the class adds 0 (0 log 0 = 0), as a masked teacher class does
    double[] student = {0, Double.NEGATIVE_INFINITY};
    assertThat(Losses.klDistill(student, new double[] {0, -1000}, 1.0)).isZero();
    assertThat(Losses.klDistill(student, new double[] {0, Double.NEGATIVE_INFINITY}, 1.0)).isZero();
  }

  @Test
  void positiveInfiniteLogitGivesNanLoss() {
    assertAllNaN(
        new double[] {1, Double.POSITIVE_INFINITY, 2},
        new double[] {1, 2, 3},
        new double[] {0.25, 0.25, 0.5});
  }

  @Test
  void allMaskedRowGivesNaN() {
    assertAllNaN(
        new double[] {NEG_INF, NEG_INF, NEG_INF},
        new double[] {1, 2, 3},
        new double[] {0.25, 0.25, 0.5});
  }

  @Test
  void upstreamScalesTheGradient() {
    double[] z = RandomRows.logits(64, 3, 5L);
    double[] teacher = teacher(z, 3, 5L);
    double[] q = targets(z, 5L);
    for (double upstream : new double[] {2, -0.25}) {
      // by a power of two every product is exact: the result scales bit for bit
      double[] one = new double[64];
      double[] scaled = new double[64];
      Losses.crossEntropyBackward(z, 7, IGNORE, 0.1, 1.0, one);
      Losses.crossEntropyBackward(z, 7, IGNORE, 0.1, upstream, scaled);
      assertThat(scaled).containsExactly(times(one, upstream));
      Losses.crossEntropyBackward(z, q, 1.0, one);
      Losses.crossEntropyBackward(z, q, upstream, scaled);
      assertThat(scaled).containsExactly(times(one, upstream));
      Losses.klDistillBackward(z, teacher, 2.0, 1.0, one);
      Losses.klDistillBackward(z, teacher, 2.0, upstream, scaled);
      assertThat(scaled).containsExactly(times(one, upstream));
    }
  }

  @Test
  void floatOverloadsRoundTheDoubleResultOnce() {
    float[] zf = RandomRows.toFloats(RandomRows.logits(300, 5, 9L));
    float[] tf = RandomRows.toFloats(teacher(RandomRows.toDoubles(zf), 5, 9L));
    float[] qf = RandomRows.toFloats(targets(RandomRows.toDoubles(zf), 9L));
    double[] z = RandomRows.toDoubles(zf);
    double[] teacher = RandomRows.toDoubles(tf);
    double[] q = RandomRows.toDoubles(qf);
    int y = label(z, 9L);
    assertThat(Losses.crossEntropy(zf, y, IGNORE, 0))
        .isEqualTo((float) Losses.crossEntropy(z, y, IGNORE, 0));
    assertThat(Losses.crossEntropy(zf, qf)).isEqualTo((float) Losses.crossEntropy(z, q));
    assertThat(Losses.klDistill(zf, tf, 2.0)).isEqualTo((float) Losses.klDistill(z, teacher, 2.0));
    assertThat(Losses.entropy(zf, 0.5)).isEqualTo((float) Losses.entropy(z, 0.5));
    float[] dzf = new float[300];
    double[] dz = new double[300];
    Losses.crossEntropyBackward(zf, y, IGNORE, 0.1, 1.0, dzf);
    Losses.crossEntropyBackward(z, y, IGNORE, 0.1, 1.0, dz);
    assertThat(dzf).containsExactly(RandomRows.toFloats(dz));
    Losses.klDistillBackward(zf, tf, 0.5, 1.0, dzf);
    Losses.klDistillBackward(z, teacher, 0.5, 1.0, dz);
    assertThat(dzf).containsExactly(RandomRows.toFloats(dz));
  }

  @Test
  void entropyOfUniformRowIsLogL() {
    for (int width : new int[] {1, 2, 3, 64, 1000, 100_000}) {
      double[] z = new double[width];
      Arrays.fill(z, -7.25);
      for (double t : TEMPERATURES) {
        assertThat(Losses.entropy(z, t))
            .as("width %d, T %s", width, t)
            .isCloseTo(Math.log(width), within(4 * U * (1 + Math.log(width))));
      }
      float[] zf = RandomRows.toFloats(z);
      assertThat(Losses.entropy(zf, 1.0)).isEqualTo((float) Math.log(width));
    }
  }

  @Test
  void entropyOfOneUnmaskedClassIsZero() {
    assertThat(Losses.entropy(new double[] {NEG_INF, 3, NEG_INF}, 1.0)).isZero();
    assertThat(Losses.entropy(new double[] {42}, 0.5)).isZero();
  }

  @Test
  void emptyRow() {
    double[] none = new double[0];
    assertThat(Losses.entropy(none, 1.0)).isNaN();
    assertThat(Losses.topK(none, 3, 1.0, new int[3], new double[3])).isZero();
    assertThat(Losses.crossEntropy(none, IGNORE, IGNORE, 0)).isZero();
  }

  @Test
  void topKOfWideFloatRowsWithManyTiesIsTheSortedOrder() {
    // values on a coarse grid tie often, in and across the vector kernel's blocks of lanes
    for (int width : new int[] {7, 100, 1001, 10_000}) {
      Random random = new Random(width);
      float[] z = new float[width];
      for (int j = 0; j < width; j++) {
        z[j] = Math.round(random.nextGaussian() * 4) / 4f;
      }
      for (int k : new int[] {1, 7, 64}) {
        int n = Math.min(k, width);
        int[] top = new int[n];
        Losses.topK(z, k, 1.0, top, new double[n]);
        int[] expected =
            IntStream.range(0, width)
                .boxed()
                .sorted(Comparator.<Integer>comparingDouble(j -> -z[j]).thenComparingInt(j -> j))
                .mapToInt(Integer::intValue)
                .limit(n)
                .toArray();
        assertThat(top).as("width %d, k %d", width, k).containsExactly(expected);
      }
    }
  }

  @Test
  void topKTiesGoToTheLowerIndex() {
    double[] z = {1, 3, 2, 3, 1, 3};
    int[] index = new int[4];
    double[] prob = new double[4];
    assertThat(Losses.topK(z, 4, 1.0, index, prob)).isEqualTo(4);
    assertThat(index).containsExactly(1, 3, 5, 2);
    assertThat(prob[0]).isEqualTo(prob[1]).isEqualTo(prob[2]);
    // a wide row of equal logits, beyond the vector kernels' lanes and the insertion list's limit
    for (int width : new int[] {37, 65, 300}) {
      double[] flat = new double[width];
      Arrays.fill(flat, 0.3);
      flat[width - 2] = NEG_INF;
      for (int k : new int[] {5, 64, width}) {
        int[] top = new int[k];
        int n = Losses.topK(flat, k, 1.0, top, new double[k]);
        int[] expected =
            IntStream.concat(
                    IntStream.range(0, width).filter(j -> j != width - 2), IntStream.of(width - 2))
                .limit(k)
                .toArray();
        assertThat(Arrays.copyOf(top, n)).as("width %d, k %d", width, k).containsExactly(expected);
      }
    }
  }

  @Test
  void topKLargerThanRowGivesWholeRowSorted() {
    double[] z = {0.5, NEG_INF, 2, -1, 2};
    int[] index = new int[200];
    double[] prob = new double[200];
    assertThat(Losses.topK(z, 200, 1.0, index, prob)).isEqualTo(5);
    assertThat(Arrays.copyOf(index, 5)).containsExactly(2, 4, 0, 3, 1);
    double[] s = new double[5];
    Softmax.forward(z, 1.0, s);
    for (int i = 0; i < 5; i++) {
      assertThat(prob[i]).isCloseTo(s[index[i]], within(4 * U));
    }
    assertThat(prob[4]).isZero();
    assertThat(Losses.topK(z, 7, 1.0, new int[7], new double[7])).isEqualTo(5);
  }

  @Test
  void topKOfARowWithoutSoftmaxGivesTheFirstIndicesWithNaN() {
    for (double[] z :
        new double[][] {
          {1, NAN, 2}, {NEG_INF, NEG_INF, NEG_INF}, {Double.POSITIVE_INFINITY, 0, 1}
        }) {
      int[] index = new int[2];
      double[] prob = new double[2];
      assertThat(Losses.topK(z, 2, 1.0, index, prob)).isEqualTo(2);
      assertThat(index).containsExactly(0, 1);
      assertThat(prob).containsOnly(NAN);
    }
  }

  @Test
  void topKOfZeroGivesNothingAndNegativeKIsRefused() {
    assertThat(Losses.topK(new double[] {1, 2}, 0, 1.0, new int[0], new double[0])).isZero();
    assertThatThrownBy(() -> Losses.topK(new double[] {1, 2}, -1, 1.0, new int[1], new double[1]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void topKAtATemperatureRanksAsWithoutAndSpreadsTheProbabilities() {
    double[] z = {1, 4, 2};
    int[] cold = new int[3];
    int[] hot = new int[3];
    double[] coldProb = new double[3];
    double[] hotProb = new double[3];
    Losses.topK(z, 3, 0.5, cold, coldProb);
    Losses.topK(z, 3, 4.0, hot, hotProb);
    assertThat(cold).containsExactly(1, 2, 0).isEqualTo(hot);
    double[] s = new double[3];
    Softmax.forward(z, 4.0, s);
    assertThat(hotProb[0]).isCloseTo(s[1], within(4 * U));
    assertThat(coldProb[0]).isGreaterThan(hotProb[0]);
  }

  // ---- helpers ----

  private static void assertAllNaN(double[] z, double[] ok, double[] q) {
    int n = z.length;
    assertThat(Losses.crossEntropy(z, 0, IGNORE, 0)).isNaN();
    assertThat(Losses.crossEntropy(z, 0, IGNORE, 0.1)).isNaN();
    assertThat(Losses.crossEntropy(z, q)).isNaN();
    assertThat(Losses.klDistill(z, ok, 2.0)).isNaN();
    assertThat(Losses.entropy(z, 1.0)).isNaN();
    assertThat(Losses.crossEntropy(RandomRows.toFloats(z), RandomRows.toFloats(q))).isNaN();
    double[] dz = new double[n];
    Losses.crossEntropyBackward(z, 0, IGNORE, 0.1, 1.0, dz);
    assertThat(dz).containsOnly(NAN);
    dz = new double[n];
    Losses.crossEntropyBackward(z, q, 1.0, dz);
    assertThat(dz).containsOnly(NAN);
    dz = new double[n];
    Losses.klDistillBackward(z, ok, 2.0, 1.0, dz);
    assertThat(dz).containsOnly(NAN);
    float[] dzf = new float[n];
    Losses.crossEntropyBackward(RandomRows.toFloats(z), 1, IGNORE, 0, 1.0, dzf);
    assertThat(dzf).containsOnly(Float.NaN);
  }

  private static void assertDoubleLoss(double got, DoubleDouble exact, String what) {
    if (!Double.isFinite(exact.hi())) {
      assertThat(got).as(what).isEqualTo(exact.hi());
      return;
    }
    assertThat(Math.abs(exact.errorOf(got)))
        .as("%s: got %s, exact %s", what, got, exact.value())
        .isLessThanOrEqualTo(LOSS_RELATIVE * (1 + Math.abs(exact.value())));
  }

  private static void assertFloatLoss(float got, DoubleDouble exact, String what) {
    if (!Double.isFinite(exact.hi())) {
      assertThat((double) got).as(what).isEqualTo(exact.hi());
      return;
    }
    assertThat(Math.abs(exact.errorOf(got)))
        .as("%s: got %s, exact %s", what, got, exact.value())
        .isLessThanOrEqualTo((double) Math.ulp((float) (1 + Math.abs(exact.value()))));
  }

  private static void assertDoubleGradient(
      double[] got, DoubleDouble[] exact, double[] scale, String what) {
    double bound = gradientBound(got.length);
    for (int j = 0; j < got.length; j++) {
      assertThat(Math.abs(exact[j].errorOf(got[j])))
          .as("%s, index %d: got %s, exact %s", what, j, got[j], exact[j].value())
          .isLessThanOrEqualTo(bound * scale[j]);
    }
  }

  private static void assertFloatGradient(
      float[] got, DoubleDouble[] exact, double[] scale, String what) {
    for (int j = 0; j < got.length; j++) {
      assertThat(Math.abs(exact[j].errorOf(got[j])))
          .as("%s, index %d: got %s, exact %s", what, j, got[j], exact[j].value())
          .isLessThanOrEqualTo((double) Math.ulp((float) scale[j]));
    }
  }

  private static void assertMatchesFiniteDifferences(
      double[] dz, double[] z, ToDoubleFunction<double[]> loss, String what) {
    double h = 1e-6;
    for (int i = 0; i < z.length; i++) {
      double[] up = z.clone();
      double[] down = z.clone();
      up[i] += h;
      down[i] -= h;
      double numeric = (loss.applyAsDouble(up) - loss.applyAsDouble(down)) / (2 * h);
      assertThat(dz[i]).as("%s, index %d", what, i).isCloseTo(numeric, within(1e-7));
    }
  }

  /**
   * The exact softmax and log-softmax of one row at temperature t, and the losses built on them
   * from their definitions, in double-double.
   */
  private record Exact(double[] z, double t, DoubleDouble[] s, DoubleDouble[] logS) {
    static Exact of(double[] z, double t) {
      return new Exact(z, t, Reference.softmax(z, t), Reference.logSoftmax(z, t));
    }

    boolean masked(int j) {
      return z[j] == NEG_INF;
    }

    /** -(1 - e) log S_y - (e / L) sum_j log S_j; +inf when a term is. */
    DoubleDouble crossEntropy(int y, double e) {
      if (masked(y) || (e > 0 && IntStream.range(0, z.length).anyMatch(this::masked))) {
        return DoubleDouble.of(Double.POSITIVE_INFINITY);
      }
      DoubleDouble nll = logS[y].negate();
      if (e == 0) {
        return nll;
      }
      DoubleDouble sum = DoubleDouble.ZERO;
      for (DoubleDouble l : logS) {
        sum = sum.plus(l);
      }
      DoubleDouble smooth = DoubleDouble.of(e).times(sum).dividedBy(DoubleDouble.of(z.length));
      return DoubleDouble.ONE.minus(DoubleDouble.of(e)).times(nll).minus(smooth);
    }

    /** -sum_j q_j log S_j over q_j != 0. */
    DoubleDouble softCrossEntropy(double[] q) {
      DoubleDouble sum = DoubleDouble.ZERO;
      for (int j = 0; j < z.length; j++) {
        if (q[j] != 0) {
          if (masked(j)) {
            return DoubleDouble.of(Double.POSITIVE_INFINITY);
          }
          sum = sum.minus(logS[j].times(q[j]));
        }
      }
      return sum;
    }

    /** -sum_j S_j log S_j over the unmasked classes. */
    DoubleDouble entropy() {
      DoubleDouble sum = DoubleDouble.ZERO;
      for (int j = 0; j < z.length; j++) {
        if (!masked(j)) {
          sum = sum.minus(s[j].times(logS[j]));
        }
      }
      return sum;
    }

    /** T^2 sum_j p_j (log p_j - log S_j) over p_j != 0, with p the teacher's softmax. */
    DoubleDouble distillation(Exact teacher) {
      DoubleDouble sum = DoubleDouble.ZERO;
      for (int j = 0; j < z.length; j++) {
        if (!teacher.masked(j)) {
          if (masked(j)) {
            return DoubleDouble.of(Double.POSITIVE_INFINITY);
          }
          sum = sum.plus(teacher.s[j].times(teacher.logS[j].minus(logS[j])));
        }
      }
      return sum.times(t * t);
    }

    /** t (S_j - q_j). */
    DoubleDouble[] minus(DoubleDouble[] q, double scale) {
      DoubleDouble[] g = new DoubleDouble[z.length];
      for (int j = 0; j < z.length; j++) {
        g[j] = s[j].minus(q[j]).times(scale);
      }
      return g;
    }

    /** S_j sum(q) - q_j. */
    DoubleDouble[] softGradient(double[] q) {
      DoubleDouble total = DoubleDouble.ZERO;
      for (double v : q) {
        total = total.plus(DoubleDouble.of(v));
      }
      DoubleDouble[] g = new DoubleDouble[z.length];
      for (int j = 0; j < z.length; j++) {
        g[j] = s[j].times(total).minus(DoubleDouble.of(q[j]));
      }
      return g;
    }

    /** The gradient's scale T (S_j + |q_j|). */
    double[] gradientScale(DoubleDouble[] q, double scale) {
      double[] out = new double[z.length];
      for (int j = 0; j < z.length; j++) {
        out[j] = scale * (s[j].value() + Math.abs(q[j].value()));
      }
      return out;
    }
  }

  private static DoubleDouble[] smoothedOneHot(int width, int y, double e) {
    DoubleDouble off = DoubleDouble.of(e).dividedBy(DoubleDouble.of(width));
    DoubleDouble[] q = new DoubleDouble[width];
    for (int j = 0; j < width; j++) {
      q[j] = j == y ? DoubleDouble.ONE.minus(DoubleDouble.of(e)).plus(off) : off;
    }
    return q;
  }

  /** A random class that is not masked. */
  private static int label(double[] z, long seed) {
    int y = new Random(seed * 31 + 1).nextInt(z.length);
    while (z[y] == NEG_INF) {
      y = (y + 1) % z.length;
    }
    return y;
  }

  /**
   * Random probability targets: 0 on masked classes and on every fifth class, the rest of mixed
   * sizes, normalized (their sum is 1 only to rounding, as real targets' are).
   */
  private static double[] targets(double[] z, long seed) {
    Random r = new Random(seed * 17 + 5);
    double[] q = new double[z.length];
    double sum = 0;
    for (int j = 0; j < z.length; j++) {
      double u = r.nextDouble();
      q[j] = z[j] == NEG_INF || (z.length > 1 && j % 5 == 4) ? 0 : u * u * u;
      sum += q[j];
    }
    for (int j = 0; j < z.length; j++) {
      q[j] /= sum;
    }
    return q;
  }

  /** A teacher near the student (as after some training), masked where the student is. */
  private static double[] teacher(double[] z, double scale, long seed) {
    Random r = new Random(seed * 13 + 3);
    double[] t = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      t[j] = z[j] + 0.3 * scale * r.nextGaussian();
    }
    return t;
  }

  private static double[] normal(Random r, int width, double scale) {
    double[] x = new double[width];
    for (int j = 0; j < width; j++) {
      x[j] = scale * r.nextGaussian();
    }
    return x;
  }

  private static double[] normalized(Random r, int width) {
    double[] q = new double[width];
    double sum = 0;
    for (int j = 0; j < width; j++) {
      q[j] = r.nextDouble();
      sum += q[j];
    }
    for (int j = 0; j < width; j++) {
      q[j] /= sum;
    }
    return q;
  }

  private static double[] times(double[] x, double f) {
    double[] out = new double[x.length];
    for (int j = 0; j < x.length; j++) {
      out[j] = x[j] * f;
    }
    return out;
  }
}
