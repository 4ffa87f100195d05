package dev.softmax.job;

/**
 * Test-only: halts the driver at a named point of the publish protocol (or between a table run's
 * two commits), as a killed driver would, when the system property {@link #PROPERTY} names that
 * point ({@code CrashRecoveryJobTest} and {@code TableCrashJobTest} set it). Unset in every real
 * run, where {@link #reached} does nothing.
 */
final class CrashPoint {
  static final String PROPERTY = "softmax.test.crash-at";

  private CrashPoint() {}

  static void reached(String name) {
    if (name.equals(System.getProperty(PROPERTY))) {
      Runtime.getRuntime().halt(99);
    }
  }
}
