#!/usr/bin/env bash
# Crash safety: `overt log append` in batch mode, fed by a generator, is killed with SIGKILL at
# random moments, several times.  After each kill the log must verify (signatures, tiles, root,
# consistency with the previous round through the auditor's state file), and every entry the
# appender acknowledged ("ok <index> <line>", printed after fsync and the new checkpoint) must
# be in the log with the content that was sent for it.
set -euo pipefail

B=${OVERT_BIN:?OVERT_BIN not set}
ROUNDS=${TLOG_KILL_ROUNDS:-6}
W=$(mktemp -d /tmp/test_tlog_kill.XXXXXX)
APP=
cleanup() {
	if [ -n "$APP" ]; then
		kill -9 "$APP" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }

$B log keygen --name kill.example/log --out k.key >k.vkey
$B log init --dir L --key k.key >/dev/null
size() { $B log checkpoint --dir L | sed -n 2p; }

: >acked.txt
for r in $(seq "$ROUNDS"); do
	start=$(size)
	batch=$(shuf -n1 -e 100 256 1000 5000)
	# Entry i of the log says gen-i: the generator starts at the current size.
	seq "$start" 100000000 | sed 's/.*/type=alert severity=info source=gen message=gen-&/' |
		$B log append --dir L --key k.key --batch "$batch" - >"acks.$r" 2>"err.$r" &
	APP=$!
	# 0.2 .. 0.9 s: lands before the first commit, during one, or between two.
	sleep "0.$((RANDOM % 8 + 2))"
	kill -9 "$APP" 2>/dev/null || true
	wait "$APP" 2>/dev/null || true
	APP=
	# A kill can cut the last line of output short: keep whole lines only.
	grep -E '^ok [0-9]+ [0-9]+$' "acks.$r" | awk '{print $2}' >"idx.$r" || true
	n=$(wc -l <"idx.$r")
	cat "idx.$r" >>acked.txt
	after=$(size)
	if [ "$n" -gt 0 ]; then
		last=$(tail -1 "idx.$r")
		[ "$after" -gt "$last" ] || fail "round $r: acknowledged $last but size is $after"
	fi
	$B audit verify --log L --vkey k.vkey --state st >"verify.$r" ||
		{ cat "verify.$r"; fail "round $r: verification after kill -9"; }
	echo "round $r: batch $batch, killed at size $after ($n acknowledged this round)"
done

[ "$(wc -l <acked.txt)" -ge 1000 ] || fail "too few acknowledged entries to mean anything"
# Every acknowledged index holds what was sent for it.
$B audit verify --log L --vkey k.vkey --list >list.txt || { tail list.txt; fail "final verify"; }
sed -n 's/^  seq=\([0-9]*\) .* message=gen-\([0-9]*\)$/\1 \2/p' list.txt >seen.txt
awk '$1 != $2 { bad = 1; print "entry " $1 " says gen-" $2 } END { exit bad }' seen.txt ||
	fail "entry content does not match its index"
# comm wants plain (not numeric) order.
LC_ALL=C sort -u acked.txt >a.txt
cut -d' ' -f1 seen.txt | LC_ALL=C sort -u >s.txt
missing=$(LC_ALL=C comm -23 a.txt s.txt | head -5)
[ -z "$missing" ] || fail "acknowledged but missing: $missing"
echo "test_tlog_kill: ok ($(wc -l <a.txt) acknowledged entries present, size $(size))"
