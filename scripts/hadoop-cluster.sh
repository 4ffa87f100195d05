#!/usr/bin/env bash
# HDFS and YARN on this machine, from hadoop-client-minicluster at the Spark line's Hadoop version (no
# Hadoop or Spark installation): a NameNode, a DataNode, a ResourceManager and a NodeManager on
# 127.0.0.1, in one JVM of their own (dev.softmax.job.hadoop.MiniHadoopCluster, from the job's test
# classpath); the NodeManager runs each YARN container (a Spark driver or executor) as a process.
#   scripts/hadoop-cluster.sh start [--memory MB]   the containers' memory in all (default 6144); prints
#                                 the HDFS URL (hdfs://127.0.0.1:PORT) and HADOOP_CONF_DIR=PATH, a folder
#                                 with core-site.xml, hdfs-site.xml and yarn-site.xml for this cluster
#   scripts/hadoop-cluster.sh status   the URL, the conf folder, the processes
#   scripts/hadoop-cluster.sh stop     ends the cluster's JVM and every container it started
# Everything (HDFS's blocks, the containers' folders and logs, the pid, conf/) lives in one run folder:
# $SOFTMAX_HADOOP_DIR, default run/hadoop in the repository. SPARK_PROFILE chooses the line (common.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUN="${SOFTMAX_HADOOP_DIR:-$ROOT/run/hadoop}"
RUN="$(mkdir -p "$(dirname "$RUN")" && cd "$(dirname "$RUN")" && pwd)/$(basename "$RUN")"
PID_FILE="$RUN/cluster.pid"

die() { echo "hadoop-cluster: $*" >&2; exit 1; }

alive() { [[ -f $PID_FILE ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

# The containers of this run: the NodeManager starts each in a session of its own, from a folder
# under the run folder, which every one of their command lines names.
containers() {
  pgrep -f -- "$RUN/target/" || true
}

start() {
  local memory=6144
  while [[ $# -gt 0 ]]; do
    case $1 in
      --memory) memory=$2; shift 2 ;;
      *) die "unknown option $1 (start takes --memory MB)" ;;
    esac
  done
  alive && die "a cluster is already running from $RUN ($(cat "$RUN/hdfs.url")); stop it first"
  build_if_needed >&2
  [[ -f $JOB_BUILD/test-classpath.txt && -d $JOB_BUILD/test-classes ]] \
    || die "no test classpath in $JOB_BUILD; run mvn -P$SPARK_PROFILE -DskipTests package"
  rm -rf "$RUN" && mkdir -p "$RUN"
  # MiniYARNCluster keeps its folders under ./target: the working directory is the run folder.
  # SPARK_LOCAL_IP reaches every container (MiniHadoopCluster): Spark there binds to 127.0.0.1 too.
  (cd "$RUN" && unset HADOOP_CONF_DIR YARN_CONF_DIR && export SPARK_LOCAL_IP=127.0.0.1 && exec nohup java @"$ROOT/conf/jvm.options" -Xmx1g \
    -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -Dsoftmax.log.file="$RUN/cluster.log" \
    -cp "$JOB_BUILD/test-classes:$(cat "$JOB_BUILD/test-classpath.txt")" \
    dev.softmax.job.hadoop.MiniHadoopCluster "$RUN" "$memory" > "$RUN/cluster.out" 2>&1) &
  echo $! > "$PID_FILE"
  for ((i = 0; i < 900; i++)); do
    [[ -f $RUN/hdfs.url ]] && break
    alive || { cat "$RUN/cluster.out" >&2; die "the cluster did not start; see $RUN/cluster.out and $RUN/cluster.log"; }
    sleep 0.2
  done
  [[ -f $RUN/hdfs.url ]] || { stop > /dev/null; die "the cluster did not start in 3 minutes; see $RUN/cluster.log"; }
  cat "$RUN/hdfs.url"
  echo "HADOOP_CONF_DIR=$RUN/conf"
}

status() {
  alive || { echo "no cluster running from $RUN"; return 1; }
  echo "hdfs     $(cat "$RUN/hdfs.url")"
  echo "conf     HADOOP_CONF_DIR=$RUN/conf"
  echo "cluster  pid $(cat "$PID_FILE") (NameNode, DataNode, ResourceManager, NodeManager)"
  echo "container processes: $(containers | wc -l)"
}

stop() {
  [[ -d $RUN ]] || { echo "no cluster in $RUN"; return 0; }
  if alive; then
    # on SIGTERM the JVM stops YARN (its NodeManager kills the containers), then HDFS, then exits
    local jvm; jvm=$(cat "$PID_FILE")
    kill -TERM "$jvm" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
      kill -0 "$jvm" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$jvm" 2>/dev/null || true
  fi
  # what the NodeManager did not end (a container it had lost, or all of them if the JVM was killed)
  local pid
  for pid in $(containers); do kill -KILL "$pid" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do [[ -z $(containers) ]] && break; sleep 0.2; done
  rm -f "$PID_FILE" "$RUN/hdfs.url"
  echo "stopped the cluster in $RUN"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  status) status ;;
  stop) stop ;;
  *) die "usage: hadoop-cluster.sh start [--memory MB] | status | stop" ;;
esac
