#!/usr/bin/env bash
# Submits the softmax job's application jar to a Spark cluster (client deploy mode by default).
#   scripts/submit.sh [SPARK-SUBMIT OPTIONS] SUBCOMMAND ARGS...
#   scripts/submit.sh --master spark://127.0.0.1:7077 forward --input IN --output OUT
# With SPARK_HOME set, $SPARK_HOME/bin/spark-submit does the work (standalone, YARN, Kubernetes);
# otherwise SparkSubmit runs from the Maven-resolved Spark jars. Without --master: $SPARK_MASTER,
# else the local cluster of scripts/local-cluster.sh. conf/log4j2.properties (console: the job's
# lines; everything else: the run's log file) and conf/job.properties go to the driver;
# conf/log4j2-executor.properties goes to the executors with --files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

options=()
while [[ $# -gt 0 ]]; do
  case $1 in
    forward|backward|generate) break ;;
    *) options+=("$1"); shift ;;
  esac
done
[[ $# -gt 0 ]] || { echo "submit: no subcommand (forward, backward or generate) after the spark-submit options" >&2; exit 2; }

has_master=false
for o in "${options[@]+"${options[@]}"}"; do [[ $o == --master || $o == --master=* ]] && has_master=true; done
if ! $has_master; then
  master="${SPARK_MASTER:-$("$ROOT/scripts/local-cluster.sh" url 2>/dev/null || true)}"
  [[ -n $master ]] || { echo "submit: give --master, set SPARK_MASTER, or start scripts/local-cluster.sh" >&2; exit 2; }
  options=(--master "$master" "${options[@]+"${options[@]}"}")
fi

build_if_needed
# executors find the shipped files in their working directory
common=(--files "$ROOT/conf/log4j2-executor.properties"
  --conf "spark.executor.extraJavaOptions=$(tr '\n' ' ' < "$ROOT/conf/jvm.options") -Dlog4j2.configurationFile=log4j2-executor.properties"
  --class dev.softmax.job.SoftmaxJob)
driver_props="${DRIVER_LOG_PROPS[*]} -Dsoftmax.job.defaults=$ROOT/conf/job.properties"

if [[ -n ${SPARK_HOME:-} && -x ${SPARK_HOME}/bin/spark-submit ]]; then
  exec "$SPARK_HOME/bin/spark-submit" "${options[@]}" "${common[@]}" \
    --driver-java-options "$driver_props" "$APP_JAR" "$@"
fi
# shellcheck disable=SC2086
exec java @"$ROOT/conf/jvm.options" -Xmx"${DRIVER_MEMORY:-2g}" $driver_props \
  -cp "$APP_JAR:$(cat "$SPARK_CLASSPATH_FILE")" org.apache.spark.deploy.SparkSubmit \
  "${options[@]}" "${common[@]}" "$APP_JAR" "$@"
