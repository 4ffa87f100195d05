package dev.softmax.udf.kernel;

/**
 * Which forward kernel runs: the Vector API one when the JVM has the incubator module {@code
 * jdk.incubator.vector} (started with {@code --add-modules jdk.incubator.vector}, as
 * conf/jvm.options does), else the scalar one. {@code -Dsoftmax.kernel=scalar} forces the scalar
 * kernel.
 */
public final class Kernels {
  /** True when the forward pass uses the Vector API. */
  public static final boolean VECTOR =
      !"scalar".equals(System.getProperty("softmax.kernel"))
          && ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  private Kernels() {}

  /** A name for summaries and logs: which kernel runs in this JVM. */
  public static String name() {
    return VECTOR
        ? "vector (jdk.incubator.vector, " + VectorSoftmax.lanes() + " double lanes)"
        : "scalar";
  }

  /** Prints {@link #name()}: lets a script or a test ask a JVM which kernel it would use. */
  public static void main(String[] args) {
    System.out.println(name());
  }
}
