#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pkcs11-tool and the PIN dialog: with [module] pin_prompt = pinentry the
# token shows a PIN pad (protected authentication path), `pkcs11-tool --login`
# without --pin logs in and signs through the dialog (the test pinentry), a
# cancelled dialog is CKR_FUNCTION_CANCELED, and the debug log of all of it
# holds none of the PINs typed into the dialog.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 12

pin='Kd3-dialog-71942'
pin_wrong='Hx8-dialog-20573'
vkey_make "$WORK/vkey" rsa --user-pin "$pin"
conf=$WORK/pinentry.conf
{
	printf '[module]\npin_prompt = pinentry\npinentry = %s\npinentry_timeout = 30\n\n' \
		"$UKEY_TOP_SRCDIR/tests/pinentry/ukey-test-pinentry"
	cat "$UKEY_PKCS11_CONF"
} >"$conf"
export UKEY_PKCS11_CONF=$conf
export UKEY_TEST_PINENTRY_PIN_FILE=$WORK/pin UKEY_TEST_PINENTRY_LOG=$WORK/dialog.log
unset UKEY_TEST_PINENTRY_CANCEL UKEY_TEST_PINENTRY_MODE LC_ALL LC_MESSAGES
export LANG=C.UTF-8
log=$WORK/debug.log
: >"$log"
printf 'pinentry test\n' >"$WORK/msg"

out=$(p11 -T 2>&1)
t_grep "the token shows a PIN pad (protected authentication path)" 'token flags.*PIN pad present' "$out"

printf '%s\n' "$pin" >"$WORK/pin"
out=$(UKEY_LOG=debug p11 --token-label "$LABEL" --login -O 2>>"$log" </dev/null)
t_check "pkcs11-tool --login without --pin succeeds" test $? -eq 0
t_grep "private keys are listed after the dialog's login" '^Private Key Object' "$out"
t_grep "the dialog named the medium number" "^SETDESC .*$SERIAL" "$(cat "$WORK/dialog.log")"

printf '%s\n' "$pin_wrong" >"$WORK/pin"
UKEY_LOG=debug p11 --token-label "$LABEL" --login -O >/dev/null 2>"$WORK/err" </dev/null
st=$?
cat "$WORK/err" >>"$log"
t_check "a wrong PIN from the dialog is refused (CKR_PIN_INCORRECT)" \
	bash -c '[ "$1" -ne 0 ] && grep -q "rv = CKR_PIN_INCORRECT " "$2"' _ "$st" "$WORK/err"

printf '%s\n' "$pin" >"$WORK/pin"
: >"$WORK/dialog.log"
UKEY_LOG=debug p11 --token-label "$LABEL" --login --sign --id 01 -m SHA256-RSA-PKCS \
	-i "$WORK/msg" -o "$WORK/sig" >/dev/null 2>>"$log" </dev/null
t_check "signing logs in through the dialog" test $? -eq 0
t_grep "the dialog said a wrong PIN was entered before" '^SETDESC .*A wrong PIN was entered before' \
	"$(cat "$WORK/dialog.log")"
p11 --token-label "$LABEL" --read-object --type cert --id 01 -o "$WORK/cert.der" >/dev/null 2>&1 &&
	openssl x509 -inform DER -in "$WORK/cert.der" -pubkey -noout >"$WORK/pub.pem" &&
	openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$WORK/sig" "$WORK/msg" >/dev/null
t_check "the signature verifies with the certificate's key" test $? -eq 0

out=$(UKEY_TEST_PINENTRY_CANCEL=1 UKEY_LOG=debug p11 --token-label "$LABEL" --login -O 2>&1 </dev/null)
st=$?
printf '%s\n' "$out" | grep -v '^  ' >>"$log"
t_check "a cancelled dialog fails the login" bash -c '[ "$1" -ne 0 ] && grep -q CKR_FUNCTION_CANCELED <<<"$2"' _ "$st" "$out"
t_grep "cancel is CKR_FUNCTION_CANCELED" 'CKR_FUNCTION_CANCELED' "$out"

t_check "the debug log is not empty" grep -q '^ukey-pkcs11\[.* debug: ' "$log"
hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}
leaks=0
for p in "$pin" "$pin_wrong"; do
	for needle in "$p" "$(hex "$p")" "$(hex "$p" | tr a-f A-F)"; do
		grep -qF -- "$needle" "$log" "$WORK/dialog.log" && leaks=$((leaks + 1))
	done
done
# (absences that count: the log saw the logins, the dialog log a dialog)
t_is "$leaks $([ "$(grep -c 'debug: .*login as user' "$log")" -ge 3 ] && echo logins) $(grep -q '^SETDESC' \
	"$WORK/dialog.log" && echo dialog)" "0 logins dialog" \
	"neither PIN is in the debug log (of the logins) or the dialog's log (text or hex)"

if [ "$t_failed" -ne 0 ]; then
	t_diag "debug log (first 40 lines):" "$(head -n 40 "$log")"
fi
tap_done
