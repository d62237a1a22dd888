#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A bad configuration never breaks the consumer: for a missing file, a syntax
# error, an unknown driver, a backend library that does not exist and one that
# is not PKCS#11 (libc), the module still loads (C_Initialize succeeds),
# pkcs11-tool -L shows no slots and exits normally (OpenSC 0.23 prints
# "No slots." on stderr and exits 1 when there are none), and stderr holds
# exactly one ukey-pkcs11 line that names the problem.
#
# The file as an attack surface: a library named by a relative path (which
# would load from the host's working directory), a config or library writable
# by others or owned by another user, a config that is /dev/zero or a FIFO
# (which hung C_Initialize before), and one library in two sections (which
# showed the token twice) are each refused with one line saying why.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 53
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
	# A hang would stop the whole suite: 60 s is far beyond a normal -L.
	local pre=()
	[ -n "${UKEY_TEST_PRELOAD:-}" ] && pre=(env LD_PRELOAD="$UKEY_TEST_PRELOAD" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
	UKEY_PKCS11_CONF=$1 timeout 60 "${pre[@]}" pkcs11-tool --module "$MODULE" -L >"$WORK/out" 2>"$WORK/err"
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

# ---- the configuration as an attack surface ----

# A relative library would be looked up from the host's working directory:
# put a real PKCS#11 library there, so that loading it would show a token.
mkdir -p "$WORK/cwd"
cp "$softhsm" "$WORK/cwd/evil.so"
backend_conf "$WORK/relative.conf" p11 ./evil.so
cd "$WORK/cwd" || exit 1
check_case "relative library path" "$WORK/relative.conf" "library './evil.so' is not an absolute path"
cd - >/dev/null || exit 1

backend_conf "$WORK/open.conf" p11 "$softhsm"
chmod 0666 "$WORK/open.conf"
check_case "config writable by others" "$WORK/open.conf" "$WORK/open.conf" "writable by others (mode 0666)"

cp "$softhsm" "$WORK/openlib.so"
chmod 0777 "$WORK/openlib.so"
backend_conf "$WORK/openlib.conf" p11 "$WORK/openlib.so"
check_case "library writable by others" "$WORK/openlib.conf" "$WORK/openlib.so" "writable by others (mode 0777)"

# Another user's files: only root can make one here (CI runs as root).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	backend_conf "$WORK/theirs.conf" p11 "$softhsm"
	chown nobody "$WORK/theirs.conf"
	check_case "config owned by another user" "$WORK/theirs.conf" "$WORK/theirs.conf" \
		"owned by uid $(id -u nobody), neither root nor the user running this program"
	cp "$softhsm" "$WORK/theirlib.so"
	chown nobody "$WORK/theirlib.so"
	backend_conf "$WORK/theirlib.conf" p11 "$WORK/theirlib.so"
	check_case "library owned by another user" "$WORK/theirlib.conf" "$WORK/theirlib.so" \
		"owned by uid $(id -u nobody)"
else
	for i in $(seq 8); do
		t_ok "# SKIP files of another user: not root, cannot chown a file to nobody"
	done
fi

# Each hung C_Initialize for ever before (timeout in run_list ends it).
check_case "config is /dev/zero" /dev/zero "/dev/zero" "a character device"
mkfifo "$WORK/fifo.conf"
check_case "config is a FIFO" "$WORK/fifo.conf" "$WORK/fifo.conf" "a FIFO"

# One library in two sections, the second through a symlink: the first
# section keeps its token, the second is refused and no token shows twice.
ln -s "$softhsm" "$WORK/alias.so"
printf '[backend one]\ndriver = p11\nlibrary = %s\n[backend two]\ndriver = p11\nlibrary = %s\n' \
	"$softhsm" "$WORK/alias.so" >"$WORK/twice.conf"
run_list "$WORK/twice.conf"
t_is "$(grep -cE "serial num +: +$SERIAL\$" <<<"$out")" 1 "same library twice: the token is listed once"
lines=$(grep '^ukey-pkcs11\[' <<<"$err")
t_is "$(grep -c . <<<"$lines")" 1 "same library twice: stderr holds one ukey-pkcs11 line"
t_grep "same library twice: the line names both sections" \
	"\[backend two\]: library $WORK/alias.so is the same file as \[backend one\]'s" "$lines"

tap_done
