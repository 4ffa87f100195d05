package dev.softmax.job.pages;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.softmax.udf.RowProblem;
import dev.softmax.udf.RowProblemException;
import dev.softmax.udf.SqlFunction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;
import org.junit.jupiter.api.Test;

/**
 * {@link DecodedPages} on pages built here byte by byte (v1 levels as RLE runs, PLAIN or dictionary
 * values), so each case is exactly the layout it names: rows that span pages, which parquet-java
 * never writes and other writers may, and the rows the fail policy refuses.
 */
class DecodedPagesTest {
  /**
   * optional list of optional float: definition 3 is a value, 2 a null element, 1 an empty list.
   */
  private static final ColumnDescriptor COLUMN =
      new MessageType(
              "spark_schema",
              Types.optionalGroup()
                  .as(LogicalTypeAnnotation.listType())
                  .addField(
                      Types.repeatedGroup()
                          .addField(
                              Types.primitive(
                                      PrimitiveType.PrimitiveTypeName.FLOAT,
                                      Type.Repetition.OPTIONAL)
                                  .named("element"))
                          .named("list"))
                  .named("logits"))
          .getColumnDescription(new String[] {"logits", "list", "element"});

  private static final RowFunction FORWARD =
      new RowFunction(SqlFunction.SOFTMAX, 1.0, List.of("logits"), "probs");

  @Test
  void aRowThatSpansThreePagesIsReadWhole() throws IOException {
    Pages pages =
        new Pages(
            plain(new int[] {0, 1, 1}, new int[] {3, 3, 3}, 1f, 2f, 3f),
            plain(new int[] {1, 1}, new int[] {3, 3}, 4f, 5f),
            plain(new int[] {1, 0, 1}, new int[] {3, 3, 3}, 6f, 7f, 8f));
    DecodedPages rows = new DecodedPages(COLUMN, pages, true, FORWARD);
    assertArrayEquals(new float[] {1f, 2f, 3f, 4f, 5f, 6f}, rows.nextFloats());
    assertArrayEquals(new float[] {7f, 8f}, rows.nextFloats());
    assertEquals(0, rows.nextFloats().length, "past the chunk's end");
  }

  @Test
  void rowsOfOnePageAndRowsThatEndAPageAreReadAlike() throws IOException {
    Pages pages =
        new Pages(
            plain(new int[] {0, 1, 0, 1, 1}, new int[] {3, 3, 3, 3, 3}, 1f, 2f, 3f, 4f, 5f),
            plain(new int[] {0, 0, 1}, new int[] {3, 3, 3}, 6f, 7f, 8f));
    DecodedPages rows = new DecodedPages(COLUMN, pages, true, FORWARD);
    assertArrayEquals(new float[] {1f, 2f}, rows.nextFloats());
    assertArrayEquals(new float[] {3f, 4f, 5f}, rows.nextFloats());
    assertArrayEquals(new float[] {6f}, rows.nextFloats());
    assertArrayEquals(new float[] {7f, 8f}, rows.nextFloats());
  }

