#!/usr/bin/env bash
# End-to-end over loopback: POI on a generated EPC capture -> MDF -> two agencies' LEMFs
# (`overt lemf`), everything provisioned over X1 with mutual TLS.  Agency A has separate HI2
# and HI3 destinations (mutual TLS); agency B one destination carrying both (two connections
# to one address), explicitly configured insecure_plaintext.  One task goes to both agencies
# under two LIIDs, one only to A (HI2 only), one only to B (HI3 only).
# Checked: the LEMFs' pcaps hold exactly the targets' packets of the ground truth (byte for
# byte, as a multiset), the IRI JSON exactly the expected events per target, no gap and no
# duplicate in the LEMFs' reports, every PS-PDU the MDF sent (its --tap-dir test mode)
# decodes with the asn1c-compiled decoder with constraints checked, and hostile X2/X3 input
# (garbage, truncated, oversized, unknown format, bad GTP-U/IRI, unknown XID, a POI not in
# accepted_pois) is refused and counted without disturbing the POI's delivery.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
B=$OVERT_BUILD
T=$(mktemp -d /tmp/overt-e2e-mdf.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$T"/*.log; do echo "--- $f"; tail -20 "$f"; done >&2; exit 1; }
wait_file() { for _ in $(seq 1 200); do [ -s "$1" ] && return 0; sleep 0.05; done; fail "timeout waiting for $1"; }
status() { /usr/bin/python3 -c "import json,sys; print(eval(sys.argv[2], {}, {'s': json.load(open(sys.argv[1]))}))" "$T/state/mdf.status" "$1"; }

"$OVERT_BIN" pki init "$T/pki" >/dev/null
"$B/epcgen" --scenario mixed --seed 11 --targets 4 --out "$T/epc.pcap" >/dev/null
mapfile -t tg < "$T/epc.targets"
read -r imsiA _ _ <<<"${tg[0]}"
read -r _ msisdnB _ <<<"${tg[1]}"
read -r _ _ imeiC <<<"${tg[2]}"
read -r imsiD _ _ <<<"${tg[3]}"

mkdir -p "$T/state" "$T/tap"
userline=""; capline=""
if [ "$(id -u)" = 0 ]; then
  chown nobody "$T/state" "$T/tap"; userline="user: nobody"; capline="capture: {user: nobody}"
fi

# ---- the agencies
cat > "$T/lemfA.yaml" <<YAML
output_dir: $T/lemfA
listen:
  - {name: hi2, address: '127.0.0.1:0'}
  - {name: hi3, address: '127.0.0.1:0'}
tls: {cert: $T/pki/lemf.pem, key: $T/pki/lemf.key, ca: $T/pki/ca.pem, peers: [mdf]}
YAML
cat > "$T/lemfB.yaml" <<YAML
output_dir: $T/lemfB
listen:
  - {name: hi, address: '127.0.0.1:0'}
insecure_plaintext: true
YAML
for a in A B; do
  "$OVERT_BIN" lemf --config "$T/lemf$a.yaml" --ready-file "$T/lemf$a.ready" >/dev/null \
    2>"$T/lemf$a.log" &
  pids+=($!)
done
wait_file "$T/lemfA.ready"; wait_file "$T/lemfB.ready"
pA2=$(awk '$1=="hi2"{print $2}' "$T/lemfA.ready"); pA3=$(awk '$1=="hi3"{print $2}' "$T/lemfA.ready")
pB=$(awk '$1=="hi"{print $2}' "$T/lemfB.ready")

# ---- the MDF
cat > "$T/mdf.yaml" <<YAML
ne_identifier: mdf-01
$userline
state_dir: $T/state/mdf
operator_id: ovt
network_element_id: mdf-01
authorization_country: DE
x1: {listen: '127.0.0.1:0', cert: $T/pki/mdf.pem, key: $T/pki/mdf.key, ca: $T/pki/ca.pem,
     db: $T/state/mdf-x1.db, admf_identifiers: [admf]}
x2x3: {listen: '127.0.0.1:0', cert: $T/pki/mdf.pem, key: $T/pki/mdf.key, ca: $T/pki/ca.pem,
       accepted_pois: [poi]}
hi:
  cert: $T/pki/mdf.pem
  key: $T/pki/mdf.key
  ca: $T/pki/ca.pem
  destinations:
    - {address: '127.0.0.1:$pB', insecure_plaintext: true}
YAML
"$OVERT_BIN" mdf --config "$T/mdf.yaml" -n >/dev/null || fail "mdf -n"
"$OVERT_BIN" mdf --config "$T/mdf.yaml" --ready-file "$T/mdf.ready" \
  --status-file "$T/state/mdf.status" --tap-dir "$T/tap" >"$T/mdf.out" 2>"$T/mdf.log" &
mdf=$!; pids+=($mdf)
wait_file "$T/mdf.ready"
if [ "$(id -u)" = 0 ]; then
  [ "$(ps -o user= -p $mdf | tr -d ' ')" = nobody ] || fail "MDF still runs as root"
fi
mx1=$(awk -F= '$1=="x1"{print $2}' "$T/mdf.ready"); mx2=$(awk -F= '$1=="x2x3"{print $2}' "$T/mdf.ready")
x1m() { "$OVERT_BIN" x1 --url "https://127.0.0.1:$mx1/X1/NE" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id mdf-01 "$@" \
  >"$T/x1.out" 2>>"$T/x1.log"; }
dA2=a2a2a2a2-0000-4000-8000-000000000001
dA3=a3a3a3a3-0000-4000-8000-000000000001
dB=bbbbbbbb-0000-4000-8000-000000000001
x1=11111111-0000-4000-8000-000000000001
x2=11111111-0000-4000-8000-000000000002
x3=11111111-0000-4000-8000-000000000003
x1m create-destination --did $dA2 --addr 127.0.0.1 --port "$pA2" --delivery X2Only || fail "dA2"
x1m create-destination --did $dA3 --addr 127.0.0.1 --port "$pA3" --delivery X3Only || fail "dA3"
x1m create-destination --did $dB --addr 127.0.0.1 --port "$pB" --delivery X2andX3 || fail "dB"
x1m activate-task --xid $x1 --imsi "$imsiA" --msisdn "$msisdnB" --delivery X2andX3 \
  --liid LIID-A1 --mediation-delivery HI2andHI3 --mediation-dest $dA2 --mediation-dest $dA3 \
  --liid LIID-B1 --mediation-delivery HI2andHI3 --mediation-dest $dB || fail "task 1"
x1m activate-task --xid $x2 --imei "$imeiC" --delivery X2Only \
  --liid LIID-A2 --mediation-delivery HI2Only --mediation-dest $dA2 || fail "task 2"
x1m activate-task --xid $x3 --imsi "$imsiD" --delivery X3Only \
  --liid LIID-B3 --mediation-delivery HI3Only --mediation-dest $dB || fail "task 3"
# Refused: a LIID a PS-PDU cannot carry (26..50 hex digits are valid TS 103 280 LIIDs), an
# unknown destination, a HI3-only destination for HI2.
if x1m activate-task --xid 11111111-0000-4000-8000-000000000009 --imsi 001010000000001 \
  --delivery X2andX3 --liid 0123456789abcdef0123456789abcdef --mediation-delivery HI2Only \
  --mediation-dest $dA2; then fail "long LIID accepted"; fi
grep -q "errorCode>3000<" "$T/x1.out" || fail "long LIID: not error 3000"
if x1m activate-task --xid 11111111-0000-4000-8000-000000000009 --imsi 001010000000001 \
  --delivery X2andX3 --liid L9 --mediation-delivery HI2Only \
  --mediation-dest 99999999-9999-4999-8999-999999999999; then fail "unknown dId accepted"; fi
if x1m activate-task --xid 11111111-0000-4000-8000-000000000009 --imsi 001010000000001 \
  --delivery X2andX3 --liid L9 --mediation-delivery HI2Only --mediation-dest $dA3; then
  fail "HI2 to an X3Only destination accepted"; fi
x1m get-task --xid $x1 || fail "get-task"
grep -q "LIID-B1" "$T/x1.out" || fail "GetTaskDetails lacks the mediation details"

# ---- hostile X2/X3 first: every bad connection is dropped and counted, the MDF goes on
/usr/bin/python3 - "$T" "$mx2" "$x1" <<'PY' || fail "bad-input client"
import socket, ssl, struct, sys, time, uuid
T, port, xid = sys.argv[1], int(sys.argv[2]), uuid.UUID(sys.argv[3]).bytes
def conn(role="poi"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(f"{T}/pki/ca.pem")
    ctx.load_cert_chain(f"{T}/pki/{role}.pem", f"{T}/pki/{role}.key")
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1")
    s.settimeout(5)
    return s
def pdu(typ, fmt, direction, x, payload, seq=0, corr=1):
    attrs = struct.pack(">HHI", 8, 4, seq) + struct.pack(">HHII", 9, 8, 1735689600, 0)
    return struct.pack(">HHIIHH", 5, typ, 40 + len(attrs), len(payload), fmt, direction) + \
        x + struct.pack(">Q", corr) + attrs + payload
def dropped(s):
    try:
        while s.recv(4096):
            pass
    except (ssl.SSLError, OSError):
        pass
    s.close()
def stays(s, data):
    s.sendall(data)
    time.sleep(0.3)
    s.close()
# connection-level refusals
s = conn(); s.sendall(b"\xff" * 64); dropped(s)                                  # garbage
s = conn(); s.sendall(pdu(1, 14, 5, xid, b"\x30" * 100)[:60]); s.shutdown(socket.SHUT_WR); dropped(s)  # truncated
s = conn(); s.sendall(struct.pack(">HHIIHH", 5, 1, 40, 100 << 20, 14, 5) + bytes(28)); dropped(s)  # oversized
s = conn(); s.sendall(pdu(1, 14, 5, xid, b"")[:12] + struct.pack(">HH", 14, 9) + bytes(60)); dropped(s)  # bad direction
# PDU-level refusals on a connection that stays up
stays(conn(), pdu(1, 14, 5, uuid.uuid4().bytes, b"\x01", seq=1))          # no task
stays(conn(), pdu(1, 9, 5, xid, b"REGISTER sip:x SIP/2.0\r\n\r\n", seq=2))  # SIP: not mediated
stays(conn(), pdu(1, 14, 5, xid, b"\xa1\x03\x80\x01\x00", seq=3))           # not EpsIRIContent
stays(conn(), pdu(2, 12, 3, xid, b"\x30\xff\x00\x04\x00\x00\x00\x01", seq=4))  # not a G-PDU
stays(conn(), pdu(2, 7, 3, xid, bytes(60), seq=5))                          # Ethernet: not mediated
# CN not in accepted_pois: closed right after the handshake, before any PDU is read
try:
    s = conn("lemf"); s.sendall(pdu(2, 5, 3, xid, bytes([0x45]) + bytes(27), seq=6)); dropped(s)
except (ssl.SSLError, OSError):
    pass
PY
sleep 1.2
[ "$(status "s['drops'].get('no_task', 0)")" -ge 1 ] || fail "no_task not counted"
[ "$(status "s['drops'].get('payload_format', 0)")" -ge 2 ] || fail "payload_format not counted"
[ "$(status "s['drops'].get('bad_iri', 0)")" -ge 1 ] || fail "bad_iri not counted"
[ "$(status "s['drops'].get('bad_gtpu', 0)")" -ge 1 ] || fail "bad_gtpu not counted"
[ "$(status "s['x2x3']['dropped'].get('peer_refused', 0)")" = 1 ] || fail "POI not in accepted_pois not refused"
[ "$(status "s['poi_conns_refused']")" = 1 ] || fail "refused POI not counted"
[ "$(status "s['drops'].get('unauthorised_poi', 0)")" = 0 ] || fail "a PDU of a refused POI was read"
[ "$(status "s['x2x3']['dropped'].get('too_big', 0)")" -ge 1 ] || fail "oversized PDU not counted"
[ "$(status "s['x2x3']['dropped'].get('short', 0)")" -ge 1 ] || fail "truncated PDU not counted"
[ "$(status "sum(s['x2x3']['dropped'].values())")" -ge 4 ] || fail "bad connections not dropped"
[ "$(status "s['mediated']")" = 0 ] || fail "hostile input was mediated"
base=$(status "s['x2'] + s['x3']")

# ---- the POI on the capture
cat > "$T/poi.yaml" <<YAML
ne_identifier: epc-poi-01
$capline
x1: {listen: '127.0.0.1:0', cert: $T/pki/poi.pem, key: $T/pki/poi.key, ca: $T/pki/ca.pem,
     db: $T/state/poi-x1.db, admf_identifiers: [admf]}
x2x3: {cert: $T/pki/poi.pem, key: $T/pki/poi.key, ca: $T/pki/ca.pem}
YAML
"$OVERT_BIN" poi --config "$T/poi.yaml" --pcap "$T/epc.pcap" --hold --ready-file "$T/poi.port" \
  >"$T/poi.out" 2>"$T/poi.log" &
poi=$!; pids+=($poi)
wait_file "$T/poi.port"
x1p() { "$OVERT_BIN" x1 --url "https://127.0.0.1:$(cat "$T/poi.port")/X1/NE" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id epc-poi-01 "$@" \
  >/dev/null 2>>"$T/x1.log"; }
dM=dddddddd-0000-4000-8000-000000000001
x1p create-destination --did $dM --addr 127.0.0.1 --port "$mx2" || fail "POI destination"
x1p activate-task --xid $x1 --imsi "$imsiA" --msisdn "$msisdnB" --delivery X2andX3 --did $dM || fail "POI task 1"
x1p activate-task --xid $x2 --imei "$imeiC" --delivery X2Only --did $dM || fail "POI task 2"
x1p activate-task --xid $x3 --imsi "$imsiD" --delivery X3Only --did $dM || fail "POI task 3"
kill -USR1 $poi
wait $poi || fail "POI exit status $?"
# Everything the POI sent (it waited for the MDF's acknowledgements) is mediated and
# acknowledged by the LEMFs.
sent=$(awk '/^PDUs queued/{print $3}' "$T/poi.out")
[ "${sent:-0}" -gt 0 ] || fail "the POI sent nothing"
for _ in $(seq 1 100); do
  [ "$(status "int(s['x2'] + s['x3'] - $base >= $sent and s['pending'] == 0)")" = 1 ] && break
  sleep 0.1
done
[ "$(status "int(s['x2'] + s['x3'] - $base >= $sent)")" = 1 ] || fail "the MDF did not get all PDUs"
[ "$(status "s['pending']")" = 0 ] || fail "records still pending at the MDF"
kill -TERM $mdf; wait $mdf || fail "MDF exit status"
for p in "${pids[@]:0:2}"; do kill -TERM "$p"; done; wait "${pids[0]}" "${pids[1]}" || true
grep -q "^mediated" "$T/mdf.out" || fail "no MDF summary"

# ---- the LEMFs' view: no gap, no duplicate
for a in A B; do
  "$OVERT_BIN" lemf report --dir "$T/lemf$a" --json >"$T/report$a.json" || fail "LEMF $a reports gaps"
done

# ---- exactly the targets' packets and events (ground truth)
/usr/bin/python3 - "$T" "$imsiA" "$msisdnB" "$imeiC" "$imsiD" <<'PY' || fail "LEMF output differs from the ground truth"
import collections, json, os, struct, sys
T, imsiA, msisdnB, imeiC, imsiD = sys.argv[1:]
subs, tunnels, procs = {}, [], collections.defaultdict(list)
for line in open(f"{T}/epc.truth.jsonl"):
    r = json.loads(line)
    if r["type"] == "subscriber": subs[r["sub"]] = r
    elif r["type"] == "tunnel": tunnels.append(r)
    elif r["type"] == "proc": procs[r["sub"]].append(r)
sys.path.insert(0, os.environ["OVERT_SRC"] + "/tests/e2e/lib")
import pcapfile
# Direction seen from the target (pcapng epb_flags): a TEID of the eNB (S1-U) or of the S-GW
# on S5 receives downlink, to the target (inbound, 1); the others uplink (outbound, 2).
TO_TARGET = {"s1u_enb": 1, "s5u_sgw": 1, "s1u_sgw": 2, "s5u_pgw": 2}
def pcap(path):
    link, pk = pcapfile.read(path)
    return link, [p.data for p in pk]
def gpdu(frame):
    # Ethernet (optional 802.1Q), IPv4/IPv6, UDP 2152, GTP-U G-PDU -> (outer dst, TEID, T-PDU)
    et, o = struct.unpack(">H", frame[12:14])[0], 14
    if et == 0x8100: et, o = struct.unpack(">H", frame[16:18])[0], 18
    if et == 0x0800:
        ihl = (frame[o] & 15) * 4; proto = frame[o + 9]; dst = frame[o + 16:o + 20]; o += ihl
    elif et == 0x86dd:
        proto = frame[o + 6]; dst = frame[o + 24:o + 40]; o += 40
    else: return None
    if proto != 17 or struct.unpack(">H", frame[o + 2:o + 4])[0] != 2152: return None
    g = o + 8
    flags, mtype, glen, teid = struct.unpack(">BBHI", frame[g:g + 8])
    if mtype != 255: return None
    end, p = g + 8 + glen, g + 8
    if flags & 7:
        nxt = frame[p + 3]; p += 4
        while nxt:
            n = frame[p] * 4; nxt = frame[p + n - 1]; p += n
    return dst, teid, frame[p:end]
import ipaddress
_, frames = pcap(f"{T}/epc.pcap")
def packets(pred):
    want = collections.defaultdict(list)
    for t in tunnels:
        if pred(subs[t["sub"]]):
            want[(ipaddress.ip_address(t["addr"]).packed, t["teid"])].append(
                (t["first_frame"], t["last_frame"], TO_TARGET[t["iface"]]))
    out = collections.Counter()
    for i, f in enumerate(frames, 1):
        g = gpdu(f)
        for a, b, d in want.get((g[0], g[1]), []) if g else []:
            if a <= i <= b:
                out[(g[2], d)] += 1
                break
    return out
def iris(pred):
    out = collections.Counter()
    for sid, s in subs.items():
        if pred(s):
            out[s["imsi"]] += sum(len(p.get("ebis") or []) for p in procs[sid])
    return out
t1 = lambda s: s["imsi"] == imsiA or s["msisdn"] == msisdnB
t2 = lambda s: s["imei"] == imeiC
t3 = lambda s: s["imsi"] == imsiD
expect = {("A", "LIID-A1"): (packets(t1), iris(t1)), ("B", "LIID-B1"): (packets(t1), iris(t1)),
          ("A", "LIID-A2"): (collections.Counter(), iris(t2)),
          ("B", "LIID-B3"): (packets(t3), collections.Counter())}
ok = True
dirs = collections.Counter(d for pk, _ in expect.values() for (_, d), n in pk.items())
if not (dirs[1] and dirs[2]):
    print(f"ground truth lacks a direction: {dict(dirs)}"); ok = False
for (agency, liid), (pk, ev) in expect.items():
    if sum(pk.values()) + sum(ev.values()) == 0:
        print(f"{liid}: vacuous ground truth"); ok = False
    got_pk = collections.Counter()
    try:
        link, recs = pcapfile.read(f"{T}/lemf{agency}/{liid}/cc.pcap")
        got_pk.update((p.data, p.direction) for p in recs)
    except FileNotFoundError:
        pass
    if got_pk != pk:
        print(f"{liid}: {sum(got_pk.values())} packets, ground truth {sum(pk.values())} "
              f"({len(got_pk - pk)} extra, {len(pk - got_pk)} missing distinct)"); ok = False
    got_ev = collections.Counter()
    try:
        for line in open(f"{T}/lemf{agency}/{liid}/iri.jsonl"):
            got_ev[json.loads(line)["imsi"]] += 1
    except FileNotFoundError:
        pass
    if got_ev != ev:
        print(f"{liid}: IRI per IMSI {dict(got_ev)}, ground truth {dict(ev)}"); ok = False
    print(f"{liid}: {sum(got_pk.values())} packets, {sum(got_ev.values())} IRI events: "
          f"{'as the ground truth' if got_pk == pk and got_ev == ev else 'WRONG'}")
for agency in "AB":
    rep = json.load(open(f"{T}/report{agency}.json"))
    t = rep["total"]
    if t["gaps"] or t["missing"] or t["duplicates"]:
        print(f"LEMF {agency}: gaps {t['gaps']} missing {t['missing']} duplicates {t['duplicates']}"); ok = False
    for l in rep["liids"]:
        for s in l["streams"]:
            if s["first_seq"] != 0:
                print(f"{l['liid']} CIN {s['cin']}: numbering starts at {s['first_seq']}"); ok = False
sys.exit(0 if ok else 1)
PY

# ---- every PS-PDU sent decodes with the asn1c-compiled decoder (constraints checked)
bash "$OVERT_SRC/scripts/build-asn1dec.sh" "$B/asn1dec" || fail "asn1c decoder build"
n=0
for f in "$T"/tap/*.ber; do
  "$B/asn1dec/progname" -iber -oxer -c "$f" >"$T/tap.xer" 2>"$T/asn1c.log" || fail "asn1c refused $(basename "$f"): $(head -c 300 "$T/asn1c.log")"
  k=$(grep -c "<PS-PDU>" "$T/tap.xer" || true)
  [ "$k" -gt 0 ] || fail "no PDU decoded from $(basename "$f")"
  grep -q "<lawfulInterceptionIdentifier>" "$T/tap.xer" || fail "no LIID in $(basename "$f")"
  n=$((n + k))
done
[ "$(ls "$T"/tap/*.ber | wc -l)" = 4 ] || fail "expected 4 streams tapped"
echo "asn1c decoded $n PS-PDUs (IRI, CC and TRI keep-alives) from 4 streams"
echo "1 passed, 0 failed"
