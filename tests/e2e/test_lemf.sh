#!/usr/bin/env bash
# End-to-end test of `overt lemf` over loopback mutual TLS, fed by tools/hi_feed (PS-PDUs built
# with src/hi2's encoders, plus raw malformed bytes) and checked with tools we did not write:
# tshark reads the pcaps, Python's json module the IRI lines, asn1c's decoder the keep-alive
# responses, Python's ssl module plays the client without a certificate.  Checks:
#   - CC packets land in DIR/<LIID>/cc.pcap exactly once each (duplicates and out-of-order
#     PDUs, reads split at odd sizes), IPv4 and IPv6, with their original timestamps and
#     their direction (pcapng flags, read by tshark);
#   - IRI events land in iri.jsonl with their fields; IRI and CC of one LIID and CIN are
#     numbered separately (both from 0), neither taken for the other's duplicate; an LIID
#     with '/' gets an escaped name;
#   - a malformed PDU, a BER bomb (deep nesting), a huge inner length, an indefinite length:
#     each refused with a clear error and counted, and the next PDUs of the same connection are
#     still written; the refused bytes are kept under rejected/;
#   - garbage and an oversized outer header drop only their connection;
#   - refused peers: no client certificate, a certificate from another CA, a CN not in
#     tls.peers; a good connection keeps working afterwards;
#   - keep-alives are answered (same sequence number) and the answers decode with asn1c;
#   - no target identity in the log;
#   - `overt lemf report` exits 0 with no gap (--verify: files consistent with the state), then
#     1 with the gap listed once one exists.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
FEED=$OVERT_BUILD/hi_feed
work=$(mktemp -d /tmp/overt-lemf-e2e.XXXXXX)
lemf_pid=
cleanup() {
  if [ -n "$lemf_pid" ]; then kill "$lemf_pid" 2>/dev/null || true; wait "$lemf_pid" 2>/dev/null || true; fi
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/lemf.log" ] && tail -30 "$work/lemf.log" >&2; exit 1; }

"$OVERT_BIN" pki init "$work/pki" --roles lemf,mdf,poi >/dev/null || fail "pki init"
"$OVERT_BIN" pki init "$work/other" --roles mdf >/dev/null || fail "pki init other"
P=$work/pki
OUT=$work/out
{
  echo "output_dir: $OUT"
  echo "listen:"
  echo "  - {name: hi2, address: 127.0.0.1:0}"
  echo "  - {name: hi3, address: 127.0.0.1:0}"
  echo "tls: {cert: $P/lemf.pem, key: $P/lemf.key, ca: $P/ca.pem, peers: [mdf]}"
  echo "storage: {fsync: true, commit_interval_ms: 200}"
} >"$work/lemf.yaml"
"$OVERT_BIN" lemf --config "$work/lemf.yaml" -n >/dev/null || fail "config check"

start_lemf() {
  rm -f "$work/ready"
  "$OVERT_BIN" lemf --config "$work/lemf.yaml" --ready-file "$work/ready" \
    >>"$work/counters.jsonl" 2>>"$work/lemf.log" &
  lemf_pid=$!
  for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.05; done
  [ -s "$work/ready" ] || fail "lemf did not start"
  HI2=$(awk '$1=="hi2"{print $2}' "$work/ready")
  HI3=$(awk '$1=="hi3"{print $2}' "$work/ready")
}
stop_lemf() {
  kill -TERM "$lemf_pid"
  wait "$lemf_pid" || fail "lemf exit status $?"
  lemf_pid=
}
# feed PORT [DIR ROLE [hi_feed options]] < script: connect with DIR/ROLE.pem as our certificate
feed() {
  local port=$1 dir=${2:-$P} role=${3:-mdf}
  "$FEED" --connect "127.0.0.1:$port" --ca "$P/ca.pem" --cert "$dir/$role.pem" \
    --key "$dir/$role.key" "${@:4}" -
}

# Malformed PDUs whose outer header is sane: the stream must go on after each.
printf '\x30\x02\x05\x00' >"$work/bad_schema.ber"
/usr/bin/python3 -c '
import sys
depth = 60   # the decoder allows 24 levels
inner = b"".join(bytes([0xa0, 2 * (depth - i - 1)]) for i in range(depth))
open(sys.argv[1], "wb").write(b"\x30\x82" + len(inner).to_bytes(2, "big") + inner)
' "$work/bomb_deep.ber"

start_lemf

# ---- 1. CC on the HI3 port: split reads, duplicates, out of order, bad PDUs in between.
printf '%s\n' \
  "chunk 7" "cc LIID-1 7 0-4" "chunk 0" "cc LIID-1 7 5-99" \
  "cc LIID-1 7 50-59" "cc LIID-1 7 150-159" "cc LIID-1 7 100-149" \
  "file $work/bad_schema.ber" "file $work/bomb_deep.ber" \
  "raw 30060484ffffffff" "raw 300430800000" \
  "cc LIID-1 7 160-199 v6 len=200" "keepalive LIID-1 7 1000" >"$work/s1"
feed "$HI3" <"$work/s1" >"$work/feed1.out" 2>&1 || fail "feed 1: $(cat "$work/feed1.out")"
grep -qx "ack 1000" "$work/feed1.out" || fail "no keep-alive response on HI3"

# ---- 2. IRI on the HI2 port; the keep-alive responses are kept for asn1c.
printf '%s\n' \
  "iri LIID-1 7 0-9 imsi=001010123456789 msisdn=447700900123 imei=356938035643809 apn=internet.mnc001.mcc001.gprs paa4=100.64.0.5 ebi=5 rat=6 uli=1800f110000100f11000000101" \
  "iri LIID/2 1 0-2 event=16 imsi=001010000000002" \
  "keepalive LIID-1 8 5" "keepalive LIID/2 1 77" >"$work/s2"
feed "$HI2" "$P" mdf --save-rx "$work/rx.ber" <"$work/s2" >"$work/feed2.out" 2>&1 \
  || fail "feed 2: $(cat "$work/feed2.out")"
[ "$(cat "$work/feed2.out")" = "$(printf 'ack 5\nack 77')" ] || fail "keep-alive responses: $(cat "$work/feed2.out")"

# ---- 3. Refusals.  No client certificate (Python ssl), another CA, a CN not in tls.peers.
/usr/bin/python3 -c '
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(sys.argv[2])
try:
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5),
                        server_hostname="localhost")
    s.sendall(b"\x30\x00")
    if s.recv(1) != b"":
        sys.exit("a client without a certificate got data")
