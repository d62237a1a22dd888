#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey renew killed with SIGKILL at every failpoint of the transaction
# (issue 6, "Kill -9 at each of the steps"): both journal sites of steps
# 1..8 ("journal-N-before": the step's work done, not recorded;
# "journal-N-after": recorded, the next step not begun) and the points
# inside steps that change two things (keygen-made, write-cert-done,
# retire-partial). After each kill, before the rerun: the old certificate
# still signs through the module and verifies with openssl (the new one,
# once step 7 has retired the old), and `ukey bind --status` still
# authenticates. The rerun completes: exit 0, the service issued exactly one
# certificate for the order, the token holds the same set of signing
# certificates and private keys as after an uninterrupted renewal (exactly
# one signing certificate, and its key signs), journal done.
# SoftHSM RSA virtual U-KEY (all points, --with-seals), SKF SM2 (a subset).
# Needs a build configured with --enable-failpoints (skips otherwise).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
grep -qs '^#define UKEY_FAILPOINTS 1' "$build/config.h" ||
	tap_skip_all "failpoints not compiled in (configure --enable-failpoints)"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-kill sqlite3 od
RSA_POINTS=$RENEW_KILL_POINTS
SKF_POINTS="keygen-made journal-3-before write-cert-done journal-7-before"
PER_POINT=7
tap_plan $((4 + PER_POINT * ($(wc -w <<<"$RSA_POINTS") + $(wc -w <<<"$SKF_POINTS"))))
# The virtual U-KEY's test PIN, for pkcs11-tool (--pin env:, never argv).
export UKEY_TEST_PIN=123456
unset UKEY_FAILPOINT
echo "renewal kill test data" >"$W/data"

