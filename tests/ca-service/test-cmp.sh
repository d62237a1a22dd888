#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The reference CA service's CMP endpoint (POST /.well-known/cmp) against a
# client nobody here wrote: OpenSSL's `openssl cmp`, with software keys and
# certificates the service issued. Key update success (the certificate
# checked with openssl verify), the gate's refusals in words, the other
# request types refused, the protecting certificate judged (foreign CA,
# unregistered, revoked, long expired), idempotence on the transaction ID,
# waiting then polling, a certConf after a restart, a rejected certificate,
# and the faults.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
. "$top/tests/lib/tap.sh"
build=${UKEY_TOP_BUILDDIR:-$top}
CA_SERVICE_DIR=${CA_SERVICE_DIR:-$build/ca-service}
CA_TEST_DIR=${CA_TEST_DIR:-$build/tests/ca-service}
. "$here/ca-lib.sh"
need_tools openssl jq sqlite3
openssl cmp -help >/dev/null 2>&1 || tap_skip_all "this openssl has no cmp command"
W=$(mktemp -d "${TMPDIR:-/tmp}/ca-cmp-test.XXXXXX")
trap 'ca_stop_all; [ -n "${CA_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT
BIN=$CA_SERVICE_DIR TBIN=$CA_TEST_DIR ST=$W/st
tap_plan 81

