package dev.softmax.job;

import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.softmax.job.s3.S3Server;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table in a warehouse on S3 (s3a:// on the test S3 server): written by the job, its bits are
 * those of the same run's path output, and the job reads it back as an input table.
 */
class TableS3JobTest {
  @TempDir static Path dir;

  @Test
  void aTableInAnS3WarehouseHoldsThePathOutputsBitsAndReadsBack() throws Exception {
    assumeTrue(TableJobTest.iceberg(), "no Iceberg runtime on this Spark line");
    SparkSession spark = JobTestKit.spark();
    Path input = dir.resolve("logits");
    spark
        .sql(
            "SELECT id, CAST(id % 2 AS INT) AS part,"
                + " array(float(id % 7), 1f, -2f, float(id % 3) / 3f) AS logits FROM range(200)")
        .write()
        .partitionBy("part")
        .parquet(input.toString());
    try (S3Server s3 = S3Server.start(dir)) {
      s3.createBucket("lake");
      Configuration hadoop = spark.sparkContext().hadoopConfiguration();
      s3.hadoopSettings().forEach(hadoop::set);
      String catalog = "spark.sql.catalog.s3lake";
      spark.conf().set(catalog, IcebergRuntime.CATALOG_CLASS);
      spark.conf().set(catalog + ".type", "hadoop");
      spark.conf().set(catalog + ".warehouse", "s3a://lake/warehouse");
      s3.hadoopSettings().forEach((k, v) -> spark.conf().set(catalog + ".hadoop." + k, v));

      Path path = dir.resolve("probs");
      runOk("forward", "--input", input.toString(), "--output", path.toString());
      JobTestKit.Result r =
          runOk("forward", "--input", input.toString(), "--output-table", "s3lake.db.probs");
      assertThat(r.out())
          .contains("200 rows in, 200 written")
          .contains("-> s3lake.db.probs snapshot ");
      assertThat(TableJobTest.bits(spark.table("s3lake.db.probs")))
          .isEqualTo(TableJobTest.bits(spark.read().parquet(path.toString())));
      assertThat(s3.keys("lake", "warehouse/db/probs/data/part=1/")).isNotEmpty();

      Path back = dir.resolve("back");
      runOk(
          "backward",
          "--input-table",
          "s3lake.db.probs",
          "--grad-col",
          "probs",
          "--output",
          back.toString());
      assertThat(spark.read().parquet(back.toString()).count()).isEqualTo(200);
    }
  }
}
