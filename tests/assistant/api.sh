#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey assistant's JSON API, the whole guide with curl, against the
# reference CA service on virtual U-KEYs: the token (no login), the login
# (a wrong PIN burns exactly one try and is not retried), bind with the
# phone's confirmation (the operator CLI) seen as an event, the identity
# check, the order paid, an invoice refused for its tax number (the field
# named) then issued and downloaded, the seals with their pictures, a plan
# breaking each of the guide's rules refused by /api/seals/check naming the
# rule and the seals, the clean plan sent, the renewal with seals followed
# on the event stream to "done", interrupted (the service failing; with a
# failpoint build, the assistant killed) and resumed from the page's API,
# the new validity in the status. Then the SKF emulator (SM2): token,
# login, renewal.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
. "$top/tests/assistant/assistant-lib.sh"
plugin_setup assistant-api curl
tap_plan 75
mkdir -m 700 "$W/run"
# The module tells a long-running process (the assistant) of objects other
# processes wrote (ukey-vkey add-seals) through XDG_RUNTIME_DIR.
export XDG_RUNTIME_DIR=$W/run
echo 999999 >"$W/badpin"
export UKEY_ASSISTANT_CLOSED_SECONDS=900
fp() { grep -q '^#define UKEY_FAILPOINTS 1' "$build/config.h" 2>/dev/null; }
bail() { echo "Bail out! $*"; exit 1; }

# ---- SoftHSM, RSA
enroll rsa softhsm || bail "rsa/softhsm virtual U-KEY or service failed: $(tail -n 3 "$W/rsa-softhsm.log")"
asst_start || bail "the assistant did not start: $(cat "$W/asst.err")"
ev_start
get /api/token
t_is "$CODE $(js .state) $(js .token.serial) $(js .token.medium_last4)" "200 one $M ${M: -4}" \
	"token: one U-KEY, its medium number and last four digits, no login needed"
t_is "$(js '[.token.certs[] | select(.sign)] | length') $(js '.token.certs[0].holder | length > 0') $(js '.token.certs[0].days_left > 0')" \
	"1 true true" "token: the signing certificate with its holder and days left"
t_is "$(js .token.pin.state) $(js .token.logged_in)" "ok false" "token: PIN state ok, not logged in"
old_na=$(js '.token.certs[] | select(.sign) | .not_after')
get /api/status
t_is "$CODE $(js .error.code)" "401 login_required" "status before the login: 401 login_required"

# A wrong PIN: one C_Login, refused, counted once (the token's own counter,
# read with pkcs11-tool after: SoftHSM tells it by its flags only, so the
# count is proven on the SKF emulator below).
login_with "$W/badpin"
t_is "$CODE $(js .error.code)" "403 wrong_pin" "login with a wrong PIN: 403 wrong_pin"
t_grep "... the message says it was not retried" "not retried" "$(js .error.message)"
get /api/login
t_is "$(js .logged_in)" false "... and the session is not logged in"
login_with "$W/pin"
t_is "$CODE $(js .logged_in) $(js .token.logged_in)" "200 true true" "login with the right PIN: logged in"
grep -q 123456 "$W/asst.out" "$W/asst.err" && t_fail "the PIN appears in the assistant's output" ||
	t_ok "the PIN appears nowhere in the assistant's output"

# ---- bind: the code, the QR, the phone's confirmation seen as an event
get /api/status
t_is "$CODE $(js .binding) $(js .next_step)" "200 none bind" "status: not bound, next step bind"
post /api/binding '{}'
code=$(js .code)
t_is "$CODE $(js .medium_last4) $(js '.qr_svg | startswith("<svg")')" "200 ${M: -4} true" \
	"POST /api/binding: a code, the last four digits, the QR code as SVG"
