#!/usr/bin/env bash
# The end-to-end demo (`make demo`): a test PKI, a generated EPC capture with ground truth, the
# POI reading it, the MDF mediating X2/X3 into HI2/HI3, and one agency's LEMF writing the
# target's packets (pcap) and IRI events (JSON lines); everything provisioned over X1 with
# mutual TLS, on 127.0.0.1, in a temporary folder that is kept for reading.
set -euo pipefail
build=${1:-build}
build=$(cd "$build" && pwd)
overt=$build/overt
T=$(mktemp -d /tmp/overt-demo.XXXXXX)
chmod 755 "$T"   # the POI and the MDF run as an unprivileged user after start-up
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

mkdir -p "$T/state"
user=""
if [ "$(id -u)" = 0 ]; then chown nobody "$T/state"; user=nobody; fi

say "the agency's LEMF (mutual TLS): HI2 and HI3 listeners"
cat > "$T/lemf.yaml" <<YAML
output_dir: $T/agency
listen:
  - {name: hi2, address: '127.0.0.1:0'}
  - {name: hi3, address: '127.0.0.1:0'}
tls: {cert: $T/pki/lemf.pem, key: $T/pki/lemf.key, ca: $T/pki/ca.pem, peers: [mdf]}
YAML
"$overt" lemf --config "$T/lemf.yaml" --ready-file "$T/lemf.ready" >/dev/null 2>"$T/lemf.log" &
lemf=$!; pids+=($lemf)
wait_file "$T/lemf.ready"

say "the MDF: X1, X2/X3 in (mutual TLS), HI2/HI3 out (mutual TLS), spools in $T/state"
cat > "$T/mdf.yaml" <<YAML
ne_identifier: mdf-01
${user:+user: $user}
state_dir: $T/state/mdf
operator_id: ovt
network_element_id: mdf-01
x1: {listen: '127.0.0.1:0', cert: $T/pki/mdf.pem, key: $T/pki/mdf.key, ca: $T/pki/ca.pem,
     db: $T/state/mdf-x1.db, admf_identifiers: [admf]}
x2x3: {listen: '127.0.0.1:0', cert: $T/pki/mdf.pem, key: $T/pki/mdf.key, ca: $T/pki/ca.pem,
       accepted_pois: [poi]}
hi: {cert: $T/pki/mdf.pem, key: $T/pki/mdf.key, ca: $T/pki/ca.pem}
YAML
"$overt" mdf --config "$T/mdf.yaml" --ready-file "$T/mdf.ready" \
  --status-file "$T/state/mdf.status" >"$T/mdf.summary" 2>"$T/mdf.log" &
mdf=$!; pids+=($mdf)
wait_file "$T/mdf.ready"

say "an X2/X3 recorder (mutual TLS) as the POI's second destination, for tshark"
"$build/x2x3_sink" --listen 127.0.0.1:0 --port-file "$T/sink.port" \
  --tls-ca "$T/pki/ca.pem" --tls-cert "$T/pki/mdf.pem" --tls-key "$T/pki/mdf.key" \
  --pcap "$T/x2x3.pcap" --pcap-port 9999 --json "$T/x2x3.jsonl" 2>"$T/sink.log" &
sink=$!; pids+=($sink)
wait_file "$T/sink.port"

cat > "$T/poi.yaml" <<YAML
ne_identifier: epc-poi-01
${user:+capture: {user: $user\}}
sessions: {max: 100000}
x1: {listen: '127.0.0.1:0', cert: $T/pki/poi.pem, key: $T/pki/poi.key, ca: $T/pki/ca.pem,
     db: $T/state/poi-x1.db, admf_identifiers: [admf]}
x2x3: {cert: $T/pki/poi.pem, key: $T/pki/poi.key, ca: $T/pki/ca.pem}
YAML
say "POI on the capture (holding until the task is provisioned)"
"$overt" poi --config "$T/poi.yaml" --pcap "$T/epc.pcap" --hold --ready-file "$T/poi.port" \
  >"$T/poi.summary" 2>"$T/poi.log" &
poi=$!; pids+=($poi)
wait_file "$T/poi.port"

