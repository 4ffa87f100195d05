package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.MetadataBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job gives Spark the schema of the input's first footer, which it has read already, instead of
 * letting Spark run a job to read a footer again: the schema must be the one Spark infers, for
 * files written by Python tools and by Spark (whose files carry Spark's own schema, field metadata
 * included), and Spark's merging of every file's schema still applies when it is asked for.
 */
class InputSchemaTest {
  @TempDir static Path dir;

  /** The job's read of {@code path} runs no Spark job and gets the schema Spark infers. */
  private static void assertSameSchemaWithoutJobs(Path path) throws Exception {
    SparkSession spark = JobTestKit.spark();
    AtomicInteger jobs = new AtomicInteger();
    SparkListener counter =
        new SparkListener() {
          @Override
          public void onJobStart(SparkListenerJobStart jobStart) {
            jobs.incrementAndGet();
          }
        };
    spark.sparkContext().addSparkListener(counter);
    InputDataset read;
    try {
      read =
          InputDataset.read(
              spark, new org.apache.hadoop.fs.Path(path.toUri()), Formats.Input.parquet);
      // the listener bus is asynchronous: wait for it before counting
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(counter);
    }
    assertThat(jobs).as("Spark jobs run to read %s", path).hasValue(0);
    assertThat(read.rows().schema()).isEqualTo(spark.read().parquet(path.toString()).schema());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "hf.parquet",
        "logits_only.parquet",
        "grads_some.parquet",
        "pa_bss/part-0.parquet"
      })
  void pythonFilesGetTheSchemaSparkInfers(String name) throws Exception {
    Path to = dir.resolve("python").resolve(name);
    Files.createDirectories(to.getParent());
    try (InputStream in = InputSchemaTest.class.getResourceAsStream("/python/" + name)) {
      Files.copy(in, to);
    }
    assertSameSchemaWithoutJobs(to);
  }

  @Test
  void sparkWrittenPartitionedDataGetsTheSchemaSparkInfers() throws Exception {
    Path out = dir.resolve("spark_written");
    Dataset<Row> rows =
        JobTestKit.spark()
            .sql(
                "SELECT CAST(id AS INT) AS id, CAST(id AS STRING) AS name,"
                    + " TIMESTAMP '2026-01-02 03:04:05' AS at, CAST(id AS DECIMAL(12, 3)) AS amount,"
                    + " named_struct('a', id, 'b', array(CAST(id AS DOUBLE))) AS nested, map('k', CAST(id AS FLOAT)) AS m,"
                    + " array(CAST(id AS FLOAT), 1.5F) AS logits, id % 3 AS part FROM range(30)");
    rows =
        rows.withMetadata(
            "logits", new MetadataBuilder().putString("comment", "raw scores").build());
    rows.write().partitionBy("part").parquet(out.toString());
    assertSameSchemaWithoutJobs(out);
  }

  @Test
  void mergingSchemasIsLeftToSparkWhenAskedFor() {
    SparkSession spark = JobTestKit.spark();
    Path out = dir.resolve("merged");
    // the first file in name order lacks the column the second has
    spark
        .sql("SELECT id, array(1.0F) AS logits FROM range(3)")
        .write()
        .parquet(out.resolve("part=a").toString());
    spark
        .sql("SELECT id, array(1.0F) AS logits, 'x' AS extra FROM range(3)")
        .write()
        .parquet(out.resolve("part=b").toString());
    spark.conf().set(InputDataset.MERGE_SCHEMA, "true");
    try {
      InputDataset read =
          InputDataset.read(
              spark, new org.apache.hadoop.fs.Path(out.toUri()), Formats.Input.parquet);
      assertThat(List.of(read.rows().columns()))
          .containsExactlyInAnyOrder("id", "logits", "extra", "part");
      assertThat(read.rows().schema()).isEqualTo(spark.read().parquet(out.toString()).schema());
    } finally {
      spark.conf().unset(InputDataset.MERGE_SCHEMA);
    }
  }
}
