#!/usr/bin/env bash
# End-to-end test of the EPC traffic generator (src/epcgen, docs/epcgen.md) against an
# independent decoder: tshark 4.0 must decode every generated capture (demo and mixed, IPv4
# and IPv6 transport, 802.1Q, S5/S8 legs) with no malformed frame and no expert error except
# the frames the truth lists as deliberately broken noise; and what tshark extracts (message
# types, sequence numbers, IMSI/MSISDN/MEI, F-TEIDs by interface, PAA, EBIs, G-PDUs and inner
# bytes per TEID, tunnel endpoints) must equal the ground truth.  Also: the truth file is
# internally consistent (every frame accounted for exactly once), the targets file matches it,
# and the same seed gives the same bytes.
set -euo pipefail

: "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
EPCGEN="$OVERT_BUILD/epcgen"
PY=/usr/bin/python3
[ -x "$EPCGEN" ] || { echo "missing $EPCGEN" >&2; exit 1; }
command -v tshark >/dev/null || { echo "tshark not installed (scripts/deps.sh)" >&2; exit 1; }

T=$(mktemp -d /tmp/test_epcgen.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# check_capture NAME ARGS...: generate, decode with tshark, compare with the truth.
check_capture() {
	local name=$1
	shift
	"$EPCGEN" --out "$T/$name.pcap" "$@" >"$T/$name.log" || fail "$name: epcgen $*"
	[ -s "$T/$name.truth.jsonl" ] || fail "$name: no truth file"

	# One tshark pass, one line per frame with every field the comparison needs (all
	# occurrences), including whether the dissectors found it malformed or in error.
	# Checksum validation is on: a bad IPv4/UDP/TCP checksum is an expert error.
	tshark -r "$T/$name.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	    -o tcp.check_checksum:TRUE \
	    -T fields -E separator='|' -E occurrence=a -E aggregator=',' \
	    -e frame.number -e frame.protocols -e _ws.malformed -e _ws.expert.severity \
	    -e vlan.id -e ip.dst -e ipv6.dst \
	    -e udp.srcport -e udp.dstport \
	    -e gtpv2.message_type -e gtpv2.teid -e gtpv2.seq -e gtpv2.p \
	    -e e212.imsi -e e164.msisdn -e gtpv2.mei \
	    -e gtpv2.f_teid_interface_type -e gtpv2.f_teid_gre_key -e gtpv2.instance \
	    -e gtpv2.pdn_addr_and_prefix.ipv4 -e gtpv2.pdn_addr_and_prefix.ipv6 -e gtpv2.ebi \
	    -e gtp.message -e gtp.teid -e ip.len -e ipv6.plen -e ip.src -e ipv6.src \
	    -e udp.length -e gtp.length -e gtpv2.msg_length -e gtpv2.tai_tac -e gtpv2.ecgi_eci \
	    2>/dev/null >"$T/$name.fields"
	"$PY" - "$T/$name" <<'EOF' || fail "$name: tshark and the truth disagree"
import json, sys, collections

base = sys.argv[1]
errors = []
def err(msg):
    errors.append(msg)
    if len(errors) > 20:
        raise SystemExit("\n".join(errors))

lines = [json.loads(l) for l in open(base + ".truth.jsonl")]
by = collections.defaultdict(list)
for d in lines:
    by[d["type"]].append(d)
meta, totals = by["meta"][0], by["totals"][0]
subs = {d["sub"]: d for d in by["subscriber"]}
noise = {d["frame"]: d["kind"] for d in by["noise"]}
broken = {f for f, k in noise.items() if k.startswith(("non_gtp", "bad_gtp"))}

# --- tshark's view, one dict per frame ---
names = ["frame", "protocols", "malformed", "severity", "vlan", "ip_dst", "ipv6_dst", "sport", "dport", "v2type",
         "v2teid", "v2seq", "v2p", "imsi", "msisdn", "mei", "ftype", "fteid", "inst", "paa4",
         "paa6", "ebi", "utype", "uteid", "iplen", "ip6plen", "ip_src", "ipv6_src", "udplen",
         "gtplen", "v2len", "tac", "eci"]
frames = {}
for l in open(base + ".fields"):
    v = l.rstrip("\n").split("|")
    d = dict(zip(names, v))
    for k in names[2:]:
        d[k] = [x for x in d.get(k, "").split(",") if x != ""]
    frames[int(d["frame"])] = d
M = meta["packets"]
if len(frames) != M or totals["frames"] != M:
    err("frame count: tshark %d, meta %d, totals %d" % (len(frames), M, totals["frames"]))

# --- 1. nothing malformed but the deliberately broken noise ---
# expert severity "error" is 0x800000 (tshark 4.0 epan/proto.h PI_ERROR)
bad = {f for f, d in frames.items() if d["malformed"] or "8388608" in d["severity"]}
if not bad <= broken:
    err("malformed/error frames not listed as broken noise: %s" % sorted(bad - broken)[:10])
if meta["vlan"] is not None:
    for f, d in frames.items():
        if d["vlan"] != [str(meta["vlan"])]:
            err("frame %d: vlan %s" % (f, d["vlan"])); break

def num(x):
    return int(x, 0)

# Length fields against the datagram (TS 29.274 5.5.1 / 29.281 5.1): tshark does not flag a
# length that is too long when the bytes happen to dissect, so compare them here.
for f, d in frames.items():
    if f in broken or not d["udplen"]:
        continue
    udp = int(d["udplen"][0]) - 8
    if d["v2type"] and sum(int(x) + 4 for x in d["v2len"]) != udp:
        err("frame %d: GTPv2 lengths %s in a %d-octet datagram" % (f, d["v2len"], udp))
    if d["utype"] and int(d["gtplen"][0]) + 8 != udp:
        err("frame %d: GTP-U length %s in a %d-octet datagram" % (f, d["gtplen"], udp))

# --- 2. GTPv2-C message counts (noise excluded: broken frames are counted apart) ---
count = collections.Counter()
for f, d in frames.items():
    if f in broken:
        continue
    for t in d["v2type"]:
        count[t] += 1
want = {k: v for k, v in totals["gtpv2_msgs"].items()}
if dict(count) != want:
    err("GTPv2 message counts: tshark %s truth %s" % (dict(count), want))

# --- 3. procedures against the frames that carry them ---
ctrl_frames = set()
for p in by["proc"]:
    rq, rs = frames[p["req_frame"]], frames[p["resp_frame"]]
    if str(p["req_type"]) not in rq["v2type"] or str(p["resp_type"]) not in rs["v2type"]:
        err("proc %s frames %d/%d: types %s/%s" % (p["proc"], p["req_frame"], p["resp_frame"],
            rq["v2type"], rs["v2type"]))
    # request and response share the sequence number (TS 29.274 7.6)
    iq = rq["v2type"].index(str(p["req_type"]))
    ir = rs["v2type"].index(str(p["resp_type"]))
    if rq["v2seq"][iq] != rs["v2seq"][ir]:
        err("proc %s: seq %s vs %s" % (p["proc"], rq["v2seq"][iq], rs["v2seq"][ir]))
    if not p["req_frame"] < p["resp_frame"] or not p["req_t_us"] <= p["resp_t_us"]:
        err("proc %s: request %d after response %d" % (p["proc"], p["req_frame"], p["resp_frame"]))
    # the S5/S8 leg of the same procedure: same message types, its own sequence number
    if (p["s5_req_frame"] is None) != (p["s5_resp_frame"] is None) or \
       (p["s5_req_frame"] is not None and not meta["s5"]):
        err("proc %s %d: S5 frames %s %s" % (p["proc"], p["req_frame"], p["s5_req_frame"],
            p["s5_resp_frame"]))
    elif p["s5_req_frame"] is not None:
        q5, r5 = frames[p["s5_req_frame"]], frames[p["s5_resp_frame"]]
        t5q, t5r = str(p["req_type"]), str(p["resp_type"])
        if t5q not in q5["v2type"] or t5r not in r5["v2type"] or \
           q5["v2seq"][q5["v2type"].index(t5q)] != r5["v2seq"][r5["v2type"].index(t5r)]:
            err("proc %s %d: S5 frames %d/%d hold %s/%s" % (p["proc"], p["req_frame"],
                p["s5_req_frame"], p["s5_resp_frame"], q5["v2type"], r5["v2type"]))
    # network-initiated requests have the MSB of the sequence number set
    if p["req_type"] in (95, 99) and not num(rq["v2seq"][iq]) & 0x800000:
        err("proc %s: seq MSB clear" % p["proc"])
    for k in ("req_frame", "resp_frame", "s5_req_frame", "s5_resp_frame", "end_marker_frame"):
        if p.get(k):
            ctrl_frames.add(p[k])
    s = subs[p["sub"]]
    if p["imsi"] != s["imsi"]:
        err("proc imsi")
    if p["proc"] == "default_bearer_activation":
        if rq["imsi"] != [s["imsi"]] or rq["msisdn"] != [s["msisdn"]] or rq["mei"] != [s["mei"]]:
            err("CSReq %d identities %s %s %s vs %s" % (p["req_frame"], rq["imsi"], rq["msisdn"],
                rq["mei"], s))
        # first F-TEID of each interface type: a piggybacked message follows the CSResp
        fte = {}
        for ty, t in zip(rs["ftype"], rs["fteid"]):
            fte.setdefault(ty, num(t))
        if fte.get("1") != p["sgw_s1u_teid"] or fte.get("11") != p["s11_sgw_teid"] or \
           fte.get("7") != p["pgw_s5c_teid"] or fte.get("5") != p["pgw_s5u_teid"]:
            err("CSResp %d F-TEIDs %s vs %s" % (p["resp_frame"], fte, p))
        ftq = dict(zip(rq["ftype"], map(num, rq["fteid"])))
        if ftq.get("10") != p["s11_mme_teid"]:
            err("CSReq %d MME F-TEID %s" % (p["req_frame"], ftq))
        if p["ue_ipv4"] is not None and rs["paa4"][-1:] != [p["ue_ipv4"]]:
            err("CSResp %d PAA v4 %s vs %s" % (p["resp_frame"], rs["paa4"], p["ue_ipv4"]))
        if p["ue_ipv6"] is not None and rs["paa6"][-1:] != [p["ue_ipv6"]]:
            err("CSResp %d PAA v6 %s vs %s" % (p["resp_frame"], rs["paa6"], p["ue_ipv6"]))
        if str(p["ebi"]) not in rs["ebi"]:
            err("CSResp %d EBI %s vs %d" % (p["resp_frame"], rs["ebi"], p["ebi"]))
        # the first PDN's request has header TEID 0, later ones the S-GW's TEID-C (5.5.2)
        want_teid = 0 if p["reason"] == "attach" else p["s11_sgw_teid"]
        if num(rq["v2teid"][0]) != want_teid or num(rs["v2teid"][0]) != p["s11_mme_teid"]:
            err("CS %d header TEIDs %s %s" % (p["req_frame"], rq["v2teid"], rs["v2teid"]))
    # the ULI: in every Create Session Request, and in a Modify Bearer Request exactly when
    # the location changed
    uli_expected = p["proc"] == "default_bearer_activation" or \
        (p["proc"] == "bearer_modification" and p["location_change"])
    if uli_expected and (list(map(num, rq["tac"]))[:1] != [p["tac"]] or
                         list(map(num, rq["eci"]))[:1] != [p["eci"]]):
        err("proc %s %d: ULI %s/%s vs %s/%s" % (p["proc"], p["req_frame"], rq["tac"], rq["eci"],
            p["tac"], p["eci"]))
    if p["proc"] == "bearer_modification" and not p["location_change"] and rq["tac"]:
        err("MBReq %d: ULI without a location change" % p["req_frame"])
    if p["proc"] == "bearer_modification":
        enb = [num(t) for ty, t in zip(rq["ftype"], rq["fteid"]) if ty == "0"]
        want = [b["enb_teid"] for b in p["bearers"]]
        if enb[:len(want)] != want or rq["ebi"][:len(want)] != [str(b["ebi"]) for b in p["bearers"]]:
            err("MBReq %d eNB F-TEIDs %s EBIs %s vs %s" % (p["req_frame"], enb, rq["ebi"], p["bearers"]))
        if sorted(b["ebi"] for b in p["bearers"]) != p["ebis"]:
            err("MBReq %d: ebis %s vs bearers %s" % (p["req_frame"], p["ebis"], p["bearers"]))
        if p["end_marker_frame"]:
            em = frames[p["end_marker_frame"]]
            if list(map(num, em["utype"])) != [254] or num(em["uteid"][0]) != p["end_marker_teid"]:
                err("End Marker %d: %s %s" % (p["end_marker_frame"], em["utype"], em["uteid"]))
    if p["proc"] == "dedicated_bearer_activation":
        enb = [num(t) for ty, t in zip(rs["ftype"], rs["fteid"]) if ty == "0"]
        if p["enb_teid"] not in enb or str(p["ebi"]) not in rs["ebi"]:
            err("CBResp %d: eNB F-TEIDs %s EBIs %s vs %s" % (p["resp_frame"], enb, rs["ebi"], p))
        if p["piggybacked"] and (rq["v2p"][:1] != ["1"] or rs["v2p"][:1] != ["1"]):
            err("piggyback flags %s %s" % (rq["v2p"], rs["v2p"]))
# An End Marker goes to the source eNodeB's tunnel that the handover ended, at its address.
tun_all = {t["teid"]: t for t in by["tunnel"]}
for p in by["proc"]:
    if p["proc"] == "bearer_modification" and p.get("end_marker_frame"):
        t = tun_all.get(p["end_marker_teid"])
        em = frames[p["end_marker_frame"]]
        dst = (em["ipv6_dst"] or em["ip_dst"])[0]
        if t is None or t["iface"] != "s1u_enb" or t["closed_frame"] != p["req_frame"] or \
           t["sub"] != p["sub"] or dst != t["addr"]:
            err("End Marker %d: not on the tunnel handover %d ended" % (p["end_marker_frame"],
                p["req_frame"]))
if len(by["proc"]) != totals["procedures"]:
    err("procedures: %d lines, totals %d" % (len(by["proc"]), totals["procedures"]))

# --- 4. G-PDUs per TEID, inner bytes, receiver address, UE address ---
tun = {}
for t in by["tunnel"]:
    if t["teid"] in tun:
        err("TEID %d in two tunnel lines" % t["teid"])
    tun[t["teid"]] = t
sess = {(d["sub"], d["pdn"]): d for d in by["session"]}
seen = collections.defaultdict(lambda: [0, 0, None, None])
unknown = 0
gpdu_frames = set()
for f, d in frames.items():
    if f in broken or list(map(num, d["utype"])) != [255]:
        continue
    gpdu_frames.add(f)
    teid = num(d["uteid"][0])
    if teid not in tun:
        unknown += 1
        if noise.get(f) != "gpdu_unknown_teid":
            err("frame %d: G-PDU for unknown TEID %#x" % (f, teid))
        continue
    protos = d["protocols"].split(":")
    inner = protos[protos.index("gtp") + 1]
    ln = int(d["iplen"][-1]) if inner == "ip" else int(d["ip6plen"][-1]) + 40
    s = seen[teid]
    s[0] += 1; s[1] += ln
    s[2] = f if s[2] is None else s[2]
    s[3] = f
    t = tun[teid]
    outer_dst = d["ipv6_dst"][0] if protos[protos.index("udp") - 1] == "ipv6" else d["ip_dst"][0]
    if outer_dst != t["addr"]:
        err("frame %d: G-PDU to %s, tunnel %s is at %s" % (f, outer_dst, t["iface"], t["addr"]))
    se = sess[(t["sub"], t["pdn"])]
    ue_side = d["ip_src"][-1:] + d["ipv6_src"][-1:] if t["iface"] in ("s1u_sgw", "s5u_pgw") else None
    if ue_side is not None and not (set(ue_side) & {se["ue_ipv4"], se["ue_ipv6"]}):
        err("frame %d: uplink from %s, not the UE (%s %s)" % (f, ue_side, se["ue_ipv4"], se["ue_ipv6"]))
    if f < (t["opened_frame"] or 0) or (t["closed_frame"] and f >= t["closed_frame"]):
        err("frame %d: TEID %#x used outside its life %s..%s" % (f, teid, t["opened_frame"],
            t["closed_frame"]))
for teid, t in tun.items():
    s = seen.get(teid, [0, 0, None, None])
    if s[0] != t["gpdus"] or s[1] != t["bytes"] or s[2] != t["first_frame"] or s[3] != t["last_frame"]:
        err("TEID %#x (%s): tshark %s truth %d/%d/%s/%s" % (teid, t["iface"], s, t["gpdus"],
            t["bytes"], t["first_frame"], t["last_frame"]))
if unknown != totals["gpdu_unknown_teid"] or len(gpdu_frames) != totals["gpdu"]:
    err("G-PDUs: tshark %d (%d unknown), totals %d (%d)" % (len(gpdu_frames), unknown,
        totals["gpdu"], totals["gpdu_unknown_teid"]))

# --- 5. the truth is consistent with itself ---
br = by["bearer"]
ul = sum(b["ul_gpdus"] for b in br); dl = sum(b["dl_gpdus"] for b in br)
if ul != totals["gpdu_s1u_ul"] or dl != totals["gpdu_s1u_dl"]:
    err("bearer sums %d/%d vs totals %d/%d" % (ul, dl, totals["gpdu_s1u_ul"], totals["gpdu_s1u_dl"]))
tsum = collections.defaultdict(int)
for t in by["tunnel"]:
    tsum[(t["bearer_id"], t["iface"])] += t["gpdus"]
if len({b["bearer_id"] for b in br}) != len(br):
    err("bearer ids not unique")
for b in br:
    k = (b["bearer_id"],)
    if tsum[k + ("s1u_sgw",)] != b["ul_gpdus"] or tsum[k + ("s1u_enb",)] != b["dl_gpdus"]:
        err("bearer %s: tunnels %d/%d vs %d/%d" % (k, tsum[k + ("s1u_sgw",)],
            tsum[k + ("s1u_enb",)], b["ul_gpdus"], b["dl_gpdus"]))
    if meta["s5"] and (tsum[k + ("s5u_pgw",)] != b["ul_gpdus"] or tsum[k + ("s5u_sgw",)] != b["dl_gpdus"]):
        err("bearer %s: S5 tunnels differ from S1-U" % (k,))
if len(br) != totals["bearers"] or len(by["session"]) != totals["sessions"]:
    err("bearer/session line counts")
# every frame is exactly one of: signalling, G-PDU, End Marker (in procs) or noise
gtpv2_frames = {f for f, d in frames.items() if d["v2type"] and f not in noise}
if gtpv2_frames | {p["end_marker_frame"] for p in by["proc"] if p.get("end_marker_frame")} != ctrl_frames:
    err("signalling frames: %d in tshark, %d referenced by procedures" % (len(gtpv2_frames), len(ctrl_frames)))
owned = ctrl_frames | (gpdu_frames - set(noise)) | set(noise)
if len(owned) != M or (ctrl_frames & set(noise)) or (ctrl_frames & gpdu_frames):
    err("frames not partitioned: %d owned of %d" % (len(owned), M))

# --- 6. targets file ---
tg = [l.split() for l in open(base + ".targets")] if meta["targets"] else []
want = [[s["imsi"], s["msisdn"], s["imei"]] for _, s in sorted(subs.items()) if s["target"]]
if tg != want or len(tg) != meta["targets"]:
    err("targets file differs from the truth (%d vs %d)" % (len(tg), len(want)))

if errors:
    raise SystemExit("\n".join(errors))
print("%s: %d frames, %d procedures, %d tunnels, %d G-PDUs: tshark agrees" % (
    base.rsplit("/", 1)[-1], M, len(by["proc"]), len(tun), len(gpdu_frames)))
EOF
}

check_capture demo4 --scenario demo
check_capture mixed4 --scenario mixed --packets 8000 --subscribers 100
check_capture mixed6 --scenario mixed --packets 8000 --subscribers 100 --ipv6-transport \
    --vlan 100 --seed 7
check_capture mixeds5 --scenario mixed --packets 8000 --subscribers 80 --s5 --seed 3
check_capture demo6s5 --scenario demo --ipv6-transport --s5 --vlan 4094 --seed 11

# Determinism: same options, same bytes; another seed, other bytes.
"$EPCGEN" --out "$T/again.pcap" --scenario mixed --packets 8000 --subscribers 100 >/dev/null
cmp -s "$T/mixed4.pcap" "$T/again.pcap" || fail "same seed, different pcap"
cmp -s "$T/mixed4.truth.jsonl" "$T/again.truth.jsonl" || fail "same seed, different truth"
cmp -s "$T/mixed4.targets" "$T/again.targets" || fail "same seed, different targets"
"$EPCGEN" --out "$T/other.pcap" --scenario mixed --packets 8000 --subscribers 100 \
    --seed 2 >/dev/null
cmp -s "$T/mixed4.pcap" "$T/other.pcap" && fail "another seed, same pcap"

# Command line refusals.
"$EPCGEN" --help | grep -q -- '--subscribers' || fail "--help"
for bad in "--subscribers 0" "--vlan 4095" "--targets 51" "--packets 10" "--scenario nope" \
    "--seed -1" "--packets 12x"; do
	# shellcheck disable=SC2086
	if "$EPCGEN" --out "$T/bad.pcap" $bad >/dev/null 2>&1; then fail "accepted $bad"; fi
done
[ ! -e "$T/bad.pcap" ] || fail "a refused run left a capture"
echo "test_epcgen: ok"
