#!/usr/bin/env bash
# Benchmarks anyone can rerun (not part of the test run):
#   scripts/bench.sh --quick    about 5 minutes: 100k x 256 rows, 3 runs each, short JMH
#   scripts/bench.sh [--full]   longer: 400k x 256 rows, 5 runs each, scaling series, longer JMH
# Prints Markdown tables and writes them to out/bench/job.md and out/bench/kernels.md.
# Environment: DRIVER_MEMORY (default 8g), BENCH_DIR (default out/bench).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mode=full
case "${1:-}" in
  --quick) mode=quick ;;
  --full|"") mode=full ;;
  *) echo "usage: scripts/bench.sh [--quick|--full]" >&2; exit 2 ;;
esac
if [[ -n "$(find "$ROOT/pom.xml" "$ROOT/udf" "$ROOT/job" \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' \
      -newer "$ROOT/job/target/test-classpath.txt" -print -quit 2>/dev/null)" || ! -f "$ROOT/job/target/test-classpath.txt" ]]; then
  echo "building (mvn package -DskipTests)..." >&2
  (cd "$ROOT" && mvn -B -q -DskipTests package)
fi
BENCH_DIR="${BENCH_DIR:-$ROOT/out/bench}"
mkdir -p "$BENCH_DIR"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB" | tee "$BENCH_DIR/machine.txt"

echo "== kernels (JMH)"
spark_java -cp "$ROOT/udf/target/test-classes:$ROOT/udf/target/classes:$(cat "$ROOT/udf/target/test-classpath.txt")" \
  dev.softmax.udf.bench.KernelBench "$mode" | tee "$BENCH_DIR/kernels.log" | sed -n '/^Kernel ns per element/,$p' > "$BENCH_DIR/kernels.md"
cat "$BENCH_DIR/kernels.md"

echo "== job"
spark_java -Xmx"${DRIVER_MEMORY:-8g}" \
  -cp "$ROOT/job/target/test-classes:$ROOT/job/target/classes:$(cat "$ROOT/job/target/test-classpath.txt")" \
  dev.softmax.job.bench.JobBench "$mode" "$BENCH_DIR/data" "$BENCH_DIR/job.md" > "$BENCH_DIR/job.log" 2>&1 \
  || { tail -30 "$BENCH_DIR/job.log"; exit 1; }
cat "$BENCH_DIR/job.md"
