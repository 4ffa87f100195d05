package dev.softmax.job;

/** What to do when the output path exists. */
public enum WriteMode {
  /** Refuse to run. */
  error,
  /** Replace it, but only once the new output has been written completely. */
  overwrite
}
