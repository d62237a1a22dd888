#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The debug log never holds a PIN: with UKEY_LOG=debug, log in and sign, try
# a wrong PIN, change the PIN and log in with the new one; the log must be
# non-empty and hold none of the PINs, neither as text nor as hex.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 14

pin1='Pq7-vkey-58213'
pin_wrong='Wz4-vkey-90642'
pin2='Nr2-vkey-37155'
vkey_make "$WORK/vkey" rsa --user-pin "$pin1"
log=$WORK/debug.log
: >"$log"
printf 'log test\n' >"$WORK/msg"

# dbg DESC EXPECT(0|CKR_...) ARGS...: pkcs11-tool with the debug log
# appended; it must succeed, or fail with that CKR_ (a pkcs11-tool that
# could not run fails too, but not with the module's answer).
dbg() {
	local desc=$1 expect=$2 st
	shift 2
	UKEY_LOG=debug p11 --token-label "$LABEL" "$@" >"$WORK/out" 2>"$WORK/err"
	st=$?
	cat "$WORK/err" >>"$log"
	if { [ "$expect" = 0 ] && [ $st -eq 0 ]; } ||
		{ [ "$expect" != 0 ] && [ $st -ne 0 ] && grep -q "rv = $expect " "$WORK/err"; }; then
		t_ok "$desc"
	else
		t_fail "$desc"
		t_diag "exit status $st" "$(cat "$WORK/out" "$WORK/err")"
	fi
}

dbg "login and sign with the PIN" 0 --login --pin "$pin1" --sign --id 01 -m SHA256-RSA-PKCS \
	-i "$WORK/msg" -o "$WORK/sig"
dbg "a wrong PIN is refused (CKR_PIN_INCORRECT)" CKR_PIN_INCORRECT --login --pin "$pin_wrong" -O
dbg "the PIN is changed" 0 --login --pin "$pin1" --change-pin --new-pin "$pin2"
dbg "login with the new PIN" 0 --login --pin "$pin2" -O

t_check "the debug log is not empty" grep -q '^ukey-pkcs11\[.* debug: ' "$log"
# Every absence below counts only in a log that saw the four logins.
logins=$(grep -c 'debug: .*login as user' "$log")

hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}
absent() {
	[ "$logins" -ge 4 ] && ! grep -qF -- "$1" "$log"
}

for p in "$pin1" "$pin_wrong" "$pin2"; do
	lower=$(hex "$p")
	upper=$(tr a-f A-F <<<"$lower")
	t_check "log of $logins logins does not hold PIN $p" absent "$p"
	t_check "log of $logins logins does not hold PIN $p as hex" absent "$lower"
	t_check "log of $logins logins does not hold PIN $p as upper-case hex" absent "$upper"
done

if [ "$t_failed" -ne 0 ]; then
	t_diag "debug log (first 40 lines):" "$(head -n 40 "$log")"
fi
tap_done
