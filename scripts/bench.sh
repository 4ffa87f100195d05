#!/usr/bin/env bash
# Benchmarks anyone can rerun (not part of the test run):
#   scripts/bench.sh --quick    about 5 minutes: 100k x 256 rows, 3 runs each, short JMH
#   scripts/bench.sh [--full]   longer: 400k x 256 rows, 5 runs each, scaling series, longer JMH
#   scripts/bench.sh --scale    about 30 minutes and 14 GB of disk: wide rows and 10^9 elements, each
#                               command a process of its own (DRIVER_MEMORY=2g, local[*]) timed with
#                               its peak RSS; writes out/bench/scale.md
# Prints Markdown tables and writes them to out/bench/job.md and out/bench/kernels.md.
# Environment: DRIVER_MEMORY (default 8g; 2g for --scale), BENCH_DIR (default out/bench).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mode=full
case "${1:-}" in
  --quick) mode=quick ;;
  --full|"") mode=full ;;
  --scale) mode=scale ;;
  *) echo "usage: scripts/bench.sh [--quick|--full|--scale]" >&2; exit 2 ;;
esac
if [[ -n "$(find "$ROOT/pom.xml" "$ROOT/udf" "$ROOT/job" \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' \
      -newer "$JOB_BUILD/test-classpath.txt" -print -quit 2>/dev/null)" || ! -f "$JOB_BUILD/test-classpath.txt" ]]; then
  echo "building (mvn -P$SPARK_PROFILE package -DskipTests)..." >&2
  (cd "$ROOT" && mvn -B -q -P"$SPARK_PROFILE" -DskipTests package)
fi
BENCH_DIR="${BENCH_DIR:-$ROOT/out/bench}"
mkdir -p "$BENCH_DIR"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB" | tee "$BENCH_DIR/machine.txt"

# One command of the job in a process of its own: "seconds peak-RSS-MiB".
timed_job() {
  /usr/bin/time -f "%e %M" -o "$BENCH_DIR/scale/time.txt" "$ROOT/scripts/run-local.sh" "$@" \
    >> "$BENCH_DIR/scale/runs.log" 2>&1 || { tail -5 "$BENCH_DIR/scale/runs.log"; exit 1; }
  awk '{printf "%s %d", $1, $2 / 1024}' "$BENCH_DIR/scale/time.txt"
}

# Wide rows and 10^9 elements with a 2g driver: generate (logits and grad), forward, backward from
# logits. MB/s counts the float32 arrays a command reads (forward: logits; backward: logits and grad).
scale_series() {
  export DRIVER_MEMORY="${DRIVER_MEMORY:-2g}"
  mkdir -p "$BENCH_DIR/scale"
  : > "$BENCH_DIR/scale/runs.log"
  local out="$BENCH_DIR/scale.md"
  {
    echo "Scale series, driver memory $DRIVER_MEMORY, local[*] ($(nproc) tasks at once); $(cat "$BENCH_DIR/machine.txt")"
    echo
    echo "| width | rows | rows per file | forward s | forward MB/s | forward peak RSS MiB | backward s | backward MB/s | backward peak RSS MiB |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  } > "$out"
  for config in "256 4000000 4" "32768 4000 4" "262144 2000 2"; do
    read -r width rows files <<< "$config"
    local data="$BENCH_DIR/scale/w$width"
    echo "== scale: $rows x $width in $files files" >&2
    timed_job generate --output "$data" --rows "$rows" --width "$width" --partitions "$files" --grad --mode overwrite > /dev/null
    read -r fs frss <<< "$(timed_job forward --input "$data" --output "$data.probs" --mode overwrite)"
    read -r bs brss <<< "$(timed_job backward --input "$data" --logits-col logits --output "$data.grads" --mode overwrite)"
    local mb
    mb=$(awk -v r="$rows" -v w="$width" 'BEGIN {print r * w * 4 / 1e6}')
    awk -v w="$width" -v r="$rows" -v f="$files" -v mb="$mb" -v fs="$fs" -v frss="$frss" -v bs="$bs" -v brss="$brss" \
      'BEGIN {printf "| %d | %d | %d | %.1f | %.0f | %d | %.1f | %.0f | %d |\n", w, r, r / f, fs, mb / fs, frss, bs, 2 * mb / bs, brss}' >> "$out"
    rm -rf "$data" "$data.probs" "$data.grads"
  done
  cat "$out"
}

if [[ $mode == scale ]]; then
  scale_series
  exit
fi

echo "== kernels (JMH)"
spark_java -cp "$UDF_BUILD/test-classes:$UDF_BUILD/classes:$(cat "$UDF_BUILD/test-classpath.txt")" \
  dev.softmax.udf.bench.KernelBench "$mode" | tee "$BENCH_DIR/kernels.log" | sed -n '/^Kernel ns per element/,$p' > "$BENCH_DIR/kernels.md"
cat "$BENCH_DIR/kernels.md"

echo "== job"
spark_java -Xmx"${DRIVER_MEMORY:-8g}" \
  -cp "$JOB_BUILD/test-classes:$JOB_BUILD/classes:$(cat "$JOB_BUILD/test-classpath.txt")" \
  dev.softmax.job.bench.JobBench "$mode" "$BENCH_DIR/data" "$BENCH_DIR/job.md" > "$BENCH_DIR/job.log" 2>&1 \
  || { tail -30 "$BENCH_DIR/job.log"; exit 1; }
cat "$BENCH_DIR/job.md"