except (ssl.SSLError, ConnectionError, OSError):
    pass
' "$HI2" "$P/ca.pem" || fail "client without certificate was not refused"
echo expect-close | feed "$HI2" "$work/other" mdf >"$work/feed3.out" 2>&1 \
  || grep -q "handshake\|closed" "$work/feed3.out" || fail "foreign CA: $(cat "$work/feed3.out")"
echo expect-close | feed "$HI2" "$P" poi >"$work/feed4.out" 2>&1 || true
grep -qx closed "$work/feed4.out" || grep -q "closed\|handshake" "$work/feed4.out" || fail "CN poi: $(cat "$work/feed4.out")"
# Garbage, and an outer header over the size limit: only that connection is dropped.
printf 'raw 474554202f20485454502f312e310d0a\nexpect-close\n' | feed "$HI3" >"$work/feed5.out" 2>&1 \
  || fail "garbage: $(cat "$work/feed5.out")"
printf 'cc LIID-1 9 0\nraw 30847fffffff\nexpect-close\n' | feed "$HI3" >"$work/feed6.out" 2>&1 \
  || fail "oversized: $(cat "$work/feed6.out")"
{ echo "cc LIID-1 9 1"; for i in $(seq 1 150); do echo "keepalive-nowait KEEPALIVE 0 $i"; done; echo "wait-acks 150"; } \
  | feed "$HI3" >"$work/feed7.out" 2>&1 \
  || fail "good connection after the refusals, 150 keep-alives in a burst: $(cat "$work/feed7.out")"

# ---- Report while running (committed state), then stop (final commit, counters).
"$OVERT_BIN" lemf report --dir "$OUT" --verify >"$work/report1.txt" || fail "report: $(cat "$work/report1.txt")"
stop_lemf
C=$(tail -1 "$work/counters.jsonl")

/usr/bin/python3 -c '
import json, sys
c = json.loads(sys.argv[1])
assert c["final"] is True
L = {l["name"]: l for l in c["listeners"]}
h2, h3, st = L["hi2"], L["hi3"], c["store"]
def eq(a, b, what):
    if a != b:
        sys.exit("%s: %r != %r" % (what, a, b))
