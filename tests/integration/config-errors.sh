#!/bin/bash
# A bad configuration never breaks the consumer: for a missing file, a syntax
# error, an unknown driver, a backend library that does not exist and one that
# is not PKCS#11 (libc), the module still loads (C_Initialize succeeds),
# pkcs11-tool -L shows no slots and exits normally (OpenSC 0.23 prints
# "No slots." on stderr and exits 1 when there are none), and stderr holds
# exactly one ukey-pkcs11 line that names the problem.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 22
unset UKEY_LOG

vkey_make "$WORK/vkey" rsa
softhsm=$(sed -n 's/^library *= *//p' "$WORK/vkey/ukey-pkcs11.conf")
libc=$(ldd /bin/sh | awk '$1 ~ /^libc\.so/ { print $3 }')
[ -f "$libc" ] || libc=/lib/x86_64-linux-gnu/libc.so.6

# backend_conf FILE DRIVER LIBRARY
backend_conf() {
	printf '[backend test]\ndriver = %s\nlibrary = %s\n' "$2" "$3" >"$1"
}

# run_list CONF: pkcs11-tool -L with UKEY_PKCS11_CONF=CONF; sets st, out
# (stdout and stderr) and err (stderr).
run_list() {
	UKEY_PKCS11_CONF=$1 p11 -L >"$WORK/out" 2>"$WORK/err"
	st=$?
	out=$(cat "$WORK/out" "$WORK/err")
	err=$(cat "$WORK/err")
}

# check_case NAME CONF NEEDLE...: the four promises for one broken config;
# the module's one line must contain every NEEDLE (fixed strings).
check_case() {
	local name=$1 conf=$2 lines n
	shift 2
	run_list "$conf"
	# ("No slots." comes only after C_Initialize and C_GetSlotList worked:
	# a pkcs11-tool that could not load the module exits 1 as well)
	if [ "$st" -le 1 ] && grep -q '^No slots\.$' <<<"$out" && ! grep -q 'C_Initialize' <<<"$out"; then
		t_ok "$name: module initialises and pkcs11-tool -L exits normally"
	else
		t_fail "$name: module initialises and pkcs11-tool -L exits normally"
		t_diag "exit status $st" "$out"
	fi
	t_grep "$name: pkcs11-tool -L shows no slots" '^No slots\.$' "$out"
	lines=$(grep '^ukey-pkcs11\[' <<<"$err")
	n=$(grep -c . <<<"$lines")
	if [ "$n" -eq 1 ]; then
		t_ok "$name: stderr holds one ukey-pkcs11 line"
	else
		t_fail "$name: stderr holds one ukey-pkcs11 line"
		t_diag "stderr:" "$err"
	fi
	for needle in "$@"; do
		grep -qF -- "$needle" <<<"$lines" || break
		needle=
	done
	if [ -z "${needle-}" ]; then
		t_ok "$name: the line names the problem"
	else
		t_fail "$name: the line names the problem"
		t_diag "missing '$needle' in:" "$lines"
	fi
}

# Control: the good config lists the token and says nothing on stderr.
run_list "$WORK/vkey/ukey-pkcs11.conf"
t_grep "good config: the token is listed" "serial num +: +$SERIAL\$" "$out"
t_is "$(grep -c '^ukey-pkcs11\[' <<<"$err") $(grep -c "serial num .*$SERIAL" <<<"$out")" "0 1" \
	"good config: no module line on stderr (of a run that listed the token)"

check_case "missing config file" "$WORK/no-such.conf" "$WORK/no-such.conf"

printf '[backend test]\ndriver p11\nlibrary = %s\n' "$softhsm" >"$WORK/syntax.conf"
check_case "syntax error" "$WORK/syntax.conf" "$WORK/syntax.conf" "2"

backend_conf "$WORK/driver.conf" no-such-driver "$softhsm"
check_case "unknown driver" "$WORK/driver.conf" "no-such-driver"

backend_conf "$WORK/nolib.conf" p11 "$WORK/no-such-lib.so"
check_case "missing library" "$WORK/nolib.conf" "$WORK/no-such-lib.so"

backend_conf "$WORK/libc.conf" p11 "$libc"
check_case "library is not PKCS#11" "$WORK/libc.conf" "$libc"

tap_done
