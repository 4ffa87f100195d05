package dev.softmax.job;

import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Iceberg tables in and out of every command, through a Hadoop catalog in a local warehouse: a
 * table output holds exactly the bits of the same run's path output, each mode commits what it
 * says, the quarantine table comes first, a pinned or time-travelled input reads its snapshot, and
 * bad names are refused in one line. On a line without Iceberg's runtime (4.2) only the refusal of
 * the table options runs.
 */
class TableJobTest {
  @TempDir static Path dir;
  static Path floats;
  static Path withBad;
  static final String LAKE = "lake";
  static final String LOGITS = "lake.db.logits";

  static boolean iceberg() {
    try {
      Class.forName(IcebergRuntime.CATALOG_CLASS);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  @BeforeAll
  static void writeInputs() {
    floats = dir.resolve("floats");
    withBad = dir.resolve("with_bad");
    if (!iceberg()) {
      // the refusal comes before any input is read
      return;
    }
    SparkSession spark = JobTestKit.spark();
    // widths 2..41, values from a hash, a label in range, gradients, partitions
    String rows =
        "SELECT id, CAST(id % 3 AS INT) AS part, CAST(id % 2 AS INT) AS label,"
            + " CAST(transform(sequence(1, CAST(id % 40 + 2 AS INT)),"
            + "   j -> (xxhash64(id, j) % 2000) / 100.0D) AS array<float>) AS logits,"
            + " CAST(transform(sequence(1, CAST(id % 40 + 2 AS INT)),"
            + "   j -> (xxhash64(j, id) % 1000) / 1000.0D) AS array<float>) AS grad"
            + " FROM range(300)";
    spark.sql(rows).write().partitionBy("part").parquet(floats.toString());
    spark
        .sql(rows)
        .selectExpr("id", "part", "IF(id % 50 = 7, array(float('NaN'), 1f), logits) AS logits")
        .write()
        .partitionBy("part")
        .parquet(withBad.toString());
    spark.conf().set("spark.sql.catalog." + LAKE, IcebergRuntime.CATALOG_CLASS);
    spark.conf().set("spark.sql.catalog." + LAKE + ".type", "hadoop");
    spark
        .conf()
        .set(
            "spark.sql.catalog." + LAKE + ".warehouse",
            dir.resolve("warehouse").toUri().toString());
    spark.read().parquet(floats.toString()).createOrReplaceTempView("floats");
    spark.sql(
        "CREATE TABLE " + LOGITS + " USING iceberg PARTITIONED BY (part) AS SELECT * FROM floats");
  }

  /** The rows of a table or dataset by id, each column's value; float arrays as their bits. */
  static List<List<Object>> bits(Dataset<Row> rows) {
    List<List<Object>> all = new ArrayList<>();
    String[] columns = rows.columns();
    java.util.Arrays.sort(columns);
    for (Row r : rows.selectExpr(columns).orderBy("id").collectAsList()) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        Object v = r.get(i);
        if (v instanceof scala.collection.Seq<?> seq) {
          List<Object> values = new ArrayList<>();
          for (int k = 0; k < seq.size(); k++) {
            Object e = seq.apply(k);
            values.add(e instanceof Float f ? Float.floatToRawIntBits(f) : e);
          }
          v = values;
        }
        row.add(v);
      }
      all.add(row);
    }
    return all;
  }

  static Dataset<Row> table(String name) {
    return JobTestKit.spark().table(name);
  }

  static Dataset<Row> path(Path p) {
    return JobTestKit.spark().read().parquet(p.toString());
  }

  /** The snapshot id a summary line names for the output table. */
  static long snapshotOf(JobTestKit.Result r) {
    Matcher m = Pattern.compile(" snapshot (-?\\d+)").matcher(r.out());
    assertThat(m.find()).as("%s", r).isTrue();
    return Long.parseLong(m.group(1));
  }

  static long currentSnapshot(String table) {
    return JobTestKit.spark()
        .sql("SELECT snapshot_id FROM " + table + ".refs WHERE name = 'main'")
        .first()
        .getLong(0);
  }

