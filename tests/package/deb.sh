#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Debian package, end to end (root only; tests/run-all runs it after
# pass 1, outside `make check`): builds ukey-pkcs11_*.deb with
# dpkg-buildpackage from the `make dist` tarball of the configured tree in a
# scratch directory (or takes UKEY_DEB=path/to/ukey-pkcs11_*.deb), checks
# what it ships, installs it with apt-get, then checks the installed module
# with p11-kit (alone, and showing a virtual U-KEY made by the installed
# ukey-vkey, which writes a seal on it), /usr/bin/ukey, the man pages and ukey register-browser's
# default module path; finally removes the package (dpkg -r) and checks
# that its files are gone.
#
# Environment: UKEY_TOP_BUILDDIR (a configured build tree, default the
# source tree), UKEY_DEB (a built package: skip the build).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/tap.sh"
top=${UKEY_TOP_SRCDIR:-$here}
build=${UKEY_TOP_BUILDDIR:-$top}

[ "$(id -u)" -eq 0 ] || tap_skip_all "not root: installing a package needs root"
need_tools dpkg-buildpackage dh dpkg-architecture p11-kit man modutil
if dpkg-query -W -f='${Status}' ukey-pkcs11 2>/dev/null | grep -q 'ok installed'; then
	tap_skip_all "ukey-pkcs11 is already installed on this machine: not replacing it"
fi
tap_plan 21

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ukey-deb.XXXXXX")
installed=0
cleanup() {
	# Leave the machine as it was even when a check failed half-way.
	[ "$installed" = 1 ] && dpkg -r ukey-pkcs11 >&2
	rm -rf "$WORK"
}
trap cleanup EXIT
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
moddir=/usr/lib/$triplet/pkcs11

# --- build ---------------------------------------------------------------------
deb=${UKEY_DEB:-}
if [ -z "$deb" ]; then
	# Built from the release tarball (`make dist`): sources only, no
	# objects configured for another prefix, and dpkg-buildpackage's ../*.deb
	# lands in $WORK, not next to the source tree. The tarball doubles as
	# the .orig.tar.gz of the 3.0 (quilt) source format.
	src=$WORK/ukey-pkcs11-0.1.0
	if make -s -C "$build" dist-gzip >&2 &&
		mv "$build/ukey-pkcs11-0.1.0.tar.gz" "$WORK/ukey-pkcs11_0.1.0.orig.tar.gz" &&
		tar -C "$WORK" -xzf "$WORK/ukey-pkcs11_0.1.0.orig.tar.gz" &&
		(cd "$src" && dpkg-buildpackage -us -uc -b -j2) >"$WORK/build.log" 2>&1; then
		t_ok "dpkg-buildpackage -us -uc -b builds the package from the make dist tarball"
	else
		t_fail "dpkg-buildpackage -us -uc -b builds the package from the make dist tarball"
		tail -n 30 "$WORK/build.log" | t_diag "$(cat)"
	fi
	deb=$(ls "$WORK"/ukey-pkcs11_*.deb 2>/dev/null | head -n 1)
else
	t_ok "dpkg-buildpackage -us -uc -b builds the package # SKIP UKEY_DEB given: $deb"
fi
[ -f "$deb" ] || { echo "Bail out! no ukey-pkcs11_*.deb"; exit 1; }
cat "$WORK/build.log" >&2 2>/dev/null

contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
printf '%s\n' "$contents" >&2
t_grep "the package ships the module in /usr/lib/$triplet/pkcs11/" "^$moddir/ukey-pkcs11\.so$" "$contents"
t_grep "the package ships the p11-kit module file in /usr/share/p11-kit/modules/" \
	'^/usr/share/p11-kit/modules/ukey-pkcs11\.module$' "$contents"
t_grep "the package ships /usr/bin/ukey and /usr/bin/ukey-vkey" \
	'^/usr/bin/ukey-vkey$' "$(grep -x /usr/bin/ukey <<<"$contents" >/dev/null && echo "$contents")"
t_grep "the package ships ukey-vkey's seal writer in /usr/libexec/ukey-pkcs11/" \
	'^/usr/libexec/ukey-pkcs11/ukey-vkey-seal$' "$contents"
t_grep "the package ships both man pages" '^/usr/share/man/man5/ukey-pkcs11\.conf\.5\.gz$' \
	"$(grep -x /usr/share/man/man1/ukey.1.gz <<<"$contents" >/dev/null && echo "$contents")"
t_nogrep "the package ships no libtool archive or header" '\.la$|^/usr/include/.' "$contents" "^$moddir/ukey-pkcs11\.so$"

