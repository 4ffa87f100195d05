package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The classic-UDF path: same names without the prefix, array&lt;double&gt; results. From Spark 4.2
 * the plain names of the session extension (system.builtin) come before temporary functions, so
 * there the classic UDFs are called by their qualified name, system.session.NAME.
 */
class SoftmaxUdfsTest {
  private static SparkSession spark;
  private static String udf;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
    SoftmaxUdfs.register(spark);
    udf = TestSpark.atLeast(spark, 4, 2) ? "system.session." : "";
  }

  @Test
  void classicUdfsComputeTheSameValues() {
    Row row =
        spark
            .sql(
                ("SELECT %softmax(array(1f, 2f, 3f)), nn.softmax(array(1d, 2d, 3d)),"
                        + " %softmax_backward(array(0.25d, 0.75d), array(1d, 0d)), %log_softmax(array(0d, 0d)),"
                        + " %softmax_backward_from_logits(array(0d, 0d), array(1d, 0d)),"
                        + " %log_softmax_backward(array(0d), array(3d)), %softmax_jacobian(array(0.25d, 0.75d))[1]")
                    .replace("%", udf))
            .collectAsList()
            .get(0);
    assertThat(row.<Double>getList(0)).isEqualTo(row.<Double>getList(1));
    assertThat(row.<Double>getList(2)).containsExactly(0.1875, -0.1875);
    assertThat(row.<Double>getList(3)).containsExactly(-Math.log(2), -Math.log(2));
    assertThat(row.<Double>getList(4)).containsExactly(0.25, -0.25);
    assertThat(row.<Double>getList(5)).containsExactly(0.0);
    assertThat(row.<Double>getList(6)).containsExactly(-0.1875, 0.1875);
  }

  @Test
  void nullsGiveNull() {
    Row row =
        spark
            .sql(
                ("SELECT %softmax(CAST(NULL AS array<double>)), %softmax(array(1d, NULL)),"
                        + " %softmax_backward(array(1d), CAST(NULL AS array<double>))")
                    .replace("%", udf))
            .collectAsList()
            .get(0);
    assertThat(row.isNullAt(0)).isTrue();
    assertThat(row.isNullAt(1)).isTrue();
    assertThat(row.isNullAt(2)).isTrue();
  }

  @Test
  void lengthMismatchNamesBothLengths() {
    assertThatThrownBy(
            () ->
                spark.sql("SELECT " + udf + "softmax_backward(array(1d), array(1d, 2d))").collect())
        .hasStackTraceContaining("softmax_backward: probs has 1 elements but grad has 2");
  }

  @Test
  void pysparkStyleRegistrationByClassName() {
    // what spark.udf.registerJavaFunction("sm", "dev.softmax.udf.SoftmaxUdfs$SoftmaxUdf", ...) does
    spark
        .udf()
        .registerJava(
            "sm_by_name",
            SoftmaxUdfs.SoftmaxUdf.class.getName(),
            DataTypes.createArrayType(DataTypes.DoubleType));
    List<Double> p =
        spark.sql("SELECT sm_by_name(array(5d, 5d))").collectAsList().get(0).getList(0);
    assertThat(p).containsExactly(0.5, 0.5);
  }
}
