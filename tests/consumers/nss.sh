#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# NSS's own tools (libnss3-tools) through ukey-pkcs11 on RSA and EC virtual
# U-KEYs, as Firefox and Chromium see the module: modutil adds it to a fresh
# NSS database, certutil lists both certificates of the dual-certificate
# U-KEY and, with the PIN from a 0600 file, both private keys; cmsutil signs
# with the token's signing key and the signature verifies with NSS and with
# openssl against the virtual U-KEY's CA.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/browser/nss-common.sh"
tap_setup
nss_need certutil modutil cmsutil
tap_plan 32

printf 'message signed through NSS by a virtual U-KEY\n' >"$WORK/msg"

# certutil -K OUTPUT without a PIN: it reached the token and was refused for
# want of the PIN (not merely failed to run), and listed no private key.
needs_pin() {
	grep -q "could not authenticate to token $LABEL" <<<"$1" && ! grep -Eq 'Signing key|Encryption key' <<<"$1"
}

for TYPE in rsa ec; do
	vkey_make "$WORK/$TYPE" "$TYPE"
	db=$WORK/$TYPE-nssdb
	nssdb_make "$db"
	D=sql:$db
	pin_file "$WORK/$TYPE.pin" "$PIN"
	pin_file "$WORK/$TYPE.badpin" "999999"
	SIGN_NICK="$LABEL:Signing certificate"
	ENC_NICK="$LABEL:Encryption certificate"

	out=$(nss_tool modutil -dbdir "$D" -list ukey </dev/null 2>&1)
	t_grep "$TYPE: modutil shows the module's token by its label" "Token Name: *$LABEL *\$" "$out"

	# NSS lists a token's certificates without logging in only when the token
	# says they are public: a CKO_PROFILE object CKP_PUBLIC_CERTIFICATES_TOKEN
	# (docs/architecture.md, "Public certificates for browsers"), or the user marks the module "friendly" (below).
	out=$(nss_tool certutil -d "$D" -L -h "$LABEL" </dev/null 2>&1)
	t_grep "$TYPE: certutil -L lists the token's certificates without a PIN" "^$SIGN_NICK " "$out"

	out=$(nss_tool certutil -d "$D" -L -h "$LABEL" -f "$WORK/$TYPE.pin" </dev/null 2>&1)
	t_grep "$TYPE: certutil -L lists the signing certificate" "^$SIGN_NICK +u,u,u" "$out"
	t_grep "$TYPE: certutil -L lists the encryption certificate" "^$ENC_NICK +u,u,u" "$out"

	out=$(nss_tool certutil -d "$D" -K -h "$LABEL" </dev/null 2>&1)
	st=$?
	# (it must have reached the token: a certutil that cannot run fails too)
	if [ $st -ne 0 ] && needs_pin "$out"; then
		t_ok "$TYPE: certutil -K without the PIN asks the token for it, fails and lists no private key"
	else
		t_fail "$TYPE: certutil -K without the PIN asks the token for it, fails and lists no private key"
		t_diag "exit $st" "$out"
	fi

	out=$(nss_tool certutil -d "$D" -K -h "$LABEL" -f "$WORK/$TYPE.badpin" </dev/null 2>&1)
	t_grep "$TYPE: certutil -K with a wrong PIN is refused" "SEC_ERROR_BAD_PASSWORD" "$out"

	out=$(nss_tool certutil -d "$D" -K -h "$LABEL" -f "$WORK/$TYPE.pin" </dev/null 2>&1)
	t_grep "$TYPE: certutil -K with the PIN lists the signing key" "^< ?[0-9]+> $TYPE +01 +Signing key\$" "$out"
	t_grep "$TYPE: certutil -K with the PIN lists the encryption key" "^< ?[0-9]+> $TYPE +02 +Encryption key\$" "$out"

	# cmsutil checks the signer's chain, so the virtual U-KEY's CA is trusted
	# in this database (not on the token).
	nss_tool certutil -d "$D" -A -n "vkey CA" -t "C,C,C" -i "$WORK/$TYPE/ca/ca.pem" </dev/null >&2

	sig=$WORK/$TYPE.p7
	out=$(nss_tool cmsutil -S -N "$SIGN_NICK" -Y "$ENC_NICK" -d "$D" -i "$WORK/msg" -o "$sig.nopin" </dev/null 2>&1)
	st=$?
	t_check "$TYPE: cmsutil cannot sign without the PIN (the token wants it: SEC_ERROR_BAD_PASSWORD)" \
		bash -c '[ "$1" -ne 0 ] && grep -q SEC_ERROR_BAD_PASSWORD <<<"$2"' _ "$st" "$out"

	# -Y names the encryption certificate as the key-encipherment preference:
	# a signed mail carries both halves of the dual certificate.
	out=$(nss_tool cmsutil -S -N "$SIGN_NICK" -Y "$ENC_NICK" -d "$D" -f "$WORK/$TYPE.pin" \
		-i "$WORK/msg" -o "$sig" </dev/null 2>&1)
	st=$?
	if [ $st -eq 0 ] && [ -s "$sig" ]; then
		t_ok "$TYPE: cmsutil signs with the token's signing key"
	else
		t_fail "$TYPE: cmsutil signs with the token's signing key"
		t_diag "exit $st" "$out"
	fi

	rm -f "$WORK/signer.pem" "$WORK/content"
	out=$(openssl cms -verify -inform DER -in "$sig" -CAfile "$WORK/$TYPE/ca/ca.pem" \
		-signer "$WORK/signer.pem" -out "$WORK/content" 2>&1)
	st=$?
	if [ $st -eq 0 ] && cmp -s "$WORK/content" "$WORK/msg"; then
		t_ok "$TYPE: openssl cms verifies the NSS signature against the vkey CA"
	else
		t_fail "$TYPE: openssl cms verifies the NSS signature against the vkey CA"
		t_diag "exit $st" "$out"
	fi
	t_check "$TYPE: the CMS signer is the token's signing certificate" \
		cmp -s "$WORK/signer.pem" "$WORK/$TYPE/keys/sign.pem"

	out=$(nss_tool cmsutil -D -d "$D" -i "$sig" -h 2 </dev/null 2>&1)
	t_grep "$TYPE: cmsutil -D finds a good signature" "signer0.status=GoodSignature;" "$out"

	# Marked "friendly" (public certificates), NSS reads them without a
	# login; the private keys stay behind the PIN.
	nss_tool modutil -dbdir "$D" -default ukey -mechanisms FRIENDLY -force </dev/null >&2
	out=$(nss_tool certutil -d "$D" -L -h "$LABEL" </dev/null 2>&1)
	if grep -q "^$SIGN_NICK " <<<"$out" && grep -q "^$ENC_NICK " <<<"$out"; then
		t_ok "$TYPE: module marked FRIENDLY: certutil -L lists both certificates without a PIN"
	else
		t_fail "$TYPE: module marked FRIENDLY: certutil -L lists both certificates without a PIN"
		t_diag "$out"
	fi
	# certutil -L -n never logs in (it passes no PIN source), so it reads
	# the certificate only from a friendly token.
	out=$(nss_tool certutil -d "$D" -L -n "$SIGN_NICK" -a </dev/null 2>/dev/null)
	t_is "$(openssl x509 -noout -fingerprint -sha256 <<<"$out" 2>&1)" \
		"$(openssl x509 -noout -fingerprint -sha256 -in "$WORK/$TYPE/keys/sign.pem")" \
		"$TYPE: module marked FRIENDLY: the certificate NSS reads is the one on the token"
	out=$(nss_tool certutil -d "$D" -K -h "$LABEL" </dev/null 2>&1)
	t_check "$TYPE: module marked FRIENDLY: certutil -K still needs the PIN (asks the token, lists no key)" \
		needs_pin "$out"
done
tap_done
