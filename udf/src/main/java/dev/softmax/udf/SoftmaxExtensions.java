package dev.softmax.udf;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.SparkSessionExtensionsProvider;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.analysis.FunctionRegistry;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import org.apache.spark.sql.catalyst.expressions.V2ExpressionUtils;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple3;
import scala.collection.Seq;
import scala.runtime.BoxedUnit;

/**
 * The softmax functions under their plain names ({@code SELECT softmax(logits)}), loaded by Spark
 * from {@code META-INF/services/org.apache.spark.sql.SparkSessionExtensionsProvider} as soon as the
 * udf jar is on the classpath (or named in {@code spark.sql.extensions}). Each name binds the same
 * function as the {@code nn} catalog's, so a call compiles to the same code-generated static
 * invoke, and {@code DESCRIBE FUNCTION} and {@code SHOW FUNCTIONS} show them like Spark's builtins.
 *
 * <p>A name Spark itself defines as a builtin is left to Spark: {@code nn.<name>} always reaches
 * this project's function.
 */
public final class SoftmaxExtensions implements SparkSessionExtensionsProvider {
  /** The version the functions appeared in, for DESCRIBE FUNCTION EXTENDED. */
  static final String SINCE = "0.1.0";

  /**
   * The functions under plain names, each with examples that {@code SoftmaxExtensionsTest} runs.
   */
  static final Map<String, String> EXAMPLES = examples();

  private static Map<String, String> examples() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(
        "softmax",
        """
              > SELECT _FUNC_(array(1d, 1d, double('-Infinity')));
               [0.5,0.5,0.0]
              > SELECT _FUNC_(array(3f, 3f, 3f, 3f), 2.0);
               [0.25,0.25,0.25,0.25]
        """);
    m.put(
        "log_softmax",
        """
              > SELECT _FUNC_(array(0d, 0d));
               [-0.6931471805599453,-0.6931471805599453]
        """);
    m.put(
        "softmax_backward",
        """
              > SELECT _FUNC_(array(0.5d, 0.5d), array(1d, 2d));
               [-0.25,0.25]
        """);
    m.put(
        "softmax_backward_from_logits",
        """
              > SELECT _FUNC_(array(0d, 0d), array(1d, 2d));
               [-0.25,0.25]
        """);
    m.put(
        "log_softmax_backward",
        """
              > SELECT _FUNC_(array(0d, double('-Infinity')), array(1d, 2d));
               [-2.0,2.0]
        """);
    m.put(
        "softmax_jacobian",
        """
              > SELECT _FUNC_(array(0.5d, 0.5d));
               [[0.25,-0.25],[-0.25,0.25]]
        """);
    m.put(
        "cross_entropy",
        """
              > SELECT _FUNC_(array(0d, 0d), 1);
               0.6931471805599453
              > SELECT _FUNC_(array(0d, 0d), -100);
               0.0
              > SELECT _FUNC_(array(0d, 0d), array(0.25d, 0.75d));
               0.6931471805599453
        """);
    m.put(
        "cross_entropy_backward",
        """
              > SELECT _FUNC_(array(0d, 0d), 1);
               [0.5,-0.5]
        """);
    m.put(
        "kl_distill",
        """
              > SELECT _FUNC_(array(1d, 2d), array(1d, 2d), 2.0);
               0.0
        """);
    m.put(
        "kl_distill_backward",
        """
              > SELECT _FUNC_(array(0d, 0d), array(0d, double('-Infinity')), 2.0);
               [-1.0,1.0]
        """);
    m.put(
        "softmax_entropy",
        """
              > SELECT _FUNC_(array(0d, 0d, 0d, 0d));
               1.3862943611198906
        """);
    m.put(
        "softmax_topk",
        """
              > SELECT _FUNC_(array(0d, 0d, double('-Infinity')), 1);
               [{0,0.5}]
        """);
    return Collections.unmodifiableMap(m);
  }

  /** Spark loads providers with a public no-argument constructor. */
  public SoftmaxExtensions() {}

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    for (String name : plainNames(new ArrayList<>(EXAMPLES.keySet()))) {
      UnboundFunction function = SqlFunction.named(name).orElseThrow().function();
      // the builder's Seq is scala.collection.Seq on Scala 2.12 and immutable.Seq on 2.13: let
      // javac infer it
      extensions.injectFunction(
          new Tuple3<>(new FunctionIdentifier(name), info(function), args -> bind(function, args)));
    }
    return BoxedUnit.UNIT;
  }

  /** The names that Spark does not define itself: a builtin of the same name keeps its meaning. */
  static List<String> plainNames(List<String> names) {
    return names.stream()
        .filter(n -> !FunctionRegistry.builtin().functionExists(new FunctionIdentifier(n)))
        .toList();
  }

  /**
   * Binds {@code function} to the arguments' types, as the catalog path does, and makes Spark's
   * expression for it.
   */
  private static Expression bind(UnboundFunction function, Seq<Expression> args) {
    List<StructField> fields = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      Expression e = args.apply(i);
      fields.add(new StructField("_" + i, e.dataType(), e.nullable(), Metadata.empty()));
    }
    BoundFunction bound = function.bind(new StructType(fields.toArray(StructField[]::new)));
    // toSeq() is the Seq that Scala line's Spark takes
    return V2ExpressionUtils.resolveScalarFunction((ScalarFunction<?>) bound, args.toSeq());
  }

  /**
   * DESCRIBE FUNCTION's text, from the function's own description: usage, arguments, examples,
   * since.
   */
  static ExpressionInfo info(UnboundFunction function) {
    String[] lines = function.description().split("\n");
    String usage =
        lines[0].replaceFirst(
            "^" + SoftmaxCatalog.DEFAULT_NAME + "\\." + function.name() + "\\(", "_FUNC_(");
    StringBuilder arguments = new StringBuilder("\n    Arguments:\n");
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i].strip();
      int colon = line.indexOf(": ");
      arguments
          .append("      * ")
          .append(line, 0, colon)
          .append(" - ")
          .append(line.substring(colon + 2))
          .append('\n');
    }
    return new ExpressionInfo(
        SoftmaxExtensions.class.getName(),
        null,
        function.name(),
        usage,
        arguments.toString(),
        "\n    Examples:\n" + EXAMPLES.get(function.name()),
        "",
        "math_funcs",
        SINCE,
        "",
        "java_udf");
  }
}
