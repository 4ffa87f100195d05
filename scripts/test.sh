#!/usr/bin/env bash
# The test command (README.md; .ci/run runs it): every Spark line of pom.xml, one after the other.
#   1. the default line, Spark 4.1: mvn verify, so every unit test (the crash and race tests on HDFS
#      too) and the integration tests (ClusterIT: a standalone cluster through the scripts; ConnectIT:
#      a Spark Connect client; YarnIT skips itself, this line's build has no spark-yarn);
#   2. spark-3.5 (Scala 2.12), spark-4.0 and spark-4.2: every test that touches Spark, on 3.5 and 4.2
#      YarnIT (YARN over HDFS through hadoop-cluster.sh and submit.sh), on 4.2 ConnectIT too. Left to
#      the default line: the kernel tests (dev.softmax.udf.kernel, plain Java that knows nothing of
#      Spark, the same bytes on every line), the launchers' class archive (ClassArchiveTest: shell and
#      the JDK, no Spark) and the slowest job tests, each driver a process of its own
#      (CrashRecoveryJobTest, HdfsCrashRecoveryJobTest, WideRowsJobTest, TableCrashJobTest; the first,
#      the third and the last pass on 3.5 too); the S3 crash tests (S3CrashRecoveryJobTest) run on 3.5
#      too, S3JobTest on every line.
# --unit (first argument) is the developer's inner loop instead: the default line's tests without
# the ones that start drivers in JVMs of their own (JUnit tag driver-process) and without the
# integration tests (clusters, Spark Connect); docs/development.md gives its run time.
# Arguments are passed to every mvn run (e.g. -o). SPARK_LINES (default "spark-3.5 spark-4.0 spark-4.2")
# chooses the other lines; SPARK_LINES= runs the default line only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
started=$SECONDS
# every relative link and anchor of README.md and docs/ resolves
./scripts/check-links.sh
if [[ ${1:-} == --unit ]]; then
  shift
  mvn -B -ntp "$@" test -DexcludedGroups=driver-process
  echo "== unit tests, spark-4.1 (default): $((SECONDS - started)) s"
  exit 0
fi
mvn -B -ntp "$@" verify
echo "== spark-4.1 (default): $((SECONDS - started)) s"
for profile in ${SPARK_LINES-spark-3.5 spark-4.0 spark-4.2}; do
  line_started=$SECONDS
  # the S3 crash tests also on 3.5, whose S3A (Hadoop 3.3, AWS SDK v1) differs most from the default line's
  s3_crashes=',!S3CrashRecoveryJobTest'
  case $profile in
    spark-4.2) its=(-Dit.test='ConnectIT,YarnIT') ;;
    spark-3.5) its=(-Dit.test=YarnIT); s3_crashes='' ;;
    *) its=(-DskipITs) ;;
  esac
  mvn -B -ntp "$@" -P"$profile" verify "${its[@]}" \
    -Dtest="*Test,!dev/softmax/udf/kernel/**,!CrashRecoveryJobTest,!HdfsCrashRecoveryJobTest,!WideRowsJobTest,!TableCrashJobTest,!ClassArchiveTest$s3_crashes" \
    -Dsurefire.failIfNoSpecifiedTests=false
  echo "== $profile: $((SECONDS - line_started)) s"
done
echo "== all lines: $((SECONDS - started)) s"
