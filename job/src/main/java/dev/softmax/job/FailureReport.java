package dev.softmax.job;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.SparkThrowable;

/**
 * How a failed run is told: one line on the console that says what failed and where, and the stack
 * trace in a log file that the line names: the file named by the system property {@value
 * #LOG_FILE_PROPERTY} (the scripts point Spark's log there too), else a new file in the temporary
 * directory.
 */
final class FailureReport {
  static final String LOG_FILE_PROPERTY = "softmax.log.file";

  /**
   * Spark's error classes for a file it could not read, with the file in parameter {@code path}
   * ({@code _LEGACY_ERROR_TEMP_2064} is Spark 3.5's name for FAILED_READ_FILE).
   */
  private static final List<String> READ_FILE_ERRORS =
      List.of("FAILED_READ_FILE", "CANNOT_READ_FILE_FOOTER", "_LEGACY_ERROR_TEMP_2064");

  private FailureReport() {}

  /** The console line for a failure: the input file it names, if any, and the innermost reason. */
  static String describe(Throwable failure) {
    Optional<String> checksum = HadoopFiles.staleChecksum(failure);
    if (checksum.isPresent()) {
      return checksum.get();
    }
    String reason = innermost(failure);
    for (Throwable t = failure; t != null; t = t.getCause()) {
      // HadoopFiles names the path it could not reach (an object store without credentials)
      if (t instanceof UncheckedIOException u
          && u.getMessage() != null
          && u.getMessage().startsWith("cannot ")
          && u.getCause() != null
          && !u.getMessage().equals(reason)) {
        return u.getMessage() + ": " + reason;
      }
      // getErrorClass, deprecated in 4.x for getCondition, is the one Spark 3.5 has too
      String errorClass = t instanceof SparkThrowable s ? s.getErrorClass() : null;
      if (errorClass != null) {
        Map<String, String> parameters = ((SparkThrowable) t).getMessageParameters();
        String path = parameters == null ? null : parameters.get("path");
        if (path != null && READ_FILE_ERRORS.stream().anyMatch(errorClass::startsWith)) {
          return "cannot read input file " + path + ": " + reason;
        }
      }
    }
    return reason;
  }

  private static String innermost(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    return m.lines().findFirst().orElse(m).strip();
  }

  /** Appends the failure's stack trace to the log file and returns the file. */
  static Path writeTrace(String command, Throwable failure) {
    StringWriter trace = new StringWriter();
    try (PrintWriter w = new PrintWriter(trace)) {
      w.println(LocalDateTime.now() + " softmax " + command + " failed:");
      failure.printStackTrace(w);
    }
    Path file = logFile(command);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(
          file,
          trace.toString(),
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      return file;
    } catch (IOException e) {
      return null;
    }
  }

  private static Path logFile(String command) {
    String named = System.getProperty(LOG_FILE_PROPERTY);
    if (named != null && !named.isBlank()) {
      return Path.of(named);
    }
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    return Path.of(
        System.getProperty("java.io.tmpdir"),
        "softmax-" + command + "-" + stamp + "-" + ProcessHandle.current().pid() + ".log");
  }
}
