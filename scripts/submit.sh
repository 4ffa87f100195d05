#!/usr/bin/env bash
# Submits the softmax job's application jar to a Spark cluster (client deploy mode by default).
#   scripts/submit.sh [SPARK-SUBMIT OPTIONS] SUBCOMMAND ARGS...
#   scripts/submit.sh --master spark://127.0.0.1:7077 forward --input IN --output OUT
#   HADOOP_CONF_DIR=... scripts/submit.sh --master yarn [--deploy-mode cluster] forward --input IN --output OUT
# With SPARK_HOME set, $SPARK_HOME/bin/spark-submit does the work (standalone, YARN, Kubernetes);
# otherwise SparkSubmit runs from the Maven-resolved Spark jars. Without --master: $SPARK_MASTER,
# else the local cluster of scripts/local-cluster.sh. conf/log4j2.properties (console: the job's
# lines; everything else: the run's log file) and conf/job.properties go to the driver;
# conf/log4j2-executor.properties goes to the executors with --files.
# YARN (HADOOP_CONF_DIR or YARN_CONF_DIR names the cluster's configuration): in cluster deploy mode
# the driver runs in a YARN container, and conf/log4j2.properties and conf/job.properties travel with
# it (--files); its console lines and log file are among the application's container logs. Without
# SPARK_HOME the containers take Spark from the same Maven jars (spark.yarn.jars=local:...), so
# that is for a cluster on this machine (scripts/hadoop-cluster.sh), on a line whose build has
# spark-yarn (spark-3.5, spark-4.2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

options=()
while [[ $# -gt 0 ]]; do
  case $1 in
    forward|backward|loss|generate) break ;;
    *) options+=("$1"); shift ;;
  esac
