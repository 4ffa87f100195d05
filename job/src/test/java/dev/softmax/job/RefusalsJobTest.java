package dev.softmax.job;

import static dev.softmax.job.JobTestKit.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wrong paths, columns and flags: one clear line, exit status 2, nothing written. */
class RefusalsJobTest {
  @TempDir static Path dir;
  static Path input;

  @BeforeAll
  static void writeInput() {
    input = dir.resolve("in");
    JobTestKit.spark()
        .sql(
            "SELECT 1L AS id, array(1f, 2f) AS logits, array(1, 2) AS ints,"
                + " array(1d, 2d) AS grad, 'a' AS note")
        .write()
        .parquet(input.toString());
  }

  private static void assertRefused(String expected, String... args) {
    JobTestKit.Result r = run(args);
    assertThat(r.status()).as("%s", r).isEqualTo(2);
    assertThat(r.err().strip()).as("%s", r).doesNotContain("\n").contains(expected);
    assertThat(r.out()).isEmpty();
  }

  @Test
  void outputEqualToTheInput() {
    assertRefused(
        "is also the input", "forward", "--input", input.toString(), "--output", input.toString());
  }

  @Test
  void outputInsideTheInput() {
    assertRefused(
        "lies inside the input",
        "forward",
        "--input",
        input.toString(),
        "--output",
        input.resolve("x").toString());
  }

  @Test
  void outputContainingTheInput() {
    assertRefused(
        "contains the input",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.toString(),
        "--mode",
        "overwrite");
  }

  @Test
  void quarantineInsideTheOutput() {
    Path out = dir.resolve("o1");
    assertRefused(
        "quarantine " + "file:" + out.resolve("q") + " lies inside the output",
        "forward",
        "--input",
        input.toString(),
        "--output",
        out.toString(),
        "--on-bad-row",
        "quarantine",
        "--quarantine",
        out.resolve("q").toString());
  }

  @Test
  void existingOutputInModeError() throws Exception {
    Path out = Files.createDirectories(dir.resolve("exists"));
    assertRefused(
        "already exists; remove it, choose another path, or pass --mode overwrite",
        "forward",
        "--input",
        input.toString(),
        "--output",
        out.toString());
  }

  @Test
  void missingInput() {
    assertRefused(
        "input file:" + dir.resolve("nope") + " does not exist",
        "forward",
        "--input",
        dir.resolve("nope").toString(),
        "--output",
        dir.resolve("o2").toString());
  }

  @Test
  void missingColumn() {
    assertRefused(
        "--logits-col scores is not a column of",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o3").toString(),
        "--logits-col",
        "scores");
  }

  @Test
  void nonArrayColumn() {
    assertRefused(
        "--logits-col note in file:"
            + input
            + " is string; it must be array<float> or array<double>",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o4").toString(),
        "--logits-col",
        "note");
  }

  @Test
  void nonFloatArrayColumn() {
    assertRefused(
        "is array<int>; it must be array<float> or array<double>",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o5").toString(),
        "--logits-col",
        "ints");
  }

  @Test
  void mixedElementTypes() {
    assertRefused(
        "--grad-col grad holds double but logits holds float",
        "backward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o6").toString(),
        "--logits-col",
        "logits");
  }

  @Test
  void outputColumnThatWouldReplaceAKeptColumn() {
    assertRefused(
        "--output-col note is already a column",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o7").toString(),
        "--output-col",
        "note");
  }

  @Test
  void unknownFlag() {
    JobTestKit.Result r =
        run("forward", "--input", input.toString(), "--output", "x", "--frobnicate");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err().strip())
        .doesNotContain("\n")
        .isEqualTo("softmax forward: Unknown option: '--frobnicate' (see softmax forward --help)");
  }

  @Test
  void invalidTemperature() {
    assertRefused(
        "--temperature: temperature must be finite and > 0, got 0.0",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o8").toString(),
        "--temperature",
        "0");
  }

  @Test
  void probsAndLogitsTogether() {
    assertRefused(
        "give one of --probs-col and --logits-col, not both",
        "backward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o9").toString(),
        "--probs-col",
        "a",
        "--logits-col",
        "b");
  }

  @Test
  void gradInputWithoutKey() {
    assertRefused(
        "--grad-input needs --key",
        "backward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o10").toString(),
        "--grad-input",
        input.toString());
  }

  @Test
  void quarantinePathWithoutQuarantinePolicy() {
    assertRefused(
        "--quarantine is only used with --on-bad-row quarantine",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o11").toString(),
        "--quarantine",
        dir.resolve("q").toString());
  }

  @Test
  void unknownKeyColumn() {
    assertRefused(
        "--key sample is not a column of",
        "forward",
        "--input",
        input.toString(),
        "--output",
        dir.resolve("o12").toString(),
        "--key",
        "sample");
  }

  @Test
  void nothingWasWrittenByAnyRefusal() throws Exception {
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("o") && !n.equals("o1"))
          .noneMatch(n -> n.contains(".staging-"));
    }
  }
}
