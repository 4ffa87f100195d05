package dev.softmax.job;

/**
 * The job's data formats and Arrow compressions, as its options take them (lower case, as typed).
 */
final class Formats {
  private Formats() {}

  /** {@code --input-format}: auto tells Parquet from Arrow IPC by the first file's bytes. */
  enum Input {
    auto,
    parquet,
    arrow
  }

  /** {@code --output-format}. */
  enum Output {
    parquet,
    arrow
  }

  /** {@code --arrow-compression}: Arrow IPC buffer compression. */
  enum ArrowCompression {
    none,
    lz4,
    zstd
  }
}
