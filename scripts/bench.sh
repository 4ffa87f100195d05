#!/usr/bin/env bash
# Benchmarks anyone can rerun (not part of the test run):
#   scripts/bench.sh --quick    about 5 minutes: 100k x 256 rows, 3 runs each, short JMH
#   scripts/bench.sh [--full]   longer: 400k x 256 rows, 5 runs each, scaling series, longer JMH
#   scripts/bench.sh --processes  about 15 minutes: 400k x 256 rows (BENCH_ROWS); the identity copy and
#                               the four jobs (forward, forward --log, backward from probs, from logits),
#                               each a process of its own launched as run-local.sh launches the job
#                               (each with its class archive: scripts/common.sh),
#                               3 interleaved rounds (BENCH_ROUNDS) after a warm-up round, wall and CPU
#                               seconds, each ratio the median of the rounds' own ratios; writes
#                               out/bench/processes.md
#   scripts/bench.sh --threads  about 8 minutes: where a process's CPU goes, by thread (JFR's
#                               jdk.ThreadCPULoad): the copy, forward and forward --log as in
#                               --processes, 3 rounds (BENCH_ROUNDS) after a warm-up round, median
#                               CPU seconds per thread group; writes out/bench/threads.md
#   scripts/bench.sh --throughput  about 15 minutes: the job side by side with a pyarrow + numpy script
#                               (scripts/numpy_peer.py, run by BENCH_PYTHON, default python3, only
#                               where it imports pyarrow and numpy; the run says so otherwise) and
#                               Spark's identity copy: 800,000 rows x 256 float32 + grad in 16 files
#                               (BENCH_ROWS), forward and backward from logits, each a process of its
#                               own, 3 interleaved rounds (BENCH_ROUNDS) after a warm-up round, each
#                               ratio the median of the rounds' own ratios; writes out/bench/throughput.md
#   scripts/bench.sh --scale    about 30 minutes and 14 GB of disk: wide rows and 10^9 elements, each
#                               command a process of its own (DRIVER_MEMORY=2g, local[*]) timed with
#                               its peak RSS; writes out/bench/scale.md
# Each mode but --quick writes its results file beside its benchmark, headed by the machine, JDK,
# date, command and commit (git history is the record of earlier runs):
#   --full       udf/benchmarks/KernelBench-results.md, job/benchmarks/JobBench-results.md
#   --processes  job/benchmarks/processes-results.md
#   --throughput job/benchmarks/throughput-results.md
#   --threads    job/benchmarks/threads-results.md
#   --scale      job/benchmarks/scale-results.md
#   --losses     udf/benchmarks/losses-results.md: the loss kernels at L = 256, 4,096 and 262,144
#                against the forward and the backward from logits (about 10 minutes)
# --quick is a smoke run: its tables go to out/bench only. Every mode also prints its tables.
# Environment: DRIVER_MEMORY (default 8g; 2g for --scale), BENCH_DIR (default out/bench).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mode=full
case "${1:-}" in
  --quick) mode=quick ;;
  --full|"") mode=full ;;
  --scale) mode=scale ;;
  --processes) mode=processes ;;
  --throughput) mode=throughput ;;
  --threads) mode=threads ;;
  --losses) mode=losses ;;
  *) echo "usage: scripts/bench.sh [--quick|--full|--processes|--throughput|--threads|--scale|--losses]" >&2; exit 2 ;;
esac
if [[ -n "$(find "$ROOT/pom.xml" "$ROOT/udf" "$ROOT/job" \( -name '*.java' -o -name 'pom.xml' \) -not -path '*/target/*' \
      -newer "$JOB_BUILD/test-classpath.txt" -print -quit 2>/dev/null)" || ! -f "$JOB_BUILD/test-classpath.txt" ]]; then
  echo "building (mvn -P$SPARK_PROFILE package -DskipTests)..." >&2
  (cd "$ROOT" && mvn -B -q -P"$SPARK_PROFILE" -DskipTests package)
fi
BENCH_DIR="${BENCH_DIR:-$ROOT/out/bench}"
mkdir -p "$BENCH_DIR"
# the commit the run measures, taken before it writes its results file (which would count as a change)
build="$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "machine: $machine" | tee "$BENCH_DIR/machine.txt"