ca_start "$ST" || { echo "Bail out! the service did not start"; cat "$ST.log" >&2; exit 1; }
now=$(date +%s)
q() { "$@" >&2; }
keygen() { # FILE rsa|rsa1024|ec|sm2
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null ;;
	rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$1" 2>/dev/null ;;
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" ;;
	sm2) openssl genpkey -algorithm SM2 -out "$1" ;;
	esac
}
# mkuser NAME TYPE MEDIUM [issue options]: key, certificate, enrolled (MEDIUM "" = not)
mkuser() {
	local n=$1 m=$3
	keygen "$W/$n.key" "$2"
	shift 3
	"$BIN/ca-service" issue --state "$ST" --key "$W/$n.key" --subject "/C=CN/O=测试单位/CN=$n 测试用户" \
		--out "$W/$n.pem" "$@" && { [ -z "$m" ] || ca_cli enroll "$m" "$W/$n.pem" >/dev/null; }
}
bind() { # NAME MEDIUM: bound to the phone account
	ca_call "$W/$1.key" "$W/$1.pem" POST /api/v1/binding '{}'
	ca_cli confirm-binding "$(jq -r .code <<<"$BODY")" "${2: -4}" >/dev/null
}
paid_order() { # MEDIUM
	local o
	o=$(ca_cli create-order "$1" --covers cert --price 20000 | jq -r .id)
	ca_cli pay "$o" wechat >/dev/null
}
pubhash() { openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
certkey() { openssl x509 -noout -pubkey -in "$1" | pubhash; }
keyhash() { openssl pkey -pubout -in "$1" | pubhash; }
issued() { sqlite3 "$ST/ca.db" "SELECT count(*) FROM renewals WHERE medium = '$1'"; }
order_state() { sqlite3 "$ST/ca.db" "SELECT state FROM orders WHERE medium = '$1' ORDER BY n DESC LIMIT 1"; }
# kur CERT KEY NEWKEY OUT [openssl cmp options]: sets OUT_TEXT and RC.
kur() {
	local c=$1 k=$2 n=$3 o=$4
	shift 4
	rm -f "$o"
	OUT_TEXT=$(openssl cmp -config "" -server "$CA_CMP_URL" -tls_used -tls_trusted "$CA_TLS" \
		-trusted "$CA_USER_CA" -cert "$c" -key "$k" -cmd kur -newkey "$n" -certout "$o" \
		-msg_timeout 20 "$@" 2>&1)
	RC=$?
	printf '%s\n' "$OUT_TEXT" >&2
}
same() { [ -s "$1" ] && [ -s "$2" ] && [ "$(openssl x509 -outform DER -in "$1" | sha256sum)" = "$(openssl x509 -outform DER -in "$2" | sha256sum)" ]; }

M1=0071120231130100 M2=0071120231130200 M3=0071120231130300 M4=0071120231130400
mkuser u ec $M1 && bind u $M1 && mkuser v ec $M2 && mkuser r rsa $M3 && bind r $M3 &&
	mkuser s sm2 $M4 && bind s $M4 || { echo "Bail out! cannot make users"; exit 1; }
ca_cli check-identity $M3 >/dev/null
ca_cli check-identity $M4 >/dev/null
keygen "$W/n1.key" ec

# --- the endpoint
t_is "$CA_CMP_URL" "$CA_URL/.well-known/cmp" "serve names the CMP endpoint: the service's URL and /.well-known/cmp"
t_check "the CMP signer certificate chains to the user CA" q openssl verify -CAfile "$CA_USER_CA" "$CA_CMP_SIGNER"
t_grep "... and is a CMP signer: digitalSignature, extendedKeyUsage cmcCA" "CMC Certificate Authority" \
	"$(openssl x509 -noout -ext extendedKeyUsage,keyUsage -in "$CA_CMP_SIGNER")"
http() { # METHOD CONTENT-TYPE BODY: the HTTP status line of the answer
	printf '%s /.well-known/cmp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$1" "$2" "${#3}" "$3" |
		timeout 10 openssl s_client -quiet -ign_eof -CAfile "$CA_TLS" -connect "${CA_URL#https://}" 2>/dev/null | head -1 | tr -d '\r'
}
t_grep "GET is refused: 405" "^HTTP/1.1 405" "$(http GET application/pkixcmp '')"
t_grep "another content type is refused: 415" "^HTTP/1.1 415" "$(http POST application/json '{}')"
t_grep "a body that is no PKIMessage: 400" "^HTTP/1.1 400" "$(http POST application/pkixcmp 'not DER')"

# --- the gate, in words
kur "$W/v.pem" "$W/v.key" "$W/n1.key" "$W/x.pem"
t_grep "not bound: rejection, notAuthorized, and why" \
	'PKIStatus: rejection; PKIFailureInfo: notAuthorized; StatusString: "the certificate is not bound to a phone account"' "$OUT_TEXT"
t_check "... the client fails and has no certificate" test "$RC" -ne 0 -a ! -e "$W/x.pem"
bind v $M2
kur "$W/v.pem" "$W/v.key" "$W/n1.key" "$W/x.pem"
t_grep "identity not checked: refused in words" 'notAuthorized; StatusString: "the identity check at the CA is needed"' "$OUT_TEXT"
ca_cli check-identity $M1 >/dev/null
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem"
t_grep "no order: refused in words" 'notAuthorized; StatusString: "there is no renewal order"' "$OUT_TEXT"
order=$(ca_cli create-order $M1 --covers cert --price 20000 | jq -r .id)
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem"
t_grep "unpaid order: rejection, notAuthorized, \"the renewal order is not paid\"" \
	'PKIStatus: rejection; PKIFailureInfo: notAuthorized; StatusString: "the renewal order is not paid"' "$OUT_TEXT"
t_is "$RC $(issued $M1)" "1 0" "... the client fails, nothing is issued"
ca_cli pay "$order" transfer >/dev/null
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem"
t_grep "a bank transfer not yet confirmed: refused in words" "the bank transfer awaits the CA's confirmation" "$OUT_TEXT"
ca_cli confirm-transfer "$order" >/dev/null

# --- the other request types
sub=(-subject "/C=CN/CN=x")
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -cmd ir "${sub[@]}"
t_grep "ir is refused: kur only, in words" \
	'badRequest; StatusString: "this CA renews certificates by key update requests \(kur\) only; an initialization request \(ir\) is not served"' "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -cmd cr "${sub[@]}"
t_grep "cr is refused the same way" "kur\) only; a certification request \(cr\) is not served" "$OUT_TEXT"
openssl req -new -key "$W/n1.key" -subj /CN=x -out "$W/n1.csr"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -cmd p10cr -csr "$W/n1.csr"
t_grep "p10cr is refused the same way" "kur\) only; a PKCS#10 request \(p10cr\) is not served" "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -cmd rr -oldcert "$W/u.pem"
t_grep "rr is refused in words" "this CA does not revoke certificates over CMP" "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -cmd genm
t_grep "genm is refused in words (an error message)" \
	'received error:PKIStatus: rejection; PKIFailureInfo: badRequest; StatusString: "this CA answers no general messages \(genm\)' "$OUT_TEXT"
t_is "$(issued $M1) $(order_state $M1)" "0 paid" "... nothing issued, the order still paid"

# --- the protecting certificate
mkuser rogue ec "" --rogue
kur "$W/rogue.pem" "$W/rogue.key" "$W/n1.key" "$W/x.pem"
t_grep "protected by a certificate of another CA (same CA name): signerNotTrusted, in words" \
	'signerNotTrusted; StatusString: "the protecting certificate was not issued by this CA"' "$OUT_TEXT"
mkuser stranger ec ""
kur "$W/stranger.pem" "$W/stranger.key" "$W/n1.key" "$W/x.pem"
t_grep "a certificate of this CA registered with no medium: refused" \
	'signerNotTrusted; StatusString: "the protecting certificate is not registered with any medium"' "$OUT_TEXT"
mkuser revoked ec $M1
ca_cli revoke "$(openssl x509 -noout -serial -in "$W/revoked.pem" | sed 's/^serial=//')" >/dev/null
kur "$W/revoked.pem" "$W/revoked.key" "$W/n1.key" "$W/x.pem"
t_grep "a revoked certificate: refused" 'StatusString: "the protecting certificate is revoked"' "$OUT_TEXT"
mkuser older ec $M1 --not-before $((now - 500 * 86400)) --not-after $((now - 100 * 86400))
kur "$W/older.pem" "$W/older.key" "$W/n1.key" "$W/x.pem"
t_grep "expired more than 90 days ago: refused" "the protecting certificate expired more than 90 days ago" "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -unprotected_requests
t_grep "an unprotected request: refused in words" \
	'rejection; PKIFailureInfo: badRequest; StatusString: "the request carries no certificate in its extraCerts to check its protection with"' "$OUT_TEXT"
# forge IN OUT: IN with the last byte of its protection changed (still DER).
forge() {
	local off hl l pos b
	read -r off hl l < <(openssl asn1parse -inform DER -in "$1" |
		sed -n 's/^ *\([0-9]*\):d=1 *hl=\([0-9]*\) *l= *\([0-9]*\) cons: cont \[ 0 \].*/\1 \2 \3/p')
	pos=$((off + hl + l - 1))
	b=$(od -An -tu1 -j "$pos" -N1 "$1" | tr -d ' ')
	cp "$1" "$2" && printf "\\$(printf %o $((b ^ 1)))" | dd of="$2" bs=1 seek="$pos" conv=notrunc 2>/dev/null
}
"$TBIN/ca-test-cmpreq" kur "$W/u.pem" "$W/u.key" "$W/n1.key" 00112233445566778899aabbccddeeff "$W/good.der"
forge "$W/good.der" "$W/forged.der"
t_check "a kur whose protection signature is changed in its last byte (made by ca-test-cmpreq)" \
	test -s "$W/forged.der" -a "$(od -An -tx1 "$W/forged.der" | tr -d ' \n')" != "$(od -An -tx1 "$W/good.der" | tr -d ' \n')"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -reqin "$W/forged.der"
t_grep "... is refused: its protection does not verify, in words" \
	'rejection; PKIFailureInfo: badRequest; StatusString: "the request is not protected, or its protection does not verify with the first certificate of its extraCerts"' "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -popo 0
t_grep "proof of possession RAVERIFIED: refused, badPOP" "rejection; PKIFailureInfo: badPOP" "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/u.key" "$W/x.pem"
t_grep "the old key as the new one: refused, badCertTemplate" \
	'badCertTemplate; StatusString: "the new key is the old key: a key update needs a new key pair"' "$OUT_TEXT"
keygen "$W/weak.key" rsa1024
kur "$W/u.pem" "$W/u.key" "$W/weak.key" "$W/x.pem"
t_grep "an RSA-1024 new key: refused, badAlg" 'badAlg; StatusString: "the new key must be RSA of 2048 bits or more, EC or SM2"' "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -subject "/C=CN/CN=someone else"
t_grep "another subject asked for: refused" "a renewal keeps the subject of the certificate it renews" "$OUT_TEXT"
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/x.pem" -oldcert "$W/stranger.pem"
t_grep "oldCertID naming another certificate: refused, badCertId" "badCertId" "$OUT_TEXT"
t_is "$(issued $M1) $(order_state $M1)" "0 paid" "none of these issued anything; the order is still paid"

# --- key update
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/n1.pem" -reqout "$W/kur1.der,$W/cc1.der" -extracertsout "$W/extra1.pem"
t_is "$RC" 0 "EC key update: openssl cmp gets the certificate (kur, kup, certConf, pkiConf)"
t_grep "... confirmed and answered with pkiConf" "received PKICONF" "$OUT_TEXT"
t_check "... the answers carry the CMP signer certificate in extraCerts" same "$W/extra1.pem" "$CA_CMP_SIGNER"
t_check "... the certificate verifies against the user CA (openssl verify)" q openssl verify -CAfile "$CA_USER_CA" "$W/n1.pem"
t_is "$(certkey "$W/n1.pem")" "$(keyhash "$W/n1.key")" "... it carries the requested key"
t_is "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$W/n1.pem")" \
	"$(openssl x509 -noout -subject -nameopt RFC2253 -in "$W/u.pem")" "... and the old certificate's subject"
