#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Token-signed requests with every key type a U-KEY has: ECDSA P-256 on a
# SoftHSM key, SM2 (SM3 with the GM/T 0009 Z value) and RSA on an SKF key
# through the emulator. For each, the reference CA service (its user CA being
# the key's CA) must accept `ukey bind`, which is signed on the token over a
# server nonce (docs/protocol.md), and refuse the same request after the
# key's certificate is revoked.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
CA_SERVICE_DIR=$build/ca-service
UKEY=$build/tools/ukey/ukey
need_tools openssl jq softhsm2-util
[ -x "$CA_SERVICE_DIR/ca-service" ] || tap_skip_all "ca-service not built"
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
. "$top/tests/ca-service/ca-lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-keytypes.XXXXXX")
cleanup() {
	ca_stop_all
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
tap_plan 9
export UKEY_TOP_BUILDDIR=$build HOME=$W UKEY_CONFIG=$W/none.conf UKEY_PIN_FILE=$W/pin LC_ALL=C.UTF-8
export UKEY_MODULE=${UKEY_TEST_MODULE:-$build/module/.libs/ukey-pkcs11.so}
echo 123456 >"$W/pin"

for spec in "ec softhsm ecdsa-sha256" "sm2 skf sm2-sm3" "rsa skf rsa-sha256"; do
	set -- $spec
	name="$1 on $2 ($3)"
	d=$W/$1-$2
	if ! "$top/tools/ukey-vkey" create "$d" --key-type "$1" --backend "$2" >"$d.log" 2>&1; then
		t_fail "$name: virtual U-KEY made"
		t_diag "$(tail -n 5 "$d.log")"
		t_fail "$name: bind accepted"
		t_fail "$name: refused once revoked"
		continue
	fi
	eval "$("$top/tools/ukey-vkey" env "$d")"
	M=$(sed -n 's/^serial=//p' "$d/vkey.info")
	"$CA_SERVICE_DIR/ca-service" init --state "$W/st-$1" --ca-cert "$d/ca/ca.pem" \
		--ca-key "$d/ca/ca.key" >/dev/null && ca_start "$W/st-$1" &&
		ca_cli enroll "$M" "$d/keys/sign.pem" >/dev/null
	t_is "$?" 0 "$name: virtual U-KEY made and enrolled at the service"
	export UKEY_SERVICE_URL=$CA_URL UKEY_SERVICE_CA=$CA_TLS
	out=$(timeout 90 ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$UKEY" bind --json 2>"$W/err")
	rc=$?
	if [ $rc -eq 0 ] && [ "$(jq -r .medium_last4 <<<"$out" 2>/dev/null)" = "${M: -4}" ] &&
		[ -n "$(jq -r '.code // empty' <<<"$out" 2>/dev/null)" ]; then
		t_ok "$name: the service accepts a request signed on the token (bind gives a code)"
	else
		t_fail "$name: the service accepts a request signed on the token (bind gives a code)"
		t_diag "exit $rc" "$(cat "$W/err")"
	fi
	serial=$(openssl x509 -in "$d/keys/sign.pem" -noout -serial | cut -d= -f2)
	ca_cli revoke "$serial" >/dev/null 2>&1
	timeout 90 ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$UKEY" bind >/dev/null 2>"$W/err"
	rc=$?
	t_grep "$name: the same request is refused once the certificate is revoked" "revoked|certificate" "$rc $(cat "$W/err")"
	[ $rc -ne 0 ] || t_diag "exit 0 after revocation"
	ca_stop_all
done
tap_done
