package dev.softmax.udf.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;

/**
 * How the vector kernels keep C2 from leaving a vector operation as a call, which can make a JVM's
 * float forward several times slower for the rest of its life.
 *
 * <p>A vector carried round a loop (a running sum or maximum) has, where C2 parses the loop, only
 * its declared type ({@code DoubleVector}), not its class ({@code Double512Vector}). A call on it
 * ({@code sum.add(x)}) is then a virtual call, which C2 inlines, and so turns into one instruction,
 * only when the call site's type profile names the class. When the profile does not (C1's tier 2,
 * which tiered compilation picks when C2's queue is long, keeps none), C2 calls the method out of
 * line, where the operator is not a constant, the intrinsic fails and every vector is an object
 * (docs/performance.md, "C2: a loop-carried vector as a call's receiver (3-4x slower)").
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
