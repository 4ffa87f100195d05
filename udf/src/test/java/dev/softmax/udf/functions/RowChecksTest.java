package dev.softmax.udf.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.softmax.udf.RowProblemException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;
import org.junit.jupiter.api.Test;

/**
 * The row checks and the functions' null rule on the two arrays Spark hands a function: a {@link
 * ColumnarArray} (the vectorized Parquet reader's) and an {@link UnsafeArrayData} (a row's, whose
 * null bits are read a word at a time). One bad element at every position of rows a few vectors and
 * a few 64-bit null words wide, against the rule stated element by element. The checked forms of
 * the forward functions throw on exactly the rows check_logits refuses, with its reason, and give
 * the unchecked forms' bits on every other row.
 */
class RowChecksTest {
  /** Each checked form on float rows, with the unchecked form whose bits it must give. */
  private static final Map<String, UnaryOperator<ArrayData>[]> CHECKED_FLOATS =
      Map.of(
          "softmax_checked",
              pair(SoftmaxCheckedFunction.OnFloats::invoke, SoftmaxFunction.OnFloats::invoke),
          "log_softmax_checked",
              pair(LogSoftmaxCheckedFunction.OnFloats::invoke, LogSoftmaxFunction.OnFloats::invoke),
          "softmax_checked, T = 0.5",
              pair(
                  a -> SoftmaxCheckedFunction.OnFloatsWithTemperature.invoke(a, 0.5),
                  a -> SoftmaxFunction.OnFloatsWithTemperature.invoke(a, 0.5)),
          "log_softmax_checked, T = 3",
              pair(
                  a -> LogSoftmaxCheckedFunction.OnFloatsWithTemperature.invoke(a, 3),
                  a -> LogSoftmaxFunction.OnFloatsWithTemperature.invoke(a, 3)));

  /** The same on double rows. */
  private static final Map<String, UnaryOperator<ArrayData>[]> CHECKED_DOUBLES =
      Map.of(
          "softmax_checked",
              pair(SoftmaxCheckedFunction.OnDoubles::invoke, SoftmaxFunction.OnDoubles::invoke),
          "log_softmax_checked",
              pair(
                  LogSoftmaxCheckedFunction.OnDoubles::invoke,
                  LogSoftmaxFunction.OnDoubles::invoke),
          "softmax_checked, T = 0.5",
              pair(
                  a -> SoftmaxCheckedFunction.OnDoublesWithTemperature.invoke(a, 0.5),
                  a -> SoftmaxFunction.OnDoublesWithTemperature.invoke(a, 0.5)),
          "log_softmax_checked, T = 3",
              pair(
                  a -> LogSoftmaxCheckedFunction.OnDoublesWithTemperature.invoke(a, 3),
                  a -> LogSoftmaxFunction.OnDoublesWithTemperature.invoke(a, 3)));

  private static final int[] WIDTHS = {1, 2, 15, 16, 17, 63, 64, 65, 130};
  private static final Object[] BAD = {
    null, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY
  };

  @Test
  void oneBadElementAnywhereIsFoundInEitherKindOfArray() {
    int checked = 0;
    for (int n : WIDTHS) {
      for (int p = 0; p < n; p++) {
        for (Object bad : BAD) {
          Float[] row = new Float[n];
          for (int i = 0; i < n; i++) {
            row[i] = (float) Math.sin(i);
          }
          row[p] = (Float) bad;
          for (ArrayData a : arrays(row)) {
            String where = a.getClass().getSimpleName() + ", width " + n + ", " + bad + " at " + p;
            assertThat(string(CheckFunction.FloatLogits.invoke(a)))
                .as(where)
                .isEqualTo(logitsRule(row));
            assertThat(string(CheckFunction.FloatValues.invoke(a)))
                .as(where)
                .isEqualTo(valuesRule(row));
            assertThat(SoftmaxFunction.OnFloats.invoke(a) == null).as(where).isEqualTo(bad == null);
            assertCheckedForms(CHECKED_FLOATS, a, logitsRule(row), where);
            checked++;
          }
        }
      }
    }
    assertThat(checked).isEqualTo(2 * BAD.length * Arrays.stream(WIDTHS).sum());
  }

  @Test
  void doubleRowsAreCheckedTheSameWay() {
    for (int n : WIDTHS) {
      for (int p = 0; p < n; p++) {
        for (double bad :
            new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
          double[] row = new double[n];
          for (int i = 0; i < n; i++) {
            row[i] = Math.cos(i);
          }
          row[p] = bad;
          Float[] asFloats = new Float[n];
          for (int i = 0; i < n; i++) {
            asFloats[i] = (float) row[i];
          }
          ArrayData a = UnsafeArrayData.fromPrimitiveArray(row);
          String where = "width " + n + ", " + bad + " at " + p;
          assertThat(string(CheckFunction.DoubleLogits.invoke(a)))
              .as(where)
              .isEqualTo(logitsRule(asFloats));
          assertThat(string(CheckFunction.DoubleValues.invoke(a)))
              .as(where)
              .isEqualTo(valuesRule(asFloats));
          assertCheckedForms(CHECKED_DOUBLES, a, logitsRule(asFloats), where);
        }
      }
    }
  }

  @Test
  void rowsOfOnlyMinusInfinityAreAllMaskedInEitherKindOfArray() {
    for (int n : WIDTHS) {
      Float[] row = new Float[n];
      Arrays.fill(row, Float.NEGATIVE_INFINITY);
      for (ArrayData a : arrays(row)) {
        assertThat(string(CheckFunction.FloatLogits.invoke(a)))
            .as("width %d", n)
            .isEqualTo("all entries -inf");
        assertCheckedForms(CHECKED_FLOATS, a, "all entries -inf", "width " + n);
      }
    }
  }

