#!/usr/bin/env bash
# Runs every benchmark of a release build and prints its figures.  Benchmarks compare against a
# baseline measured in the same run (see each bench_*.c); nothing here is a pass/fail test.
#   bash bench/run.sh [BUILD_DIR]          (make bench)
# BENCH_QUICK=1 uses smaller sizes.
set -euo pipefail
build=${1:-build}
src=$(cd "$(dirname "$0")/.." && pwd)
work=${BENCH_DIR:-$(mktemp -d /tmp/overt-bench.XXXXXX)}
echo "bench: build=$build work=$work ($(nproc) cores, $(uname -r))"

run() {
  local name=$1; shift
  if [ -x "$build/$name" ]; then
    echo; echo "=== $name $*"
    "$build/$name" "$@"
  else
    echo; echo "=== $name: not built"
  fi
}

if [ -x "$build/epcgen" ]; then
  if [ "${BENCH_QUICK:-0}" = 1 ]; then pk=100000; subs=10000; tg=100; else pk=1000000; subs=100000; tg=1000; fi
  echo "generating $pk packets, $subs subscribers, $tg targets"
  "$build/epcgen" --scenario bench --out "$work/bench.pcap" --packets $pk --subscribers $subs \
    --targets $tg --seed 1 >/dev/null
  run bench_poi "$work/bench.pcap" "$work/bench.targets"
  run bench_gtp "$work/bench.pcap"
fi
run bench_x2x3
run bench_ber
run bench_spool --dir "$work"
run bench_mdf
if [ "${BENCH_QUICK:-0}" = 1 ]; then run bench_tlog --dir "$work" --quick; else run bench_tlog --dir "$work"; fi
[ -z "${BENCH_DIR:-}" ] && rm -rf "$work"
exit 0