  static Row snapshotRow(String table, long id) {
    return JobTestKit.spark()
        .sql("SELECT operation, summary FROM " + table + ".snapshots WHERE snapshot_id = " + id)
        .first();
  }

  @Test
  void everyCommandWritesATableWithTheBitsOfItsPathOutput() {
    assumeTrue(iceberg(), "no Iceberg runtime on this Spark line");
    String[][] commands = {
      {"forward", "--temperature", "2"},
      {"backward", "--logits-col", "logits"},
      {"loss", "--label-col", "label", "--grad"},
    };
    for (String[] c : commands) {
      String name = c[0];
      Path out = dir.resolve("path_" + name);
      List<String> path = new ArrayList<>(List.of(c));
      path.addAll(List.of("--input", floats.toString(), "--output", out.toString()));
      runOk(path.toArray(String[]::new));
      List<String> tbl = new ArrayList<>(List.of(c));
      tbl.addAll(List.of("--input-table", LOGITS, "--output-table", "lake.db.t_" + name));
      JobTestKit.Result r = runOk(tbl.toArray(String[]::new));
      assertThat(r.out())
          .as(name)
          .contains(name + ": 300 rows in, 300 written")
          .contains("-> lake.db.t_" + name + " snapshot ");
      assertThat(bits(table("lake.db.t_" + name))).as(name).isEqualTo(bits(path(out)));
      long snapshot = snapshotOf(r);
      assertThat(currentSnapshot("lake.db.t_" + name)).isEqualTo(snapshot);
      Row s = snapshotRow("lake.db.t_" + name, snapshot);
      scala.collection.Map<Object, Object> summary = s.getMap(1);
      assertThat(summary.get("softmax.command").get()).isEqualTo(name);
      assertThat(summary.get("added-records").get()).isEqualTo("300");
      assertThat((String) summary.get("softmax.input").get()).startsWith(LOGITS + " at snapshot ");
      // partitioned like the input
      assertThat(table("lake.db.t_" + name + ".partitions").select("partition.part").count())
          .isEqualTo(3);
    }
  }

  @Test
  void backwardTakesGradientsFromATableAsFromTheSamePath() {
    assumeTrue(iceberg(), "no Iceberg runtime on this Spark line");
    Path fromPath = dir.resolve("grads_from_path");
    Path fromTable = dir.resolve("grads_from_table");
    String[] backward = {"backward", "--input", floats.toString(), "--logits-col", "logits"};
    List<String> path = new ArrayList<>(List.of(backward));
    path.addAll(
        List.of("--grad-input", floats.toString(), "--key", "id", "--output", fromPath.toString()));
    runOk(path.toArray(String[]::new));
    List<String> table = new ArrayList<>(List.of(backward));
    table.addAll(
        List.of("--grad-input-table", LOGITS, "--key", "id", "--output", fromTable.toString()));
    JobTestKit.Result r = runOk(table.toArray(String[]::new));
    assertThat(r.err()).contains("the gradients are taken from --grad-input-table");
    assertThat(bits(path(fromTable))).isEqualTo(bits(path(fromPath)));
  }

  @Test
  void errorRefusesAnExistingTableOverwriteReplacesItAndAppendAddsASnapshot() {
    assumeTrue(iceberg(), "no Iceberg runtime on this Spark line");
    String t = "lake.db.modes";
    String[] forward = {"forward", "--input", floats.toString(), "--output-table", t};
    long first = snapshotOf(runOk(forward));
    JobTestKit.Result again = run(forward);
    assertThat(again.status()).as("%s", again).isEqualTo(2);
    assertThat(again.err().strip())
        .isEqualTo(
            "softmax forward: output table lake.db.modes already exists; choose another table, or pass --mode overwrite (replaces its rows in one snapshot) or --mode append (adds one)");
    assertThat(currentSnapshot(t)).isEqualTo(first);

    List<String> over = new ArrayList<>(List.of(forward));
    over.addAll(List.of("--mode", "overwrite", "--log"));
    long second = snapshotOf(runOk(over.toArray(String[]::new)));
    assertThat(table(t).count()).isEqualTo(300);
    assertThat(table(t).columns()).contains("log_probs").doesNotContain("probs");
    assertThat(second).isNotEqualTo(first);
    // the first snapshot stays readable
    assertThat(JobTestKit.spark().sql("SELECT * FROM " + t + " VERSION AS OF " + first).columns())
        .contains("probs");

    List<String> append = new ArrayList<>(List.of(forward));
    append.addAll(List.of("--mode", "append", "--log"));
    long third = snapshotOf(runOk(append.toArray(String[]::new)));
    assertThat(table(t).count()).isEqualTo(600);
    assertThat(snapshotRow(t, third).getString(0)).isEqualTo("append");
    assertThat(table(t + ".snapshots").count()).isEqualTo(3);
  }

