#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libukey-renew's OpenSSL provider (renew-plugin/ossl/) on each key type a
# U-KEY has: RSA and ECDSA P-256 on SoftHSM, SM2 on the SKF emulator. For
# each, plugin/ossl-sign signs with EVP_DigestSign through the provider
# (C_Sign on the token) and verifies with the certificate's key in the
# default provider, signs a certificate request, and checks that digests
# the token does not offer are refused.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
prog=$build/tests/plugin/ossl-sign
command -v softhsm2-util >/dev/null || tap_skip_all "softhsm2-util not installed (tools/install-deps)"
command -v openssl >/dev/null || tap_skip_all "openssl not installed (tools/install-deps)"
[ -x "$prog" ] || tap_skip_all "plugin/ossl-sign not built"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-ossl.XXXXXX")
trap '[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT
export UKEY_TOP_BUILDDIR=$build UKEY_PIN_FILE=$W/pin
module=${UKEY_TEST_MODULE:-$build/module/.libs/ukey-pkcs11.so}
echo 123456 >"$W/pin"
# Cases per key type, as ossl-sign prints them.
tap_plan $((10 + 1 + 7 + 1 + 6 + 1))
for spec in "rsa softhsm 10" "ec softhsm 7" "sm2 skf 6"; do
	set -- $spec
	d=$W/$1-$2
	if ! "$top/tools/ukey-vkey" create "$d" --key-type "$1" --backend "$2" >"$d.log" 2>&1; then
		for i in $(seq $(($3 + 1))); do t_fail "$1 on $2: virtual U-KEY made"; done
		t_diag "$(tail -n 5 "$d.log")"
		continue
	fi
	out=$(eval "$("$top/tools/ukey-vkey" env "$d")" &&
		timeout 120 ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$prog" "$module" 2>"$W/err")
	rc=$?
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		case $line in
		"ok "*) t_ok "$1 on $2: ${line#ok }" ;;
		*) t_fail "$1 on $2: ${line#fail }" ;;
		esac
	done <<<"$out"
	while [ $n -lt "$3" ]; do
		t_fail "$1 on $2: case $((n + 1)) did not run"
		n=$((n + 1))
	done
	t_is "$rc" 0 "$1 on $2: ossl-sign ends well"
	[ $rc -eq 0 ] || t_diag "$(cat "$W/err")"
done
