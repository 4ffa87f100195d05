package dev.softmax.job.pages;

import dev.softmax.udf.RowProblem;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Set;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.schema.PrimitiveType;

/**
 * The rows of one column chunk of a {@code list<float>} or {@code list<double>} column, decoded a
 * page at a time: both levels into int arrays ({@link LevelDecoder}), the values read as PLAIN
 * little-endian bytes or through the chunk's dictionary. parquet-java's column reader decodes the
 * levels one call per value; this costs a fraction of it (see docs/performance.md). For the
 * encodings of {@link #DECODED} only (data pages v1 and v2); other chunks are read by {@link
 * ListRows}.
 */
final class DecodedPages implements ListSource {
  /** The encodings of a chunk this class decodes. */
  static final Set<Encoding> DECODED =
      Set.of(Encoding.PLAIN, Encoding.RLE, Encoding.PLAIN_DICTIONARY, Encoding.RLE_DICTIONARY);

  private final PageReader pages;
  private final boolean floats;
  private final int maxRepetition;
  private final int present;
  private final int emptyList;
  private final RowFunction function;
  private float[] floatDictionary;
  private double[] doubleDictionary;
  private int[] repetition = new int[0];
  private int[] definition = new int[0];
  private int[] indices = new int[0];

  /**
   * The page's present values in order. A row is copied out only when all its values are present
   * and an absent one fails the run, so the values before {@link #position} are all present and a
   * value's index here is its position among the levels.
   */
  private float[] pageFloats = new float[0];

  private double[] pageDoubles = new double[0];
  private boolean allPresent;
  private int count;
  private int position;
  private float[] floatBuffer = new float[256];
  private double[] doubleBuffer = new double[256];
  private float[] floatRow = new float[0];
  private double[] doubleRow = new double[0];

  DecodedPages(
      ColumnDescriptor column, PageReader pages, boolean elementOptional, RowFunction function)
      throws java.io.IOException {
    this.pages = pages;
    this.floats =
        column.getPrimitiveType().getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.FLOAT;
    this.maxRepetition = column.getMaxRepetitionLevel();
    this.present = column.getMaxDefinitionLevel();
    this.emptyList = present - (elementOptional ? 2 : 1);
    this.function = function;
    DictionaryPage dictionary = pages.readDictionaryPage();
    if (dictionary != null) {
      ByteBuffer b = bytes(dictionary.getBytes().toByteArray());
      int n = dictionary.getDictionarySize();
      if (floats) {
        floatDictionary = new float[n];
        b.asFloatBuffer().get(floatDictionary);
      } else {
        doubleDictionary = new double[n];
        b.asDoubleBuffer().get(doubleDictionary);
      }
    }
  }

