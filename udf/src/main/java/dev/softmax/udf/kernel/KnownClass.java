package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * How the vector kernels keep C2 from leaving a vector operation as a call, which costs 3-4 times
 * the kernel's time for the rest of the JVM's life.
 *
 * <p>A vector carried round a loop (a running sum or maximum) has, where C2 parses the loop, only
 * its declared type ({@code DoubleVector}), not its class ({@code Double512Vector}). A call on it
 * ({@code sum.add(x)}) is then a virtual call, which C2 inlines, and so turns into one instruction,
 * only when the call site's type profile names the class. That profile is missing when the
 * method's earlier compilation was C1's tier 2, which tiered compilation picks when C2's queue is
 * long: then C2 calls {@code add} out of line, where the operator is not a constant and the
 * intrinsic fails, and every vector of every row is boxed. On this machine (2 cores, JDK 17) the
 * float forward ran at 4.4-5.1 ns per element instead of 1.3 in 17 of 32 JMH forks with two
 * running maxima as receivers, and in none of 8 with the same code written as below (and in none of
 * 8 without tiered compilation).
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
