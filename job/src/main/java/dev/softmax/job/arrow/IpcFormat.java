package dev.softmax.job.arrow;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * What a file is, from its first bytes: an Arrow IPC file, an Arrow IPC stream, Parquet, or else.
 */
public enum IpcFormat {
  /** Arrow IPC file format (Feather v2): starts with "ARROW1"; splittable by record batch. */
  FILE,
  /** Arrow IPC stream format (Hugging Face datasets' cache files): not splittable. */
  STREAM,
  /** Apache Parquet: starts with "PAR1". */
  PARQUET,
  /** None of these. */
  UNKNOWN;

  private static final byte[] ARROW_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] PARQUET_MAGIC = "PAR1".getBytes(StandardCharsets.US_ASCII);

  /**
   * Whether a file in a dataset directory holds data: not hidden (. or _) and not a JSON sidecar,
   * such as the dataset_info.json and state.json beside a Hugging Face save_to_disk directory's
   * shards.
   */
  public static boolean isDataFile(String name) {
    return !name.startsWith(".") && !name.startsWith("_") && !name.endsWith(".json");
  }

  /** Reads the first bytes of {@code file}. */
  public static IpcFormat sniff(Path file, Configuration conf) {
    byte[] head = new byte[8];
    int n = 0;
    try (InputStream in = file.getFileSystem(conf).open(file)) {
      int r;
      while (n < head.length && (r = in.read(head, n, head.length - n)) > 0) {
        n += r;
      }
    } catch (IOException e) {
      // the caller says what it could not read: the format is what it was finding out
      throw new UncheckedIOException("cannot read " + file, e);
    }
    if (n >= 6 && Arrays.equals(head, 0, 6, ARROW_MAGIC, 0, 6)) {
      return FILE;
    }
    if (n >= 4 && Arrays.equals(head, 0, 4, PARQUET_MAGIC, 0, 4)) {
      return PARQUET;
    }
    // a stream starts with a message: the continuation marker 0xFFFFFFFF, then its length
    if (n >= 8 && head[0] == -1 && head[1] == -1 && head[2] == -1 && head[3] == -1) {
      return STREAM;
    }
    return UNKNOWN;
  }
}