  @Test
  void dictionaryPagesAreLookedUp() throws IOException {
    float[] dictionary = {0.5f, -1.5f, 2.25f};
    ByteBuffer values = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : dictionary) {
      values.putFloat(v);
    }
    // indices 2, 2, 2, 0, 1 at bit width 2: an RLE run of three 2s, then one bit-packed group
    ByteArrayOutputStream indices = new ByteArrayOutputStream();
    indices.write(2);
    indices.write(3 << 1);
    indices.write(2);
    indices.write((1 << 1) | 1);
    indices.write(0b0000_0100);
    indices.write(0);
    Pages pages =
        new Pages(
            new DictionaryPage(BytesInput.from(values.array()), 3, Encoding.PLAIN),
            page(
                new int[] {0, 1, 1, 0, 1},
                new int[] {3, 3, 3, 3, 3},
                indices.toByteArray(),
                Encoding.RLE_DICTIONARY));
    DecodedPages rows = new DecodedPages(COLUMN, pages, true, FORWARD);
    assertArrayEquals(new float[] {2.25f, 2.25f, 2.25f}, rows.nextFloats());
    assertArrayEquals(new float[] {0.5f, -1.5f}, rows.nextFloats());
  }

  @Test
  void aNullElementAnEmptyListAndANullListAreRefusedAsTheCheckedFunctionRefusesThem()
      throws IOException {
    assertEquals(RowProblem.NULL_ELEMENT, refusal(new int[] {0, 1, 1}, new int[] {3, 2, 3}));
    assertEquals(RowProblem.NULL_ELEMENT, refusal(new int[] {0, 1}, new int[] {2, 3}));
    assertEquals(RowProblem.EMPTY_ARRAY, refusal(new int[] {0}, new int[] {1}));
    assertEquals(RowProblem.NULL_ARRAY, refusal(new int[] {0}, new int[] {0}));
  }

  @Test
  void aNullElementInTheSecondPageOfARowIsRefused() throws IOException {
    Pages pages =
        new Pages(
            plain(new int[] {0, 1}, new int[] {3, 3}, 1f, 2f),
            plain(new int[] {1, 1}, new int[] {3, 2}, 3f));
    DecodedPages rows = new DecodedPages(COLUMN, pages, true, FORWARD);
    RowProblemException e = assertThrows(RowProblemException.class, rows::nextFloats);
    assertEquals(RowProblem.NULL_ELEMENT, e.problem());
  }

  @Test
  void aPageWithFewerValuesThanItsLevelsSayIsRefused() throws IOException {
    Pages pages = new Pages(plain(new int[] {0, 1, 1}, new int[] {3, 3, 3}, 1f, 2f));
    DecodedPages rows = new DecodedPages(COLUMN, pages, true, FORWARD);
    IllegalStateException e = assertThrows(IllegalStateException.class, rows::nextFloats);
    assertEquals("a Parquet page's values end early", e.getMessage());
  }

  @Test
  void aPageThatIsASliceOfALargerBufferIsReadWithinItsOwnBytes() throws IOException {
    // an uncompressed page is a slice of its column chunk's buffer, with other pages around it
    DataPage whole = plain(new int[] {0, 1, 0}, new int[] {3, 3, 3}, 1f, 2f, 3f);
    DataPage shortPage = plain(new int[] {0, 1, 1}, new int[] {3, 3, 3}, 1f, 2f);
    assertArrayEquals(
        new float[] {1f, 2f},
        new DecodedPages(COLUMN, new Pages(inside(whole, false)), true, FORWARD).nextFloats());
    assertArrayEquals(
        new float[] {1f, 2f},
        new DecodedPages(COLUMN, new Pages(inside(whole, true)), true, FORWARD).nextFloats());
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            new DecodedPages(COLUMN, new Pages(inside(shortPage, false)), true, FORWARD)
                ::nextFloats);
    assertEquals("a Parquet page's values end early", e.getMessage());
  }

  @Test
  void levelsLongerThanTheirPageAreRefused() throws IOException {
    byte[] bytes = ((DataPageV1) plain(new int[] {0}, new int[] {3}, 1f)).getBytes().toByteArray();
    // the repetition levels' length, a little-endian int at the page's start, past the page's end
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(0, bytes.length);
    DataPage page =
        new DataPageV1(
            BytesInput.from(bytes),
            1,
            bytes.length,
            Statistics.createStats(COLUMN.getPrimitiveType()),
            Encoding.RLE,
            Encoding.RLE,
            Encoding.PLAIN);
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            new DecodedPages(COLUMN, new Pages(page), true, FORWARD)::nextFloats);
    assertEquals("a Parquet page's levels end early", e.getMessage());
  }

  /**
   * {@code page}'s bytes in the middle of a larger buffer (on the heap or direct) whose other bytes
   * are floats of 99: a reader that reads past the page's end finds values there.
   */
  private static DataPage inside(DataPage page, boolean direct) throws IOException {
    byte[] own = ((DataPageV1) page).getBytes().toByteArray();
    ByteBuffer buffer =
        (direct ? ByteBuffer.allocateDirect(own.length + 32) : ByteBuffer.allocate(own.length + 32))
            .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 4; i++) {
      buffer.putFloat(99f);
    }
    buffer.put(own);
    while (buffer.hasRemaining()) {
      buffer.putFloat(99f);
    }
    return new DataPageV1(
        BytesInput.from(buffer, 16, own.length),
        page.getValueCount(),
        own.length,
        Statistics.createStats(COLUMN.getPrimitiveType()),
        Encoding.RLE,
        Encoding.RLE,
        Encoding.PLAIN);
  }

  /** The problem the first row of a page of these levels (values for its present ones) has. */
  private static RowProblem refusal(int[] repetition, int[] definition) throws IOException {
    int present = 0;
    for (int d : definition) {
      present += d == 3 ? 1 : 0;
    }
    float[] values = new float[present];
    Pages pages = new Pages(plain(repetition, definition, values));
    DecodedPages rows = new DecodedPages(COLUMN, pages, true, FORWARD);
    return assertThrows(RowProblemException.class, rows::nextFloats).problem();
  }

  private static DataPage plain(int[] repetition, int[] definition, float... values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return page(repetition, definition, b.array(), Encoding.PLAIN);
  }

  /** A v1 page: the levels as RLE runs of equal neighbours, then {@code values}. */
  private static DataPage page(
      int[] repetition, int[] definition, byte[] values, Encoding encoding) {
    byte[] r = runs(repetition);
    byte[] d = runs(definition);
    byte[] bytes = new byte[r.length + d.length + values.length];
    System.arraycopy(r, 0, bytes, 0, r.length);
    System.arraycopy(d, 0, bytes, r.length, d.length);
    System.arraycopy(values, 0, bytes, r.length + d.length, values.length);
    return new DataPageV1(
        BytesInput.from(bytes),
        repetition.length,
        bytes.length,
        Statistics.createStats(COLUMN.getPrimitiveType()),
        Encoding.RLE,
        Encoding.RLE,
        encoding);
  }

  private static byte[] runs(int[] levels) {
    LevelRuns runs = new LevelRuns();
    int start = 0;
    for (int i = 1; i <= levels.length; i++) {
      if (i == levels.length || levels[i] != levels[start]) {
        runs.add(levels[start], i - start);
        start = i;
      }
    }
    byte[] bytes = new byte[runs.size()];
    runs.copyTo(bytes, 0);
    return bytes;
  }

  /** A column chunk's pages, handed out in order. */
  private static final class Pages implements PageReader {
    private final DictionaryPage dictionary;
    private final Deque<DataPage> pages = new ArrayDeque<>();

    Pages(DataPage... pages) {
      this(null, pages);
    }

    Pages(DictionaryPage dictionary, DataPage... pages) {
      this.dictionary = dictionary;
      this.pages.addAll(List.of(pages));
    }

    @Override
    public DictionaryPage readDictionaryPage() {
      return dictionary;
    }

    @Override
    public long getTotalValueCount() {
      return pages.stream().mapToLong(DataPage::getValueCount).sum();
    }

    @Override
    public DataPage readPage() {
      return pages.poll();
    }
  }
}
