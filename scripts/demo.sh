#!/usr/bin/env bash
# The end-to-end demo (`make demo`): a test PKI, a generated EPC capture with ground truth, the
# POI reading it, a task provisioned over X1 (mutual TLS), and an X2/X3 receiver whose capture
# tshark opens.  Everything runs on 127.0.0.1 in a temporary folder that is kept for reading.
set -euo pipefail
build=${1:-build}
build=$(cd "$build" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
overt=$build/overt
T=$(mktemp -d /tmp/overt-demo.XXXXXX)
chmod 755 "$T"   # the POI runs as an unprivileged user after start-up
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }
wait_file() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "timeout waiting for $1" >&2; return 1; }

say "test PKI (CA + admf/poi/mdf/lemf certificates) in $T/pki"
"$overt" pki init "$T/pki" >/dev/null

say "EPC capture: 50 subscribers attach, move, idle, dedicated bearers, detach"
"$build/epcgen" --scenario demo --targets 1 --seed 7 --out "$T/epc.pcap"
read -r imsi msisdn imei < "$T/epc.targets"
echo "target subscriber: IMSI $imsi (from the generator's ground truth)"

say "X2/X3 receiver (mutual TLS), recording what it receives for tshark"
"$build/x2x3_sink" --listen 127.0.0.1:0 --port-file "$T/sink.port" \
  --tls-ca "$T/pki/ca.pem" --tls-cert "$T/pki/mdf.pem" --tls-key "$T/pki/mdf.key" \
  --pcap "$T/x2x3.pcap" --pcap-port 9999 --json "$T/x2x3.jsonl" 2>"$T/sink.log" &
pids+=($!)
wait_file "$T/sink.port"
sink_port=$(cat "$T/sink.port")

mkdir -p "$T/state"
user_line=""
if [ "$(id -u)" = 0 ]; then
  # Root is dropped after the capture is opened; the task store must belong to that user.
  chown nobody "$T/state"; user_line="  user: nobody"
fi
cat > "$T/poi.yaml" <<YAML
ne_identifier: epc-poi-01
nfid: epc-poi-01
ipid: s11-s1u
capture:
$user_line
sessions:
  max: 100000
x1:
  listen: 127.0.0.1:0
  cert: $T/pki/poi.pem
  key: $T/pki/poi.key
  ca: $T/pki/ca.pem
  db: $T/state/poi-x1.db
  admf_identifiers: [admf]
x2x3:
  cert: $T/pki/poi.pem
  key: $T/pki/poi.key
  ca: $T/pki/ca.pem
YAML
[ -n "$user_line" ] || sed -i '/^capture:$/d' "$T/poi.yaml"

say "POI on the capture (holding until the task is provisioned)"
"$overt" poi --config "$T/poi.yaml" --pcap "$T/epc.pcap" --hold --ready-file "$T/poi.port" \
  >"$T/poi.summary" 2>"$T/poi.log" &
poi=$!; pids+=($poi)
wait_file "$T/poi.port"
x1="$overt x1 --url https://127.0.0.1:$(cat "$T/poi.port")/X1/NE --cert $T/pki/admf.pem \
  --key $T/pki/admf.key --ca $T/pki/ca.pem --admf-id admf --ne-id epc-poi-01"

say "X1: CreateDestination and ActivateTask (ETSI TS 103 221-1, mutual TLS)"
did=3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
xid=29f28e1c-f230-486a-a860-f5a784ab9172
$x1 create-destination --did $did --addr 127.0.0.1 --port "$sink_port" --name agency-1 >/dev/null
$x1 activate-task --xid $xid --imsi "$imsi" --delivery X2andX3 --did $did >/dev/null

kill -USR1 $poi
wait $poi || { echo "POI failed:"; cat "$T/poi.log"; exit 1; }
sleep 0.5
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true

say "POI summary"
cat "$T/poi.summary"

say "independent check: tshark on the X2/X3 stream"
tshark -r "$T/x2x3.pcap" -d tcp.port==9999,5gli -T fields -e li5g.type 2>/dev/null \
  | sort | uniq -c | awk '{printf "  %s PDUs of type %s (%s)\n", $1, $2, ($2==1?"X2 IRI":($2==2?"X3 CC":"keepalive"))}'
malformed=$(tshark -r "$T/x2x3.pcap" -d tcp.port==9999,5gli -Y _ws.malformed 2>/dev/null | wc -l)
echo "  malformed: $malformed"

say "files"
echo "  X2/X3 capture (tshark -r $T/x2x3.pcap -d tcp.port==9999,5gli -V): $T/x2x3.pcap"
echo "  X2/X3 records as JSON lines: $T/x2x3.jsonl"
echo "  generated EPC capture and ground truth: $T/epc.pcap, $T/epc.truth.jsonl"
echo "  logs: $T/poi.log $T/sink.log"
