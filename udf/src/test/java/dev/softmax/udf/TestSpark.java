package dev.softmax.udf;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.objects.StaticInvoke;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.execution.adaptive.AdaptiveSparkPlanExec;
import org.apache.spark.sql.execution.adaptive.QueryStageExec;
import scala.collection.Iterator;

/** One local Spark session for the module's tests, with the catalog registered as {@code nn}. */
final class TestSpark {
  private TestSpark() {}

  static SparkSession session() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("softmax-udf-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.catalog.nn", SoftmaxCatalog.class.getName())
        .getOrCreate();
  }

  /** Whether the session's Spark is at least major.minor. */
  static boolean atLeast(SparkSession spark, int major, int minor) {
    String[] v = spark.version().split("[.-]");
    int ma = Integer.parseInt(v[0]);
    int mi = Integer.parseInt(v[1]);
    return ma > major || (ma == major && mi >= minor);
  }

  /** Whole-stage codegen on, or every expression interpreted (static invoke by reflection). */
  static void useCodegen(SparkSession spark, String mode) {
    boolean codegen = mode.equals("CODEGEN_ONLY");
    spark.conf().set("spark.sql.codegen.factoryMode", mode);
    spark.conf().set("spark.sql.codegen.wholeStage", Boolean.toString(codegen));
  }

  /**
   * The static invokes of the executed plan that run inside whole-stage codegen, as {@code
   * Class.method(arg, ...)} with column names and literal values: the same on every Spark line,
   * whose plan strings differ ({@code static_invoke(...)} on 4.x, {@code staticinvoke(class ...)}
   * on 3.5). Runs the query first, so that an adaptive plan is final; a cached relation's own plan
   * is not walked.
   */
  static List<String> codegenStaticInvokes(Dataset<?> df) {
    df.collectAsList();
    List<String> out = new ArrayList<>();
    walk(df.queryExecution().executedPlan(), false, out);
    return out;
  }

  private static void walk(SparkPlan plan, boolean inCodegen, List<String> out) {
    if (plan instanceof AdaptiveSparkPlanExec) {
      walk(((AdaptiveSparkPlanExec) plan).executedPlan(), inCodegen, out);
      return;
    }
    if (plan instanceof QueryStageExec) {
      walk(((QueryStageExec) plan).plan(), inCodegen, out);
      return;
    }
    boolean codegen = inCodegen || plan instanceof WholeStageCodegenExec;
    for (Iterator<Expression> e = plan.expressions().iterator(); e.hasNext(); ) {
      collect(e.next(), codegen, out);
    }
    for (Iterator<SparkPlan> c = plan.children().iterator(); c.hasNext(); ) {
      walk(c.next(), codegen, out);
    }
  }

  private static void collect(Expression e, boolean codegen, List<String> out) {
    if (e instanceof StaticInvoke && codegen) {
      StaticInvoke s = (StaticInvoke) e;
      List<String> args = new ArrayList<>();
      for (Iterator<Expression> a = s.arguments().iterator(); a.hasNext(); ) {
        Expression arg = a.next();
        args.add(
            arg instanceof Attribute
                ? ((Attribute) arg).name()
                : arg instanceof Literal ? String.valueOf(((Literal) arg).value()) : arg.sql());
      }
      out.add(
          s.staticObject().getName()
              + "."
              + s.functionName()
              + "("
              + String.join(", ", args)
              + ")");
    }
    for (Iterator<Expression> c = e.children().iterator(); c.hasNext(); ) {
      collect(c.next(), codegen, out);
    }
  }
}
