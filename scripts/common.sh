# Shared by the scripts: paths, the build-when-needed step, and the java command for Spark.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# the application jar, whatever the project's version (the pom holds the one version string)
APP_JAR="$(ls "$ROOT"/job/target/softmax-job-*.jar 2>/dev/null | grep -v '/original-' | head -n 1 || true)"
[[ -n $APP_JAR ]] || APP_JAR="$ROOT/job/target/softmax-job.jar"
SPARK_CLASSPATH_FILE="$ROOT/job/target/spark-classpath.txt"

# Builds the application jar when it is missing or older than any source or pom
# (never with SOFTMAX_NO_BUILD=1, which the integration tests set: Maven has just built it).
build_if_needed() {
  if [[ -n ${SOFTMAX_NO_BUILD:-} ]]; then
    [[ -f "$APP_JAR" && -f "$SPARK_CLASSPATH_FILE" ]] || { echo "no $APP_JAR; run mvn package" >&2; exit 1; }
    return
  fi
  if [[ ! -f "$APP_JAR" || ! -f "$SPARK_CLASSPATH_FILE" ]] \
      || [[ -n "$(find "$ROOT/pom.xml" "$ROOT/udf" "$ROOT/job" -newer "$APP_JAR" \
                  \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' -print -quit)" ]]; then
    echo "building spark-softmax (mvn package -DskipTests)..." >&2
    (cd "$ROOT" && mvn -B -q -DskipTests package)
    APP_JAR="$(ls "$ROOT"/job/target/softmax-job-*.jar | grep -v '/original-' | head -n 1)"
  fi
}

# The driver's log file: Spark's messages and the stack trace of a failure go there, and the
# console's one-line error names it. SOFTMAX_LOG_DIR (default $TMPDIR/spark-softmax) holds one per run.
LOG_DIR="${SOFTMAX_LOG_DIR:-${TMPDIR:-/tmp}/spark-softmax}"
mkdir -p "$LOG_DIR"
LOG_FILE="$LOG_DIR/softmax-$(date +%Y%m%d-%H%M%S)-$$.log"
DRIVER_LOG_PROPS=(-Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -Dsoftmax.log.file="$LOG_FILE")

# java with the flags Spark needs on Java 17, the job's conf, and Spark from the Maven classpath.
spark_java() {
  java @"$ROOT/conf/jvm.options" \
    "${DRIVER_LOG_PROPS[@]}" \
    -Dsoftmax.job.defaults="$ROOT/conf/job.properties" \
    "$@"
}