  @Test
  void quarantineTableIsCommittedBeforeTheOutputAndHoldsTheBadRows() {
    assumeTrue(iceberg(), "no Iceberg runtime on this Spark line");
    JobTestKit.Result r =
        runOk(
            "forward",
            "--input",
            withBad.toString(),
            "--output-table",
            "lake.db.q",
            "--on-bad-row",
            "quarantine");
    assertThat(r.out()).contains("300 rows in, 294 written, 0 skipped, 6 quarantined");
    Dataset<Row> bad = table("lake.db.q_quarantine");
    assertThat(bad.count()).isEqualTo(6);
    assertThat(bad.select("error").distinct().first().getString(0))
        .isEqualTo("logits: NaN or +inf");
    long output = snapshotOf(r);
    long quarantine = currentSnapshot("lake.db.q_quarantine");
    assertThat(r.out()).contains("quarantine lake.db.q_quarantine snapshot " + quarantine);
    scala.collection.Map<Object, Object> summary = snapshotRow("lake.db.q", output).getMap(1);
    assertThat(summary.get("softmax.quarantine").get())
        .isEqualTo("lake.db.q_quarantine snapshot " + quarantine);
    assertThat(summary.get("softmax.rows-quarantined").get()).isEqualTo("6");
    assertThat(
            JobTestKit.spark()
                .sql(
                    "SELECT (SELECT committed_at FROM lake.db.q_quarantine.snapshots)"
                        + " <= (SELECT committed_at FROM lake.db.q.snapshots)")
                .first()
                .getBoolean(0))
        .isTrue();
  }

  @Test
  void aRunWithoutBadRowsCommitsAnEmptyQuarantineTable() {
    assumeTrue(iceberg(), "no Iceberg runtime on this Spark line");
    JobTestKit.Result r =
        runOk(
            "forward",
            "--input-table",
            LOGITS,
            "--output-table",
            "lake.db.clean",
            "--on-bad-row",
            "quarantine");
    assertThat(r.out()).contains("300 rows in, 300 written, 0 skipped, 0 quarantined");
    assertThat(table("lake.db.clean_quarantine").count()).isZero();
    assertThat(table("lake.db.clean_quarantine").columns()).contains("error");
    assertThat(r.out())
        .contains(
            "quarantine lake.db.clean_quarantine snapshot "
                + currentSnapshot("lake.db.clean_quarantine"));
  }

  @Test
  void aPinnedOrTimeTravelledInputReadsItsSnapshot() throws InterruptedException {
    assumeTrue(iceberg(), "no Iceberg runtime on this Spark line");
    SparkSession spark = JobTestKit.spark();
    String t = "lake.db.growing";
    spark.sql("CREATE TABLE " + t + " USING iceberg AS SELECT * FROM " + LOGITS);
    long first = currentSnapshot(t);
    long firstAt =
        spark.sql("SELECT committed_at FROM " + t + ".snapshots").first().getTimestamp(0).getTime();
    spark.sql(
        "INSERT INTO "
            + t
            + " SELECT "
            + String.join(
                ", ",
                java.util.Arrays.stream(spark.table(t).columns())
                    .map(c -> c.equals("id") ? "id + 1000 AS id" : c)
                    .toList())
            + " FROM "
            + LOGITS);
    assertThat(table(t).count()).isEqualTo(600);

    JobTestKit.Result pinned =
        runOk(
            "forward",
            "--input-table",
            t,
            "--snapshot",
            Long.toString(first),
            "--output",
            dir.resolve("pinned").toString());
    assertThat(pinned.out()).contains("300 rows in, 300 written");
    JobTestKit.Result asOf =
        runOk(
            "forward",
            "--input-table",
            t,
            "--as-of",
            java.time.Instant.ofEpochMilli(firstAt).toString(),
            "--output",
            dir.resolve("as_of").toString());
    assertThat(asOf.out()).contains("300 rows in, 300 written");
    assertThat(bits(path(dir.resolve("as_of")))).isEqualTo(bits(path(dir.resolve("pinned"))));
    JobTestKit.Result current =
        runOk("forward", "--input-table", t, "--output", dir.resolve("current").toString());
    assertThat(current.out()).contains("600 rows in, 600 written");
  }

