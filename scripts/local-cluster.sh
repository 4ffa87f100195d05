#!/usr/bin/env bash
# A Spark standalone cluster on this machine, from the Maven-resolved Spark jars (no Spark install).
#   scripts/local-cluster.sh start [--workers N] [--cores C] [--memory M] [--distinct-hosts]
#                                   (defaults 2, 1, 1g; --distinct-hosts: worker W and its executors on
#                                   127.0.0.W, so that Spark sees one host per worker, as speculation
#                                   needs: Linux answers on all of 127.0.0.0/8, macOS only on 127.0.0.1)
#   scripts/local-cluster.sh status     master URL, processes and registered workers
#   scripts/local-cluster.sh url        the master URL only (for --master)
#   scripts/local-cluster.sh stop       ends the processes this script started, executors included
# Everything (logs, pids, work dirs, a SPARK_HOME of links) lives in one run folder:
# $SOFTMAX_CLUSTER_DIR, default run/cluster in the repository. The daemons log at INFO (Spark defaults).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
RUN="${SOFTMAX_CLUSTER_DIR:-$ROOT/run/cluster}"

die() { echo "local-cluster: $*" >&2; exit 1; }

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Waits up to $3 seconds for the log $1 to contain $2.
wait_for_log() {
  local log=$1 text=$2 seconds=$3
  for ((i = 0; i < seconds * 5; i++)); do
    grep -q -- "$text" "$log" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local workers=2 cores=1 memory=1g distinct=0
  while [[ $# -gt 0 ]]; do
    case $1 in
      --workers) workers=$2; shift 2 ;;
      --cores) cores=$2; shift 2 ;;
      --memory) memory=$2; shift 2 ;;
      --distinct-hosts) distinct=1; shift ;;
      *) die "unknown option $1 (start takes --workers N --cores C --memory M --distinct-hosts)" ;;
    esac
  done
  alive "$RUN/master.pid" && die "a cluster is already running from $RUN ($(cat "$RUN/master.url")); stop it first"
  build_if_needed
  rm -rf "$RUN" && mkdir -p "$RUN/spark-home/jars"
  # the Worker needs SPARK_HOME/jars; links to the Maven jars make it the executors' classpath too
  tr ":" "\n" < "$SPARK_CLASSPATH_FILE" | while read -r jar || [[ -n $jar ]]; do ln -sf "$jar" "$RUN/spark-home/jars/"; done
  export SPARK_HOME="$RUN/spark-home" SPARK_SCALA_VERSION="$SCALA_BINARY_VERSION" SPARK_LOCAL_IP=127.0.0.1
  local port; port=$(free_port)
  local url="spark://127.0.0.1:$port"
  nohup java @"$ROOT/conf/jvm.options" -Xmx512m -cp "$SPARK_HOME/jars/*" \
    -Dspark.master.rest.enabled=false \
    org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0 \
    > "$RUN/master.log" 2>&1 &
  echo $! > "$RUN/master.pid"
  echo "$url" > "$RUN/master.url"
  wait_for_log "$RUN/master.log" "I have been elected leader" 60 || { stop; die "master did not start; see $RUN/master.log"; }
  for ((w = 1; w <= workers; w++)); do
    mkdir -p "$RUN/worker-$w"
    local host=127.0.0.1
    [[ $distinct == 1 ]] && host=127.0.0.$w
    # the worker's executors inherit its SPARK_LOCAL_IP and register under its host
    SPARK_LOCAL_IP=$host nohup java @"$ROOT/conf/jvm.options" -Xmx512m -cp "$SPARK_HOME/jars/*" \
      org.apache.spark.deploy.worker.Worker --host "$host" --cores "$cores" --memory "$memory" \
      --webui-port 0 --work-dir "$RUN/worker-$w" "$url" > "$RUN/worker-$w.log" 2>&1 &
    echo $! > "$RUN/worker-$w.pid"
  done
  for ((w = 1; w <= workers; w++)); do
    wait_for_log "$RUN/worker-$w.log" "Successfully registered with master" 60 \
      || { stop; die "worker $w did not register; see $RUN/worker-$w.log"; }
  done
  echo "$url"
}

status() {
  alive "$RUN/master.pid" || { echo "no cluster running from $RUN"; return 1; }
  echo "master  $(cat "$RUN/master.url")  pid $(cat "$RUN/master.pid")"
  for pid in "$RUN"/worker-*.pid; do
    local name; name=$(basename "$pid" .pid)
    if alive "$pid"; then echo "$name  pid $(cat "$pid")  running"; else echo "$name  stopped"; fi
  done
  echo "registered workers: $(grep -c "Registering worker" "$RUN/master.log" || true)"
}

stop() {
  [[ -d "$RUN" ]] || { echo "no cluster in $RUN"; return 0; }
  for pid in "$RUN"/worker-*.pid "$RUN/master.pid"; do
    [[ -f "$pid" ]] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  # executors are the workers' children; they and every process started from this run's
  # SPARK_HOME must be gone before stop returns
  for ((i = 0; i < 50; i++)); do
    pgrep -f -- "$RUN/spark-home" > /dev/null || break
    sleep 0.2
  done
  pkill -9 -f -- "$RUN/spark-home" 2>/dev/null || true
  rm -f "$RUN"/*.pid
  echo "stopped the cluster in $RUN"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  status) status ;;
  url) alive "$RUN/master.pid" && cat "$RUN/master.url" || die "no cluster running from $RUN" ;;
  stop) stop ;;
  *) die "usage: local-cluster.sh start [--workers N] [--cores C] [--memory M] [--distinct-hosts] | status | url | stop" ;;
esac
