#!/usr/bin/env bash
# End-to-end test of `overt pki init`: files and modes, refusal to overwrite, options, OpenSSL's
# own verifier on every certificate (both TLS purposes), and a mutual-TLS session between
# openssl s_server and s_client with the generated certificates (and its refusal without a
# client certificate).
set -euo pipefail
: "${OVERT_BIN:?}"
work=$(mktemp -d /tmp/overt-pki-e2e.XXXXXX)
srv_pid=
cleanup() { [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

d=$work/pki
"$OVERT_BIN" pki init "$d" >/dev/null || fail "pki init"
for r in ca admf poi mdf lemf; do
  [ -f "$d/$r.pem" ] && [ -f "$d/$r.key" ] || fail "missing $r files"
  [ "$(stat -c %a "$d/$r.key")" = 600 ] || fail "$r.key mode is $(stat -c %a "$d/$r.key")"
done
for r in admf poi mdf lemf; do
  openssl verify -CAfile "$d/ca.pem" -purpose sslserver "$d/$r.pem" >/dev/null || fail "verify $r server"
  openssl verify -CAfile "$d/ca.pem" -purpose sslclient "$d/$r.pem" >/dev/null || fail "verify $r client"
  openssl x509 -in "$d/$r.pem" -noout -subject | grep -q "CN = $r" || fail "$r CN"
  openssl x509 -in "$d/$r.pem" -noout -ext subjectAltName | grep -q "DNS:localhost, IP Address:127.0.0.1" || fail "$r SAN"
done
openssl x509 -in "$d/ca.pem" -noout -ext basicConstraints | grep -q "critical" || fail "CA basicConstraints not critical"

# Never overwrites: second run fails and leaves every file as it was.
before=$(sha256sum "$d"/* | sha256sum)
if "$OVERT_BIN" pki init "$d" 2>"$work/err"; then fail "overwrote an existing PKI"; fi
grep -q "refusing to overwrite" "$work/err" || fail "no clear error: $(cat "$work/err")"
[ "$(sha256sum "$d"/* | sha256sum)" = "$before" ] || fail "files changed"

# Options: chosen roles and lifetime.
"$OVERT_BIN" pki init "$work/p2" --roles poi,mdf --days 2 >/dev/null || fail "--roles/--days"
[ -f "$work/p2/poi.pem" ] && [ -f "$work/p2/mdf.pem" ] && [ ! -e "$work/p2/admf.pem" ] || fail "roles"
openssl x509 -in "$work/p2/poi.pem" -noout -checkend 86400 >/dev/null || fail "expires too early"
if openssl x509 -in "$work/p2/poi.pem" -noout -checkend $((3 * 86400)) >/dev/null; then fail "--days ignored"; fi
for bad in "--roles Bad" "--roles ca" "--roles poi,poi" "--days 0" "--days 99999999" "--days -1"; do
  # shellcheck disable=SC2086
  if "$OVERT_BIN" pki init "$work/p3" $bad 2>/dev/null; then fail "accepted $bad"; fi
done
[ ! -e "$work/p3/ca.pem" ] || fail "bad arguments still wrote files"
if "$OVERT_BIN" pki 2>/dev/null; then fail "no DIR accepted"; fi

# Mutual TLS with OpenSSL's own client and server.
# Ports 19300-19339 (this test's range); try another if one is taken.
for try in 0 1 2 3 4; do
  port=$((19300 + ($$ + try * 7) % 40))
  openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$d/mdf.pem" -key "$d/mdf.key" \
    -CAfile "$d/ca.pem" -Verify 2 -verify_return_error -www >"$work/srv.log" 2>&1 &
  srv_pid=$!
  for _ in $(seq 50); do
    kill -0 "$srv_pid" 2>/dev/null || break
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break 2
    sleep 0.1
  done
  kill "$srv_pid" 2>/dev/null; wait "$srv_pid" 2>/dev/null || true; srv_pid=
done
[ -n "$srv_pid" ] || fail "openssl s_server could not listen"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$port" \
  -cert "$d/poi.pem" -key "$d/poi.key" -CAfile "$d/ca.pem" -verify_return_error \
  -verify_hostname localhost -verify_ip 127.0.0.1 >"$work/ok.log" 2>&1 || true
grep -q "Verify return code: 0 (ok)" "$work/ok.log" || fail "client did not verify server: $(tail -5 "$work/ok.log")"
grep -q "HTTP/1.0 200 ok" "$work/ok.log" || fail "mutual TLS session failed: $(tail -5 "$work/ok.log")"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$port" \
  -CAfile "$d/ca.pem" >"$work/nocert.log" 2>&1 || true
if grep -q "HTTP/1.0 200 ok" "$work/nocert.log"; then fail "server accepted a client without certificate"; fi
grep -qi "alert" "$work/nocert.log" || fail "no TLS alert without client certificate"
printf 'GET / HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$port" \
  -cert "$work/p2/poi.pem" -key "$work/p2/poi.key" -CAfile "$d/ca.pem" >"$work/other.log" 2>&1 || true
if grep -q "HTTP/1.0 200 ok" "$work/other.log"; then fail "server accepted a certificate from another CA"; fi
echo "test_pki: ok"
