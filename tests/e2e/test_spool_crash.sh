#!/usr/bin/env bash
# Crash test of the delivery spool (src/spool/, docs/spool.md).
#
# Each round runs `spool_tool stress` (appends, reads, acknowledges, rewinds, fills the size
# bound) and kills it with SIGKILL at a random moment.  The tool prints "D <recno> <seg> <bytes>"
# only once records up to recno are durable, and "A <recno>" only once that acknowledgement is
# durable.  In some rounds the test then also simulates a power loss, under which only what the
# last "D" line covers is promised: the newest segment is cut anywhere after that durable size (or
# anywhere at all, or removed, if it is newer than the D line's segment), and half the time the
# cut bytes come back as zeros.  Older segments stay: a segment switch syncs the old segment
# completely (docs/spool.md).  Then, after each restart:
#   - `spool_tool check` opens the spool (repairing the torn tail) and verifies every record;
#   - `spool_tool dump` replays the unacknowledged records: every one intact (self-describing
#     payloads) and numbered consecutively from cursor+1;
#   - every record printed durable and not acknowledged is replayed, the cursor is at least the
#     last acknowledgement printed, and numbering never goes back.
# SPOOL_CRASH_SEED=<n> replays a run; SPOOL_CRASH_ROUNDS=<n> changes the number of rounds.
set -euo pipefail

tool=${OVERT_BUILD:?}/spool_tool
[ -x "$tool" ] || { echo "spool crash: $tool not built"; exit 1; }
seed=${SPOOL_CRASH_SEED:-$(( $(date +%s) % 32768 ))}
rounds=${SPOOL_CRASH_ROUNDS:-12}
RANDOM=$seed
work=$(mktemp -d "${TMPDIR:-/tmp}/spool-crash.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
dir=$work/spool
geom="--segment 65536 --max 1048576"
echo "spool crash: seed=$seed rounds=$rounds dir=$dir"

fail() { echo "spool crash: FAIL (seed $seed, round $round): $*"; exit 1; }

maxd=0          # highest record ever printed durable
maxa=0          # highest acknowledgement ever printed durable
repairs=0
powerloss=0
for round in $(seq 1 "$rounds"); do
  case $((round % 4)) in
    1) sync=always ;;
    0) sync=none ;;
    *) sync=batch ;;
  esac
  out=$work/out.$round
  "$tool" stress "$dir" $geom --sync "$sync" --batch $((1 + RANDOM % 16)) --batch-ms 5 \
    --seed "$round" >"$out" 2>"$work/err.$round" &
  pid=$!
  sleep "0.$((2 + RANDOM % 7))"
  kill -0 "$pid" 2>/dev/null || { cat "$work/err.$round"; fail "stress exited by itself"; }
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  pid=

  grep -q '^ERR' "$out" && fail "$(grep '^ERR' "$out" | head -1)"
  # Numbering never goes back: this round started after everything printed before.
  start=$(sed -n 's/^O next=\([0-9]*\) .*/\1/p' "$out" | head -1)
  [ -n "$start" ] || fail "no start line"
  [ "$start" -gt "$maxd" ] || fail "numbering went back: next=$start after durable $maxd"

  read -r _ d dseg dbytes < <(grep '^D ' "$out" | tail -1 || echo "D 0 0 0")
  a=$(grep '^A ' "$out" | tail -1 | cut -d' ' -f2 || true)
  [ "${d:-0}" -gt "$maxd" ] && maxd=$d
  [ -n "$a" ] && [ "$a" -gt "$maxa" ] && maxa=$a

  # Power loss: only what the last D line covers is promised (not for sync=none).  A segment
  # switch syncs the old segment completely (docs/spool.md), so only the newest segment can
  # lose data: from the durable size on if the D line names it, entirely if it is newer.
  if [ "$sync" != none ] && [ "${d:-0}" -gt 0 ] && [ $((RANDOM % 2)) -eq 0 ]; then
    newest=$(ls "$dir" | grep '^seg-.*\.spl$' | sort | tail -1)
    if [ -n "$newest" ]; then
      powerloss=$((powerloss + 1))
      f=$dir/$newest
      first=$((16#$(basename "$f" .spl | cut -c5-)))
      size=$(stat -c %s "$f")
      if [ "$first" -eq "$dseg" ]; then
        cut=$((dbytes + RANDOM % (size - dbytes + 1)))
      elif [ "$first" -gt "$dseg" ]; then
        cut=$((RANDOM % (size + 1)))
        [ $((RANDOM % 3)) -eq 0 ] && cut=-1
      else
        fail "newest segment $newest older than the durable one ($dseg)"
      fi
      if [ "$cut" -lt 0 ]; then
        rm -f "$f"
      else
        truncate -s "$cut" "$f"
        # Half the time the lost bytes come back as zeros (size on disk, data not).
        [ $((RANDOM % 2)) -eq 0 ] && truncate -s "$size" "$f"
      fi
    fi
  fi

  chk=$("$tool" check "$dir" $geom 2>&1) || fail "check: $chk"
  t=$(sed -n 's/.* torn_repaired=\([0-9]*\) .*/\1/p' <<<"$chk")
  repairs=$((repairs + t))
  s=$("$tool" dump "$dir" -q 2>&1 | tail -1) || fail "dump failed: $s"
  read -r _ f l c k n < <(sed 's/[a-z]*=//g' <<<"$s")
  # s: S first=F last=L count=C acked=K next=N
  [ "$k" -ge "$maxa" ] || fail "acknowledgement lost: cursor $k < printed $maxa"
  [ "$n" -gt "$maxd" ] || fail "durable records lost: next $n <= printed $maxd"
  if [ "$c" -gt 0 ]; then
    [ "$f" -eq $((k + 1)) ] || fail "replay starts at $f, cursor $k"
    [ "$c" -eq $((l - f + 1)) ] || fail "replay not contiguous: $s"
  fi
  if [ "$maxd" -gt "$k" ]; then
    [ "$c" -gt 0 ] && [ "$l" -ge "$maxd" ] || fail "durable record $maxd missing: $s"
  fi
  echo "round $round ($sync): durable<=$d acked=$k replay=$f..$l ($c) repaired=$t"
done
[ "$maxd" -gt 0 ] || fail "nothing was ever durable"
echo "spool crash: OK ($rounds kills, $powerloss simulated power losses, $repairs torn tails repaired)"
