package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duck;
import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateJobTest {
  @TempDir Path dir;

  @Test
  void valuesDependOnTheSeedNotOnThePartitioning() {
    Path two = dir.resolve("two");
    Path five = dir.resolve("five");
    runOk(
        "generate",
        "--output",
        two.toString(),
        "--rows",
        "500",
        "--width",
        "8",
        "--partitions",
        "2",
        "--grad");
    runOk(
        "generate",
        "--output",
        five.toString(),
        "--rows",
        "500",
        "--width",
        "8",
        "--partitions",
        "5",
        "--grad");
    assertThat(duck("SELECT DISTINCT part FROM " + parquet(five) + " ORDER BY part")).hasSize(5);
    assertThat(
            duckValue(
                "SELECT count(*) FROM "
                    + parquet(two)
                    + " a JOIN "
                    + parquet(five)
                    + " b USING (id) WHERE a.logits = b.logits AND a.grad = b.grad"))
        .isEqualTo(500L);
    assertThat(duckValue("SELECT typeof(logits) FROM " + parquet(two) + " LIMIT 1"))
        .isEqualTo("FLOAT[]");
  }

  @Test
  void logitsLookNormalWithScaleThree() {
    Path out = dir.resolve("d");
    runOk(
        "generate",
        "--output",
        out.toString(),
        "--rows",
        "2000",
        "--width",
        "16",
        "--double",
        "--seed",
        "9");
    assertThat(duckValue("SELECT typeof(logits) FROM " + parquet(out) + " LIMIT 1"))
        .isEqualTo("DOUBLE[]");
    double mean =
        (Double)
            duckValue("SELECT avg(x) FROM (SELECT unnest(logits) AS x FROM " + parquet(out) + ")");
    double sd =
        (Double)
            duckValue(
                "SELECT stddev(x) FROM (SELECT unnest(logits) AS x FROM " + parquet(out) + ")");
    // 32,000 draws: the mean's standard error is 3 / sqrt(32000) ~ 0.017
    assertThat(mean).isBetween(-0.1, 0.1);
    assertThat(sd).isBetween(2.9, 3.1);
  }
}
