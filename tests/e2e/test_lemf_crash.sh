#!/usr/bin/env bash
# Crash behaviour of `overt lemf` (docs/lemf.md, "Crash guarantees"), with fsync on:
#   A. a keep-alive response means durable: the sender kills the LEMF (SIGKILL) the moment the
#      response arrives; after a restart, without any resend, every PDU sent before the
#      keep-alive is in the output and the report has no gap.  Commits are otherwise made rare
#      (interval 60 s, 10^7 PDUs), so only the keep-alive can have caused that commit;
#   B. no response, no promise: PDUs sent without a keep-alive and then a SIGKILL are cut from
#      the files at restart (the state never recorded them), and the resend writes them once;
#   C. chaos: the LEMF is killed with SIGKILL 6 times at random moments while a sender streams
#      CC and IRI PDUs (reads split at odd sizes, so kills land inside PDUs); each time the
#      sender starts over from 0 (at-least-once at its worst).  At the end the pcap holds every
#      packet exactly once (tshark), the JSON lines every event once, the report has no gap and
#      counts the duplicates it dropped, and --verify finds files and state consistent.
#      Output rotation is on (64 KiB parts), so kills also land inside rotations: the packets
#      and events are counted over every part, and --verify walks every part.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}"
FEED=$OVERT_BUILD/hi_feed
work=$(mktemp -d /tmp/overt-lemf-crash.XXXXXX)
lemf_pid=
feed_pid=
cleanup() {
  [ -n "$feed_pid" ] && kill "$feed_pid" 2>/dev/null || true
  if [ -n "$lemf_pid" ]; then kill "$lemf_pid" 2>/dev/null || true; wait "$lemf_pid" 2>/dev/null || true; fi
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/lemf.log" ] && tail -20 "$work/lemf.log" >&2; exit 1; }

"$OVERT_BIN" pki init "$work/pki" --roles lemf,mdf >/dev/null || fail "pki init"
P=$work/pki

config() {  # config OUTDIR COMMIT_MS COMMIT_PDUS [ROTATE_SIZE]
  {
    echo "output_dir: $1"
    echo "listen: [{name: hi, address: 127.0.0.1:0}]"
    echo "tls: {cert: $P/lemf.pem, key: $P/lemf.key, ca: $P/ca.pem, peers: [mdf]}"
    echo "storage: {fsync: true, commit_interval_ms: $2, commit_pdus: $3, rotate_size: ${4:-1GiB}}"
  } >"$work/lemf.yaml"
}
start_lemf() {
  rm -f "$work/ready"
  "$OVERT_BIN" lemf --config "$work/lemf.yaml" --ready-file "$work/ready" \
    >>"$work/counters.jsonl" 2>>"$work/lemf.log" &
  lemf_pid=$!
  echo "$lemf_pid" >"$work/lemf.pid"
  for _ in $(seq 200); do [ -s "$work/ready" ] && break; sleep 0.05; done
  [ -s "$work/ready" ] || fail "lemf did not start"
  PORT=$(awk '{print $2}' "$work/ready")
}
killed() {  # waits for a LEMF that was sent SIGKILL
  local rc=0
  wait "$lemf_pid" || rc=$?
  [ "$rc" = 137 ] || fail "lemf exit status $rc, expected SIGKILL (137)"
  lemf_pid=
}
stop_lemf() {
  kill -TERM "$lemf_pid"
  wait "$lemf_pid" || fail "lemf exit status $?"
  lemf_pid=
}
feed() {
  "$FEED" --connect "127.0.0.1:$PORT" --ca "$P/ca.pem" --cert "$P/mdf.pem" --key "$P/mdf.key" "$@"
}
report() {  # report DIR: text report; fails unless exit 0 and files verified
  "$OVERT_BIN" lemf report --dir "$1" --verify >"$work/report.txt" || fail "report: $(cat "$work/report.txt")"
}

# ---- A. keep-alive response => durable
config "$work/a" 60000 10000000
start_lemf
printf '%s\n' "cc A 1 0-999" "iri A 2 0-99" "keepalive A 1 5000" "kill $work/lemf.pid" >"$work/sa"
feed "$work/sa" >"$work/feed_a.out" 2>&1 || fail "feed A: $(cat "$work/feed_a.out")"
grep -qx "ack 5000" "$work/feed_a.out" || fail "no response before the kill"
killed
report "$work/a"
grep -q "CIN 1 CC: 1000 PDUs, seq 0..999, 0 duplicates dropped, no gap" "$work/report.txt" \
  || fail "acknowledged CC PDUs missing after the kill: $(cat "$work/report.txt")"
grep -q "CIN 2 IRI: 100 PDUs, seq 0..99, 0 duplicates dropped, no gap" "$work/report.txt" \
  || fail "acknowledged IRI PDUs missing after the kill: $(cat "$work/report.txt")"

# ---- B. no response => cut at restart, then written once by the resend
config "$work/b" 60000 10000000
start_lemf
printf '%s\n' "cc B 1 0-9" "keepalive B 1 0" "cc B 1 10-2999" "sleep 300" "kill $work/lemf.pid" >"$work/sb"
feed "$work/sb" >"$work/feed_b.out" 2>&1 || fail "feed B: $(cat "$work/feed_b.out")"
killed
start_lemf
grep "recovery cut" "$work/lemf.log" | tail -1 | grep -Eq "cut [1-9][0-9]* uncommitted octets from 1 files" \
  || fail "nothing cut at restart: $(grep 'recovery cut' "$work/lemf.log" | tail -1)"
"$OVERT_BIN" lemf report --dir "$work/b" >"$work/report.txt" || fail "report B: $(cat "$work/report.txt")"
grep -q "CIN 1 CC: 10 PDUs, seq 0..9," "$work/report.txt" || fail "state after the cut: $(cat "$work/report.txt")"
printf '%s\n' "cc B 1 0-2999" "keepalive B 1 1" >"$work/sb2"
feed "$work/sb2" >/dev/null || fail "resend B"
stop_lemf
report "$work/b"
grep -q "CIN 1 CC: 3000 PDUs, seq 0..2999, 10 duplicates dropped, no gap" "$work/report.txt" \
  || fail "after the resend: $(cat "$work/report.txt")"
[ "$(tshark -r "$work/b/B/cc.pcap" 2>/dev/null | wc -l)" = 3000 ] || fail "B: packet count"

# ---- C. chaos: 6 kills at random moments, each followed by a full resend
config "$work/c" 100 1000 64KiB
{
  echo "chunk 333"
  for i in $(seq 0 29); do
    a=$((i * 100)); b=$((a + 99))
    echo "cc X 1 $a-$b"
    echo "iri Y 2 $((i * 10))-$((i * 10 + 9)) imsi=001010123456789"
    [ $((i % 5)) = 4 ] && echo "keepalive X 1 $i"
    echo "sleep 15"
  done
  echo "keepalive Y 2 999"
} >"$work/sc"
RANDOM=4242
for k in 1 2 3 4 5 6; do
  start_lemf
  feed "$work/sc" >/dev/null 2>&1 &
  feed_pid=$!
  sleep "0.$((RANDOM % 40 + 5))"
  kill -KILL "$lemf_pid"
  killed
  wait "$feed_pid" 2>/dev/null || true   # the sender loses its connection: expected
  feed_pid=
done
start_lemf
feed "$work/sc" >"$work/feed_c.out" 2>&1 || fail "final resend: $(cat "$work/feed_c.out")"
stop_lemf
[ "$(grep -c 'recovery cut' "$work/lemf.log")" -ge 7 ] || fail "restarts not logged"
report "$work/c"
grep -q "CIN 1 CC: 3000 PDUs, seq 0..2999, [1-9][0-9]* duplicates dropped, no gap" "$work/report.txt" \
  || fail "CC after the chaos: $(cat "$work/report.txt")"
grep -q "CIN 2 IRI: 300 PDUs, seq 0..299, [1-9][0-9]* duplicates dropped, no gap" "$work/report.txt" \
  || fail "IRI after the chaos: $(cat "$work/report.txt")"
ncc=$(ls "$work/c/X" | grep -c '^cc-[0-9]*\.pcap$' || true)
niri=$(ls "$work/c/Y" | grep -c '^iri-[0-9]*\.jsonl$' || true)
[ "$ncc" -ge 2 ] && [ "$niri" -ge 1 ] || fail "rotation: $ncc CC parts, $niri IRI parts"
{ grep -q " 0 CC packets, 300 IRI records, in $niri closed parts" "$work/report.txt" &&
  grep -q " 3000 CC packets, 0 IRI records, in $ncc closed parts" "$work/report.txt"; } \
  || fail "report does not count the parts: $(cat "$work/report.txt")"
for f in "$work"/c/X/cc-*.pcap "$work/c/X/cc.pcap"; do
  tshark -r "$f" -T fields -e ip.id 2>/dev/null
done | sort | uniq -c | awk '$1 != 1' >"$work/dups"
[ ! -s "$work/dups" ] || fail "packets written twice: $(head "$work/dups")"
n=0
for f in "$work"/c/X/cc-*.pcap "$work/c/X/cc.pcap"; do
  n=$((n + $(tshark -r "$f" 2>/dev/null | wc -l)))
done
[ "$n" = 3000 ] || fail "C: packet count $n over $ncc parts and the current file"
/usr/bin/python3 -c '
import json, sys
seqs = [json.loads(l)["seq"] for f in sys.argv[1:] for l in open(f)]
assert sorted(seqs) == list(range(300)), (len(seqs), len(set(seqs)))
' "$work"/c/Y/iri-*.jsonl "$work/c/Y/iri.jsonl" || fail "IRI lines after the chaos"
echo "test_lemf_crash: ok"
