#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# GnuTLS (p11tool, gnutls-cli) through ukey-pkcs11 on RSA and EC virtual
# U-KEYs, loaded with --provider. Also checks the PKCS#11 URIs (RFC 7512)
# that docs/uris.md documents: the token URI carries serial=<medium number>,
# each key pair and its certificate share id=%01/%02, and the URIs are the
# same every time the module is loaded.
#
# PIN (a test PIN): GNUTLS_PIN in the environment, which p11tool and
# gnutls-cli read; never in argv.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
. "$(dirname "$0")/common.sh"
need_tools p11tool gnutls-cli
skip_if_preload_p11kit
tap_plan 28

# gt PROGRAM ARGS...: a GnuTLS program with only our module as provider.
gt() {
	local prog=$1
	shift
	run_mod "$prog" --provider "$MODULE" "$@" </dev/null
}

# count PATTERN TEXT: lines matching the extended regexp.
count() {
	grep -cE -- "$1" <<<"$2"
}

for TYPE in rsa ec; do
	d=$WORK/$TYPE
	vkey_make "$d" "$TYPE"
	tok="serial=$SERIAL;token=${LABEL// /%20}"

	# --- URIs -------------------------------------------------------------
	out=$(gt p11tool --list-token-urls 2>&1)
	t_grep "$TYPE: the token URI has serial=<medium number> and the token label" \
		"^pkcs11:model=[^;]*;manufacturer=[^;]*;$tok\$" "$out"

	out=$(gt p11tool --list-all-certs 2>&1)
	t_is "$(count '^[[:space:]]*URL: pkcs11:' "$out")" 2 "$TYPE: p11tool lists 2 certificates"
	t_grep "$TYPE: the signing certificate's URI is <token>;id=%01;object=Signing%20certificate;type=cert" \
		"URL: pkcs11:.*;$tok;id=%01;object=Signing%20certificate;type=cert\$" "$out"

	out=$(gt p11tool --list-all 2>&1)
	# (counted in one listing: no private key means something only where
	# the certificates and public keys are)
	t_is "$(count 'type=private$' "$out") $(count 'type=(cert|public)$' "$out")" "0 4" \
		"$TYPE: no private key URI before login, in a listing of 2 certificate and 2 public key URIs"
	t_is "$(count 'type=(cert|public)$' "$out")" 4 "$TYPE: 2 certificate and 2 public key URIs before login"

	out=$(GNUTLS_PIN=$PIN gt p11tool --login --list-all 2>&1)
	t_grep "$TYPE: after login (GNUTLS_PIN) the signing private key shares id=%01 with its certificate" \
		"URL: pkcs11:.*;$tok;id=%01;object=Signing%20key;type=private\$" "$out"
	t_grep "$TYPE: the encryption private key has id=%02" \
		"URL: pkcs11:.*;$tok;id=%02;object=Encryption%20key;type=private\$" "$out"
	again=$(GNUTLS_PIN=$PIN gt p11tool --login --list-all 2>&1)
	t_is "$(grep 'URL:' <<<"$again")" "$(grep 'URL:' <<<"$out")" \
		"$TYPE: the object URIs are the same when the module is loaded again"

	gt p11tool --export "pkcs11:serial=$SERIAL;id=%01;type=cert" >"$d/exported.pem" 2>/dev/null
	t_is "$(openssl x509 -in "$d/exported.pem" -noout -fingerprint -sha256 2>&1)" \
		"$(openssl x509 -in "$d/keys/sign.pem" -noout -fingerprint -sha256)" \
		"$TYPE: pkcs11:serial=<medium number>;id=%01;type=cert selects the signing certificate"

	# --- signing ------------------------------------------------------------
	out=$(GNUTLS_PIN=$PIN gt p11tool --login --test-sign \
		"pkcs11:serial=$SERIAL;id=%01;type=private" 2>&1)
	st=$?
	if [ $st -eq 0 ] && grep -q 'Verifying against public key in the token... ok' <<<"$out"; then
		t_ok "$TYPE: p11tool --test-sign signs on the token and verifies with the token's public key"
	else
		t_fail "$TYPE: p11tool --test-sign signs on the token and verifies with the token's public key"
		t_diag "exit $st" "$out"
	fi

	# --- TLS client authentication with gnutls-cli ----------------------------
	if ! server_cert "$d" || ! tls_server_start "$d" "$d/server.log"; then
		t_fail "$TYPE: s_server started"
		continue
	fi
	u="pkcs11:serial=$SERIAL;id=%01"
	out=$(GNUTLS_PIN=$PIN gt gnutls-cli --x509cafile "$d/ca/ca.pem" \
		--x509certfile "$u;type=cert" --x509keyfile "$u;type=private" \
		-p "$SRV_PORT" 127.0.0.1 2>&1)
	st=$?
	if [ $st -eq 0 ] && grep -q 'Handshake was completed' <<<"$out" &&
		grep -q 'Successfully sent 1 certificate' <<<"$out"; then
		t_ok "$TYPE: gnutls-cli completes a client-authenticated handshake with the token's key"
	else
		t_fail "$TYPE: gnutls-cli completes a client-authenticated handshake with the token's key"
		t_diag "exit $st" "$out"
	fi
	tls_server_wait
	t_is "$?" 0 "$TYPE: s_server verified the client and ended cleanly"
	server_saw_client "$TYPE" "$d/server.log" "$d/keys/sign.pem"
done

tap_done
