package dev.softmax.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.util.ArrowUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arrow data source as users call it directly: df.write().format("arrow"). */
class ArrowSinkTest {
  @TempDir Path dir;

  private static final SparkSession SPARK = JobTestKit.spark();

  private static void write(String mode, long rows, Path to) {
    SPARK
        .sql("SELECT id, array(float(id), 1f) AS logits FROM range(" + rows + ")")
        .repartition(2)
        .write()
        .format("arrow")
        .mode(mode)
        .save(to.toString());
  }

  private static long count(Path p) {
    return SPARK.read().format("arrow").load(p.toString()).count();
  }

  private static List<String> names(Path p) throws Exception {
    try (Stream<Path> s = Files.list(p)) {
      return s.map(f -> f.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    }
  }

  @Test
  void overwriteRemovesTheOldFiles() throws Exception {
    Path out = dir.resolve("out");
    write("append", 100, out);
    write("overwrite", 7, out);
    assertThat(count(out)).isEqualTo(7);
    assertThat(names(out)).hasSize(2).allMatch(n -> n.matches("part-0000[01]-[0-9a-f]{8}\\.arrow"));
  }

  @Test
  void twoAppendsKeepBothAndNeverCollide() throws Exception {
    Path out = dir.resolve("out");
    write("append", 100, out);
    write("append", 30, out);
    assertThat(count(out)).isEqualTo(130);
    assertThat(names(out)).hasSize(4);
  }

  @Test
  void theCommitRemovesOnlyItsOwnTemporaryFiles() throws Exception {
    Path out = dir.resolve("out");
    Path foreign = Files.createDirectories(out.resolve("_temporary/another-job"));
    Files.writeString(foreign.resolve("part-00000-1.arrow"), "another writer's attempt");
    write("append", 10, out);
    assertThat(foreign.resolve("part-00000-1.arrow")).exists();
    assertThat(names(out.resolve("_temporary"))).containsExactly("another-job");
  }

  @Test
  void anUnreadableFooterLeaksNoArrowMemory() throws Exception {
    Path truncated = dir.resolve("truncated.arrow");
    try (InputStream in = ArrowSinkTest.class.getResourceAsStream("/arrow/truncated.arrow")) {
      Files.copy(in, truncated);
    }
    long before = ArrowUtils.rootAllocator().getAllocatedMemory();
    int children = ArrowUtils.rootAllocator().getChildAllocators().size();
    assertThatThrownBy(() -> count(truncated)).hasMessageContaining("truncated.arrow");
    assertThat(ArrowUtils.rootAllocator().getAllocatedMemory()).isEqualTo(before);
    assertThat(ArrowUtils.rootAllocator().getChildAllocators()).hasSize(children);
  }

  @Test
  void readersAndWritersReleaseTheirAllocatorsWhenTheirTasksEnd() {
    Path out = dir.resolve("out");
    write("append", 5000, out);
    assertThat(count(out)).isEqualTo(5000);
    assertThat(ArrowUtils.rootAllocator().getChildAllocators()).isEmpty();
    assertThat(ArrowUtils.rootAllocator().getAllocatedMemory()).isZero();
  }
}
