package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * How the vector kernels keep C2 from leaving a vector operation as a call, which made a JVM's
 * float forward 3-4 times slower for the rest of its life.
 *
 * <p>A vector carried round a loop (a running sum or maximum) has, where C2 parses the loop, only
 * its declared type ({@code DoubleVector}), not its class ({@code Double512Vector}). A call on it
 * ({@code sum.add(x)}) is then a virtual call, which C2 inlines, and so turns into one instruction,
 * only when the call site's type profile names the class. When the profile does not (C1's tier 2,
 * which tiered compilation picks when C2's queue is long, keeps none), C2 calls the method out of
 * line, where the operator is not a constant, the intrinsic fails and every vector is an object.
 * That is the explanation that fits what was measured on a 2-core Xeon with JDK 17 (JMH, forks of
 * {@code KernelBenchmark.forwardFloat}): with two running maxima as receivers, 10 of 14 forks at L
 * = 4,096 ran at 4.4-5.1 ns per element instead of 1.2-1.9 (C2 never compiled the maximum's loop,
 * PrintCompilation showed), with {@code -XX:InlineSmallCode=10000} or {@code -XX:MaxInlineLevel=30}
 * 4 of 8, without tiered compilation none of 8, and with the maxima as arguments none of 8. The
 * kernels as they were before, one running maximum as the receiver, did it in 1 fork of 6 and 1 of
 * 19 (3-5 ns per element at L = 256).
 *
 * <p>So in the kernels a loop-carried vector is always the argument, never the receiver: {@code
 * x.add(sum)}, where {@code x} is a fresh load or result whose class C2 knows. After the loop,
 * {@link #of} gives it back as the receiver of an addition of -0, which is exact for every value
 * (-0 + x = x, signed zeros and NaN included), with its class known for the reduction or the lane
 * reads that follow.
 */
final class KnownClass {
  private KnownClass() {}

  /** {@code v}, unchanged, as a vector whose class C2 knows. */
  static DoubleVector of(DoubleVector v) {
    return DoubleVector.broadcast(DoubleVector.SPECIES_PREFERRED, -0.0).add(v);
  }

  /** {@code v}, unchanged, as a vector whose class C2 knows. */
  static FloatVector of(FloatVector v) {
    return FloatVector.broadcast(FloatVector.SPECIES_PREFERRED, -0.0f).add(v);
  }
}
