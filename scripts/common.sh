# Shared by the scripts: paths, the build-when-needed step, and the java command for Spark.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# The Spark line: SPARK_PROFILE is the Maven profile (pom.xml, <profiles>): spark-3.5, spark-3.5,scala-2.13,
# spark-4.0, spark-4.1 (the default) or spark-4.2. Each line builds into its own folder, named like its
# jars: spark<line>_<scala>, Scala 2.12 on 3.5 unless scala-2.13 is added (as the pom says).
# The integration tests give the build folder's name instead (SOFTMAX_BUILD_ID, with SOFTMAX_NO_BUILD).
SPARK_PROFILE="${SPARK_PROFILE:-spark-4.1}"
if [[ -n ${SOFTMAX_BUILD_ID:-} ]]; then
  BUILD_ID=$SOFTMAX_BUILD_ID
else
  case ",$SPARK_PROFILE," in
    ,spark-3.5,scala-2.13, | ,scala-2.13,spark-3.5,) BUILD_ID=spark3.5_2.13 ;;
    ,spark-3.5,) BUILD_ID=spark3.5_2.12 ;;
    ,spark-4.0, | ,spark-4.1, | ,spark-4.2,) BUILD_ID="spark${SPARK_PROFILE#spark-}_2.13" ;;
    *) echo "SPARK_PROFILE=$SPARK_PROFILE: not a Spark line of pom.xml (spark-3.5, spark-3.5,scala-2.13, spark-4.0, spark-4.1, spark-4.2)" >&2
       exit 2 ;;
  esac
fi
SCALA_BINARY_VERSION="${BUILD_ID##*_}"
UDF_BUILD="$ROOT/udf/target/$BUILD_ID"
JOB_BUILD="$ROOT/job/target/$BUILD_ID"
# the application jar, whatever the project's version (the pom holds the one version string)
find_app_jar() {
  APP_JAR="$(ls "$JOB_BUILD"/softmax-job-*.jar 2>/dev/null | grep -v '/original-' | head -n 1 || true)"
  [[ -n $APP_JAR ]] || APP_JAR="$JOB_BUILD/softmax-job-$BUILD_ID.jar"
}
find_app_jar
SPARK_CLASSPATH_FILE="$JOB_BUILD/spark-classpath.txt"

# Builds the application jar when it is missing or older than any source or pom
# (never with SOFTMAX_NO_BUILD=1, which the integration tests set: Maven has just built it).
build_if_needed() {
  if [[ -n ${SOFTMAX_NO_BUILD:-} ]]; then
    [[ -f "$APP_JAR" && -f "$SPARK_CLASSPATH_FILE" ]] || { echo "no $APP_JAR; run mvn -P$SPARK_PROFILE package" >&2; exit 1; }
    return
  fi
  if [[ ! -f "$APP_JAR" || ! -f "$SPARK_CLASSPATH_FILE" ]] \
      || [[ -n "$(find "$ROOT/pom.xml" "$ROOT/udf" "$ROOT/job" -newer "$APP_JAR" \
                  \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' -print -quit)" ]]; then
    echo "building spark-softmax for $BUILD_ID (mvn -P$SPARK_PROFILE package -DskipTests)..." >&2
    (cd "$ROOT" && mvn -B -q -P"$SPARK_PROFILE" -DskipTests package)
    find_app_jar
  fi
}

# The driver's log file: Spark's messages and the stack trace of a failure go there, and the
# console's one-line error names it. SOFTMAX_LOG_DIR (default $TMPDIR/spark-softmax) holds one per run.
LOG_DIR="${SOFTMAX_LOG_DIR:-${TMPDIR:-/tmp}/spark-softmax}"
mkdir -p "$LOG_DIR"
LOG_FILE="$LOG_DIR/softmax-$(date +%Y%m%d-%H%M%S)-$$.log"
DRIVER_LOG_PROPS=(-Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -Dsoftmax.log.file="$LOG_FILE")

