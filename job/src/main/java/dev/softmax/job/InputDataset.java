package dev.softmax.job;

import dev.softmax.job.arrow.ArrowInputException;
import dev.softmax.job.arrow.IpcFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;

/**
 * An input dataset and its checks: Parquet (a file or a directory, Hive-style partitions
 * included) or Arrow IPC (files or streams, through the {@code arrow} data source).
 */
record InputDataset(Path path, Dataset<Row> rows, List<String> partitionColumns) {

  /** Reads {@code path} as {@code format}: parquet, arrow, or auto (told by the first file's bytes). */
  static InputDataset read(SparkSession spark, Path path, String format) {
    String resolved = format.equals("auto") ? detect(spark, path) : format;
    if (resolved.equals("arrow")) {
      try {
        return new InputDataset(path, spark.read().format("arrow").load(path.toString()), List.of());
      } catch (ArrowInputException e) {
        throw new UsageException(e.getMessage());
      }
    }
    Dataset<Row> rows;
    try {
      rows = spark.read().parquet(path.toString());
    } catch (RuntimeException e) {
      throw new UsageException("cannot read input " + path + " as Parquet: " + firstLine(e));
    }
    return new InputDataset(path, rows, partitionColumns(path, rows.inputFiles()));
  }

  /** parquet or arrow, from the first bytes of the first data file under {@code path}. */
  private static String detect(SparkSession spark, Path path) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path file = firstDataFile(path, conf);
    return switch (IpcFormat.sniff(file, conf)) {
      case FILE, STREAM -> "arrow";
      case PARQUET -> "parquet";
      case UNKNOWN -> throw new UsageException("cannot tell the format of " + file
          + " (neither Parquet nor Arrow IPC); pass --input-format parquet or arrow");
    };
  }

  private static Path firstDataFile(Path path, Configuration conf) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(path);
      while (status.isDirectory()) {
        FileStatus next = null;
        for (FileStatus child : fs.listStatus(status.getPath())) {
          String name = child.getPath().getName();
          if (!name.startsWith(".") && !name.startsWith("_") && (next == null || child.isFile())) {
            next = child;
          }
        }
        if (next == null) {
          throw new UsageException("input " + path + " holds no data files");
        }
        status = next;
      }
      return status.getPath();
    } catch (IOException e) {
      throw new UsageException("cannot list input " + path + ": " + e.getMessage());
    }
  }

  /** The k=v directories between the input's root and its first data file. */
  private static List<String> partitionColumns(Path root, String[] files) {
    List<String> columns = new ArrayList<>();
    if (files.length == 0) {
      return columns;
    }
    String base = root.toUri().getPath();
    String file = new Path(files[0]).toUri().getPath();
    if (!file.startsWith(base)) {
      return columns;
    }
    String[] parts = file.substring(base.length()).split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0) {
        columns.add(parts[i].substring(0, eq));
      }
    }
    return columns;
  }

  /** The element type of an array&lt;float&gt; or array&lt;double&gt; column, or a usage error. */
  DataType floatingArrayColumn(String option, String column) {
    StructField field = field(option, column);
    DataType type = field.dataType();
    if (type instanceof ArrayType a
        && (a.elementType() instanceof FloatType || a.elementType() instanceof DoubleType)) {
      return a.elementType();
    }
    throw new UsageException(option + " " + column + " in " + path + " is " + type.catalogString()
        + "; it must be array<float> or array<double>");
  }

  StructField field(String option, String column) {
    for (StructField f : rows.schema().fields()) {
      if (f.name().equals(column)) {
        return f;
      }
    }
    throw new UsageException(option + " " + column + " is not a column of " + path
        + "; its columns are " + String.join(", ", rows.columns()));
  }

  static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}
