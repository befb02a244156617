#!/usr/bin/env bash
# At-least-once on the POI -> MDF hop with the real POI: the POI replays a generated EPC capture
# towards an X2/X3 receiver (x2x3_sink --defer-acks: it acknowledges a keepalive only once what
# came before it is written out) that is killed with SIGKILL five times while PDUs flow, each
# time restarted on the same port.  Then: every X2/X3 PDU the ground truth expects is in the
# receiver's records at least once; taking each (XID, sequence number) at its first appearance
# gives every XID's numbers 0..n-1 in order (exactly once, in order, after deduplication); the
# POI drained everything (all acknowledged) and refused nothing.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
B=$OVERT_BUILD
T=$(mktemp -d /tmp/overt-e2e-chaos.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$T"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
wait_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; fail "timeout waiting for $1"; }
lines() { if [ -f "$T/sink.jsonl" ]; then wc -l < "$T/sink.jsonl"; else echo 0; fi; }

"$OVERT_BIN" pki init "$T/pki" >/dev/null
# Enough target traffic (80 of 200 subscribers, 5 tasks of 16) that PDUs are in flight at
# every kill even in a release build.
"$B/epcgen" --scenario mixed --seed 5 --subscribers 200 --targets 80 --packets 60000 \
  --out "$T/epc.pcap" >/dev/null
mapfile -t tg < "$T/epc.targets"
ntasks=5

sink() {  # sink LISTEN: one receiver run, appending to the same records
  "$B/x2x3_sink" --listen "$1" --port-file "$T/sink.port" --tls-ca "$T/pki/ca.pem" \
    --tls-cert "$T/pki/mdf.pem" --tls-key "$T/pki/mdf.key" --defer-acks --append \
    --json "$T/sink.jsonl" 2>>"$T/sink.log" &
  sink_pid=$!
  pids+=("$sink_pid")
}
sink 127.0.0.1:0
wait_file "$T/sink.port"
port=$(cat "$T/sink.port")

mkdir -p "$T/state"
userline=""
if [ "$(id -u)" = 0 ]; then chown nobody "$T/state"; userline="capture: {user: nobody}"; fi
cat > "$T/poi.yaml" <<YAML
ne_identifier: epc-poi-01
$userline
x1:
  listen: 127.0.0.1:0
  cert: $T/pki/poi.pem
  key: $T/pki/poi.key
  ca: $T/pki/ca.pem
  db: $T/state/x1.db
  admf_identifiers: [admf]
x2x3:
  cert: $T/pki/poi.pem
  key: $T/pki/poi.key
  ca: $T/pki/ca.pem
YAML
"$OVERT_BIN" poi --config "$T/poi.yaml" --pcap "$T/epc.pcap" --hold --ready-file "$T/poi.port" \
  >"$T/poi.out" 2>"$T/poi.log" &
poi=$!; pids+=($poi)
wait_file "$T/poi.port"
x1() { "$OVERT_BIN" x1 --url "https://127.0.0.1:$(cat "$T/poi.port")/X1/NE" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id epc-poi-01 "$@" >/dev/null 2>>"$T/x1.log"; }
d1=11111111-1111-4111-8111-111111111111
x1 create-destination --did $d1 --addr 127.0.0.1 --port "$port" || fail "create d1"
echo "[" > "$T/tasks.json"
sep=""
for t in $(seq 0 $((ntasks - 1))); do
  xid=aaaaaaaa-0000-4000-8000-00000000000$t
  args=(); json=""
  for i in "${!tg[@]}"; do
    [ $((i % ntasks)) = "$t" ] || continue
    read -r imsi _ _ <<<"${tg[$i]}"
    args+=(--imsi "$imsi"); json="$json${json:+, }[\"imsi\", \"$imsi\"]"
  done
  x1 activate-task --xid $xid "${args[@]}" --delivery X2andX3 --did $d1 || fail "task $t"
  echo "$sep{\"xid\": \"$xid\", \"delivery\": \"X2andX3\", \"targets\": [$json]}" >> "$T/tasks.json"
  sep=","
