package dev.softmax.job.pages;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.hadoop.util.HadoopOutputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;

/**
 * The file a task writes, on the local disk through the JDK's files rather than Hadoop's local file
 * system: without Hadoop's native library that file system starts a {@code chmod} process for each
 * file, its checksum file and each folder it creates (about 35 ms of CPU each here; see
 * docs/performance.md). The JDK creates them with the process's umask, as {@code chmod} would set
 * them with Hadoop's default one, and writes no checksum file, which readers do not need. Hadoop's
 * committer still moves the file into place. Any other file system is written through Hadoop.
 */
final class LocalFile implements OutputFile {
  private static final int BUFFER = 1 << 16;

  private final java.nio.file.Path path;

  private LocalFile(java.nio.file.Path path) {
    this.path = path;
  }

  /** The file at {@code path}: this class for a path of Hadoop's local file system. */
  static OutputFile of(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    return fs instanceof LocalFileSystem local
        ? new LocalFile(local.pathToFile(path).toPath())
        : HadoopOutputFile.fromPath(path, conf);
  }

  @Override
  public PositionOutputStream create(long blockSizeHint) throws IOException {
    return open(StandardOpenOption.CREATE_NEW);
  }

  @Override
  public PositionOutputStream createOrOverwrite(long blockSizeHint) throws IOException {
    return open(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
  }

  @Override
  public boolean supportsBlockSize() {
    return false;
  }

  @Override
  public long defaultBlockSize() {
    return 0;
  }

  /** The file's path, for parquet-java's messages. */
  public String getPath() {
    return path.toString();
  }

  private PositionOutputStream open(OpenOption... options) throws IOException {
    Files.createDirectories(path.getParent());
    OutputStream out = new BufferedOutputStream(Files.newOutputStream(path, options), BUFFER);
    return new PositionOutputStream() {
      private long position;

      @Override
      public long getPos() {
        return position;
      }

      @Override
      public void write(int b) throws IOException {
        out.write(b);
        position++;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        position += len;
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        out.close();
      }
    };
  }
}
