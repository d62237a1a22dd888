#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The reference CA service against docs/protocol.md: authentication, binding,
# orders, invoices, seal cleaning, renewal (RSA, EC, SM2) and robustness,
# through a real HTTPS client making real signatures with software keys.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
. "$top/tests/lib/tap.sh"
build=${UKEY_TOP_BUILDDIR:-$top}
CA_SERVICE_DIR=${CA_SERVICE_DIR:-$build/ca-service}
CA_TEST_DIR=${CA_TEST_DIR:-$build/tests/ca-service}
. "$here/ca-lib.sh"
need_tools openssl jq
W=$(mktemp -d "${TMPDIR:-/tmp}/ca-service-test.XXXXXX")
trap 'ca_stop_all; [ -n "${CA_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT
BIN=$CA_SERVICE_DIR TBIN=$CA_TEST_DIR
tap_plan 97

ca_start "$W/st" || { echo "Bail out! the service did not start"; cat "$W/st.log" >&2; exit 1; }
ST=$W/st
now=$(date +%s)

# Where it listens, from the kernel's socket tables (no ss/netstat needed):
# the service's port in LISTEN state (0A) on 127.0.0.1 only.
port_hex=$(printf '%04X' "${CA_URL##*:}")
listeners=$(awk -v p=":$port_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $2 }' \
	/proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u | tr '\n' ' ')
t_is "$listeners" "0100007F:$port_hex " "the service listens on 127.0.0.1 only (no other interface, no IPv6 wildcard)"

# Users: a key, a certificate from the service's CA, a medium.
mkuser() { # NAME TYPE MEDIUM [issue options]
	local n=$1 type=$2 m=$3
	shift 3
	case $type in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/$n.key" 2>/dev/null ;;
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$n.key" ;;
	sm2) openssl genpkey -algorithm SM2 -out "$W/$n.key" ;;
	esac
	"$BIN/ca-service" issue --state "$ST" --key "$W/$n.key" --subject "/C=CN/O=测试单位/CN=$n 测试用户" \
		--out "$W/$n.pem" "$@" && { [ -z "$m" ] || ca_cli enroll "$m" "$W/$n.pem" "T$m" >/dev/null; }
}
serial() { openssl x509 -noout -serial -in "$1" | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//'; }
pubhash() { openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
M1=0071120230420100 M2=0071120230420200 M3=0071120230420300
mkuser rsa1 rsa $M1 && mkuser ec1 ec $M2 && mkuser sm21 sm2 $M3 || { echo "Bail out! cannot make users"; exit 1; }
call() { ca_call "$W/$1.key" "$W/$1.pem" "${@:2}"; }
q() { "$@" >&2; } # chatter off the TAP stream

# --- authentication
out=$("$TBIN/ca-test-client" --url "$CA_URL" --cafile "$CA_TLS" --no-auth POST /api/v1/nonce)
nonce=$(tail -n +2 <<<"$out" | jq -r .nonce)
exp=$(tail -n +2 <<<"$out" | jq -r .expires)
t_check "nonce is 32 random bytes in base64, valid for 120 s" \
	test "$(base64 -d <<<"$nonce" | wc -c)" = 32 -a "$exp" -ge $((now + 110)) -a "$exp" -le $((now + 200))
out=$("$TBIN/ca-test-client" --url "$CA_URL" --cafile "$CA_TLS" --no-auth GET /api/v1/status)
BODY=$(tail -n +2 <<<"$out")
t_is "$(head -1 <<<"$out") $(ca_err)" "401 auth_missing" "no authentication headers: 401 auth_missing"
call rsa1 GET /api/v1/status
t_is "$HTTP $(jq -r .medium <<<"$BODY") $(jq -r .medium_last4 <<<"$BODY")" "200 $M1 0100" \
	"RSA-signed status names the medium and its last four digits"
t_is "$(jq -r '.certificate.serial' <<<"$BODY")" "$(serial "$W/rsa1.pem")" "status gives the certificate serial"
t_is "$(jq -r '.binding, .identity_checked, .order.state' <<<"$BODY" | tr '\n' ' ')" "none false none " \
	"a fresh medium: not bound, identity unchecked, no order"
call ec1 GET /api/v1/status
t_is "$HTTP $(jq -r .medium <<<"$BODY")" "200 $M2" "ECDSA-signed request authenticates"
call sm21 GET /api/v1/status
t_is "$HTTP $(jq -r .medium <<<"$BODY")" "200 $M3" "SM2/SM3 signed request (ID 1234567812345678) authenticates"
CA_OPTS=--bad-signature call rsa1 GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_bad_signature" "a corrupted signature: 401 auth_bad_signature"
CA_OPTS="--alg ecdsa-sha256" call rsa1 GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_bad_signature" "an algorithm that does not match the key: auth_bad_signature"
n=$("$TBIN/ca-test-client" --url "$CA_URL" --cafile "$CA_TLS" --no-auth POST /api/v1/nonce | tail -n +2 | jq -r .nonce)
CA_OPTS="--nonce $n" call rsa1 GET /api/v1/status
first=$HTTP
CA_OPTS="--nonce $n" call rsa1 GET /api/v1/status
t_is "$first $HTTP $(ca_err)" "200 401 auth_nonce" "a nonce is good for one request: the replay gets auth_nonce"
CA_OPTS="--nonce QUJDRA==" call rsa1 GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_nonce" "a nonce the server never issued: auth_nonce"
n=$("$TBIN/ca-test-client" --url "$CA_URL" --cafile "$CA_TLS" --no-auth POST /api/v1/nonce | tail -n +2 | jq -r .nonce)
CA_OPTS="--nonce $n --bad-signature" call rsa1 GET /api/v1/status
CA_OPTS="--nonce $n" call rsa1 GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_nonce" "a nonce is consumed even when the signature check fails"
mkuser rogue ec "" --rogue
ca_call "$W/rogue.key" "$W/rogue.pem" GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_bad_certificate" "a certificate from another CA (same CA name): auth_bad_certificate"
mkuser stranger ec ""
ca_call "$W/stranger.key" "$W/stranger.pem" GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_bad_certificate" "a certificate registered with no medium: auth_bad_certificate"
mkuser old ec 0071120230420400 --not-before $((now - 400 * 86400)) --not-after $((now - 10 * 86400))
ca_call "$W/old.key" "$W/old.pem" GET /api/v1/status
t_is "$HTTP $(jq -r .certificate.expired <<<"$BODY")" "200 true" "a certificate expired 10 days ago may still ask for status"
ca_call "$W/old.key" "$W/old.pem" GET /api/v1/binding
t_is "$HTTP $(ca_err)" "401 auth_bad_certificate" "... but not use other endpoints"
mkuser older ec 0071120230420500 --not-before $((now - 500 * 86400)) --not-after $((now - 100 * 86400))
ca_call "$W/older.key" "$W/older.pem" GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_bad_certificate" "more than 90 days after notAfter: refused"
mkuser revoked ec 0071120230420600
ca_cli revoke "$(serial "$W/revoked.pem")" >/dev/null
ca_call "$W/revoked.key" "$W/revoked.pem" GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_bad_certificate" "a revoked certificate: auth_bad_certificate"
main=("$CA_URL" "$CA_TLS" "$CA_TOKEN_FILE" "$CA_USER_CA")
ca_start "$W/st2" --nonce-ttl 1
n=$("$TBIN/ca-test-client" --url "$CA_URL" --cafile "$CA_TLS" --no-auth POST /api/v1/nonce | tail -n +2 | jq -r .nonce)
sleep 2.2
"$BIN/ca-service" issue --state "$W/st2" --key "$W/ec1.key" --subject /CN=x --out "$W/x2.pem"
ca_cli enroll 0071120230429999 "$W/x2.pem" >/dev/null
CA_OPTS="--nonce $n" ca_call "$W/ec1.key" "$W/x2.pem" GET /api/v1/status
t_is "$HTTP $(ca_err)" "401 auth_nonce" "an expired nonce (--nonce-ttl 1, 2 s later): auth_nonce"
CA_URL=${main[0]} CA_TLS=${main[1]} CA_TOKEN_FILE=${main[2]} CA_USER_CA=${main[3]}

# --- binding
call rsa1 POST /api/v1/binding '{}'
code=$(jq -r .code <<<"$BODY")
t_grep "a binding code and the QR text with the last four digits" "^ukey-bind:[A-Z0-9]{4}-[A-Z0-9]{4}:0100$" \
	"$(jq -r .qr <<<"$BODY")"
call rsa1 GET /api/v1/binding
t_is "$(jq -r .state <<<"$BODY")" pending "binding is pending until the phone confirms"
t_check "confirming with the wrong last four digits is refused" \
	bash -c "! ca_out=\$(\"$BIN/ca-service-cli\" --url $CA_URL --token-file $CA_TOKEN_FILE --cafile $CA_TLS confirm-binding $code 0101 2>/dev/null)"
out=$(ca_cli confirm-binding "$code" 0101 2>/dev/null)
t_is "$(jq -r .error.code <<<"$out")" binding_mismatch "... with the error binding_mismatch"
t_check "confirming with the code and the right digits succeeds" q ca_cli confirm-binding "$code" 0100
call rsa1 GET /api/v1/binding
t_is "$(jq -r .state <<<"$BODY") $([ "$(jq -r .confirmed_at <<<"$BODY")" -ge "$now" ] && echo t)" "confirmed t" \
	"binding is confirmed with its time"
t_check "the operator interface refuses a wrong bearer token" \
	bash -c "echo wrong > $W/badtok; ! \"$BIN/ca-service-cli\" --url $CA_URL --token-file $W/badtok --cafile $CA_TLS check-identity $M1 >/dev/null 2>&1"

# --- order states and renewal refusals
openssl req -new -key "$W/rsa1.key" -subj /CN=ignored -out "$W/rsa1-old.csr" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/rsa1-new.key" 2>/dev/null
openssl req -new -key "$W/rsa1-new.key" -subj /CN=ignored -out "$W/rsa1.csr"
renew_body() { jq -cn --arg id "$1" --rawfile csr "$2" --argjson s "$3" '{request_id:$id, csr:$csr, with_seals:$s}'; }
call ec1 POST /api/v1/renewals "$(renew_body r0 "$W/rsa1.csr" false)"
t_is "$HTTP $(ca_err)" "403 not_bound" "renewal of an unbound certificate: 403 not_bound"
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" true)"
t_is "$HTTP $(ca_err)" "403 identity_unchecked" "first renewal before the identity check: identity_unchecked"
ca_cli check-identity $M1 >/dev/null
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" true)"
t_is "$HTTP $(ca_err)" "409 order_unpaid" "no order: order_unpaid"
order=$(ca_cli create-order $M1 --covers cert+seals --price 30000 | jq -r .id)
t_grep "the CA creates an order ORD-date-number" "^ORD-[0-9]{8}-[0-9]{4}$" "$order"
call rsa1 GET /api/v1/order
t_is "$(jq -r '.state, .price, .price_text, .covers' <<<"$BODY" | tr '\n' ' ')" "unpaid 30000 300.00 cert+seals " \
	"the order is unpaid, priced in fen with its text"
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" true)"
t_is "$HTTP $(ca_err)" "409 order_unpaid" "unpaid order: order_unpaid"
ca_cli pay "$order" transfer >/dev/null
call rsa1 GET /api/v1/order
t_is "$(jq -r '.state, .pay_method, .paid_at' <<<"$BODY" | tr '\n' ' ')" "awaiting_transfer transfer null " \
	"a bank transfer waits for the CA's verification"
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" true)"
t_is "$HTTP $(ca_err)" "409 order_awaiting_transfer" "renewal during the transfer check: order_awaiting_transfer"
inv_body='{"order_id":"'$order'","title":"广州测试有限公司","tax_number":"91440101MA5ABCDE1X"}'
call rsa1 POST /api/v1/invoices "$inv_body"
t_is "$HTTP $(ca_err)" "409 order_awaiting_transfer" "no invoice before the payment is confirmed"
ca_cli confirm-transfer "$order" >/dev/null
call rsa1 GET /api/v1/order
t_is "$(jq -r .state <<<"$BODY") $([ "$(jq -r .paid_at <<<"$BODY")" -ge "$now" ] && echo t)" "paid t" \
	"confirm-transfer makes the order paid"

# --- invoices
call rsa1 POST /api/v1/invoices '{"order_id":"'$order'","title":"","tax_number":"91440101MA5ABCDE1X"}'
t_is "$HTTP $(ca_err)" "400 bad_request" "an empty invoice title is refused"
call rsa1 POST /api/v1/invoices '{"order_id":"'$order'","title":"x","tax_number":"91440101ma5abcde1x"}'
t_is "$HTTP $(ca_err)" "400 bad_request" "a tax number outside [0-9A-Z] is refused"
call rsa1 POST /api/v1/invoices '{"order_id":"'$order'","title":"x","tax_number":"1234"}'
t_is "$HTTP $(ca_err)" "400 bad_request" "a tax number shorter than 15 is refused"
call rsa1 POST /api/v1/invoices "$inv_body"
inv=$(jq -r .id <<<"$BODY")
t_is "$HTTP $(jq -r '.state, .amount, .title' <<<"$BODY" | tr '\n' ' ')" "201 requested 30000 广州测试有限公司 " \
	"an invoice is requested for the paid order"
call rsa1 POST /api/v1/invoices "$inv_body"
t_is "$HTTP $(jq -r .id <<<"$BODY")" "200 $inv" "one invoice per order: asking again returns it"
call rsa1 GET "/api/v1/invoices/$inv/document"
t_is "$HTTP $(ca_err)" "409 invoice_not_issued" "no document before the CA issues the invoice"
ca_cli issue-invoice "$inv" >/dev/null
CA_OPTS="--out $W/inv.pdf" call rsa1 GET "/api/v1/invoices/$inv/document"
t_is "$HTTP $(head -c 5 "$W/inv.pdf")" "200 %PDF-" "the issued invoice is a PDF document"
t_grep "the PDF ends with %%EOF and has a cross-reference table" "^startxref" "$(cat "$W/inv.pdf")"
call rsa1 GET /api/v1/invoices
t_is "$(jq -r '.invoices | length' <<<"$BODY") $(jq -r '.invoices[0].state' <<<"$BODY")" "1 issued" "the invoice list shows it issued"

# --- seals
mkdir -p "$W/seals"
ca_cli add-seals $M1 "$W/seals" >"$W/seals.json"
t_is "$(jq -r '.seals | length' "$W/seals.json")" 4 "the CA puts four seals on the medium (with duplicates)"
ok=0 shapes=
for f in "$W"/seals/*.der; do
	line=$("$TBIN/ca-test-seal" "$f") && ok=$((ok + 1))
	shapes="$shapes$(sed 's/^shape=\([0-9]\).*/\1/' <<<"$line")"
	grep -q "holder_serial=$(serial "$W/rsa1.pem")" <<<"$line" || ok=-99
done
t_is "$ok" 4 "every seal decodes and its maker's SM2 signature verifies; the holder is the medium's certificate"
t_grep "both shapes are made: GB/T 38540 (4) and GM/T 0031-2014 (1)" "1" "$(tr -d 4 <<<"$shapes")"
call rsa1 GET /api/v1/seals
t_is "$(jq -r .state <<<"$BODY") $(jq -r '[.seals[] | select(.status == "unusable")] | length' <<<"$BODY")" \
	"abnormal 1" "seal list: abnormal, one unusable duplicate"
S=($(jq -r '.seals[].id' <<<"$BODY"))
t_is "$(jq -r '.seals[0].sha256' <<<"$BODY")" "$(sha256sum "$W/seals/${S[0]}.der" | cut -c1-64)" \
	"each seal's sha256 is the hash of its DER (matching the token's copy)"
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" true)"
t_is "$HTTP $(ca_err)" "409 seals_unclean" "renewal with abnormal seals: seals_unclean"
clean() { call rsa1 POST /api/v1/seals/clean "{\"decisions\":[$1]}"; echo "$HTTP $(ca_err) $(jq -c '.seals // empty' <<<"$BODY")"; }
k() { echo "{\"id\":\"$1\",\"action\":\"keep\",\"type\":$2}"; }
d() { echo "{\"id\":\"$1\",\"action\":\"drop\"}"; }
t_is "$(clean "$(k S999 1)")" '404 not_found ["S999"]' "cleaning: an unknown seal id is not_found"
t_is "$(clean "$(k ${S[0]} 1),$(d ${S[1]}),$(k ${S[2]} 2),$(d ${S[3]})")" "409 rule_unusable_chosen [\"${S[3]}\"]" \
	"cleaning: a decision for the unusable seal: rule_unusable_chosen"
t_is "$(clean "$(k ${S[0]} 1),$(d ${S[1]})")" "409 rule_missing_decision [\"${S[2]}\"]" \
	"cleaning: a usable seal without decision: rule_missing_decision"
t_is "$(clean "$(k ${S[0]} 1),$(d ${S[1]}),{\"id\":\"${S[2]}\",\"action\":\"keep\"}")" \
	"409 rule_missing_type [\"${S[2]}\"]" "cleaning: keep without a type: rule_missing_type"
t_is "$(clean "$(k ${S[0]} 1),$(d ${S[1]}),$(k ${S[2]} 9)")" "409 rule_missing_type [\"${S[2]}\"]" \
	"cleaning: keep with a type not in the list: rule_missing_type"
t_is "$(clean "$(k ${S[0]} 1),$(k ${S[1]} 3),$(k ${S[2]} 2)")" "409 rule_identical_kept_twice [\"${S[0]}\",\"${S[1]}\"]" \
	"cleaning: both identical seals kept: rule_identical_kept_twice"
t_is "$(clean "$(d ${S[0]}),$(d ${S[1]}),$(k ${S[2]} 2)")" "409 rule_identical_none_kept [\"${S[0]}\",\"${S[1]}\"]" \
	"cleaning: identical seals all dropped: rule_identical_none_kept"
t_is "$(clean "$(k ${S[0]} 2),$(d ${S[1]}),$(k ${S[2]} 2)")" "409 rule_type_taken [\"${S[0]}\",\"${S[2]}\"]" \
	"cleaning: two kept seals of one type: rule_type_taken"
t_is "$(clean "$(k ${S[0]} 1),$(d ${S[1]}),$(k ${S[2]} 2)")" "200  " "cleaning by the rules succeeds"
call rsa1 GET /api/v1/seals
t_is "$(jq -r '.state, (.seals | length)' <<<"$BODY" | tr '\n' ' ')" "clean 2 " "after cleaning: clean, two seals left"

# --- renewal (RSA, with seals)
t0=$(date +%s)
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" true)"
t1=$(date +%s)
t_is "$HTTP" 201 "renewal with seals issues a certificate"
jq -r .certificate <<<"$BODY" >"$W/rsa1-new.pem"
jq -r '.chain[0]' <<<"$BODY" >"$W/chain.pem"
jq -r '.seals[].der' <<<"$BODY" >"$W/newseals.b64"
t_check "the new certificate chains to the CA (openssl verify)" q openssl verify -CAfile "$W/chain.pem" "$W/rsa1-new.pem"
t_is "$(openssl x509 -noout -subject -nameopt utf8 -in "$W/rsa1-new.pem")" \
	"$(openssl x509 -noout -subject -nameopt utf8 -in "$W/rsa1.pem")" "the new certificate keeps the old subject"
t_is "$(openssl x509 -noout -pubkey -in "$W/rsa1-new.pem" | pubhash)" "$(openssl req -noout -pubkey -in "$W/rsa1.csr" | pubhash)" \
	"the new certificate carries the CSR's public key"
nb=$(date -d "$(openssl x509 -noout -startdate -in "$W/rsa1-new.pem" | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -noout -enddate -in "$W/rsa1-new.pem" | cut -d= -f2)" +%s)
# Bounded by the clock read before and after the request, not by when the
# test began (a loaded machine took minutes to get here).
t_check "valid from 5 min before the issue for a year" \
	test $((nb - t0)) -ge -301 -a $((nb - t1)) -le -299 -a $((na - t0 - 365 * 86400)) -ge -1
first_serial=$(serial "$W/rsa1-new.pem")
ok=0
while read -r b; do
	echo "$b" >"$W/s.b64"
	"$TBIN/ca-test-seal" --b64 "$W/s.b64" | grep -q "holder_serial=$first_serial .*verify=1" && ok=$((ok + 1))
done <"$W/newseals.b64"
t_is "$ok" 2 "the two new seals are bound to the new certificate and signed by the seal maker"
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" true)"
t_is "$HTTP $(jq -r .certificate <<<"$BODY" | openssl x509 -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')" \
	"201 $first_serial" "the same request_id and body returns the same certificate"
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr" false)"
t_is "$HTTP $(ca_err)" "409 request_conflict" "the same request_id with another body: request_conflict"
call rsa1 POST /api/v1/renewals "$(renew_body r2 "$W/rsa1.csr" true)"
t_is "$HTTP $(ca_err)" "409 order_used" "a second renewal on the same order: order_used"
ca_call "$W/rsa1-new.key" "$W/rsa1-new.pem" GET /api/v1/renewals/r1
t_is "$HTTP $(jq -r .request_id <<<"$BODY")" "200 r1" "the new certificate authenticates and reads the renewal back"
call rsa1 POST /api/v1/renewals/r1/installed '{}'
call rsa1 GET /api/v1/order
t_is "$(jq -r .state <<<"$BODY")" used "after installed the order is used"
call rsa1 GET /api/v1/renewals/nope
t_is "$HTTP $(ca_err)" "404 not_found" "an unknown renewal is not_found"

# --- renewal (EC and SM2, certificate only)
for u in ec1:$M2:ec sm21:$M3:sm2; do
	IFS=: read -r name m type <<<"$u"
	call $name POST /api/v1/binding '{}'
	ca_cli confirm-binding "$(jq -r .code <<<"$BODY")" "${m: -4}" >/dev/null
	ca_cli check-identity "$m" >/dev/null
	o=$(ca_cli create-order "$m" --covers cert --price 20000 | jq -r .id)
	ca_cli pay "$o" wechat >/dev/null
	if [ $type = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$name-new.key"
		openssl req -new -key "$W/$name-new.key" -subj /CN=x -out "$W/$name.csr"
		call $name POST /api/v1/renewals "$(renew_body s-$name "$W/$name.csr" true)"
		t_is "$HTTP $(ca_err)" "409 order_does_not_cover" "seals asked on a certificate-only order: order_does_not_cover"
	else
		openssl genpkey -algorithm SM2 -out "$W/$name-new.key"
		openssl req -new -key "$W/$name-new.key" -subj /CN=x -sm3 -sigopt distid:1234567812345678 -out "$W/$name.csr"
	fi
	call $name POST /api/v1/renewals "$(renew_body r-$name "$W/$name.csr" false)"
	jq -r .certificate <<<"$BODY" >"$W/$name-new.pem"
	t_is "$HTTP $(openssl x509 -noout -pubkey -in "$W/$name-new.pem" | pubhash)" \
		"201 $(openssl req -noout -pubkey -in "$W/$name.csr" | pubhash)" "$type renewal: issued with the CSR's key"
	t_check "$type renewal: the certificate verifies against the CA" q openssl verify -CAfile "$CA_USER_CA" "$W/$name-new.pem"
done

# --- faults switched on by the operator (for the client's tests)
o=$(ca_cli create-order $M2 --covers cert --price 1 | jq -r .id)
ca_cli pay "$o" wechat >/dev/null
openssl req -new -key "$W/ec1.key" -subj /CN=x -out "$W/tampered.csr"
# One base64 character of the key or signature changed, to one it is not
# (writing a fixed 'A' left the CSR intact when the character was an 'A').
c=$(sed -n '3s/^.....\(.\).*/\1/p' "$W/tampered.csr")
[ "$c" = A ] && c=B || c=A
sed -i "3s/^\(.....\)./\1$c/" "$W/tampered.csr"
call ec1 POST /api/v1/renewals "$(renew_body r-bad "$W/tampered.csr" false)"
t_is "$HTTP $(ca_err)" "400 bad_request" "a CSR whose signature does not verify is refused"
ca_cli misbehave wrong-key 1 >/dev/null
call ec1 POST /api/v1/renewals "$(renew_body f1 "$W/ec1.csr" false)"
t_check "misbehave wrong-key: the issued key differs from the CSR's" test "$HTTP" = 201 -a \
	"$(jq -r .certificate <<<"$BODY" | openssl x509 -noout -pubkey | pubhash)" != "$(openssl req -noout -pubkey -in "$W/ec1.csr" | pubhash)"
ca_cli misbehave fail-500 >/dev/null
call ec1 POST /api/v1/renewals "$(renew_body f2 "$W/ec1.csr" false)"
t_is "$HTTP $(ca_err)" "500 internal" "misbehave fail-500 answers 500 internal"
ca_cli misbehave drop-connection >/dev/null
call ec1 POST /api/v1/renewals "$(renew_body f2 "$W/ec1.csr" false)"
t_is "$HTTP" 000 "misbehave drop-connection closes without an answer"
ca_cli misbehave none >/dev/null
# bad-answer: the answer corrupted on its way out, what was issued stored
# as it was; a re-fetch by request id is honest once the countdown ran out.
o=$(ca_cli create-order $M2 --covers cert --price 1 | jq -r .id)
ca_cli pay "$o" wechat >/dev/null
ca_cli misbehave bad-answer seals-object 1 >/dev/null
call ec1 POST /api/v1/renewals "$(renew_body f3 "$W/ec1.csr" false)"
t_is "$HTTP $(jq -c .seals <<<"$BODY")" '201 {"a":1}' 'misbehave bad-answer seals-object: "seals": {"a":1} in the answer'
bad_cert=$(jq -r .certificate <<<"$BODY")
call ec1 GET /api/v1/renewals/f3
t_is "$HTTP $(jq -c .seals <<<"$BODY") $(jq -r .certificate <<<"$BODY" | openssl x509 -noout -pubkey | pubhash)" \
	"200 null $(openssl req -noout -pubkey -in "$W/ec1.csr" | pubhash)" \
	"... the re-fetch by request id (GET) answers what was issued and stored, honestly"
t_is "$(jq -r .certificate <<<"$BODY")" "$bad_cert" "... the same certificate: only the answer was corrupted"
ca_cli misbehave bad-answer wrong-key 1 >/dev/null
call ec1 GET /api/v1/renewals/f3
t_check "misbehave bad-answer wrong-key: the certificate answered is for another key" test "$HTTP" = 200 -a \
	"$(jq -r .certificate <<<"$BODY" | openssl x509 -noout -pubkey | pubhash)" != "$(openssl req -noout -pubkey -in "$W/ec1.csr" | pubhash)"
t_is "$(ca_cli misbehave bad-answer no-such-kind 1 2>/dev/null | jq -r .error.code)" bad_request \
	"misbehave bad-answer with an unknown kind is refused"

# --- robustness
head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$W/big.json"
CA_OPTS="--body-file $W/big.json" call rsa1 POST /api/v1/binding
t_is "$HTTP $(ca_err)" "413 bad_request" "a body over 1 MiB: 413 bad_request"
call rsa1 POST /api/v1/seals/clean '{"decisions": [ {"id": '
t_is "$HTTP $(ca_err)" "400 bad_request" "truncated JSON: 400 bad_request"
call rsa1 POST /api/v1/invoices '{"order_id": 5, "title": "x", "tax_number": "123456789012345"}'
t_grep "a member of the wrong type: 400 naming the member" "order_id.*must be a string" "$(jq -r .error.message <<<"$BODY")"
call rsa1 POST /api/v1/binding '[1,2]'
t_is "$HTTP $(ca_err)" "400 bad_request" "a JSON body that is not an object: 400"
call rsa1 POST /api/v1/binding $'{"a":"\xff"}'
t_is "$HTTP $(ca_err)" "400 bad_request" "invalid UTF-8 in JSON: 400"
pids=()
for i in $(seq 1 8); do
	( ca_call "$W/ec1.key" "$W/ec1.pem" GET /api/v1/status; echo "$HTTP" >"$W/par.$i" ) &
	pids+=($!)
done
wait "${pids[@]}"
t_is "$(cat "$W"/par.* | sort | uniq -c | tr -s ' ')" " 8 200" "eight concurrent signed requests all succeed"
printf 'GARBAGE\r\n\r\n' | timeout 5 openssl s_client -quiet -connect "${CA_URL#https://}" >/dev/null 2>&1
call rsa1 GET /api/v1/status
t_is "$HTTP" 200 "after hostile input the service still answers"

# --- importing an existing CA (tools/ukey-vkey keeps DIR/ca/ca.pem + ca.key)
openssl req -x509 -newkey rsa:2048 -nodes -subj "/CN=vkey test CA" -days 30 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	-keyout "$W/imp.key" -out "$W/imp.pem" 2>/dev/null
"$BIN/ca-service" init --state "$W/st3" --ca-cert "$W/imp.pem" --ca-key "$W/imp.key" &&
	"$BIN/ca-service" issue --state "$W/st3" --key "$W/ec1.key" --subject /CN=imported --out "$W/imp-user.pem"
t_check "init --ca-cert/--ca-key imports a CA: its user certificates chain to it" \
	q openssl verify -CAfile "$W/imp.pem" "$W/imp-user.pem"
t_check "... and the seal maker is certified by the imported CA" q openssl verify -CAfile "$W/imp.pem" "$W/st3/maker.pem"
tap_done
