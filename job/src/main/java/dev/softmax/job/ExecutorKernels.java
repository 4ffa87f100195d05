package dev.softmax.job;

import dev.softmax.udf.SqlFunction;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Which forward kernel the executors run, asked of the executors themselves (their JVM flags decide
 * it, not the driver's) by a small Spark job of one task per task slot: an RDD job of one stage,
 * with no query to plan, no generated code and no shuffle (a Dataset with {@code distinct} costs a
 * fresh driver about a second: docs/performance.md, "Where a forward job's time goes"). A managed
 * cluster that does not pass {@code --add-modules jdk.incubator.vector} to its executors runs the
 * scalar kernel, and the run says so. In local mode the executors are threads of the driver's JVM:
 * the driver answers for them, without a job (about a third of a second of a fresh driver's time).
 */
final class ExecutorKernels {
  static final String FLAG = "--add-modules jdk.incubator.vector";

  private ExecutorKernels() {}

  /** The kernel's name, or "mixed: a, b" when executors differ. */
  static String probe(SparkSession spark) {
    if (spark.sparkContext().isLocal()) {
      return SqlFunction.kernel();
    }
    int slots = Math.max(1, spark.sparkContext().defaultParallelism());
    List<String> names =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(IntStream.range(0, slots).boxed().toList(), slots)
            .map(slot -> SqlFunction.kernel())
            .collect()
            .stream()
            .distinct()
            .sorted()
            .toList();
    return names.size() == 1 ? names.get(0) : "mixed: " + String.join(", ", names);
  }

  /** The note for a run whose executors (some or all) run the scalar kernel, or null. */
  static String note(String kernel) {
    return kernel.contains("scalar")
        ? "executors run the scalar softmax kernel ("
            + kernel
            + "), several times slower than the vector one:"
            + " add "
            + FLAG
            + " to spark.executor.extraJavaOptions (and, in local mode, to the driver's java options)"
        : null;
  }
}
