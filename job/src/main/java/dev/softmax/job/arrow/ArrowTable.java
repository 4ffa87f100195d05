package dev.softmax.job.arrow;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.SupportsWrite;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.write.LogicalWriteInfo;
import org.apache.spark.sql.connector.write.WriteBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A path of Arrow IPC data: a file, or a directory of them (hidden files and JSON sidecars
 * skipped).
 */
final class ArrowTable implements SupportsRead, SupportsWrite {
  private final SparkSession spark;
  private final Path path;
  private final CaseInsensitiveStringMap options;
  private final StructType userSchema;
  private List<IpcLayout> layouts;

  private ArrowTable(
      SparkSession spark, Path path, CaseInsensitiveStringMap options, StructType userSchema) {
    this.spark = spark;
    this.path = path;
    this.options = options;
    this.userSchema = userSchema;
  }

  static ArrowTable of(SparkSession spark, CaseInsensitiveStringMap options, StructType schema) {
    String p = options.get("path");
    if (p == null) {
      throw new IllegalArgumentException(
          "the arrow data source needs a path: load(path) or save(path)");
    }
    return new ArrowTable(spark, new Path(p), options, schema);
  }

  Configuration conf() {
    return spark.sessionState().newHadoopConf();
  }

  /** Every input file's layout, checked to share one schema; read once. */
  List<IpcLayout> layouts() {
    if (layouts == null) {
      List<IpcLayout> found = new ArrayList<>();
      Configuration conf = conf();
      for (Path file : files(path, conf)) {
        IpcLayout layout = IpcLayout.of(file, conf);
        if (!found.isEmpty() && !found.get(0).schema().equals(layout.schema())) {
          throw new ArrowInputException(
              file, "its schema differs from " + found.get(0).path() + "'s");
        }
        found.add(layout);
      }
      if (found.isEmpty()) {
        throw new ArrowInputException(path, "no Arrow files there");
      }
      layouts = found;
    }
    return layouts;
  }

  private static List<Path> files(Path root, Configuration conf) {
    try {
      FileSystem fs = root.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(root);
      List<Path> files = new ArrayList<>();
      if (status.isFile()) {
        files.add(root);
      } else {
        collect(fs, root, files);
      }
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw new ArrowInputException(root, "cannot list: " + e.getMessage());
    }
  }

  private static void collect(FileSystem fs, Path dir, List<Path> out) throws IOException {
    for (FileStatus child : fs.listStatus(dir)) {
      String name = child.getPath().getName();
      if (!IpcFormat.isDataFile(name)) {
        continue;
      }
      if (child.isDirectory()) {
        collect(fs, child.getPath(), out);
      } else {
        out.add(child.getPath());
      }
    }
  }

  @Override
  public String name() {
    return "arrow " + path;
  }

  @Override
  public StructType schema() {
    return userSchema != null
        ? userSchema
        : ArrowSchemas.toSpark(layouts().get(0).schema(), layouts().get(0).path());
  }

  @Override
  public Set<TableCapability> capabilities() {
    return EnumSet.of(
        TableCapability.BATCH_READ, TableCapability.BATCH_WRITE, TableCapability.TRUNCATE);
  }

  @Override
  public ScanBuilder newScanBuilder(CaseInsensitiveStringMap readOptions) {
    long maxBytes =
        readOptions.getLong(
            "maxPartitionBytes", spark.sessionState().conf().filesMaxPartitionBytes());
    return new ArrowScan(this, schema(), maxBytes, new SerializableConfiguration(conf()));
  }

  @Override
  public WriteBuilder newWriteBuilder(LogicalWriteInfo info) {
    return new ArrowWrite(path, info, new SerializableConfiguration(conf()));
  }
}