done
[[ $# -gt 0 ]] || { echo "submit: no subcommand (forward, backward, loss or generate) after the spark-submit options" >&2; exit 2; }

# the master and deploy mode asked for (the last one given wins, as with spark-submit)
master="" deploy_mode=client
for ((i = 0; i < ${#options[@]}; i++)); do
  case ${options[i]} in
    --master) master=${options[i + 1]:-} ;;
    --master=*) master=${options[i]#--master=} ;;
    --deploy-mode) deploy_mode=${options[i + 1]:-} ;;
    --deploy-mode=*) deploy_mode=${options[i]#--deploy-mode=} ;;
    --conf) [[ ${options[i + 1]:-} == spark.submit.deployMode=* ]] && deploy_mode=${options[i + 1]#*=} ;;
  esac
done
if [[ -z $master ]]; then
  master="${SPARK_MASTER:-$("$ROOT/scripts/local-cluster.sh" url 2>/dev/null || true)}"
  [[ -n $master ]] || { echo "submit: give --master, set SPARK_MASTER, or start scripts/local-cluster.sh" >&2; exit 2; }
  options=(--master "$master" "${options[@]+"${options[@]}"}")
fi
with_spark_home=false
[[ -n ${SPARK_HOME:-} && -x ${SPARK_HOME}/bin/spark-submit ]] && with_spark_home=true
yarn=false yarn_cluster=false
if [[ $master == yarn ]]; then
  yarn=true
  [[ $deploy_mode == cluster ]] && yarn_cluster=true
  HADOOP_CONF_DIR="${HADOOP_CONF_DIR:-${YARN_CONF_DIR:-}}"
  [[ -n $HADOOP_CONF_DIR && -d $HADOOP_CONF_DIR ]] || { echo "submit: --master yarn needs HADOOP_CONF_DIR (or" \
    "YARN_CONF_DIR): the folder with the cluster's core-site.xml and yarn-site.xml (scripts/hadoop-cluster.sh start prints one)" >&2; exit 2; }
  export HADOOP_CONF_DIR
fi

build_if_needed
# executors find the shipped files in their working directory
common=(--files "$ROOT/conf/log4j2-executor.properties"
  --conf "spark.executor.extraJavaOptions=$(tr '\n' ' ' < "$ROOT/conf/jvm.options") -Dlog4j2.configurationFile=log4j2-executor.properties"
  --class dev.softmax.job.SoftmaxJob)
driver_props="${DRIVER_LOG_PROPS[*]} -Dsoftmax.job.defaults=$ROOT/conf/job.properties"
if $yarn_cluster; then
  # the driver runs in a container: its conf files go with it and are named as they arrive in its
  # working directory; YARN puts <LOG_DIR> for the container's log folder
  common[1]+=",$ROOT/conf/log4j2.properties,$ROOT/conf/job.properties"
  remote_driver_props="$(tr '\n' ' ' < "$ROOT/conf/jvm.options") -Dlog4j2.configurationFile=log4j2.properties"
  remote_driver_props+=" -Dsoftmax.log.file=<LOG_DIR>/softmax-driver.log -Dsoftmax.job.defaults=job.properties"
fi

if $with_spark_home; then
  if $yarn_cluster; then
    exec "$SPARK_HOME/bin/spark-submit" "${options[@]}" "${common[@]}" \
      --driver-java-options "$remote_driver_props" "$APP_JAR" "$@"
  fi
  exec "$SPARK_HOME/bin/spark-submit" "${options[@]}" "${common[@]}" \
    --driver-java-options "$driver_props" "$APP_JAR" "$@"
fi
classpath="$APP_JAR:$(cat "$SPARK_CLASSPATH_FILE")"
if $yarn; then
  grep -q '/spark-yarn_' "$SPARK_CLASSPATH_FILE" || { echo "submit: the $BUILD_ID build has no spark-yarn (Maven" \
    "Central here serves it for spark-3.5 and spark-4.2): set SPARK_PROFILE to one of those, or SPARK_HOME to a Spark installation" >&2; exit 2; }
  # the containers take Spark from the same jars, which are on this machine: nothing is uploaded but the
  # application jar and the shipped files. The client finds the cluster on its classpath, as spark-submit's does.
  common+=(--conf "spark.yarn.jars=$(tr ':' '\n' < "$SPARK_CLASSPATH_FILE" | sed 's|^|local:|' | paste -sd, -)")
  classpath="$HADOOP_CONF_DIR:$classpath"
  if $yarn_cluster; then
    common+=(--driver-java-options "$remote_driver_props")
  fi
fi
if $yarn_cluster; then
  # this JVM only submits and waits: its log file gets the YARN client's lines too (the application's
  # id and reports), and its console one line that says where the driver's output is
  client_log_conf="$LOG_DIR/log4j2-yarn-client.properties"
  printf '%s\n' "logger.yarnclient.name = org.apache.spark.deploy.yarn.Client" \
    "logger.yarnclient.level = info" > "$client_log_conf"
  status=0
  # shellcheck disable=SC2086
  java @"$ROOT/conf/jvm.options" -Xmx"${DRIVER_MEMORY:-2g}" $driver_props \
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties,$client_log_conf" \
    -cp "$classpath" org.apache.spark.deploy.SparkSubmit \
    "${options[@]}" "${common[@]}" "$APP_JAR" "$@" >> "$LOG_FILE" 2>&1 || status=$?
  app=$( (grep -o -m 1 'Submitting application application_[0-9_]*' "$LOG_FILE" || true) | cut -d' ' -f3)
  outcome="finished"
  [[ $status -eq 0 ]] || outcome="failed (exit status $status; see $LOG_FILE)"
  echo "softmax: YARN application ${app:-?} $outcome; its driver's output: yarn logs -applicationId ${app:-ID}" >&2
  exit "$status"
fi
# shellcheck disable=SC2086
exec java @"$ROOT/conf/jvm.options" -Xmx"${DRIVER_MEMORY:-2g}" $driver_props \
  -cp "$classpath" org.apache.spark.deploy.SparkSubmit \
  "${options[@]}" "${common[@]}" "$APP_JAR" "$@"
