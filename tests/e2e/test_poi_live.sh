#!/usr/bin/env bash
# Live capture: the POI captures on the loopback interface (libpcap, default GTP filter, root
# dropped to an unprivileged user right after opening it) while a generated EPC capture is
# injected there; a task provisioned over X1 beforehand; X2/X3 counts equal the ground truth.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
if [ "$(id -u)" != 0 ]; then echo "SKIPPED: live capture needs root"; exit 0; fi
B=$OVERT_BUILD
T=$(mktemp -d /tmp/overt-e2e-live.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$T"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
wait_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; fail "timeout waiting for $1"; }

"$OVERT_BIN" pki init "$T/pki" >/dev/null
# Seed and scenario chosen so that every node address is distinct from 127.0.0.0/8 traffic.
"$B/epcgen" --scenario demo --seed 21 --targets 2 --out "$T/epc.pcap" >/dev/null
read -r imsiA _ _ < <(sed -n 1p "$T/epc.targets")
read -r _ msisdnB _ < <(sed -n 2p "$T/epc.targets")

"$B/x2x3_sink" --listen 127.0.0.1:0 --port-file "$T/s.port" --tls-ca "$T/pki/ca.pem" \
  --tls-cert "$T/pki/mdf.pem" --tls-key "$T/pki/mdf.key" --json "$T/s.jsonl" 2>"$T/sink.log" &
pids+=($!)
wait_file "$T/s.port"
mkdir -p "$T/state"; chown nobody "$T/state"
cat > "$T/poi.yaml" <<YAML
ne_identifier: epc-poi-live
capture:
  interface: lo
  buffer: 32MiB                    # the kernel must not drop frames while CI is busy
  user: nobody
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
"$OVERT_BIN" poi --config "$T/poi.yaml" --ready-file "$T/poi.port" >"$T/poi.out" 2>"$T/poi.log" &
poi=$!; pids+=($poi)
wait_file "$T/poi.port"
# The capturing process no longer runs as root.
[ "$(ps -o user= -p $poi | tr -d ' ')" = nobody ] || fail "POI still runs as $(ps -o user= -p $poi)"
x1() { "$OVERT_BIN" x1 --url "https://127.0.0.1:$(cat "$T/poi.port")/X1/NE" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id epc-poi-live "$@" >/dev/null 2>>"$T/x1.log"; }
did=11111111-1111-4111-8111-111111111111
xid=bbbbbbbb-0000-4000-8000-000000000001
x1 create-destination --did $did --addr 127.0.0.1 --port "$(cat "$T/s.port")" || fail "create destination"
x1 activate-task --xid $xid --imsi "$imsiA" --msisdn "$msisdnB" --delivery X2andX3 --did $did || fail "activate"

"$B/pcap_inject" "$T/epc.pcap" lo --pps 5000 >"$T/inject.log" 2>&1 || fail "inject"
cat > "$T/tasks.json" <<JSON
[{"xid": "$xid", "delivery": "X2andX3", "targets": [["imsi", "$imsiA"], ["msisdn", "$msisdnB"]]}]
JSON
/usr/bin/python3 "$OVERT_SRC/tests/e2e/lib/poi_truth.py" "$T/epc.truth.jsonl" "$T/tasks.json" > "$T/expected.json"
want=$(/usr/bin/python3 -c "import json;e=json.load(open('$T/expected.json'))['$xid'];print(e['x2']+e['x3'])")
[ "$want" -gt 0 ] || fail "vacuous: no expected records"
# SIGTERM makes a live POI process what the kernel captured, deliver it, then exit.
sleep 0.5
kill -TERM $poi; wait $poi || fail "POI exit status"
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true
got=$(grep -c '"type":"X[23]"' "$T/s.jsonl" || true)
[ "$got" = "$want" ] || fail "received $got X2/X3 PDUs, ground truth $want"
grep -q "^X3 packets" "$T/poi.out" || fail "no summary"
echo "live capture on lo: $got PDUs as in the ground truth"
echo "1 passed, 0 failed"
