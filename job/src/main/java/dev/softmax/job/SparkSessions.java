package dev.softmax.job;

import dev.softmax.udf.SoftmaxCatalog;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The job's Spark session: the softmax functions as catalog {@code nn}, local mode by default. */
final class SparkSessions {
  static final String PROGRESS = "spark.ui.showConsoleProgress";

  private SparkSessions() {}

  static SparkSession start(String command) {
    SparkSession.Builder builder = SparkSession.builder()
        .appName("softmax " + command)
        .config("spark.sql.catalog." + SoftmaxCatalog.DEFAULT_NAME, SoftmaxCatalog.class.getName());
    SparkConf given = new SparkConf();
    if (!given.contains("spark.master")) {
      builder.master("local[*]");
    }
    if (!given.contains(PROGRESS)) {
      // the progress bar redraws with carriage returns: noise in a piped or captured log
      builder.config(PROGRESS, System.console() != null);
    }
    return builder.getOrCreate();
  }
}
