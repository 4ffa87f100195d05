package dev.softmax.job.bench;

import dev.softmax.job.SoftmaxJob;
import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.SoftmaxUdfs;
import dev.softmax.udf.kernel.Jacobian;
import dev.softmax.udf.kernel.Kernels;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

/**
 * The job benchmark behind scripts/bench.sh: the identity copy, the forward and backward jobs, and
 * compute-only (noop sink) variants of forward, backward, a classic boxed UDF, Spark SQL
 * higher-order functions and the explicit Jacobian, run interleaved, several times each, in one
 * local Spark session. Prints a Markdown report (medians and ratios) and writes it to a file.
 *
 * <p>{@code JobBench quick|full WORK_DIR REPORT.md}
 */
public final class JobBench {
  private final SparkSession spark;
  private final Path work;
  private final Map<String, List<Double>> seconds = new LinkedHashMap<>();
  private final Map<String, Long> rowsOf = new LinkedHashMap<>();

  private JobBench(SparkSession spark, Path work) {
    this.spark = spark;
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    boolean full = args[0].equals("full");
    Path work = Path.of(args[1]).toAbsolutePath();
    Path report = Path.of(args[2]).toAbsolutePath();
    SparkSession spark =
        SparkSession.builder()
            .master("local[*]")
            .appName("softmax bench")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.parquet.compression.codec", "zstd")
            .config("spark.sql.catalog.nn", SoftmaxCatalog.class.getName())
            .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    SoftmaxUdfs.register(spark);
    spark
        .udf()
        .register(
            "jacobian_backward",
            (UDF2<Seq<?>, Seq<?>, double[]>) JobBench::jacobianBackward,
            DataTypes.createArrayType(DataTypes.DoubleType, false));
    String md = new JobBench(spark, work).run(full);
    Files.createDirectories(report.getParent());
    Files.writeString(report, md);
    System.out.println(md);
    spark.stop();
  }

  /** The seed's backward: build J = diag(S) - S S^T, then J^T g. */
  private static double[] jacobianBackward(Seq<?> probs, Seq<?> grad) {
    double[] s = new double[probs.length()];
    double[] g = new double[grad.length()];
    for (int i = 0; i < s.length; i++) {
      s[i] = ((Number) probs.apply(i)).doubleValue();
      g[i] = ((Number) grad.apply(i)).doubleValue();
    }
    return Jacobian.transposeTimes(Jacobian.of(s), g);
  }

  private static void job(String... args) {
    StringWriter err = new StringWriter();
    int status = SoftmaxJob.run(new PrintWriter(new StringWriter()), new PrintWriter(err), args);
    if (status != 0) {
      throw new IllegalStateException("softmax " + String.join(" ", args) + " failed: " + err);
    }
  }