  @Test
  void badTableNamesSnapshotsAndModesAreRefusedInOneLine() {
    assumeTrue(iceberg(), "no Iceberg runtime on this Spark line");
    String out = dir.resolve("refused").toString();
    assertRefused(
        "softmax forward: --input-table nowhere.db.t: no catalog nowhere is configured; pass --conf spark.sql.catalog.nowhere=org.apache.iceberg.spark.SparkCatalog with its type and warehouse (docs/tables.md)",
        "forward",
        "--input-table",
        "nowhere.db.t",
        "--output",
        out);
    assertRefused(
        "softmax forward: --input-table lake.db.missing does not exist",
        "forward",
        "--input-table",
        "lake.db.missing",
        "--output",
        out);
    assertRefused(
        "softmax forward: --snapshot 42: --input-table lake.db.logits has no such snapshot (its snapshots: SELECT * FROM lake.db.logits.snapshots)",
        "forward",
        "--input-table",
        LOGITS,
        "--snapshot",
        "42",
        "--output",
        out);
    assertRefused(
        "softmax forward: --input-table logits: name a table as CATALOG.NAMESPACE.TABLE, e.g. lake.ml.logits (the catalog as configured by --conf spark.sql.catalog.CATALOG=...)",
        "forward",
        "--input-table",
        "logits",
        "--output",
        out);
    assertRefused(
        "softmax forward: --output-table nn.db.t: catalog nn is dev.softmax.udf.SoftmaxCatalog, not an Iceberg catalog (org.apache.iceberg.spark.SparkCatalog)",
        "forward",
        "--input",
        floats.toString(),
        "--output-table",
        "nn.db.t");
    assertRefused(
        "softmax forward: --mode append adds a snapshot to a table: it needs --output-table (a path output is written whole, with --mode error or overwrite)",
        "forward",
        "--input",
        floats.toString(),
        "--output",
        out,
        "--mode",
        "append");
    assertRefused(
        "softmax forward: --snapshot reads a table: it needs --input-table",
        "forward",
        "--input",
        floats.toString(),
        "--snapshot",
        "1",
        "--output",
        out);
    assertRefused(
        "softmax forward: output table lake.db.logits is also read by this run; write another",
        "forward",
        "--input-table",
        LOGITS,
        "--output-table",
        LOGITS,
        "--mode",
        "overwrite");
    JobTestKit.Result both =
        run("forward", "--input", floats.toString(), "--input-table", LOGITS, "--output", out);
    assertThat(both.status()).as("%s", both).isEqualTo(2);
    assertThat(both.err().lines()).hasSize(1);
    assertThat(both.err()).contains("--input=PATH, --input-table=TABLE are mutually exclusive");
  }

  @Test
  void tableOptionsAreRefusedWhereTheLineHasNoIcebergRuntime() {
    assumeFalse(iceberg(), "this Spark line has Iceberg's runtime");
    JobTestKit.Result r =
        run("forward", "--input", floats.toString(), "--output-table", "lake.db.t");
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    String line = SparkSession.active().version().replaceAll("^(\\d+\\.\\d+).*", "$1");
    assertThat(r.err().strip())
        .startsWith(
            "softmax forward: --output-table needs Iceberg's Spark runtime, and there is none for Spark "
                + line
                + " with Scala ");
    assertThat(r.err().lines()).hasSize(1);
  }

  private static void assertRefused(String line, String... args) {
    JobTestKit.Result r = run(args);
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err().strip()).isEqualTo(line);
  }
}
