package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.softmax.udf.SoftmaxCatalog;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/** Runs the job in-process on a local Spark session and reads its Parquet with DuckDB. */
final class JobTestKit {
  private JobTestKit() {}

  record Result(int status, String out, String err) {
    /** The summary line or the error line, for assertion messages. */
    @Override
    public String toString() {
      return "status " + status + "\nout: " + out + "\nerr: " + err;
    }
  }

  static SparkSession spark() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("softmax-job-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.catalog.nn", SoftmaxCatalog.class.getName())
        .getOrCreate();
  }

  static Result run(String... args) {
    spark();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = SoftmaxJob.run(new PrintWriter(out), new PrintWriter(err), args);
    return new Result(status, out.toString(), err.toString());
  }

  static Result runOk(String... args) {
    Result r = run(args);
    assertThat(r.status()).as("%s", r).isZero();
    return r;
  }

  /** The rows of a DuckDB query, each a column-name-to-value map. */
  static List<Map<String, Object>> duck(String sql) {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      List<Map<String, Object>> rows = new ArrayList<>();
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 1; i <= n; i++) {
          row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
        }
        rows.add(row);
      }
      return rows;
    } catch (SQLException e) {
      throw new IllegalStateException("DuckDB: " + e.getMessage() + "\n" + sql, e);
    }
  }

  static Object duckValue(String sql) {
    List<Map<String, Object>> rows = duck(sql);
    assertThat(rows).as(sql).hasSize(1);
    return rows.get(0).values().iterator().next();
  }

  /** A dataset directory as DuckDB's reader sees it (Hive partitions on). */
  static String parquet(Path dir) {
    return "read_parquet('"
        + dir
        + "/**/*.parquet', hive_partitioning = true, union_by_name = true)";
  }

  static String summary(Path output) {
    try {
      return Files.readString(output.resolve("_summary.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Names in {@code dir} that start with a dot or an underscore, besides checksums. */
  static List<String> hiddenSiblings(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The owner of a run that died on this host: a process that has exited. */
  static RunOwner deadOwner() {
    try {
      Process p = new ProcessBuilder("true").start();
      p.waitFor();
      RunOwner me = RunOwner.current();
      return new RunOwner("deadbeef", p.pid(), me.host());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
