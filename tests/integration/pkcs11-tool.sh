#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pkcs11-tool (OpenSC) through ukey-pkcs11 on RSA and EC virtual U-KEYs:
# the medium number is the token serial, certificates and public keys are
# public, private keys need the PIN, signatures made on the token verify with
# openssl against the token's own certificate, a wrong PIN is refused.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 26

# sign_verify NAME MECH-ARGS... -- VERIFY-KIND: signs $WORK/msg (or its
# SHA-256 digest for raw mechanisms) with the signing key, then verifies.
sign_verify() {
	local name=$1 kind=$2
	shift 2
	local input=$WORK/msg sig=$WORK/$name.sig out
	case $kind in raw*) input=$WORK/msg.sha256 ;; esac
	rm -f "$sig"
	if out=$(p11 --token-label "$LABEL" --login --pin "$PIN" --sign --id 01 "$@" \
		-i "$input" -o "$sig" 2>&1); then
		t_ok "$TYPE: $name signature made on the token"
	else
		t_fail "$TYPE: $name signature made on the token"
		t_diag "$out"
	fi
	case $kind in
	msg) out=$(openssl dgst -sha256 -verify "$WORK/pub.pem" -signature "$sig" "$WORK/msg" 2>&1) ;;
	raw) out=$(openssl pkeyutl -verify -pubin -inkey "$WORK/pub.pem" -in "$input" -sigfile "$sig" 2>&1) ;;
	pss) out=$(openssl dgst -sha256 -verify "$WORK/pub.pem" -sigopt rsa_padding_mode:pss \
		-sigopt rsa_pss_saltlen:digest -signature "$sig" "$WORK/msg" 2>&1) ;;
	rawpss) out=$(openssl pkeyutl -verify -pubin -inkey "$WORK/pub.pem" -in "$input" \
		-sigfile "$sig" -pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss \
		-pkeyopt rsa_pss_saltlen:digest 2>&1) ;;
	esac
	if [ $? -eq 0 ]; then
		t_ok "$TYPE: openssl verifies the $name signature with the certificate's key"
	else
		t_fail "$TYPE: openssl verifies the $name signature with the certificate's key"
		t_diag "$out"
	fi
}

printf 'message signed by a virtual U-KEY\n' >"$WORK/msg"
openssl dgst -sha256 -binary "$WORK/msg" >"$WORK/msg.sha256"

for TYPE in rsa ec; do
	vkey_make "$WORK/$TYPE" "$TYPE"

	out=$(p11 -L 2>&1)
	t_grep "$TYPE: -L lists the token with the medium number as serial" \
		"serial num +: +$SERIAL\$" "$out"

	out=$(p11 --token-label "$LABEL" -O 2>&1)
	t_is "$(grep -c '^Certificate Object' <<<"$out")" 2 "$TYPE: 2 certificates listed before login"
	t_is "$(grep -c '^Public Key Object' <<<"$out")" 2 "$TYPE: 2 public keys listed before login"
	t_is "$(grep -c '^Private Key Object' <<<"$out") $(grep -c '^Certificate Object' <<<"$out")" "0 2" \
		"$TYPE: no private key listed before login (in the listing of the 2 certificates)"

	out=$(p11 --token-label "$LABEL" --login --pin "$PIN" -O 2>&1)
	t_is "$(grep -c '^Private Key Object' <<<"$out")" 2 "$TYPE: 2 private keys listed after login"

	rm -f "$WORK/cert.der"
	p11 --token-label "$LABEL" --read-object --type cert --id 01 -o "$WORK/cert.der" >/dev/null 2>&1
	t_check "$TYPE: signing certificate read through the module is the one written" \
		cmp -s "$WORK/cert.der" "$WORK/$TYPE/keys/sign.der"
	openssl x509 -inform DER -in "$WORK/$TYPE/keys/sign.der" -noout -pubkey >"$WORK/pub.pem"

	if [ "$TYPE" = rsa ]; then
		sign_verify SHA256-RSA-PKCS msg -m SHA256-RSA-PKCS
		sign_verify RSA-PKCS-PSS rawpss -m RSA-PKCS-PSS --hash-algorithm SHA256
		sign_verify SHA256-RSA-PKCS-PSS pss -m SHA256-RSA-PKCS-PSS
	else
		sign_verify ECDSA-SHA256 msg -m ECDSA-SHA256 --signature-format openssl
		sign_verify ECDSA raw -m ECDSA --signature-format openssl
	fi

	out=$(p11 --token-label "$LABEL" --login --pin 999999 -O 2>&1)
	st=$?
	t_check "$TYPE: a wrong PIN makes pkcs11-tool fail (with the module's CKR_PIN_INCORRECT)" \
		bash -c '[ "$1" -ne 0 ] && grep -q CKR_PIN_INCORRECT <<<"$2"' _ "$st" "$out"
	t_grep "$TYPE: a wrong PIN gives CKR_PIN_INCORRECT" "CKR_PIN_INCORRECT" "$out"
done

tap_done
