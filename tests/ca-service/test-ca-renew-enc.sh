#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The reference CA service's encryption part of a renewal (docs/protocol.md
# "Renewal", the CA's key-management role): with an order covering the
# encryption certificate, POST /api/v1/renewals answers the new encryption
# certificate and the pair enveloped to the CSR's key. The envelopes are
# opened here with the openssl command alone (not with the builder that
# made them): rsa-oaep-aes-v1 by RSA-OAEP and AES key wrap with padding,
# sm2-envelope-v1 by SM2 decryption and SM4-ECB, ecdh-aes-v1 (EC P-256) by
# ECDH with the ephemeral point and AES key wrap with padding. A replay
# gives the same bytes; a key type without an envelope format (EC P-384) is
# refused before anything is issued.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
. "$top/tests/lib/tap.sh"
build=${UKEY_TOP_BUILDDIR:-$top}
CA_SERVICE_DIR=${CA_SERVICE_DIR:-$build/ca-service}
CA_TEST_DIR=${CA_TEST_DIR:-$build/tests/ca-service}
. "$here/ca-lib.sh"
need_tools openssl jq xxd
W=$(mktemp -d "${TMPDIR:-/tmp}/ca-renew-enc.XXXXXX")
trap 'ca_stop_all; [ -n "${CA_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT
BIN=$CA_SERVICE_DIR TBIN=$CA_TEST_DIR
tap_plan 33

ca_start "$W/st" || { echo "Bail out! the service did not start"; cat "$W/st.log" >&2; exit 1; }
ST=$W/st
genkey() { # TYPE FILE
	case $1 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	ec384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	sm2) openssl genpkey -algorithm SM2 -out "$2" ;;
	esac
}
# A user with a bound, identity-checked medium and a paid order with the
# encryption certificate; the new key and its CSR.
mkuser() { # NAME TYPE MEDIUM
	local n=$1 type=$2 m=$3 o sm=()
	genkey "$type" "$W/$n.key" &&
		"$BIN/ca-service" issue --state "$ST" --key "$W/$n.key" --subject "/C=CN/O=测试单位/CN=$n 加密" \
			--out "$W/$n.pem" && ca_cli enroll "$m" "$W/$n.pem" "T$m" >/dev/null || return 1
	call "$n" POST /api/v1/binding '{}'
	ca_cli confirm-binding "$(jq -r .code <<<"$BODY")" "${m: -4}" >/dev/null && ca_cli check-identity "$m" >/dev/null &&
		o=$(ca_cli create-order "$m" --covers cert --price 30000 --encryption | jq -r .id) &&
		ca_cli pay "$o" wechat >/dev/null || return 1
	[ "$type" = sm2 ] && sm=(-sm3 -sigopt distid:1234567812345678)
	genkey "$type" "$W/$n-new.key" && openssl req -new -key "$W/$n-new.key" -subj /CN=x "${sm[@]}" -out "$W/$n.csr"
}
call() { ca_call "$W/$1.key" "$W/$1.pem" "${@:2}"; }
renew_body() { jq -cn --arg id "$1" --rawfile csr "$2" '{request_id:$id, csr:$csr}'; }
pubhash() { openssl pkey -pubin -outform DER 2>/dev/null | sha256sum | cut -c1-64; }
certhash() { openssl x509 -noout -pubkey -in "$1" | pubhash; }
# The Nth OCTET STRING of a DER file, as hex.
octets() { openssl asn1parse -inform DER -in "$1" | awk -v n="$2" '/prim: OCTET STRING/ { if (++i == n) { sub(/.*\[HEX DUMP\]:/, ""); print } }'; }
bytes() { dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null | xxd -p -c 256; }
M1=0071120230421100 M2=0071120230421200 M3=0071120230421300 M4=0071120230421400 M5=0071120230421500
mkuser rsa1 rsa $M1 && mkuser sm21 sm2 $M3 && mkuser ec1 ec $M2 && mkuser ec2 ec384 $M4 && mkuser rsa2 rsa $M5 ||
	{ echo "Bail out! cannot make users"; exit 1; }