  @Test
  void checkedFormsRefuseNullAndEmptyArrays() {
    for (var forms : List.of(CHECKED_FLOATS, CHECKED_DOUBLES)) {
      assertCheckedForms(forms, null, "null array", "null");
    }
    assertCheckedForms(
        CHECKED_FLOATS, UnsafeArrayData.fromPrimitiveArray(new float[0]), "empty array", "empty");
    assertCheckedForms(
        CHECKED_DOUBLES, UnsafeArrayData.fromPrimitiveArray(new double[0]), "empty array", "empty");
  }

  /**
   * A bad temperature is the call's error, not the row's: named like the unchecked form's, before
   * any row check.
   */
  @Test
  void aBadTemperatureIsNotABadRow() {
    assertThatThrownBy(() -> SoftmaxCheckedFunction.OnFloatsWithTemperature.invoke(null, 0))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("nn.softmax_checked: ");
    assertThatThrownBy(
            () ->
                LogSoftmaxCheckedFunction.OnDoublesWithTemperature.invoke(
                    UnsafeArrayData.fromPrimitiveArray(new double[] {1}), Double.NaN))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("nn.log_softmax_checked: ");
  }

  /**
   * Each checked form on {@code a}: the bits of its unchecked form when {@code rule} (check_logits
   * stated element by element) finds the row good, else a {@link RowProblemException} with that
   * reason.
   */
  private static void assertCheckedForms(
      Map<String, UnaryOperator<ArrayData>[]> forms, ArrayData a, String rule, String where) {
    forms.forEach(
        (name, pair) -> {
          if (rule == null) {
            ArrayData expected = pair[1].apply(a);
            assertThat(expected).as("%s, %s: the unchecked form's result", name, where).isNotNull();
            assertThat(pair[0].apply(a)).as("%s, %s", name, where).isEqualTo(expected);
          } else {
            assertThatThrownBy(() -> pair[0].apply(a))
                .as("%s, %s", name, where)
                .isInstanceOfSatisfying(
                    RowProblemException.class,
                    e -> {
                      assertThat(e.problem().reason()).isEqualTo(rule);
                      assertThat(e.getMessage())
                          .isEqualTo("nn." + name.split(",")[0] + ": bad row: " + rule);
                    });
          }
        });
  }

  @SuppressWarnings("unchecked")
  private static UnaryOperator<ArrayData>[] pair(
      UnaryOperator<ArrayData> checked, UnaryOperator<ArrayData> unchecked) {
    return new UnaryOperator[] {checked, unchecked};
  }

  @Test
  void nullBitsPastTheLastElementDoNotMakeANullElement() {
    for (int n : new int[] {1, 63, 65, 100}) {
      UnsafeArrayData a = UnsafeArrayData.fromPrimitiveArray(new float[n]);
      // set every bit of the last null word that no element owns
      long lastWord = a.getBaseOffset() + 8 + 8L * (n / 64);
      Platform.putLong(a.getBaseObject(), lastWord, -1L << (n % 64));
      assertThat(ArrayRows.hasNullElement(a)).as("width %d", n).isFalse();
      a.setNullAt(n - 1);
      assertThat(ArrayRows.hasNullElement(a)).as("width %d, last element null", n).isTrue();
    }
  }

  /**
   * The row as a columnar array (inside a larger column, as a batch holds it) and as an unsafe one.
   */
  private static List<ArrayData> arrays(Float[] row) {
    int n = row.length;
    OnHeapColumnVector v = new OnHeapColumnVector(3 * n, DataTypes.FloatType);
    float[] values = new float[n];
    boolean anyNull = false;
    for (int i = 0; i < n; i++) {
      v.putFloat(i, 1f);
      v.putFloat(2 * n + i, 2f);
      if (row[i] == null) {
        v.putNull(n + i);
        anyNull = true;
      } else {
        v.putFloat(n + i, row[i]);
        values[i] = row[i];
      }
    }
    UnsafeArrayData unsafe = UnsafeArrayData.fromPrimitiveArray(values);
    for (int i = 0; i < n; i++) {
      if (row[i] == null) {
        unsafe.setNullAt(i);
      }
    }
    List<ArrayData> arrays = new ArrayList<>();
    arrays.add(new ColumnarArray(v, n, n));
    arrays.add(unsafe);
    assertThat(anyNull).isEqualTo(Arrays.asList(row).contains(null));
    return arrays;
  }

  /** check_logits stated element by element. */
  private static String logitsRule(Float[] row) {
    boolean anyUnmasked = false;
    for (Float v : row) {
      if (v == null) {
        return "null element";
      }
    }
    for (Float v : row) {
      if (v.isNaN() || v == Float.POSITIVE_INFINITY) {
        return "NaN or +inf";
      }
      anyUnmasked |= v != Float.NEGATIVE_INFINITY;
    }
    return anyUnmasked ? null : "all entries -inf";
  }

  /** check_values stated element by element. */
  private static String valuesRule(Float[] row) {
    for (Float v : row) {
      if (v == null) {
        return "null element";
      }
    }
    for (Float v : row) {
      if (!Float.isFinite(v)) {
        return "non-finite value";
      }
    }
    return null;
  }

  private static String string(UTF8String s) {
    return s == null ? null : s.toString();
  }
}
