package dev.softmax.job;

import dev.softmax.udf.RowCheck;
import dev.softmax.udf.SoftmaxCatalog;
import dev.softmax.udf.SqlFunction;
import dev.softmax.udf.Warmup;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The job's Spark session, whatever launcher started it (run-local.sh, submit.sh, a plain
 * spark-submit): the softmax functions as catalog {@code nn}, local mode by default, and the job's
 * own write defaults where the session does not set its own.
 */
final class SparkSessions {
  static final String MASTER = "spark.master";

  /** The master when the launcher names none: local mode on every core. */
  static final String DEFAULT_MASTER = "local[*]";

  static final String PROGRESS = "spark.ui.showConsoleProgress";
  static final String CODEC = "spark.sql.parquet.compression.codec";

  /** zstd: about 8% smaller than snappy on random float32 lists, at a similar speed. */
  static final String DEFAULT_CODEC = "zstd";

  private SparkSessions() {}

  /**
   * When this JVM will start a local-mode session (its executors are its own threads), compiles the
   * functions the run calls on a background thread while Spark starts ({@link Warmup}): {@code
   * function} and its row checks, or under the fail policy its checked form alone when it has one
   * (what {@link BadRows#goodRows} calls then): about a third of a second per function in a fresh
   * JVM, taken off the run's critical path on a machine of two cores or more. A cluster's executors
   * are other JVMs, and a session already running (tests, notebooks) has compiled what it has run:
   * neither needs it.
   */
  static void warmUp(SqlFunction function, BadRowPolicy policy) {
    warmUp(calledFunctions(function, policy));
  }

  /**
   * {@link #warmUp(SqlFunction, BadRowPolicy)} of the functions given, which {@link Warmup} must be
   * able to run: functions of arrays alone.
   */
  static void warmUp(List<SqlFunction> functions) {
    if (inProcessExecutors(new SparkConf().get(MASTER, DEFAULT_MASTER))
        && SparkSession.getActiveSession().isEmpty()
        && SparkSession.getDefaultSession().isEmpty()) {
      Warmup.inBackground(functions);
    }
  }

  /** The functions a run of {@code function} under {@code policy} calls on each row. */
  static List<SqlFunction> calledFunctions(SqlFunction function, BadRowPolicy policy) {
    if (policy == BadRowPolicy.fail && function.checked().isPresent()) {
      return List.of(function.checked().get());
    }
    List<SqlFunction> functions = new ArrayList<>();
    function.argumentChecks().stream().map(RowCheck::function).distinct().forEach(functions::add);
    functions.add(function);
    return functions;
  }

  /** Whether a session of {@code master} runs its tasks in this JVM: local, not local-cluster. */
  static boolean inProcessExecutors(String master) {
    return master.equals("local") || master.startsWith("local[");
  }

  static SparkSession start(String command) {
    SparkSession.Builder builder =
        SparkSession.builder()
            .appName("softmax " + command)
            .config(
                "spark.sql.catalog." + SoftmaxCatalog.DEFAULT_NAME, SoftmaxCatalog.class.getName());
    SparkConf given = new SparkConf();
    if (!given.contains(MASTER)) {
      builder.master(DEFAULT_MASTER);
    }
    if (!given.contains(PROGRESS)) {
      // the progress bar redraws with carriage returns: noise in a piped or captured log
      builder.config(PROGRESS, System.console() != null);
    }
    SparkSession spark = builder.getOrCreate();
    if (!spark.conf().contains(CODEC)) {
      spark.conf().set(CODEC, DEFAULT_CODEC);
    }
    return spark;
  }
}