# --- install -------------------------------------------------------------------
cp "$deb" "$WORK/"
if (cd "$WORK" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"./$(basename "$deb")") >&2; then
	installed=1
	t_ok "apt-get install ./ukey-pkcs11_*.deb succeeds"
else
	t_fail "apt-get install ./ukey-pkcs11_*.deb succeeds"
	echo "Bail out! cannot install the package"
	exit 1
fi
t_check "the module is installed at $moddir/ukey-pkcs11.so" test -f "$moddir/ukey-pkcs11.so"

out=$(cd / && /usr/bin/ukey --help 2>&1)
st=$?
t_is "$st" 0 "/usr/bin/ukey --help exits 0"
t_grep "/usr/bin/ukey --help lists register-browser" '^  register-browser ' "$out"
t_is "$(man -w ukey 2>&1)" /usr/share/man/man1/ukey.1.gz "man -w ukey finds the installed page"
t_is "$(man -w 5 ukey-pkcs11.conf 2>&1)" /usr/share/man/man5/ukey-pkcs11.conf.5.gz \
	"man -w 5 ukey-pkcs11.conf finds the installed page"

# p11-kit reads /usr/share/p11-kit/modules; with no configuration the module
# loads and offers no tokens.
list=$(UKEY_PKCS11_CONF=$WORK/none.conf UKEY_LOG=off p11-kit list-modules 2>&1)
printf '%s\n' "$list" >&2
t_grep "p11-kit list-modules shows the ukey-pkcs11 module" '^ukey-pkcs11: ' "$list"
t_grep "p11-kit names the module's library description" 'library-description: U-KEY PKCS#11 module' "$list"

# A virtual U-KEY made by the installed ukey-vkey shows up as a token.
if (cd / && /usr/bin/ukey-vkey create "$WORK/vkey" --key-type ec) >&2; then
	eval "$(/usr/bin/ukey-vkey env "$WORK/vkey")"
	serial=$(sed -n 's/^serial=//p' "$WORK/vkey/vkey.info")
	list=$(UKEY_LOG=off p11-kit list-modules 2>&1)
	printf '%s\n' "$list" >&2
	section=$(awk '/^[^ \t]/ { m = $1 } m == "ukey-pkcs11:" { print }' <<<"$list")
	t_grep "with UKEY_PKCS11_CONF at a virtual U-KEY, p11-kit shows its token (serial $serial)" \
		"serial-number: $serial\$" "$section"
	# ... and the installed ukey-vkey writes a seal with the installed
	# helper through the installed module (no build tree to fall back on).
	out=$(cd / && env -u UKEY_TOP_BUILDDIR -u UKEY_MODULE /usr/bin/ukey-vkey add-seals "$WORK/vkey" \
		"$top/tests/unit/seal-data" 2>&1)
	printf '%s\n' "$out" >&2
	t_grep "the installed ukey-vkey add-seals writes a seal through the installed module" \
		'^seal: 业务章 \(业务章, 1330 bytes\)$' "$out"
else
	t_fail "with UKEY_PKCS11_CONF at a virtual U-KEY, p11-kit shows its token"
	t_fail "the installed ukey-vkey add-seals writes a seal through the installed module"
fi
unset UKEY_PKCS11_CONF SOFTHSM2_CONF

# The installed ukey registers the installed module by default.
mkdir -p "$WORK/home"
out=$(HOME=$WORK/home /usr/bin/ukey register-browser 2>&1)
printf '%s\n' "$out" >&2
t_grep "installed ukey register-browser adds the installed module to a new Chromium db" \
	"nssdb: added \(database created\)$" "$out"
lib=$(modutil -dbdir "sql:$WORK/home/.pki/nssdb" -list ukey-pkcs11 2>/dev/null | sed -n 's/^Library file: //p')
t_is "$lib" "$moddir/ukey-pkcs11.so" "the registered library is the installed module's path"

# --- remove ----------------------------------------------------------------------
if dpkg -r ukey-pkcs11 >&2; then
	installed=0
	t_ok "dpkg -r ukey-pkcs11 succeeds"
else
	t_fail "dpkg -r ukey-pkcs11 succeeds"
fi
t_check "after dpkg -r the module, ukey and the p11-kit file are gone" \
	test ! -e "$moddir/ukey-pkcs11.so" -a ! -e /usr/bin/ukey -a ! -e /usr/share/p11-kit/modules/ukey-pkcs11.module \
		-a ! -e /usr/libexec/ukey-pkcs11/ukey-vkey-seal

tap_done
