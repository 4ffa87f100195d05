#!/usr/bin/env bash
# A Spark Connect server with the softmax functions, from the Maven jars (no Spark installation):
#   scripts/connect-server.sh start    starts it on 127.0.0.1 at a free port; the last line printed
#                                      is its address, sc://127.0.0.1:PORT
#   scripts/connect-server.sh status   the address, if it runs
#   scripts/connect-server.sh stop     stops every process start began
# The server runs Spark in local mode with the application jar on its classpath: the functions are
# there under their plain names and as nn.* (the nn catalog is set). It listens on 127.0.0.1 only,
# which is its protection: Spark Connect has no TLS of its own.
# Environment: SOFTMAX_CONNECT_DIR (default run/connect: pid, port, log), CONNECT_MEMORY (default 2g),
# SPARK_MASTER (default local[*]), SPARK_PROFILE (the Spark line: spark-4.1 or spark-4.2; see scripts/common.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
DIR="${SOFTMAX_CONNECT_DIR:-$ROOT/run/connect}"
PID_FILE="$DIR/server.pid"
PORT_FILE="$DIR/server.port"

running() {
  [[ -f $PID_FILE ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    listening "$port" || { echo "$port"; return; }
  done
  echo "connect-server: no free port found" >&2
  exit 1
}

case "${1:-}" in
  start)
    if running; then
      echo "sc://127.0.0.1:$(cat "$PORT_FILE")"
      exit 0
    fi
    build_if_needed
    grep -q "/spark-connect_" "$SPARK_CLASSPATH_FILE" \
      || { echo "connect-server: the $BUILD_ID build has no Spark Connect server (job/pom.xml, profile spark-connect)" >&2; exit 2; }
    mkdir -p "$DIR"
    port=$(free_port)
    # the server reads its settings from system properties, not from --conf arguments; exec, so
    # that the pid is the JVM's
    (exec java @"$ROOT/conf/jvm.options" "${DRIVER_LOG_PROPS[@]}" -Xmx"${CONNECT_MEMORY:-2g}" \
      -Dspark.master="${SPARK_MASTER:-local[*]}" \
      -Dspark.app.name=softmax-connect \
      -Dspark.ui.enabled=false \
      -Dspark.connect.grpc.binding.address=127.0.0.1 \
      -Dspark.connect.grpc.binding.port="$port" \
      -Dspark.sql.catalog.nn=dev.softmax.udf.SoftmaxCatalog \
      -cp "$APP_JAR:$(cat "$SPARK_CLASSPATH_FILE")" \
      org.apache.spark.sql.connect.service.SparkConnectServer > "$DIR/server.log" 2>&1) &
    echo $! > "$PID_FILE"
    echo "$port" > "$PORT_FILE"
    for _ in $(seq 1 600); do
      if listening "$port"; then
        echo "Spark Connect server (pid $(cat "$PID_FILE"), log $DIR/server.log, Spark log $LOG_FILE)"
        echo "sc://127.0.0.1:$port"
        exit 0
      fi
      running || { echo "connect-server: the server stopped; see $DIR/server.log and $LOG_FILE" >&2; exit 1; }
      sleep 0.2
    done
    echo "connect-server: not listening on 127.0.0.1:$port after 2 minutes; see $DIR/server.log" >&2
    "$0" stop >&2
    exit 1
    ;;
  status)
    if running; then echo "sc://127.0.0.1:$(cat "$PORT_FILE")"; else echo "not running"; exit 1; fi
    ;;
  stop)
    if running; then
      pid=$(cat "$PID_FILE")
      kill "$pid"
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$PID_FILE" "$PORT_FILE"
    ;;
  *)
    echo "usage: scripts/connect-server.sh start|status|stop" >&2
    exit 2
    ;;
esac
