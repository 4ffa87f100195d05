package dev.softmax.job;

import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;

/** A Parquet input (a file or a directory, Hive-style partitions included) and its checks. */
record InputDataset(Path path, Dataset<Row> rows, List<String> partitionColumns) {

  static InputDataset read(SparkSession spark, Path path) {
    Dataset<Row> rows;
    try {
      rows = spark.read().parquet(path.toString());
    } catch (RuntimeException e) {
      throw new UsageException("cannot read input " + path + " as Parquet: " + firstLine(e));
    }
    return new InputDataset(path, rows, partitionColumns(path, rows.inputFiles()));
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