get /api/binding
t_is "$(js .state)" pending "binding: pending until the phone confirms"
ev_mark
ca_cli confirm-binding "$code" "${M: -4}" >/dev/null
ev_wait binding 30
t_is "$(jq -r .state <<<"$EV")" confirmed "the phone's confirmation arrives by itself as a binding event"
get /api/binding
t_is "$(js .state) $(js '.confirmed_at > 0')" "confirmed true" "GET /api/binding: confirmed, with its time"
get /api/status
t_is "$(js .binding) $(js .identity_checked) $(js .next_step)" "confirmed false identity_check" \
	"status: bound, identity not checked yet"
ca_cli check-identity "$M" >/dev/null

# ---- order and payment
oid=$(ca_cli create-order "$M" --covers cert+seals --price 30000 | jq -r .id)
get /api/order
t_is "$CODE $(js .state) $(js .covers) $(js .price_fen) $(js .price_yuan) $(js .id)" "200 unpaid cert+seals 30000 300.00 $oid" \
	"order: unpaid, covers certificate and seals, its price and number"
t_is "$(js 'keys | join(",")')" "covers,encryption_certificate,id,paid_at,pay_method,price_fen,price_yuan,state,text" \
	"order: the members of ukey order --json (without its medium and next step)"
post /api/invoices "{\"order\":\"$oid\",\"title\":\"示例公司\",\"tax_number\":\"91110000600037341L\"}"
t_is "$CODE $(js .error.code) $(js .error.service_code)" "409 wait order_unpaid" \
	"invoice for an unpaid order: refused by the service, wait (order_unpaid)"
ca_cli pay "$oid" wechat >/dev/null
get /api/order
t_is "$(js .state) $(js .pay_method)" "paid wechat" "order: paid (WeChat)"

# ---- invoices
post /api/invoices "{\"order\":\"$oid\",\"title\":\"示例公司\",\"tax_number\":\"9111-bad\"}"
t_is "$CODE $(js .error.code) $(js .error.field)" "400 invalid tax_number" \
	"invoice with a bad tax number: 400, the field named (tax_number)"
post /api/invoices "{\"order\":\"$oid\",\"title\":\"\",\"tax_number\":\"91110000600037341L\"}"
t_is "$CODE $(js .error.field)" "400 title" "invoice with an empty title: the field named (title)"
post /api/invoices "{\"order\":\"$oid\",\"title\":\"示例公司\",\"tax_number\":\"91110000600037341L\"}"
inv=$(js .invoice.id)
t_is "$CODE $(js .created) $(js .invoice.title)" "201 true 示例公司" "invoice requested: 201, created"
get /api/invoices
t_is "$(js '.invoices | length') $(js '.invoices[0].id')" "1 $inv" "invoices: listed"
t_is "$(js '.invoices[0] | keys | join(",")') $(js '.invoices[0].amount_fen | type')" \
	"amount_fen,id,issued_at,order_id,state,tax_number,title number" \
	"invoices: the members of ukey invoices --json (the amount in fen)"
ca_cli issue-invoice "$inv" >/dev/null
get "/api/invoices/$inv/document"
t_is "$CODE $(head -c 4 "$W/body") $(grep -ci '^content-type: application/pdf' <<<"$HDR") $(grep -ci '^content-disposition: attachment' <<<"$HDR")" \
	"200 %PDF 1 1" "invoice document: the PDF, as a download"
get "/api/invoices/..%2f..%2fetc/document"
t_is "$CODE" 404 "invoice document with a strange id: 404"

# ---- seals: on the token with pictures, the service's list, the rules
mkdir -p "$W/seals"
added=$(ca_cli add-seals "$M" "$W/seals") && "$top/tools/ukey-vkey" add-seals "$D" "$W/seals" >"$W/add.log" 2>&1 &&
	ca_cli mark-seals-abnormal "$M" >/dev/null || bail "seals could not be added"
ids() { jq -r "[.seals[] | select($1) | .id] | join(\" \")" <<<"$added"; }
read -r D1 D2 <<<"$(ids '.status == "usable" and .name == "业务章"')"
ONE=$(ids '.name == "财务专用章"')
BAD=$(ids '.status == "unusable"')
get /api/token
t_is "$(js '.token.seals | length') $(js '[.token.seals[].picture] | sort | unique | join(",")')" "4 bmp,png" \
	"token: 4 seals, their pictures' formats"
