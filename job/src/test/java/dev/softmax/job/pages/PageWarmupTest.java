package dev.softmax.job.pages;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.softmax.udf.SqlFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;

class PageWarmupTest {
  @Test
  void theWarmUpRewritesItsFileWithTheRunsFunctionAndLeavesNothingBehind() throws IOException {
    for (RowFunction f :
        List.of(
            new RowFunction(SqlFunction.LOG_SOFTMAX, 2.0, List.of("z"), "out"),
            new RowFunction(
                SqlFunction.SOFTMAX_BACKWARD_FROM_LOGITS, 1.0, List.of("z", "g"), "dz"))) {
      List<Path> before = warmUpFolders();
      assertEquals(3L * PageWarmup.ROWS, PageWarmup.run(f, CompressionCodecName.ZSTD, 3));
      assertEquals(before, warmUpFolders(), "the temporary folder is removed");
    }
  }

  private static List<Path> warmUpFolders() throws IOException {
    try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return s.filter(p -> p.getFileName().toString().startsWith("softmax-warmup"))
          .sorted()
          .toList();
    }
  }
}
