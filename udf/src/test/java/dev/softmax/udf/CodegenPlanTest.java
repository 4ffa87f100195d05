package dev.softmax.udf;

import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.Identifier;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The physical plan proves the fast path: static invoke inside whole-stage codegen, no casts. */
class CodegenPlanTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  private static String plan(Dataset<Row> df) {
    return df.queryExecution().executedPlan().toString();
  }

  @Test
  void parquetFloatArraysRunAsStaticInvokeInWholeStageCodegenWithoutCasts(@TempDir Path dir) {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    String path = dir.resolve("t").toString();
    // Spark writes array elements as nullable: the bound input type must say so, or Spark casts
    spark
        .sql(
            "SELECT id, array(float(id), 1f, 2f) AS logits, array(1f, 0f, 0f) AS grad FROM range(10)")
        .write()
        .parquet(path);
    Dataset<Row> df =
        spark
            .read()
            .parquet(path)
            .selectExpr(
                "nn.softmax(logits) AS p", "nn.softmax_backward_from_logits(logits, grad, 2) AS d");
    String plan = plan(df);
    assertThat(TestSpark.codegenStaticInvokes(df))
        .containsExactly(
            "dev.softmax.udf.functions.SoftmaxFunction$OnFloats.invoke(logits)",
            "dev.softmax.udf.functions.SoftmaxBackwardFromLogitsFunction$OnFloatsWithTemperature.invoke(logits, grad, 2.0)");
    assertThat(plan).containsPattern("\\*\\(\\d+\\) Project");
    assertThat(plan).doesNotContainIgnoringCase("cast(logits");
    assertThat(df.collectAsList()).hasSize(10);
  }

  @Test
  void dataFrameApiCallsTheSameFunction() {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    Dataset<Row> df =
        spark
            .sql("SELECT array(0d, 0d, 0d, 0d) AS logits")
            .select(call_function("nn.softmax", col("logits")).as("p"));
    List<Double> p = df.collectAsList().get(0).getList(0);
    assertThat(p).containsExactly(0.25, 0.25, 0.25, 0.25);
  }

  @Test
  void boundFunctionsAreEqualByTheirReadableName() throws Exception {
    // Spark's defaults (a random name, identity) would keep it from sharing one call between
    // equal expressions of a query
    StructType input = new StructType().add("z", "array<double>");
    var f = new SoftmaxCatalog().loadFunction(Identifier.of(new String[0], "softmax"));
    assertThat(f.bind(input)).isEqualTo(f.bind(input)).hasSameHashCodeAs(f.bind(input));
    assertThat(f.bind(input).canonicalName()).isEqualTo("nn.softmax(array<double>)");
    assertThat(f.bind(input.add("t", "int")).canonicalName())
        .isEqualTo("nn.softmax(array<double>, double)");
    assertThat(f.bind(input)).isNotEqualTo(f.bind(new StructType().add("z", "array<float>")));
  }

  @Test
  void catalogListsItsFunctions() {
    assertThat(new SoftmaxCatalog().listFunctions(new String[0]))
        .extracting(Identifier::name)
        .containsExactly(
            "check_logits",
            "check_values",
            "cross_entropy",
            "cross_entropy_backward",
            "kl_distill",
            "kl_distill_backward",
            "log_softmax",
            "log_softmax_backward",
            "log_softmax_checked",
            "softmax",
            "softmax_backward",
            "softmax_backward_from_logits",
            "softmax_checked",
            "softmax_entropy",
            "softmax_jacobian",
            "softmax_topk");
  }
}
