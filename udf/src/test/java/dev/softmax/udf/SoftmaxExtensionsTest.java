package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The plain names (softmax, ...): loaded by Spark from the udf jar's service file with no
 * configuration, the same code as nn.*, documented like Spark's builtins.
 */
class SoftmaxExtensionsTest {
  private static SparkSession spark;

  /** Each plain-named call and its nn.* twin, on the columns of the test table. */
  private static final Map<String, String> CALLS =
      Map.of(
          "softmax(z)", "nn.softmax(z)",
          "softmax(z, 1.5)", "nn.softmax(z, 1.5)",
          "log_softmax(z)", "nn.log_softmax(z)",
          "softmax_backward(p, g)", "nn.softmax_backward(p, g)",
          "softmax_backward_from_logits(z, g, 0.5)", "nn.softmax_backward_from_logits(z, g, 0.5)",
          "log_softmax_backward(lp, g)", "nn.log_softmax_backward(lp, g)",
          "softmax_jacobian(p)", "nn.softmax_jacobian(p)");

  @BeforeAll
  static void start() {
    // a session with no setting for the plain names (the service file alone brings them), and of
    // its own, so that the classic UDFs another test registers under the same names are not here
    spark = TestSpark.session().newSession();
    spark
        .sql(
            "SELECT id, transform(sequence(1, 1 + int(id % 37)), j -> float(sin(id * 7 + j) * 12)) AS z,"
                + " transform(sequence(1, 1 + int(id % 37)), j -> float(cos(id * 3 + j))) AS g FROM range(1500)")
        .selectExpr("id", "z", "g", "nn.softmax(z) AS p", "nn.log_softmax(z) AS lp")
        .cache()
        .createOrReplaceTempView("rows");
  }

  @Test
  void everyPlainNameGivesBitForBitTheResultOfItsNnTwin() {
    for (var call : CALLS.entrySet()) {
      Dataset<Row> df =
          spark.sql(
              "SELECT count(*), count_if("
                  + call.getKey()
                  + " <=> "
                  + call.getValue()
                  + ") FROM rows");
      Row r = df.collectAsList().get(0);
      assertThat(r.getLong(1)).as(call.getKey()).isEqualTo(r.getLong(0)).isEqualTo(1500L);
    }
  }

  @Test
  void plainNamesRunAsTheSameStaticInvokeInWholeStageCodegen() {
    TestSpark.useCodegen(spark, "CODEGEN_ONLY");
    Dataset<Row> plain = spark.sql("SELECT softmax(z) AS p FROM rows");
    Dataset<Row> qualified = spark.sql("SELECT nn.softmax(z) AS p FROM rows");
    String invoke = "dev.softmax.udf.functions.SoftmaxFunction$OnFloats.invoke(z)";
    assertThat(TestSpark.codegenStaticInvokes(plain)).containsExactly(invoke);
    assertThat(TestSpark.codegenStaticInvokes(qualified)).containsExactly(invoke);
    assertThat(plan(plain)).isEqualTo(plan(qualified));
  }

  private static String plan(Dataset<Row> df) {
    return df.queryExecution().executedPlan().toString().replaceAll("#\\d+", "");
  }

  @Test
  void describeFunctionReadsLikeABuiltin() {
    String text =
        String.join(
            "\n",
            spark.sql("DESCRIBE FUNCTION EXTENDED softmax").as(Encoders.STRING()).collectAsList());
    assertThat(text)
        .contains(
            "Function: softmax",
            "Usage: softmax(logits [, temperature]) - the row-wise softmax",
            "Arguments:",
            "* logits - array<float> or array<double>",
            "* temperature - T, a finite number > 0",
            "Examples:",
            "> SELECT softmax(array(1d, 1d, double('-Infinity')));",
            "[0.5,0.5,0.0]",
            "Since: " + SoftmaxExtensions.SINCE);
  }

  @Test
  void showFunctionsListsThemAll() {
    List<String> names =
        spark.sql("SHOW FUNCTIONS LIKE '*softmax*'").as(Encoders.STRING()).collectAsList();
    assertThat(names)
        .contains(
            "softmax",
            "log_softmax",
            "softmax_backward",
            "softmax_backward_from_logits",
            "log_softmax_backward",
            "softmax_jacobian");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "softmax",
        "log_softmax",
        "softmax_backward",
        "softmax_backward_from_logits",
        "log_softmax_backward",
        "softmax_jacobian",
        "cross_entropy",
        "cross_entropy_backward",
        "kl_distill",
        "kl_distill_backward",
        "softmax_entropy",
        "softmax_topk"
      })
  void theDocumentedExamplesGiveTheDocumentedResults(String name) {
    Matcher m =
        Pattern.compile("> SELECT (.*);\\n\\s*(\\S.*)\\n")
            .matcher(SoftmaxExtensions.EXAMPLES.get(name));
    int examples = 0;
    while (m.find()) {
      String expression = m.group(1).replace("_FUNC_", name);
      String got =
          spark
              .sql("SELECT CAST(" + expression + " AS STRING)")
              .as(Encoders.STRING())
              .collectAsList()
              .get(0)
              .replace(" ", "");
      assertThat(got).as(expression).isEqualTo(m.group(2).strip());
      examples++;
    }
    assertThat(examples).isPositive();
  }

  @Test
  void errorsStillNameTheFunctionTheArgumentAndTheType() {
    assertThatThrownBy(() -> spark.sql("SELECT softmax(array(1, 2))").collect())
        .hasMessageContaining(
            "softmax(logits [, temperature]): logits must be array<float> or array<double>, got array<int>");
  }

  @Test
  void aPermanentViewUsesTheCatalogNameWhichItStores() {
    spark.sql("CREATE OR REPLACE VIEW softmax_view AS SELECT nn.softmax(array(0d, 0d)) AS p");
    assertThat(
            spark
                .sql("SELECT CAST(p AS STRING) FROM softmax_view")
                .as(Encoders.STRING())
                .collectAsList())
        .containsExactly("[0.5, 0.5]");
    if (TestSpark.atLeast(spark, 4, 2)) {
      // Spark 4.2 counts injected functions as builtins (system.builtin): a permanent view may use
      // the plain name
      spark.sql("CREATE OR REPLACE VIEW plain_view AS SELECT softmax(array(0d, 0d)) AS p");
      assertThat(
              spark
                  .sql("SELECT CAST(p AS STRING) FROM plain_view")
                  .as(Encoders.STRING())
                  .collectAsList())
          .containsExactly("[0.5, 0.5]");
      spark.sql("DROP VIEW plain_view");
    } else {
      // before 4.2 Spark counts injected functions as temporary: a permanent view cannot store the
      // plain name
      assertThatThrownBy(
              () ->
                  spark.sql(
                      "CREATE OR REPLACE VIEW plain_view AS SELECT softmax(array(0d, 0d)) AS p"))
          .hasMessageContaining("INVALID_TEMP_OBJ_REFERENCE");
    }
    spark.sql("DROP VIEW softmax_view");
  }

  @Test
  void aNameSparkDefinesAsABuiltinIsLeftToSpark() {
    assertThat(SoftmaxExtensions.plainNames(List.of("softmax", "abs", "log_softmax")))
        .containsExactly("softmax", "log_softmax");
  }
}
