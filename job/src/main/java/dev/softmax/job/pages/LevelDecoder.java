package dev.softmax.job.pages;

/**
 * Decodes Parquet's RLE / bit-packing hybrid encoding (levels, dictionary indices) into an int
 * array in one pass: an RLE run is a fill, a bit-packed group of eight values is unpacked from its
 * little-endian bits.
 */
final class LevelDecoder {
  private LevelDecoder() {}

  /**
   * Decodes {@code count} values of {@code bitWidth} bits (0 to 32) from {@code bytes[from, to)}
   * into {@code out[0, count)}.
   */
  static void decode(byte[] bytes, int from, int to, int bitWidth, int[] out, int count) {
    int byteWidth = (bitWidth + 7) / 8;
    int p = from;
    int i = 0;
    while (i < count) {
      if (p >= to) {
        throw new IllegalStateException("a Parquet page's levels or indices end early");
      }
      long header = 0;
      int shift = 0;
      int b;
      do {
        b = bytes[p++] & 0xFF;
        header |= (long) (b & 0x7F) << shift;
        shift += 7;
      } while ((b & 0x80) != 0);
      if ((header & 1) == 0) {
        long run = header >>> 1;
        int value = 0;
        for (int k = 0; k < byteWidth; k++) {
          value |= (bytes[p++] & 0xFF) << (8 * k);
        }
        int end = (int) Math.min(count, i + run);
        java.util.Arrays.fill(out, i, end, value);
        i = end;
      } else {
        int values = (int) (header >>> 1) * 8;
        long mask = bitWidth == 32 ? 0xFFFFFFFFL : (1L << bitWidth) - 1;
        for (int k = 0; k < values; k++) {
          if (i + k < count) {
            long bit = (long) k * bitWidth;
            int at = p + (int) (bit >>> 3);
            long word = 0;
            for (int j = 0; j < 5 && at + j < to; j++) {
              word |= (long) (bytes[at + j] & 0xFF) << (8 * j);
            }
            out[i + k] = (int) ((word >>> (bit & 7)) & mask);
          }
        }
        p += values / 8 * bitWidth;
        i += values;
      }
    }
  }
}
