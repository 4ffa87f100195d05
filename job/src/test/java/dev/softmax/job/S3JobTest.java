package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.softmax.job.s3.S3Server;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on S3 (s3proxy through S3A, in this JVM's Spark session): s3a to s3a forward and backward
 * against DuckDB's softmax of the input, outputs written in place through the magic committer (its
 * {@code _SUCCESS} manifest names the output's own objects, nothing is staged or copied), overwrite
 * and failed runs, the secret key never shown. {@link S3CrashRecoveryJobTest} kills and races
 * drivers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class S3JobTest {
  private static final String BUCKET = "softmax";

  @TempDir static File tmp;
  private S3Server s3;
  private FileSystem fs;
  private Path root;
  private java.nio.file.Path localInput;
  private Path input;

  @BeforeAll
  void start() throws Exception {
    s3 = S3Server.start(tmp.toPath());
    s3.createBucket(BUCKET);
    Configuration hadoop = JobTestKit.spark().sparkContext().hadoopConfiguration();
    s3.hadoopSettings().forEach(hadoop::set);
    root = new Path("s3a://" + BUCKET + "/");
    fs = root.getFileSystem(hadoop);
    localInput = tmp.toPath().resolve("input");
    JobTestKit.spark()
        .sql(
            "SELECT id, id % 2 AS part,"
                + " transform(sequence(1, 1 + CAST(id % 9 AS INT)), j -> float(sin(id * j) * 4))"
                + " AS logits,"
                + " transform(sequence(1, 1 + CAST(id % 9 AS INT)), j -> float(cos(id + j)))"
                + " AS grad"
                + " FROM range(200)")
        .repartition(2)
        .write()
        .partitionBy("part")
        .parquet(localInput.toString());
    input = new Path(root, "input");
    FileUtil.copy(
        FileSystem.getLocal(hadoop), new Path(localInput.toUri()), fs, input, false, hadoop);
  }

  @AfterAll
  void stop() throws Exception {
    for (String k : s3.hadoopSettings().keySet()) {
      JobTestKit.spark().sparkContext().hadoopConfiguration().unset(k);
    }
    // the runs set S3A's committer on the session that later test classes share
    JobTestKit.spark().conf().unset("spark.sql.sources.commitProtocolClass");
    JobTestKit.spark().conf().unset("spark.sql.parquet.output.committer.class");
    FileSystem.closeAll();
    s3.close();
  }

  /** A copy on local disk of what S3 holds under {@code dir}, for DuckDB to read. */
  private java.nio.file.Path local(Path dir) throws IOException {
    java.nio.file.Path copy = Files.createTempDirectory(tmp.toPath(), dir.getName());
    Files.delete(copy);
    FileUtil.copy(
        fs, dir, FileSystem.getLocal(fs.getConf()), new Path(copy.toUri()), false, fs.getConf());
    return copy;
  }

  private List<String> keys(String prefix) throws Exception {
    return s3.keys(BUCKET, prefix);
  }

  /** Keys directly under the bucket's root that start with {@code prefix}'s name: siblings. */
  private List<String> siblings(String name) throws Exception {
    List<String> all = new ArrayList<>();
    for (String k : keys("." + name + ".")) {
      all.add(k);
    }
    return all;
  }

  private static String softmax(String z) {
    String shifted = "list_transform(" + z + ", lambda x: exp(x - list_max(" + z + ")))";
    return "list_transform(" + shifted + ", lambda e: e / list_sum(" + shifted + "))";
  }

  @Test
  void forwardAndBackwardFromS3ToS3MatchDuckDbAndCommitInPlace() throws Exception {
    Path probs = new Path(root, "probs");
    JobTestKit.Result r =
        runOk("forward", "--input", input.toString(), "--output", probs.toString());
    assertThat(r.out()).contains("forward: 200 rows in, 200 written");

    java.nio.file.Path copy = local(probs);
    String elements =
        "SELECT unnest(CAST(o.probs AS DOUBLE[])) AS p, unnest("
            + softmax("CAST(i.logits AS DOUBLE[])")
            + ") AS e FROM "
            + parquet(localInput)
            + " i JOIN "
            + parquet(copy)
            + " o USING (id, part)";
    assertThat(duckValue("SELECT count(*) FROM (" + elements + ")"))
        .isEqualTo(
            duckValue("SELECT CAST(sum(len(logits)) AS BIGINT) FROM " + parquet(localInput)));
    assertThat(
            duckValue(
                "SELECT count(*) FROM ("
                    + elements
                    + ") WHERE abs(p - e) > abs(e) * pow(2, -23) + 1e-45"))
        .isEqualTo(0L);

    // the magic committer's manifest, naming the output's own objects: nothing was staged
    JsonNode success = new ObjectMapper().readTree(Files.readString(copy.resolve("_SUCCESS")));
    assertThat(success.get("committer").asText()).isEqualTo("magic");
    List<String> named = new ArrayList<>();
    success.get("filenames").forEach(f -> named.add(f.asText()));
    List<String> parquetKeys =
        keys("probs/").stream().filter(k -> k.endsWith(".parquet")).map(k -> "/" + k).toList();
    assertThat(named).isNotEmpty().containsExactlyInAnyOrderElementsOf(parquetKeys);
    assertThat(keys("probs/")).noneMatch(k -> k.contains("__magic") || k.contains("staging"));
    assertThat(siblings("probs")).isEmpty();
    assertThat(s3.pendingUploads(BUCKET)).isEmpty();
    assertThat(Files.readString(copy.resolve("_summary.json"))).contains("\"rows_in\" : 200");

    Path grads = new Path(root, "grads");
    runOk(
        "backward",
        "--input",
        probs.toString(),
        "--output",
        grads.toString(),
        "--grad-col",
        "grad");
    java.nio.file.Path g = local(grads);
    // dL/dz = S * (g - <S, g>), from the forward's probabilities, in double
    String expected =
        "SELECT unnest(CAST(o.grad_logits AS DOUBLE[])) AS got, unnest(list_transform("
            + "list_zip(s, gr), lambda t: t[1] * (t[2] - list_sum(list_transform(list_zip(s, gr),"
            + " lambda u: u[1] * u[2]))))) AS want FROM (SELECT id, CAST(probs AS DOUBLE[]) AS s,"
            + " CAST(grad AS DOUBLE[]) AS gr FROM "
            + parquet(copy)
            + ") i JOIN "
            + parquet(g)
            + " o USING (id)";
    assertThat(duckValue("SELECT count(*) FROM (" + expected + ")"))
        .isEqualTo(
            duckValue("SELECT CAST(sum(len(logits)) AS BIGINT) FROM " + parquet(localInput)));
    assertThat(
            duckValue(
                "SELECT count(*) FROM ("
                    + expected
                    + ") WHERE abs(got - want) > 1e-6 * (abs(want) + 1e-3)"))
        .isEqualTo(0L);
    assertThat(siblings("grads")).isEmpty();
  }

  @Test
  void overwriteReplacesTheOldObjectsOnlyOnceTheNewOutputIsComplete() throws Exception {
    Path out = new Path(root, "over");
    runOk("forward", "--input", input.toString(), "--output", out.toString());
    List<String> first = keys("over/");

    // a run that fails (a row the fail policy refuses) leaves the old output exactly as it was
    java.nio.file.Path badLocal = tmp.toPath().resolve("bad");
    JobTestKit.spark()
        .sql(
            "SELECT id, IF(id = 7, array(float('NaN'), 1f), array(1f, 2f)) AS logits FROM range(50)")
        .write()
        .parquet(badLocal.toString());
    Path bad = new Path(root, "bad");
    FileUtil.copy(
        FileSystem.getLocal(fs.getConf()),
        new Path(badLocal.toUri()),
        fs,
        bad,
        false,
        fs.getConf());
    JobTestKit.Result failed =
        run(
            "forward",
            "--input",
            bad.toString(),
            "--output",
            out.toString(),
            "--mode",
            "overwrite",
            "--on-bad-row",
            "fail");
    assertThat(failed.status()).as("%s", failed).isNotZero();
    assertThat(keys("over/")).isEqualTo(first);
    assertThat(siblings("over")).isEmpty();
    assertThat(s3.pendingUploads(BUCKET)).isEmpty();

    JobTestKit.Result r =
        runOk(
            "forward",
            "--input",
            bad.toString(),
            "--output",
            out.toString(),
            "--mode",
            "overwrite",
            "--on-bad-row",
            "skip");
    assertThat(r.out()).contains("50 rows in, 49 written, 1 skipped");
    List<String> second = keys("over/");
    assertThat(second)
        .doesNotContainAnyElementsOf(first.stream().filter(k -> k.endsWith(".parquet")).toList());
    assertThat(JobTestKit.spark().read().parquet(out.toString()).count()).isEqualTo(49L);
    assertThat(siblings("over")).isEmpty();
  }

  @Test
  void modeErrorRefusesAnExistingOutputBeforeAnyWork() throws Exception {
    Path out = new Path(root, "taken");
    runOk("forward", "--input", input.toString(), "--output", out.toString());
    List<String> before = keys("taken/");
    JobTestKit.Result r = run("forward", "--input", input.toString(), "--output", out.toString());
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains(out + " already exists");
    assertThat(keys("taken/")).isEqualTo(before);
  }

  @Test
  void aQuarantineBeingWrittenByAnotherRunRefusesTheRunAndFreesItsOutput() throws Exception {
    Path out = new Path(root, "held");
    Path quarantine = new Path(root, "held_bad");
    // a live run (this JVM) holds the quarantine's lock
    new HadoopFiles(fs.getConf())
        .writeText(ObjectStoreOutput.lock(quarantine), RunOwner.current().toString());
    JobTestKit.Result r =
        run(
            "forward",
            "--input",
            input.toString(),
            "--output",
            out.toString(),
            "--on-bad-row",
            "quarantine",
            "--quarantine",
            quarantine.toString());
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err()).contains(quarantine + " is being published by another run");
    // the output's lock and record, taken first, were given back
    assertThat(siblings("held")).isEmpty();
    assertThat(keys("held/")).isEmpty();
    fs.delete(ObjectStoreOutput.lock(quarantine), false);
    runOk(
        "forward",
        "--input",
        input.toString(),
        "--output",
        out.toString(),
        "--on-bad-row",
        "quarantine",
        "--quarantine",
        quarantine.toString());
    assertThat(siblings("held")).isEmpty();
    assertThat(siblings("held_bad")).isEmpty();
  }

  @Test
  void theSecretKeyIsNeverShownWhateverFails() throws Exception {
    JobTestKit.Result ok =
        runOk(
            "forward", "--input", input.toString(), "--output", new Path(root, "quiet").toString());
    JobTestKit.Result missing =
        run(
            "forward",
            "--input",
            new Path(root, "nothing").toString(),
            "--output",
            new Path(root, "x").toString());
    JobTestKit.Result noBucket =
        run(
            "forward",
            "--input",
            "s3a://no-such-bucket/in",
            "--output",
            new Path(root, "y").toString());
    assertThat(missing.status()).isEqualTo(2);
    assertThat(noBucket.status()).isNotZero();
    for (JobTestKit.Result r : List.of(ok, missing, noBucket)) {
      assertThat(r.out() + r.err()).doesNotContain(s3.secret());
      Matcher log = Pattern.compile("stack trace in (\\S+)\\)").matcher(r.err());
      while (log.find()) {
        assertThat(Files.readString(java.nio.file.Path.of(log.group(1))))
            .doesNotContain(s3.secret());
      }
    }
    assertThat(noBucket.err()).contains("stack trace in ");
    assertThat(Files.readString(local(new Path(root, "quiet")).resolve("_summary.json")))
        .doesNotContain(s3.secret());
  }
}
