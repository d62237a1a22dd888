#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ukey renew --cert-only` by CMP key update against the reference service's
# CMP endpoint (POST /.well-known/cmp): the request protected by the old key
# and certificate on the token, the proof of possession by the new key on
# the token, the answer checked, certConf/pkiConf. On SoftHSM RSA and EC
# P-256 and the SKF emulator's SM2 (as far as OpenSSL 3.0's CMP code goes;
# the exact reason when it does not). Then, on SoftHSM RSA: killed at each
# failpoint (renew-plugin/base/failpoint.c; needs --enable-failpoints,
# skipped otherwise; on EC a subset) the rerun finishes with exactly one
# certificate; the
# service's faults (500, a dropped connection, a hang, on the kur and on
# the certConf; waiting then polling); an unpaid order refused with the
# reason shown to the user; the command-line form (--protocol cmp
# --server URL).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-cmp sqlite3
FAILPOINTS=0
grep -qs '^#define UKEY_FAILPOINTS 1' "$build/config.h" && FAILPOINTS=1
POINTS="keygen-made journal-1-before journal-1-after journal-2-before journal-2-after journal-3-before
	journal-3-after journal-4-before journal-4-after journal-5-before journal-5-after write-cert-done
	journal-6-before journal-6-after retire-partial journal-7-before journal-7-after journal-8-before
	journal-8-after"
EC_POINTS="keygen-made journal-2-after journal-3-before write-cert-done retire-partial journal-7-before"
PER_POINT=5
tap_plan $((3 * 7 + 23 + PER_POINT * ($(wc -w <<<"$POINTS") + $(wc -w <<<"$EC_POINTS"))))
export UKEY_TEST_PIN=123456
unset UKEY_FAILPOINT
echo "renewal by CMP test data" >"$W/data"

