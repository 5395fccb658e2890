#!/bin/sh
# Builds target/benchmarks.jar, runs the JMH benchmarks (all, or those the arguments select)
# and writes bench/results/jmh.md with the machine's core count, JDK and load around the run.
# Extra arguments go to JMH, e.g.: bench/jmh/run.sh TaskBench -f 2
set -eu
cd "$(dirname "$0")/../.."
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
mvn -q -Pjmh package -DskipTests
mkdir -p bench/results/tmp
load_start=$(uptime)
"$java" -jar target/benchmarks.jar -rf json -rff bench/results/tmp/jmh.json "$@" \
  2>&1 | grep -v '^WARNING: .*sun\.misc\.Unsafe\|^WARNING: Please consider reporting' \
  | tee bench/results/tmp/jmh.log
load_end=$(uptime)
python3 bench/jmh/report.py bench/results/tmp/jmh.json --nproc "$(nproc)" \
  --java "$("$java" -version 2>&1 | head -1)" \
  --load-start "$load_start" --load-end "$load_end" \
  --command "bench/jmh/run.sh${*:+ $*}" > bench/results/jmh.md
echo "wrote bench/results/jmh.md" >&2
