#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# p11-kit: the module registered with a module config file in a test HOME
# (~/.config/pkcs11/modules/ukey-test.module, "module: <abs path>"), as a
# user registers it. `p11-kit list-modules` shows the module and the token,
# p11tool without --provider finds it through p11-kit, and the p11-kit proxy
# module serves the token to pkcs11-tool: slots with the medium number,
# objects, login, a signature that openssl verifies.
#
# p11-kit ignores user config when the program runs as root (it says
# "skipping user config in program running as root"); as root the programs
# run in a user namespace (unshare -U), where getuid() is the overflow uid
# while file access is unchanged. System module configs (SoftHSM's would
# show the same token a second time) are blanked in the test HOME with an
# empty "module:", which pkcs11.conf(5) documents for overriding them.
#
# PIN (a test PIN): pkcs11-tool --pin env:UKEY_TEST_PIN, never in argv.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
. "$(dirname "$0")/common.sh"
need_tools p11-kit p11tool
skip_if_preload_p11kit
proxy=$(pkg-config --variable=proxy_module p11-kit-1 2>/dev/null)
[ -n "$proxy" ] && [ -f "$proxy" ] || proxy=$(ls /usr/lib/*/p11-kit-proxy.so 2>/dev/null | head -n1)
[ -f "$proxy" ] || tap_skip_all "p11-kit-proxy.so not found"
userns=()
if [ "$(id -u)" -eq 0 ]; then
	unshare -U true 2>/dev/null ||
		tap_skip_all "running as root without user namespaces: p11-kit skips user config for root"
	userns=(unshare -U)
fi
tap_plan 18

home=$WORK/home
confdir=$home/.config/pkcs11/modules
mkdir -p "$confdir"
printf '# ukey-pkcs11 under test\nmodule: %s\n' "$MODULE" >"$confdir/ukey-test.module"
for f in "$(pkg-config --variable=p11_module_configs p11-kit-1 2>/dev/null)"/*.module \
	/usr/share/p11-kit/modules/*.module /etc/pkcs11/modules/*.module; do
	[ -f "$f" ] || continue
	printf 'module:\n' >"$confdir/${f##*/}"
done

# pk ARGS...: a program run with the test HOME as a non-root user of p11-kit.
pk() {
	run_mod env HOME="$home" XDG_CONFIG_HOME="$home/.config" "${userns[@]}" "$@" </dev/null
}

# px ARGS...: pkcs11-tool through the p11-kit proxy module.
px() {
	pk pkcs11-tool --module "$proxy" "$@"
}

printf 'message signed through the p11-kit proxy\n' >"$WORK/msg"

for TYPE in rsa ec; do
	vkey_make "$WORK/$TYPE" "$TYPE"
	export UKEY_TEST_PIN=$PIN

	out=$(pk p11-kit list-modules 2>&1)
	t_grep "$TYPE: p11-kit list-modules shows the module from the user config" \
		"^ukey-test: $MODULE\$" "$out"
	t_grep "$TYPE: p11-kit list-modules shows the token with the medium number" \
		"^ +serial-number: $SERIAL\$" "$out"
	t_nogrep "$TYPE: the blanked system SoftHSM module is not loaded" "^softhsm2:" "$out" "^ukey-test: $MODULE\$"

	out=$(pk p11tool --list-token-urls 2>&1)
	t_grep "$TYPE: p11tool (no --provider) finds the token through p11-kit" \
		"^pkcs11:.*;serial=$SERIAL;token=" "$out"

	out=$(px -L 2>&1)
	t_grep "$TYPE: the proxy lists the token with the medium number as serial" \
		"serial num +: +$SERIAL\$" "$out"

	out=$(px --token-label "$LABEL" -O 2>&1)
	if [ "$(grep -c '^Certificate Object' <<<"$out")" -eq 2 ] &&
		[ "$(grep -c '^Private Key Object' <<<"$out")" -eq 0 ]; then
		t_ok "$TYPE: through the proxy, 2 certificates and no private key before login"
	else
		t_fail "$TYPE: through the proxy, 2 certificates and no private key before login"
		t_diag "$out"
	fi

	out=$(px --token-label "$LABEL" --login --pin env:UKEY_TEST_PIN -O 2>&1)
	t_is "$(grep -c '^Private Key Object' <<<"$out")" 2 \
		"$TYPE: through the proxy, login shows 2 private keys"

	if [ "$TYPE" = rsa ]; then mech=SHA256-RSA-PKCS fmt=(); else mech=ECDSA-SHA256 fmt=(--signature-format openssl); fi
	rm -f "$WORK/$TYPE.sig"
	out=$(px --token-label "$LABEL" --login --pin env:UKEY_TEST_PIN --sign --id 01 -m "$mech" \
		"${fmt[@]}" -i "$WORK/msg" -o "$WORK/$TYPE.sig" 2>&1)
	t_check "$TYPE: $mech signature made through the proxy" test -s "$WORK/$TYPE.sig"
	openssl x509 -in "$WORK/$TYPE/keys/sign.pem" -noout -pubkey >"$WORK/$TYPE.pub"
	out=$(openssl dgst -sha256 -verify "$WORK/$TYPE.pub" -signature "$WORK/$TYPE.sig" "$WORK/msg" 2>&1)
	t_check "$TYPE: openssl verifies it with the signing certificate's key" \
		grep -q '^Verified OK' <<<"$out"
done

tap_done
