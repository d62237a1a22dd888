#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Secret keys through the module with a real consumer, pkcs11-tool (OpenSC):
# on a SoftHSM U-KEY, --keygen --key-type AES:32 and GENERIC:32, AES-CBC-PAD
# --encrypt/--decrypt with a key of known value (equal to openssl enc), and
# SHA256-HMAC --sign/--verify (equal to openssl dgst -mac HMAC). On an SKF
# U-KEY (the emulator) the same requests are refused: GM/T 0016 keeps no
# secret-key objects, so neither mechanism is listed and --keygen is
# refused. Before, both backends refused everything
# (CKR_FUNCTION_NOT_SUPPORTED, no mechanism listed).
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 12

vkey_make "$WORK/p11" rsa
key=603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4
iv=000102030405060708090a0b0c0d0e0f
head -c 1000 /dev/urandom >"$WORK/plain"
printf '%s' "$key" | xxd -r -p >"$WORK/aes.key"
L=(--login --pin "$PIN")

out=$(p11 -M 2>&1)
t_grep "p11: -M lists AES-KEY-GEN (generate)" '^  AES-KEY-GEN, .*generate' "$out"
t_grep "p11: -M lists AES-CBC-PAD (encrypt, decrypt)" '^  AES-CBC-PAD, .*encrypt, decrypt' "$out"
t_grep "p11: -M lists SHA256-HMAC (sign, verify)" '^  SHA256-HMAC, .*sign, verify' "$out"

out=$(p11 "${L[@]}" --keygen --key-type AES:32 --label gen --id 51 2>&1)
t_grep "p11: --keygen --key-type AES:32 makes a 32-byte AES key" '^Secret Key Object; AES length 32' "$out"

p11 "${L[@]}" --write-object "$WORK/aes.key" --type secrkey --key-type AES:32 --label known --id 52 \
	--usage-decrypt >/dev/null 2>&1
p11 "${L[@]}" --encrypt --id 52 -m AES-CBC-PAD --iv "$iv" -i "$WORK/plain" -o "$WORK/ct" >"$WORK/log" 2>&1
openssl enc -aes-256-cbc -K "$key" -iv "$iv" -in "$WORK/plain" -out "$WORK/ct.ossl"
t_check "p11: AES-CBC-PAD --encrypt equals openssl enc -aes-256-cbc" cmp -s "$WORK/ct" "$WORK/ct.ossl"
p11 "${L[@]}" --decrypt --id 52 -m AES-CBC-PAD --iv "$iv" -i "$WORK/ct.ossl" -o "$WORK/back" >>"$WORK/log" 2>&1
t_check "p11: AES-CBC-PAD --decrypt of openssl's ciphertext gives the plaintext" cmp -s "$WORK/back" "$WORK/plain"

p11 "${L[@]}" --keygen --key-type GENERIC:32 --extractable --label mac --id 53 >>"$WORK/log" 2>&1
p11 "${L[@]}" --read-object --type secrkey --id 53 -o "$WORK/mac.key" >>"$WORK/log" 2>&1
t_is "$(stat -c %s "$WORK/mac.key" 2>/dev/null)" 32 "p11: --keygen GENERIC:32 --extractable, read back: 32 bytes"
p11 "${L[@]}" --sign --id 53 -m SHA256-HMAC -i "$WORK/plain" -o "$WORK/mac" >>"$WORK/log" 2>&1
openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(xxd -p "$WORK/mac.key" | tr -d '\n')" -binary \
	"$WORK/plain" >"$WORK/mac.ossl"
t_check "p11: SHA256-HMAC --sign equals openssl dgst -mac HMAC" cmp -s "$WORK/mac" "$WORK/mac.ossl"
out=$(p11 "${L[@]}" --verify --id 53 -m SHA256-HMAC -i "$WORK/plain" --signature-file "$WORK/mac.ossl" 2>&1)
t_grep "p11: SHA256-HMAC --verify accepts openssl's MAC" '^Signature is valid' "$out"
out=$(p11 "${L[@]}" -O --type secrkey 2>&1)
t_is "$(grep -c '^Secret Key Object' <<<"$out")" 3 "p11: -O lists the three secret keys"
[ "$(grep -c . "$WORK/log")" -lt 40 ] || t_diag "$(cat "$WORK/log")"

vkey_make "$WORK/skf" sm2 --backend skf
out=$(p11 -M 2>&1)
t_nogrep "skf: -M lists no AES or HMAC mechanism" 'AES|HMAC|GENERIC' "$out" '^  (SHA256|SM3|ECDSA|RSA-PKCS)'
# pkcs11-tool looks for the mechanism in the list before it asks; the
# module's own answer (CKR_MECHANISM_INVALID) is integration/test-secret's.
out=$(p11 "${L[@]}" --keygen --key-type AES:32 --label gen 2>&1)
t_grep "skf: --keygen --key-type AES:32 is refused: the mechanism is not there" \
	'Generate Key mechanism not supported' "$out"

tap_done
