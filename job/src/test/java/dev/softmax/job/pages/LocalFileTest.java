package dev.softmax.job.pages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalFileTest {
  @TempDir Path dir;

  private static org.apache.hadoop.fs.Path hadoop(Path p) {
    return new org.apache.hadoop.fs.Path(p.toUri());
  }

  @Test
  void writesTheBytesAtThePositionsItReportsAndCreatesTheFolders() throws IOException {
    Path file = dir.resolve("a/b/part-00000.parquet");
    OutputFile out = LocalFile.of(hadoop(file), new Configuration());
    assertThat(out).isInstanceOf(LocalFile.class);
    byte[] bytes = new byte[200_000];
    Arrays.fill(bytes, (byte) 7);
    try (PositionOutputStream s = out.create(0)) {
      s.write(1);
      assertThat(s.getPos()).isEqualTo(1);
      s.write(bytes, 10, 150_000);
      assertThat(s.getPos()).isEqualTo(150_001);
    }
    assertThat(Files.size(file)).isEqualTo(150_001);
    assertThat(Files.readAllBytes(file)[0]).isEqualTo((byte) 1);
    assertThat(Files.readAllBytes(file)[150_000]).isEqualTo((byte) 7);
    assertThatThrownBy(() -> out.create(0)).isInstanceOf(FileAlreadyExistsException.class);
  }

  @Test
  void fileAndFoldersGetThePermissionsHadoopsLocalFileSystemGivesThem() throws IOException {
    Configuration conf = new Configuration();
    FileSystem hadoopFs = FileSystem.getLocal(conf);
    hadoopFs.create(hadoop(dir.resolve("hadoop/x/f"))).close();
    LocalFile.of(hadoop(dir.resolve("jdk/x/f")), conf).create(0).close();
    for (String p : new String[] {"x", "x/f"}) {
      assertThat(Files.getPosixFilePermissions(dir.resolve("jdk").resolve(p)))
          .as(p)
          .isEqualTo(Files.getPosixFilePermissions(dir.resolve("hadoop").resolve(p)));
    }
  }

  @Test
  void anyOtherFileSystemIsWrittenThroughHadoop() throws IOException {
    Configuration conf = new Configuration();
    conf.set("fs.file.impl", RawLocalFileSystem.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    assertThat(LocalFile.of(hadoop(dir.resolve("f")), conf)).isInstanceOf(HadoopOutputFile.class);
  }

  @Test
  void readsFromTheLocalDiskAreNotVectoredAndOtherReadsAre() throws IOException {
    Configuration checked = new Configuration();
    PageWrite.plainReadsOnLocalDisk(checked, hadoop(dir.resolve("f")));
    assertThat(checked.get(PageWrite.VECTORED_READS)).isEqualTo("false");
    Configuration raw = new Configuration();
    raw.set("fs.file.impl", RawLocalFileSystem.class.getName());
    raw.setBoolean("fs.file.impl.disable.cache", true);
    PageWrite.plainReadsOnLocalDisk(raw, hadoop(dir.resolve("f")));
    assertThat(raw.get(PageWrite.VECTORED_READS)).isEqualTo("false");
    // HDFS: no name node is asked until a file is opened
    Configuration hdfs = new Configuration();
    PageWrite.plainReadsOnLocalDisk(hdfs, new org.apache.hadoop.fs.Path("hdfs://localhost:1/f"));
    assertThat(hdfs.get(PageWrite.VECTORED_READS)).isNull();
  }
}
