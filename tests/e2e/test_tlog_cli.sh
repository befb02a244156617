#!/usr/bin/env bash
# End-to-end: `overt log` and `overt audit` over a directory and over HTTP, with independent
# checks: the checkpoint signature verified by `openssl pkeyutl`, the tree root recomputed
# from the published tiles by a few lines of Python (hashlib + cryptography), and tampering
# detected through the served copy.  Ports: 19100-19199 on 127.0.0.1.
set -euo pipefail

B=${OVERT_BIN:?OVERT_BIN not set}
PY=/usr/bin/python3
W=$(mktemp -d /tmp/test_tlog_cli.XXXXXX)
SRV=
cleanup() {
	if [ -n "$SRV" ]; then
		kill "$SRV" 2>/dev/null || true
		wait "$SRV" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect RC WORDS -- CMD...: runs CMD, wants exit status RC and WORDS in its output.
expect() {
	local want=$1 words=$2 rc=0
	shift 3
	"$@" >out.txt 2>&1 || rc=$?
	if [ "$rc" != "$want" ] || ! grep -q -- "$words" out.txt; then
		cat out.txt >&2
		fail "'$*': exit $rc (want $want), looking for '$words'"
	fi
}

# --- keys and a log -------------------------------------------------------------------------
$B log keygen --name li-log.example/audit --out log.key >log.vkey
$B log keygen --name w1.example --witness --out w1.key >w1.vkey
$B log keygen --name w2.example --witness --out w2.key >w2.vkey
[ "$(stat -c %a log.key)" = 600 ] || fail "key file mode"
grep -q '^li-log.example/audit+[0-9a-f]\{8\}+' log.vkey || fail "vkey format"
[ "$($B log vkey --key log.key)" = "$(cat log.vkey)" ] || fail "vkey differs"
expect 1 "exists" -- $B log keygen --name x --out log.key
chmod 644 log.key
expect 1 "group or others" -- $B log init --dir L --key log.key
chmod 600 log.key
$B log init --dir L --key log.key >/dev/null
expect 1 "exists" -- $B log init --dir L --key log.key

# Entries: one from arguments, then every type from stdin, then 700 more.
$B log append --dir L --key log.key type=operator.login user=op1 source=10.0.0.1 \
	result=success | grep -q '^ok 0 1$' || fail "single append ack"
$B log warrant-key --out w.key
[ "$(stat -c %a w.key)" = 600 ] || fail "warrant key mode"
C1=$(echo 001010123456789 | $B audit commitment --warrant-key w.key --type imsi | cut -d: -f2)
cat >entries.txt <<EOF
type=warrant.registered warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 authority=court-1 valid_from=1735689600 valid_until=1767225600 target=imsi:$C1
type=warrant.approved warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 approver=judge%20A
type=task.activated warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 xid=00000000-0000-4000-8000-000000000001 ne=poi-1 target=imsi:$C1 delivery=x2x3
type=task.modified warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 xid=00000000-0000-4000-8000-000000000001 ne=poi-2 target=imsi:$C1 delivery=x2
type=delivery.counters xid=00000000-0000-4000-8000-000000000001 start_ms=1000 end_ms=61000 records=12 bytes=3456
type=task.deactivated warrant=6f1c3c52-4c1e-4a59-9a37-2b7c1d0e9f10 xid=00000000-0000-4000-8000-000000000001 ne=poi-2
type=config.change component=mdf key=x2.listen value_sha256=0a438a1e7c31795834564794789cc525c578679db257e96d90c1fa85d497f485 actor=op1
type=alert severity=warning source=mdf message=disk%20full
this line is not an entry
EOF
rc=0
$B log append --dir L --key log.key - <entries.txt >acks.txt 2>err.txt || rc=$?
[ $rc = 1 ] || fail "a bad line must make append exit 1"
[ "$(wc -l <acks.txt)" = 8 ] || fail "8 acks expected"
grep -q '^ok 8 8$' acks.txt || fail "ack numbering"
grep -q 'line 9' err.txt || fail "bad line reported"
# identity never on stdout/stderr of append
! grep -q 001010123456789 acks.txt err.txt || fail "identity leaked"
seq 9 708 | sed 's/.*/type=alert severity=info source=gen message=gen-&/' |
	$B log append --dir L --key log.key --batch 100 - >acks2.txt
[ "$(wc -l <acks2.txt)" = 700 ] || fail "700 acks expected"
tail -1 acks2.txt | grep -q '^ok 708 700$' || fail "last ack"
$B log checkpoint --dir L >ckpt.txt
sed -n 2p ckpt.txt | grep -qx 709 || fail "size 709"

# --- verify over the directory --------------------------------------------------------------
expect 0 "result:      OK" -- $B audit verify --log L --vkey log.vkey --state st
grep -q "entries:     709 checked" out.txt || fail "entry count"
grep -q "warrant.registered 1" out.txt || fail "per-type counts"
$B audit verify --log L --vkey "$(cat log.vkey)" --list | grep -q \
	"seq=708 time=.* type=alert severity=info source=gen message=gen-708" || fail "--list"
expect 2 "not a log verifier key" -- $B audit verify --log L --vkey w1.vkey
$B log keygen --name li-log.example/audit --out other.key >other.vkey
expect 1 "unknown key" -- $B audit verify --log L --vkey other.vkey
expect 2 "" -- $B audit verify --log L
expect 3 "" -- $B audit verify --log "$W/nonexistent" --vkey log.vkey

# Commitment revealed to an auditor.
expect 0 "match" -- sh -c "echo 001010123456789 | $B audit commitment --warrant-key w.key --type imsi --expect $C1"
expect 1 "no match" -- sh -c "echo 001010123456788 | $B audit commitment --warrant-key w.key --type imsi --expect $C1"

# --- independent checks: openssl and python -------------------------------------------------
$PY - "$(cat log.vkey)" L <<'EOF'
import base64, hashlib, os, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
vkey, d = sys.argv[1], sys.argv[2]
name, kid, kb = vkey.split('+', 2)
raw = base64.b64decode(kb)
assert raw[0] == 1
pub = raw[1:]
assert hashlib.sha256(name.encode() + b'\n\x01' + pub).hexdigest()[:8] == kid
note = open(os.path.join(d, 'checkpoint'), 'rb').read()
body, sigs = note.split(b'\n\n', 1)
body += b'\n'
origin, size, root = body.decode().splitlines()[:3]
size = int(size)
line = sigs.decode().splitlines()[0]
assert line.startswith('\u2014 ' + name + ' ')
payload = base64.b64decode(line.split(' ')[2])
assert payload[:4].hex() == kid
Ed25519PublicKey.from_public_bytes(pub).verify(payload[4:], body)
open('body.bin', 'wb').write(body)
open('sig.bin', 'wb').write(payload[4:])
der = bytes.fromhex('302a300506032b6570032100') + pub
open('pub.pem', 'w').write('-----BEGIN PUBLIC KEY-----\n' + base64.b64encode(der).decode() +
                           '\n-----END PUBLIC KEY-----\n')
# Root from the entry bundles, RFC 6962 MTH written out.
def tpath(n):
    s = '%03d' % (n % 1000); n //= 1000
    while n: s = 'x%03d/' % (n % 1000) + s; n //= 1000
    return s
leaves = []
for k in range((size + 255) // 256):
    w = min(256, size - 256 * k)
    p = os.path.join(d, 'tile/entries', tpath(k) + ('' if w == 256 else '.p/%d' % w))
    b = open(p, 'rb').read(); i = 0
    while i < len(b):
        n = struct.unpack('>H', b[i:i + 2])[0]
        e = b[i + 2:i + 2 + n]; i += 2 + n
        assert e[0] == 1 and struct.unpack('>Q', e[2:10])[0] == len(leaves)
        leaves.append(hashlib.sha256(b'\0' + e).digest())
assert len(leaves) == size
def mth(h):
    if len(h) == 1: return h[0]
    k = 1
    while k * 2 < len(h): k *= 2
    return hashlib.sha256(b'\1' + mth(h[:k]) + mth(h[k:])).digest()
assert base64.b64encode(mth(leaves)).decode() == root, 'root differs'
print('python: signature and root of', size, 'entries verified')
EOF
openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in body.bin -sigfile sig.bin |
	grep -q "Signature Verified Successfully" || fail "openssl verify"
printf 'x' >>body.bin
! openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in body.bin -sigfile sig.bin \
	>/dev/null 2>&1 || fail "openssl accepted a changed body"

# --- witnesses ------------------------------------------------------------------------------
$B log witness --state ws1 --key w1.key --log-vkey log.vkey --log L --out c1 2>/dev/null
$B log witness --state ws2 --key w2.key --log-vkey "$(cat log.vkey)" --log L >c2 2>/dev/null
grep -q '^— w1.example ' c1 || fail "cosignature line"
expect 1 "witness quorum" -- $B audit verify --log L --vkey log.vkey --witness-vkey w1.vkey
$B log cosign --dir L --witness-vkey w1.vkey --witness-vkey w2.vkey --in c1
expect 1 "witness quorum" -- $B audit verify --log L --vkey log.vkey --witness-vkey w1.vkey \
	--witness-vkey w2.vkey
expect 0 "witnesses 1 valid of 2 known (quorum 1)" -- $B audit verify --log L --vkey log.vkey \
	--witness-vkey w1.vkey --witness-vkey w2.vkey --witness-quorum 1
$B log cosign --dir L --witness-vkey w1.vkey --witness-vkey w2.vkey <c2
expect 0 "result:      OK" -- $B audit verify --log L --vkey log.vkey --witness-vkey w1.vkey \
	--witness-vkey w2.vkey --state st
expect 1 "" -- $B log cosign --dir L --witness-vkey w2.vkey --in c1
cp ckpt.txt old-checkpoint.txt
cp -a L L709

# --- over HTTP ------------------------------------------------------------------------------
seq 709 1500 | sed 's/.*/type=alert severity=info source=gen message=gen-&/' |
	$B log append --dir L --key log.key - >/dev/null
for PORT in $(shuf -i 19100-19199 -n 20); do
	$PY -m http.server --bind 127.0.0.1 "$PORT" --directory "$W" >http.log 2>&1 &
	SRV=$!
	for _ in $(seq 50); do
		curl -sf "http://127.0.0.1:$PORT/L/checkpoint" >/dev/null 2>&1 && break
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.1
	done
	curl -sf "http://127.0.0.1:$PORT/L/checkpoint" >/dev/null 2>&1 && break
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
done
[ -n "$SRV" ] || fail "no port for the HTTP server"
U=http://127.0.0.1:$PORT
expect 0 "result:      OK" -- $B audit verify --log "$U/L" --vkey log.vkey --state st
grep -q "previous:    size 709 verified before, consistent" out.txt || fail "consistency"
# The witness follows the log over HTTP: consistency 709 -> 1501 from the served tiles.
$B log witness --state ws1 --key w1.key --log-vkey log.vkey --log "$U/L" --out c3 2>/dev/null
$B log cosign --dir L --witness-vkey w1.vkey --in c3
expect 0 "witnesses 1 valid" -- $B audit verify --log "$U/L" --vkey log.vkey \
	--witness-vkey w1.vkey
# Proofs.
$B audit prove inclusion --log "$U/L" --vkey log.vkey --index 3 --out p3 2>/dev/null
head -1 p3 | grep -qx 'c2sp.org/tlog-proof@v1' || fail "tlog-proof label"
expect 0 "proven: entry 3 is in li-log.example/audit at size 1501" -- \
	$B audit prove check --vkey log.vkey --proof p3
grep -q "type=task.activated" out.txt || fail "proven entry text"
$PY -c "import sys; l=open('p3').read().split('\n'); l[3]=('B' if l[3][0]=='A' else 'A')+l[3][1:]; open('p3','w').write('\n'.join(l))"	# first proof hash changed
expect 1 "not proven" -- $B audit prove check --vkey log.vkey --proof p3
expect 0 "consistent" -- $B audit prove consistency --log "$U/L" --vkey log.vkey \
	--old-checkpoint old-checkpoint.txt
grep -q "old 709 .* (signed)" out.txt || fail "old checkpoint used"
# Replay: the 709 copy served again after 1501 was verified.
expect 1 "replayed old checkpoint" -- $B audit verify --log "$U/L709" --vkey log.vkey --state st
# Tampering through the server: a truncated tile, an edited entry.
cp -a L T
truncate -s 4000 T/tile/0/002
expect 1 "tile truncated: tile/0/002 has 4000 bytes, want 8192" -- \
	$B audit verify --log "$U/T" --vkey log.vkey
rm -rf T && cp -a L T
$PY - T/tile/entries/001 <<'EOF'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[-1] ^= 1; open(p, 'wb').write(b)
EOF
expect 1 "entry 511 edited" -- $B audit verify --log "$U/T" --vkey log.vkey
expect 3 "" -- $B audit verify --log "$U/none" --vkey log.vkey
echo "test_tlog_cli: ok"