# --- RSA: rsa-oaep-aes-v1
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr")"
t_is "$HTTP $(jq -r .encryption.envelope_format <<<"$BODY")" "201 rsa-oaep-aes-v1" \
	"rsa: an order with the encryption certificate: 201 with an rsa-oaep-aes-v1 envelope"
first=$(jq -cS .encryption <<<"$BODY")
jq -r .certificate <<<"$BODY" >"$W/rsa1-sign.pem"
jq -r .encryption.certificate <<<"$BODY" >"$W/rsa1-enc.pem"
jq -r .encryption.envelope <<<"$BODY" | base64 -d >"$W/rsa1.env"
q() { "$@" >&2; } # chatter off the TAP stream
t_check "rsa: the encryption certificate chains to the CA" q openssl verify -CAfile "$CA_USER_CA" "$W/rsa1-enc.pem"
t_is "$(openssl x509 -noout -subject -nameopt utf8 -in "$W/rsa1-enc.pem")" \
	"$(openssl x509 -noout -subject -nameopt utf8 -in "$W/rsa1.pem")" "rsa: ... keeps the old subject"
t_is "$(openssl x509 -noout -ext keyUsage -in "$W/rsa1-enc.pem" | tail -n 1 | tr -d ' ')" \
	"KeyEncipherment,DataEncipherment" "rsa: ... keyUsage keyEncipherment, dataEncipherment only"
t_is "$(openssl x509 -noout -dates -in "$W/rsa1-enc.pem")" "$(openssl x509 -noout -dates -in "$W/rsa1-sign.pem")" \
	"rsa: ... the same validity as the new signing certificate"
octets "$W/rsa1.env" 1 | xxd -r -p >"$W/rsa1.ek"
octets "$W/rsa1.env" 2 | xxd -r -p >"$W/rsa1.wk"
openssl pkeyutl -decrypt -inkey "$W/rsa1-new.key" -pkeyopt rsa_padding_mode:oaep -in "$W/rsa1.ek" -out "$W/rsa1.aes" 2>/dev/null
openssl enc -d -id-aes256-wrap-pad -K "$(xxd -p -c 64 "$W/rsa1.aes" 2>/dev/null)" -iv A65959A6 -in "$W/rsa1.wk" \
	-out "$W/rsa1.p8" 2>/dev/null
t_is "$(openssl pkey -inform DER -in "$W/rsa1.p8" -pubout 2>/dev/null | pubhash)" "$(certhash "$W/rsa1-enc.pem")" \
	"rsa: the envelope opens with the CSR's private key (OAEP, AES key wrap) to the certificate's private key"
spki=$(openssl asn1parse -inform DER -in "$W/rsa1.env" | awk '/d=1 .*cons: SEQUENCE/ { sub(/:.*/, ""); print $1 }')
openssl asn1parse -inform DER -in "$W/rsa1.env" -strparse "$spki" -out "$W/rsa1.spki" >/dev/null 2>&1
t_is "$(openssl pkey -pubin -inform DER -in "$W/rsa1.spki" -outform DER 2>/dev/null | sha256sum | cut -c1-64)" \
	"$(certhash "$W/rsa1-enc.pem")" "rsa: the envelope's publicKey is the certificate's"
# (a failure counts only where the same command opens it with the right key)
t_check "rsa: another key cannot open it (the CSR's key, in the same command, can)" bash -c "openssl pkeyutl -decrypt \
	-inkey '$W/rsa1-new.key' -pkeyopt rsa_padding_mode:oaep -in '$W/rsa1.ek' >/dev/null 2>&1 &&
	! openssl pkeyutl -decrypt -inkey '$W/rsa1.key' -pkeyopt rsa_padding_mode:oaep -in '$W/rsa1.ek' >/dev/null 2>&1"
call rsa1 POST /api/v1/renewals "$(renew_body r1 "$W/rsa1.csr")"
t_is "$HTTP $(jq -cS .encryption <<<"$BODY")" "201 $first" "rsa: a replay of the request id answers the same envelope and certificate"
ca_call "$W/rsa1-new.key" "$W/rsa1-sign.pem" GET /api/v1/renewals/r1
t_is "$HTTP $(jq -cS .encryption <<<"$BODY")" "200 $first" "rsa: GET of the renewal answers the same bytes"
if command -v sqlite3 >/dev/null; then
	t_is "$(sqlite3 "$ST/ca.db" "SELECT count(*), envelope_format FROM escrow WHERE medium = '$M1'")" \
		"1|rsa-oaep-aes-v1" "rsa: the key-management store keeps the one encryption pair"