setup() { enroll "$@" && bind_and_check; }
# The newest signing certificate's CKA_ID (hex), from `ukey show`.
newest_id() {
	u show --json
	js '[.certificates[] | select(.sign)] | max_by(.not_after) | .id'
}
# What the token holds: "<signing certificates> <private keys>".
inventory() {
	local certs keys
	u show --json
	certs=$(js '[.certificates[] | select(.sign)] | length')
	keys=$(p11tool --login --pin env:UKEY_TEST_PIN -O --type privkey | grep -c '^Private Key Object')
	echo "$certs $keys"
}
# after BEFORE: what an uninterrupted renewal makes of the inventory BEFORE
# (DELTA, measured on this token type by a warm-up renewal).
after() {
	local b=($1) d=($DELTA)
	echo "$((b[0] + d[0])) $((b[1] + d[1]))"
}
# warm_up: an uninterrupted renewal; sets DELTA.
warm_up() {
	local b
	b=$(inventory)
	u renew "$@"
	WARM_RC=$RC
	DELTA=$(inventory)
	DELTA="$((${DELTA% *} - ${b% *})) $((${DELTA#* } - ${b#* }))"
}
issued() { sqlite3 "$DB" "SELECT (SELECT count(*) FROM renewals WHERE order_id = '$OID') || ' ' ||
	(SELECT count(*) FROM certificates WHERE medium = '$M')"; }
# The journal's new certificate as DER.
journal_cert() { jq -r .certificate "$J" | openssl x509 -outform DER -out "$1" 2>/dev/null; }

# kill_at NAME MODE COVERS: order, renew killed at NAME, checks, rerun.
kill_at() {
	local name=$1 mode=$2 covers=$3 tag="$KT: $1" old_id retired=0 nissued want_rc=0 before want
	paid_order "$covers"
	old_id=$(newest_id)
	p11tool --read-object --type cert --id "$old_id" -o "$W/old.der" >/dev/null
	nissued=$(sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE medium = '$M'")
	before=$(inventory)
	want=$(after "$before")
	UKEY_FAILPOINT=$name u renew "$mode"
	t_is "$RC" 137 "$tag: ukey renew dies by SIGKILL at the failpoint"
	[ "$RC" = 137 ] || t_diag "$ERR"
	case $name in retire-partial | journal-7-* | journal-8-*) retired=1 ;; esac
	if [ $retired = 1 ]; then
		journal_cert "$W/new.der"
		t_check "$tag: before the rerun the new certificate (written, old retired) signs and verifies" \
			renew_signs "$(jq -r .key_id "$J")" "$W/new.der"
	else
		t_check "$tag: before the rerun the old certificate still signs and verifies" renew_signs "$old_id" "$W/old.der"
	fi
	u bind --status
	t_is "$RC" 0 "$tag: before the rerun 'ukey bind --status' still authenticates"
	# Killed after the last save: the renewal is complete, nothing is left to do.
	[ "$name" = journal-8-after ] && want_rc=3
	u renew "$mode"
	t_is "$RC" "$want_rc" "$tag: the rerun completes (exit $want_rc)"
	[ "$RC" = "$want_rc" ] || t_diag "$ERR"
	t_is "$(issued)" "1 $((nissued + 1))" "$tag: the service issued exactly one certificate for the order"
	journal_cert "$W/new.der"
	t_is "$(inventory) $(jq -r '.state + " " + (.step | tostring)' "$J")" "$want done 8" \
		"$tag: signing certificates and private keys as after an uninterrupted renewal ($before -> $want), journal done"
	t_check "$tag: the newest signing certificate is the issued one and its key signs" \
		eval '[ "$(newest_id)" = "$(jq -r .key_id "$J")" ] && renew_signs "$(jq -r .key_id "$J")" "$W/new.der"'
	# A renewal that did not finish must not hold up the next point.
	if [ "$(jq -r .state "$J")" != done ]; then
		t_diag "$tag: renewal left unfinished; journal moved away"
		mv "$J" "$J.$name"
	fi
}

# ---- SoftHSM RSA: every failpoint, with seals
if setup rsa softhsm; then
	mkdir -p "$W/seals"
	ca_cli add-seals "$M" "$W/seals" >/dev/null && "$top/tools/ukey-vkey" add-seals "$D" "$W/seals" >/dev/null 2>&1
	u seals clean --auto --yes
	paid_order cert+seals
	warm_up --with-seals
	t_is "$WARM_RC $(inventory) $DELTA" "0 1 2 0 0" \
		"rsa: an uninterrupted renewal leaves one signing certificate and two private keys (sign, encryption)"
	for fp in $RSA_POINTS; do
		kill_at "$fp" --with-seals cert+seals
	done
	u seals --json
	t_is "$(js '[.seals[]?] | length')" "$(jq '.seals | length' "$J")" "rsa: after all kills the token holds exactly the last renewal's seals"
	ca_stop_all
else
	echo "Bail out! rsa/softhsm virtual U-KEY or service failed: $(tail -n 3 "$W/rsa-softhsm.log")"
	exit 1
fi

# ---- SKF SM2 (emulator): a subset, certificate only
if setup sm2 skf; then
	paid_order cert
	u renew --cert-only
	t_is "$RC $(inventory)" "0 1 2" \
		"sm2/skf: an uninterrupted renewal: one signing certificate; private keys: the new signing key and the old encryption key (its signing pair retired)"
	# The first renewal retires the signing pair of the original container
	# (which keeps the encryption pair); the later ones delete the previous
	# renewal's container (signing pair only).
	paid_order cert
	warm_up --cert-only
	t_is "$WARM_RC $(inventory) $DELTA" "0 1 2 0 0" \
		"sm2/skf: a second uninterrupted renewal: still one signing certificate and two private keys"
	for fp in $SKF_POINTS; do
		kill_at "$fp" --cert-only cert
	done
	ca_stop_all
else
	echo "Bail out! sm2/skf virtual U-KEY or service failed: $(tail -n 3 "$W/sm2-skf.log")"
	exit 1
fi
tap_done
