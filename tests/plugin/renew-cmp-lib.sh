# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-cmp-lib.sh: what the tests of `ukey renew` by CMP against the
# reference service share (tests/plugin/ukey-renew-cmp.sh, -cmp-kill.sh).
# Sourced after renew-lib.sh and plugin_setup, with W, DB, M, OID, J and KT
# set by enroll and paid_order as the renewal tests do.

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