eq(h3["pdus"]["cc"], 200 + 10 + 2, "hi3 CC PDUs decoded")
eq(h3["stored"], 202, "hi3 stored")
eq(h3["duplicates"], 10, "hi3 duplicates")
eq(h3["refused"]["tag"], 1, "schema refusal")
eq(h3["refused"]["ber"], 3, "BER refusals")
eq(h3["ber"], {"truncated": 1, "indefinite": 1, "too_deep": 1}, "BER detail")
eq(h3["refused"]["framing"], 1, "framing")
eq(h3["refused"]["too_big"], 1, "oversized")
eq(h3["dropped_framing"], 2, "connections dropped for framing")
eq(h3["keepalives"], 151, "hi3 keep-alives")
eq(h3["responses"], 151, "hi3 responses")
eq(h2["pdus"]["iri"], 13, "hi2 IRI PDUs")
eq(h2["responses"], 2, "hi2 responses")
if h2["tls_failed"] < 2:
    sys.exit("TLS refusals not counted: %r" % h2)
eq(h2["identity_refused"], 1, "CN refusal")
eq(st["cc_records"], 202, "CC records")
eq(st["iri_records"], 13, "IRI records")
eq(st["rejected_saved"], 4, "refused PDUs kept")
eq(st["cc_no_time"], 0, "packets without their own time")
' "$C" || fail "counters: $C"
[ "$(ls "$OUT/rejected" | wc -l)" = 4 ] || fail "rejected/ holds $(ls "$OUT/rejected" | wc -l) files"
cmp -s "$work/bomb_deep.ber" "$(grep -l . "$OUT"/rejected/* | xargs ls -S | head -1)" || fail "bomb bytes not kept"
grep -q "PDU of 124 octets refused .*skipped: PS-PDU: malformed BER: nesting too deep" "$work/lemf.log" || fail "no clear error for the BER bomb"
grep -q "refused .*PS-PDU: unexpected or missing element" "$work/lemf.log" || fail "schema error not logged"
grep -q "certificate CN 'poi' is not in tls.peers" "$work/lemf.log" || fail "CN refusal not logged"
grep -q "dropped: PDU boundary lost: PS-PDU header: PDU larger than the configured maximum" "$work/lemf.log" \
  || fail "oversized PDU not logged"
if grep -q "001010123456789\|447700900123" "$work/lemf.log"; then fail "a target identity was logged"; fi

# ---- tshark reads the pcap: every packet once, original timestamps, IPv4 and IPv6.
PC=$OUT/LIID-1/cc.pcap
[ -z "$(tshark -r "$PC" -Y _ws.malformed 2>/dev/null)" ] || fail "tshark: malformed packets"
tshark -r "$PC" -T fields -E separator=, -e frame.time_epoch -e ip.id -e ipv6.flow \
  -e frame.packet_flags_direction \
  2>/dev/null >"$work/fields" || fail "tshark cannot read $PC"
/usr/bin/python3 -c '
import sys
seen = {}
for line in open(sys.argv[1]):
    t, ipid, flow, direction = line.strip().split(",")
    seq = int(ipid or flow, 16 if (ipid or flow).startswith("0x") else 10)
    # hi_feed sends odd numbers to the target (pcapng inbound, 1), even ones from it (2)
    if int(direction or "0", 0) != (1 if seq % 2 else 2):
        sys.exit("packet %d: direction %r" % (seq, direction))
    if seq in seen and seq > 1:
        sys.exit("packet %d twice" % seq)
    seen.setdefault(seq, []).append(float(t))
if set(seen) != set(range(200)):
    sys.exit("sequence numbers: missing %s extra %s" % (sorted(set(range(200)) - set(seen))[:10],
             sorted(set(seen) - set(range(200)))[:10]))
for s, ts in seen.items():
    for t in ts:
        # hi_feed stamps PDU n with 1736936430 s + n ms: the pcap must show that time
        if abs(t - (1736936430 + s / 1000.0)) > 1e-6:
            sys.exit("packet %d at %f, sent with %f" % (s, t, 1736936430 + s / 1000.0))
' "$work/fields" || fail "pcap contents"
[ "$(tshark -r "$PC" -Y ipv6 2>/dev/null | wc -l)" = 40 ] || fail "IPv6 packets"
[ "$(tshark -r "$PC" 2>/dev/null | wc -l)" = 202 ] || fail "packet count"