# java with the flags Spark needs on Java 17, the job's conf, and Spark from the Maven classpath.
# SOFTMAX_JAVA_OPTS: more options for this JVM (the driver, and in local mode the executors), split
# at spaces, e.g. a flight recording: SOFTMAX_JAVA_OPTS=-XX:StartFlightRecording=filename=run.jfr
spark_java() {
  local extra=()
  read -ra extra <<< "${SOFTMAX_JAVA_OPTS:-}"
  java @"$ROOT/conf/jvm.options" \
    "${extra[@]}" \
    "${DRIVER_LOG_PROPS[@]}" \
    -Dsoftmax.job.defaults="$ROOT/conf/job.properties" \
    "$@"
}

# Class data sharing (the JDK's CDS): a fresh JVM spends seconds reading and verifying Spark's
# classes. The first run of a build that succeeds lists the classes it loaded; the JDK then saves
# them into an archive (once per build, about half a minute, after the run's own work and without
# changing its exit status); later runs map that archive instead. One archive per classpath (its
# jars' sizes and times) and JDK, in SOFTMAX_CLASS_ARCHIVE_DIR (default: the build folder, which
# mvn clean empties); a run that fails or is interrupted leaves none, and the JDK ignores an archive
# that does not match. SOFTMAX_CLASS_ARCHIVE=off turns it off.
#   archived_java NAME CLASSPATH ARGS...   spark_java -cp CLASSPATH ARGS... with NAME's archive
archived_java() {
  local name=$1 cp=$2
  shift 2
  if [[ ${SOFTMAX_CLASS_ARCHIVE:-on} == off ]]; then
    spark_java -cp "$cp" "$@"
    return
  fi
  local dir="${SOFTMAX_CLASS_ARCHIVE_DIR:-$JOB_BUILD/class-archives}" key archive status=0 f
  mkdir -p "$dir"
  # a rebuilt jar, another JDK or another version of this script makes another key; ls shows times
  # to the minute, so the jars outside the local Maven repository (the project's own, rebuilt at the
  # same size within a minute) count by their contents too
  key=$( { readlink -f "$(command -v java)"; IFS=: read -ra entries <<< "$cp"; ls -lL "${entries[@]}";
    for f in "${entries[@]}"; do [[ -f $f && $f != "$HOME/.m2/repository/"* ]] && cksum < "$f"; done;
    cat "${BASH_SOURCE[0]}"; } 2>&1 | cksum | cut -d' ' -f1)
  archive="$dir/$name-$key.jsa"
  if [[ -f $archive ]]; then
    spark_java -XX:SharedArchiveFile="$archive" -Xlog:cds=off -cp "$cp" "$@" || status=$?
    return $status
  fi
  for f in "$dir/$name"-*; do
    # archives of older builds, and the unfinished files (NAME-KEY.jsa.PID...) of runs that are gone
    [[ -e $f ]] || continue
    [[ $f =~ \.jsa\.([0-9]+) ]] && kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    rm -f "$f"
  done
  local list="$archive.$$.classes" tmp="$archive.$$"
  spark_java -XX:DumpLoadedClassList="$list" -cp "$cp" "$@" || status=$?
  if [[ $status -eq 0 && -s $list ]]; then
    echo "saving the classes this run loaded, for faster starts (once per build, about half a minute;" \
      "SOFTMAX_CLASS_ARCHIVE=off: never)" >&2
    # without the method-handle classes the JDK would regenerate into the archive (@lambda-form-invoker):
    # JDK 17 crashes loading those from an archive when an agent watches class loading (JFR, -javaagent)
    grep -v '^@lambda-form-invoker' "$list" > "$list.kept" || true
    if java @"$ROOT/conf/jvm.options" -Xshare:dump -XX:SharedClassListFile="$list.kept" -XX:SharedArchiveFile="$tmp" \
        -cp "$cp" > /dev/null 2>&1; then
      mv -f "$tmp" "$archive" 2> /dev/null || true
    fi
  fi
  rm -f "$list" "$list.kept" "$tmp"
  return $status
}
