package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The loss functions through SQL: types, nulls, refusals and values against exact decimal values
 * (the kernels have their own tests against the double-double reference and PyTorch's values), each
 * with code generation and with every expression interpreted.
 */
class LossFunctionsTest {
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

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void crossEntropyOfALabelIsMinusTheLogProbabilityOfItsClass(String mode) {
    // log(1 + e + e^2) - 1 = 1.4076059644443803 (Python decimal, 30 digits)
    Row r =
        one(
            mode,
            "SELECT nn.cross_entropy(array(0d, 1d, 2d), 1), nn.cross_entropy(array(0f, 1f, 2f), 1L)");
    assertThat(r.getDouble(0)).isCloseTo(1.4076059644443803, within(2 * Math.ulp(1.4)));
    assertThat(r.getFloat(1)).isCloseTo(1.4076059644443803f, within(Math.ulp(1.4f)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void theLossHasTheLogitsElementType(String mode) {
    TestSpark.useCodegen(spark, mode);
    StructType schema =
        spark
            .sql(
                "SELECT nn.cross_entropy(array(0f, 1f), 1) AS a,"
                    + " nn.kl_distill(array(0d, 1d), array(1d, 0d), 2) AS b,"
                    + " nn.cross_entropy_backward(array(0f, 1f), 1) AS c,"
                    + " nn.softmax_topk(array(0f, 1f), 1) AS d")
            .schema();
    assertThat(schema.apply("a").dataType()).isEqualTo(DataTypes.FloatType);
    assertThat(schema.apply("b").dataType()).isEqualTo(DataTypes.DoubleType);
    assertThat(schema.apply("c").dataType()).isEqualTo(new ArrayType(DataTypes.FloatType, false));
    assertThat(schema.apply("d").dataType().catalogString())
        .isEqualTo("array<struct<index:int,prob:float>>");
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void aNullArgumentGivesNullNeverClassZero(String mode) {
    Row r =
        one(
            mode,
            "SELECT nn.cross_entropy(array(0d, 5d), CAST(NULL AS INT)),"
                + " nn.cross_entropy_backward(array(0d, 5d), CAST(NULL AS BIGINT)),"
                + " nn.cross_entropy(CAST(NULL AS ARRAY<DOUBLE>), 0),"
                + " nn.cross_entropy(array(0d, NULL), 0),"
                + " nn.softmax_topk(array(0d, 5d), CAST(NULL AS INT)),"
                + " nn.kl_distill(array(0d), array(0d), CAST(NULL AS DOUBLE))");
    for (int i = 0; i < r.size(); i++) {
      assertThat(r.isNullAt(i)).as("column %d", i).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void anIgnoredRowGivesZeroAndZeros(String mode) {
    Row r =
        one(
            mode,
            "SELECT nn.cross_entropy(array(0d, double('NaN')), -100),"
                + " nn.cross_entropy_backward(array(0d, 1d), 7, 7),"
                + " nn.cross_entropy(array(0d, 1d), 3, 3)");
    assertThat(r.getDouble(0)).isZero();
    assertThat(r.<Double>getList(1)).containsExactly(0.0, 0.0);
    assertThat(r.getDouble(2)).isZero();
  }

  @Test
  void aLabelOutsideTheRowFailsNamingFunctionAndLabel() {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    assertThatThrownBy(() -> spark.sql("SELECT nn.cross_entropy(array(0d, 1d), 2)").collect())
        .hasStackTraceContaining(
            "nn.cross_entropy: label 2 is outside [0, 2) and is not the ignore index -100");
  }

  @Test
  void badArgumentTypesAreAnalysisErrorsNamingTheArgument() {
    assertThatThrownBy(() -> spark.sql("SELECT nn.cross_entropy(array(0d, 1d), 1.5d)"))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining("label must be an int or a bigint, got double");
    assertThatThrownBy(() -> spark.sql("SELECT nn.kl_distill(array(0d), array(0f), 1)"))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining("must have the same element type");
    assertThatThrownBy(() -> spark.sql("SELECT nn.softmax_entropy(array(1, 2))"))
        .isInstanceOf(AnalysisException.class)
        .hasMessageContaining("logits must be array<float> or array<double>, got array<int>");
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void smoothingAndProbabilityTargetsFollowPyTorch(String mode) {
    // e = 0.1 over 2 classes: q = (0.05, 0.95); -(0.05 log S_0 + 0.95 log S_1) with
    // S = softmax(0, 1): 0.36326168751822283 (Python decimal)
    Row r =
        one(
            mode,
            "SELECT nn.cross_entropy(array(0d, 1d), 1, -100, 0.1),"
                + " nn.cross_entropy(array(0d, 1d), array(0.05d, 0.95d)),"
                + " nn.cross_entropy(array(0d, double('-Infinity')), array(1d, 0d)),"
                + " nn.cross_entropy(array(0d, double('-Infinity')), 1)");
    assertThat(r.getDouble(0)).isCloseTo(0.36326168751822283, within(2 * Math.ulp(0.36)));
    assertThat(r.getDouble(1)).isCloseTo(0.36326168751822283, within(2 * Math.ulp(0.36)));
    assertThat(r.getDouble(2)).as("0 log 0 = 0 on a masked class").isZero();
    assertThat(r.getDouble(3)).as("a label on a masked class").isEqualTo(Double.POSITIVE_INFINITY);
  }

  @ParameterizedTest
  @ValueSource(strings = {"CODEGEN_ONLY", "NO_CODEGEN"})
  void topKIsLargestFirstWithTiesToTheLowerIndex(String mode) {
    Row r = one(mode, "SELECT nn.softmax_topk(array(1d, 3d, 0d, 3d), 3)");
    List<Row> top = r.getList(0);
    assertThat(top).extracting(e -> e.getInt(0)).containsExactly(1, 3, 0);
    // e^3 / (e + 2 e^3 + 1) and e / (e + 2 e^3 + 1), to 17 digits (Python decimal)
    assertThat(top.get(0).getDouble(1)).isCloseTo(0.45764027779301551, within(1e-15));
    assertThat(top.get(2).getDouble(1)).isCloseTo(0.061934876615599868, within(1e-15));
  }
}
