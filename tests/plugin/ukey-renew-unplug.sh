#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The U-KEY removed in the middle of `ukey renew` (issue 6, "Token removed
# mid-renewal"): the renewal is stopped at a failpoint (UKEY_FAILPOINT=
# name:stop, SIGSTOP), the token is removed, the renewal continued
# (SIGCONT): it fails with "re-insert the key with medium number <M>"
# (renew/present.c asks the module which tokens are present). A different
# U-KEY inserted instead is refused with the same message naming the first
# one, and nothing is written to it; the first one put back, the rerun
# completes with one certificate issued.
#   SKF emulator: removal = renaming the device directory (SAR_DEVICE_REMOVED
#   on every later call, emulator/README.md).
#   p11tool (SoftHSM): removal = moving the token's directory out of SoftHSM's
#   token directory: SoftHSM rescans it on C_GetSlotList and no longer lists
#   the token, and writes to it fail (checked below through the module).
# Needs a build configured with --enable-failpoints (skips otherwise).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
grep -qs '^#define UKEY_FAILPOINTS 1' "$build/config.h" ||
	tap_skip_all "failpoints not compiled in (configure --enable-failpoints)"
CA_SERVICE_DIR=$build/ca-service
UKEY=$build/tools/ukey/ukey
need_tools openssl jq softhsm2-util pkcs11-tool sqlite3
[ -x "$CA_SERVICE_DIR/ca-service" ] || tap_skip_all "ca-service not built"
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
. "$top/tests/ca-service/ca-lib.sh"
. "$top/tests/plugin/renew-lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-renew-unplug.XXXXXX")
PID=
cleanup() {
	[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null
	ca_stop_all
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
tap_plan 17
renew_env
unset UKEY_FAILPOINT

setup() { enroll "$@" && bind_and_check && paid_order cert; }
# stopped_renew POINT: `ukey renew --cert-only` in the background, stopped
# at POINT; PID set. 1 when it did not stop within 30 s.
stopped_renew() {
	UKEY_FAILPOINT=$1:stop ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} \
		"$UKEY" renew --cert-only >"$W/bg.out" 2>"$W/bg.err" &
	PID=$!
	for _ in $(seq 300); do
		[ "$(awk '{print $3}' "/proc/$PID/stat" 2>/dev/null)" = T ] && return 0
		kill -0 "$PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# resume: SIGCONT, then RC and ERR of the stopped renewal.
resume() {
	kill -CONT "$PID" 2>/dev/null
	wait "$PID"
	RC=$?
	PID=
	ERR=$(grep -v "^ukey: failpoint .*: stopped$" "$W/bg.err")
}
# fingerprint DIR: every file's hash, except the emulator's lock file and
# SoftHSM's token.object, which SoftHSM rewrites on every C_Login (the PIN
# flags; seen with pkcs11-tool --login on SoftHSM directly). Objects are
# files of their own, so a written object changes the fingerprint.
fingerprint() { (cd "$1" && find . -type f ! -name .lock ! -name token.object -print0 | sort -z | xargs -0 sha256sum); }
issued() { sqlite3 "$DB" "SELECT count(*) FROM renewals WHERE order_id = '$OID'"; }

# unplug_case TAG POINT REMOVE INSERT2 REMOVE2 PUTBACK: the shared sequence.
# REMOVE/PUTBACK move the first token out/in; INSERT2/REMOVE2 the second;
# SECOND: the second token's storage, fingerprinted.
unplug_case() {
	local tag=$1 point=$2 m1=$M fp
	if ! stopped_renew "$point"; then
		t_fail "$tag: ukey renew stops at $point"
		t_diag "$(cat "$W/bg.err")"
		return
	fi
	t_ok "$tag: ukey renew stops at $point (SIGSTOP)"
	$3
	resume
	t_grep "$tag: the renewal continued without the token fails: re-insert the key with medium number $m1" \
		"^4 .*re-insert the key with medium number $m1" "$RC $ERR"
	t_is "$(jq -r .state "$J")" in_progress "$tag: the journal keeps the unfinished renewal"
	$4
	fp=$(fingerprint "$SECOND")
	u renew --cert-only
	t_grep "$tag: a different U-KEY inserted instead: refused, re-insert the key with medium number $m1" \
		"^4 .*re-insert the key with medium number $m1" "$RC $ERR"
	t_is "$(fingerprint "$SECOND")" "$fp" "$tag: nothing was written to the different U-KEY"
	$5
	$6
	u renew --cert-only
	t_is "$RC" 0 "$tag: the first U-KEY put back, the rerun completes"
	[ "$RC" = 0 ] || t_diag "$ERR"
	t_is "$(issued) $(jq -r .state "$J")" "1 done" "$tag: one certificate issued for the order, journal done"
	u bind --status
	t_is "$RC" 0 "$tag: the new certificate authenticates to the service"
}

# ---- SKF emulator: the device directory renamed away
if setup sm2 skf && "$top/tools/ukey-vkey" create "$W/sm2-skf-2" --backend skf --share-with "$D" \
	>"$W/sm2-skf-2.log" 2>&1; then
	eval "$("$top/tools/ukey-vkey" env "$D")"
	M2=$(sed -n 's/^serial=//p' "$W/sm2-skf-2/vkey.info")
	SECOND=$W/sm2-skf-2/device.out
	mv "$W/sm2-skf-2/device" "$SECOND"
	skf_remove() { mv "$D/device" "$D/device.out"; }
	skf_insert2() { mv "$SECOND" "$W/sm2-skf-2/device"; SECOND=$W/sm2-skf-2/device; }
	skf_remove2() { mv "$SECOND" "$W/sm2-skf-2/device.out"; SECOND=$W/sm2-skf-2/device.out; }
	skf_putback() { mv "$D/device.out" "$D/device"; }
	unplug_case "skf ($M2 as the other key)" keygen-made skf_remove skf_insert2 skf_remove2 skf_putback
	ca_stop_all
else
	echo "Bail out! sm2/skf virtual U-KEYs or service failed: $(tail -n 3 "$W/sm2-skf.log")"
	exit 1
fi

# ---- p11tool (SoftHSM): the token's directory moved out of SoftHSM's tokens dir
if setup rsa softhsm && "$top/tools/ukey-vkey" create "$W/rsa-2" >"$W/rsa-2.log" 2>&1; then
	T1=$(ls -d "$D"/tokens/*/) T2=$(ls -d "$W"/rsa-2/tokens/*/)
	T1=${T1%/} T2=${T2%/}
	mkdir -p "$W/out"
	SECOND=$T2
	p11_remove() {
		mv "$T1" "$W/out/"
		# Through the module, as any consumer sees it: the token is gone.
		p11tool -L | grep -q "serial num *: $M" && t_fail "p11: SoftHSM still lists the moved token" ||
			t_ok "p11: with its directory moved away SoftHSM (through the module) lists no token $M"
	}
	p11_insert2() { mv "$T2" "$D/tokens/"; SECOND=$D/tokens/${T2##*/}; }
	p11_remove2() { mv "$SECOND" "$T2"; SECOND=$T2; }
	p11_putback() { mv "$W/out/${T1##*/}" "$T1"; }
	# Stopped before step 6 (the certificate write) begins.
	unplug_case "p11" journal-5-after p11_remove p11_insert2 p11_remove2 p11_putback
	ca_stop_all
else
	echo "Bail out! rsa/softhsm virtual U-KEYs or service failed: $(tail -n 3 "$W/rsa-softhsm.log")"
	exit 1
fi
tap_done
