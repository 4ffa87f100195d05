package dev.softmax.job;

import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A driver killed while it replaces a table (halted after it committed the quarantine table, before
 * it wrote the output table) leaves the output table at its previous snapshot, whole; the next run
 * replaces it. The test's catalog caches no table, so each read here sees what the warehouse holds.
 */
@Tag(JobProcess.TAG)
class TableCrashJobTest {
  @TempDir static Path dir;

  @Test
  void aDriverKilledBeforeTheOutputCommitLeavesTheTableAtItsPreviousSnapshot() throws Exception {
    assumeTrue(TableJobTest.iceberg(), "no Iceberg runtime on this Spark line");
    SparkSession spark = JobTestKit.spark();
    Path input = dir.resolve("logits");
    spark
        .sql(
            "SELECT id, IF(id % 25 = 3, array(float('NaN')), array(float(id % 7), 1f, -2f))"
                + " AS logits FROM range(300)")
        .write()
        .parquet(input.toString());
    Map<String, String> catalog = new LinkedHashMap<>();
    catalog.put("spark.sql.catalog.crashlake", IcebergRuntime.CATALOG_CLASS);
    catalog.put("spark.sql.catalog.crashlake.type", "hadoop");
    catalog.put(
        "spark.sql.catalog.crashlake.warehouse", dir.resolve("warehouse").toUri().toString());
    catalog.put("spark.sql.catalog.crashlake.cache-enabled", "false");
    catalog.forEach(spark.conf()::set);
    String out = "crashlake.db.probs";
    String[] first = {
      "forward", "--input", input.toString(), "--output-table", out, "--on-bad-row", "quarantine"
    };
    long before = TableJobTest.snapshotOf(runOk(first));
    long quarantineBefore = TableJobTest.currentSnapshot(out + "_quarantine");

    Map<String, String> crash = new LinkedHashMap<>(catalog);
    crash.put(CrashPoint.PROPERTY, "quarantine-committed");
    String[] overwrite = {
      "forward",
      "--input",
      input.toString(),
      "--output-table",
      out,
      "--on-bad-row",
      "quarantine",
      "--mode",
      "overwrite",
      "--log"
    };
    JobProcess p = JobProcess.start(dir.resolve("crash.log"), crash, overwrite);
    assertThat(p.await()).as(p.output()).isEqualTo(99);

    assertThat(TableJobTest.currentSnapshot(out)).isEqualTo(before);
    assertThat(spark.table(out + ".snapshots").count()).isEqualTo(1);
    assertThat(spark.table(out).columns()).contains("probs").doesNotContain("log_probs");
    assertThat(spark.table(out).count()).isEqualTo(288);
    // the quarantine table, committed first, has the dead run's snapshot
    assertThat(TableJobTest.currentSnapshot(out + "_quarantine")).isNotEqualTo(quarantineBefore);
    assertThat(spark.table(out + "_quarantine").count()).isEqualTo(12);

    long after = TableJobTest.snapshotOf(runOk(overwrite));
    assertThat(TableJobTest.currentSnapshot(out)).isEqualTo(after);
    assertThat(spark.table(out).columns()).contains("log_probs");
    assertThat(spark.table(out).count()).isEqualTo(288);
  }
}
