#!/usr/bin/env bash
# `make demo` must keep working at every commit: run scripts/demo.sh on this build and check
# what it promises: the agency's pcap holds exactly the target's user packets of the generator's
# ground truth, the IRI JSON one event per bearer procedure, and the LEMF saw no gap.
set -euo pipefail
: "${OVERT_BUILD:?}" "${OVERT_SRC:?}"
out=$(mktemp /tmp/overt-test-demo.XXXXXX)
D=""
cleanup() { rm -f "$out"; [ -n "$D" ] && [ -z "${KEEP:-}" ] && rm -rf "$D"; true; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$out" >&2; exit 1; }

bash "$OVERT_SRC/scripts/demo.sh" "$OVERT_BUILD" >"$out" 2>&1 || fail "demo exited $?"
pcap=$(sed -n "s/^  the agency's pcap of the target's packets: *//p" "$out")
[ -n "$pcap" ] && [ -f "$pcap" ] || fail "demo did not say where the agency's pcap is"
D=${pcap%/agency/*}
case "$D" in /tmp/overt-demo.*) ;; *) fail "unexpected demo folder $D" ;; esac
grep -q "0 duplicates dropped, 0 gaps (0 missing)" "$out" || fail "LEMF report shows gaps"

/usr/bin/python3 - "$D" <<'PY' || fail "demo output differs from the ground truth"
import json, os, struct, sys
D = sys.argv[1]
imsi = open(f"{D}/epc.targets").read().split()[0]
subs, gpdus, iris = set(), 0, 0
recs = [json.loads(l) for l in open(f"{D}/epc.truth.jsonl")]
for r in recs:
    if r["type"] == "subscriber" and r["imsi"] == imsi: subs.add(r["sub"])
for r in recs:
    if r.get("sub") in subs:
        if r["type"] == "tunnel": gpdus += r["gpdus"]
        if r["type"] == "proc": iris += len(r.get("ebis") or [])
sys.path.insert(0, os.environ["OVERT_SRC"] + "/tests/e2e/lib")
import pcapfile
pk = pcapfile.read(f"{D}/agency/DEMO-LIID-1/cc.pcap")[1]
n = len(pk)
if not {p.direction for p in pk} >= {1, 2}:
    sys.exit("the agency's pcap lacks the direction of its packets")
events = [json.loads(l) for l in open(f"{D}/agency/DEMO-LIID-1/iri.jsonl")]
bad = [e for e in events if e.get("imsi") != imsi]
print(f"target {imsi}: pcap {n} packets (truth {gpdus}), IRI {len(events)} (truth {iris})")
sys.exit(0 if n == gpdus and gpdus > 0 and len(events) == iris and iris > 0 and not bad else 1)
PY
# The X2/X3 recorder's capture, through tshark's 5gli dissector: no malformed PDU, and as
# many X2 and X3 PDUs as the agency received.
x2x3=$D/x2x3.pcap
types=$(tshark -r "$x2x3" -d tcp.port==9999,5gli -T fields -e li5g.type 2>/dev/null | sort | uniq -c | tr -s ' ')
n2=$(awk '$2==1{print $1}' <<<"$types"); n3=$(awk '$2==2{print $1}' <<<"$types")
[ "${n2:-0}" -gt 0 ] && [ "$n2" = "$(grep -c . "$D/agency/DEMO-LIID-1/iri.jsonl")" ] ||
  fail "X2 PDUs seen by tshark: ${n2:-0}"
[ "${n3:-0}" -gt 0 ] && [ "$n3" = "$(capinfos -c -M "$pcap" | awk '/Number of packets/{print $NF}')" ] ||
  fail "X3 PDUs seen by tshark: ${n3:-0}"
[ "$(tshark -r "$x2x3" -d tcp.port==9999,5gli -Y _ws.malformed 2>/dev/null | wc -l)" = 0 ] ||
  fail "tshark finds malformed X2/X3 PDUs"
grep -E '^stream ' "$out" | grep -vq ' pending 0 ' && fail "the MDF stopped with records unacknowledged"
command -v capinfos >/dev/null && { capinfos -c "$pcap" >/dev/null 2>&1 || fail "capinfos cannot read $pcap"; }
echo "demo: ok"
