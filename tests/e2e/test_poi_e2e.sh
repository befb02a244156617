#!/usr/bin/env bash
# End-to-end: tasks provisioned over X1 (mutual TLS), the POI run on a generated EPC capture,
# X2/X3 received by two test receivers (one over mutual TLS with X3 as GTP-U, one explicitly
# insecure_plaintext with X3 as inner IP).  Checked against the generator's ground truth and
# with independent decoders: tshark's 5gli dissector and the asn1c-compiled EpsIRIContent.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
B=$OVERT_BUILD
T=$(mktemp -d /tmp/overt-e2e-poi.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$T"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
wait_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; fail "timeout waiting for $1"; }

"$OVERT_BIN" pki init "$T/pki" >/dev/null
"$B/epcgen" --scenario mixed --seed 11 --targets 4 ${POI_E2E_GEN_ARGS:-} --out "$T/epc.pcap" >/dev/null
mapfile -t tg < "$T/epc.targets"
read -r imsiA _ _ <<<"${tg[0]}"
read -r _ msisdnB _ <<<"${tg[1]}"
read -r _ _ imeiC <<<"${tg[2]}"
read -r imsiD _ _ <<<"${tg[3]}"

# Receivers: sink1 over mutual TLS, sink2 plaintext (the POI config opts in explicitly).
"$B/x2x3_sink" --listen 127.0.0.1:0 --port-file "$T/s1.port" --tls-ca "$T/pki/ca.pem" \
  --tls-cert "$T/pki/mdf.pem" --tls-key "$T/pki/mdf.key" --pcap "$T/s1.pcap" --pcap-port 9999 \
  --json "$T/s1.jsonl" 2>"$T/sink1.log" &
pids+=($!)
"$B/x2x3_sink" --listen 127.0.0.1:0 --port-file "$T/s2.port" --insecure-plaintext \
  --pcap "$T/s2.pcap" --pcap-port 9999 --json "$T/s2.jsonl" 2>"$T/sink2.log" &
pids+=($!)
wait_file "$T/s1.port"; wait_file "$T/s2.port"
p1=$(cat "$T/s1.port"); p2=$(cat "$T/s2.port")

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
  destinations:
    - address: 127.0.0.1:$p2
      insecure_plaintext: true
      x3_payload: ip
YAML
"$OVERT_BIN" poi --config "$T/poi.yaml" --pcap "$T/epc.pcap" --hold --ready-file "$T/poi.port" \
  >"$T/poi.out" 2>"$T/poi.log" &
poi=$!; pids+=($poi)
wait_file "$T/poi.port"
x1() { "$OVERT_BIN" x1 --url "https://127.0.0.1:$(cat "$T/poi.port")/X1/NE" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id epc-poi-01 "$@" >/dev/null 2>>"$T/x1.log"; }
d1=11111111-1111-4111-8111-111111111111
d2=22222222-2222-4222-8222-222222222222
x1a=aaaaaaaa-0000-4000-8000-000000000001
x1b=aaaaaaaa-0000-4000-8000-000000000002
x1c=aaaaaaaa-0000-4000-8000-000000000003
x1 create-destination --did $d1 --addr 127.0.0.1 --port "$p1" || fail "create d1"
x1 create-destination --did $d2 --addr 127.0.0.1 --port "$p2" || fail "create d2"
x1 activate-task --xid $x1a --imsi "$imsiA" --msisdn "$msisdnB" --delivery X2andX3 --did $d1 || fail "task a"
x1 activate-task --xid $x1b --imei "$imeiC" --delivery X2Only --did $d1 --did $d2 || fail "task b"
x1 activate-task --xid $x1c --imsi "$imsiD" --imsi "$imsiA" --delivery X3Only --did $d2 || fail "task c"
# A task for an unknown destination is refused and changes nothing.
if x1 activate-task --xid aaaaaaaa-0000-4000-8000-000000000009 --imsi 001010000000001 \
  --delivery X2andX3 --did 99999999-9999-4999-8999-999999999999; then fail "unknown DID accepted"; fi

kill -USR1 $poi
wait $poi || fail "POI exit status $?"
sleep 0.3
kill -TERM "${pids[0]}" "${pids[1]}"; wait "${pids[0]}" "${pids[1]}" || true

cat > "$T/tasks.json" <<JSON
[{"xid": "$x1a", "delivery": "X2andX3", "targets": [["imsi", "$imsiA"], ["msisdn", "$msisdnB"]], "dests": ["s1"]},
 {"xid": "$x1b", "delivery": "X2Only", "targets": [["imei", "$imeiC"]], "dests": ["s1", "s2"]},
 {"xid": "$x1c", "delivery": "X3Only", "targets": [["imsi", "$imsiD"], ["imsi", "$imsiA"]], "dests": ["s2"]}]
JSON
/usr/bin/python3 "$OVERT_SRC/tests/e2e/lib/poi_truth.py" "$T/epc.truth.jsonl" "$T/tasks.json" > "$T/expected.json"

