#!/usr/bin/env bash
# End-to-end test of the X2/X3 receiver through the test sink (tools/x2x3_sink.c), driven by
# an independent client: Python's ssl module plus the reference PDU builder in
# shared/reference/x2x3/x2x3_pdu.py (not our encoder).  Checks, over mutual TLS:
#   - keepalives are acknowledged with the same sequence number;
#   - X2 and X3 PDUs arrive; tshark decodes the sink's pcap with no malformed frame and its
#     li5g fields equal what was sent; the JSON lines carry the same values;
#   - a client without a certificate and one with a foreign CA's certificate are refused;
#   - a connection sending a malformed PDU is dropped with its reason counted, while the good
#     connection keeps delivering;
#   - SIGTERM flushes the files and writes the final counters.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}"
SHARED=${OVERT_SHARED:-/work/shared}
SINK=$OVERT_BUILD/x2x3_sink
work=$(mktemp -d /tmp/overt-x2x3-e2e.XXXXXX)
sink_pid=
cleanup() { [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$work/sink.log" ] && tail -20 "$work/sink.log" >&2; exit 1; }

"$OVERT_BIN" pki init "$work/pki" --roles poi,mdf >/dev/null || fail "pki init"
"$OVERT_BIN" pki init "$work/other" --roles poi >/dev/null || fail "pki init other"
P=$work/pki
"$SINK" --listen 127.0.0.1:0 --port-file "$work/port" --tls-ca "$P/ca.pem" \
  --tls-cert "$P/mdf.pem" --tls-key "$P/mdf.key" --pcap "$work/out.pcap" --pcap-port 19399 \
  --json "$work/out.json" >"$work/sink.out" 2>"$work/sink.log" &
sink_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port") || fail "sink did not start"

/usr/bin/python3 - "$port" "$P" "$work/other" "$SHARED/reference/x2x3" >"$work/client.log" 2>&1 <<'PY' || fail "client: $(cat "$work/client.log")"
import socket, ssl, struct, sys, time
port, pki, other, ref = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sys.path.insert(0, ref)
from x2x3_pdu import *

def connect(ca, cert=None, key=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(s, server_hostname="localhost")

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError("closed after %d bytes" % len(b))
        b += d
    return b

def ipv4_udp():
    """A well-formed IPv4/UDP packet 100.64.0.5:40001 -> 198.51.100.7:40002 (20+8 octets)."""
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0,
                              bytes([100, 64, 0, 5]), bytes([198, 51, 100, 7])))
    c = sum(struct.unpack("!10H", bytes(h)))
    c = (c & 0xffff) + (c >> 16); c = (c & 0xffff) + (c >> 16)
    struct.pack_into("!H", h, 10, ~c & 0xffff)
    return bytes(h) + struct.pack("!HHHH", 40001, 40002, 8, 0)

XID = "29f28e1c-f230-486a-a860-f5a784ab9172"
good = connect(pki + "/ca.pem", pki + "/poi.pem", pki + "/poi.key")
# Keepalive -> ack with the same sequence number (STANDARDS 1.3).
good.sendall(keepalive(77))
ack = recv_exact(good, 48)
assert ack == keepalive_ack(77), ack.hex()
sent = []
for i in range(6):
    if i % 2 == 0:
        p = pdu(1, 2, 3, XID, 0x0102030405060708, attr_seq(i) + attr_ts(1736936430, i) +
                attr_mti("001010123456789"), xiri_mme_attach())
    else:
        p = pdu(2, 5, 2, XID, 0x0102030405060708, attr_seq(i) + attr_src4("100.64.0.5") +
                attr_dport(40002) + attr_ipproto(17), ipv4_udp())
    sent.append(p)
# Two PDUs in one write and one PDU split over two writes: the framer must cope.
good.sendall(sent[0] + sent[1])
good.sendall(sent[2][:10]); time.sleep(0.05); good.sendall(sent[2][10:])

# Refusals: no client certificate; certificate from another CA.
for cert in (None, other + "/poi.pem"):
    try:
        s = connect(pki + "/ca.pem", cert, cert and other + "/poi.key")
        s.sendall(keepalive(1))
        if s.recv(48):
            raise SystemExit("refused client got an answer")
    except (ssl.SSLError, ConnectionError, EOFError, OSError):
        pass

# A connection with a malformed PDU (header length 10) is dropped...
bad = connect(pki + "/ca.pem", pki + "/poi.pem", pki + "/poi.key")
bad.sendall(struct.pack("!HHII", 5, 1, 10, 0) + b"\0" * 28)
try:
    assert bad.recv(1) == b""
except (ssl.SSLError, ConnectionError):
    pass
# ...while the good one goes on.
good.sendall(sent[3] + sent[4] + sent[5])
good.sendall(keepalive(78))
assert recv_exact(good, 48) == keepalive_ack(78)
good.close()
print("client ok")
PY

sleep 0.2
kill -TERM "$sink_pid"; wait "$sink_pid" || fail "sink exit status"; sink_pid=

J=$work/out.json
[ "$(grep -c '"type":"X2"' "$J")" = 3 ] || fail "X2 count: $(cat "$J")"
[ "$(grep -c '"type":"X3"' "$J")" = 3 ] || fail "X3 count"
[ "$(grep -c '"type":"keepalive"' "$J")" = 2 ] || fail "keepalive count"
grep '"type":"X2"' "$J" | head -1 | grep -q '"peer_cn":"poi".*"xid":"29f28e1c-f230-486a-a860-f5a784ab9172".*"payload_len":67.*"seq":0,"ts_sec":1736936430,"ts_nsec":0.*"mti":"001010123456789"' \
  || fail "X2 JSON: $(grep '"type":"X2"' "$J" | head -1)"
grep '"type":"X3"' "$J" | sed -n 2p | grep -q '"format":5,"direction":2.*"seq":3,"src_ip":"100.64.0.5","dst_port":40002,"ipproto":17' \
  || fail "X3 JSON: $(grep '"type":"X3"' "$J" | sed -n 2p)"
final=$(tail -1 "$J")
echo "$final" | grep -q '"final":true,"x2":3,"x3":3,"keepalives":2,"acks_sent":2' || fail "final: $final"
echo "$final" | grep -q '"hdr_len":1' || fail "malformed connection not counted: $final"
echo "$final" | grep -Eq '"tls":[2-9]' || fail "TLS refusals not counted: $final"

# tshark, the independent decoder: nothing malformed, and the values that were sent.
[ -z "$(tshark -r "$work/out.pcap" -d tcp.port==19399,5gli -Y _ws.malformed 2>/dev/null)" ] || fail "malformed frames"
tshark -r "$work/out.pcap" -d tcp.port==19399,5gli -T fields -E separator='|' \
  -e li5g.type -e li5g.xid -e li5g.sq -e li5g.pf 2>/dev/null | sed 's/,[^|]*//g' >"$work/fields"
expect="3|00000000-0000-0000-0000-000000000000|77|0
1|29f28e1c-f230-486a-a860-f5a784ab9172|0|2
2|29f28e1c-f230-486a-a860-f5a784ab9172|1|5
1|29f28e1c-f230-486a-a860-f5a784ab9172|2|2
2|29f28e1c-f230-486a-a860-f5a784ab9172|3|5
1|29f28e1c-f230-486a-a860-f5a784ab9172|4|2
2|29f28e1c-f230-486a-a860-f5a784ab9172|5|5
3|00000000-0000-0000-0000-000000000000|78|0"
[ "$(cat "$work/fields")" = "$expect" ] || fail "tshark fields:
$(cat "$work/fields")"
[ "$(tshark -r "$work/out.pcap" -d tcp.port==19399,5gli -Y 'lix2.iMSI == "001010123456789"' 2>/dev/null | wc -l)" = 3 ] \
  || fail "xIRI payload not decoded by tshark"
echo "test_x2x3_sink: ok"
