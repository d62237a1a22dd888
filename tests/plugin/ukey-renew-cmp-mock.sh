#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ukey renew --protocol cmp` against OpenSSL's own mock CMP server
# (`openssl cmp -port 0`), the peer nobody here wrote. It checks our kur's
# protection (the old key on the token, against -srv_trusted) and its
# proof of possession (the new key on the token) before it answers; our
# client checks its signed answers. Per key type (SoftHSM RSA and EC, and
# RSA on the SKF emulator):
#   - a first run killed by a failpoint after step 1, a second after step 2
#     (the pending key adopted, its request journaled); the test then issues
#     the mock's fixed answer (-rsp_cert) for the pending key with the test
#     CA (same issuer and serial as the old certificate: OpenSSL 3.0's mock
#     takes the kur's oldCertID to name its -rsp_cert);
#   - refusals, each leaving the old certificate and nothing written: the
#     CA's rejection in words (badPOP, its statusString), the mock not
#     trusting our protection, an answer signed by a server nobody trusts,
#     a certificate for another key (also rejected to the CA in certConf),
#     the CA "waiting" longer than the bounded wait (the transaction kept),
#     a genuine answer replayed to a later message (wrong recipient nonce);
#   - the rerun: polling ("waiting" once), certConf/pkiConf, the new
#     certificate on the token, the old one retired, the new key signing.
# SM2 (SKF): refused before step 1 with the reason, which the openssl
# command itself shows (OpenSSL 3.0's CMP cannot protect with SM2).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
UKEY=$build/tools/ukey/ukey
need_tools openssl jq softhsm2-util pkcs11-tool
# Debian's python3 (tools/install-deps brings it with python3-dbus).
[ -x /usr/bin/python3 ] || tap_skip_all "/usr/bin/python3 not installed (tools/install-deps)"
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
grep -qs '^#define UKEY_FAILPOINTS 1' "$build/config.h" ||
	tap_skip_all "failpoints not compiled in (configure --enable-failpoints)"
