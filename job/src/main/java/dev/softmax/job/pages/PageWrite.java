package dev.softmax.job.pages;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.hadoop.metadata.ParquetMetadata;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The page path of a run: when it applies (Parquet in and out, the fail policy, the input's own
 * partitioning, Parquet lists of float or double as the first file lays them out, partition
 * directories that Spark would name the same), Spark schedules one task per input file and commits
 * through Hadoop's output committer, and each task rewrites its file ({@link FileRewrite}); when it
 * does not, {@link #reason()} says why and the run takes the row path. Either way {@link #note()}
 * says which path ran.
 */
public final class PageWrite {
  /** The Spark setting that turns the page path off ({@code false}); on by default. */
  public static final String ENABLED = "spark.softmax.pages.enabled";

  static final String ROW_METADATA = "org.apache.spark.sql.parquet.row.metadata";
  static final String SPARK_VERSION = "org.apache.spark.version";

  /** parquet-java's switch for Hadoop's vectored reads (1.14 on; earlier lines have none). */
  static final String VECTORED_READS = "parquet.hadoop.vectored.io.enabled";

  private final List<FileTask> tasks;
  private final CompressionCodecName codec;
  private final String reason;

  private PageWrite(List<FileTask> tasks, CompressionCodecName codec, String reason) {
    this.tasks = tasks;
    this.codec = codec;
    this.reason = reason;
  }

  /** Whether the page path writes this run. */
  public boolean applies() {
    return reason == null;
  }

  /** Why the row path writes this run; null when the page path does. */
  public String reason() {
    return reason;
  }

  /** For the summary: which path wrote the output, and why not the page path. */
  public String note() {
    return applies()
        ? "written by the page path: "
            + tasks.size()
            + " tasks, one per input file (Parquet pages of the computed column written directly)"
        : "written by Spark's row path: " + reason;
  }

  private static PageWrite refused(String reason) {
    return new PageWrite(List.of(), null, reason);
  }

  /** A run that the row path writes, for {@code reason}. */
  public static PageWrite rowPath(String reason) {
    return refused(reason);
  }

  /**
   * Plans the page path of a run computing {@code function} from Parquet {@code input} (partition
   * columns {@code partitionColumns}) into rows of {@code output} (Spark's schema of the written
   * rows, partition columns included), partitioned by {@code partitionBy}; {@code parquetOut} and
   * {@code failPolicy}: the run's output format and bad-row policy.
   */
  public static PageWrite plan(
      SparkSession spark,
      RowFunction function,
      Path input,
      List<String> partitionColumns,
      boolean parquetOut,
      boolean failPolicy,
      List<String> partitionBy,
      StructType output) {
    if (!Boolean.parseBoolean(spark.conf().get(ENABLED, "true"))) {
      return refused(ENABLED + " is false");
    }
    if (!parquetOut) {
      return refused("the output is not Parquet");
    }
    if (!failPolicy) {
      return refused("the page path handles the fail policy only");
    }
    if (!partitionBy.equals(partitionColumns)) {
      return refused("--partition-by differs from the input's partitioning");
    }
    for (String flag :
        List.of("spark.sql.parquet.mergeSchema", "spark.sql.parquet.writeLegacyFormat")) {
      if (Boolean.parseBoolean(spark.conf().get(flag, "false"))) {
        return refused(flag + " is true");
      }
    }
    CompressionCodecName codec = codec(spark.conf().get("spark.sql.parquet.compression.codec"));
    if (codec == null) {
      return refused("the codec is not one parquet-java names");
    }
    StructField out = field(output, function.output());
    if (!(out != null
        && out.dataType() instanceof ArrayType a
        && (a.elementType() instanceof FloatType || a.elementType() instanceof DoubleType))) {
      return refused("the output column is not an array of float or double");
    }
    Configuration conf = hadoopConf(spark);
    List<String[]> files;
    try {
      files = dataFiles(input, conf);
    } catch (IOException e) {
      return refused("cannot list the input: " + e.getMessage());
    }
    if (files.isEmpty()) {
      return refused("the input has no data files");
    }
    StructType written = new StructType();
    List<String> columns = new ArrayList<>();
    for (StructField f : output.fields()) {
      if (!partitionColumns.contains(f.name())) {
        written = written.add(f);
        columns.add(f.name());
      }
    }
    Map<String, String> partitionTypes = new LinkedHashMap<>();
    for (String p : partitionColumns) {
      StructField f = field(output, p);
      DataType t = f == null ? null : f.dataType();
      partitionTypes.put(
          p,
          t instanceof IntegerType || t instanceof LongType
              ? "integer"
              : t instanceof StringType ? "string" : "other");
    }
    for (String[] file : files) {
      String why = partitionDirProblem(file[1], partitionColumns, partitionTypes);
      if (why != null) {
        return refused(why);
      }
    }
    ParquetMetadata footer;
    try (ParquetFileReader reader =
        new ParquetFileReader(
            HadoopInputFile.fromPath(new Path(files.get(0)[0]), conf),
            HadoopReadOptions.builder(conf).build())) {
      footer = reader.getFooter();
    } catch (IOException | RuntimeException e) {
      return refused("the first input file's footer cannot be read as Parquet: " + e.getMessage());
    }
    MessageType schema = footer.getFileMetaData().getSchema();
    for (String c : columns) {
      if (!c.equals(function.output()) && !schema.containsField(c)) {
        return refused("column " + c + " is not a top-level field of the first file");
      }
    }
    PrimitiveType.PrimitiveTypeName elements = null;
    for (String c : function.inputs()) {
      Type element = schema.containsField(c) ? listElement(schema.getType(c)) : null;
      if (element == null) {
        return refused(
            "column "
                + c
                + " is not a three-level Parquet list of float or double in the first file");
      }
      PrimitiveType.PrimitiveTypeName name = element.asPrimitiveType().getPrimitiveTypeName();
      if (elements != null && elements != name) {
        return refused("the input columns hold two element types");
      }
      elements = name;
    }
    ArrayType outType = (ArrayType) out.dataType();
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put(SPARK_VERSION, spark.version());
    metadata.put(ROW_METADATA, written.json());
    List<FileTask> tasks = new ArrayList<>();
    for (String[] file : files) {
      tasks.add(
          new FileTask(
              file[0],
              file[1],
              List.copyOf(columns),
              out.nullable(),
              outType.containsNull(),
              function,
              Map.copyOf(metadata)));
    }
    return new PageWrite(List.copyOf(tasks), codec, null);
  }

  /**
   * Rewrites every input file into {@code staged} (one task each, committed by Hadoop's output
   * committer); returns the rows written, from the committed files' footers.
   */
  public long write(SparkSession spark, Path staged) {
    if (!applies()) {
      throw new IllegalStateException("the row path writes this run: " + reason);
    }
    try {
      Job job = Job.getInstance(hadoopConf(spark));
      job.setOutputFormatClass(PageOutputFormat.class);
      job.setOutputKeyClass(NullWritable.class);
      job.setOutputValueClass(FileTask.class);
      FileOutputFormat.setOutputPath(job, staged);
      job.getConfiguration().set(PageOutputFormat.CODEC, codec.name());
      plainReadsOnLocalDisk(job.getConfiguration(), new Path(tasks.get(0).file()));
      JavaSparkContext.fromSparkContext(spark.sparkContext())
          .parallelize(tasks, tasks.size())
          .mapToPair(t -> new Tuple2<>(NullWritable.get(), t))
          .saveAsNewAPIHadoopDataset(job.getConfiguration());
      return writtenRows(staged, job.getConfiguration());
    } catch (IOException e) {
      throw new IllegalStateException("the page path failed: " + e.getMessage(), e);
    }
  }

  /**
   * Turns parquet-java's vectored reads off in {@code conf} when {@code input} is on the local disk
   * (Hadoop's local file system, checked or raw). There a vectored range (a column chunk: tens of
   * MB) is read through an asynchronous channel into a heap buffer, which the JDK stages through a
   * temporary direct buffer; in a local run those were allocated and zeroed afresh, and a run with
   * plain reads took 0.87x the time (docs/performance.md). Object stores and HDFS keep vectored
   * reads: their ranges are fetched in parallel.
   */
  static void plainReadsOnLocalDisk(Configuration conf, Path input) throws IOException {
    FileSystem fs = input.getFileSystem(conf);
    if (fs instanceof LocalFileSystem || fs instanceof RawLocalFileSystem) {
      conf.setBoolean(VECTORED_READS, false);
    }
  }

  /** The rows of the committed files under {@code staged}: one file per task, or a failure. */
  private long writtenRows(Path staged, Configuration conf) throws IOException {
    List<FileStatus> written = new ArrayList<>();
    parquetFiles(staged.getFileSystem(conf), staged, written);
    if (written.size() != tasks.size()) {
      throw new IllegalStateException(
          "the page path committed " + written.size() + " files for " + tasks.size() + " tasks");
    }
    long rows = 0;
    for (FileStatus f : written) {
      try (ParquetFileReader reader =
          new ParquetFileReader(
              HadoopInputFile.fromStatus(f, conf), HadoopReadOptions.builder(conf).build())) {
        for (BlockMetaData b : reader.getFooter().getBlocks()) {
          rows += b.getRowCount();
        }
      }
    }
    return rows;
  }

  /**
   * The Parquet files under {@code dir}, by {@code listStatus}: {@code listFiles} asks the local
   * file system for each file's permissions, which without Hadoop's native library starts an {@code
   * ls} process per file.
   */
  private static void parquetFiles(FileSystem fs, Path dir, List<FileStatus> into)
      throws IOException {
    for (FileStatus f : fs.listStatus(dir)) {
      if (f.isDirectory()) {
        parquetFiles(fs, f.getPath(), into);
      } else if (f.getPath().getName().endsWith(".parquet")) {
        into.add(f);
      }
    }
  }

  /** The element of a three-level list of float or double, or null. */
  static Type listElement(Type t) {
    if (t.isPrimitive()
        || t.isRepetition(Type.Repetition.REPEATED)
        || !(t.getLogicalTypeAnnotation()
            instanceof org.apache.parquet.schema.LogicalTypeAnnotation.ListLogicalTypeAnnotation)
        || t.asGroupType().getFieldCount() != 1) {
      return null;
    }
    Type list = t.asGroupType().getType(0);
    if (list.isPrimitive()
        || !list.isRepetition(Type.Repetition.REPEATED)
        || list.asGroupType().getFieldCount() != 1) {
      return null;
    }
    Type element = list.asGroupType().getType(0);
    if (!element.isPrimitive() || element.isRepetition(Type.Repetition.REPEATED)) {
      return null;
    }
    return switch (element.asPrimitiveType().getPrimitiveTypeName()) {
      case FLOAT, DOUBLE -> element;
      default -> null;
    };
  }

  /**
   * Why a file's partition directories (relative to the input) would not be the output's as Spark
   * writes them, or null: each must be {@code column=value} of the input's partition columns in
   * order, with an integer value written as Spark writes it and a string value that Spark's
   * escaping leaves as it is; other partition types take the row path.
   */
  static String partitionDirProblem(
      String dir, List<String> partitionColumns, Map<String, String> types) {
    String[] parts = dir.isEmpty() ? new String[0] : dir.split("/");
    if (parts.length != partitionColumns.size()) {
      return "the input's directories do not match its partition columns";
    }
    for (int i = 0; i < parts.length; i++) {
      String column = partitionColumns.get(i);
      if (!parts[i].startsWith(column + "=")) {
        return "the input's directories do not match its partition columns";
      }
      String value = parts[i].substring(column.length() + 1);
      if (value.equals(ExternalCatalogUtils.DEFAULT_PARTITION_NAME())) {
        continue;
      }
      boolean same =
          switch (types.get(column)) {
            case "integer" -> value.matches("-?(0|[1-9][0-9]{0,17})");
            case "string" ->
                ExternalCatalogUtils.escapePathName(ExternalCatalogUtils.unescapePathName(value))
                    .equals(value);
            default -> false;
          };
      if (!same) {
        return "partition directory " + parts[i] + " would be named otherwise by Spark";
      }
    }
    return null;
  }

  /**
   * The input's data files in name order, each with its directory relative to the input ("" for
   * none): hidden files and directories (. or _) left out, as Spark leaves them out.
   */
  private static List<String[]> dataFiles(Path input, Configuration conf) throws IOException {
    FileSystem fs = input.getFileSystem(conf);
    List<String[]> files = new ArrayList<>();
    FileStatus root = fs.getFileStatus(input);
    if (root.isFile()) {
      files.add(new String[] {root.getPath().toString(), ""});
      return files;
    }
    collect(fs, root.getPath(), "", files);
    return files;
  }

  private static void collect(FileSystem fs, Path dir, String relative, List<String[]> files)
      throws IOException {
    FileStatus[] children = fs.listStatus(dir);
    Arrays.sort(children, Comparator.comparing(c -> c.getPath().getName()));
    for (FileStatus c : children) {
      String name = c.getPath().getName();
      if (name.startsWith(".") || name.startsWith("_")) {
        continue;
      }
      if (c.isDirectory()) {
        collect(fs, c.getPath(), relative.isEmpty() ? name : relative + "/" + name, files);
      } else if (!name.endsWith(".json")) {
        files.add(new String[] {c.getPath().toString(), relative});
      }
    }
  }

  /** parquet-java's codec for Spark's codec name, or null. */
  static CompressionCodecName codec(String spark) {
    String name = spark == null ? "snappy" : spark.toLowerCase(Locale.ROOT);
    if (name.equals("none") || name.equals("uncompressed")) {
      return CompressionCodecName.UNCOMPRESSED;
    }
    try {
      return CompressionCodecName.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The Hadoop settings of the session's file writes: the context's, with the session's own
   * settings that are not Spark's (the Parquet writer's, which the job sets for a run) on top.
   */
  private static Configuration hadoopConf(SparkSession spark) {
    Configuration conf = new Configuration(spark.sparkContext().hadoopConfiguration());
    scala.collection.Iterator<Tuple2<String, String>> all = spark.conf().getAll().iterator();
    while (all.hasNext()) {
      Tuple2<String, String> e = all.next();
      if (e._1().startsWith("spark.hadoop.")) {
        conf.set(e._1().substring("spark.hadoop.".length()), e._2());
      } else if (!e._1().startsWith("spark.")) {
        conf.set(e._1(), e._2());
      }
    }
    return conf;
  }

  private static StructField field(StructType schema, String name) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        return f;
      }
    }
    return null;
  }
}
