package dev.softmax.job;

/** What to do when the output path (or table) exists. */
public enum WriteMode {
  /** Refuse to run. */
  error,
  /** Replace it, but only once the new output has been written completely. */
  overwrite,
  /** Add the run's rows to it in one snapshot of its own: tables only ({@code --output-table}). */
  append
}
