package dev.softmax.job;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** What a run did: written as {@code _summary.json} in the output and as one console line. */
record Summary(
    String command,
    String input,
    String output,
    String quarantine,
    long rowsIn,
    long rowsWritten,
    long rowsSkipped,
    long rowsQuarantined,
    Map<String, Long> badRowsByReason,
    List<String> columns,
    String elementType,
    double elapsedSeconds,
    double rowsPerSecond,
    String sparkVersion,
    String master,
    String kernel,
    List<String> notes) {

  String toJson() {
    try {
      return new ObjectMapper()
              .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
              .enable(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(this)
          + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the summary as JSON", e);
    }
  }

  String toLine() {
    String reasons =
        badRowsByReason.isEmpty()
            ? ""
            : badRowsByReason.entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", ", " [", "]"));
    return String.format(
        Locale.ROOT,
        "%s: %d rows in, %d written, %d skipped, %d quarantined%s; %s %s in %.1f s (%.0f rows/s) -> %s",
        command,
        rowsIn,
        rowsWritten,
        rowsSkipped,
        rowsQuarantined,
        reasons,
        elementType,
        String.join(",", columns),
        elapsedSeconds,
        rowsPerSecond,
        output);
  }
}
