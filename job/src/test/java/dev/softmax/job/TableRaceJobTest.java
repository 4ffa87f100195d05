package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two runs racing to create one table through a JDBC catalog (Iceberg's {@code JdbcCatalog} over an
 * embedded SQLite database), which swaps a table's metadata pointer atomically: exactly one run
 * commits, the other fails in one line, and the table holds the winner's rows and one snapshot,
 * none of the loser's data files in its metadata (they stay in the table's data folder,
 * unreferenced, until Iceberg's {@code remove_orphan_files} removes them: docs/tables.md). The runs
 * are two threads sharing this JVM's Spark session. SQLite, not DuckDB: on DuckDB the losing insert
 * fails with a constraint error that JdbcCatalog reports as an unknown failure rather than as the
 * table existing.
 */
class TableRaceJobTest {
  @TempDir static Path dir;

  @Test
  void twoRunsCreatingOneTableCommitOnceAndTheLoserFailsInOneLine() throws Exception {
    assumeTrue(TableJobTest.iceberg(), "no Iceberg runtime on this Spark line");
    SparkSession spark = JobTestKit.spark();
    Path input = dir.resolve("logits");
    spark
        .sql(
            "SELECT id, CAST(id % 4 AS INT) AS part,"
                + " array(float(id % 7), 1f, -2f, float(id % 3)) AS logits FROM range(2000)")
        .repartition(4)
        .write()
        .partitionBy("part")
        .parquet(input.toString());
    String catalog = "spark.sql.catalog.race";
    spark.conf().set(catalog, IcebergRuntime.CATALOG_CLASS);
    spark.conf().set(catalog + ".type", "jdbc");
    spark.conf().set(catalog + ".uri", "jdbc:sqlite:" + dir.resolve("catalog.sqlite"));
    spark.conf().set(catalog + ".warehouse", dir.resolve("warehouse").toUri().toString());

    String[] args = {"forward", "--input", input.toString(), "--output-table", "race.db.probs"};
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Future<JobTestKit.Result>> runs = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      runs.add(
          pool.submit(
              () -> {
                start.await();
                return JobTestKit.run(args);
              }));
    }
    start.countDown();
    List<JobTestKit.Result> results = new ArrayList<>();
    for (Future<JobTestKit.Result> r : runs) {
      results.add(r.get());
    }
    pool.shutdown();

    results.sort(Comparator.comparingInt(JobTestKit.Result::status));
    JobTestKit.Result won = results.get(0);
    JobTestKit.Result lost = results.get(1);
    assertThat(won.status()).as("%s", won).isZero();
    assertThat(lost.status()).as("%s", lost).isEqualTo(2);
    assertThat(lost.err().lines()).as("%s", lost).hasSize(1);
    assertThat(lost.err())
        .containsAnyOf(
            "softmax forward: output table race.db.probs already exists",
            "softmax forward: race.db.probs was created by another run while this one ran");

    assertThat(spark.table("race.db.probs.snapshots").count()).isEqualTo(1);
    assertThat(TableJobTest.currentSnapshot("race.db.probs"))
        .isEqualTo(TableJobTest.snapshotOf(won));
    assertThat(spark.table("race.db.probs").count()).isEqualTo(2000);
    // every data file the table's metadata knows, of any snapshot, is the winner's
    assertThat(spark.table("race.db.probs.all_data_files").count())
        .isEqualTo(spark.table("race.db.probs.files").count());
  }
}
