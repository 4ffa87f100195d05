package dev.softmax.job;

import static dev.softmax.job.JobTestKit.duckValue;
import static dev.softmax.job.JobTestKit.parquet;
import static dev.softmax.job.JobTestKit.run;
import static dev.softmax.job.JobTestKit.runOk;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --mode overwrite replaces the output only after a successful run. */
class OverwriteJobTest {
  @TempDir Path dir;

  private static List<String> tree(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.map(p -> root.relativize(p) + " " + p.toFile().length()).sorted().toList();
    }
  }

  @Test
  void aFailedOverwriteLeavesThePreviousOutputIntact() throws Exception {
    Path good = dir.resolve("good");
    Path bad = dir.resolve("bad");
    JobTestKit.spark()
        .sql("SELECT id, array(float(id), 0f) AS logits FROM range(50)")
        .write()
        .parquet(good.toString());
    JobTestKit.spark()
        .sql("SELECT id, IF(id = 30, array(float('NaN')), array(1f)) AS logits FROM range(50)")
        .write()
        .parquet(bad.toString());
    Path out = dir.resolve("out");
    runOk("forward", "--input", good.toString(), "--output", out.toString());
    List<String> before = tree(out);
    String summaryBefore = JobTestKit.summary(out);

    JobTestKit.Result r =
        run(
            "forward",
            "--input",
            bad.toString(),
            "--output",
            out.toString(),
            "--mode",
            "overwrite");
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.err()).contains("bad row: forward: logits: NaN or +inf at id=30");
    assertThat(tree(out)).isEqualTo(before);
    assertThat(JobTestKit.summary(out)).isEqualTo(summaryBefore);
    assertThat(JobTestKit.hiddenSiblings(dir)).isEmpty();
  }

  @Test
  void aSuccessfulOverwriteReplacesTheOutputWhole() throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 0f) AS logits FROM range(10)")
        .write()
        .parquet(a.toString());
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 0f, 0f, 0f) AS logits FROM range(3)")
        .write()
        .parquet(b.toString());
    Path out = dir.resolve("out");
    runOk("forward", "--input", a.toString(), "--output", out.toString());
    runOk("forward", "--input", b.toString(), "--output", out.toString(), "--mode", "overwrite");
    assertThat(duckValue("SELECT count(*) FROM " + parquet(out))).isEqualTo(3L);
    assertThat(duckValue("SELECT DISTINCT probs::VARCHAR FROM " + parquet(out)))
        .isEqualTo("[0.25, 0.25, 0.25, 0.25]");
    assertThat(JobTestKit.summary(out)).contains("\"rows_in\" : 3");
    assertThat(JobTestKit.hiddenSiblings(dir)).isEmpty();
  }

  @Test
  void leftoversOfADeadRunAreRemovedWithANoteAndNeverBlockTheNextRun() throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 0f) AS logits FROM range(5)")
        .write()
        .parquet(in.toString());
    // what a driver killed mid-write leaves: a staging directory without _SUCCESS
    Path staged =
        Files.createDirectories(
            dir.resolve(".out.staging-" + JobTestKit.deadOwner() + "/_temporary/0"));
    Files.writeString(staged.resolve("part-00000.parquet"), "half a file");
    Path out = dir.resolve("out");
    JobTestKit.Result r = runOk("forward", "--input", in.toString(), "--output", out.toString());
    assertThat(r.err())
        .contains(
            "note: removed file:" + staged.getParent().getParent(),
            "the unpublished output of a run that died");
    assertThat(JobTestKit.hiddenSiblings(dir)).isEmpty();
    assertThat(duckValue("SELECT count(*) FROM " + parquet(out))).isEqualTo(5L);
  }

  @Test
  void theStagingOfARunStillAliveIsLeftAloneAndDoesNotBlock() throws Exception {
    Path in = dir.resolve("in");
    JobTestKit.spark()
        .sql("SELECT id, array(0f, 0f) AS logits FROM range(5)")
        .write()
        .parquet(in.toString());
    // this JVM stands for a live run on this host
    RunOwner alive = RunOwner.current();
    Path staged = Files.createDirectories(dir.resolve(".out.staging-" + alive));
    Path out = dir.resolve("out");
    runOk("forward", "--input", in.toString(), "--output", out.toString());
    assertThat(staged).exists();
    assertThat(duckValue("SELECT count(*) FROM " + parquet(out))).isEqualTo(5L);
  }
}
