#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# tools/install-deps is enough on a bare Debian 12 (debootstrap
# --variant=minbase: the packages of Priority required, and apt): every
# package of debian/control's Build-Depends, and build-essential, which
# dpkg-checkbuilddeps requires of every package build without it being
# listed, is installed by it (by name, or by a package of its list that
# Provides it); and every program a test or tool looks for with `command -v`
# comes from a package of that list or of Priority required. A machine that
# already has the program (a CI machine, a developer's) hides the missing
# package: the test skips, or the .deb build fails, only on a fresh system.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/tap.sh"
top=${UKEY_TOP_SRCDIR:-$here}
for t in dpkg-query apt-cache; do
	command -v "$t" >/dev/null || tap_skip_all "$t not installed (not a Debian system)"
done
apt-cache show --no-all-versions coreutils >/dev/null 2>&1 ||
	tap_skip_all "apt-cache knows no packages (no apt lists: apt-get update)"
tap_plan 3

# The packages install-deps installs (its packages=( ... ) array, evaluated
# by bash, comments and all).
listed=$(bash -c "$(sed -n '/^packages=(/,/^)/p' "$top/tools/install-deps")"'
	printf "%s\n" "${packages[@]}"' | sort -u)
t_check "tools/install-deps lists its packages ($(wc -l <<<"$listed") of them)" test "$(wc -l <<<"$listed")" -gt 10

# What the listed packages Provide (debhelper: debhelper-compat...).
provides=$(apt-cache show --no-all-versions $listed 2>/dev/null | sed -n 's/^Provides: //p' |
	tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)
# NAME is installed by install-deps: listed, or Provided by a listed package.
provided() { grep -qx -- "$1" <<<"$listed$(printf '\n%s' "$provides")"; }

# Build-Depends: each alternative group "a (>= 1) [arch] | b" is met when
# one of its names is installed by install-deps.
deps=$(sed -n '/^Build-Depends:/,/^[^ ]/p' "$top/debian/control" | sed '$!b; /^[^ ]/d' |
	sed 's/^Build-Depends://' | tr '\n' ' ' | tr ',' '\n' |
	sed 's/([^)]*)//g; s/\[[^]]*\]//g; s/<[^>]*>//g; s/:[a-z]*//g; s/^ *//; s/ *$//' | grep .)
missing=
while read -r group; do
	ok=0
	for alt in ${group//|/ }; do provided "$alt" && { ok=1; break; }; done
	[ "$ok" = 1 ] || missing="$missing $group"
done <<<"$deps
build-essential"
t_is "${missing:-none}" none \
	"every Build-Depends of debian/control ($(wc -l <<<"$deps")) and build-essential is installed by tools/install-deps"

# Programs the tests and tools look for with command -v (alone, or in a loop
# over "for t in ...; do"), and the package each comes from on this machine.
progs=$(cd "$top" && grep -rhoE 'for t in [^;]*; do|command -v [A-Za-z0-9_.+-]+' \
	tests tools --include='*.sh' --exclude=install-deps.sh --include=run-all --include=ukey-demo --include=ukey-vkey |
	sed -E 's/^for t in //; s/; do$//; s/^command -v //' | tr ' ' '\n' | grep -E '^[A-Za-z0-9_.+-]+$' | sort -u)
bad=
for prog in $progs; do
	path=$(command -v "$prog") || { bad="$bad $prog(not-installed-here)"; continue; }
	path=$(readlink -f "$path")
	# usrmerge: dpkg knows /bin/ss as /bin/ss, not /usr/bin/ss.
	pkg=$(dpkg-query -S "$path" 2>/dev/null || dpkg-query -S "${path#/usr}" 2>/dev/null)
	pkg=${pkg%%:*}
	[ -n "$pkg" ] || { bad="$bad $prog(no-package)"; continue; }
	grep -qx -- "$pkg" <<<"$listed" && continue
	[ "$(dpkg-query -W -f='${Priority}' "$pkg" 2>/dev/null)" = required ] && continue
	bad="$bad $prog($pkg)"
done
t_is "${bad:-none}" none \
	"each program the tests look for ($(wc -w <<<"$progs")) comes from a package tools/install-deps installs or a minbase system has"
tap_done
