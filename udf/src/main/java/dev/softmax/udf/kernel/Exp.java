package dev.softmax.udf.kernel;

/**
 * exp(x), within 3u (u = 2^-53) of the exact value for -708 <= x <= 0, for the scalar float
 * kernels: in about half of {@link Math#exp}'s time (docs/performance.md, "exp"), and exp is most
 * of what the scalar kernels cost. The JDK offers no exponential that trades its last ulp for
 * speed, and the float rows can spend that ulp: {@link FloatKernels} derives their bound with this
 * one's 3u. {@link Math#fma} is a single instruction on x86-64 processors with FMA3 and on ARMv8.
 *
 * <p>The method: x = (64k + j) ln2/64 + r with |r| <= ln2/128, so exp(x) = 2^k 2^(j/64) exp(r).
 *
 * <ul>
 *   <li>ln2/64 is split in two; the high part has 17 trailing zero bits, so the product with any
 *       index of this domain (|64k + j| < 2^17) is exact, and so is the subtraction from x
 *       (Sterbenz: the two are within a factor of two when the index is not 0). One rounding (a
 *       fused multiply-add, as in the polynomial) subtracts the low part: r is within u|r| of x -
 *       (64k + j) ln2/64.
 *   <li>exp(r) by its Taylor polynomial of degree 5: the remainder is below r^6/720 < 2^-75, and
 *       Horner's rule in double errs by about u.
 *   <li>2^(j/64) from a table of 64 doubles, each within an ulp of its value ({@link Math#pow} is);
 *       multiplying it by 2^k is exact, and one more rounding multiplies that by exp(r).
 * </ul>
 *
 * Elsewhere (below -708 the result is subnormal or 0; above 0 no softmax kernel asks, but a
 * log-probability given as input may be positive) {@link Math#exp} answers.
 */
final class Exp {
  private static final double[] TWO_TO_J_OVER_64 = new double[64];

  /** 64/ln2, rounded. */
  private static final double INDEX_PER_X = 0x1.71547652b82fep6;

  /**
   * ln2/64 = HI + LO to within 2^-99: HI has 36 significant bits, so HI times an index below 2^17
   * is exact.
   */
  private static final double HI = 0x1.62e42fefa0000p-7;

  private static final double LO = 0x1.cf79abc9e3b3ap-46;

  /** 1.5 * 2^52: a double near it has ulp 1. */
  private static final double ROUNDER = 0x1.8p52;

  static {
    for (int j = 0; j < 64; j++) {
      TWO_TO_J_OVER_64[j] = Math.pow(2, j / 64.0);
    }
  }

  private Exp() {}

  /** exp(x): this method's own for -708 <= x <= 0, else {@link Math#exp}'s. */
  static double of(double x) {
    if (!(x >= -708 && x <= 0)) {
      return Math.exp(x);
    }
    // rounding to an integer by adding 1.5 * 2^52 (one rounding in the fma): the index 64k + j
    // is then the low bits of that double, and subtracting 1.5 * 2^52 again is exact
    double shifted = Math.fma(x, INDEX_PER_X, ROUNDER);
    int i = (int) Double.doubleToRawLongBits(shifted);
    double index = shifted - ROUNDER;
    double r = Math.fma(index, -LO, Math.fma(index, -HI, x));
    double p =
        Math.fma(
            r,
            Math.fma(
                r, Math.fma(r, Math.fma(r, Math.fma(r, 1.0 / 120, 1.0 / 24), 1.0 / 6), 0.5), 1),
            1);
    // i = 64k + j with 0 <= j < 64 (an arithmetic shift floors k for a negative i); 2^(j/64) is in
    // [1, 2), so adding k to its exponent field multiplies it by 2^k exactly (x >= -708 keeps it
    // normal), off the polynomial's path and without a multiplication
    long scaled = Double.doubleToRawLongBits(TWO_TO_J_OVER_64[i & 63]) + ((long) (i >> 6) << 52);
    return Double.longBitsToDouble(scaled) * p;
  }
}