t_check "... and ends later than the old one" test "$(date -d "$(openssl x509 -noout -enddate -in "$W/n1.pem" | cut -d= -f2)" +%s)" \
	-gt "$(date -d "$(openssl x509 -noout -enddate -in "$W/u.pem" | cut -d= -f2)" +%s)"
t_is "$(issued $M1) $(order_state $M1)" "1 used" "one renewal issued; certConf made the order used"
tid=$("$TBIN/ca-test-cmpreq" tid "$W/kur1.der")
ca_call "$W/n1.key" "$W/n1.pem" GET "/api/v1/renewals/cmp-$tid"
jq -r .certificate <<<"$BODY" >"$W/native.pem"
t_check "the renewal is the native one too: GET /api/v1/renewals/cmp-<transaction ID> answers the certificate" same "$W/native.pem" "$W/n1.pem"
t_is "$(sqlite3 "$ST/ca.db" "SELECT state FROM renewals WHERE request_id = 'cmp-$tid'")" installed "... recorded as installed"
# post FILE: the head of the answer to FILE POSTed as application/pkixcmp.
post() {
	{ printf 'POST /.well-known/cmp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pkixcmp\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
		"$(stat -c %s "$1")"; cat "$1"; } |
		timeout 10 openssl s_client -quiet -ign_eof -CAfile "$CA_TLS" -connect "${CA_URL#https://}" 2>/dev/null |
		sed -n '1,/^\r\{0,1\}$/p' | tr -d '\r'
}
t_grep "the same kur posted by hand: 200, application/pkixcmp" "^Content-Type: application/pkixcmp" \
	"$(post "$W/kur1.der" | grep -A20 '^HTTP/1.1 200')"
