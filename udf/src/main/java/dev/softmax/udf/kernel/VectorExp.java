package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp(x) in every lane, within 2u (u = 2^-53) of the exact value wherever it is a normal double,
 * and with the same bits whichever compiler runs it. The Vector API's own {@code lanewise(EXP)} is
 * not: C2 compiles it to SVML's exponential on x86, while the interpreter and C1 run its Java code,
 * {@link Math#exp} lane by lane, and the two differ in the last bit of some results. A task's
 * output would then depend on whether C2 had compiled the kernel when the task ran ({@code
 * SameBitsTest}). This one is made of additions, multiplications, fused multiply-adds and integer
 * operations on the bits, which Java defines exactly in every compiler.
 *
 * <p>The method, with no table (a table needs a gather, which costs more than it saves): x = k ln2
 * + r with |r| <= ln2/2, so exp(x) = 2^k exp(r).
 *
 * <ul>
 *   <li>k is x/ln2 rounded to an integer by adding 1.5 * 2^52 in a fused multiply-add; r is x - k
 *       ln2 with ln2 split in two (fdlibm's split: the high part's product with any k of this
 *       domain is exact), each part subtracted by a fused multiply-add.
 *   <li>exp(r) by its Taylor polynomial of degree 13 (the remainder is below r^14/14! < 2^-57 of
 *       the result) in Horner's form: each step one rounding, the last (1 + r p, |r p| < 0.42)
 *       rounded to half an ulp and carrying the others' errors shrunk by |r|.
 *   <li>2^k: k + 60 is added to exp(r)'s exponent field (k - 60 where x > 0), which leaves a normal
 *       double for every k of this domain, and that is multiplied by 2^-60 (2^60): exact where the
 *       result is normal, one rounding where it is subnormal, infinity where it overflows. No
 *       branch.
 * </ul>
 *
 * <p>Written for C2 (docs/performance.md, "exp"): the species are constants (a species C2 cannot
 * see as a constant, such as the one {@code reinterpretAsLongs()} derives, leaves the operation as
 * a call on objects), the polynomial's coefficients are constant vectors, and the two methods are
 * each small enough to be inlined at a hot call site; every vector operation adds nodes to the
 * compilation, and past about 18,000 C2 stops inlining the kernels' own methods.
 *
 * <p>x is clamped to [-746, 710] first, where exp rounds to 0 below and overflows above; the clamp
 * keeps NaN (so exp(NaN) is NaN), and a masked entry (-inf) gives 0.
 */
final class VectorExp {
  private static final VectorSpecies<Double> LANES = DoubleVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Long> LONGS = LongVector.SPECIES_PREFERRED;

  /** 1/ln2, rounded. */
  private static final DoubleVector K_PER_X = constant(0x1.71547652b82fep0);

  /**
   * -ln2 = -(LN2_HI + LN2_LO) to within 2^-86 (fdlibm's split: LN2_HI has 32 significant bits, so
   * its product with any k of this domain is exact).
   */
  private static final DoubleVector MINUS_LN2_HI = constant(-0x1.62e42feep-1);

  private static final DoubleVector MINUS_LN2_LO = constant(-0x1.a39ef35793c76p-33);

  /** 1.5 * 2^52: a double near it has ulp 1. */
  private static final DoubleVector ROUNDER = constant(0x1.8p52);

  private static final DoubleVector LOWEST = constant(-746);
  private static final DoubleVector HIGHEST = constant(710);
  private static final DoubleVector ZERO = constant(0);
  private static final DoubleVector BIAS = constant(60);
  private static final DoubleVector MINUS_BIAS = constant(-60);
  private static final DoubleVector TWO_TO_MINUS_60 = constant(0x1p-60);
  private static final DoubleVector TWO_TO_60 = constant(0x1p60);

  /** 1/n! for n = 1 to 13: the polynomial's coefficients. */
  private static final DoubleVector C1 = constant(1.0);

  private static final DoubleVector C2 = constant(0.5);
  private static final DoubleVector C3 = constant(1.0 / 6);
  private static final DoubleVector C4 = constant(1.0 / 24);
  private static final DoubleVector C5 = constant(1.0 / 120);
  private static final DoubleVector C6 = constant(1.0 / 720);
  private static final DoubleVector C7 = constant(1.0 / 5040);
  private static final DoubleVector C8 = constant(1.0 / 40320);
  private static final DoubleVector C9 = constant(1.0 / 362880);
  private static final DoubleVector C10 = constant(1.0 / 3628800);
  private static final DoubleVector C11 = constant(1.0 / 39916800);
  private static final DoubleVector C12 = constant(1.0 / 479001600);
  private static final DoubleVector C13 = constant(1.0 / 6227020800L);

  private VectorExp() {}

  private static DoubleVector constant(double c) {
    return DoubleVector.broadcast(LANES, c);
  }

  /** exp(x) in every lane of {@code x}, a vector of the preferred species. */
  static DoubleVector of(DoubleVector x) {
    DoubleVector clamped = x.max(LOWEST).min(HIGHEST);
    VectorMask<Double> positive = clamped.compare(VectorOperators.GT, ZERO);
    DoubleVector shifted = clamped.fma(K_PER_X, ROUNDER);
    DoubleVector k = shifted.sub(ROUNDER);
    // k LN2_HI and its difference from x are exact; r is then rounded once
    DoubleVector r = k.fma(MINUS_LN2_LO, k.fma(MINUS_LN2_HI, clamped));
    // the low bits of shifted are k: shifted + 60 (- 60) has k + 60 (k - 60) there, and shifting
    // them by 52 puts that in the exponent field (the bits of 1.5 * 2^52 shift out)
    DoubleVector biased = shifted.add(BIAS.blend(MINUS_BIAS, positive));
    LongVector exponent =
        ((LongVector) biased.convertShape(VectorOperators.REINTERPRET_D2L, LONGS, 0))
            .lanewise(VectorOperators.LSHL, 52);
    LongVector scaled =
        exponent.add(
            (LongVector) taylor(r).convertShape(VectorOperators.REINTERPRET_D2L, LONGS, 0));
    return ((DoubleVector) scaled.convertShape(VectorOperators.REINTERPRET_L2D, LANES, 0))
        .mul(TWO_TO_MINUS_60.blend(TWO_TO_60, positive));
  }

  /**
   * exp(r) for |r| <= ln2/2 by Horner's rule in fused multiply-adds, {@code r} the receiver of each
   * (the running value an argument: {@link KnownClass} says why).
   */
  private static DoubleVector taylor(DoubleVector r) {
    DoubleVector p = r.fma(C13, C12);
    p = r.fma(p, C11);
    p = r.fma(p, C10);
    p = r.fma(p, C9);
    p = r.fma(p, C8);
    p = r.fma(p, C7);
    p = r.fma(p, C6);
    p = r.fma(p, C5);
    p = r.fma(p, C4);
    p = r.fma(p, C3);
    p = r.fma(p, C2);
    p = r.fma(p, C1);
    return r.fma(p, C1);
  }
}
