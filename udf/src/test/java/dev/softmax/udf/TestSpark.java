package dev.softmax.udf;

import org.apache.spark.sql.SparkSession;

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

  /** Whole-stage codegen on, or every expression interpreted (static invoke by reflection). */
  static void useCodegen(SparkSession spark, String mode) {
    boolean codegen = mode.equals("CODEGEN_ONLY");
    spark.conf().set("spark.sql.codegen.factoryMode", mode);
    spark.conf().set("spark.sql.codegen.wholeStage", Boolean.toString(codegen));
  }
}
