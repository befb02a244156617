#!/usr/bin/env bash
# Chaos: a generated EPC capture is replayed at a controlled rate (pcap_inject on one end of a
# veth pair, the POI capturing live on the other) through POI -> MDF -> two agencies' LEMFs,
# while the LEMFs are killed (SIGKILL) and restarted 20 times and the MDF is killed (kill -9)
# and restarted 5 times.  Afterwards: nothing lost (each LEMF's pcap holds exactly the
# targets' packets of the ground truth, the IRI JSON exactly the expected events), duplicates
# were removed by the LEMFs, and their gap reports are empty.
# Hop guarantees under test (docs/mdf.md): the POI keeps PDUs until the MDF acknowledges a
# keepalive sent after them, which the MDF does only once they are committed and durable in
# its spools; the MDF keeps records until the LEMF answers a keep-alive sent after them, which
# the LEMF does only once they are durable.  Both resend after a break; the MDF drops the POI's
# resends (recent-set), the LEMF the MDF's (LIID, CIN, sequence number).
# Ports: picked by the kernel at the first start, kept for the restarts.  Needs root (veth pair,
# live capture).  CHAOS_SEED=n replays a run.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
if [ "$(id -u)" != 0 ]; then echo "SKIPPED: needs root (veth pair, live capture)"; exit 0; fi
B=$OVERT_BUILD
T=$(mktemp -d /tmp/overt-mdf-chaos.XXXXXX)
chmod 755 "$T"
seed=${CHAOS_SEED:-$$}
RANDOM=$seed
if0=ovtc$$a; if1=ovtc$$b
if0=${if0:0:15}; if1=${if1:0:15}
pids=()
mdf=0; lemfA=0; lemfB=0; inject=0
cleanup() {
  for p in "${pids[@]}" $mdf $lemfA $lemfB $inject; do [ "$p" != 0 ] && kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip link del "$if0" 2>/dev/null || true
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL (CHAOS_SEED=$seed): $*" >&2; for f in "$T"/*.log; do echo "--- $f"; tail -15 "$f"; done >&2; exit 1; }
wait_file() { for _ in $(seq 1 300); do [ -s "$1" ] && return 0; sleep 0.05; done; fail "timeout waiting for $1"; }
echo "chaos seed $seed"

"$OVERT_BIN" pki init "$T/pki" >/dev/null
# 15000 frames at 300 frames/s: a replay of 50 s.
"$B/epcgen" --scenario mixed --seed 5 --subscribers 150 --packets 15000 --targets 4 \
  --out "$T/epc.pcap" >/dev/null
read -r imsiA _ _ < <(sed -n 1p "$T/epc.targets")
read -r _ msisdnB _ < <(sed -n 2p "$T/epc.targets")
read -r imsiC _ _ < <(sed -n 3p "$T/epc.targets")
mkdir -p "$T/state"; chown nobody "$T/state"

ip link add "$if0" type veth peer name "$if1" || fail "veth"
ip link set "$if0" up; ip link set "$if1" up

start_lemf() {	# $1 = A or B
  rm -f "$T/lemf$1.ready"
  "$OVERT_BIN" lemf --config "$T/lemf$1.yaml" --ready-file "$T/lemf$1.ready" >/dev/null \
    2>>"$T/lemf$1.log" &
  eval "lemf$1=$!"
  wait_file "$T/lemf$1.ready"
}
lemf_yaml() {	# $1 = A or B, then the listen lines
  local a=$1; shift
  { echo "output_dir: $T/lemf$a"; echo "listen:"; printf '  - %s\n' "$@"
    echo "tls: {cert: $T/pki/lemf.pem, key: $T/pki/lemf.key, ca: $T/pki/ca.pem, peers: [mdf]}"
  } > "$T/lemf$a.yaml"
}
# First start on ports the kernel picks, then keep them for every restart.
lemf_yaml A "{name: hi2, address: '127.0.0.1:0'}" "{name: hi3, address: '127.0.0.1:0'}"
lemf_yaml B "{name: hi, address: '127.0.0.1:0'}"
start_lemf A; start_lemf B
P_A2=$(awk '$1=="hi2"{print $2}' "$T/lemfA.ready"); P_A3=$(awk '$1=="hi3"{print $2}' "$T/lemfA.ready")
P_B=$(awk '$1=="hi"{print $2}' "$T/lemfB.ready")
lemf_yaml A "{name: hi2, address: '127.0.0.1:$P_A2'}" "{name: hi3, address: '127.0.0.1:$P_A3'}"
lemf_yaml B "{name: hi, address: '127.0.0.1:$P_B'}"

mdf_yaml() {	# $1 = the X2/X3 port
cat > "$T/mdf.yaml" <<YAML
ne_identifier: mdf-01
user: nobody
state_dir: $T/state/mdf
operator_id: ovt
x1: {listen: '127.0.0.1:0', cert: $T/pki/mdf.pem, key: $T/pki/mdf.key, ca: $T/pki/ca.pem,
     db: $T/state/mdf-x1.db, admf_identifiers: [admf]}
x2x3: {listen: '127.0.0.1:$1', cert: $T/pki/mdf.pem, key: $T/pki/mdf.key,
       ca: $T/pki/ca.pem, accepted_pois: [poi]}
hi: {cert: $T/pki/mdf.pem, key: $T/pki/mdf.key, ca: $T/pki/ca.pem, keepalive: 1,
     keepalive_timeout: 2, backoff_min_ms: 50, backoff_max_ms: 400}
YAML
}
start_mdf() {
  rm -f "$T/mdf.ready"
  "$OVERT_BIN" mdf --config "$T/mdf.yaml" --ready-file "$T/mdf.ready" \
    --status-file "$T/state/mdf.status" >>"$T/mdf.out" 2>>"$T/mdf.log" &
  mdf=$!
  wait_file "$T/mdf.ready"
}
mdf_yaml 0
start_mdf
P_X2=$(awk -F= '$1=="x2x3"{print $2}' "$T/mdf.ready")
mdf_yaml "$P_X2"
mx1=$(awk -F= '$1=="x1"{print $2}' "$T/mdf.ready")
x1m() { "$OVERT_BIN" x1 --url "https://127.0.0.1:$mx1/X1/NE" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id mdf-01 "$@" \
  >/dev/null 2>>"$T/x1.log"; }
dA2=a2a2a2a2-0000-4000-8000-000000000001
dA3=a3a3a3a3-0000-4000-8000-000000000001
dB=bbbbbbbb-0000-4000-8000-000000000001
x1=22222222-0000-4000-8000-000000000001
x2=22222222-0000-4000-8000-000000000002
x1m create-destination --did $dA2 --addr 127.0.0.1 --port $P_A2 --delivery X2Only || fail "dA2"
x1m create-destination --did $dA3 --addr 127.0.0.1 --port $P_A3 --delivery X3Only || fail "dA3"
x1m create-destination --did $dB --addr 127.0.0.1 --port $P_B --delivery X2andX3 || fail "dB"
x1m activate-task --xid $x1 --imsi "$imsiA" --msisdn "$msisdnB" --delivery X2andX3 \
  --liid LIID-A1 --mediation-delivery HI2andHI3 --mediation-dest $dA2 --mediation-dest $dA3 \
  --liid LIID-B1 --mediation-delivery HI2andHI3 --mediation-dest $dB || fail "task 1"
x1m activate-task --xid $x2 --imsi "$imsiC" --delivery X2andX3 \
  --liid LIID-A2 --mediation-delivery HI2andHI3 --mediation-dest $dA2 --mediation-dest $dA3 \
  || fail "task 2"

cat > "$T/poi.yaml" <<YAML
ne_identifier: epc-poi-01
capture: {interface: $if1, user: nobody}
x1: {listen: '127.0.0.1:0', cert: $T/pki/poi.pem, key: $T/pki/poi.key, ca: $T/pki/ca.pem,
     db: $T/state/poi-x1.db, admf_identifiers: [admf]}
x2x3: {cert: $T/pki/poi.pem, key: $T/pki/poi.key, ca: $T/pki/ca.pem, keepalive: 1}
YAML
"$OVERT_BIN" poi --config "$T/poi.yaml" --ready-file "$T/poi.port" >"$T/poi.out" 2>"$T/poi.log" &
poi=$!; pids+=($poi)
wait_file "$T/poi.port"
x1p() { "$OVERT_BIN" x1 --url "https://127.0.0.1:$(cat "$T/poi.port")/X1/NE" --cert "$T/pki/admf.pem" \
  --key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id epc-poi-01 "$@" \
  >/dev/null 2>>"$T/x1.log"; }
dM=dddddddd-0000-4000-8000-000000000001
x1p create-destination --did $dM --addr 127.0.0.1 --port $P_X2 || fail "POI destination"
x1p activate-task --xid $x1 --imsi "$imsiA" --msisdn "$msisdnB" --delivery X2andX3 --did $dM || fail "POI task 1"
x1p activate-task --xid $x2 --imsi "$imsiC" --delivery X2andX3 --did $dM || fail "POI task 2"
sleep 0.5

# ---- the replay, and the chaos during it: 25 events, every fifth one the MDF
"$B/pcap_inject" "$T/epc.pcap" "$if0" --pps 300 >"$T/inject.log" 2>&1 &
inject=$!
t0=$(date +%s)
for i in $(seq 1 25); do
  sleep "$(( 1 + RANDOM % 2 )).$(( RANDOM % 10 ))"
  if [ $((i % 5)) = 3 ]; then
    kill -9 $mdf; wait $mdf 2>/dev/null || true
    sleep "0.$(( RANDOM % 8 ))"
    start_mdf
    echo "  $(( $(date +%s) - t0 ))s: MDF killed and restarted"
  else
    a=$([ $((RANDOM % 2)) = 0 ] && echo A || echo B)
    eval "p=\$lemf$a"
    kill -9 "$p"; wait "$p" 2>/dev/null || true
    sleep "0.$(( RANDOM % 8 ))"
    start_lemf $a
    echo "  $(( $(date +%s) - t0 ))s: LEMF $a killed and restarted"
  fi
done
wait $inject || fail "pcap_inject"
inject=0
echo "replay done after $(( $(date +%s) - t0 ))s"

# ---- expected output, from the generator's ground truth
cat > "$T/truth.py" <<'PY'
import collections, ipaddress, json, os, struct, sys
T, imsiA, msisdnB, imsiC, mode = sys.argv[1:]
subs, tunnels, procs = {}, [], collections.defaultdict(list)
for line in open(f"{T}/epc.truth.jsonl"):
    r = json.loads(line)
    if r["type"] == "subscriber": subs[r["sub"]] = r
    elif r["type"] == "tunnel": tunnels.append(r)
    elif r["type"] == "proc": procs[r["sub"]].append(r)
sys.path.insert(0, os.environ["OVERT_SRC"] + "/tests/e2e/lib")
import pcapfile
def pcap(path):
    return [p.data for p in pcapfile.read(path)[1]]
def gpdu(f):
    et, o = struct.unpack(">H", f[12:14])[0], 14
    if et == 0x8100: et, o = struct.unpack(">H", f[16:18])[0], 18
    if et == 0x0800: proto, dst, o = f[o + 9], f[o + 16:o + 20], o + (f[o] & 15) * 4
    elif et == 0x86dd: proto, dst, o = f[o + 6], f[o + 24:o + 40], o + 40
    else: return None
    if proto != 17 or struct.unpack(">H", f[o + 2:o + 4])[0] != 2152: return None
    g = o + 8
    flags, mtype, glen, teid = struct.unpack(">BBHI", f[g:g + 8])
    if mtype != 255: return None
    p = g + 8
    if flags & 7:
        nxt = f[p + 3]; p += 4
        while nxt:
            n = f[p] * 4; nxt = f[p + n - 1]; p += n
    return dst, teid, f[p:g + 8 + glen]
frames = pcap(f"{T}/epc.pcap")
def packets(pred):
    want = collections.defaultdict(list)
    for t in tunnels:
        if pred(subs[t["sub"]]):
            want[(ipaddress.ip_address(t["addr"]).packed, t["teid"])].append((t["first_frame"], t["last_frame"]))
    out = collections.Counter()
    for i, f in enumerate(frames, 1):
        g = gpdu(f)
        if g and any(a <= i <= b for a, b in want.get((g[0], g[1]), [])):
            out[g[2]] += 1
    return out
def iris(pred):
    out = collections.Counter()
    for sid, s in subs.items():
        if pred(s):
            out[s["imsi"]] += sum(len(p.get("ebis") or []) for p in procs[sid])
    return out
t1 = lambda s: s["imsi"] == imsiA or s["msisdn"] == msisdnB
t2 = lambda s: s["imsi"] == imsiC
expect = {("A", "LIID-A1"): (packets(t1), iris(t1)), ("B", "LIID-B1"): (packets(t1), iris(t1)),
          ("A", "LIID-A2"): (packets(t2), iris(t2))}
ok = True
for (agency, liid), (pk, ev) in expect.items():
    got_pk, got_ev = collections.Counter(), collections.Counter()
    try:
        got_pk.update(pcap(f"{T}/lemf{agency}/{liid}/cc.pcap"))
        for line in open(f"{T}/lemf{agency}/{liid}/iri.jsonl"):
            got_ev[json.loads(line)["imsi"]] += 1
    except FileNotFoundError:
        pass
    same = got_pk == pk and got_ev == ev
    if mode == "report" or not same:
        print(f"{liid}: {sum(got_pk.values())}/{sum(pk.values())} packets, "
              f"{sum(got_ev.values())}/{sum(ev.values())} IRI events"
              + ("" if same else f" ({len(pk - got_pk)} distinct missing, {len(got_pk - pk)} extra)"))
    ok = ok and same and sum(pk.values()) > 0 and sum(ev.values()) > 0
sys.exit(0 if ok else 1)
PY

# ---- drain: the POI and the MDF deliver what they hold, after the last restart
for _ in $(seq 1 120); do
  if /usr/bin/python3 "$T/truth.py" "$T" "$imsiA" "$msisdnB" "$imsiC" quiet >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
sleep 1
kill -TERM $poi; wait $poi || fail "POI exit status"
kill -TERM $mdf; wait $mdf || fail "MDF exit status"; mdf=0
kill -TERM $lemfA $lemfB; wait $lemfA $lemfB || true; lemfA=0; lemfB=0

/usr/bin/python3 "$T/truth.py" "$T" "$imsiA" "$msisdnB" "$imsiC" report || \
  fail "LEMF output differs from the ground truth: something was lost"
for a in A B; do
  "$OVERT_BIN" lemf report --dir "$T/lemf$a" >"$T/report$a.txt" || \
    fail "LEMF $a gap report not empty: $(cat "$T/report$a.txt")"
  tail -1 "$T/report$a.txt"
done
grep -q "dropped (overflow) 0" "$T/poi.out" || fail "the POI dropped PDUs: $(grep destination "$T/poi.out")"
dups=$(cat "$T"/report?.txt | awk '/^total/{s += $8} END{print s+0}')
echo "LEMF duplicates dropped: $dups; MDF restarts 5, LEMF restarts 20"
echo "1 passed, 0 failed"