else
	t_ok "# SKIP sqlite3 not installed"
fi

# --- SM2: sm2-envelope-v1 (GM/T 0016 SKF_ENVELOPEDKEYBLOB)
call sm21 POST /api/v1/renewals "$(renew_body r3 "$W/sm21.csr")"
t_is "$HTTP $(jq -r .encryption.envelope_format <<<"$BODY")" "201 sm2-envelope-v1" \
	"sm2: 201 with an sm2-envelope-v1 envelope"
jq -r .encryption.certificate <<<"$BODY" >"$W/sm21-enc.pem"
jq -r .encryption.envelope <<<"$BODY" | base64 -d >"$W/sm21.env"
t_is "$(stat -c %s "$W/sm21.env") $(bytes "$W/sm21.env" 0 12)" "388 010000000104000000010000" \
	"sm2: the blob is 388 bytes: Version 1, SGD_SM4_ECB, 256 bits"
t_is "$(openssl x509 -noout -ext keyUsage -in "$W/sm21-enc.pem" | tail -n 1 | tr -d ' ')" \
	"KeyEncipherment,DataEncipherment,KeyAgreement" "sm2: keyUsage keyEncipherment, dataEncipherment, keyAgreement"
# ECCCipherBlob at 208: X[64] Y[64] HASH[32] CipherLen Cipher -> DER SM2Cipher.
printf 'asn1=SEQUENCE:c\n[c]\nx=INTEGER:0x%s\ny=INTEGER:0x%s\nh=FORMAT:HEX,OCTETSTRING:%s\nc=FORMAT:HEX,OCTETSTRING:%s\n' \
	"$(bytes "$W/sm21.env" 240 32)" "$(bytes "$W/sm21.env" 304 32)" "$(bytes "$W/sm21.env" 336 32)" \
	"$(bytes "$W/sm21.env" 372 16)" >"$W/c.cnf"
openssl asn1parse -genconf "$W/c.cnf" -out "$W/c.der" >/dev/null &&
	openssl pkeyutl -decrypt -inkey "$W/sm21-new.key" -in "$W/c.der" -out "$W/sm4.key" 2>/dev/null
d=$(dd if="$W/sm21.env" bs=1 skip=12 count=64 2>/dev/null |
	openssl enc -d -sm4-ecb -K "$(xxd -p "$W/sm4.key" 2>/dev/null)" -nopad 2>/dev/null | xxd -p -c 64)
printf 'asn1=SEQUENCE:k\n[k]\nv=INTEGER:1\nd=FORMAT:HEX,OCTETSTRING:%s\np=EXPLICIT:0,OID:1.2.156.10197.1.301\n' \
	"${d:64}" >"$W/k.cnf"
openssl asn1parse -genconf "$W/k.cnf" -out "$W/k.der" >/dev/null 2>&1
t_is "${d:0:64} $(openssl pkey -inform DER -in "$W/k.der" -pubout 2>/dev/null | pubhash)" \
	"$(printf '0%.0s' {1..64}) $(certhash "$W/sm21-enc.pem")" \
	"sm2: the envelope opens with the CSR's private key (SM2, SM4-ECB) to the certificate's private key"
t_is "04$(bytes "$W/sm21.env" 112 32)$(bytes "$W/sm21.env" 176 32)" \
	"$(openssl x509 -noout -pubkey -in "$W/sm21-enc.pem" | openssl pkey -pubin -outform DER | tail -c 65 | xxd -p -c 65)" \
	"sm2: the blob's PubKey is the certificate's (the SPKI's point)"

# --- EC P-256: ecdh-aes-v1
call ec1 POST /api/v1/renewals "$(renew_body r2 "$W/ec1.csr")"
t_is "$HTTP $(jq -r .encryption.envelope_format <<<"$BODY")" "201 ecdh-aes-v1" \
	"ec: an order with the encryption certificate: 201 with an ecdh-aes-v1 envelope"