head -c 600 "$W/kur1.der" >"$W/trunc.der"
t_grep "a truncated kur: 400" "^HTTP/1.1 400" "$(post "$W/trunc.der")"
cat "$W/kur1.der" "$W/kur1.der" >"$W/twice.der"
t_grep "a kur with trailing bytes: 400" "^HTTP/1.1 400" "$(post "$W/twice.der")"
ca_call "$W/n1.key" "$W/n1.pem" GET /api/v1/status
t_is "$HTTP" 200 "the new certificate authenticates at once"

# --- the transaction ID
kur "$W/u.pem" "$W/u.key" "$W/n1.key" "$W/again.pem" -reqin "$W/kur1.der,$W/cc1.der"
t_check "the same kur again (same transaction ID and key): the same certificate" same "$W/again.pem" "$W/n1.pem"
t_is "$(issued $M1) $(order_state $M1)" "1 used" "... nothing new issued"
keygen "$W/other.key" ec
"$TBIN/ca-test-cmpreq" kur "$W/u.pem" "$W/u.key" "$W/other.key" "$tid" "$W/kur-other.der"
t_is "$("$TBIN/ca-test-cmpreq" tid "$W/kur-other.der")" "$tid" "a kur for another key made under the used transaction ID"
kur "$W/u.pem" "$W/u.key" "$W/other.key" "$W/x.pem" -reqin "$W/kur-other.der"
t_grep "... refused: transactionIdInUse, in words" \
	'transactionIdInUse; StatusString: "this transaction ID was used for another key; a new request needs a new transaction ID"' "$OUT_TEXT"
