#!/bin/bash
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

# dbg DESC EXPECT(0|1) ARGS...: pkcs11-tool with the debug log appended.
dbg() {
	local desc=$1 expect=$2 st
	shift 2
	UKEY_LOG=debug p11 --token-label "$LABEL" "$@" >"$WORK/out" 2>>"$log"
	st=$?
	if { [ "$expect" = 0 ] && [ $st -eq 0 ]; } || { [ "$expect" = 1 ] && [ $st -ne 0 ]; }; then
		t_ok "$desc"
	else
		t_fail "$desc"
		t_diag "exit status $st" "$(cat "$WORK/out")"
	fi
}

dbg "login and sign with the PIN" 0 --login --pin "$pin1" --sign --id 01 -m SHA256-RSA-PKCS \
	-i "$WORK/msg" -o "$WORK/sig"
dbg "a wrong PIN is refused" 1 --login --pin "$pin_wrong" -O
dbg "the PIN is changed" 0 --login --pin "$pin1" --change-pin --new-pin "$pin2"
dbg "login with the new PIN" 0 --login --pin "$pin2" -O

t_check "the debug log is not empty" grep -q '^ukey-pkcs11\[.* debug: ' "$log"

hex() {
	printf '%s' "$1" | od -An -tx1 | tr -d ' \n'
}

for p in "$pin1" "$pin_wrong" "$pin2"; do
	lower=$(hex "$p")
	upper=$(tr a-f A-F <<<"$lower")
	t_check "log does not hold PIN $p" bash -c '! grep -qF -- "$1" "$2"' _ "$p" "$log"
	t_check "log does not hold PIN $p as hex" bash -c '! grep -qF -- "$1" "$2"' _ "$lower" "$log"
	t_check "log does not hold PIN $p as upper-case hex" \
		bash -c '! grep -qF -- "$1" "$2"' _ "$upper" "$log"
done

if [ "$t_failed" -ne 0 ]; then
	t_diag "debug log (first 40 lines):" "$(head -n 40 "$log")"
fi
tap_done
