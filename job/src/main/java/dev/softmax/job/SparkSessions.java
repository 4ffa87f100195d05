package dev.softmax.job;

import dev.softmax.udf.SoftmaxCatalog;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The job's Spark session, whatever launcher started it (run-local.sh, submit.sh, a plain
 * spark-submit): the softmax functions as catalog {@code nn}, local mode by default, and the job's
 * own write defaults where the session does not set its own.
 */
final class SparkSessions {
  static final String PROGRESS = "spark.ui.showConsoleProgress";
  static final String CODEC = "spark.sql.parquet.compression.codec";
  /** zstd: about 8% smaller than snappy on random float32 lists, at a similar speed. */
  static final String DEFAULT_CODEC = "zstd";

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
    SparkSession spark = builder.getOrCreate();
    if (!spark.conf().contains(CODEC)) {
      spark.conf().set(CODEC, DEFAULT_CODEC);
    }
    return spark;
  }
}