# ---- IRI lines.
/usr/bin/python3 -c '
import json, sys, os
out = sys.argv[1]
lines = [json.loads(l) for l in open(os.path.join(out, "LIID-1", "iri.jsonl"))]
assert len(lines) == 10, len(lines)
assert sorted(l["seq"] for l in lines) == list(range(10))
l = lines[0]
want = {"liid": "LIID-1", "cin": 7, "iri_type": "BEGIN", "event": "bearerActivation",
        "event_code": 18, "imsi": "001010123456789", "msisdn": "447700900123",
        "imei": "356938035643809", "apn": "internet.mnc001.mcc001.gprs", "ebi": 5,
        "rat": "EUTRAN", "paa": {"pdn_type": "IPv4", "ipv4": "100.64.0.5"}}
for k, v in want.items():
    assert l[k] == v, (k, l.get(k))
assert l["uli"]["tai"] == {"mcc": "001", "mnc": "01", "tac": 1}, l["uli"]
assert l["uli"]["ecgi"]["eci"] == 257, l["uli"]
assert l["time"] == "2025-01-15T10:20:30.000000Z", l["time"]
odd = [json.loads(x) for x in open(os.path.join(out, "LIID%2F2", "iri.jsonl"))]
assert [x["liid"] for x in odd] == ["LIID/2"] * 3 and odd[0]["event"] == "e-UTRANAttach", odd
assert odd[0]["iri_type"] == "REPORT", odd[0]
' "$OUT" || fail "IRI JSON"

# ---- asn1c decodes the keep-alive responses the LEMF sent.
bash "$OVERT_SRC/scripts/build-asn1dec.sh" "$OVERT_BUILD/asn1dec" 2>"$work/asn1.log" \
  || fail "asn1c decoder unavailable: $(cat "$work/asn1.log")"
"$OVERT_BUILD/asn1dec/progname" -iber -oxer -c "$work/rx.ber" >"$work/rx.xer" 2>&1 \
  || fail "asn1c refused the responses: $(head "$work/rx.xer")"
[ "$(grep -c '<keep-aliveResponse' "$work/rx.xer")" = 2 ] || fail "asn1c: $(cat "$work/rx.xer")"
grep -q '<sequenceNumber>77</sequenceNumber>' "$work/rx.xer" || fail "response sequence number"

# ---- The report: no gap, files verified; then a gap appears and is reported.
grep -q "^total: 2 LIIDs, 4 streams, 215 PDUs, 10 duplicates dropped, 0 gaps" "$work/report1.txt" || fail "report: $(cat "$work/report1.txt")"
[ "$(grep -c "files: verified" "$work/report1.txt")" = 2 ] || fail "verify: $(cat "$work/report1.txt")"
start_lemf
# IRI and CC numbered together by a sender (one sequence for both): no false gap.
printf 'iri JOINT 1 0-4\ncc JOINT 1 5-9\niri JOINT 1 10\nkeepalive JOINT 1 0\n' | feed "$HI3" >/dev/null || fail "joint feed"
"$OVERT_BIN" lemf report --dir "$OUT" >"$work/report15.txt" || fail "joint numbering reported as a gap: $(cat "$work/report15.txt")"
grep -q 'CIN 1 IRI+CC: 11 PDUs, seq 0..10, 0 duplicates dropped, no gap' "$work/report15.txt" \
  || fail "joint numbering: $(cat "$work/report15.txt")"
printf 'cc GAP 1 0-9\ncc GAP 1 15-19\nkeepalive GAP 1 0\n' | feed "$HI3" >/dev/null || fail "gap feed"
set +e
"$OVERT_BIN" lemf report --dir "$OUT" >"$work/report2.txt"
rc=$?
"$OVERT_BIN" lemf report --dir "$OUT" --json >"$work/report2.json"
set -e
[ "$rc" = 1 ] || fail "report exit status $rc with a gap: $(cat "$work/report2.txt")"
grep -q 'CIN 1 CC: 15 PDUs, seq 0..19, 0 duplicates dropped, 1 gaps (5 missing): 10-14' "$work/report2.txt" \
  || fail "gap not listed: $(cat "$work/report2.txt")"
/usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
g = [s for l in r["liids"] if l["liid"] == "GAP" for s in l["streams"]]
assert g[0]["gaps"] == [[10, 14]] and r["total"]["gaps"] == 1, r
' "$work/report2.json" || fail "JSON report"
stop_lemf
echo "test_lemf: ok"
