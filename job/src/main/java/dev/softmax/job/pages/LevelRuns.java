package dev.softmax.job.pages;

import java.util.Arrays;

/**
 * Repetition or definition levels of one data page, as Parquet's RLE / bit-packing hybrid encoding
 * writes them in a v1 page: a little-endian 4-byte length, then runs, each a varint header (the
 * run's length shifted left by one) and the repeated level in one byte (levels here are at most 8
 * bits wide). Only RLE runs are written: a list row is two runs of repetition levels (0, then 1 for
 * each further element) and a page of present elements one run of definition levels, so there is
 * nothing to bit-pack.
 */
final class LevelRuns {
  private byte[] bytes = new byte[64];
  private int length;

  /** Appends {@code count} (> 0) repetitions of {@code level}. */
  void add(int level, long count) {
    if (length + 11 > bytes.length) {
      bytes = Arrays.copyOf(bytes, bytes.length * 2);
    }
    long header = count << 1;
    while ((header & ~0x7FL) != 0) {
      bytes[length++] = (byte) ((header & 0x7F) | 0x80);
      header >>>= 7;
    }
    bytes[length++] = (byte) header;
    bytes[length++] = (byte) level;
  }

  /** The bytes the page holds for these levels: the 4-byte length, then the runs. */
  int size() {
    return 4 + length;
  }

  /** Writes {@link #size()} bytes into {@code to} at {@code at}. */
  void copyTo(byte[] to, int at) {
    to[at] = (byte) length;
    to[at + 1] = (byte) (length >>> 8);
    to[at + 2] = (byte) (length >>> 16);
    to[at + 3] = (byte) (length >>> 24);
    System.arraycopy(bytes, 0, to, at + 4, length);
  }

  void clear() {
    length = 0;
  }
}
