package dev.softmax.job;

import dev.softmax.job.arrow.ArrowInputException;
import dev.softmax.job.arrow.ArrowTableProvider;
import dev.softmax.job.arrow.IpcFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * An input dataset and its checks: Parquet (a file or a directory, Hive-style partitions included),
 * Arrow IPC (files or streams, through the {@code arrow} data source), or an Iceberg table's
 * snapshot ({@link TableInput}); {@code name} says which in messages and the summary.
 */
record InputDataset(
    String name,
    Dataset<Row> rows,
    List<String> partitionColumns,
    Map<String, String> readSettings,
    List<String> notes,
    Map<String, Double> columnBytes,
    double rowBytes,
    long largestChunkBytes) {
  /**
   * Spark settings under which a Parquet input with BYTE_STREAM_SPLIT columns is read (the
   * row-based reader).
   */
  static final Map<String, String> ROW_BASED_PARQUET =
      Map.of(
          "spark.sql.parquet.enableVectorizedReader", "false",
          "spark.sql.parquet.enableNestedColumnVectorizedReader", "false");

  /**
   * When set, Spark reads every file's footer for the schema (a Spark job); the job then lets it.
   */
  static final String MERGE_SCHEMA = "spark.sql.parquet.mergeSchema";

  /**
   * Reads {@code path} as {@code format}: parquet, arrow, or auto (told by the first file's bytes).
   * Parquet is checked by its first file's footer: float16 columns are refused (Spark cannot read
   * them), and BYTE_STREAM_SPLIT columns, which Spark's vectorized reader refuses, are read with
   * the row-based reader ({@link #readSettings}). Spark gets the schema from that footer, as its
   * own inference would read it, rather than running a job to read a footer again (unless {@value
   * #MERGE_SCHEMA} asks it to merge every file's).
   */
  static InputDataset read(SparkSession spark, Path path, Formats.Input format) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path first = firstDataFile(path, conf);
    Formats.Input resolved = format == Formats.Input.auto ? detect(first, conf) : format;
    if (resolved == Formats.Input.arrow) {
      try {
        double[] sizes = ArrowTableProvider.sizes(spark, path.toString());
        return new InputDataset(
            path.toString(),
            spark.read().format("arrow").load(path.toString()),
            List.of(),
            Map.of(),
            List.of(),
            Map.of(),
            sizes[0],
            (long) sizes[1]);
      } catch (ArrowInputException e) {
        throw new UsageException(e.getMessage());
      }
    }
    ParquetFooter footer = ParquetFooter.read(first, conf);
    requireNoFloat16(footer, first);
    Dataset<Row> rows;
    try {
      DataFrameReader reader = spark.read();
      if (footer.sparkSchema() != null
          && !Boolean.parseBoolean(spark.conf().get(MERGE_SCHEMA, "false"))) {
        // the schema Spark would infer from one file's footer, from the footer already read: no
        // Spark job
        reader = reader.schema(footer.sparkSchema());
      }
      rows = reader.parquet(path.toString());
    } catch (RuntimeException e) {
      throw new UsageException(
          HadoopFiles.staleChecksum(e)
              .orElse("cannot read input " + path + " as Parquet: " + firstLine(e)));
    }
    return parquet(path.toString(), first, rows, partitionColumns(path, first), footer);
  }

  /** Fails when the Parquet file {@code first} holds float16 columns, which Spark cannot read. */
  static void requireNoFloat16(ParquetFooter footer, Path first) {
    if (!footer.float16Columns().isEmpty()) {
      throw new UsageException(
          "column "
              + String.join(", ", footer.float16Columns())
              + " of "
              + first
              + " holds float16 (Parquet FLOAT16), which Spark cannot read; write it as float32 (PyTorch:"
              + " tensor.float(); pyarrow: table.cast(...) to pa.list_(pa.float32()))");
    }
  }

  /**
   * Parquet {@code rows} named {@code name}, sized by the footer of {@code first}, one of their
   * files (a directory's first, a table's largest); BYTE_STREAM_SPLIT columns there make them be
   * read with the row-based reader.
   */
  static InputDataset parquet(
      String name,
      Path first,
      Dataset<Row> rows,
      List<String> partitionColumns,
      ParquetFooter footer) {
    Map<String, Double> columnBytes = new LinkedHashMap<>();
    for (StructField f : rows.schema().fields()) {
      if (f.dataType() instanceof ArrayType a) {
        columnBytes.put(
            f.name(),
            footer.valuesPerRow().getOrDefault(f.name(), 0.0) * a.elementType().defaultSize());
      }
    }
    double rowBytes = columnBytes.values().stream().mapToDouble(Double::doubleValue).sum();
    return footer.byteStreamSplit()
        ? new InputDataset(
            name,
            rows,
            partitionColumns,
            ROW_BASED_PARQUET,
            List.of(
                first
                    + " uses BYTE_STREAM_SPLIT, which Spark's vectorized Parquet reader refuses: "
                    + name
                    + " is read with the row-based reader"),
            columnBytes,
            rowBytes,
            footer.largestRowGroupBytes())
        : new InputDataset(
            name,
            rows,
            partitionColumns,
            Map.of(),
            List.of(),
            columnBytes,
            rowBytes,
            footer.largestRowGroupBytes());
  }

  /** parquet or arrow, from the first bytes of a data file. */
  private static Formats.Input detect(Path file, Configuration conf) {
    IpcFormat format;
    try {
      format = IpcFormat.sniff(file, conf);
    } catch (UncheckedIOException e) {
      throw new UsageException(
          HadoopFiles.staleChecksum(e)
              .orElse("cannot read input file " + file + ": " + firstLine(e.getCause())));
    }
    return switch (format) {
      case FILE, STREAM -> Formats.Input.arrow;
      case PARQUET -> Formats.Input.parquet;
      case UNKNOWN ->
          throw new UsageException(
              "cannot tell the format of "
                  + file
                  + " (neither Parquet nor Arrow IPC); pass --input-format parquet or arrow");
    };
  }

  /**
   * The first data file under {@code path} in name order (files before subdirectories): the same on
   * every run.
   */
  private static Path firstDataFile(Path path, Configuration conf) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      FileStatus status = fs.getFileStatus(path);
      while (status.isDirectory()) {
        FileStatus next = null;
        FileStatus[] children = fs.listStatus(status.getPath());
        Arrays.sort(
            children,
            Comparator.comparing((FileStatus c) -> !c.isFile())
                .thenComparing(c -> c.getPath().getName()));
        for (FileStatus child : children) {
          if (IpcFormat.isDataFile(child.getPath().getName())) {
            next = child;
            break;
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

  /**
   * The k=v directories between the input's root and its first data file (the one {@link
   * #firstDataFile} found: asking Spark for its input files lists them again, about 0.2 s of a
   * fresh driver's time).
   */
  private static List<String> partitionColumns(Path root, Path first) {
    List<String> columns = new ArrayList<>();
    String base = root.toUri().getPath();
    String file = first.toUri().getPath();
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

  /**
   * Bytes of {@code column} in an average row: from the Parquet footer of the first file, or, for
   * Arrow, a whole row's bytes (the record batches do not tell columns apart).
   */
  double bytesPerRow(String column) {
    return columnBytes.getOrDefault(column, rowBytes);
  }

  /** The element type of an array&lt;float&gt; or array&lt;double&gt; column, or a usage error. */
  DataType floatingArrayColumn(String option, String column) {
    StructField field = field(option, column);
    DataType type = field.dataType();
    if (type instanceof ArrayType a
        && (a.elementType() instanceof FloatType || a.elementType() instanceof DoubleType)) {
      return a.elementType();
    }
    throw new UsageException(
        option
            + " "
            + column
            + " in "
            + name
            + " is "
            + type.catalogString()
            + "; it must be array<float> or array<double>");
  }

  /**
   * The type of a logits column the loss functions take: array&lt;float&gt; or array&lt;double&gt;,
   * or per token (tokens x classes) array&lt;array&lt;float&gt;&gt; or
   * array&lt;array&lt;double&gt;&gt;; else a usage error.
   */
  ArrayType lossLogitsColumn(String option, String column) {
    DataType type = field(option, column).dataType();
    if (type instanceof ArrayType outer) {
      DataType inner = outer.elementType() instanceof ArrayType tokens ? tokens : outer;
      if (inner instanceof ArrayType a
          && (a.elementType() instanceof FloatType || a.elementType() instanceof DoubleType)) {
        return outer;
      }
    }
    throw new UsageException(
        option
            + " "
            + column
            + " in "
            + name
            + " is "
            + type.catalogString()
            + "; it must be array<float> or array<double>, or per token array<array<float>> or"
            + " array<array<double>>");
  }

  StructField field(String option, String column) {
    for (StructField f : rows.schema().fields()) {
      if (f.name().equals(column)) {
        return f;
      }
    }
    throw new UsageException(
        option
            + " "
            + column
            + " is not a column of "
            + name
            + "; its columns are "
            + String.join(", ", rows.columns())
            + structFieldHint(column));
  }

  /**
   * For a name that would be a path into a struct column ({@code model.logits} where {@code model}
   * is a struct): that names are never paths; else nothing.
   */
  private String structFieldHint(String column) {
    int dot = column.indexOf('.');
    if (dot < 0) {
      return "";
    }
    String head = column.substring(0, dot);
    for (StructField f : rows.schema().fields()) {
      if (f.name().equals(head) && f.dataType() instanceof StructType) {
        return " (a name is a top-level column's whole name, never a field of a struct such as "
            + head
            + ": select the field into a column of its own first)";
      }
    }
    return "";
  }

  static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}
