package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bad-row reasons, in both codegen modes. */
class CheckFunctionTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void checkLogitsNamesEachProblem(String mode) {
    TestSpark.useCodegen(spark, mode);
    Row row = spark.sql("SELECT nn.check_logits(CAST(NULL AS array<float>)),"
        + " nn.check_logits(CAST(array() AS array<float>)), nn.check_logits(array(1f, NULL)),"
        + " nn.check_logits(array(1d, double('NaN'))), nn.check_logits(array(1d, double('Infinity'))),"
        + " nn.check_logits(array(double('-Infinity'))), nn.check_logits(array(double('-Infinity'), 0d))")
        .collectAsList().get(0);
    assertThat(row.getString(0)).isEqualTo("null array");
    assertThat(row.getString(1)).isEqualTo("empty array");
    assertThat(row.getString(2)).isEqualTo("null element");
    assertThat(row.getString(3)).isEqualTo("NaN or +inf");
    assertThat(row.getString(4)).isEqualTo("NaN or +inf");
    assertThat(row.getString(5)).isEqualTo("all entries -inf");
    assertThat(row.isNullAt(6)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void checkValuesRefusesEveryNonFiniteValue(String mode) {
    TestSpark.useCodegen(spark, mode);
    Row row = spark.sql("SELECT nn.check_values(array(1f, float('-Infinity'))),"
        + " nn.check_values(array(double('NaN'))), nn.check_values(array(0.5d, -2d)),"
        + " nn.check_values(CAST(NULL AS array<double>)), nn.check_values(array(NULL, 1d))")
        .collectAsList().get(0);
    assertThat(row.getString(0)).isEqualTo("non-finite value");
    assertThat(row.getString(1)).isEqualTo("non-finite value");
    assertThat(row.isNullAt(2)).isTrue();
    assertThat(row.getString(3)).isEqualTo("null array");
    assertThat(row.getString(4)).isEqualTo("null element");
  }
}