first=$(jq -cS .encryption <<<"$BODY")
jq -r .certificate <<<"$BODY" >"$W/ec1-sign.pem"
jq -r .encryption.certificate <<<"$BODY" >"$W/ec1-enc.pem"
jq -r .encryption.envelope <<<"$BODY" | base64 -d >"$W/ec1.env"
t_check "ec: the encryption certificate chains to the CA" q openssl verify -CAfile "$CA_USER_CA" "$W/ec1-enc.pem"
t_is "$(openssl x509 -noout -subject -nameopt utf8 -in "$W/ec1-enc.pem")" \
	"$(openssl x509 -noout -subject -nameopt utf8 -in "$W/ec1.pem")" "ec: ... keeps the old subject"
t_is "$(openssl x509 -noout -ext keyUsage -in "$W/ec1-enc.pem" | tail -n 1 | tr -d ' ')" \
	"KeyAgreement" "ec: ... keyUsage keyAgreement only"
t_is "$(openssl x509 -noout -dates -in "$W/ec1-enc.pem")" "$(openssl x509 -noout -dates -in "$W/ec1-sign.pem")" \
	"ec: ... the same validity as the new signing certificate"
eph=$(octets "$W/ec1.env" 1)
t_is "${#eph} ${eph:0:2}" "130 04" "ec: ephemeralPublicKey is an uncompressed point (65 bytes, 04)"
# The point as a P-256 SubjectPublicKeyInfo (the fixed DER prefix of one);
# the ECDH secret (the x-coordinate, no KDF: CKD_NULL) is the AES key.
echo "3059301306072a8648ce3d020106082a8648ce3d030107034200$eph" | xxd -r -p >"$W/ec1-eph.der"
octets "$W/ec1.env" 2 | xxd -r -p >"$W/ec1.wk"
openssl pkeyutl -derive -inkey "$W/ec1-new.key" -peerkey "$W/ec1-eph.der" -peerform DER -out "$W/ec1.z" 2>/dev/null
openssl enc -d -id-aes256-wrap-pad -K "$(xxd -p -c 64 "$W/ec1.z" 2>/dev/null)" -iv A65959A6 -in "$W/ec1.wk" \
	-out "$W/ec1.p8" 2>/dev/null
t_is "$(stat -c %s "$W/ec1.z" 2>/dev/null) $(openssl pkey -inform DER -in "$W/ec1.p8" -pubout 2>/dev/null | pubhash)" \
	"32 $(certhash "$W/ec1-enc.pem")" \
	"ec: the envelope opens with the CSR's private key (ECDH, AES key wrap) to the certificate's private key"
spki=$(openssl asn1parse -inform DER -in "$W/ec1.env" | awk '/d=1 .*cons: SEQUENCE/ { sub(/:.*/, ""); print $1 }')
openssl asn1parse -inform DER -in "$W/ec1.env" -strparse "$spki" -out "$W/ec1.spki" >/dev/null 2>&1
t_is "$(openssl pkey -pubin -inform DER -in "$W/ec1.spki" -outform DER 2>/dev/null | sha256sum | cut -c1-64)" \
	"$(certhash "$W/ec1-enc.pem")" "ec: the envelope's publicKey is the certificate's"
openssl pkeyutl -derive -inkey "$W/ec1.key" -peerkey "$W/ec1-eph.der" -peerform DER -out "$W/ec1.z2" 2>/dev/null
t_check "ec: another key cannot open it (its ECDH secret fails the key wrap's check; the CSR key's opens it)" \
	bash -c "test \$(stat -c %s '$W/ec1.z2') = 32 && openssl enc -d -id-aes256-wrap-pad -K \$(xxd -p -c 64 '$W/ec1.z') \
	-iv A65959A6 -in '$W/ec1.wk' >/dev/null 2>&1 && ! openssl enc -d \
	-id-aes256-wrap-pad -K \$(xxd -p -c 64 '$W/ec1.z2') -iv A65959A6 -in '$W/ec1.wk' >/dev/null 2>&1"