  private static long bytes(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(p -> p.toString().endsWith(".parquet"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void time(String name, long rows, Runnable action) {
    long start = System.nanoTime();
    action.run();
    seconds.computeIfAbsent(name, k -> new ArrayList<>()).add((System.nanoTime() - start) / 1e9);
    rowsOf.put(name, rows);
  }

  private static void noop(Dataset<Row> rows) {
    rows.write().format("noop").mode("overwrite").save();
  }

  private String out(String name) {
    return work.resolve("out").resolve(name).toString();
  }

  private String run(boolean full) {
    int rows = full ? 400_000 : 100_000;
    int reps = full ? 5 : 3;
    int hofRows = full ? 200 : 50;
    int jacobianRows = full ? 20_000 : 5_000;
    int wideRows = full ? 2_000 : 400;
    String in = work.resolve("logits_256").toString();
    String wide = work.resolve("logits_2048").toString();
    String probs = work.resolve("probs_256").toString();
    job(
        "generate",
        "--output",
        in,
        "--rows",
        "" + rows,
        "--width",
        "256",
        "--partitions",
        "8",
        "--grad",
        "--mode",
        "overwrite");
    job(
        "generate",
        "--output",
        wide,
        "--rows",
        "" + wideRows,
        "--width",
        "2048",
        "--partitions",
        "4",
        "--grad",
        "--mode",
        "overwrite");
    job("forward", "--input", in, "--output", probs, "--mode", "overwrite");

    Map<String, Runnable> variants = new LinkedHashMap<>();
    variants.put(
        "(a) identity copy (logits, grad)",
        () ->
            spark
                .read()
                .parquet(in)
                .write()
                .mode("overwrite")
                .option("parquet.enable.dictionary#logits.list.element", "false")
                .partitionBy("part")
                .parquet(out("copy")));
    variants.put(
        "(a) identity copy (probs, grad)",
        () ->
            spark
                .read()
                .parquet(probs)
                .write()
                .mode("overwrite")
                .option("parquet.enable.dictionary#probs.list.element", "false")
                .partitionBy("part")
                .parquet(out("copy_probs")));
    variants.put(
        "(b) forward job",
        () -> job("forward", "--input", in, "--output", out("forward"), "--mode", "overwrite"));
    variants.put(
        "(b) forward --log job",
        () ->
            job(
                "forward",
                "--log",
                "--input",
                in,
                "--output",
                out("forward_log"),
                "--mode",
                "overwrite"));
    variants.put(
        "(c) backward job from probs",
        () ->
            job("backward", "--input", probs, "--output", out("backward"), "--mode", "overwrite"));
    variants.put(
        "(c) backward job from logits",
        () ->
            job(
                "backward",
                "--input",
                in,
                "--logits-col",
                "logits",
                "--output",
                out("backward_logits"),
                "--mode",
                "overwrite"));
    variants.put("noop: read logits only", () -> noop(spark.read().parquet(in).select("logits")));
    variants.put(
        "noop: (b) nn.softmax",
        () -> noop(spark.read().parquet(in).selectExpr("nn.softmax(logits)")));
    variants.put(
        "noop: (c) nn.softmax_backward",
        () -> noop(spark.read().parquet(probs).selectExpr("nn.softmax_backward(probs, grad)")));
    variants.put(
        "noop: (c) nn.softmax_backward_from_logits",
        () ->
            noop(
                spark
                    .read()
                    .parquet(in)
                    .selectExpr("nn.softmax_backward_from_logits(logits, grad)")));
    variants.put(
        "noop: (d) classic boxed UDF softmax",
        () -> noop(spark.read().parquet(in).selectExpr("softmax(logits)")));
    variants.put(
        "noop: (e) higher-order functions softmax [slice]",
        () ->
            noop(
                spark
                    .read()
                    .parquet(in)
                    .where("id < " + hofRows)
                    .selectExpr(
                        "transform(logits, x -> exp(x - array_max(logits)) / aggregate(logits, 0D, (acc, y) -> acc + exp(y - array_max(logits))))")));
    variants.put(
        "noop: (f) explicit Jacobian backward, L=256 [slice]",
        () ->
            noop(
                spark
                    .read()
                    .parquet(in)
                    .where("id < " + jacobianRows)
                    .selectExpr("jacobian_backward(nn.softmax(logits), grad)")));
    variants.put(
        "noop: (f) fused backward UDF, L=256 [same slice]",
        () ->
            noop(
                spark
                    .read()
                    .parquet(in)
                    .where("id < " + jacobianRows)
                    .selectExpr("softmax_backward(nn.softmax(logits), grad)")));
    variants.put(
        "noop: (f) explicit Jacobian backward, L=2048",
        () ->
            noop(
                spark
                    .read()
                    .parquet(wide)
                    .selectExpr("jacobian_backward(nn.softmax(logits), grad)")));
    variants.put(
        "noop: (f) fused backward UDF, L=2048",
        () ->
            noop(
                spark
                    .read()
                    .parquet(wide)
                    .selectExpr("softmax_backward(nn.softmax(logits), grad)")));

    // one warm-up round, then interleaved repetitions
    for (int rep = -1; rep < reps; rep++) {
      for (var v : variants.entrySet()) {
        String name = v.getKey();
        long n =
            name.contains("L=2048")
                ? wideRows
                : name.contains("(f)") ? jacobianRows : name.contains("(e)") ? hofRows : rows;
        if (rep < 0) {
          v.getValue().run();
        } else {
          time(name, n, v.getValue());
        }
      }
    }
    if (full) {
      scaling();
    }
    return report(
        full,
        rows,
        reps,
        bytes(Path.of(out("copy"))),
        bytes(Path.of(out("forward"))),
        bytes(Path.of(in)));
  }

  /** Time per row against rows, and per element against L, compute only. */
  private void scaling() {
    for (int n : new int[] {10_000, 100_000, 1_000_000}) {
      String data = work.resolve("scale_rows_" + n).toString();
      job(
          "generate",
          "--output",
          data,
          "--rows",
          "" + n,
          "--width",
          "256",
          "--partitions",
          "8",
          "--grad",
          "--mode",
          "overwrite");
      for (int rep = -1; rep < 3; rep++) {
        Runnable r = () -> noop(spark.read().parquet(data).selectExpr("nn.softmax(logits)"));
        if (rep < 0) {
          r.run();
        } else {
          time("scaling rows: forward, " + n + " x 256", n, r);
        }
      }
    }
    for (int width : new int[] {16, 256, 4096, 65_536, 262_144}) {
      int n = (int) Math.max(16, 100_000_000L / 4 / width);
      String data = work.resolve("scale_width_" + width).toString();
      job(
          "generate",
          "--output",
          data,
          "--rows",
          "" + n,
          "--width",
          "" + width,
          "--partitions",
          "8",
          "--grad",
          "--mode",
          "overwrite");
      for (int rep = -1; rep < 3; rep++) {
        Runnable f = () -> noop(spark.read().parquet(data).selectExpr("nn.softmax(logits)"));
        Runnable b =
            () ->
                noop(
                    spark
                        .read()
                        .parquet(data)
                        .selectExpr("nn.softmax_backward_from_logits(logits, grad)"));
        if (rep < 0) {
          f.run();
          b.run();
        } else {
          time("scaling L: forward, L=" + width + " (" + n + " rows)", (long) n * width, f);
          time(
              "scaling L: backward from logits, L=" + width + " (" + n + " rows)",
              (long) n * width,
              b);
        }
      }
    }
  }

  private double median(String name) {
    List<Double> s = new ArrayList<>(seconds.get(name));
    s.sort(Double::compare);
    int k = s.size();
    return k % 2 == 1 ? s.get(k / 2) : (s.get(k / 2 - 1) + s.get(k / 2)) / 2;
  }

  private String ratio(String a, String b) {
    double ra = median(a) / rowsOf.get(a);
    double rb = median(b) / rowsOf.get(b);
    return String.format(Locale.ROOT, "%.2fx", ra / rb);
  }

  /** (a - base) / (b - base): the ratio of what each costs beyond reading its input. */
  private String computeRatio(String a, String b, String base) {
    double ca = median(a) - median(base);
    double cb = median(b) - median(base);
    return cb <= 0
        ? String.format(
            Locale.ROOT,
            "n/a (%s within noise of reading: %.2f s vs %.2f s)",
            b,
            median(b),
            median(base))
        : String.format(Locale.ROOT, "%.2fx", ca / cb);
  }

  private String report(
      boolean full, int rows, int reps, long copyBytes, long forwardBytes, long inputBytes) {
    StringBuilder md = new StringBuilder();
    md.append(
        String.format(
            Locale.ROOT,
            "Job benchmark (%s mode): %,d rows x 256 float32 (+ grad), local[*] on %d cores,"
                + " Spark %s, Java %s, kernel: %s. Medians of %d interleaved runs after one warm-up round.%n%n",
            full ? "full" : "quick",
            rows,
            Runtime.getRuntime().availableProcessors(),
            spark.version(),
            System.getProperty("java.version"),
            Kernels.name(),
            reps));
    md.append(
        "| variant | rows | median s | ns per row | runs (s) |\n| --- | ---: | ---: | ---: | --- |\n");
    for (String name : seconds.keySet()) {
      double m = median(name);
      long n = rowsOf.get(name);
      md.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %.2f | %,.0f | %s |%n",
              name,
              n,
              m,
              m * 1e9 / n,
              seconds.get(name).stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList()));
    }
    md.append("\nRatios (per row, medians):\n\n| ratio | value | target |\n| --- | ---: | --- |\n");
    md.append("| forward job / identity copy | ")
        .append(ratio("(b) forward job", "(a) identity copy (logits, grad)"))
        .append(" | <= 1.05x |\n");
    md.append("| forward --log job / identity copy | ")
        .append(ratio("(b) forward --log job", "(a) identity copy (logits, grad)"))
        .append(" | <= 1.05x |\n");
    md.append("| backward job from probs / identity copy of its input | ")
        .append(ratio("(c) backward job from probs", "(a) identity copy (probs, grad)"))
        .append(" | <= 1.05x |\n");
    md.append("| backward job from logits / identity copy of its input | ")
        .append(ratio("(c) backward job from logits", "(a) identity copy (logits, grad)"))
        .append(" | <= 1.05x |\n");
    md.append("| noop: classic boxed UDF / nn.softmax | ")
        .append(ratio("noop: (d) classic boxed UDF softmax", "noop: (b) nn.softmax"))
        .append(" | >= 2x |\n");
    md.append("| compute only (noop minus reading logits): classic boxed UDF / nn.softmax | ")
        .append(
            computeRatio(
                "noop: (d) classic boxed UDF softmax",
                "noop: (b) nn.softmax",
                "noop: read logits only"))
        .append(" | >= 2x |\n");
    md.append("| noop per row: higher-order functions (slice) / nn.softmax (all rows) | ")
        .append(ratio("noop: (e) higher-order functions softmax [slice]", "noop: (b) nn.softmax"))
        .append(" | >= 50x |\n");
    md.append("| noop: explicit Jacobian / fused backward, L=256 | ")
        .append(
            ratio(
                "noop: (f) explicit Jacobian backward, L=256 [slice]",
                "noop: (f) fused backward UDF, L=256 [same slice]"))
        .append(" | |\n");
    md.append("| noop: explicit Jacobian / fused backward, L=2048 | ")
        .append(
            ratio(
                "noop: (f) explicit Jacobian backward, L=2048",
                "noop: (f) fused backward UDF, L=2048"))
        .append(" | >= 10x |\n");
    md.append(
        String.format(
            Locale.ROOT,
            "%nOutput size: input (logits + grad) %,d bytes; identity copy %,d bytes;"
                + " forward output (probs + grad) %,d bytes (zstd, dictionary off for the float lists).%n",
            inputBytes,
            copyBytes,
            forwardBytes));
    return md.toString();
  }
}