kur "$W/n1.pem" "$W/n1.key" "$W/other.key" "$W/x.pem"
t_grep "a new transaction on the used order: refused in words" "the order's renewal was already issued" "$OUT_TEXT"

# --- waiting, then polling
paid_order $M1
ca_cli misbehave cmp-waiting 3 >/dev/null
keygen "$W/n2.key" ec
kur "$W/n1.pem" "$W/n1.key" "$W/n2.key" "$W/n2.pem"
t_is "$RC $(grep -c 'received POLLREP' <<<"$OUT_TEXT")" "0 2" "cmp-waiting 3: waiting, two pollRep, then the kup"
t_grep "... the client was told to poll" "received 'waiting' PKIStatus" "$OUT_TEXT"
t_check "... and the certificate verifies" q openssl verify -CAfile "$CA_USER_CA" "$W/n2.pem"
t_is "$(issued $M1) $(order_state $M1)" "2 used" "... one more renewal, the order used"

# --- faults
t_is "$(ca_cli misbehave cmp-waiting 0 2>/dev/null | jq -r .error.code)" bad_request "misbehave cmp-waiting 0 is refused (N >= 1)"
t_is "$(ca_cli misbehave wrong-key 1 --on /.well-known/cmp 2>/dev/null | jq -r .error.code)" bad_request \
	"misbehave wrong-key with --on is refused (it changes what is issued, wherever asked)"
paid_order $M1
keygen "$W/n3.key" ec
ca_cli misbehave fail-500 1 --on /.well-known/cmp >/dev/null
kur "$W/n2.pem" "$W/n2.key" "$W/n3.key" "$W/n3.pem"
t_check "misbehave fail-500 on the CMP path: the client fails (HTTP 500)" test "$RC" -ne 0 -a ! -e "$W/n3.pem"
t_grep "... it names the status" "500" "$OUT_TEXT"
ca_cli misbehave drop-connection 1 --on /.well-known/cmp >/dev/null
kur "$W/n2.pem" "$W/n2.key" "$W/n3.key" "$W/n3.pem"
t_check "misbehave drop-connection: the client fails" test "$RC" -ne 0 -a ! -e "$W/n3.pem"
ca_cli misbehave hang 1 --on /.well-known/cmp/kur >/dev/null
t0=$(date +%s)
kur "$W/n2.pem" "$W/n2.key" "$W/n3.key" "$W/n3.pem" -msg_timeout 3
t_check "misbehave hang on kur: the client's timeout fires" test "$RC" -ne 0 -a $(($(date +%s) - t0)) -lt 9
t_is "$(issued $M1) $(order_state $M1)" "2 paid" "... none of the three issued anything"
kur "$W/n2.pem" "$W/n2.key" "$W/n3.key" "$W/n3.pem"
t_check "the faults spent, the same renewal succeeds" q openssl verify -CAfile "$CA_USER_CA" "$W/n3.pem"

