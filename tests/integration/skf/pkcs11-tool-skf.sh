#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pkcs11-tool (OpenSC) through ukey-pkcs11 on an SKF U-KEY (the emulator):
# -L shows the emulated key with its 16-digit medium number, -O shows both
# certificates and both public keys (and both private keys after login), and
# a CKM_SM3_SM2 (0x80008100) signature made by pkcs11-tool verifies with
# openssl against the signing certificate, with the GM/T 0009 signer ID.
set -uo pipefail
. "$(dirname "$0")/../../lib/tap.sh"
tap_setup
tap_plan 9

vkey_make "$WORK/k" sm2 --backend skf
DEV=$(sed -n 's/^device=//p' "$WORK/k/vkey.info")

out=$(p11 -L 2>&1)
t_grep "pkcs11-tool -L lists the emulated U-KEY" "token label +: $LABEL" "$out"
t_grep "its serial is the 16-digit medium number $SERIAL" "serial num +: $SERIAL\$" "$out"
t_is "${#SERIAL}" 16 "the medium number has 16 digits"

out=$(p11 -O 2>&1)
t_is "$(grep -c '^Certificate Object' <<<"$out")" 2 "-O before login: both certificates (signing and encryption)"
t_is "$(grep -c '^Public Key Object' <<<"$out")" 2 "-O before login: both public keys, no private key"
out=$(p11 -O --login --pin "$PIN" 2>&1)
t_is "$(grep -c '^Private Key Object' <<<"$out")" 2 "-O after login: both private keys"

# The signing certificate's CKA_ID, as the token reports it.
id=$(awk '/^Certificate Object/ { c = 1 } c && /label:/ { l = $0 } c && /ID:/ { if (l ~ /sign cert/) { print $2; exit } }' <<<"$out")
printf 'message signed by pkcs11-tool on an SKF U-KEY\n' >"$WORK/msg"
if out=$(p11 --login --pin "$PIN" --sign -m 0x80008100 --id "$id" -i "$WORK/msg" -o "$WORK/sig.raw" 2>&1) &&
	[ "$(stat -c %s "$WORK/sig.raw")" = 64 ]; then
	t_ok "pkcs11-tool signs with -m 0x80008100 (CKM_SM3_SM2): 64 bytes r||s"
else
	t_fail "pkcs11-tool signs with -m 0x80008100 (CKM_SM3_SM2): 64 bytes r||s"
	t_diag "id=$id" "$out"
fi

# r||s → DER SEQUENCE { INTEGER r, INTEGER s } for openssl.
hex=$(od -An -tx1 -v "$WORK/sig.raw" | tr -d ' \n')
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${hex:0:64}" "${hex:64:64}" >"$WORK/sig.cnf"
openssl asn1parse -genconf "$WORK/sig.cnf" -out "$WORK/sig.der" >/dev/null 2>&1
openssl x509 -in "$WORK/k/keys/sign.pem" -pubkey -noout >"$WORK/pub.pem"
out=$(openssl dgst -sm3 -verify "$WORK/pub.pem" -sigopt distid:1234567812345678 \
	-signature "$WORK/sig.der" "$WORK/msg" 2>&1)
t_grep "openssl dgst -sm3 -sigopt distid:1234567812345678 verifies it" "^Verified OK" "$out"
printf 'another message\n' >"$WORK/other"
out=$(openssl dgst -sm3 -verify "$WORK/pub.pem" -sigopt distid:1234567812345678 \
	-signature "$WORK/sig.der" "$WORK/other" 2>&1)
t_grep "and rejects it for other data" "^Verification failure" "$out"
[ -d "$DEV" ] || t_diag "device directory vanished: $DEV"
tap_done
