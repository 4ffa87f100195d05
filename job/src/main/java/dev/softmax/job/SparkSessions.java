package dev.softmax.job;

import dev.softmax.udf.SoftmaxCatalog;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The job's Spark session: the softmax functions as catalog {@code nn}, local mode by default. */
final class SparkSessions {
  private SparkSessions() {}

  static SparkSession start(String command) {
    SparkSession.Builder builder = SparkSession.builder()
        .appName("softmax " + command)
        .config("spark.sql.catalog." + SoftmaxCatalog.DEFAULT_NAME, SoftmaxCatalog.class.getName());
    if (!new SparkConf().contains("spark.master")) {
      builder.master("local[*]");
    }
    return builder.getOrCreate();
  }
}