# The answer to certConf lost, then the whole transaction again.
paid_order $M1
keygen "$W/n4.key" ec
ca_cli misbehave drop-connection 1 --on /.well-known/cmp/certConf >/dev/null
kur "$W/n3.pem" "$W/n3.key" "$W/n4.key" "$W/n4.pem" -reqout "$W/kur4.der,$W/cc4.der"
t_is "$RC $(order_state $M1)" "1 paid" "certConf dropped: the client fails, the order is not used yet"
kur "$W/n3.pem" "$W/n3.key" "$W/n4.key" "$W/n4.pem" -reqin "$W/kur4.der,$W/cc4.der"
t_is "$RC $(issued $M1) $(order_state $M1)" "0 4 used" "the transaction again: the same kur is answered, confirmed, one certificate"
tid4=$("$TBIN/ca-test-cmpreq" tid "$W/kur4.der")
ca_call "$W/n4.key" "$W/n4.pem" GET "/api/v1/renewals/cmp-$tid4"
jq -r .certificate <<<"$BODY" >"$W/native4.pem"
t_check "... the certificate received is the one issued" same "$W/native4.pem" "$W/n4.pem"

# A certConf to a restarted service (the transaction is no longer in memory).
paid_order $M1
keygen "$W/n5.key" ec
ca_cli misbehave drop-connection 1 --on /.well-known/cmp/certConf >/dev/null
kur "$W/n4.pem" "$W/n4.key" "$W/n5.key" "$W/n5.pem" -reqout "$W/kur5.der,$W/cc5.der"
ca_stop
ca_restart "$ST" || { echo "Bail out! the service did not restart"; exit 1; }
kur "$W/n4.pem" "$W/n4.key" "$W/n5.key" "$W/n5.pem" -reqin "$W/cc5.der"
t_grep "the certConf alone to the restarted service: answered pkiConf" "received PKICONF" "$OUT_TEXT"
t_is "$(issued $M1) $(order_state $M1)" "5 used" "... the renewal confirmed, the order used"

# A pollReq to a restarted service: the kur answered "waiting" was issued
# and stored; the client is stopped while polling.
paid_order $M1
keygen "$W/n7.key" ec
ca_cli misbehave cmp-waiting 30 >/dev/null
openssl cmp -config "" -server "$CA_CMP_URL" -tls_used -tls_trusted "$CA_TLS" -trusted "$CA_USER_CA" \
	-cert "$W/n4.pem" -key "$W/n4.key" -cmd kur -newkey "$W/n7.key" -certout "$W/n7.pem" \
	-reqout "$W/kur7.der,$W/poll7.der" >&2 2>&1 &
pid=$!
for i in $(seq 150); do [ -s "$W/poll7.der" ] && break; sleep 0.1; done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
t_is "$(issued $M1) $(order_state $M1)" "6 paid" "cmp-waiting: the client stopped while polling; the certificate is issued, not confirmed"
ca_stop
ca_restart "$ST" || { echo "Bail out! the service did not restart"; exit 1; }
kur "$W/n4.pem" "$W/n4.key" "$W/n7.key" "$W/x.pem" -reqin "$W/poll7.der"
t_grep "... its pollReq to the restarted service is answered with the kup" "received KUP" "$OUT_TEXT"
kur "$W/n4.pem" "$W/n4.key" "$W/n7.key" "$W/n7.pem" -reqin "$W/kur7.der"
t_is "$RC $(issued $M1) $(order_state $M1)" "0 6 used" "... and its kur again gets the same certificate, confirmed"

