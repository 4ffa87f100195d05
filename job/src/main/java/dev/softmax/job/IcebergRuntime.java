package dev.softmax.job;

import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Iceberg's Spark runtime, which the table options ({@code --input-table}, {@code --output-table},
 * {@code --grad-input-table}) need: Iceberg publishes one per Spark line and Scala version, and the
 * job carries none (the scripts put the line's on the classpath: root pom.xml, {@code
 * iceberg.runtime.*}; a cluster adds it). Checked before any Spark work, as a usage error.
 */
final class IcebergRuntime {
  /** The class a session configures an Iceberg catalog with; present when the runtime is. */
  static final String CATALOG_CLASS = "org.apache.iceberg.spark.SparkCatalog";

  /** The package of Iceberg's Spark catalogs (SparkCatalog, SparkSessionCatalog). */
  private static final String CATALOG_PACKAGE = "org.apache.iceberg.spark.";

  /**
   * The newest runtime Maven Central serves here for each Spark line and Scala version: none for
   * 4.2 (Iceberg has no release for it yet) nor for 3.5 with Scala 2.13.
   */
  static final Map<String, String> RUNTIMES =
      Map.of(
          "3.5_2.12", "org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.12.0",
          "4.0_2.13", "org.apache.iceberg:iceberg-spark-runtime-4.0_2.13:1.11.0",
          "4.1_2.13", "org.apache.iceberg:iceberg-spark-runtime-4.1_2.13:1.12.0");

  private IcebergRuntime() {}

  /** Fails unless this JVM can run Iceberg tables: the line has a runtime and it is loaded. */
  static void require(String option) {
    String version = org.apache.spark.package$.MODULE$.SPARK_VERSION();
    String line = version.replaceAll("^(\\d+\\.\\d+).*", "$1");
    String scalaVersion =
        scala.util.Properties.versionNumberString().replaceAll("^(\\d+\\.\\d+).*", "$1");
    String runtime = RUNTIMES.get(line + "_" + scalaVersion);
    if (runtime == null) {
      throw new UsageException(
          option
              + " needs Iceberg's Spark runtime, and there is none for Spark "
              + line
              + " with Scala "
              + scalaVersion
              + " (this is Spark "
              + version
              + "; Iceberg's runtimes here: "
              + String.join(
                  ", ",
                  RUNTIMES.keySet().stream()
                      .sorted()
                      .map(k -> k.replace("_", " with Scala "))
                      .toList())
              + "); read and write paths (--input, --output), or run a build of a line that has"
              + " one");
    }
    try {
      Class.forName(CATALOG_CLASS, false, IcebergRuntime.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new UsageException(
          option
              + " needs Iceberg's Spark runtime on the classpath, which does not hold "
              + CATALOG_CLASS
              + "; add "
              + runtime
              + " (spark-submit --packages "
              + runtime
              + ")");
    }
  }

  /**
   * Fails unless the session configures {@code table}'s catalog as an Iceberg catalog; {@code
   * option} names where the table was given.
   */
  static void requireCatalog(SparkSession spark, String option, TableName table) {
    String key = "spark.sql.catalog." + table.catalog();
    if (!spark.conf().contains(key)) {
      throw new UsageException(
          option
              + " "
              + table
              + ": no catalog "
              + table.catalog()
              + " is configured; pass --conf "
              + key
              + "="
              + CATALOG_CLASS
              + " with its type and warehouse (docs/tables.md)");
    }
    String impl = spark.conf().get(key);
    if (!impl.startsWith(CATALOG_PACKAGE)) {
      throw new UsageException(
          option
              + " "
              + table
              + ": catalog "
              + table.catalog()
              + " is "
              + impl
              + ", not an Iceberg catalog ("
              + CATALOG_CLASS
              + ")");
    }
  }
}