openssl cmp -help 2>&1 | grep -q -- '-rsp_cert' || tap_skip_all "this openssl has no CMP mock server"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-cmp-mock.XXXXXX")
MPIDS=()
cleanup() {
	local p
	for p in "${MPIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
renew_env
export UKEY_CMP_PATH=/pkix/ UKEY_CMP_TOTAL_TIMEOUT=60 UKEY_TEST_PIN=123456
unset UKEY_FAILPOINT UKEY_SERVICE_PROTOCOL UKEY_SERVICE_URL UKEY_SERVICE_CA
PER=35
tap_plan $((3 * PER + 6))

# mock NAME OPTIONS...: OpenSSL's mock CMP server on a free port (MPORT).
mock() {
	local name=$1 i
	shift
	openssl cmp -port 0 "$@" >"$W/$name.log" 2>&1 &
	MPIDS+=($!)
	MPID=$!
	for i in $(seq 100); do
		MPORT=$(sed -n 's/^ACCEPT .*:\([0-9]*\) .*/\1/p' "$W/$name.log")
		[ -n "$MPORT" ] && return 0
		sleep 0.1
	done
	return 1
}
mock_stop() { kill "$MPID" 2>/dev/null; wait "$MPID" 2>/dev/null; }
# relay PORTFILE ARGS...: cmp-replay.py, its port in RPORT.
relay() {
	local pf=$1 i
	shift
	rm -f "$pf"
	/usr/bin/python3 "$top/tests/plugin/cmp-replay.py" "$pf" "$@" 2>>"$W/relay.log" &
	MPIDS+=($!)
	RPID=$!
	for i in $(seq 100); do
		[ -s "$pf" ] && RPORT=$(cat "$pf") && return 0
		sleep 0.1
	done
	return 1
}
cmp_renew() { u renew --cert-only --protocol cmp --server "$1"; }
# The signing certificate the token holds under CKA_ID id, as DER in file.
token_cert() { rm -f "$2"; p11tool --read-object --type cert --id "$1" -o "$2" >/dev/null && [ -s "$2" ]; }
# issue PUB.pem OUT.pem: a certificate of the old one's subject and serial
# for PUB, signed by the test CA, valid longer than the old one.
issue() {
	local ser
	ser=$(openssl x509 -in "$D/keys/sign.pem" -noout -serial | cut -d= -f2)
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/req.key" 2>/dev/null &&
		openssl x509 -x509toreq -in "$D/keys/sign.pem" -signkey "$W/req.key" -out "$W/req.pem" 2>/dev/null &&
		printf 'keyUsage=critical,digitalSignature,nonRepudiation\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
			>"$W/ext.cnf" &&
		openssl x509 -req -in "$W/req.pem" -CA "$D/ca/ca.pem" -CAkey "$D/ca/ca.key" -force_pubkey "$1" \
			-set_serial "0x$ser" -days 1000 -extfile "$W/ext.cnf" -out "$2" 2>/dev/null
}
# unchanged TAG: the old certificate is still on the token (CKA_ID OLDID),
# the journal has not gone past step 2 and holds no certificate.
unchanged() {
	local ok=1
	token_cert "$OLDID" "$W/now.der" && cmp -s "$W/now.der" "$D/keys/sign.der" || ok=0
	[ "$(jq -r '.step' "$J")" -le 2 ] && [ "$(jq -r '.cmp_cert // ""' "$J")" = "" ] || ok=0
	t_is "$ok" 1 "$1: nothing written: the old certificate stays, the journal holds no certificate"
}

run() {
	local kt=$1 be=$2 tag="$1 on $2" kid n
	D=$W/$kt-$be
	if ! "$top/tools/ukey-vkey" create "$D" --key-type "$kt" --backend "$be" >"$D.log" 2>&1; then
		for n in $(seq $PER); do t_fail "$tag: virtual U-KEY made"; done
		return
	fi
	eval "$("$top/tools/ukey-vkey" env "$D")"
	KT=$kt
	M=$(sed -n 's/^serial=//p' "$D/vkey.info")
	J=$W/.local/state/ukey/renew-$M.json
	export UKEY_CMP_TRUSTED=$D/ca/ca.pem
	# The mock's signing certificate from the test CA; a rogue CA and a
	# server certificate of its own.
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/srv.key" 2>/dev/null
	openssl req -new -key "$W/srv.key" -subj "/CN=mock CMP server" -out "$W/srv.csr"
	openssl x509 -req -in "$W/srv.csr" -CA "$D/ca/ca.pem" -CAkey "$D/ca/ca.key" -set_serial 4660 -days 30 \
		-out "$W/srv.pem" 2>/dev/null
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/rogue.key" -subj "/CN=rogue CA" -days 30 \
		-out "$W/rogue.pem" 2>/dev/null
	openssl x509 -req -in "$W/srv.csr" -CA "$W/rogue.pem" -CAkey "$W/rogue.key" -set_serial 4661 -days 30 \
		-out "$W/rogue-srv.pem" 2>/dev/null
	SRV=(-srv_cert "$W/srv.pem" -srv_key "$W/srv.key" -srv_trusted "$D/ca/ca.pem" -rsp_capubs "$D/ca/ca.pem")

	# 1. Killed after step 1: the pending key is on the token.
	UKEY_FAILPOINT=journal-1-after cmp_renew http://127.0.0.1:9
	t_is "$RC" 137 "$tag: the first run dies at the failpoint after step 1"
	kid=$(jq -r '.key_id // ""' "$J" 2>/dev/null)
	OLDID=$(jq -r '.old_id // ""' "$J" 2>/dev/null)
	t_is "$(jq -r '.protocol + " " + (.step|tostring)' "$J" 2>/dev/null)" "cmp 1" \
		"$tag: the journal says cmp, step 1 done"
	# Rerun up to step 2: the pending key adopted, its request journaled
	# (pkcs11-tool's own export of an EC public key reads freed memory
	# under ASan: the request is the CA's way to learn the key anyway).
	UKEY_FAILPOINT=journal-2-after cmp_renew http://127.0.0.1:9
	t_is "$RC $(jq -r '[.step, .key_id] | join(" ")' "$J" 2>/dev/null)" "137 2 $kid" \
		"$tag: a rerun adopts the pending key and dies after step 2"
	jq -r .csr "$J" >"$W/csr.pem" && openssl req -in "$W/csr.pem" -pubkey -noout >"$W/newpub.pem" &&
		issue "$W/newpub.pem" "$W/new.pem" && openssl x509 -in "$W/new.pem" -outform DER -out "$W/new.der"
	t_is "$?" 0 "$tag: the test CA issued the mock's answer for the pending key ($kid)"
	openssl genpkey -algorithm RSA -out "$W/other.key" 2>/dev/null && openssl pkey -in "$W/other.key" -pubout \
		-out "$W/other.pub" && issue "$W/other.pub" "$W/other.pem"

	# 2. The CA refuses: its PKIStatusInfo in words.
	mock refuse "${SRV[@]}" -rsp_cert "$W/new.pem" -pkistatus 2 -failurebits 512 -statusstring "POP test refusal"
	cmp_renew "http://127.0.0.1:$MPORT"
	mock_stop
	t_is "$RC" 5 "$tag: the CA's rejection: exit 5"
	t_grep "$tag: ... in words: badPOP (the proof that the new key is on your U-KEY did not verify)" \
		'the CA refused the request: badPOP \(the proof that the new key is on your U-KEY did not verify\)' "$ERR"
	t_grep "$tag: ... with the CA's statusString" '"POP test refusal"' "$ERR"
	unchanged "$tag: rejection"
	t_is "$(jq -r '.cmp_transaction_id // "none"' "$J")" none \
		"$tag: ... the CA closed the transaction: its ID is dropped, the rerun starts a new one"

	# 3. The mock checks our protection: trusting another CA, it refuses.
	mock distrust -srv_cert "$W/srv.pem" -srv_key "$W/srv.key" -srv_trusted "$W/rogue.pem" -rsp_cert "$W/new.pem"
	cmp_renew "http://127.0.0.1:$MPORT"
	mock_stop
	t_is "$RC" 5 "$tag: the mock does not trust the request's signer: exit 5"
	t_grep "$tag: ... the mock says why (it checked the protection)" 'the CA refused the request' "$ERR"
	t_grep "$tag: ... the mock failed to validate our protection" 'error validating protection|no suitable sender' \
		"$(cat "$W/distrust.log")"
	unchanged "$tag: protection distrusted"

	# 4. An answer signed by a server no configured CA vouches for.
	mock rogue -srv_cert "$W/rogue-srv.pem" -srv_key "$W/srv.key" -srv_trusted "$D/ca/ca.pem" -rsp_cert "$W/new.pem"
	cmp_renew "http://127.0.0.1:$MPORT"
	mock_stop
	t_is "$RC" 5 "$tag: an answer from an untrusted server: exit 5"
	t_grep "$tag: ... refused, said so" "the CA's answer was refused: .*(validating protection|sender cert)" "$ERR"
	unchanged "$tag: untrusted server"
	t_is "$(jq -r '.cmp_transaction_id // "none" | length' "$J")" 32 \
		"$tag: ... the transaction may be open at the CA: its ID is kept for the rerun"

	# 5. A certificate for another key.
	mock other "${SRV[@]}" -rsp_cert "$W/other.pem"
	cmp_renew "http://127.0.0.1:$MPORT"
	mock_stop
	t_is "$RC" 5 "$tag: a certificate for another key: exit 5"
	t_grep "$tag: ... refused: not for the new key" "not for the new key" "$ERR"
	t_grep "$tag: ... and rejected to the CA in certConf" 'certificate rejected by client' "$(cat "$W/other.log")"
	unchanged "$tag: another key"

	# 6. "waiting" for longer than the client waits: the transaction stays
	# open (its ID kept). That genuine answer, recorded on the way, then
	# comes back to the rerun's new message under the same transaction ID:
	# its recipNonce is the earlier message's.
	rm -f "$W/kup.der"
	mock slow "${SRV[@]}" -rsp_cert "$W/new.pem" -poll_count 10 -check_after 60
	relay "$W/relay.port" record "http://127.0.0.1:$MPORT" "$W/kup.der"
	UKEY_CMP_TOTAL_TIMEOUT=2 cmp_renew "http://127.0.0.1:$RPORT"
	kill "$RPID" 2>/dev/null
	mock_stop
	t_is "$RC" 5 "$tag: the CA still waiting when the bounded wait ends: exit 5"
	t_grep "$tag: ... said so" 'waiting|timeout' "$ERR"
	t_is "$(jq -r '.cmp_transaction_id // "none" | length' "$J")" 32 "$tag: ... the transaction ID is kept"
	relay "$W/replay.port" replay "$W/kup.der"
	cmp_renew "http://127.0.0.1:$RPORT"
	kill "$RPID" 2>/dev/null
	t_is "$RC" 5 "$tag: a replayed answer: exit 5"
	t_grep "$tag: ... refused for its recipient nonce" '[Nn]once' "$ERR"
	unchanged "$tag: replay"

	# 7. The rerun: "waiting" once, then the certificate; confirmed.
	mock ok "${SRV[@]}" -rsp_cert "$W/new.pem" -poll_count 1 -check_after 1
	cmp_renew "http://127.0.0.1:$MPORT"
	mock_stop
	t_is "$RC" 0 "$tag: the rerun renews"
	[ $RC -eq 0 ] || t_diag "$ERR"
	t_is "$(jq -r '[.state, .step, .cmp_confirmed, (.cmp_transaction_id|length)] | join(" ")' "$J" 2>/dev/null)" \
		"done 8 1 32" "$tag: the journal is done, confirmed, with its transaction ID"
	t_grep "$tag: the mock was polled and confirmed" 'Received request' "$(cat "$W/ok.log")"
	token_cert "$kid" "$W/got.der" && cmp -s "$W/got.der" "$W/new.der"
	t_is "$?" 0 "$tag: the token holds the new certificate with the new key"
	token_cert "$OLDID" "$W/old.der"
	t_is "$?" 1 "$tag: the old certificate is retired"
	if [ "$kt" = ec ]; then
		# renew-lib's renew_signs knows RSA and SM2.
		echo "renewal test data" >"$W/data"
		openssl x509 -inform DER -in "$W/new.der" -pubkey -noout >"$W/pub.pem" &&
			p11tool --login --pin env:UKEY_TEST_PIN --sign --id "$kid" -m ECDSA-SHA256 --signature-format openssl \
				-i "$W/data" -o "$W/sig" >/dev/null &&
			openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig" "$W/data" >/dev/null 2>&1
	else
		renew_signs "$kid" "$W/new.der"
	fi
	t_is "$?" 0 "$tag: the new key signs and the new certificate verifies it"
	t_grep "$tag: encryption and seals skipped: CMP-only" 'skipped \(the CA service is CMP-only' "$OUT"
	u status
	t_is "$RC" 0 "$tag: ukey status works with the CMP CA configured"
}

run rsa softhsm
run ec softhsm
run rsa skf

# SM2: what OpenSSL 3.0's CMP does with it, then what ukey does.
D=$W/sm2-skf
if "$top/tools/ukey-vkey" create "$D" --key-type sm2 --backend skf >"$D.log" 2>&1; then
	eval "$("$top/tools/ukey-vkey" env "$D")"
	M=$(sed -n 's/^serial=//p' "$D/vkey.info")
	export UKEY_CMP_TRUSTED=$D/ca/ca.pem
	cmp_renew http://127.0.0.1:9
	t_is "$RC" 2 "sm2 on skf: refused before anything changes (exit 2)"
	t_grep "sm2 on skf: ... saying why" 'SM2 keys cannot be renewed by CMP: OpenSSL.s CMP cannot sign with an SM2 key' "$ERR"
	[ ! -e "$W/.local/state/ukey/renew-$M.json" ]
	t_is "$?" 0 "sm2 on skf: ... no journal, nothing made"
	# OpenSSL's own client, with software SM2 keys: the same wall.
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out "$W/sm2.key" 2>/dev/null
	openssl req -x509 -key "$W/sm2.key" -subj /CN=sm2 -sm3 -days 30 -out "$W/sm2.pem" 2>/dev/null
	out=$(openssl cmp -cmd kur -server 127.0.0.1:9 -trusted "$W/sm2.pem" -cert "$W/sm2.pem" \
		-key "$W/sm2.key" -newkey "$W/sm2.key" -digest sm3 -certout "$W/sm2-new.pem" 2>&1)
	t_grep "sm2: openssl cmp itself cannot protect a message with an SM2 key (OpenSSL 3.0)" \
		'unsupported key type|error protecting message' "$out"
	# A CMP-only CA has no binding, orders, invoices or seals.
	UKEY_SERVICE_PROTOCOL=cmp UKEY_SERVICE_URL=http://127.0.0.1:9 u bind
	t_is "$RC" 2 "ukey bind with a CMP-only CA: exit 2"
	t_grep "... saying binding is a native-protocol feature" \
		'the CA service is CMP-only: binding, orders, invoices and seals are features of the native protocol' "$ERR"
else
	for n in 1 2 3 4 5 6; do t_fail "sm2 on skf: virtual U-KEY made"; done
fi