# Writes the results file $2 of benchmark $1 from the tables in $3 (not for --quick).
results_file() {
  [[ $mode == quick ]] && return
  local name=$1 file=$2 tables=$3 flag=--$mode
  mkdir -p "$(dirname "$file")"
  {
    echo "# $name results"
    echo
    echo "- machine: $machine"
    echo "- JDK: $(java -version 2>&1 | head -1)"
    echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- command: \`scripts/bench.sh $flag\`"
    echo "- build: $build (Spark profile $SPARK_PROFILE)"
    echo
    echo "Written by the command above; rerunning it rewrites this file."
    echo
    cat "$tables"
  } > "$file"
  echo "wrote $file" >&2
}

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
  results_file "Scale series" "$ROOT/job/benchmarks/scale-results.md" "$out"
}

# The identity copy (dev.softmax.job.bench.ParquetCopy) launched as run-local.sh launches the job,
# with a class archive of its own (the JDK archives classes from jars only, so the copy's in one).
copy_process() {
  local jar="$BENCH_DIR/parquet-copy.jar"
  [[ $jar -nt "$JOB_BUILD/test-classes/dev/softmax/job/bench/ParquetCopy.class" ]] \
    || jar cf "$jar" -C "$JOB_BUILD/test-classes" dev/softmax/job/bench
  archived_java copy "$jar:$APP_JAR:$(cat "$SPARK_CLASSPATH_FILE")" -Xmx"${DRIVER_MEMORY:-4g}" \
    org.apache.spark.deploy.SparkSubmit --properties-file "$ROOT/conf/spark-defaults.conf" \
    --master "${SPARK_MASTER:-local[*]}" --class dev.softmax.job.bench.ParquetCopy "$APP_JAR" "$@"
}

# The input of the whole-process benchmarks: DIR/logits, ROWS x 256 float32 with a grad column.
bench_input() {
  echo "== ${1##*/}: generating $2 x 256 (logits and grad)" >&2
  "$ROOT/scripts/run-local.sh" generate --output "$1/logits" --rows "$2" --width 256 --partitions 8 --grad \
    --mode overwrite >> "$1/runs.log" 2>&1
}

# One command of the whole-process benchmarks, by its name in their tables, on DIR/logits (and
# DIR/probs, the forward's output, for the backward from probabilities and its copy).
bench_command() {
  local dir=$2 in="$2/logits" probs="$2/probs"
  case "$1" in
    "copy (logits, grad)") copy_process "$in" "$dir/copy" ;;
    "copy (probs, grad)") copy_process "$probs" "$dir/copy_probs" ;;
    forward) "$ROOT/scripts/run-local.sh" forward --input "$in" --output "$dir/forward" --mode overwrite ;;
    "forward --log") "$ROOT/scripts/run-local.sh" forward --log --input "$in" --output "$dir/forward_log" --mode overwrite ;;
    "backward from probs") "$ROOT/scripts/run-local.sh" backward --input "$probs" --output "$dir/backward" --mode overwrite ;;
    "backward from logits") "$ROOT/scripts/run-local.sh" backward --input "$in" --logits-col logits \
      --output "$dir/backward_logits" --mode overwrite ;;
    "numpy forward") rm -rf "$dir/numpy_forward"; "$BENCH_PYTHON" "$ROOT/scripts/numpy_peer.py" forward "$in" "$dir/numpy_forward" ;;
    "numpy backward") rm -rf "$dir/numpy_backward"; "$BENCH_PYTHON" "$ROOT/scripts/numpy_peer.py" backward "$in" "$dir/numpy_backward" ;;
    "pyarrow copy") rm -rf "$dir/pyarrow_copy"; "$BENCH_PYTHON" "$ROOT/scripts/numpy_peer.py" copy "$in" "$dir/pyarrow_copy" ;;
  esac
}

# The job side by side with its Python peer and Spark's identity copy (whole processes, interleaved).
throughput() {
  local dir="$BENCH_DIR/throughput" rows="${BENCH_ROWS:-800000}" out="$BENCH_DIR/throughput.md" python_note
  BENCH_PYTHON="${BENCH_PYTHON:-python3}"
  mkdir -p "$dir"
  : > "$dir/runs.log"
  : > "$dir/times.txt"
  export SOFTMAX_NO_BUILD=1
  echo "== throughput: generating $rows x 256 (logits and grad) in 16 files" >&2
  "$ROOT/scripts/run-local.sh" generate --output "$dir/logits" --rows "$rows" --width 256 --partitions 16 --grad \
    --mode overwrite >> "$dir/runs.log" 2>&1
  local variants=("copy (logits, grad)" forward "backward from logits")
  if "$BENCH_PYTHON" -c 'import pyarrow, numpy' 2> /dev/null; then
    variants+=("numpy forward" "numpy backward" "pyarrow copy")
    python_note="Python peer: $("$BENCH_PYTHON" -c 'import sys, pyarrow, numpy; print("Python %s, pyarrow %s, numpy %s" % (sys.version.split()[0], pyarrow.__version__, numpy.__version__))')"
  else
    python_note="Python peer not run: $BENCH_PYTHON cannot import pyarrow and numpy (set BENCH_PYTHON to a Python that can)"
    echo "$python_note" >&2
  fi
  local TIMEFORMAT='%R %U %S'
  for round in $(seq 0 "${BENCH_ROUNDS:-3}"); do
    for v in "${variants[@]}"; do
      sync
      { time bench_command "$v" "$dir" >> "$dir/runs.log" 2>&1 ; } 2> "$dir/time.txt" \
        || { tail -5 "$dir/runs.log"; exit 1; }
      [[ $round -eq 0 ]] || awk -v v="$v" -v r="$round" '{printf "%s|%s|%.2f|%.2f\n", r, v, $1, $2 + $3}' \
        "$dir/time.txt" >> "$dir/times.txt"
      echo "round $round: $v done" >&2
    done
  done
  grep -h '"notes"' -A3 "$dir/forward/_summary.json" "$dir/backward_logits/_summary.json" > "$dir/notes.txt" || true
  awk -F'|' -v rows="$rows" -v machine="$(cat "$BENCH_DIR/machine.txt")" -v py="$python_note" '
    {
      if (!($2 in seen)) { seen[$2] = 1; order[k++] = $2 }
      secs["wall", $1, $2] = $3; secs["cpu", $1, $2] = $4; rounds[$1] = 1
      t[$2] = t[$2] (t[$2] == "" ? "" : ", ") $3
    }
    function median(a, c,   i, j, x) {
      for (i = 1; i < c; i++) { x = a[i]; for (j = i - 1; j >= 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return c % 2 ? a[int(c / 2)] : (a[c / 2 - 1] + a[c / 2]) / 2
    }
    function med(what, name,   a, c, r) {
      c = 0; for (r in rounds) a[c++] = secs[what, r, name]
      return median(a, c)
    }
    function ratio(what, name, base,   a, c, r) {
      c = 0; for (r in rounds) a[c++] = secs[what, r, name] / secs[what, r, base]
      return median(a, c)
    }
    function line(label, name, base, target) {
      if (!(name in seen) || !(base in seen)) { printf "| %s | not run | not run | %s |\n", label, target; return }
      printf "| %s | %.2fx | %.2fx | %s |\n", label, ratio("wall", name, base), ratio("cpu", name, base), target
    }
    END {
      n = 0; for (r in rounds) n++
      printf "Side by side (scripts/bench.sh --throughput): %d rows x 256 float32 (+ grad) in 16 files, local[*], each command a process of its own (the job as run-local.sh launches it, times include JVM and Spark start); %d interleaved rounds after a warm-up round; %s. %s\n\n", rows, n, machine, py
      print "| command | median s | median CPU s (user + sys) | runs (s) |"
      print "| --- | ---: | ---: | --- |"
      for (i = 0; i < k; i++) printf "| %s | %.2f | %.2f | %s |\n", order[i], med("wall", order[i]), med("cpu", order[i]), t[order[i]]
      print ""
      print "| ratio (median over rounds of the ratio within a round) | wall | CPU | target (wall) |"
      print "| --- | ---: | ---: | --- |"
      line("forward / numpy forward", "forward", "numpy forward", "<= 1.5x")
      line("backward from logits / numpy backward", "backward from logits", "numpy backward", "<= 1.5x")
      line("forward / copy", "forward", "copy (logits, grad)", "<= 0.6x")
      line("backward from logits / copy", "backward from logits", "copy (logits, grad)", "<= 0.6x")
      line("pyarrow copy / copy", "pyarrow copy", "copy (logits, grad)", "")
    }' "$dir/times.txt" > "$out"
  { echo; echo "Notes of the last round's job runs (which path wrote the output):"; echo; echo '```'; cat "$dir/notes.txt"; echo '```'; } >> "$out"
  cat "$out"
  results_file "Side by side" "$ROOT/job/benchmarks/throughput-results.md" "$out"
  rm -rf "$dir/logits" "$dir"/copy* "$dir"/forward* "$dir"/backward* "$dir"/numpy_* "$dir/pyarrow_copy" "$dir/time.txt"
}

# Whole processes, interleaved: each job against the identity copy of its input, medians of 3 rounds.
processes() {
  local dir="$BENCH_DIR/processes" rows="${BENCH_ROWS:-400000}" out="$BENCH_DIR/processes.md"
  mkdir -p "$dir"
  : > "$dir/runs.log"
  : > "$dir/times.txt"
  export SOFTMAX_NO_BUILD=1
  bench_input "$dir" "$rows"
  "$ROOT/scripts/run-local.sh" forward --input "$dir/logits" --output "$dir/probs" --mode overwrite \
    >> "$dir/runs.log" 2>&1
  local variants=("copy (logits, grad)" "copy (probs, grad)" "forward" "forward --log" "backward from probs"
    "backward from logits")
  local TIMEFORMAT='%R %U %S'
  for round in $(seq 0 "${BENCH_ROUNDS:-3}"); do
    for v in "${variants[@]}"; do
      # untimed: the disk takes the previous command's output now, not while this one runs
      sync
      # bash's time: wall seconds and the CPU seconds (user, sys) of the process and its children
      { time bench_command "$v" "$dir" >> "$dir/runs.log" 2>&1 ; } 2> "$dir/time.txt" \
        || { tail -5 "$dir/runs.log"; exit 1; }
      # round 0 warms the page cache and the disk, and saves the class archives (common.sh)
      [[ $round -eq 0 ]] || awk -v v="$v" -v r="$round" '{printf "%s|%s|%.2f|%.2f\n", r, v, $1, $2 + $3}' \
        "$dir/time.txt" >> "$dir/times.txt"
      echo "round $round: $v done" >&2
    done
  done
  # Ratios are paired: each job against the copy of its input in the same round, then the median
  # over rounds, so that a slow stretch of a shared machine moves both sides of a ratio.
  awk -F'|' -v rows="$rows" -v machine="$(cat "$BENCH_DIR/machine.txt")" '
    {
      if (!($2 in seen)) { seen[$2] = 1; order[k++] = $2 }
      secs["wall", $1, $2] = $3; secs["cpu", $1, $2] = $4; rounds[$1] = 1
      t[$2] = t[$2] (t[$2] == "" ? "" : ", ") $3
    }
    function median(a, c,   i, j, x) {
      for (i = 1; i < c; i++) { x = a[i]; for (j = i - 1; j >= 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return c % 2 ? a[int(c / 2)] : (a[c / 2 - 1] + a[c / 2]) / 2
    }
    function med(what, name,   a, c, r) {
      c = 0; for (r in rounds) a[c++] = secs[what, r, name]
      return median(a, c)
    }
    function ratio(what, name, base,   a, c, r) {
      c = 0; for (r in rounds) a[c++] = secs[what, r, name] / secs[what, r, base]
      return median(a, c)
    }
    function line(label, name, base) {
      printf "| %s | %.2fx | %.2fx | <= 1.05x |\n", label, ratio("wall", name, base), ratio("cpu", name, base)
    }
    END {
      n = 0; for (r in rounds) n++
      printf "Whole processes (scripts/bench.sh --processes): %d rows x 256 float32 (+ grad), local[*], each command a process of its own launched as run-local.sh launches the job (times include JVM and Spark start); %d interleaved rounds after a warm-up round; %s\n\n", rows, n, machine
      print "| command | median s | median CPU s (user + sys) | runs (s) |"
      print "| --- | ---: | ---: | --- |"
      for (i = 0; i < k; i++) printf "| %s | %.2f | %.2f | %s |\n", order[i], med("wall", order[i]), med("cpu", order[i]), t[order[i]]
      print ""
      print "| ratio (median over rounds of the ratio within a round) | wall | CPU | target (wall) |"
      print "| --- | ---: | ---: | --- |"
      line("forward / copy", "forward", "copy (logits, grad)")
      line("forward --log / copy", "forward --log", "copy (logits, grad)")
      line("backward from probs / copy of its input", "backward from probs", "copy (probs, grad)")
      line("backward from logits / copy of its input", "backward from logits", "copy (logits, grad)")
    }' "$dir/times.txt" > "$out"
  cat "$out"
  results_file "Whole processes" "$ROOT/job/benchmarks/processes-results.md" "$out"
  rm -rf "$dir/logits" "$dir/probs" "$dir"/copy* "$dir"/forward* "$dir"/backward* "$dir/time.txt"
}

# Where each process's CPU goes: the copy and the forward jobs as in --processes, each under a
# flight recording of every thread's CPU load (jdk.ThreadCPULoad, each 500 ms: a share of all
# cores, so seconds = share x 0.5 x cores; GC threads are not Java threads and are not in it).
threads() {
  local dir="$BENCH_DIR/threads" rows="${BENCH_ROWS:-400000}" out="$BENCH_DIR/threads.md" cores
  cores=$(nproc)
  mkdir -p "$dir"
  : > "$dir/runs.log"
  : > "$dir/cpu.txt"
  export SOFTMAX_NO_BUILD=1
  cat > "$dir/threads.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0">
  <event name="jdk.ThreadCPULoad"><setting name="enabled">true</setting><setting name="period">500 ms</setting></event>
</configuration>
JFC
  bench_input "$dir" "$rows"
  local variants=("copy (logits, grad)" forward "forward --log") v jfr="$dir/run.jfr"
  for round in $(seq 0 "${BENCH_ROUNDS:-3}"); do
    for v in "${variants[@]}"; do
      sync
      SOFTMAX_JAVA_OPTS="-XX:StartFlightRecording=filename=$jfr,settings=$dir/threads.jfc" \
        bench_command "$v" "$dir" >> "$dir/runs.log" 2>&1 || { tail -5 "$dir/runs.log"; exit 1; }
      # round 0 warms the page cache and saves the class archives, as in --processes
      [[ $round -eq 0 ]] || jfr print --events jdk.ThreadCPULoad "$jfr" | awk -v r="$round" -v v="$v" -v cores="$cores" '
        /user = / { u = $3 + 0 } /system = / { s = $3 + 0 }
        /eventThread = / {
          t = $0; sub(/^[^"]*"/, "", t); sub(/".*/, "", t)
          sub(/ for task .*/, "", t); sub(/#?[-0-9]+$/, "", t); sub(/-$/, "", t)
          cpu[t] += (u + s) / 100 * 0.5 * cores
        }
        END { for (t in cpu) printf "%s|%s|%s|%.3f\n", r, v, t, cpu[t] }' >> "$dir/cpu.txt"
      rm -f "$jfr"
      echo "round $round: $v done" >&2
    done
  done
  awk -F'|' -v rows="$rows" -v machine="$(cat "$BENCH_DIR/machine.txt")" '
    {
      if (!($2 in seen)) { seen[$2] = 1; order[k++] = $2 }
      cpu[$1, $2, $3] += $4; total[$1, $2] += $4; groups[$3] = 1; rounds[$1] = 1
    }
    function median(a, c,   i, j, x) {
      for (i = 1; i < c; i++) { x = a[i]; for (j = i - 1; j >= 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
      return c % 2 ? a[int(c / 2)] : (a[c / 2 - 1] + a[c / 2]) / 2
    }
    function med(v, g,   a, c, r) {
      c = 0; for (r in rounds) a[c++] = (g == "" ? total[r, v] : cpu[r, v, g]) + 0
      return median(a, c)
    }
    END {
      n = 0; for (r in rounds) n++
      printf "CPU seconds by thread (scripts/bench.sh --threads): %d rows x 256 float32 (+ grad), local[*], each command a process of its own as in --processes, under a flight recording of jdk.ThreadCPULoad (GC threads not included); medians of %d rounds after a warm-up round; %s\n\n", rows, n, machine
      printf "| thread |"; for (i = 0; i < k; i++) printf " %s |", order[i]
      for (i = 1; i < k; i++) printf " %s - %s |", order[i], order[0]
      printf "\n| --- |"; for (i = 1; i < 2 * k; i++) printf " ---: |"; printf "\n"
      # the groups that take a tenth of a second or more in some command, largest first
      m = 0
      for (g in groups) { big = 0; for (i = 0; i < k; i++) if (med(order[i], g) >= 0.1) big = 1; if (big) list[m++] = g }
      for (i = 1; i < m; i++) { x = list[i]; for (j = i - 1; j >= 0 && med(order[0], list[j]) + med(order[1], list[j]) < med(order[0], x) + med(order[1], x); j--) list[j + 1] = list[j]; list[j + 1] = x }
      for (j = 0; j < m; j++) {
        printf "| %s |", list[j]; for (i = 0; i < k; i++) printf " %.2f |", med(order[i], list[j])
        for (i = 1; i < k; i++) printf " %+.2f |", med(order[i], list[j]) - med(order[0], list[j]); printf "\n"
      }
      printf "| all threads |"; for (i = 0; i < k; i++) printf " %.2f |", med(order[i], "")
      for (i = 1; i < k; i++) printf " %+.2f |", med(order[i], "") - med(order[0], ""); printf "\n"
    }' "$dir/cpu.txt" > "$out"
  cat "$out"
  results_file "CPU by thread" "$ROOT/job/benchmarks/threads-results.md" "$out"
  rm -rf "$dir/logits" "$dir"/copy "$dir"/forward*
}

if [[ $mode == threads ]]; then
  threads
  exit
fi
if [[ $mode == scale ]]; then
  scale_series
  exit
fi
if [[ $mode == losses ]]; then
  spark_java -cp "$UDF_BUILD/test-classes:$UDF_BUILD/classes:$(cat "$UDF_BUILD/test-classpath.txt")" \
    dev.softmax.udf.bench.KernelBench losses | tee "$BENCH_DIR/losses.log" | sed -n '/^Kernel ns per element/,$p' > "$BENCH_DIR/losses.md"
  cat "$BENCH_DIR/losses.md"
  results_file "Loss kernels" "$ROOT/udf/benchmarks/losses-results.md" "$BENCH_DIR/losses.md"
  exit
fi
if [[ $mode == processes ]]; then
  processes
  exit
fi
if [[ $mode == throughput ]]; then
  throughput
  exit
fi

echo "== kernels (JMH)"
spark_java -cp "$UDF_BUILD/test-classes:$UDF_BUILD/classes:$(cat "$UDF_BUILD/test-classpath.txt")" \
  dev.softmax.udf.bench.KernelBench "$mode" | tee "$BENCH_DIR/kernels.log" | sed -n '/^Kernel ns per element/,$p' > "$BENCH_DIR/kernels.md"
cat "$BENCH_DIR/kernels.md"
results_file KernelBench "$ROOT/udf/benchmarks/KernelBench-results.md" "$BENCH_DIR/kernels.md"

echo "== job"
spark_java -Xmx"${DRIVER_MEMORY:-8g}" \
  -cp "$JOB_BUILD/test-classes:$JOB_BUILD/classes:$(cat "$JOB_BUILD/test-classpath.txt")" \
  dev.softmax.job.bench.JobBench "$mode" "$BENCH_DIR/data" "$BENCH_DIR/job.md" > "$BENCH_DIR/job.log" 2>&1 \
  || { tail -30 "$BENCH_DIR/job.log"; exit 1; }
cat "$BENCH_DIR/job.md"
results_file JobBench "$ROOT/job/benchmarks/JobBench-results.md" "$BENCH_DIR/job.md"
