package dev.softmax.job;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.apache.hadoop.ipc.RemoteException;
import org.apache.hadoop.util.VersionInfo;

/**
 * The Hadoop file system behind each path of a run: looks it up (a usage error that names what to
 * add to the classpath for a scheme with no implementation here) and reads, writes, lists and
 * removes through it, turning {@link IOException}s into unchecked ones that name the path.
 */
final class HadoopFiles {
  private final Configuration conf;

  HadoopFiles(Configuration conf) {
    this.conf = conf;
  }

  /** The path qualified by its file system; a usage error naming what to add for a missing one. */
  Path qualify(String path) {
    Path p = new Path(path);
    try {
      return fileSystem(p).makeQualified(p);
    } catch (UncheckedIOException e) {
      throw new UsageException(
          "cannot resolve " + path + ": " + InputDataset.firstLine(e.getCause()));
    }
  }

  FileSystem fileSystem(Path p) {
    try {
      return p.getFileSystem(conf);
    } catch (UnsupportedFileSystemException e) {
      throw new UsageException(missingFileSystem(p));
    } catch (RuntimeException e) {
      // a scheme Hadoop knows (s3a, gs, abfs) whose implementation is not on the classpath
      if (e.getCause() instanceof ClassNotFoundException) {
        throw new UsageException(missingFileSystem(p));
      }
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + p, e);
    }
  }

  /** What to add to the classpath for a scheme that has no Hadoop FileSystem here. */
  static String missingFileSystem(Path p) {
    String scheme = p.toUri().getScheme();
    String hadoop = VersionInfo.getVersion();
    String add =
        switch (scheme) {
          case "s3a" ->
              "add hadoop-aws "
                  + hadoop
                  + " (the cluster's Hadoop version) and the AWS SDK bundle it"
                  + " depends on, e.g. --packages org.apache.hadoop:hadoop-aws:"
                  + hadoop;
          case "s3", "s3n" ->
              "use s3a:// with hadoop-aws "
                  + hadoop
                  + " (--packages org.apache.hadoop:hadoop-aws:"
                  + hadoop
                  + "); s3:// is only served on EMR";
          case "gs" ->
              "add the Cloud Storage connector (com.google.cloud.bigdataoss:gcs-connector, hadoop3 build)";
          case "abfs", "abfss", "wasb", "wasbs" ->
              "add hadoop-azure "
                  + hadoop
                  + " (--packages org.apache.hadoop:hadoop-azure:"
                  + hadoop
                  + ")";
          default ->
              "the job reads and writes Hadoop file systems (file, hdfs, s3a, gs, abfs); check the path";
        };
    return "no Hadoop FileSystem for scheme " + scheme + " in " + p + ": " + add;
  }

  boolean exists(Path p) {
    try {
      return fileSystem(p).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look at " + p, e);
    }
  }

  long modified(Path p) {
    try {
      return fileSystem(p).getFileStatus(p).getModificationTime();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The entries of {@code dir}; none when it does not exist. */
  List<Path> list(Path dir) {
    try {
      FileSystem fs = fileSystem(dir);
      if (!fs.exists(dir)) {
        return List.of();
      }
      return Arrays.stream(fs.listStatus(dir)).map(FileStatus::getPath).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /** Removes {@code p} and everything under it. */
  void delete(Path p) {
    try {
      fileSystem(p).delete(p, true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove " + p, e);
    }
  }

  /** The file's text; empty when it does not exist. */
  String readText(Path file) {
    try (var in = fileSystem(file).open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (FileNotFoundException e) {
      return "";
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  void writeText(Path file, String text) {
    try (var out = fileSystem(file).create(file, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Creates {@code file} holding {@code text} unless it exists, atomically where the file system
   * can; false when it exists.
   */
  boolean createExclusive(Path file, String text) throws IOException {
    FileSystem fs = fileSystem(file);
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if ("file".equals(fs.getScheme())) {
      // Hadoop's local create(overwrite=false) checks, then opens: not atomic; O_EXCL is
      try {
        Files.write(
            Paths.get(file.toUri()),
            bytes,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE);
        return true;
      } catch (java.nio.file.FileAlreadyExistsException e) {
        return false;
      }
    }
    try (var out = fs.create(file, false)) {
      out.write(bytes);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (RemoteException e) {
      // HDFS, while another client is still creating the file (it holds the file's lease)
      if (e.getClassName().endsWith(".AlreadyBeingCreatedException")) {
        return false;
      }
      throw e;
    }
  }
}
