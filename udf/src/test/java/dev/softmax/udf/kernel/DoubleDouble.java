package dev.softmax.udf.kernel;

/**
 * Test reference arithmetic: a value is the unevaluated sum {@code hi + lo} of two doubles, good to
 * about 106 bits. Independent of the kernels: error-free transformations (TwoSum, TwoProduct with
 * fma), an exp by range reduction and Taylor series, and a log by Newton's method on it.
 */
record DoubleDouble(double hi, double lo) {
  static final DoubleDouble ZERO = new DoubleDouble(0, 0);
  static final DoubleDouble ONE = new DoubleDouble(1, 0);
  private static final DoubleDouble LN2 =
      new DoubleDouble(0.6931471805599453, 2.3190468138462996e-17);

  static DoubleDouble of(double x) {
    return new DoubleDouble(x, 0);
  }

  private static DoubleDouble twoSum(double a, double b) {
    double s = a + b;
    double bb = s - a;
    return new DoubleDouble(s, (a - (s - bb)) + (b - bb));
  }

  private static DoubleDouble normalized(double hi, double lo) {
    double s = hi + lo;
    return new DoubleDouble(s, lo - (s - hi));
  }

  DoubleDouble plus(DoubleDouble o) {
    DoubleDouble s = twoSum(hi, o.hi);
    DoubleDouble t = twoSum(lo, o.lo);
    DoubleDouble u = normalized(s.hi, s.lo + t.hi);
    return normalized(u.hi, u.lo + t.lo);
  }

  DoubleDouble negate() {
    return new DoubleDouble(-hi, -lo);
  }

  DoubleDouble minus(DoubleDouble o) {
    return plus(o.negate());
  }

  DoubleDouble times(DoubleDouble o) {
    double p = hi * o.hi;
    double e = Math.fma(hi, o.hi, -p);
    return normalized(p, e + (hi * o.lo + lo * o.hi));
  }

  DoubleDouble times(double d) {
    return times(of(d));
  }

  DoubleDouble dividedBy(DoubleDouble o) {
    double q1 = hi / o.hi;
    DoubleDouble r = minus(o.times(q1));
    double q2 = r.hi / o.hi;
    r = r.minus(o.times(q2));
    double q3 = r.hi / o.hi;
    return normalized(q1, q2).plus(of(q3));
  }

  DoubleDouble scalb(int k) {
    return new DoubleDouble(Math.scalb(hi, k), Math.scalb(lo, k));
  }

  double value() {
    return hi + lo;
  }

  /** exp(x) = 2^k * (exp(r / 1024))^1024 with r = x - k ln 2 and a Taylor series. */
  static DoubleDouble exp(DoubleDouble x) {
    if (x.hi == Double.NEGATIVE_INFINITY || x.hi < -760) {
      return ZERO;
    }
    double k = Math.rint(x.hi / LN2.hi);
    DoubleDouble r = x.minus(LN2.times(k)).scalb(-10);
    DoubleDouble sum = ONE;
    DoubleDouble term = ONE;
    for (int n = 1; n <= 14; n++) {
      term = term.times(r).dividedBy(of(n));
      sum = sum.plus(term);
    }
    for (int i = 0; i < 10; i++) {
      sum = sum.times(sum);
    }
    return sum.scalb((int) k);
  }

  /** log(a) for a > 0, by two Newton steps y <- y + a * exp(-y) - 1 from Math.log. */
  static DoubleDouble log(DoubleDouble a) {
    DoubleDouble y = of(Math.log(a.hi));
    for (int i = 0; i < 2; i++) {
      y = y.plus(a.times(exp(y.negate())).minus(ONE));
    }
    return y;
  }

  /** Difference of this exact value and {@code x}, rounded: {@code x - (hi + lo)}. */
  double errorOf(double x) {
    return (x - hi) - lo;
  }
}
