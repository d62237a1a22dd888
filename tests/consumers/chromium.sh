#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Chromium (headless) with ukey-pkcs11 in its NSS database ($HOME/.pki/nssdb)
# against a local openssl s_server that asks for a client certificate, on an
# RSA virtual U-KEY whose PIN comes through the module's own PIN dialog
# ([module] pin_prompt = pinentry, tests/pinentry/ukey-test-pinentry).
#
#   1-2  the server asks for a certificate from a CA the token does not hold:
#        Chromium loads the module, enumerates the token's certificates and
#        goes on without one (module registered "friendly")
#   3    the same with the module registered plainly: the token's CKO_PROFILE
#        (CKP_PUBLIC_CERTIFICATES_TOKEN) lets NSS list the certificates
#        without a PIN, so no password dialog blocks the page
#   4    the server requires a certificate from the vkey CA; a managed policy
#        (AutoSelectCertificateForUrls) selects the token's signing
#        certificate; the module logs in by itself when the key is first
#        used (PIN-dialog mode, token/ondemand.c), through the pinentry
#        program, and the page shows the certificate the server received
# One browser at a time; each run bounded by timeout(1).
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/browser/nss-common.sh"
tap_setup
NSS_PKG=chromium nss_need chromium
nss_need certutil modutil
command -v ss >/dev/null || tap_skip_all "ss not installed (package iproute2)"
# The sanitizer pass builds an ASan module; Chromium (its own allocator,
# many processes) cannot run with the ASan runtime preloaded.
[ -z "${UKEY_TEST_PRELOAD:-}" ] || tap_skip_all "sanitizer pass: Chromium cannot load an ASan-built module"
PINENTRY=$UKEY_TOP_SRCDIR/tests/pinentry/ukey-test-pinentry
[ -x "$PINENTRY" ] || { echo "Bail out! $PINENTRY missing"; exit 1; }
tap_plan 4

POLICY_DIR=/etc/chromium/policies/managed
POLICY=
cleanup() {
	server_stop
	[ -n "$POLICY" ] && rm -f "$POLICY"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

vkey_make "$WORK/rsa" rsa
printf '[module]\npin_prompt = pinentry\npinentry = %s\n' "$PINENTRY" >>"$UKEY_PKCS11_CONF"
pin_file "$WORK/pin" "$PIN"
export UKEY_TEST_PINENTRY_PIN_FILE=$WORK/pin UKEY_TEST_PINENTRY_LOG=$WORK/pinentry.log
test_server_cert "$WORK"

# browser NAME SECONDS URL: chromium --dump-dom URL with HOME=$WORK/NAME-home
# (its NSS database) and a fresh profile; the DOM goes to $WORK/NAME.html,
# stderr (with the module's log) to $WORK/NAME.err; returns chromium's exit.
browser() {
	local name=$1 secs=$2 url=$3
	HOME=$WORK/$name-home UKEY_LOG=info timeout -k 5 "$secs" chromium --headless --no-sandbox \
		--disable-gpu --disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --user-data-dir="$WORK/$name-profile" \
		--ignore-certificate-errors-spki-list="$SERVER_SPKI" \
		--dump-dom "$url" </dev/null >"$WORK/$name.html" 2>"$WORK/$name.err"
}

# browser_home NAME [friendly]: $WORK/NAME-home/.pki/nssdb with the module.
browser_home() {
	nssdb_make "$WORK/$1-home/.pki/nssdb"
	if [ "${2:-}" = friendly ]; then
		nss_tool modutil -dbdir "sql:$WORK/$1-home/.pki/nssdb" -default ukey \
			-mechanisms FRIENDLY -force </dev/null >&2
	fi
}

# --- 1-3: client certificate asked for, none of the token's fits -----------
server_start "$WORK/srv-other.log" -cert "$WORK/srv.pem" -key "$WORK/srv.key" \
	-verify 1 -CAfile "$WORK/srv.pem"
browser_home friendly friendly
browser friendly 60 "https://127.0.0.1:$PORT/"
st=$?
t_grep "chromium loads the module and its backend when a server asks for a client certificate" \
	"loaded with driver p11" "$(grep '^ukey-pkcs11' "$WORK/friendly.err")"
if [ $st -eq 0 ] && grep -q 's_server' "$WORK/friendly.html"; then
	t_ok "chromium lists the token's certificates, finds none for the server's CAs, loads the page"
else
	t_fail "chromium lists the token's certificates, finds none for the server's CAs, loads the page"
	t_diag "chromium exit $st (124: timed out; 134/139: crashed)" "$(grep -v -e dbus -e crashpad "$WORK/friendly.err" | tail -n 8)"
fi

browser_home plain
browser plain 30 "https://127.0.0.1:$PORT/"
st=$?
if [ $st -eq 0 ] && grep -q 's_server' "$WORK/plain.html"; then
	t_ok "module registered plainly: chromium lists the token's certificates without asking for the PIN"
else
	t_fail "module registered plainly: chromium lists the token's certificates without asking for the PIN"
	t_diag "chromium exit $st (124: timed out)"
fi
server_stop

# --- 4: TLS client authentication with the token's signing key ------------
server_start "$WORK/srv-vkey.log" -cert "$WORK/srv.pem" -key "$WORK/srv.key" \
	-Verify 1 -CAfile "$CA"
if [ -d "$POLICY_DIR" ] || mkdir -p "$POLICY_DIR" 2>/dev/null; then
	POLICY=$(mktemp "$POLICY_DIR/ukey-test-XXXXXX")
	issuer=$(openssl x509 -in "$CA" -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
	subject=$(openssl x509 -in "$WORK/rsa/keys/sign.pem" -noout -subject -nameopt multiline,utf8,-esc_msb |
		sed -n 's/^ *commonName *= *//p')
	printf '{"AutoSelectCertificateForUrls": ["{\\"pattern\\":\\"https://127.0.0.1:%s\\",\\"filter\\":{\\"ISSUER\\":{\\"CN\\":\\"%s\\"},\\"SUBJECT\\":{\\"CN\\":\\"%s\\"}}}"]}\n' \
		"$PORT" "$issuer" "$subject" >"$POLICY"
	chmod 644 "$POLICY"
	browser_home auth
	browser auth 45 "https://127.0.0.1:$PORT/"
	st=$?
	got=$(sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p' "$WORK/auth.html" |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null)
	want=$(openssl x509 -in "$WORK/rsa/keys/sign.pem" -noout -fingerprint -sha256)
	if [ -n "$want" ] && [ "$got" = "$want" ] && grep -q GETPIN "$WORK/pinentry.log" 2>/dev/null; then
		t_ok "TLS client auth: the page shows the token's signing certificate (PIN from the module's dialog)"
	else
		t_fail "TLS client auth: the page shows the token's signing certificate (PIN from the module's dialog)"
		t_diag "chromium exit $st; pinentry asked: $(grep -q GETPIN "$WORK/pinentry.log" 2>/dev/null && echo yes || echo no)"
	fi
	rm -f "$POLICY"
	POLICY=
else
	t_ok "TLS client auth with the token's signing key # SKIP cannot write $POLICY_DIR"
fi
tap_done
