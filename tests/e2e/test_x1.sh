#!/usr/bin/env bash
# X1 end to end (ETSI TS 103 221-1): a POI-profile and an MDF-profile network element
# (tools/x1_ne_demo, the real x1 library over libmicrohttpd/GnuTLS) driven over mutual TLS by
# `overt x1` (libcurl/OpenSSL) and by plain curl.  Proves:
#   - every request type works end to end and every answer validates with xmllint against the
#     ETSI XSDs (shared/reference/xsd/x1-driver.xsd);
#   - the reference examples are accepted through curl, the INVALID one refused with 1010 and
#     nothing changed;
#   - error codes 1030 1040 1060 2010 2020 2040 3010 7010 and refusals: no client certificate,
#     certificate from another CA, wrong method/path, wrong content type, oversized body,
#     malformed XML, XXE, unknown xsi:type (each counted by reason in the NE's stats);
#   - change notifications reach the process after commit;
#   - tasks and destinations survive an NE restart.
set -euo pipefail

: "${OVERT_BIN:?}" "${OVERT_BUILD:?}" "${OVERT_SHARED:?}"
DEMO="$OVERT_BUILD/x1_ne_demo"
XSD="$OVERT_SHARED/reference/xsd/x1-driver.xsd"
EX="$OVERT_SHARED/reference/x1"
T=$(mktemp -d /tmp/test_x1.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass=0
ok() { pass=$((pass + 1)); }

"$OVERT_BIN" pki init "$T/pki" >/dev/null
"$OVERT_BIN" pki init "$T/other" >/dev/null	# an independent CA nobody trusts

# start_ne PROFILE NAME: runs the demo NE in the background, sets PORT_<NAME>.
start_ne() {
	local profile=$1 name=$2
	"$DEMO" --profile "$profile" --cert "$T/pki/$profile.pem" --key "$T/pki/$profile.key" \
		--ca "$T/pki/ca.pem" --db "$T/$name.db" --ne-id "$name" --admf-id admf \
		--port 0 --show-targets >"$T/$name.out" 2>"$T/$name.err" &
	PIDS+=($!)
	eval "PID_$name=$!"
	for _ in $(seq 100); do
		grep -q '"listening"' "$T/$name.out" 2>/dev/null && break
		sleep 0.1
	done
	local port
	port=$(grep -o '"listening","port":[0-9]*' "$T/$name.out" | grep -o '[0-9]*$') ||
		fail "$name did not start: $(cat "$T/$name.err")"
	eval "PORT_$name=$port"
}

stop_ne() {
	local name=$1 pid
	pid=$(eval echo "\$PID_$name")
	kill -TERM "$pid"
	wait "$pid" || fail "$name exited with $?"
}

start_ne poi poi
URL="https://localhost:$PORT_poi/X1/NE"
CLIENT=(--url "$URL" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key" --ca "$T/pki/ca.pem"
	--admf-id admf --ne-id poi)
n=0

# x1 EXPECTED_RC ARGS...: runs `overt x1`, keeps the answer in $T/r<n>.xml, checks it with
# xmllint against the ETSI XSDs and the exit status.
x1() {
	local want=$1 rc=0
	shift
	n=$((n + 1))
	"$OVERT_BIN" x1 "${CLIENT[@]}" "$@" >"$T/r$n.xml" 2>"$T/r$n.err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "overt x1 $* -> rc $rc, want $want: $(cat "$T/r$n.err")"
	xmllint --noout --schema "$XSD" "$T/r$n.xml" 2>"$T/r$n.lint" ||
		fail "answer to '$*' does not validate: $(cat "$T/r$n.lint")"
	ok
}
# last_has PATTERN: the last answer contains PATTERN.
last_has() { grep -q -- "$1" "$T/r$n.xml" || fail "answer $n lacks '$1': $(cat "$T/r$n.xml")"; }
code_is() { last_has "<errorCode>$1</errorCode>"; }

DID=3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
DID2=4b4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
XID=29f28e1c-f230-486a-a860-f5a784ab9172
XID2=39f28e1c-f230-486a-a860-f5a784ab9172

# ---- every request type through the client ----
x1 0 ping
last_has '<oK>AcknowledgedAndCompleted</oK>'
x1 0 keepalive
x1 0 get-ne-status
last_has '<neStatus>OK</neStatus>'
x1 0 create-destination --did $DID --addr 127.0.0.1 --port 19250 --name "MDF X2/X3"
x1 0 create-destination --did $DID2 --addr ::1 --port 19251 --delivery X2Only
x1 0 get-destination --did $DID2
last_has '<etsi:IPv6Address>0000:0000:0000:0000:0000:0000:0000:0001</etsi:IPv6Address>'
x1 0 get-all-destinations
[ "$(grep -c '<destinationResponseDetails>' "$T/r$n.xml")" -eq 2 ] || fail "two destinations"
x1 0 modify-destination --did $DID --addr 127.0.0.1 --port 19252 --name "MDF main"
x1 0 activate-task --xid $XID --imsi 001010123456789 --msisdn 447700900123 \
	--imei 35693803564380 --delivery X2andX3 --did $DID
grep -q '"event":"task_activated".*"value":"001010123456789"' "$T/poi.out" ||
	fail "no task_activated notification"
ok
x1 0 get-task --xid $XID
last_has '<imei>35693803564380</imei>'
last_has '<provisioningStatus>complete</provisioningStatus>'
x1 0 modify-task --xid $XID --imsi 001010123456780 --delivery X2Only --did $DID2
x1 0 get-task --xid $XID
last_has '<imsi>001010123456780</imsi>'
last_has '<numberOfModifications>1</numberOfModifications>'
x1 0 activate-task --xid $XID2 --msisdn 447700900999 --delivery X3Only --did $DID
x1 0 get-all-tasks
[ "$(grep -c '<taskResponseDetails>' "$T/r$n.xml")" -eq 2 ] || fail "two tasks"

# ---- error codes ----
x1 1 activate-task --xid $XID --imsi 001010123456789 --delivery X2Only --did $DID2
code_is 2010
x1 1 get-task --xid 49f28e1c-f230-486a-a860-f5a784ab9172
code_is 2020
x1 1 deactivate-task --xid 49f28e1c-f230-486a-a860-f5a784ab9172
code_is 2020
x1 1 activate-task --imsi 001010123456789 --delivery X2Only --did 5c4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
code_is 2040
x1 1 remove-destination --did $DID
code_is 7010
x1 1 activate-task --imsi 001010123456789 --delivery X2andX3 --did $DID2
code_is 3040
CLIENT=(--url "$URL" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key" --ca "$T/pki/ca.pem"
	--admf-id admf --ne-id some-other-ne)
x1 1 ping
code_is 1060
# The mdf certificate chains to the CA, but does not name "admf": 1030.
CLIENT=(--url "$URL" --cert "$T/pki/mdf.pem" --key "$T/pki/mdf.key" --ca "$T/pki/ca.pem"
	--admf-id admf --ne-id poi)
x1 1 create-destination --did 6c4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d --addr 127.0.0.1 --port 19253
code_is 1030
# Certificate and header agree ("mdf"), but mdf is not an ADMF of this NE: 1040.
CLIENT=(--url "$URL" --cert "$T/pki/mdf.pem" --key "$T/pki/mdf.key" --ca "$T/pki/ca.pem"
	--admf-id mdf --ne-id poi)
x1 1 activate-task --imsi 001010123456789 --delivery X2Only --did $DID2
code_is 1040
CLIENT=(--url "$URL" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key" --ca "$T/pki/ca.pem"
	--admf-id admf --ne-id poi)

# ---- raw XML: `overt x1 send` and curl with the reference examples ----
sed -e 's/admf01/admf/; s/epc-poi-01/poi/' "$EX/PingRequest.xml" >"$T/ping.xml"
x1 0 send "$T/ping.xml"
# 3010: a valid XSD target type that a POI does not support.
sed -e 's/admf01/admf/; s/epc-poi-01/poi/' \
    -e 's#<imsi>001010123456789</imsi>#<ipv4Address>192.0.2.1</ipv4Address>#' \
    -e "s/$XID/59f28e1c-f230-486a-a860-f5a784ab9172/" \
    "$EX/ActivateTaskRequest.xml" >"$T/ipv4.xml"
x1 1 send "$T/ipv4.xml"
code_is 3010

CURL=(curl -sS --cacert "$T/pki/ca.pem" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key"
	-H 'Content-Type: application/xml')
post() { # post FILE OUT: the documented curl command
	"${CURL[@]}" --data-binary @"$1" -o "$2" -w '%{http_code}' "$URL"
}
x1 0 deactivate-all
grep -q '"event":"all_tasks_deactivated".*"count":2' "$T/poi.out" || fail "deactivate-all event"
x1 0 remove-destination --did $DID2
x1 0 remove-destination --did $DID
for f in CreateDestinationRequest ActivateTaskRequest PingRequest; do
	sed -e 's/admf01/admf/; s/epc-poi-01/poi/' "$EX/$f.xml" >"$T/$f.xml"
	code=$(post "$T/$f.xml" "$T/$f.out")
	[ "$code" = 200 ] || fail "curl $f: HTTP $code"
	xmllint --noout --schema "$XSD" "$T/$f.out" 2>/dev/null || fail "curl $f: answer invalid"
	grep -q '<oK>AcknowledgedAndCompleted</oK>' "$T/$f.out" || fail "curl $f: $(cat "$T/$f.out")"
	ok
done
sed -e 's/admf01/admf/; s/epc-poi-01/poi/' "$EX/ActivateTaskRequest_INVALID.xml" >"$T/inv.xml"
[ "$(post "$T/inv.xml" "$T/inv.out")" = 200 ] || fail "INVALID: HTTP status"
xmllint --noout --schema "$XSD" "$T/inv.out" 2>/dev/null || fail "INVALID: answer invalid"
grep -q '<errorCode>1010</errorCode>' "$T/inv.out" || fail "INVALID: $(cat "$T/inv.out")"
grep -q '<requestMessageType>ActivateTask</requestMessageType>' "$T/inv.out" || fail "INVALID type"
ok
x1 0 get-all-tasks	# nothing changed: still the one valid task, unmodified
[ "$(grep -c '<taskResponseDetails>' "$T/r$n.xml")" -eq 1 ] || fail "INVALID changed tasks"
last_has '<numberOfModifications>0</numberOfModifications>'
last_has '<imei>35693803564380</imei>'

# ---- refusals before any X1 processing ----
http() { # http EXPECTED CURL-ARGS...
	local want=$1 got
	shift
	got=$(curl -sS -o /dev/null -w '%{http_code}' "$@" || true)
	[ "$got" = "$want" ] || fail "curl $*: HTTP $got, want $want"
	ok
}
http 403 --cacert "$T/pki/ca.pem" -H 'Content-Type: application/xml' \
	--data-binary @"$T/ping.xml" "$URL"
http 403 --cacert "$T/pki/ca.pem" --cert "$T/other/admf.pem" --key "$T/other/admf.key" \
	-H 'Content-Type: application/xml' --data-binary @"$T/ping.xml" "$URL"
http 405 --cacert "$T/pki/ca.pem" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key" "$URL"
http 404 "${CURL[@]:1}" --data-binary @"$T/ping.xml" "https://localhost:$PORT_poi/X1/ADMF"
http 415 --cacert "$T/pki/ca.pem" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key" \
	-H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$T/ping.xml" "$URL"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$T/big.xml"
http 413 "${CURL[@]:1}" --data-binary @"$T/big.xml" "$URL"
# The client refuses a server from another CA as well.
n=$((n + 1))
rc=0
"$OVERT_BIN" x1 --url "$URL" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key" \
	--ca "$T/other/ca.pem" --admf-id admf --ne-id poi ping >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] || fail "client trusted a server from another CA (rc $rc)"
ok

# top_level FILE REASON: the NE answers X1TopLevelErrorResponse (valid) with X-X1-Error.
top_level() {
	local hdr="$T/tl.hdr"
	"${CURL[@]}" -D "$hdr" --data-binary @"$1" -o "$T/tl.out" "$URL"
	grep -q 'X1TopLevelErrorResponse' "$T/tl.out" || fail "$1: $(cat "$T/tl.out")"
	xmllint --noout --schema "$XSD" "$T/tl.out" 2>/dev/null || fail "$1: answer invalid"
	grep -qi "^X-X1-Error: $2" "$hdr" || fail "$1: $(cat "$hdr")"
	ok
}
printf '<X1Request xmlns="http://uri.etsi.org/03221/X1/2017/10"><x1Req' >"$T/malformed.xml"
top_level "$T/malformed.xml" "XML not well-formed"
{ echo '<?xml version="1.0"?><!DOCTYPE X1Request [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
  sed 1d "$T/ping.xml" | sed 's#<admfIdentifier>admf#<admfIdentifier>\&x;#'; } >"$T/xxe.xml"
top_level "$T/xxe.xml" "DOCTYPE not allowed"
sed 's/PingRequest/SelfDestructRequest/' "$T/ping.xml" >"$T/type.xml"
top_level "$T/type.xml" "unknown message type"

# ---- counters by reason ----
kill -USR1 "$PID_poi"
for _ in $(seq 50); do grep -q '"event":"stats"' "$T/poi.out" && break; sleep 0.1; done
S=$(grep '"event":"stats"' "$T/poi.out" | tail -1)
for want in '"no client certificate":1' '"client certificate not trusted":1' \
	    '"unknown path":1' '"method not allowed":1' '"unsupported content type":1' \
	    '"request body too large":1' '"XML not well-formed":1' '"DOCTYPE not allowed":1' \
	    '"unknown message type":1' '"1010":1' '"3010":1' '"2010":1' '"7010":1'; do
	echo "$S" | grep -q "$want" || fail "stats lack $want: $S"
done
ok

# ---- persistence across restart ----
stop_ne poi
grep -q '"event":"stats"' "$T/poi.out" || fail "no final stats"
start_ne poi poi
grep -q '"event":"loaded","tasks":1,"destinations":1' "$T/poi.out" || fail "reload: $(head -3 "$T/poi.out")"
grep -q '"event":"task_loaded".*"value":"001010123456789"' "$T/poi.out" || fail "task_loaded"
URL="https://localhost:$PORT_poi/X1/NE"
CLIENT=(--url "$URL" --cert "$T/pki/admf.pem" --key "$T/pki/admf.key" --ca "$T/pki/ca.pem"
	--admf-id admf --ne-id poi)
x1 0 get-task --xid $XID
last_has '<e164Number>447700900123</e164Number>'
x1 1 activate-task --xid $XID --imsi 001010123456789 --delivery X2andX3 --did $DID
code_is 2010
stop_ne poi

# ---- MDF profile: mediation details with HI2/HI3 destinations ----
start_ne mdf mdf
CLIENT=(--url "https://localhost:$PORT_mdf/X1/NE" --cert "$T/pki/admf.pem"
	--key "$T/pki/admf.key" --ca "$T/pki/ca.pem" --admf-id admf --ne-id mdf)
HI2=7d4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
HI3=8d4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d
x1 0 create-destination --did $HI2 --addr 127.0.0.1 --port 19260 --delivery X2Only --name "LEA HI2"
x1 0 create-destination --did $HI3 --addr 127.0.0.1 --port 19261 --delivery X3Only --name "LEA HI3"
x1 1 activate-task --xid $XID --imsi 001010123456789 --delivery X2andX3
code_is 3000
x1 0 activate-task --xid $XID --imsi 001010123456789 --delivery X2andX3 \
	--liid LIID-0042 --mediation-delivery HI2andHI3 --mediation-dest $HI2 --mediation-dest $HI3 \
	--start 2025-01-01T00:00:00.000000Z
x1 0 get-task --xid $XID
last_has '<LIID>LIID-0042</LIID>'
last_has '<deliveryType>HI2andHI3</deliveryType>'
grep -q '"event":"task_activated".*"liid":"LIID-0042"' "$T/mdf.out" || fail "mdf notification"
x1 1 remove-destination --did $HI3
code_is 7010
x1 0 deactivate-task --xid $XID
grep -q '"event":"task_deactivated".*"liid":"LIID-0042"' "$T/mdf.out" || fail "deactivate event"
x1 0 remove-destination --did $HI3
x1 1 get-task --xid $XID
code_is 2020
stop_ne mdf

echo "x1 e2e: $pass passed, 0 failed"
