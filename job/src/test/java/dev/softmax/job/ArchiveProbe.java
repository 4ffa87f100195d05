package dev.softmax.job;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * A tiny program for {@link ClassArchiveTest}: binds primitive arguments to method handles (as
 * Spark's code does), which makes the JDK generate method-handle classes, says it ran, and exits
 * with the status it is given.
 */
public final class ArchiveProbe {
  private ArchiveProbe() {}

  public static void main(String[] args) throws Throwable {
    MethodHandle sum =
        MethodHandles.lookup()
            .findStatic(
                ArchiveProbe.class,
                "sum",
                MethodType.methodType(long.class, int.class, long.class, double.class, int.class));
    long bound = (long) MethodHandles.insertArguments(sum, 0, 1, 2L, 3.0).invoke(4);
    System.out.println("probe ran: " + bound);
    System.exit(args.length > 0 ? Integer.parseInt(args[0]) : 0);
  }

  private static long sum(int a, long b, double c, int d) {
    return a + b + (long) c + d;
  }
}
