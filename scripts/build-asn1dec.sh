#!/usr/bin/env bash
# Builds the independent HI2/HI3 decoder: asn1c (Debian package asn1c 0.9.28) compiles the
# project's ASN.1 subset (asn1/LI-PS-PDU-EPS-subset.asn) into DIR/gen and links DIR/progname,
# asn1c's converter-sample, with two PDU types:
#   progname -iber -oxer -c FILE                 a stream of PS-PDUs (HI2/HI3, TS 102 232-1)
#   progname -p EpsIRIContent -iber -oxer FILE   one X2 payload format 14 (TS 33.108 EpsIRIContent)
# Exit status of progname: 0 decoded, 65 decode error.
# Cached: nothing is rebuilt while DIR/.stamp matches the schema and this script.  Safe to run
# concurrently (flock).  Generated code stays in the build tree and is never committed.
set -euo pipefail
out=${1:?usage: build-asn1dec.sh DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
asn="$src/asn1/LI-PS-PDU-EPS-subset.asn"
command -v asn1c >/dev/null || { echo "build-asn1dec: asn1c not installed (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 9>"$out/.lock"
flock 9
stamp=$(cat "$asn" "$0" | sha256sum | cut -d' ' -f1)
if [ -x "$out/progname" ] && [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
rm -rf "$out/gen" "$out/progname" "$out/.stamp"
mkdir "$out/gen"
cd "$out/gen"
if ! asn1c -fcompound-names -pdu=PS-PDU -pdu=EpsIRIContent "$asn" >asn1c.log 2>&1; then
  echo "build-asn1dec: asn1c failed, see $out/gen/asn1c.log" >&2; exit 1
fi
# The generated Makefile appends to CFLAGS, so pass ours through the environment; plain -O1,
# no sanitizers: this is a test oracle, not our code.
if ! env CFLAGS="-O1 -w" make -j2 -f Makefile.am.sample >make.log 2>&1; then
  echo "build-asn1dec: build failed, see $out/gen/make.log" >&2; exit 1
fi
cp progname "$out/progname"
echo "$stamp" >"$out/.stamp"