# The CMP side of the environment (the binding and the identity check are
# the native protocol's: done before).
cmp_env() {
	export UKEY_SERVICE_PROTOCOL=cmp UKEY_CMP_TRUSTED=$CA_USER_CA UKEY_CMP_TOTAL_TIMEOUT=60
}
native_env() { unset UKEY_SERVICE_PROTOCOL UKEY_CMP_TRUSTED UKEY_CMP_TOTAL_TIMEOUT; }
newest_id() {
	u show --json
	js '[.certificates[] | select(.sign)] | max_by(.not_after) | .id'
}
signing_certs() {
	u show --json
	js '[.certificates[] | select(.sign)] | length'
}
# "renewals of the order, certificates of the medium": one renewal, one more certificate.
issued() { sqlite3 "$DB" "SELECT (SELECT count(*) FROM renewals WHERE order_id = '$OID') || ' ' ||
	(SELECT count(*) FROM certificates WHERE medium = '$M')"; }
order_state() { sqlite3 "$DB" "SELECT state FROM orders WHERE id = '$OID'"; }
# The journal's new certificate ("cmp_cert", base64 DER) as DER.
journal_cert() { jq -r .cmp_cert "$J" | base64 -d >"$1" 2>/dev/null; }
# signs ID CERT.der: renew_signs, and for EC P-256 (which it does not do)
# ECDSA with SHA-256 through the module, verified by openssl.
signs() {
	[ "$KT" = ec ] || { renew_signs "$@"; return; }
	rm -f "$W/sig"
	openssl x509 -inform DER -in "$2" -pubkey -noout >"$W/pub.pem" 2>/dev/null &&
		p11tool --login --pin env:UKEY_TEST_PIN --sign --id "$1" -m ECDSA-SHA256 --signature-format openssl \
			-i "$W/data" -o "$W/sig" >/dev/null &&
		openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig" "$W/data" >/dev/null 2>&1
}
ncerts() { sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE medium = '$M'"; }

# renewed TAG NISSUED: the checks of a renewal that went through (7 cases).
renewed() {
	local tag=$1 n=$2 id
	t_is "$RC" 0 "$tag: ukey renew --cert-only by CMP completes"
	[ "$RC" = 0 ] || t_diag "$ERR"
	t_is "$(jq -r '.protocol + " " + (.cmp_confirmed | tostring) + " " + .state' "$J" 2>/dev/null)" "cmp 1 done" \
		"$tag: the journal says cmp, confirmed, done"
	t_grep "$tag: ... with the transaction ID journaled" '^[0-9a-f]{32}$' "$(jq -r .cmp_transaction_id "$J" 2>/dev/null)"
	t_is "$(issued) $(order_state)" "1 $((n + 1)) used" "$tag: the service issued one certificate; certConf made the order used"
	journal_cert "$W/new.der"
	id=$(newest_id)
	t_check "$tag: the newest signing certificate on the token is the issued one, and its key signs" \
		eval '[ "$id" = "$(jq -r .key_id "$J")" ] && signs "$id" "$W/new.der"'
	t_is "$(sqlite3 "$DB" "SELECT state FROM renewals WHERE request_id = 'cmp-$(jq -r .cmp_transaction_id "$J")'")" installed \
		"$tag: the service's renewal is the journal's transaction, installed"
	t_is "$(signing_certs)" 1 "$tag: one signing certificate left on the token"
}

# backend TYPE BACKEND: a U-KEY, bound and checked, a paid order, a CMP renewal.
backend() {
	local tag="$1/$2" n
	native_env
	if ! { enroll "$1" "$2" && bind_and_check && paid_order cert; }; then
		echo "Bail out! $tag: virtual U-KEY or service failed: $(tail -n 3 "$D.log" 2>/dev/null) $ERR"
		exit 1
	fi
	n=$(ncerts)
	cmp_env
	u renew --cert-only
	if [ "$1" = sm2 ] && [ "$RC" != 0 ] && grep -q "SM2 keys cannot be renewed by CMP" <<<"$ERR"; then
		# OpenSSL 3.0's CMP code makes no SM2-with-SM3 protection (and
		# takes one digest for protection and POP): ukey says so before
		# step 1, and the U-KEY renews by the native protocol.
		local i
		t_grep "$tag: refused before anything is made, with the reason" "OpenSSL's CMP cannot sign with an SM2 key" "$ERR"
		t_is "$(issued) $(order_state)" "0 $n paid" "$tag: nothing issued, the order still paid"
		t_check "$tag: no renewal begun (no journal)" test ! -e "$J"
		native_env
		u renew --cert-only
		t_is "$RC $(issued) $(order_state)" "0 1 $((n + 1)) used" "$tag: the same U-KEY renews by the native protocol"
		[ "$RC" = 0 ] || t_diag "$ERR"
		for i in 1 2 3; do
			t_ok "# SKIP $tag: OpenSSL $(openssl version | cut -d' ' -f2)'s CMP code cannot sign with an SM2 key"
		done
		return
	fi
	renewed "$tag" "$n"
}

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

# kills POINTS...: kill_at each point, or skips without failpoints.
kills() {
	local fp i
	for fp in "$@"; do
		if [ "$FAILPOINTS" = 1 ]; then
			kill_at "$fp"
		else
			for i in $(seq $PER_POINT); do
				t_ok "# SKIP failpoints not compiled in (configure --enable-failpoints)"
			done
		fi
	done
}

backend ec softhsm
kills $EC_POINTS
ca_stop_all
backend rsa softhsm

# ---- SoftHSM RSA: the rest, on the same U-KEY

# The command-line form, over a configuration that names no service (the
# CMP trust still from the environment: the CA certificate).
paid_order cert
n=$(ncerts)
unset UKEY_SERVICE_URL UKEY_SERVICE_PROTOCOL
u renew --cert-only --protocol cmp --server "$CA_URL"
export UKEY_SERVICE_URL=$CA_URL UKEY_SERVICE_PROTOCOL=cmp
t_is "$RC $(issued) $(order_state)" "0 1 $((n + 1)) used" "ukey renew --cert-only --protocol cmp --server URL renews (one certificate, order used)"
[ "$RC" = 0 ] || t_diag "$ERR"

# Refusals shown to the user.
OID=$(ca_cli create-order "$M" --covers cert --price 30000 | jq -r .id)
n=$(ncerts)
u renew --cert-only
t_check "an unpaid order: ukey renew fails" test "$RC" -ne 0
t_grep "... and shows the CA's reason" "the renewal order is not paid" "$ERR"
t_is "$(ncerts) $(order_state)" "$n unpaid" "... nothing issued"
ca_cli pay "$OID" wechat >/dev/null
u renew --cert-only
t_is "$RC $(issued) $(order_state)" "0 1 $((n + 1)) used" "the order paid, the rerun renews"

# The service's faults. fault TAG fails|recovers MISBEHAVE-ARGS...: with
# "fails" the run fails and the rerun finishes; with "recovers" the run
# itself gets over it (libcurl sends a request again on a reused
# connection that closed without an answer). Either way exactly one
# certificate for the order, the order used.
fault() {
	local tag=$1 want=$2 n
	shift 2
	paid_order cert
	n=$(ncerts)
	ca_cli misbehave "$@" >/dev/null
	u renew --cert-only
	t_diag "$tag: exit $RC: $(tail -n 1 <<<"$ERR")"
	if [ "$want" = fails ]; then
		t_check "$tag: ukey renew fails, and says nothing was written" \
			eval '[ "$RC" != 0 ] && grep -q "nothing was written to your U-KEY" <<<"$ERR"'
		ca_cli misbehave none >/dev/null
		u renew --cert-only
		t_is "$RC $(issued) $(order_state)" "0 1 $((n + 1)) used" "$tag: the rerun renews with exactly one certificate"
	else
		t_is "$RC" 0 "$tag: ukey renew gets over it"
		t_is "$(issued) $(order_state)" "1 $((n + 1)) used" "$tag: exactly one certificate, the order used"
	fi
	[ "$RC" = 0 ] || t_diag "$ERR"
	ca_cli misbehave none >/dev/null
}
fault "fail-500 on the kur" fails fail-500 1 --on /.well-known/cmp/kur
fault "connection dropped at the kur" fails drop-connection 2 --on /.well-known/cmp/kur
fault "fail-500 on the certConf (the certificate issued)" fails fail-500 1 --on /.well-known/cmp/certConf
fault "connection dropped at the certConf twice (the certificate issued)" fails drop-connection 2 --on /.well-known/cmp/certConf
fault "connection dropped once at the certConf" recovers drop-connection 1 --on /.well-known/cmp/certConf
fault "the service hangs at the kur" fails hang 2 --on /.well-known/cmp/kur
# waiting, then polling
paid_order cert
n=$(ncerts)
ca_cli misbehave cmp-waiting 3 >/dev/null
u renew --cert-only
t_is "$RC $(issued) $(order_state)" "0 1 $((n + 1)) used" "cmp-waiting 3: ukey polls (two pollRep) and renews"
[ "$RC" = 0 ] || t_diag "$ERR"
t_is "$(sqlite3 "$DB" "SELECT count(*) FROM renewals WHERE order_id = '$OID' AND state = 'installed'")" 1 "... confirmed"

# A certificate for another key (misbehave wrong-key): ukey checks it before
# it confirms, rejects it in certConf, writes nothing; the CA revokes it and
# frees the order; the next run renews under a new transaction ID.
paid_order cert
n=$(ncerts)
ca_cli misbehave wrong-key 1 >/dev/null
u renew --cert-only
t_check "wrong-key: ukey refuses the certificate for another key and writes nothing" \
	eval '[ "$RC" != 0 ] && grep -q "nothing was written to your U-KEY" <<<"$ERR"'
t_diag "wrong-key: $ERR"
t_is "$(sqlite3 "$DB" "SELECT r.state || ' ' || c.revoked FROM renewals r JOIN certificates c ON c.serial = r.cert_serial
	WHERE r.order_id = '$OID'") $(order_state)" "rejected 1 paid" "... its certConf rejected it: the CA revoked it, the order is free"
tid1=$(jq -r .cmp_transaction_id "$J")
u renew --cert-only
t_diag "wrong-key, rerun: exit $RC: $ERR"
t_is "$RC $(sqlite3 "$DB" "SELECT group_concat(state, ' ') FROM renewals WHERE order_id = '$OID'") $(order_state)" \
	"0 rejected installed used" "... the rerun renews under a new transaction ID: one good certificate installed"
t_check "... the transaction ID changed" test "$(jq -r .cmp_transaction_id "$J")" != "$tid1"

kills $POINTS
ca_stop_all
backend sm2 skf
ca_stop_all
tap_done
