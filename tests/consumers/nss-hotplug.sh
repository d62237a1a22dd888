#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A running NSS consumer notices a U-KEY inserted after it started (issue
# 17, item 5), as a browser must: consumers/nss-watch (NSS's
# SECMOD_WaitForAnyTokenEvent, the call behind Firefox's smart-card thread)
# starts with no U-KEY inserted; the virtual U-KEY is then inserted, and NSS
# sees the event and the token's certificates; pulled out, it sees the
# token gone; put back, the token is in the same slot with its
# certificates again. On the SKF emulator (a device directory renamed in
# and out) and on p11 (SoftHSM behind tests/lib/p11-readers.c, whose plug
# file puts the token in a reader).
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/browser/nss-common.sh"
tap_setup
nss_need certutil modutil
WATCH=$UKEY_TOP_BUILDDIR/tests/consumers/nss-watch
READERS=$UKEY_TOP_BUILDDIR/tests/lib/.libs/libukey-readers.so
[ -x "$WATCH" ] || tap_skip_all "consumers/nss-watch not built (libnss3-dev missing: tools/install-deps)"
[ -f "$READERS" ] || tap_skip_all "tests/lib/libukey-readers.so not built (make check builds it)"
tap_plan 10

WPID=
trap '[ -n "$WPID" ] && kill "$WPID" 2>/dev/null; rm -rf "$WORK"' EXIT

# seen PATTERN: the first line of the consumer's output matching it, waited
# for (30 s; the consumer may poll once a second, and the machine be busy).
seen() {
	local i
	for i in $(seq 300); do
		grep -m1 -E -- "$1" "$OUT" && return 0
		sleep 0.1
	done
	return 1
}

# run BACKEND INSERT PULL [REINSERT]: the whole story on one backend;
# INSERT and PULL are commands that put the U-KEY in and take it out,
# REINSERT puts it back (default: INSERT).
run() {
	local b=$1 insert=$2 pull=$3 reinsert=${4:-$2} db=$WORK/$1-nssdb l slot n i
	nssdb_make "$db"
	OUT=$WORK/$b.out
	$pull
	nss_tool_long "$WATCH" "sql:$db" ukey >"$OUT" 2>"$WORK/$b.err" &
	WPID=$!
	if ! seen '^ready$' >/dev/null; then
		t_fail "$b: the NSS consumer starts with no U-KEY inserted"
		t_diag "$(cat "$WORK/$b.err")"
		return
	fi
	t_is "$(grep -c '^event' "$OUT")" 0 "$b: the NSS consumer starts with no U-KEY inserted, and no event"
	$insert
	l=$(seen '^event [0-9]+ present$')
	slot=$(awk '{ print $2 }' <<<"$l")
	t_check "$b: inserted after start-up: NSS reports the token event" test -n "$slot"
	seen "^done $slot\$" >/dev/null
	t_grep "$b: ... and lists the U-KEY's signing certificate" "^cert $slot $LABEL:$SIGN_CERT\$" "$(cat "$OUT")"
	$pull
	t_check "$b: pulled out: NSS sees the token absent" seen "^event $slot absent\$"
	$reinsert
	for i in $(seq 300); do
		n=$(grep -c "^done $slot\$" "$OUT")
		[ "$n" -ge 2 ] && break
		sleep 0.1
	done
	t_is "$n $(grep -c "^cert $slot $LABEL:$SIGN_CERT\$" "$OUT")" "2 2" \
		"$b: put back: the same slot ($slot) again, with its certificates"
	kill "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=
}

# nss_tool without its 60 s bound: the consumer runs until killed.
nss_tool_long() {
	NSS_TIMEOUT=300 nss_tool "$@"
}

# --- SKF emulator
vkey_make "$WORK/skf" sm2 --backend skf
SIGN_CERT="ukey sign cert"
skf_in() { mv "$WORK/skf/device.out" "$WORK/skf/device"; }
skf_out() { mv "$WORK/skf/device" "$WORK/skf/device.out"; }
run skf skf_in skf_out

# --- p11: a reader-slot library over SoftHSM
vkey_make "$WORK/p11" rsa
SIGN_CERT="Signing certificate"
printf '[backend readers]\ndriver = p11\nlibrary = %s\n' "$READERS" >"$WORK/readers.conf"
chmod 600 "$WORK/readers.conf"
export UKEY_PKCS11_CONF=$WORK/readers.conf UKEY_READERS_PLUG=$WORK/plug
export UKEY_READERS_LIB=${UKEY_TEST_SOFTHSM:-$(sed -n 's/^library = //p' "$WORK/p11/ukey-pkcs11.conf")}
# in reader 1, then back in reader 2: the backend's slot differs, the module's not
p11_in() { printf '1 %s\n' "$SERIAL" >"$WORK/plug.new" && mv "$WORK/plug.new" "$WORK/plug"; }
p11_back() { printf '2 %s\n' "$SERIAL" >"$WORK/plug.new" && mv "$WORK/plug.new" "$WORK/plug"; }
p11_out() { : >"$WORK/plug.new" && mv "$WORK/plug.new" "$WORK/plug"; }
run p11 p11_in p11_out p11_back

tap_done