  private static ByteBuffer bytes(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Decodes the next page; false at the end of the chunk. */
  private boolean nextPage() {
    DataPage page = pages.readPage();
    if (page == null) {
      return false;
    }
    try {
      count = page.getValueCount();
      if (repetition.length < count) {
        repetition = new int[count];
        definition = new int[count];
        indices = new int[count];
      }
      Encoding encoding;
      ByteBuffer bytes;
      int offset;
      if (page instanceof DataPageV1 v1) {
        bytes = heap(v1.getBytes());
        offset = bytes.arrayOffset() + bytes.position();
        int end = bytes.arrayOffset() + bytes.limit();
        offset = levels(bytes.array(), offset, end, maxRepetition, repetition);
        offset = levels(bytes.array(), offset, end, present, definition);
        encoding = v1.getValueEncoding();
      } else {
        DataPageV2 v2 = (DataPageV2) page;
        byte[] r = v2.getRepetitionLevels().toByteArray();
        byte[] d = v2.getDefinitionLevels().toByteArray();
        LevelDecoder.decode(
            r, 0, r.length, BytesUtils.getWidthFromMaxInt(maxRepetition), repetition, count);
        LevelDecoder.decode(
            d, 0, d.length, BytesUtils.getWidthFromMaxInt(present), definition, count);
        bytes = heap(v2.getData());
        offset = bytes.arrayOffset() + bytes.position();
        encoding = v2.getDataEncoding();
      }
      byte[] data = bytes.array();
      int end = bytes.arrayOffset() + bytes.limit();
      int presentValues = 0;
      for (int i = 0; i < count; i++) {
        if (definition[i] == this.present) {
          presentValues++;
        }
      }
      allPresent = presentValues == count;
      if (floats && pageFloats.length < presentValues) {
        pageFloats = new float[presentValues];
      } else if (!floats && pageDoubles.length < presentValues) {
        pageDoubles = new double[presentValues];
      }
      if (encoding == Encoding.PLAIN_DICTIONARY || encoding == Encoding.RLE_DICTIONARY) {
        if (floatDictionary == null && doubleDictionary == null) {
          throw new IllegalStateException("a dictionary-encoded page without a dictionary");
        }
        LevelDecoder.decode(data, offset + 1, end, data[offset], indices, presentValues);
        if (floats) {
          for (int i = 0; i < presentValues; i++) {
            pageFloats[i] = floatDictionary[indices[i]];
          }
        } else {
          for (int i = 0; i < presentValues; i++) {
            pageDoubles[i] = doubleDictionary[indices[i]];
          }
        }
      } else if (encoding == Encoding.PLAIN) {
        int width = floats ? Float.BYTES : Double.BYTES;
        if ((long) presentValues * width > end - offset) {
          throw new IllegalStateException("a Parquet page's values end early");
        }
        ByteBuffer values =
            ByteBuffer.wrap(data, offset, end - offset).order(ByteOrder.LITTLE_ENDIAN);
        if (floats) {
          values.asFloatBuffer().get(pageFloats, 0, presentValues);
        } else {
          values.asDoubleBuffer().get(pageDoubles, 0, presentValues);
        }
      } else {
        throw new IllegalStateException("a page in encoding " + encoding);
      }
      position = 0;
      return true;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The bytes of {@code in} as a buffer over an array, without the copy {@code toByteArray} makes:
   * a decompressed page is already an array, and an uncompressed one a slice of the chunk's buffer.
   * A direct buffer is copied.
   */
  private static ByteBuffer heap(BytesInput in) throws java.io.IOException {
    ByteBuffer b = in.toByteBuffer();
    if (b.hasArray()) {
      return b;
    }
    ByteBuffer copy = ByteBuffer.allocate(b.remaining());
    copy.put(b).flip();
    return copy;
  }

  /**
   * Decodes v1 levels (4-byte length, then the runs) at {@code offset}; returns the offset after.
   */
  private int levels(byte[] data, int offset, int end, int max, int[] out) {
    if (max == 0) {
      return offset;
    }
    if (end - offset < 4) {
      throw new IllegalStateException("a Parquet page's levels end early");
    }
    int length = ByteBuffer.wrap(data, offset, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (length < 0 || length > end - offset - 4) {
      throw new IllegalStateException("a Parquet page's levels end early");
    }
    LevelDecoder.decode(
        data, offset + 4, offset + 4 + length, BytesUtils.getWidthFromMaxInt(max), out, count);
    return offset + 4 + length;
  }

  /** Refuses the row unless the value at {@code index} of it is present. */
  private void requirePresent(int level, int index) {
    if (level == present) {
      return;
    }
    if (index > 0 || level > emptyList) {
      throw function.refuse(RowProblem.NULL_ELEMENT);
    }
    throw function.refuse(level == emptyList ? RowProblem.EMPTY_ARRAY : RowProblem.NULL_ARRAY);
  }

  /**
   * The end (exclusive) of the run of the row's values in this page that starts at {@link
   * #position}: the next value that starts a row, or the page's end. Refuses the row if one of them
   * is absent; {@code index} is the first one's index in the row.
   */
  private int runEnd(int index) {
    int end = position + 1;
    while (end < count && repetition[end] != 0) {
      end++;
    }
    if (!allPresent) {
      for (int i = position; i < end; i++) {
        requirePresent(definition[i], index + i - position);
      }
    }
    return end;
  }

  @Override
  public float[] nextFloats() {
    int n = 0;
    while (true) {
      if (position == count && !nextPage()) {
        break;
      }
      if (n > 0 && repetition[position] == 0) {
        break;
      }
      int end = runEnd(n);
      int k = end - position;
      if (n == 0 && end < count) {
        // the whole row lies in this page
        if (floatRow.length != k) {
          floatRow = new float[k];
        }
        System.arraycopy(pageFloats, position, floatRow, 0, k);
        position = end;
        return floatRow;
      }
      if (n + k > floatBuffer.length) {
        floatBuffer = Arrays.copyOf(floatBuffer, Math.max(n + k, floatBuffer.length * 2));
      }
      System.arraycopy(pageFloats, position, floatBuffer, n, k);
      n += k;
      position = end;
    }
    if (floatRow.length != n) {
      floatRow = new float[n];
    }
    System.arraycopy(floatBuffer, 0, floatRow, 0, n);
    return floatRow;
  }

  @Override
  public double[] nextDoubles() {
    int n = 0;
    while (true) {
      if (position == count && !nextPage()) {
        break;
      }
      if (n > 0 && repetition[position] == 0) {
        break;
      }
      int end = runEnd(n);
      int k = end - position;
      if (n == 0 && end < count) {
        // the whole row lies in this page
        if (doubleRow.length != k) {
          doubleRow = new double[k];
        }
        System.arraycopy(pageDoubles, position, doubleRow, 0, k);
        position = end;
        return doubleRow;
      }
      if (n + k > doubleBuffer.length) {
        doubleBuffer = Arrays.copyOf(doubleBuffer, Math.max(n + k, doubleBuffer.length * 2));
      }
      System.arraycopy(pageDoubles, position, doubleBuffer, n, k);
      n += k;
      position = end;
    }
    if (doubleRow.length != n) {
      doubleRow = new double[n];
    }
    System.arraycopy(doubleBuffer, 0, doubleRow, 0, n);
    return doubleRow;
  }
}
