#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# OpenSSL through Debian's libengine-pkcs11-openssl (libp11's "pkcs11"
# engine, PKCS11_MODULE_PATH = the module under test) on RSA and EC virtual
# U-KEYs: `openssl req` makes a CSR signed by the token's signing key,
# `openssl s_client` does TLS client authentication with the token's key and
# certificate against `openssl s_server -Verify 1`.
#
# The PIN (a test PIN) is in a 0600 file named by the key URI's
# pin-source=file: attribute, which the engine reads; it is never in argv.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
. "$(dirname "$0")/common.sh"
enginesdir=$(openssl version -e 2>/dev/null | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
[ -f "$enginesdir/pkcs11.so" ] ||
	tap_skip_all "OpenSSL engine pkcs11 not installed (libengine-pkcs11-openssl)"
tap_plan 20

export PKCS11_MODULE_PATH=$MODULE

# eng ARGS...: openssl with the pkcs11 engine, which loads the module.
eng() {
	run_mod openssl "$@" </dev/null
}

for TYPE in rsa ec; do
	d=$WORK/$TYPE
	vkey_make "$d" "$TYPE"
	umask 077
	printf '%s' "$PIN" >"$d/pin"
	printf '999999' >"$d/badpin"
	umask 022
	key="pkcs11:serial=$SERIAL;id=%01;type=private"

	# --- CSR signed on the token ------------------------------------------
	if out=$(eng req -new -engine pkcs11 -keyform engine \
		-key "$key?pin-source=file:$d/pin" -subj "/C=CN/CN=ukey engine CSR" \
		-out "$d/req.pem" 2>&1) && [ -s "$d/req.pem" ]; then
		t_ok "$TYPE: openssl req -engine pkcs11 makes a CSR with the token key"
	else
		t_fail "$TYPE: openssl req -engine pkcs11 makes a CSR with the token key"
		t_diag "$out"
	fi
	out=$(openssl req -in "$d/req.pem" -verify -noout 2>&1)
	t_check "$TYPE: openssl req -verify accepts the CSR's signature" \
		grep -q 'verify OK' <<<"$out"
	t_is "$(openssl req -in "$d/req.pem" -noout -pubkey 2>/dev/null)" \
		"$(openssl x509 -in "$d/keys/sign.pem" -noout -pubkey)" \
		"$TYPE: the CSR's public key is the signing certificate's"

	# --- a wrong PIN -------------------------------------------------------
	out=$(eng req -new -engine pkcs11 -keyform engine \
		-key "$key?pin-source=file:$d/badpin" -subj "/CN=wrong PIN" \
		-out "$d/bad.pem" 2>&1)
	st=$?
	t_check "$TYPE: a wrong PIN in the pin-source file makes no CSR, the engine reports it" \
		eval '[ ! -s "$d/bad.pem" ] && grep -q "PIN incorrect" <<<"$out"'
	# libp11 finalizes the module from OpenSSL's atexit cleanup when the key
	# load failed, after SoftHSM's C++ static objects are destroyed: the
	# module must then not call into the backend (token/module.c note_exit).
	t_check "$TYPE: openssl exits cleanly (status 1) after a refused PIN" \
		test "$st" -eq 1

	# --- TLS client authentication ------------------------------------------
	token_cert_pem 01 "$d/cert.pem" ||
		t_diag "cannot read the signing certificate through the module"
	if ! server_cert "$d" || ! tls_server_start "$d" "$d/server.log"; then
		t_fail "$TYPE: s_server started"
		continue
	fi
	t_ok "$TYPE: s_server started on 127.0.0.1:$SRV_PORT demanding a client certificate"
	out=$(eng s_client -connect "127.0.0.1:$SRV_PORT" -engine pkcs11 -keyform engine \
		-key "$key?pin-source=file:$d/pin" -cert "$d/cert.pem" \
		-CAfile "$d/ca/ca.pem" -verify_return_error 2>&1)
	st=$?
	# `-engine` makes libp11 the default RSA method of the host's OpenSSL;
	# the module's own OpenSSL work runs in its private library context and
	# leaves nothing on the host's error queue (util/ossl.c, api/shim.h).
	if [ $st -eq 0 ] && grep -q '^Verification: OK' <<<"$out" && ! grep -q ':error:' <<<"$out"; then
		t_ok "$TYPE: s_client authenticates with the token key and certificate, no OpenSSL error"
	else
		t_fail "$TYPE: s_client authenticates with the token key and certificate, no OpenSSL error"
		t_diag "exit $st" "$(grep -E 'error|Verification|Cipher is' <<<"$out")"
	fi
	tls_server_wait
	st=$?
	t_is "$st" 0 "$TYPE: s_server accepted the connection and ended cleanly"
	server_saw_client "$TYPE" "$d/server.log" "$d/cert.pem"
done

tap_done
