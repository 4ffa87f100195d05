package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bad-row reasons, in both codegen modes; and the checked forms, which fail a query on such a
 * row with the same reason.
 */
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
    Row row =
        spark
            .sql(
                "SELECT nn.check_logits(CAST(NULL AS array<float>)),"
                    + " nn.check_logits(CAST(array() AS array<float>)), nn.check_logits(array(1f, NULL)),"
                    + " nn.check_logits(array(1d, double('NaN'))), nn.check_logits(array(1d, double('Infinity'))),"
                    + " nn.check_logits(array(double('-Infinity'))), nn.check_logits(array(double('-Infinity'), 0d))")
            .collectAsList()
            .get(0);
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
    Row row =
        spark
            .sql(
                "SELECT nn.check_values(array(1f, float('-Infinity'))),"
                    + " nn.check_values(array(double('NaN'))), nn.check_values(array(0.5d, -2d)),"
                    + " nn.check_values(CAST(NULL AS array<double>)), nn.check_values(array(NULL, 1d))")
            .collectAsList()
            .get(0);
    assertThat(row.getString(0)).isEqualTo("non-finite value");
    assertThat(row.getString(1)).isEqualTo("non-finite value");
    assertThat(row.isNullAt(2)).isTrue();
    assertThat(row.getString(3)).isEqualTo("null array");
    assertThat(row.getString(4)).isEqualTo("null element");
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void checkedFormsFailTheQueryOnABadRowWithWhy(String mode) {
    TestSpark.useCodegen(spark, mode);
    Dataset<Row> rows =
        spark
            .range(8)
            .selectExpr(
                "id",
                "CASE WHEN id = 5 THEN array(1f, float('NaN')) ELSE array(CAST(id AS float), 0f, float('-Infinity')) END AS z");
    Dataset<Row> good =
        rows.filter("id != 5")
            .selectExpr(
                "nn.softmax_checked(z) = nn.softmax(z)",
                    "nn.softmax_checked(z, 0.5) = nn.softmax(z, 0.5)",
                "nn.log_softmax_checked(z) = nn.log_softmax(z)",
                    "nn.log_softmax_checked(z, 3) = nn.log_softmax(z, 3)");
    for (Row r : good.collectAsList()) {
      for (int i = 0; i < r.size(); i++) {
        assertThat(r.getBoolean(i)).as("%s, column %d", r, i).isTrue();
      }
    }
    for (String function : new String[] {"softmax_checked", "log_softmax_checked"}) {
      Throwable failure =
          catchThrowable(() -> rows.selectExpr("nn." + function + "(z)").collectAsList());
      assertThat(failure).as(function).isNotNull();
      Throwable t = failure;
      while (t != null && !(t instanceof RowProblemException)) {
        t = t.getCause();
      }
      assertThat(t).as("a RowProblemException in the chain of %s", failure).isNotNull();
      assertThat(((RowProblemException) t).problem()).isEqualTo(RowProblem.NAN_OR_INFINITY);
      assertThat(t.getMessage()).isEqualTo("nn." + function + ": bad row: NaN or +inf");
    }
  }
}
