#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ukey renew --cert-only` by CMP key update against the reference service's
# CMP endpoint (POST /.well-known/cmp): the request protected by the old key
# and certificate on the token, the proof of possession by the new key on
# the token, the answer checked, certConf/pkiConf. On SoftHSM RSA and EC
# P-256 and the SKF emulator's SM2 (as far as OpenSSL 3.0's CMP code goes;
# the exact reason when it does not). Then, on SoftHSM RSA: the service's
# faults (500, a dropped connection, a hang, on the kur and on the
# certConf; waiting then polling); a certificate for another key rejected
# in certConf; an unpaid order refused with the reason shown to the user;
# the command-line form (--protocol cmp --server URL). Killed at each
# failpoint: ukey-renew-cmp-kill.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-cmp sqlite3
. "$top/tests/plugin/renew-cmp-lib.sh"
tap_plan $((3 * 7 + 23))
export UKEY_TEST_PIN=123456
unset UKEY_FAILPOINT
echo "renewal by CMP test data" >"$W/data"

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


backend ec softhsm
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

ca_stop_all
backend sm2 skf
ca_stop_all
tap_done
