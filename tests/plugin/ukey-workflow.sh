#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ukey workflow commands (libukey-renew) end to end: a virtual U-KEY
# through ukey-pkcs11, the reference CA service over HTTPS, the operator side
# driven with ca-service-cli. Covers list/show, one-token rule, PIN handling,
# bind + confirm, order states, invoices, status, service down, TLS
# refusals (expired, wrong host, self-signed), --json and the Chinese messages.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
CA_SERVICE_DIR=$build/ca-service
UKEY=$build/tools/ukey/ukey
need_tools openssl jq softhsm2-util pkcs11-tool
[ -x "$CA_SERVICE_DIR/ca-service" ] || tap_skip_all "ca-service not built"
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
. "$top/tests/ca-service/ca-lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-plugin.XXXXXX")
SPIDS=()
cleanup() {
	ca_stop_all
	for p in "${SPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
tap_plan 50

export UKEY_TOP_BUILDDIR=$build
"$top/tools/ukey-vkey" create "$W/v1" >"$W/vkey.log" 2>&1 || { echo "Bail out! ukey-vkey failed"; exit 1; }
eval "$("$top/tools/ukey-vkey" env "$W/v1")"
M=$(sed -n 's/^serial=//p' "$W/v1/vkey.info")
L4=${M: -4}
"$CA_SERVICE_DIR/ca-service" init --state "$W/st" --ca-cert "$W/v1/ca/ca.pem" --ca-key "$W/v1/ca/ca.key" >/dev/null &&
	ca_start "$W/st" || { echo "Bail out! the CA service did not start"; exit 1; }
ca_cli enroll "$M" "$W/v1/keys/sign.pem" 007112023042010001 >/dev/null || { echo "Bail out! enroll failed"; exit 1; }
echo 123456 >"$W/pin"
export HOME=$W UKEY_CONFIG=$W/none.conf UKEY_PIN_FILE=$W/pin UKEY_MODULE=${UKEY_TEST_MODULE:-$build/module/.libs/ukey-pkcs11.so}
export UKEY_SERVICE_URL=$CA_URL UKEY_SERVICE_CA=$CA_TLS LC_ALL=C.UTF-8
unset LANGUAGE
# u ARGS: runs ukey bounded; OUT, ERR, RC.
u() {
	OUT=$(timeout 90 ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$UKEY" "$@" 2>"$W/err")
	RC=$?
	ERR=$(cat "$W/err")
}
js() { jq -r "$1" <<<"$OUT" 2>/dev/null; }

# --- inventory
u list --json
t_is "$RC $(js '.tokens | length') $(js '.tokens[0].medium')" "0 1 $M" "list --json: one token with its medium number"
u show --json
t_is "$(js '[.certificates[] | select(.sign) | .key_type] | join(",")')" RSA "show: the signing certificate, key type RSA"
t_is "$(js '[.certificates[] | select(.encrypt and (.sign | not))] | length')" 1 "show: an encryption-only certificate from keyUsage"
t_is "$(js .pin)" ok "show: PIN state ok before any wrong PIN"
# A certificate carrying the GDCA trust number extension 1.2.86.21.1.3.
printf 'keyUsage=critical,digitalSignature\n1.2.86.21.1.3=ASN1:UTF8String:007112023042010001\n' >"$W/trust.ext"
openssl req -new -key "$W/v1/keys/sign.p8" -subj "/CN=trust" -out "$W/trust.csr" 2>/dev/null
openssl x509 -req -in "$W/trust.csr" -CA "$W/v1/ca/ca.pem" -CAkey "$W/v1/ca/ca.key" -days 30 \
	-extfile "$W/trust.ext" -outform DER -out "$W/trust.der" 2>/dev/null
pkcs11-tool --module "$UKEY_TEST_SOFTHSM" --login --pin 123456 --write-object "$W/trust.der" --type cert \
	--id 03 --label "Trust certificate" >/dev/null 2>&1
u show --json
t_is "$(js '.certificates[] | select(.label == "Trust certificate") | .trust_number')" 007112023042010001 \
	"show: the trust number (证书信任号) from extension 1.2.86.21.1.3"
pkcs11-tool --module "$UKEY_TEST_SOFTHSM" --login --pin 123456 --delete-object --type cert --id 03 >/dev/null 2>&1
u show
t_grep "show (text): medium number and validity lines" "^Medium number: $M" "$OUT"

# --- the one-token rule
mkdir -p "$W/empty/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\n' "$W/empty/tokens" >"$W/empty/softhsm2.conf"
SOFTHSM2_CONF=$W/empty/softhsm2.conf u show
t_is "$RC" 4 "no token: show exits 4"
t_grep "no token: the message says to insert the U-KEY" "No U-KEY is inserted" "$ERR"
SOFTHSM2_CONF=$W/empty/softhsm2.conf u order
t_is "$RC" 4 "no token: a workflow command (order) exits 4 before asking a PIN"
"$top/tools/ukey-vkey" create "$W/v2" --share-with "$W/v1" >>"$W/vkey.log" 2>&1
M2=$(sed -n 's/^serial=//p' "$W/v2/vkey.info")
u show
t_is "$RC" 4 "two tokens: show exits 4"
t_check "two tokens: both medium numbers are listed with a hint to use --serial" \
	grep -q -- "--serial" <<<"$ERR"
t_grep "... the second one included" "$M2" "$ERR"
u show --serial "$M" --json
t_is "$RC $(js .medium)" "0 $M" "--serial picks one of two tokens"
u list --json
t_is "$(js '.tokens | length')" 2 "list shows both tokens"

# --- PIN
echo 999999 >"$W/badpin"
UKEY_PIN_FILE=$W/badpin u order --serial "$M"
t_is "$RC" 4 "wrong PIN: exit 4"
t_grep "wrong PIN: said so, and not retried" "Wrong PIN.*not retried" "$ERR"
u list --json
t_is "$(js ".tokens[] | select(.medium == \"$M\") | .pin")" count_low "wrong PIN: the token now reports COUNT_LOW (one try used)"
u show --serial "$M"
t_grep "show says a wrong PIN was entered" "wrong PIN was entered" "$OUT"
u order --serial "$M" --pin-fd 3 3<"$W/pin"
t_is "$RC" 3 "--pin-fd: the right PIN logs in (order: none -> exit 3)"
UKEY_PIN_FILE=$W/badpin UKEY_LOG=debug u order --serial "$M"
t_nogrep "the debug log never shows the PIN (it shows the login)" "999999" "$ERR" "login as user"
u bind --pin 123456
t_is "$RC" 2 "a PIN on the command line is a usage error"

# --- bind
S=(--serial "$M")
u bind "${S[@]}" --json
code=$(js .code)
t_is "$RC $(js .medium_last4)" "0 $L4" "bind: a binding code and the last four digits of the medium number"
u bind "${S[@]}" --qr
t_check "bind --qr draws a QR code with half blocks" grep -q "▀" <<<"$OUT"
code=$(grep -o '[A-Z0-9]\{4\}-[A-Z0-9]\{4\}' <<<"$OUT" | head -1)
u bind "${S[@]}" --status --json
t_is "$RC $(js .state)" "3 pending" "bind --status before the phone confirms: pending, exit 3"
ca_cli confirm-binding "$code" "$L4" >/dev/null
u bind "${S[@]}" --status --json
t_is "$RC $(js .state)" "0 confirmed" "after the operator confirms: confirmed, exit 0"

# --- order
u order "${S[@]}" --json
t_is "$RC $(js .state)" "3 none" "order: none, exit 3"
t_grep "order none, identity not checked yet: the next step is the identity check, not ordering" \
	"^identity_check The CA checks your identity" "$(js .next_step) $(js .next)"
oid=$(ca_cli create-order "$M" --covers cert+seals --price 30000 | jq -r .id)
u order "${S[@]}" --json
t_is "$RC $(js .state) $(js .price_yuan) $(js .covers)" "3 unpaid 300.00 cert+seals" "order: unpaid, price in yuan, coverage"
t_is "$(js 'keys | join(",")') $(js .price_fen)" \
	"covers,encryption_certificate,id,medium,next,next_step,paid_at,pay_method,price_fen,price_yuan,state,text 30000" \
	"order --json: the assistant's /api/order members, with the medium and the next step"
ca_cli pay "$oid" transfer >/dev/null
u order "${S[@]}"
t_is "$RC" 3 "order awaiting transfer: exit 3"
t_grep "awaiting transfer: the text says to wait for the CA's verification" "awaiting transfer verification" "$OUT"
u invoices "${S[@]}" request --order "$oid" --title "测试单位" --tax-number 91440101MA5CXXXX1X
t_is "$RC" 3 "an invoice for an unverified transfer: exit 3 (waiting)"
ca_cli confirm-transfer "$oid" >/dev/null
u order "${S[@]}" --json
t_is "$RC $(js .state)" "0 paid" "order paid: exit 0"

# --- invoices
u invoices "${S[@]}" request --order "$oid" --title "测试单位" --tax-number 91440101MA5CXXXX1X --json
inv=$(js .id)
t_is "$RC $(js .created) $(js .state)" "0 true requested" "invoices request: created, requested"
u invoices "${S[@]}" --json
t_is "$(js '.invoices | length') $(js '.invoices[0].id')" "1 $inv" "invoices: the list has it"
t_is "$(js '.invoices[0] | keys | join(",")') $(js '.invoices[0].amount_fen')" \
	"amount_fen,id,issued_at,order_id,state,tax_number,title 30000" \
	"invoices --json: the members the assistant's /api/invoices has too; the amount is the order's price in fen (30000)"
u invoices "${S[@]}" download "$inv" -o "$W/inv.pdf"
t_is "$RC" 3 "download before the CA issues it: exit 3"
ca_cli issue-invoice "$inv" >/dev/null
u invoices "${S[@]}" download "$inv" -o "$W/inv.pdf"
t_is "$RC $(head -c 5 "$W/inv.pdf")" "0 %PDF-" "download: the PDF is written"
u invoices "${S[@]}" download "$inv" -o "$W/inv.pdf"
t_is "$RC $(grep -c 'inv.pdf exists; use --force' <<<"$ERR")" "1 1" "download refuses to overwrite without --force, and says so"

# --- status
u status "${S[@]}" --json
t_is "$RC $(js .service.binding) $(js .service.order)" "0 confirmed paid" "status --json: the service's view"
t_check "status: days left for the signing certificate" test "$(js '.certificates[] | select(.sign) | .days_left')" -gt 700
u status "${S[@]}" --offline --json
t_is "$RC $(js .service)" "0 null" "status --offline: the token only"

# --- i18n: gettext honours LANGUAGE under a non-C locale (C.UTF-8)
LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale u order "${S[@]}"
t_grep "LANGUAGE=zh_CN: the order is shown in Chinese (订单)" "订单" "$OUT"

# --- service down and TLS refusals
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' <<<"$CA_URL")
ca_stop_all
u order "${S[@]}"
t_is "$RC" 5 "service down: exit 5"
t_grep "service down: says unreachable" "unreachable" "$ERR"
cd "$W" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tca.key -out tca.pem -subj /CN=tca -days 2 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj /CN=srv 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >ip.ext
printf 'subjectAltName=DNS:wrong.example\n' >dns.ext
openssl x509 -req -in srv.csr -CA tca.pem -CAkey tca.key -days -1 -extfile ip.ext -out expired.pem 2>/dev/null
openssl x509 -req -in srv.csr -CA tca.pem -CAkey tca.key -days 2 -extfile dns.ext -out wronghost.pem 2>/dev/null
openssl req -x509 -key srv.key -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 2 -out selfsigned.pem 2>/dev/null
# serve CERT: openssl s_server on a free port; sets SURL
serve() {
	local i
	openssl s_server -accept 127.0.0.1:0 -cert "$1" -key srv.key -www >"$W/$1.out" 2>&1 &
	SPIDS+=($!)
	for i in $(seq 50); do grep -q '^ACCEPT' "$W/$1.out" && break; sleep 0.1; done
	SURL=https://127.0.0.1:$(sed -n 's/^ACCEPT .*:\([0-9]*\)$/\1/p' "$W/$1.out")
}
serve expired.pem
UKEY_SERVICE_URL=$SURL UKEY_SERVICE_CA=$W/tca.pem u order "${S[@]}"
t_is "$RC" 5 "TLS: an expired server certificate is refused (exit 5)"
t_grep "... and the message says expired" "has expired" "$ERR"
serve wronghost.pem
UKEY_SERVICE_URL=$SURL UKEY_SERVICE_CA=$W/tca.pem u order "${S[@]}"
t_grep "TLS: a certificate for another host is refused, named as such" "another host name" "$RC $ERR"
serve selfsigned.pem
UKEY_SERVICE_URL=$SURL UKEY_SERVICE_CA=$W/tca.pem u order "${S[@]}" --json
t_is "$RC $(js .error.exit)" "5 5" "TLS: a self-signed certificate is refused (exit 5, --json error)"
t_grep "... and the message says self-signed" "self-signed" "$(js .error.message)"