x1() { local url=$1; shift; "$overt" x1 --url "$url" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf "$@" >/dev/null; }
mdf_x1="https://127.0.0.1:$(awk -F= '$1=="x1"{print $2}' "$T/mdf.ready")/X1/NE"
poi_x1="https://127.0.0.1:$(cat "$T/poi.port")/X1/NE"
xid=29f28e1c-f230-486a-a860-f5a784ab9172
hi2=a2a2a2a2-0000-4000-8000-000000000001
hi3=a3a3a3a3-0000-4000-8000-000000000001
mdfd=3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
sinkd=5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b

say "X1 to the MDF: the agency's HI2 and HI3 destinations, the task with its LIID"
x1 "$mdf_x1" --ne-id mdf-01 create-destination --did $hi2 --addr 127.0.0.1 \
  --port "$(awk '$1=="hi2"{print $2}' "$T/lemf.ready")" --delivery X2Only --name agency-hi2
x1 "$mdf_x1" --ne-id mdf-01 create-destination --did $hi3 --addr 127.0.0.1 \
  --port "$(awk '$1=="hi3"{print $2}' "$T/lemf.ready")" --delivery X3Only --name agency-hi3
x1 "$mdf_x1" --ne-id mdf-01 activate-task --xid $xid --imsi "$imsi" --delivery X2andX3 \
  --liid DEMO-LIID-1 --mediation-delivery HI2andHI3 --mediation-dest $hi2 --mediation-dest $hi3
say "X1 to the POI: the MDF as destination, the same task"
x1 "$poi_x1" --ne-id epc-poi-01 create-destination --did $mdfd --addr 127.0.0.1 \
  --port "$(awk -F= '$1=="x2x3"{print $2}' "$T/mdf.ready")" --name mdf-01
x1 "$poi_x1" --ne-id epc-poi-01 create-destination --did $sinkd --addr 127.0.0.1 \
  --port "$(cat "$T/sink.port")" --name x2x3-recorder
x1 "$poi_x1" --ne-id epc-poi-01 activate-task --xid $xid --imsi "$imsi" --delivery X2andX3 \
  --did $mdfd --did $sinkd

kill -USR1 $poi
wait $poi || { echo "POI failed:"; cat "$T/poi.log"; exit 1; }
# The MDF is done when it has mediated every PDU the POI sent and the agency acknowledged all
# of it (the status file is rewritten every second).
sent=$(awk '$1=="task"{print $4 + $6}' "$T/poi.summary")
for _ in $(seq 1 100); do
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))
sys.exit(0 if s["mediated"] >= int(sys.argv[2]) and s["pending"] == 0 else 1)' \
    "$T/state/mdf.status" "$sent" 2>/dev/null && break
  sleep 0.1
done
kill -TERM $mdf; wait $mdf || true
kill -TERM $lemf; wait $lemf || true
kill -TERM $sink; wait $sink || true

say "POI summary"; cat "$T/poi.summary"
say "MDF summary"; cat "$T/mdf.summary"
say "the agency's view (overt lemf report): records, duplicates, gaps"
"$overt" lemf report --dir "$T/agency" || true
say "independent check: capinfos (Wireshark) on the agency's pcap"
capinfos -c -d "$T/agency/DEMO-LIID-1/cc.pcap" 2>/dev/null | tail -2 || true

say "independent check: tshark's 5gli dissector on the X2/X3 stream"
tshark -r "$T/x2x3.pcap" -d tcp.port==9999,5gli -T fields -e li5g.type 2>/dev/null \
  | sort | uniq -c | awk '{printf "  %s PDUs of type %s (%s)\n", $1, $2, ($2==1?"X2 IRI":($2==2?"X3 CC":"keepalive"))}'
echo "  malformed: $(tshark -r "$T/x2x3.pcap" -d tcp.port==9999,5gli -Y _ws.malformed 2>/dev/null | wc -l)"

say "files"
echo "  the agency's pcap of the target's packets:  $T/agency/DEMO-LIID-1/cc.pcap"
echo "  the agency's IRI events (JSON lines):      $T/agency/DEMO-LIID-1/iri.jsonl"
echo "  X2/X3 stream (tshark -r F -d tcp.port==9999,5gli -V): $T/x2x3.pcap"
echo "  generated EPC capture and ground truth:     $T/epc.pcap, $T/epc.truth.jsonl"
echo "  logs: $T/poi.log $T/mdf.log $T/lemf.log"