done
echo "]" >> "$T/tasks.json"

# Replay; each time the receiver has written 100 more records (so PDUs are flowing), kill it.
kill -USR1 $poi
kills=0
for k in 1 2 3 4 5; do
  base=$(lines); grown=0
  for _ in $(seq 1 1500); do
    if [ $(( $(lines) - base )) -ge 100 ]; then grown=1; break; fi
    sleep 0.01
  done
  [ $grown = 1 ] || fail "kill $k: the receiver's records stopped growing (flow ended too early?)"
  kill -9 "$sink_pid"; wait "$sink_pid" 2>/dev/null || true
  kills=$((kills + 1))
  sleep 0.2   # the POI notices, queues, retries against a closed port
  sink "127.0.0.1:$port"
done

# The POI exits 0 only when every queue is empty: with retention, every PDU acknowledged.
wait $poi || fail "POI exit status $? (not drained?)"
kill -TERM "$sink_pid"; wait "$sink_pid" || true

/usr/bin/python3 "$OVERT_SRC/tests/e2e/lib/poi_truth.py" "$T/epc.truth.jsonl" "$T/tasks.json" > "$T/expected.json"

/usr/bin/python3 - "$T" "$kills" <<'PY' || fail "records do not show at-least-once / exactly-once-after-dedup"
import json, sys
T, kills = sys.argv[1], int(sys.argv[2])
exp = json.load(open(f"{T}/expected.json"))
recs, finals = [], []
for line in open(f"{T}/sink.jsonl"):
    try:
        r = json.loads(line)
    except ValueError:
        print("a record line is cut (a kill landed inside a write?)"); sys.exit(1)
    if r.get("final"):
        finals.append(r)
    elif r["type"] in ("X2", "X3"):
        recs.append(r)
ok = True
dups = 0
for xid, want in exp.items():
    mine = [r for r in recs if r["xid"] == xid]
    seen, first = set(), []
    for r in mine:
        if r["seq"] in seen:
            dups += 1
            continue
        seen.add(r["seq"])
        first.append(r)
    seqs = [r["seq"] for r in first]
    if seqs != list(range(len(seqs))):
        bad = next(i for i, s in enumerate(seqs) if s != i) if seqs else 0
        print(f"{xid}: first appearances not 0..n-1 in order (at index {bad})"); ok = False
    n2 = sum(r["type"] == "X2" for r in first)
    n3 = sum(r["type"] == "X3" for r in first)
    if (n2, n3) != (want["x2"], want["x3"]):
        print(f"{xid}: X2 {n2} X3 {n3} distinct, ground truth X2 {want['x2']} X3 {want['x3']}"); ok = False
    if want["x2"] + want["x3"] < 500:
        print(f"{xid}: too little traffic for the test to mean anything"); ok = False
# Same (XID, seq) must mean the same PDU: a resend carries the same octets.
key = {}
for r in recs:
    k = (r["xid"], r["seq"])
    v = (r["type"], r.get("ts_sec"), r.get("ts_nsec"), r["payload_len"], r["correlation_id"])
    if key.setdefault(k, v) != v:
        print(f"{k}: two different PDUs with one sequence number"); ok = False; break
if len(finals) != 1 or finals[0].get("dropped"):
    print(f"final records: {finals}"); ok = False
want = {x: (e["x2"], e["x3"]) for x, e in exp.items()}
print(f"{kills} kills, {len(recs)} records, {dups} duplicates, expected (X2, X3) {want}")
sys.exit(0 if ok else 1)
PY
summary=$(grep "^destination" "$T/poi.out") || fail "no destination line in the POI summary"
echo "POI: $summary"
grep -q "dropped (overflow) 0 " <<<"$summary" || fail "POI dropped PDUs: $summary"
grep -q "queued 0 " <<<"$summary" || fail "POI still held PDUs: $summary"
reconnects=$(sed -n 's/.*reconnects \([0-9]*\).*/\1/p' <<<"$summary")
[ "${reconnects:-0}" -ge 5 ] || fail "only ${reconnects:-0} reconnections for 5 kills"
echo "1 passed, 0 failed"
