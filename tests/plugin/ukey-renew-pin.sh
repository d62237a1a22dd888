#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey renew with a wrong PIN (issue 6: "stops before anything changes, one
# try used, never retried"). SKF emulator (SM2): the device's own user-PIN
# retry counter (device/apps/<app>/pin.user remain=, emulator/README.md)
# drops by exactly one per run, the module reports it as
# CKF_USER_PIN_COUNT_LOW (read by a fresh tests/plugin/observer), and a run
# with the right PIN then renews and resets the counter. SoftHSM (RSA): the
# module's debug log (UKEY_LOG=debug; it logs login attempts, never PINs)
# shows exactly one login attempt, refused with CKR_PIN_INCORRECT. Both:
# exit 4, no journal, no new object on the token, nothing issued.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-pin
OBSERVER=$build/tests/plugin/observer
[ -x "$OBSERVER" ] || tap_skip_all "tests/plugin/observer not built (needs cmocka's test build)"
tap_plan 22
unset UKEY_LOG
echo 999999 >"$W/badpin"

setup() { enroll "$@" && bind_and_check && paid_order cert; }
# What must not change: the token's objects (certificates, keys, seals as
# ukey show lists them) and the journal; and what the service issued.
state() {
	u show --json
	printf '%s|%s|%s' "$(js '[.certificates[] | .serial] | sort | join(",")')" \
		"$(test -e "$J" && echo journal || echo no-journal)" \
		"$(sqlite3 "$W/st-$1/ca.db" "SELECT count(*) FROM renewals" 2>/dev/null || echo no-sqlite)"
}
# wrong_pin: one `ukey renew` with the wrong PIN file and the module's debug
# log on; LOGINS = login attempts the module logged, REFUSED = refusals
# with CKR_PIN_INCORRECT (0xa0).
wrong_pin() {
	UKEY_LOG=debug UKEY_PIN_FILE=$W/badpin u renew --cert-only
	LOGINS=$(grep -c 'login as user' <<<"$ERR")
	REFUSED=$(grep -c 'login refused: 0x0*a0$' <<<"$ERR")
}
remain() { sed -n 's/^remain=//p' "$D/device/apps/$(sed -n 's/^application=//p' "$D/vkey.info")/pin.user"; }
# The module's view of the PIN counter, from a process started now.
pin_flags() {
	printf 'info\nquit\n' | UKEY_OBSERVER_SERIAL=$M "$OBSERVER" "$UKEY_MODULE" 2>>"$W/observer.err" |
		sed -n 's/^info flags=0x[0-9a-f]* //p'
}

# ---- SoftHSM RSA: one login attempt, refused, nothing changed
if setup rsa softhsm; then
	before=$(state rsa)
	wrong_pin
	t_is "$RC" 4 "rsa/softhsm: wrong PIN: exit 4"
	t_is "$LOGINS $REFUSED" "1 1" "rsa/softhsm: the module saw exactly one login attempt, refused (CKR_PIN_INCORRECT)"
	t_nogrep "rsa/softhsm: ... and its debug log does not hold the PIN (it shows the login)" "999999" "$ERR" "login as user"
	t_grep "rsa/softhsm: the message names the wrong PIN" "PIN" "$ERR"
	t_is "$(state rsa)" "$before" "rsa/softhsm: nothing changed: same token objects, no journal, nothing issued"
	u renew --cert-only
	t_is "$RC" 0 "rsa/softhsm: the right PIN then renews (exit 0)"
else
	t_diag "$(tail -n 3 "$W/rsa-softhsm.log")"
	for i in $(seq 6); do t_fail "rsa/softhsm: virtual U-KEY, service, binding and paid order"; done
fi
ca_stop_all

# ---- SKF SM2: the device counts tries
if setup sm2 skf; then
	max=$(remain)
	t_is "$(pin_flags)" "count_low=0 final_try=0 locked=0" "sm2/skf: before: the module reports no PIN flag"
	before=$(state sm2)
	wrong_pin
	t_is "$RC" 4 "sm2/skf: wrong PIN: exit 4"
	t_is "$(remain)" "$((max - 1))" "sm2/skf: the device's retry counter dropped by exactly one ($max -> $((max - 1)))"
	t_is "$LOGINS $REFUSED" "1 1" "sm2/skf: the module saw exactly one login attempt, refused (CKR_PIN_INCORRECT)"
	t_nogrep "sm2/skf: ... and its debug log does not hold the PIN (it shows the login)" "999999" "$ERR" "login as user"
	t_is "$(pin_flags)" "count_low=1 final_try=0 locked=0" \
		"sm2/skf: the module reports CKF_USER_PIN_COUNT_LOW to a process started afterwards"
	t_is "$(state sm2)" "$before" "sm2/skf: nothing changed: same token objects, no journal, nothing issued"
	wrong_pin
	t_is "$RC $(remain)" "4 $((max - 2))" "sm2/skf: a second run with the wrong PIN uses one more try, no more"
	t_is "$LOGINS" 1 "sm2/skf: ... again with one login attempt"
	u renew --cert-only
	t_is "$RC" 0 "sm2/skf: the right PIN then renews (exit 0)"
	t_is "$(remain)" "$max" "sm2/skf: ... and the successful login reset the retry counter"
	t_is "$(pin_flags)" "count_low=0 final_try=0 locked=0" "sm2/skf: ... which the module reports"
	u show --json
	old=$(openssl x509 -noout -serial -in "$D/keys/sign.pem" | sed 's/^serial=0*//' | tr A-F a-f)
	t_is "$(jq -r --arg old "$old" '[.certificates[] | select(.sign)] | "\(length) \(.[0].serial | ascii_downcase | ltrimstr("0") != $old)"' <<<"$OUT")" \
		"1 true" "sm2/skf: ... and the token holds one signing certificate, the new one (the old one retired)"
	t_is "$(jq -r .state "$J" 2>/dev/null)" "done" "sm2/skf: ... and its journal says done"
	# pin_prompt = pinentry and no PIN from a file or descriptor: the
	# module's dialog asks (tests/pinentry/ukey-test-pinentry), once.
	{ printf '[module]\npin_prompt = pinentry\npinentry = %s\npinentry_timeout = 20\n\n' \
		"$top/tests/pinentry/ukey-test-pinentry"; cat "$D/ukey-pkcs11.conf"; } >"$W/pinentry.conf"
	mkdir -p "$W/q" && head -n 1 "$W/pin" | tr -d '\n' >"$W/q/1"
	UKEY_PKCS11_CONF=$W/pinentry.conf UKEY_PIN_FILE= UKEY_TEST_PINENTRY_PIN_DIR=$W/q \
		UKEY_TEST_PINENTRY_LOG=$W/pe.log u order --json
	t_is "$RC $(grep -c '^GETPIN$' "$W/pe.log" 2>/dev/null)" "0 1" \
		"sm2/skf: pin_prompt = pinentry, no PIN file: ukey logs in through the module's PIN dialog, asked once"
	t_grep "sm2/skf: ... which shows the tries left" "^SETDESC .*Tries left: $max of $max" "$(cat "$W/pe.log" 2>/dev/null)"
else
	t_diag "$(tail -n 3 "$W/sm2-skf.log")"
	for i in $(seq 16); do t_fail "sm2/skf: virtual U-KEY, service, binding and paid order"; done
fi
ca_stop_all
tap_done
