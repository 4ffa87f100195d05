package dev.softmax.job.connect;

import static org.apache.spark.sql.functions.call_function;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What ConnectIT runs in a JVM of its own with only the Spark Connect JVM client on the classpath
 * (no Spark SQL engine, no class of this project): calls the functions through a Connect server by
 * SQL, plain and nn.*, and by call_function, and prints one {@code name=value} line per check.
 *
 * <p>{@code ConnectClientCheck sc://127.0.0.1:PORT}
 */
public final class ConnectClientCheck {
  private ConnectClientCheck() {}

  public static void main(String[] args) throws ReflectiveOperationException {
    // Builder.remote is 4.x API; called by name so that this class also compiles on lines without
    // Connect
    SparkSession.Builder builder = SparkSession.builder();
    SparkSession spark =
        ((SparkSession.Builder)
                SparkSession.Builder.class
                    .getMethod("remote", String.class)
                    .invoke(builder, args[0]))
            .getOrCreate();
    try {
      System.out.println(
          "classic_engine_on_classpath=" + present("org.apache.spark.sql.classic.SparkSession"));
      System.out.println("project_on_classpath=" + present("dev.softmax.udf.SoftmaxCatalog"));
      spark
          .sql(
              "SELECT id, transform(sequence(1, 1 + int(id % 50)), j -> float(sin(id * 13 + j) * 8)) AS z,"
                  + " transform(sequence(1, 1 + int(id % 50)), j -> float(cos(id + j))) AS g FROM range(1200)")
          .createOrReplaceTempView("batch");
      Row sql =
          spark
              .sql(
                  "SELECT count(*),"
                      + " count_if(softmax(z) <=> nn.softmax(z)),"
                      + " count_if(softmax_backward_from_logits(z, g) <=> nn.softmax_backward_from_logits(z, g)),"
                      + " max(abs(aggregate(softmax(z), 0d, (a, x) -> a + x) - 1)),"
                      + " max(abs(aggregate(softmax_backward_from_logits(z, g), 0d, (a, x) -> a + x)))"
                      + " FROM batch")
              .collectAsList()
              .get(0);
      System.out.println("rows=" + sql.getLong(0));
      System.out.println("softmax_equal_nn=" + sql.getLong(1));
      System.out.println("backward_equal_nn=" + sql.getLong(2));
      System.out.println("max_row_sum_error=" + sql.getDouble(3));
      System.out.println("max_gradient_sum=" + sql.getDouble(4));

      Dataset<Row> batch = spark.table("batch");
      long equal =
          batch
              .select(
                  call_function("softmax", col("z"))
                      .equalTo(call_function("nn.softmax", col("z")))
                      .as("same"))
              .where(col("same"))
              .count();
      System.out.println("call_function_equal=" + equal);
      List<Row> quarter =
          spark
              .sql("SELECT array(0f, 0f, 0f, 0f) AS z")
              .select(call_function("softmax", col("z"), lit(2.0)))
              .collectAsList();
      System.out.println("quarter=" + quarter.get(0).getList(0));
      System.out.println(
          "describe="
              + String.join(
                  " | ",
                  spark.sql("DESCRIBE FUNCTION softmax").as(Encoders.STRING()).collectAsList()));
    } finally {
      spark.stop();
    }
  }

  private static boolean present(String className) {
    return ConnectClientCheck.class
            .getClassLoader()
            .getResource(className.replace('.', '/') + ".class")
        != null;
  }
}
