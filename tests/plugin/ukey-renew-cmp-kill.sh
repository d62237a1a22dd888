#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ukey renew --cert-only` by CMP against the reference service's CMP
# endpoint, killed with SIGKILL at each failpoint of the transaction
# (renew-plugin/base/failpoint.c: both journal sites of steps 1..8 and the
# points inside steps: keygen-made, write-cert-done, retire-partial), then
# run again: the rerun finishes with exactly one certificate issued for the
# order (the journaled transaction ID gets the same certificate again), the
# order used, one signing certificate on the token whose key signs, the
# journal done. SoftHSM RSA: every point; SoftHSM EC P-256: a subset.
# Needs a build configured with --enable-failpoints (skips otherwise).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
grep -qs '^#define UKEY_FAILPOINTS 1' "$build/config.h" ||
	tap_skip_all "failpoints not compiled in (configure --enable-failpoints)"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-cmp-kill sqlite3
. "$top/tests/plugin/renew-cmp-lib.sh"
POINTS=$RENEW_KILL_POINTS
EC_POINTS="keygen-made journal-2-after journal-3-before write-cert-done retire-partial journal-7-before"
PER_POINT=5
tap_plan $((PER_POINT * ($(wc -w <<<"$POINTS") + $(wc -w <<<"$EC_POINTS"))))
export UKEY_TEST_PIN=123456
unset UKEY_FAILPOINT
echo "renewal by CMP kill test data" >"$W/data"

# ---- killed at each failpoint, then the rerun
kill_at() {
	local name=$1 tag="$KT: $1" n want_rc=0
	paid_order cert
	n=$(ncerts)
	UKEY_FAILPOINT=$name u renew --cert-only
	t_is "$RC" 137 "$tag: ukey renew dies by SIGKILL at the failpoint"
	[ "$RC" = 137 ] || t_diag "$ERR"
	[ "$name" = journal-8-after ] && want_rc=3
	u renew --cert-only
	t_is "$RC" "$want_rc" "$tag: the rerun completes (exit $want_rc)"
	[ "$RC" = "$want_rc" ] || t_diag "$ERR"
	t_is "$(issued) $(order_state)" "1 $((n + 1)) used" "$tag: exactly one certificate issued for the order, the order used"
	journal_cert "$W/new.der"
	t_check "$tag: the newest signing certificate is the issued one and its key signs" \
		eval '[ "$(newest_id)" = "$(jq -r .key_id "$J")" ] && signs "$(jq -r .key_id "$J")" "$W/new.der"'
	t_is "$(signing_certs) $(jq -r '.state + " " + (.step | tostring)' "$J")" "1 done 8" \
		"$tag: one signing certificate on the token, journal done"
	[ "$(jq -r .state "$J")" = done ] || mv "$J" "$J.$name"
}

# kills POINTS...: kill_at each point.
kills() {
	local fp
	for fp in "$@"; do
		kill_at "$fp"
	done
}

# prepare TYPE BACKEND: a U-KEY enrolled, bound and checked (the native
# protocol's part), then the CMP environment.
prepare() {
	native_env
	enroll "$1" "$2" && bind_and_check || {
		echo "Bail out! $1/$2 virtual U-KEY or service failed: $(tail -n 3 "$D.log" 2>/dev/null) $ERR"
		exit 1
	}
	cmp_env
}

prepare ec softhsm
kills $EC_POINTS
ca_stop_all
prepare rsa softhsm
kills $POINTS
ca_stop_all
tap_done
