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
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FSDataOutputStreamBuilder;
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
  /** S3A's option for a create that fails when the object exists (Hadoop 3.4.2+). */
  private static final String CONDITIONAL_OVERWRITE = "fs.option.create.conditional.overwrite";

  private static final Pattern CHECKSUM_ERROR = Pattern.compile("Checksum error: (\\S+) at");

  private final Configuration conf;

  /** Whether S3A here takes {@link #CONDITIONAL_OVERWRITE}; null until a create has tried it. */
  private Boolean conditionalCreates;

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
    if ("s3a".equals(fs.getScheme()) && conditionalCreates != Boolean.FALSE) {
      Optional<Boolean> created = createIfNoneMatch(fs, file, bytes, true);
      if (created.isPresent()) {
        conditionalCreates = true;
        return created.get();
      }
      conditionalCreates = false;
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

  /**
   * S3A's create-if-absent (Hadoop 3.4.2+): the object is put with {@code If-None-Match: *}, so a
   * store that honours it refuses a second creator at close. Empty when this S3A has no such option
   * (Hadoop 3.3 refuses the mandatory option it does not know).
   */
  private static Optional<Boolean> createIfNoneMatch(
      FileSystem fs, Path file, byte[] bytes, boolean checkFirst) throws IOException {
    // where the store ignores If-None-Match, this check is all there is (and is not atomic)
    if (checkFirst && fs.exists(file)) {
      return Optional.of(false);
    }
    FSDataOutputStream out;
    try {
      FSDataOutputStreamBuilder<?, ?> builder = fs.createFile(file).overwrite(false).recursive();
      builder.must(CONDITIONAL_OVERWRITE, true);
      out = builder.build();
    } catch (IllegalArgumentException | UnsupportedOperationException unknownOption) {
      return Optional.empty();
    } catch (FileAlreadyExistsException e) {
      return Optional.of(false);
    }
    try (out) {
      out.write(bytes);
    } catch (FileAlreadyExistsException e) {
      return Optional.of(false);
    } catch (IOException e) {
      // S3A reports the store's 412 (Precondition Failed) at close
      if (String.valueOf(e.getMessage()).contains("412")) {
        return Optional.of(false);
      }
      throw e;
    }
    return Optional.of(true);
  }

  /**
   * Whether a second create-if-absent of {@code existing} (a file this run has just created) is
   * refused: false where the store ignores the condition (s3proxy, some S3-compatible stores) or
   * S3A has none (Hadoop 3.3), so that racing runs there are not detected.
   */
  boolean refusesSecondCreate(Path existing, String text) {
    FileSystem fs = fileSystem(existing);
    if (!"s3a".equals(fs.getScheme())) {
      return true;
    }
    try {
      return !createIfNoneMatch(fs, existing, text.getBytes(StandardCharsets.UTF_8), false)
          .orElse(true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + existing, e);
    }
  }

  /**
   * The console line for a read that failed because a file disagrees with Hadoop's checksum side
   * file ({@code .NAME.crc}, which the local file system keeps and checks): copying a dataset
   * between stores brings these along, and a file replaced without its side file then fails every
   * read. Empty for any other failure.
   */
  static Optional<String> staleChecksum(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof ChecksumException) {
        Matcher m = CHECKSUM_ERROR.matcher(String.valueOf(t.getMessage()));
        if (!m.find()) {
          return Optional.of(
              "a file does not match its Hadoop checksum side file (.NAME.crc): "
                  + InputDataset.firstLine(t));
        }
        Path file = new Path(m.group(1));
        Path crc = new Path(file.getParent(), "." + file.getName() + ".crc");
        return Optional.of(
            "input file "
                + file
                + " does not match its checksum side file "
                + crc
                + " (Hadoop's; left by a copy of another version of the file, or the file is"
                + " damaged): if the file is the one to read, remove "
                + crc
                + " and rerun");
      }
    }
    return Optional.empty();
  }
}
