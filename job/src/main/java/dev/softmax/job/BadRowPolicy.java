package dev.softmax.job;

/** What the job does with a row it cannot compute. */
public enum BadRowPolicy {
  /** Stop the run; nothing is written. */
  fail,
  /** Leave the row out and count it. */
  skip,
  /** Write the row, with all its columns and an {@code error} column, to the quarantine path. */
  quarantine
}
