package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.softmax.udf.kernel.Jacobian;
import dev.softmax.udf.kernel.Softmax;
import dev.softmax.udf.kernel.SoftmaxBackward;
import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The catalog's functions called through SQL, each test once with code generation and once with
 * every expression interpreted. Values are checked against exact decimal values or the kernels,
 * which have their own tests against a double-double reference.
 */
class SqlFunctionsTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  private static Row one(String mode, String sql) {
    TestSpark.useCodegen(spark, mode);
    List<Row> rows = spark.sql(sql).collectAsList();
    assertThat(rows).hasSize(1);
    return rows.get(0);
  }

  private static double[] doubles(Row row, int i) {
    List<Double> l = row.getList(i);
    return l.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static float[] floats(Row row, int i) {
    List<Float> l = row.getList(i);
    float[] f = new float[l.size()];
    for (int k = 0; k < f.length; k++) {
      f[k] = l.get(k);
    }
    return f;
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void softmaxOfDoublesMatchesExactValues(String mode) {
    double[] s = doubles(one(mode, "SELECT nn.softmax(array(1d, 2d, 3d))"), 0);
    // exact values to 20 digits (Python decimal)
    assertThat(s[0]).isCloseTo(0.090030573170380458, within(Math.ulp(0.09)));
    assertThat(s[1]).isCloseTo(0.24472847105479765, within(Math.ulp(0.24)));
    assertThat(s[2]).isCloseTo(0.66524095577482189, within(Math.ulp(0.66)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void floatInputGivesFloatOutput(String mode) {
    TestSpark.useCodegen(spark, mode);
    var df =
        spark.sql("SELECT nn.softmax(array(1f, 2f, 3f)) AS p, nn.log_softmax(array(0d, 0d)) AS q");
    assertThat(df.schema().apply("p").dataType())
        .isEqualTo(new ArrayType(DataTypes.FloatType, false));
    assertThat(df.schema().apply("q").dataType())
        .isEqualTo(new ArrayType(DataTypes.DoubleType, false));
    Row row = df.collectAsList().get(0);
    assertThat(floats(row, 0)).containsExactly(0.09003057f, 0.24472848f, 0.66524094f);
    assertThat(doubles(row, 1)).containsExactly(-Math.log(2), -Math.log(2));
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void nullArrayNullElementAndEmptyArray(String mode) {
    Row row =
        one(
            mode,
            "SELECT nn.softmax(CAST(NULL AS array<float>)),"
                + " nn.softmax(array(1f, NULL)), nn.softmax(CAST(array() AS array<double>)),"
                + " nn.softmax_backward(array(0.5d, 0.5d), CAST(NULL AS array<double>)),"
                + " nn.softmax_jacobian(array(1d, NULL))");
    assertThat(row.isNullAt(0)).isTrue();
    assertThat(row.isNullAt(1)).isTrue();
    assertThat(row.getList(2)).isEmpty();
    assertThat(row.isNullAt(3)).isTrue();
    assertThat(row.isNullAt(4)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void nanRowMaskedEntriesAndHugeLogits(String mode) {
    Row row =
        one(
            mode,
            "SELECT nn.softmax(array(1d, double('NaN'))),"
                + " nn.softmax(array(0d, double('-Infinity'), 0d)), nn.softmax(array(1e308d, -1e308d, 1e308d)),"
                + " nn.softmax(array(double('-Infinity'), double('-Infinity')))");
    assertThat(doubles(row, 0)).containsOnly(Double.NaN);
    assertThat(doubles(row, 1)).containsExactly(0.5, 0.0, 0.5);
    assertThat(doubles(row, 2)).containsExactly(0.5, 0.0, 0.5);
    assertThat(doubles(row, 3)).containsOnly(Double.NaN);
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void temperatureScalesTheLogits(String mode) {
    Row row =
        one(
            mode,
            "SELECT nn.softmax(array(2d, 4d, 6d), 2), nn.softmax(array(1d, 2d, 3d)),"
                + " nn.log_softmax(array(2f, 4f), 2.0D), nn.log_softmax(array(1f, 2f))");
    assertThat(doubles(row, 0)).containsExactly(doubles(row, 1));
    assertThat(floats(row, 2)).containsExactly(floats(row, 3));
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void invalidTemperatureIsARuntimeErrorNamingTheFunction(String mode) {
    TestSpark.useCodegen(spark, mode);
    assertThatThrownBy(() -> spark.sql("SELECT nn.softmax(array(1d, 2d), -1)").collect())
        .hasStackTraceContaining("nn.softmax: temperature must be finite and > 0, got -1.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void backwardFunctionsMatchTheKernels(String mode) {
    Row row =
        one(
            mode,
            "SELECT nn.softmax_backward(array(0.25d, 0.75d), array(1d, 0d)),"
                + " nn.softmax_backward(array(0.25f, 0.75f), array(1f, 0f), 2),"
                + " nn.softmax_backward_from_logits(array(1d, 2d, 3d), array(0.5d, -1d, 2d)),"
                + " nn.softmax_backward_from_logits(array(1f, 2f, 3f), array(0.5f, -1f, 2f), 0.5),"
                + " nn.log_softmax_backward(nn.log_softmax(array(1d, 2d, 3d)), array(0.5d, -1d, 2d))");
    // S = (1/4, 3/4), g = (1, 0): <S,g> = 1/4, dz = (3/16, -3/16); halved by T = 2
    assertThat(doubles(row, 0)).containsExactly(0.1875, -0.1875);
    assertThat(floats(row, 1)).containsExactly(0.09375f, -0.09375f);

    double[] expected = new double[3];
    SoftmaxBackward.fromLogits(new double[] {1, 2, 3}, new double[] {0.5, -1, 2}, 1.0, expected);
    assertThat(doubles(row, 2)).containsExactly(expected);
    float[] expectedF = new float[3];
    SoftmaxBackward.fromLogits(new float[] {1, 2, 3}, new float[] {0.5f, -1, 2}, 0.5, expectedF);
    assertThat(floats(row, 3)).containsExactly(expectedF);

    double[] y = new double[3];
    Softmax.logForward(new double[] {1, 2, 3}, 1.0, y);
    double[] expectedLog = new double[3];
    SoftmaxBackward.fromLogProbs(y, new double[] {0.5, -1, 2}, 1.0, expectedLog);
    assertThat(doubles(row, 4)).containsExactly(expectedLog);
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void lengthMismatchIsARuntimeErrorNamingBothLengths(String mode) {
    TestSpark.useCodegen(spark, mode);
    assertThatThrownBy(
            () ->
                spark
                    .sql("SELECT nn.softmax_backward(array(0.5d, 0.5d, 0d), array(1d, 2d, 3d, 4d))")
                    .collect())
        .hasStackTraceContaining("nn.softmax_backward: probs has 3 elements but grad has 4");
    assertThatThrownBy(
            () ->
                spark
                    .sql("SELECT nn.softmax_backward_from_logits(array(1f), array(1f, 2f))")
                    .collect())
        .hasStackTraceContaining(
            "nn.softmax_backward_from_logits: logits has 1 elements but grad has 2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void jacobianIsDiagSMinusSSTranspose(String mode) {
    Row row =
        one(
            mode,
            "SELECT j[0], j[1], size(j), jf[0], jf[1] FROM (SELECT"
                + " nn.softmax_jacobian(array(0.25d, 0.75d)) AS j, nn.softmax_jacobian(array(0.5f, 0.5f)) AS jf)");
    assertThat(doubles(row, 0)).containsExactly(0.1875, -0.1875);
    assertThat(doubles(row, 1)).containsExactly(-0.1875, 0.1875);
    assertThat(row.getInt(2)).isEqualTo(2);
    assertThat(floats(row, 3)).containsExactly(0.25f, -0.25f);
    assertThat(floats(row, 4)).containsExactly(-0.25f, 0.25f);
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void jacobianWiderThanTheLimitIsAClearError(String mode) {
    TestSpark.useCodegen(spark, mode);
    String sql = "SELECT nn.softmax_jacobian(array_repeat(0d, " + (Jacobian.MAX_WIDTH + 1) + "))";
    assertThatThrownBy(() -> spark.sql(sql).collect())
        .hasStackTraceContaining(
            "nn.softmax_jacobian: row has 4097 elements; the explicit Jacobian is limited to 4096");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "SELECT nn.softmax(1)|nn.softmax(logits [, temperature]): logits must be array<float> or array<double>, got int",
        "SELECT nn.softmax(array('a'))|logits must be array<float> or array<double>, got array<string>",
        "SELECT nn.softmax(array(1d), 'x')|temperature must be a number, got string",
        "SELECT nn.softmax(array(1d), 1, 2)|nn.softmax(logits [, temperature]) expects 1 or 2 arguments, got 3",
        "SELECT nn.softmax_backward(array(1d))|nn.softmax_backward(probs, grad [, temperature]) expects 2 or 3 arguments, got 1",
        "SELECT nn.softmax_backward(array(1d), array(1f))|probs and grad must have the same element type, got array<double> and array<float>",
        "SELECT nn.softmax_jacobian(array(1d), array(1d))|nn.softmax_jacobian(probs) expects 1 arguments, got 2",
        "SELECT nn.log_softmax(array(1L))|nn.log_softmax(logits [, temperature]): logits must be array<float> or array<double>, got array<bigint>"
      })
  void wrongTypeOrArityIsAnAnalysisError(String sqlAndMessage) {
    String[] parts = sqlAndMessage.split("\\|");
    assertThatThrownBy(() -> spark.sql(parts[0]))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining(parts[1]);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"SELECT nn.no_such_function(array(1d))", "SELECT nn.x.softmax(array(1d))"})
  void unknownFunctionIsAnAnalysisError(String sql) {
    assertThatThrownBy(() -> spark.sql(sql)).isInstanceOf(AnalysisException.class);
  }
}
