#!/usr/bin/env bash
# End-to-end: reassembly of fragmented outer IP in the POI (src/pkt/pkt_frag.h).
#  1. The generator's --mtu 700 captures (IPv4 transport, and IPv6 transport with the fragment
#     header) are checked with tshark, whose own reassembly is independent of ours: the capture
#     really holds fragments (as many as the truth says), some written out of order, nothing
#     malformed, and once reassembled the same G-PDUs per TEID as the capture made without
#     --mtu; the truth is the same except its meta and totals lines; some target G-PDUs were
#     fragmented (so the X3 check below is not vacuous).
#  2. The POI end-to-end test (test_poi_e2e.sh: tasks over X1, two X2/X3 receivers, records
#     against the ground truth with poi_truth.py, sequence numbers, tshark 5gli with nothing
#     malformed, asn1c on every X2, restart from the task store) runs unchanged on those
#     captures; a wrapper around the overt binary keeps a copy of each POI summary, which must
#     report reassembled datagrams and no fragment dropped.
#  3. The reassembly keys of the POI configuration: accepted in range, refused otherwise; and a
#     POI without tasks on the fragmented capture gives the same summary as on the
#     unfragmented one, apart from the frame and fragment counts.
set -euo pipefail
: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
B=$OVERT_BUILD
PY=/usr/bin/python3
T=$(mktemp -d /tmp/overt-e2e-frag.XXXXXX)
chmod 755 "$T"
cleanup() { [ -n "${KEEP:-}" ] || rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v tshark >/dev/null || fail "tshark not installed (scripts/deps.sh)"

# The same generator arguments as test_poi_e2e.sh, so that step 1 checks its captures.
GEN=(--scenario mixed --seed 11 --targets 4)

# ---------------------------------------------------------------- 1. the captures
check_capture() {	# NAME EXTRA-ARGS...
	local name=$1; shift
	"$B/epcgen" "${GEN[@]}" "$@" --out "$T/$name-plain.pcap" >/dev/null || fail "$name: epcgen"
	"$B/epcgen" "${GEN[@]}" "$@" --mtu 700 --out "$T/$name.pcap" >/dev/null || fail "$name: epcgen --mtu"
	local ff="ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fraghdr"
	local nfrag; nfrag=$(tshark -r "$T/$name.pcap" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
		-Y "$ff" 2>/dev/null | wc -l)
	[ "$nfrag" -gt 0 ] || fail "$name: no fragment in the capture"
	# Malformed or erroneous frames (checksums checked): as many as without --mtu (none).
	local bad
	for f in "$name-plain" "$name"; do
		tshark -r "$T/$f.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
			-Y "_ws.malformed || _ws.expert.severity == error" 2>/dev/null | wc -l > "$T/$f.bad"
	done
	[ "$(cat "$T/$name.bad")" = "$(cat "$T/$name-plain.bad")" ] || fail "$name: malformed frames"
	# G-PDUs per TEID after tshark's reassembly, and per TEID of the fragmented ones.
	for f in "$name-plain" "$name"; do
		tshark -r "$T/$f.pcap" -Y "gtp.message == 255" -T fields -E occurrence=f -e gtp.teid \
			2>/dev/null | sort | uniq -c > "$T/$f.teids"
	done
	tshark -r "$T/$name.pcap" -Y "gtp.message == 255 && (ip.frag_offset > 0 || ipv6.fraghdr)" \
		-T fields -E occurrence=f -e gtp.teid 2>/dev/null > "$T/$name.fragteids"
	cmp -s "$T/$name-plain.teids" "$T/$name.teids" || fail "$name: G-PDUs per TEID differ after reassembly"
	$PY - "$T/$name" "$nfrag" <<'PY' || fail "$name: truth or fragments"
import json, sys
base, nfrag = sys.argv[1], int(sys.argv[2])
def lines(p):
    return [json.loads(l) for l in open(p)]
plain, frag = lines(base + "-plain.truth.jsonl"), lines(base + ".truth.jsonl")
body = lambda ls: [l for l in ls if l["type"] not in ("meta", "totals")]
assert body(plain) == body(frag), "truth differs beyond meta/totals"
meta = frag[0]; tot = frag[-1]
assert meta["mtu"] == 700 and "mtu" not in plain[0], meta
assert tot["frames"] == plain[-1]["frames"] == meta["packets"], tot
assert tot["fragments"] == nfrag, (tot["fragments"], nfrag)
assert tot["pcap_records"] == tot["frames"] - tot["fragmented_datagrams"] + tot["fragments"]
assert 0 < tot["reordered_datagrams"] < tot["fragmented_datagrams"], tot
# Tunnels of the targets (X3 is counted on their S1-U tunnels) with fragmented G-PDUs.
targets = {l.split()[0] for l in open(base + ".targets")}
subs = {l["sub"] for l in frag if l["type"] == "subscriber" and l["imsi"] in targets}
teids = {l["teid"] for l in frag if l["type"] == "tunnel" and l["sub"] in subs}
fr = [int(t, 16) for t in open(base + ".fragteids").read().split()]
hit = sum(t in teids for t in fr)
assert hit > 0, "no fragmented G-PDU of a target"
print(f"{base}: {nfrag} fragments, {tot['fragmented_datagrams']} datagrams "
      f"({tot['reordered_datagrams']} out of order), {hit} fragmented G-PDUs of targets")
PY
}
check_capture v4
check_capture v6 --ipv6-transport

# ---------------------------------------------------------------- 2. the POI end to end
# The wrapper is the overt binary itself (exec keeps the pid, so test_poi_e2e.sh's signals
# reach the POI) with the POI's stdout also copied to $POI_SUMMARY_COPY.
cat > "$T/overt" <<SH
#!/usr/bin/env bash
if [ "\${1:-}" = poi ] && [ -n "\${POI_SUMMARY_COPY:-}" ]; then
	exec "$OVERT_BIN" "\$@" > >(tee -a "\$POI_SUMMARY_COPY")
fi
exec "$OVERT_BIN" "\$@"
SH
chmod 755 "$T/overt"
poi_e2e() {	# NAME GENERATOR-ARGS
	local name=$1 args=$2 sum="$T/$1.poi-summaries"
	: > "$sum"
	chmod 666 "$sum"
	OVERT_BIN="$T/overt" POI_SUMMARY_COPY="$sum" POI_E2E_GEN_ARGS="$args" \
		bash "$OVERT_SRC/tests/e2e/test_poi_e2e.sh" > "$T/$name.e2e.log" 2>&1 \
		|| { tail -40 "$T/$name.e2e.log" >&2; fail "$name: test_poi_e2e.sh"; }
	sleep 0.2	# the tee of the last POI
	# Two POI runs (first, and after the restart), each with reassembled datagrams and no drop.
	[ "$(grep -c '^IP fragments ' "$sum")" = 2 ] || { cat "$sum" >&2; fail "$name: no POI summaries"; }
	grep '^IP fragments ' "$sum" | while read -r line; do
		[[ $line =~ \(datagrams\ reassembled\ ([0-9]+),\ in\ progress\ 0,\ exact\ duplicates\ 0,\ dropped\ 0\) ]] \
			|| fail "$name: $line"
		[ "${BASH_REMATCH[1]}" -gt 0 ] || fail "$name: nothing reassembled: $line"
	done
	! grep -q '^refused fragment' "$sum" || fail "$name: fragments refused: $(grep '^refused fragment' "$sum")"
	grep -q '^reassembly memory ' "$sum" || fail "$name: no memory line"
	grep '^IP fragments\|^X3 packets' "$sum" | head -2
	grep '^ground truth' "$T/$name.e2e.log" | head -1
}
poi_e2e v4 "--mtu 700"
poi_e2e v6 "--mtu 700 --ipv6-transport --vlan 100"

# ---------------------------------------------------------------- 3. configuration
"$OVERT_BIN" pki init "$T/pki" >/dev/null
poi_yaml() {	# REASSEMBLY-BLOCK
	cat <<YAML
ne_identifier: epc-poi-01
$1
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
}
mkdir -p "$T/state"
if [ "$(id -u)" = 0 ]; then chown nobody "$T/state"; user="capture: {user: nobody}"; else user=""; fi
good="$user
reassembly:
  max_datagrams: 512
  max_fragments: 16
  memory: 2MiB
  timeout: 5"
poi_yaml "$good" > "$T/good.yaml"
"$OVERT_BIN" poi --config "$T/good.yaml" -n >/dev/null || fail "reassembly keys refused"
for bad in "max_datagrams: 0" "max_fragments: 1" "memory: 65000" "memory: 2GiB" "timeout: 0" \
    "timeout: 3601" "max_datagrams: 1048576
  max_fragments: 8192" "maxfragments: 4"; do
	poi_yaml "reassembly:
  $bad" > "$T/bad.yaml"
	if "$OVERT_BIN" poi --config "$T/bad.yaml" -n >/dev/null 2>"$T/bad.err"; then
		fail "reassembly '$bad' accepted"
	fi
	grep -q "reassembly\|max\|memory\|timeout" "$T/bad.err" || fail "reassembly '$bad': $(cat "$T/bad.err")"
done
# Same summary with and without fragments, but for the frame and fragment lines; the bound
# configured above is the one reported.
for f in v4-plain v4 v6-plain v6; do
	"$OVERT_BIN" poi --config "$T/good.yaml" --pcap "$T/$f.pcap" > "$T/$f.sum" 2>"$T/$f.log" \
		|| fail "POI on $f: $(tail -3 "$T/$f.log")"
	grep -v '^frames \|^IP fragments \|^reassembly memory ' "$T/$f.sum" > "$T/$f.cmp"
done
for v in v4 v6; do
	diff "$T/$v-plain.cmp" "$T/$v.cmp" >&2 || fail "$v: POI summaries differ"
	grep -q '^IP fragments  *0 (datagrams reassembled 0' "$T/$v-plain.sum" || fail "$v: plain run saw fragments"
	n=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readlines()[-1])["fragmented_datagrams"])' \
		"$T/$v.truth.jsonl")
	grep -q "^IP fragments .*(datagrams reassembled $n, in progress 0, exact duplicates 0, dropped 0)" \
		"$T/$v.sum" || fail "$v: expected $n datagrams: $(grep '^IP fragments' "$T/$v.sum")"
	grep -q '^reassembly memory .*(512 datagrams of up to 65535 octets in flight, 16 fragments each, 2048 KiB of fragment storage, peak [0-9]* KiB; timeout 5 s)' \
		"$T/$v.sum" || fail "$v: $(grep '^reassembly memory' "$T/$v.sum")"
done
echo "1 passed, 0 failed"