# Receivers' records against the ground truth; sequence numbers contiguous per XID and
# destination; only targets; X3 payload format as configured per destination.
check_records() {
/usr/bin/python3 - "$T" <<'PY' || fail "records differ from the ground truth ($1)"
import json, sys
T = sys.argv[1]
exp = json.load(open(f"{T}/expected.json"))
tasks = json.load(open(f"{T}/tasks.json"))
targets = {f"{k if k != 'msisdn' else 'e164Number'}:{v}" for t in tasks for k, v in t["targets"]}
ok = True
for sink, x3fmt in (("s1", {12}), ("s2", {5, 6})):
    recs = [json.loads(l) for l in open(f"{T}/{sink}.jsonl")]
    final = recs[-1]
    recs = [r for r in recs[:-1] if r["type"] in ("X2", "X3")]
    for t in tasks:
        mine = [r for r in recs if r["xid"] == t["xid"]]
        want = exp[t["xid"]] if sink in t["dests"] else {"x2": 0, "x3": 0}
        n2 = sum(r["type"] == "X2" for r in mine)
        n3 = sum(r["type"] == "X3" for r in mine)
        if (n2, n3) != (want["x2"], want["x3"]):
            print(f"{sink} {t['xid']}: X2 {n2} X3 {n3}, ground truth X2 {want['x2']} X3 {want['x3']}"); ok = False
        seqs = [r["seq"] for r in mine]
        if seqs != list(range(len(seqs))):
            print(f"{sink} {t['xid']}: sequence numbers not 0..{len(seqs)-1}"); ok = False
        if sink in t["dests"] and want["x2"] + want["x3"] == 0:
            print(f"{sink} {t['xid']}: vacuous (no expected records)"); ok = False
    for r in recs:
        if r.get("mti", "").replace("imei:", "imei:")[:200] not in targets and not any(
                r.get("mti", "").startswith("imei:") and r["mti"][5:19] == v for k, v in
                [(k, v) for t in tasks for k, v in t["targets"] if k == "imei"]):
            print(f"{sink}: record for a non-target: {r.get('mti')}"); ok = False; break
        if r["type"] == "X3" and r["format"] not in x3fmt:
            print(f"{sink}: X3 payload format {r['format']}"); ok = False; break
        if r["type"] == "X2" and (r["format"] != 14 or r["direction"] != 5):
            print(f"{sink}: X2 format {r['format']} direction {r['direction']}"); ok = False; break
    if final.get("dropped"):
        print(f"{sink}: connections dropped: {final['dropped']}"); ok = False
print("ground truth:", json.dumps(exp))
sys.exit(0 if ok else 1)
PY
}
check_records "first run"

# Independent decoder 1: tshark's 5gli dissector sees the same PDUs, none malformed.
for s in s1 s2; do
  [ "$(tshark -r "$T/$s.pcap" -d tcp.port==9999,5gli -Y _ws.malformed 2>/dev/null | wc -l)" = 0 ] \
    || fail "tshark: malformed PDUs in $s"
  n_json=$(grep -c '"type":"X[23]"' "$T/$s.jsonl" || true)
  n_ts=$(tshark -r "$T/$s.pcap" -d tcp.port==9999,5gli -Y "li5g.type==1 || li5g.type==2" 2>/dev/null | wc -l)
  [ "$n_json" = "$n_ts" ] || fail "tshark counts $n_ts X2/X3 PDUs in $s, receiver $n_json"
done
# tshark decodes the GTP-U inside X3 format 12 and the IP inside formats 5/6.
[ "$(tshark -r "$T/s1.pcap" -d tcp.port==9999,5gli -Y 'li5g.type==2 && gtp' 2>/dev/null | wc -l)" -gt 0 ] || fail "no GTP-U in X3 (s1)"
[ "$(tshark -r "$T/s2.pcap" -d tcp.port==9999,5gli -Y 'li5g.type==2 && !gtp && (ip || ipv6)' 2>/dev/null | wc -l)" -gt 0 ] || fail "no inner IP in X3 (s2)"

# Independent decoder 2: every X2 payload (EpsIRIContent, format 14) decodes with asn1c.
bash "$OVERT_SRC/scripts/build-asn1dec.sh" "$B/asn1dec" || fail "asn1c decoder build"
n=0
while read -r hex; do
  [ -n "$hex" ] || continue
  printf '%s' "$hex" | xxd -r -p > "$T/x2.ber"
  "$B/asn1dec/progname" -p EpsIRIContent -iber -oxer "$T/x2.ber" > "$T/x2.xer" 2>&1 \
    || fail "asn1c refused an X2 payload: $(head -c 300 "$T/x2.xer")"
  grep -q "<ePSevent>" "$T/x2.xer" || fail "no ePSevent in decoded X2"
  n=$((n + 1))
done < <(tshark -r "$T/s1.pcap" -d tcp.port==9999,5gli -Y "li5g.type==1" -T fields -e li5g.pld 2>/dev/null)
[ "$n" -gt 0 ] || fail "no X2 payload decoded"
echo "asn1c decoded $n X2 payloads"
grep -q "^X2 events" "$T/poi.out" || fail "no POI summary"

# Tasks and destinations persist: a restarted POI (no provisioning this time) intercepts the
# same way from its SQLite store.
mv "$T/s1.jsonl" "$T/s1.first.jsonl"; mv "$T/s2.jsonl" "$T/s2.first.jsonl"
"$B/x2x3_sink" --listen 127.0.0.1:$p1 --tls-ca "$T/pki/ca.pem" --tls-cert "$T/pki/mdf.pem" \
  --tls-key "$T/pki/mdf.key" --json "$T/s1.jsonl" 2>>"$T/sink1.log" &
pids+=($!); r1=$!
"$B/x2x3_sink" --listen 127.0.0.1:$p2 --insecure-plaintext --json "$T/s2.jsonl" 2>>"$T/sink2.log" &
pids+=($!); r2=$!
sleep 0.3
"$OVERT_BIN" poi --config "$T/poi.yaml" --pcap "$T/epc.pcap" >"$T/poi2.out" 2>"$T/poi2.log" \
  || fail "restarted POI exit status"
grep -q "3 task(s) loaded" "$T/poi2.log" || fail "tasks not reloaded: $(cat "$T/poi2.log")"
sleep 0.3
kill -TERM $r1 $r2; wait $r1 $r2 || true
check_records "after restart"
echo "1 passed, 0 failed"
