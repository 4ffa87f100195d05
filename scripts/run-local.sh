#!/usr/bin/env bash
# Runs the softmax job in Spark local mode, no Spark installation needed.
#   scripts/run-local.sh                       the demo: forward then backward on data/sample into out/
#   scripts/run-local.sh SUBCOMMAND ARGS...    any subcommand (forward, backward, loss, generate; --help)
#   scripts/run-local.sh [SPARK-SUBMIT OPTIONS] SUBCOMMAND ARGS...
#                                              spark-submit's options first, e.g. --conf spark.hadoop.fs.s3a.endpoint=URL
#                                              or --properties-file F (docs/object-stores.md)
# Environment: DRIVER_MEMORY (default 4g), SPARK_MASTER (default local[*]), SPARK_PROFILE (the Spark line,
# default spark-4.1; see scripts/common.sh), SOFTMAX_CLASS_ARCHIVE=off (no class archive; see common.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
build_if_needed

submit() {
  # spark-submit's own options come before the subcommand; a --properties-file of the user's replaces
  # conf/spark-defaults.conf, as with spark-submit
  local options=() defaults=(--properties-file "$ROOT/conf/spark-defaults.conf")
  while [[ $# -gt 0 && $1 == -* && $1 != -h && $1 != --help && $1 != -V && $1 != --version ]]; do
    [[ $1 == --properties-file || $1 == --properties-file=* ]] && defaults=()
    if [[ $1 == *=* || $# -lt 2 ]]; then
      options+=("$1")
      shift
    else
      options+=("$1" "$2")
      shift 2
    fi
  done
  [[ $# -gt 0 ]] || { echo "run-local: no subcommand (forward, backward, loss or generate) after the spark-submit options" >&2; exit 2; }
  # forward, backward and loss runs share a class archive (common.sh); generate and --help need no speed
  local launch=(spark_java -cp)
  [[ $1 == forward || $1 == backward || $1 == loss ]] && launch=(archived_java job)
  "${launch[@]}" "$APP_JAR:$(cat "$SPARK_CLASSPATH_FILE")" -Xmx"${DRIVER_MEMORY:-4g}" \
    org.apache.spark.deploy.SparkSubmit \
    "${defaults[@]+"${defaults[@]}"}" \
    --master "${SPARK_MASTER:-local[*]}" \
    "${options[@]+"${options[@]}"}" \
    --class dev.softmax.job.SoftmaxJob "$APP_JAR" "$@"
}

if [[ $# -gt 0 ]]; then
  submit "$@"
  exit
fi

cd "$ROOT"
echo "== forward: data/sample -> out/probs"
submit forward --input data/sample --output out/probs --mode overwrite
echo "== backward: out/probs -> out/grad_logits"
submit backward --input out/probs --output out/grad_logits --mode overwrite
echo "== summaries"
cat out/probs/_summary.json out/grad_logits/_summary.json
