#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for N seconds, starting from (a copy of) its
# committed corpus.  Fails if any target crashes.  New inputs land in the copy, not in git.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rc=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); short=${name#fuzz_}
  mkdir -p "$work/$short"
  [ -d "$src/fuzz/corpus/$short" ] && cp -r "$src/fuzz/corpus/$short/." "$work/$short/"
  echo "fuzz-smoke: $name for ${secs}s"
  if ! "$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
       -artifact_prefix="$work/" "$work/$short" >"$work/$short.log" 2>&1; then
    echo "fuzz-smoke: $name FAILED"; tail -40 "$work/$short.log"; rc=1
    mkdir -p "$src/fuzz/crashes"; cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$src/fuzz/crashes/" 2>/dev/null || true
  else
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$work/$short.log" | tail -1 || true
  fi
done
exit $rc
