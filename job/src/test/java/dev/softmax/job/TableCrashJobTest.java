package dev.softmax.job;

import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
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

  /** The catalog's settings, for this JVM's session and the drivers' system properties. */
  static final Map<String, String> CATALOG = new LinkedHashMap<>();

  @BeforeAll
  static void configureCatalog() {
    CATALOG.put("spark.sql.catalog.crashlake", IcebergRuntime.CATALOG_CLASS);
    CATALOG.put("spark.sql.catalog.crashlake.type", "hadoop");
    CATALOG.put(
        "spark.sql.catalog.crashlake.warehouse", dir.resolve("warehouse").toUri().toString());
    CATALOG.put("spark.sql.catalog.crashlake.cache-enabled", "false");
    if (TableJobTest.iceberg()) {
      CATALOG.forEach(JobTestKit.spark().conf()::set);
    }
  }

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
    String out = "crashlake.db.probs";
    String[] first = {
      "forward", "--input", input.toString(), "--output-table", out, "--on-bad-row", "quarantine"
    };
    long before = TableJobTest.snapshotOf(runOk(first));
    long quarantineBefore = TableJobTest.currentSnapshot(out + "_quarantine");

    Map<String, String> crash = new LinkedHashMap<>(CATALOG);
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

  @Test
  void aDriverKilledWhileItWritesDataFilesLeavesTheTableAtItsPreviousSnapshot() throws Exception {
    assumeTrue(TableJobTest.iceberg(), "no Iceberg runtime on this Spark line");
    SparkSession spark = JobTestKit.spark();
    Path small = dir.resolve("small");
    Path large = dir.resolve("large");
    spark
        .sql("SELECT id, array(float(id % 5), 0f) AS logits FROM range(50)")
        .write()
        .parquet(small.toString());
    // six files that one task at a time writes for a good while: the kill lands among them
    spark
        .range(0, 60000, 1, 6)
        .selectExpr("id", "transform(sequence(1, 64), j -> float((id * j) % 17)) AS logits")
        .write()
        .parquet(large.toString());
    String out = "crashlake.db.killed";
    long before =
        TableJobTest.snapshotOf(
            runOk("forward", "--input", small.toString(), "--output-table", out));
    Path data = dir.resolve("warehouse/db/killed/data");
    Set<Path> old = files(data);

    Map<String, String> properties = new LinkedHashMap<>(CATALOG);
    properties.put("spark.master", "local[1]");
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      data.register(watch, StandardWatchEventKinds.ENTRY_CREATE);
      JobProcess p =
          JobProcess.start(
              dir.resolve("killed.log"),
              properties,
              "forward",
              "--input",
              large.toString(),
              "--output-table",
              out,
              "--mode",
              "overwrite");
      // the first data file of the new write appears when its first task starts writing
      while (p.process().isAlive() && files(data).equals(old)) {
        watch.poll(1, TimeUnit.SECONDS);
      }
      p.process().destroyForcibly();
      p.process().waitFor();
      assertThat(files(data)).as(p.output()).isNotEqualTo(old);
    }
    assertThat(TableJobTest.currentSnapshot(out)).isEqualTo(before);
    assertThat(spark.table(out + ".snapshots").count()).isEqualTo(1);
    assertThat(spark.table(out).count()).isEqualTo(50);

    JobTestKit.Result again =
        runOk("forward", "--input", small.toString(), "--output-table", out, "--mode", "overwrite");
    assertThat(TableJobTest.currentSnapshot(out)).isEqualTo(TableJobTest.snapshotOf(again));
    assertThat(spark.table(out + ".snapshots").count()).isEqualTo(2);
  }

  private static Set<Path> files(Path dir) throws IOException {
    try (Stream<Path> all = Files.list(dir)) {
      return all.collect(Collectors.toSet());
    }
  }
}