# A certificate the client rejects: revoked, the order free again.
paid_order $M1
keygen "$W/n6.key" ec
ca_cli misbehave wrong-key 1 >/dev/null
kur "$W/n4.pem" "$W/n4.key" "$W/n6.key" "$W/n6.pem" -reqout "$W/kur6.der,$W/cc6.der"
t_check "misbehave wrong-key: openssl cmp rejects the certificate for another key" test "$RC" -ne 0 -a ! -e "$W/n6.pem"
tid6=$("$TBIN/ca-test-cmpreq" tid "$W/kur6.der")
t_is "$(sqlite3 "$ST/ca.db" "SELECT r.state || ' ' || c.revoked FROM renewals r JOIN certificates c ON c.serial = r.cert_serial WHERE r.request_id = 'cmp-$tid6'") $(order_state $M1)" \
	"rejected 1 paid" "... the service revokes it and keeps the order paid"
kur "$W/n4.pem" "$W/n4.key" "$W/n6.key" "$W/n6.pem"
t_check "... a new transaction renews with that order" q openssl verify -CAfile "$CA_USER_CA" "$W/n6.pem"
kur "$W/n4.pem" "$W/n4.key" "$W/n6.key" "$W/x.pem" -reqin "$W/kur6.der"
t_grep "the rejected transaction's ID cannot be used again" "rejected by the client; a new request needs a new transaction ID" "$OUT_TEXT"

# --- RSA and SM2 tokens
paid_order $M3
keygen "$W/rn.key" rsa
kur "$W/r.pem" "$W/r.key" "$W/rn.key" "$W/rn.pem" -srvcert "$CA_CMP_SIGNER"
t_check "RSA key update, the CMP signer pinned (-srvcert): the certificate verifies" q openssl verify -CAfile "$CA_USER_CA" "$W/rn.pem"
t_is "$(certkey "$W/rn.pem")" "$(keyhash "$W/rn.key")" "... for the new RSA key"
paid_order $M3
keygen "$W/rn2.key" rsa
CA_CMP_URL=$CA_URL/.well-known/cmp/p/renewal kur "$W/rn.pem" "$W/rn.key" "$W/rn2.key" "$W/rn2.pem"
t_check "the labelled path /.well-known/cmp/p/<label> (RFC 9483 section 6.1) serves the same" \
	q openssl verify -CAfile "$CA_USER_CA" "$W/rn2.pem"
paid_order $M4
keygen "$W/sn.key" sm2
kur "$W/s.pem" "$W/s.key" "$W/sn.key" "$W/sn.pem" -digest sm3
if [ "$RC" = 0 ]; then
	t_is "$(certkey "$W/sn.pem")" "$(keyhash "$W/sn.key")" "SM2 key update (SM2 protection and POP, SM3): the certificate is for the new key"
elif grep -q "unsupported key type" <<<"$OUT_TEXT" && grep -q "error protecting message" <<<"$OUT_TEXT"; then
	# OpenSSL 3.0's CMP code makes no SM2 signature for the protection,
	# and takes one digest for protection and POP (an SM2 POP needs SM3,
	# for which ECDSA and RSA have no signature algorithm).
	t_ok "# SKIP SM2 key update: OpenSSL $(openssl version | cut -d' ' -f2)'s CMP client cannot protect a message with an SM2 key (unsupported key type)"
else
	t_fail "SM2 key update: failed otherwise than known"
	t_diag "$OUT_TEXT"
fi
mkuser graced ec $M3 --not-before $((now - 400 * 86400)) --not-after $((now - 10 * 86400))
paid_order $M3
keygen "$W/gn.key" ec
kur "$W/graced.pem" "$W/graced.key" "$W/gn.key" "$W/gn.pem"
t_check "protected by a certificate expired 10 days ago (the renewal's grace): renewed" \
	q openssl verify -CAfile "$CA_USER_CA" "$W/gn.pem"
t_check "a client that trusts another CA refuses the service's answers" \
	bash -c "! openssl cmp -config '' -server '$CA_CMP_URL' -tls_used -tls_trusted '$CA_TLS' -trusted '$W/rogue.pem' \
		-cert '$W/rn.pem' -key '$W/rn.key' -cmd kur -newkey '$W/other.key' -certout '$W/x.pem' >&2 2>&1"
tap_done