call ec1 POST /api/v1/renewals "$(renew_body r2 "$W/ec1.csr")"
t_is "$HTTP $(jq -cS .encryption <<<"$BODY")" "201 $first" "ec: a replay of the request id answers the same envelope and certificate"
if command -v sqlite3 >/dev/null; then
	t_is "$(sqlite3 "$ST/ca.db" "SELECT count(*), envelope_format FROM escrow WHERE medium = '$M2'")" \
		"1|ecdh-aes-v1" "ec: the key-management store keeps the one encryption pair"
else
	t_ok "# SKIP sqlite3 not installed"
fi

# --- RSA on an SKF token: the request names skf-rsa-envelope-v1 (SKF_ImportRSAKeyPair's arguments)
call rsa2 POST /api/v1/renewals "$(renew_body r5 "$W/rsa2.csr" | jq -c '.envelope_formats = ["skf-rsa-envelope-v1"]')"
t_is "$HTTP $(jq -r .encryption.envelope_format <<<"$BODY")" "201 skf-rsa-envelope-v1" \
	"rsa/skf: envelope_formats [skf-rsa-envelope-v1]: 201 with that format"
jq -r .encryption.certificate <<<"$BODY" >"$W/rsa2-enc.pem"
jq -r .encryption.envelope <<<"$BODY" | base64 -d >"$W/rsa2.env"
spki=$(openssl asn1parse -inform DER -in "$W/rsa2.env" | awk '/d=1 .*cons: SEQUENCE/ { sub(/:.*/, ""); print $1 }')
openssl asn1parse -inform DER -in "$W/rsa2.env" -strparse "$spki" -out "$W/rsa2.spki" >/dev/null 2>&1
t_is "$(openssl asn1parse -inform DER -in "$W/rsa2.env" | awk '/d=1 .*prim: INTEGER/ { sub(/.*INTEGER *:/, ""); printf "%s ", $0 }')$(openssl pkey -pubin -inform DER -in "$W/rsa2.spki" -outform DER 2>/dev/null | sha256sum | cut -c1-64)" \
	"01 0401 $(certhash "$W/rsa2-enc.pem")" "rsa/skf: version 1, symAlgId SGD_SM4_ECB (0x401), publicKey the certificate's"
octets "$W/rsa2.env" 1 | xxd -r -p >"$W/rsa2.wk"
octets "$W/rsa2.env" 2 | xxd -r -p >"$W/rsa2.data"
openssl pkeyutl -decrypt -inkey "$W/rsa2-new.key" -in "$W/rsa2.wk" -out "$W/rsa2.sm4" 2>/dev/null
openssl enc -d -sm4-ecb -K "$(xxd -p -c 64 "$W/rsa2.sm4" 2>/dev/null)" -in "$W/rsa2.data" -out "$W/rsa2.rsakey" 2>/dev/null
t_is "$(openssl rsa -inform DER -in "$W/rsa2.rsakey" -pubout 2>/dev/null | pubhash)" "$(certhash "$W/rsa2-enc.pem")" \
	"rsa/skf: the envelope opens with openssl alone (PKCS#1 v1.5 with the CSR's key, SM4-ECB) to an RSAPrivateKey of the certificate"

# --- EC P-384: no envelope format: refused whole
call ec2 POST /api/v1/renewals "$(renew_body r4 "$W/ec2.csr")"
t_is "$HTTP $(ca_err)" "409 encryption_unsupported" \
	"ec P-384: an order with the encryption certificate: 409 encryption_unsupported"
call ec2 GET /api/v1/order
t_is "$(jq -r .state <<<"$BODY")" paid "ec P-384: ... nothing issued: the order is still paid, not used"
o=$(ca_cli create-order $M4 --covers cert --price 20000 | jq -r .id)
ca_cli pay "$o" wechat >/dev/null
call ec2 POST /api/v1/renewals "$(renew_body r4 "$W/ec2.csr")"
t_is "$HTTP $(jq -c .encryption <<<"$BODY")" "201 null" "ec P-384: an order without it renews with \"encryption\": null"
tap_done
