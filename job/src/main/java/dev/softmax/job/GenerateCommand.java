package dev.softmax.job;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.udf;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code generate}: a deterministic synthetic dataset of logits (and gradients). */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "Write synthetic logits ~ N(0, 3^2) (and gradients ~ N(0, 1) with --grad): columns"
            + " id, logits[, grad], partitioned by part. Values depend only on (seed, id, position).")
final class GenerateCommand implements Callable<Integer> {
  @Option(
      names = "--output",
      required = true,
      paramLabel = "PATH",
      description = "Output directory.")
  String output;

  @Option(names = "--rows", required = true, paramLabel = "N", description = "Number of rows.")
  long rows;

  @Option(names = "--width", required = true, paramLabel = "L", description = "Elements per row.")
  int width;

  @Option(
      names = "--partitions",
      paramLabel = "P",
      description = "Values of the partition column part (and files). Default: ${DEFAULT-VALUE}.")
  int partitions = 4;

  @Option(names = "--seed", paramLabel = "S", description = "Default: ${DEFAULT-VALUE}.")
  long seed = 42;

  @Option(names = "--grad", description = "Also write a grad column.")
  boolean grad;

  @Option(names = "--double", description = "array<double> instead of array<float>.")
  boolean asDouble;

  @Mixin CommonOptions common;

  @Spec CommandSpec spec;

  /** Options of the shared set that generate has no use for: given, they are an error. */
  private static final List<String> UNUSED =
      List.of("--on-bad-row", "--quarantine", "--partition-by");

  @Override
  public Integer call() {
    for (String option : UNUSED) {
      if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
        throw new UsageException(
            option
                + " is not an option of generate: it writes every row it makes,"
                + " partitioned by part");
      }
    }
    common.checkOutput();
    if (rows < 0 || width < 1 || partitions < 1) {
      throw new UsageException(
          "--rows must be >= 0, --width >= 1 and --partitions >= 1; got "
              + rows
              + ", "
              + width
              + ", "
              + partitions);
    }
    SparkSession spark = SparkSessions.start("generate");
    Notes notes = new Notes("generate", spec.commandLine().getErr());
    HadoopFiles files = new HadoopFiles(spark.sparkContext().hadoopConfiguration());
    OutputPublisher publisher = new OutputPublisher(files, notes);
    Path out = files.qualify(output);
    new OutputChecks(files, publisher).requireWritable("output", out, Map.of(), common.mode);

    // range slices split at i * rows / partitions: each task writes one part
    Dataset<Row> ids =
        spark
            .range(0, rows, 1, partitions)
            .toDF("id")
            .withColumn(
                "part",
                floor(col("id").multiply(partitions).divide(Math.max(rows, 1))).cast("int"));
    Dataset<Row> data = ids.withColumn("logits", values(0, 3.0).apply(col("id")));
    if (grad) {
      data = data.withColumn("grad", values(1, 1.0).apply(col("id")));
    }
    String element = asDouble ? "double" : "float";
    BatchRun plan =
        BatchRun.withoutRules(
            "generate",
            new BatchRun.Source(
                "synthetic(seed=" + seed + ", rows=" + rows + ", width=" + width + ")",
                data,
                List.of("id"),
                common.outputFormat == Formats.Output.arrow ? List.of() : List.of("part")),
            new BatchRun.Output("logits", col("logits"), List.of(), element));
    TaskMemory memory =
        TaskMemory.ofRow(
            "rows of " + width + " values",
            (double) width * (asDouble ? 8 : 4) * (grad ? 2 : 1),
            0);
    memory.requireFits(spark.sparkContext());
    return common.write(spark, publisher, plan, out, null, notes, memory.settings(), spec);
  }

  private UserDefinedFunction values(int stream, double scale) {
    long s = seed;
    int w = width;
    if (asDouble) {
      return udf(
          (UDF1<Long, double[]>) id -> SyntheticValues.doubles(s, id, w, stream, scale),
          DataTypes.createArrayType(DataTypes.DoubleType, false));
    }
    return udf(
        (UDF1<Long, float[]>) id -> SyntheticValues.floats(s, id, w, stream, scale),
        DataTypes.createArrayType(DataTypes.FloatType, false));
  }
}