sha=$(js '[.token.seals[] | select(.picture == "bmp")][0].sha256')
get "/api/seal-picture?sha256=$sha"
t_is "$CODE $(head -c 2 "$W/body") $(grep -ci '^content-type: image/bmp' <<<"$HDR")" "200 BM 1" \
	"seal picture: the BMP bytes with image/bmp"
get "/api/seal-picture?sha256=0000"
t_is "$CODE $(js .error.code)" "404 not_found" "seal picture of no seal: 404"
get /api/seals
t_is "$CODE $(js .abnormal) $(js '.seals | length') $(js '[.seals[] | select(.usable | not) | .id] | join(" ")') $(js '[.seals[] | select(.on_token)] | length')" \
	"200 true 4 $BAD 4" "service's seals: abnormal, 4, the remake unusable, all on the token"
t_is "$(js '.auto_plan.decisions | length')" 3 "... with a proposal for the 3 usable seals"
sha_of() { jq -r --arg i "$1" '.seals[] | select(.id == $i) | .sha256' "$W/seals.json"; }
cp "$W/body" "$W/seals.json"
auto=$(jq -c .auto_plan "$W/seals.json")
K1='{"id":"'$D1'","action":"keep","type":1}'
X2='{"id":"'$D2'","action":"drop"}'
K3='{"id":"'$ONE'","action":"keep","type":2}'
XB='{"id":"'$BAD'","action":"drop"}'
for c in "rule_unusable_chosen $BAD $K1,$X2,$K3,{\"id\":\"$BAD\",\"action\":\"keep\",\"type\":3}" \
	"rule_missing_decision $ONE $K1,$X2" \
	"rule_missing_type $D1 {\"id\":\"$D1\",\"action\":\"keep\"},$X2,$K3" \
	"rule_identical_kept_twice $D2 $K1,{\"id\":\"$D2\",\"action\":\"keep\",\"type\":3},$K3" \
	"rule_identical_none_kept $D1 {\"id\":\"$D1\",\"action\":\"drop\"},$X2,$K3" \
	"rule_type_taken $ONE {\"id\":\"$D1\",\"action\":\"keep\",\"type\":2},$X2,$K3"; do
	read -r rule sid decisions <<<"$c"
	post /api/seals/check "{\"plan\":{\"decisions\":[$decisions]}}"
	t_is "$CODE $(js .ok) $(js '[.broken[].rule] | join(",")') $(js "[.broken[] | .seals | index(\"$(sha_of "$sid")\") != null] | any")" \
		"200 false $rule true" "seals check: a plan breaking $rule only is refused, naming that rule and seal $sid"
done
post /api/seals/check '{"plan":{"decisions":"no"}}'
t_is "$CODE $(js .error.field)" "400 plan" "seals check: a malformed plan: 400, field plan"
post /api/seals/clean "{\"plan\":{\"decisions\":[$K1,{\"id\":\"$D2\",\"action\":\"keep\",\"type\":3},$K3]}}"
t_is "$CODE $(js .error.service_code)" "409 rule_identical_kept_twice" "seals clean: a broken plan is refused before it is sent"
post /api/seals/check "{\"plan\":$auto}"
t_is "$CODE $(js .ok) $(js '.broken | length')" "200 true 0" "seals check: the proposal breaks no rule"
post /api/seals/clean "{\"plan\":$auto}"
t_is "$CODE" 200 "seals clean: the plan is sent and accepted"
get /api/seals
t_is "$(js .abnormal)" false "the service's seals are no longer abnormal"

# ---- renewal, interrupted by the service, resumed from the API, to done
ca_cli misbehave fail-500 >/dev/null
ev_mark
post /api/renew '{"mode":"cert+seals"}'
t_is "$CODE $(js .started)" "202 true" "renew cert+seals: started (202)"
get /api/status
t_is "$CODE $(js .error.code)" "409 busy" "while it runs, other requests are answered busy"
ev_wait failed 120
t_is "$(jq -r .code <<<"$EV") $(jq -r '.step' <<<"$EV")" "service_unreachable 3" \
	"the service failing: a failed event at step 3 (sending the request)"
t_grep "... its message says to run it again" "again" "$(jq -r .message <<<"$EV")"
t_check "... after the renew events of steps 1 and 2" \
	grep -q '"step":2,"name":"build-request".*"state":"done"' "$W/events"
get /api/renew
t_is "$(js .running) $(js .pending) $(js .result.failed)" "false true true" "GET /api/renew: not running, pending (interrupted)"
ca_cli misbehave none >/dev/null
ev_mark
post /api/renew '{"mode":"cert+seals"}'
t_is "$CODE $(js .resume)" "202 true" "renew again: it resumes the interrupted one"
ev_wait done 180
t_is "$(jq -r .resumed <<<"$EV") $(jq -r '.not_after > '"$old_na" <<<"$EV") $(jq -r '.seals | length > 0' <<<"$EV")" \
	"true true true" "the done event: resumed, a later notAfter, the seals' new validity"
t_check "... the steps came as renew events, step 8 done" grep -q '"step":8,"name":"confirm-installed".*"state":"done"' "$W/events"
t_check "... each with its name for people" grep -q '"label":"' "$W/events"
get /api/renew
t_is "$(js .running) $(js .pending) $(js .result.done)" "false false true" "GET /api/renew: done, nothing pending"
get /api/status
t_is "$(js '.cert.not_after > '"$old_na") $(js .order.state)" "true used" "status: the new validity, the order used"
get /api/token
t_is "$(js '[.token.certs[] | select(.sign)] | length') $(js '.token.certs[] | select(.sign) | .not_after > '"$old_na")" \
	"1 true" "token: one signing certificate, the new one"

# ---- killed mid-renewal (failpoint build): a new assistant resumes it
if fp; then
	oid=$(ca_cli create-order "$M" --covers cert --price 30000 | jq -r .id) && ca_cli pay "$oid" wechat >/dev/null
	post /api/quit '{}'
	asst_gone 20
	asst_start UKEY_FAILPOINT=journal-4-after || bail "the assistant did not start again"
	login_with "$W/pin"
	post /api/renew '{"mode":"cert"}'
	asst_gone 120
	t_is "$? $(jq -r .state "$J") $(jq -r .step "$J")" "0 in_progress 4" \
		"failpoint: the assistant is killed after step 4 is journaled"
	asst_start || bail "the assistant did not start after the kill"
	ev_start
	get /api/renew
	t_is "$(js .pending) $(js .running)" "true false" "a new assistant sees the interrupted renewal (pending)"
	login_with "$W/pin"
	ev_mark
	post /api/renew '{}'
	ev_wait done 180
	t_is "$CODE $(jq -r .resumed <<<"$EV")" "202 true" "resumed from the API to done"
else
	for i in 1 2 3; do t_ok "# SKIP not a failpoint build (configure --enable-failpoints)"; done
fi
post /api/quit '{}'
t_is "$CODE $(js .bye)" "200 true" "POST /api/quit: bye"
asst_gone 20
t_is "$?" 0 "... and the assistant exits"

# ---- the SKF emulator, SM2: token, a wrong PIN counted once, login, renewal
if ! enroll sm2 skf; then
	for i in $(seq 1 7); do t_fail "sm2/skf virtual U-KEY or service failed"; done
	exit 1
fi
asst_start || bail "the assistant did not start on the SKF emulator"
ev_start
get /api/token
t_is "$(js .state) $(js .token.serial) $(js '.token.certs[] | select(.sign) | .key_type')" "one $M SM2" \
	"skf: the token, its SM2 signing certificate"
left=$(js .token.pin.tries_left)
old_na=$(js '.token.certs[] | select(.sign) | .not_after')
login_with "$W/badpin"
t_is "$CODE $(js .error.code) $(js .error.tries_left)" "403 wrong_pin $((left - 1))" \
	"skf: a wrong PIN burns exactly one try ($left -> $((left - 1)))"
get /api/token
t_is "$(js .token.pin.tries_left)" "$((left - 1))" "skf: ... and was not retried (the token says the same)"
login_with "$W/pin"
t_is "$CODE $(js .logged_in)" "200 true" "skf: login"
post /api/binding '{}'
ca_cli confirm-binding "$(js .code)" "${M: -4}" >/dev/null && ca_cli check-identity "$M" >/dev/null && paid_order cert
ev_mark
post /api/renew '{"mode":"cert"}'
ev_wait done 180
t_is "$CODE $(jq -r '.not_after > '"$old_na" <<<"$EV")" "202 true" "skf: renewed from the API, a later notAfter"
get /api/token
t_is "$(js '.token.certs[] | select(.sign) | .not_after > '"$old_na") $(js .token.pin.tries_left)" "true $left" \
	"skf: the new certificate on the token, the PIN counter reset by the right PIN"

# ---- keys coming and going: events, and the session gone with its key
ev_mark
mv "$D/device" "$D/device.out"
ev_wait token 30
t_is "$(jq -r .what <<<"$EV") $(jq -r .serial <<<"$EV") $(jq -r .state <<<"$EV")" "removed $M none" \
	"skf: the U-KEY pulled out: a token event (removed, its medium number, none left)"
get /api/status
t_is "$CODE $(js .error.code)" "401 login_required" "skf: ... its login went with it"
login_with "$W/pin"
t_is "$CODE $(js .error.code)" "409 no_token" "skf: a login with no U-KEY: 409 no_token"
ev_mark
mv "$D/device.out" "$D/device"
ev_wait token 30
t_is "$(jq -r .what <<<"$EV") $(jq -r .serial <<<"$EV") $(jq -r .state <<<"$EV")" "inserted $M one" \
	"skf: put back: a token event (inserted)"
post /api/quit '{}'
asst_gone 20

# ---- the module's PIN dialog (pin_prompt = pinentry): no PIN through the page
{ printf '[module]\npin_prompt = pinentry\npinentry = %s\npinentry_timeout = 20\n\n' \
	"$top/tests/pinentry/ukey-test-pinentry"; cat "$UKEY_PKCS11_CONF"; } >"$W/pinentry.conf"
mkdir -p "$W/q"
asst_start UKEY_PKCS11_CONF="$W/pinentry.conf" UKEY_TEST_PINENTRY_PIN_DIR="$W/q" UKEY_TEST_PINENTRY_LOG="$W/pe.log" ||
	bail "the assistant did not start with the PIN dialog"
get /api/login
t_is "$(js .logged_in) $(js .dialog_available)" "false true" "skf: pinentry: the login says the PIN dialog is available"
get /api/token
left=$(js .token.pin.tries_left)
post /api/login '{"dialog":true}'
t_is "$CODE $(js .error.code)" "410 cancelled" "skf: pinentry: the dialog cancelled: 410 cancelled"
get /api/token
t_is "$(js .token.pin.tries_left)" "$left" "skf: ... no try used"
printf 123456 >"$W/q/1"
post /api/login '{"dialog":true}'
t_is "$CODE $(js .logged_in) $(grep -c '^GETPIN$' "$W/pe.log")" "200 true 2" \
	"skf: pinentry: logged in through the module's dialog (one GETPIN each time)"
post /api/quit '{}'
asst_gone 20
t_nogrep "no sanitizer report from any of the assistants (sanitizer builds)" 'ERROR: [A-Za-z]*Sanitizer|runtime error:' \
	"$(cat "$W/asst.err")" 'exiting \(quit\)'
tap_done
