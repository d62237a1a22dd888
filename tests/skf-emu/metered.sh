#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every SKF function the emulator exports goes through its cost model: the
# library's SKF_* symbols are emu-cost.c's metering wrappers, each calling
# the implementation renamed emu_SKF_* by emu-rename.h. A function added to
# an emulator file but not to emu-rename.h and emu-cost.c would be exported
# unmetered, and tests/integration/skf/test-skf-cost and bench/bench-cost.sh
# would silently count too little. This checks the pairing on the built
# library with nm(1).
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
bld=${UKEY_TOP_BUILDDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
lib=$bld/tests/skf-emu/.libs/libukey-skf-emu.so
command -v nm >/dev/null || tap_skip_all "nm (binutils) not installed"
[ -f "$lib" ] || {
	echo "Bail out! emulator not built: $lib"
	exit 1
}
exported=$(nm -D --defined-only "$lib" | awk '$3 ~ /^SKF_/ { print $3 }' | sort)
impl=$(nm --defined-only "$lib" | awk '$3 ~ /^emu_SKF_/ { sub(/^emu_/, "", $3); print $3 }' | sort)
[ -n "$impl" ] || tap_skip_all "the library's symbol table is stripped: nothing to compare"
tap_plan 3
n=$(wc -w <<<"$exported")
t_check "the emulator exports SKF functions ($n)" test "$n" -gt 30
t_is "$(comm -23 <(echo "$exported") <(echo "$impl") | tr '\n' ' ')" "" \
	"every exported SKF_* is a metering wrapper of an emu_SKF_* (none unmetered)"
t_is "$(nm -D --defined-only "$lib" | awk '$3 ~ /^emu_/ { print $3 }' | tr '\n' ' ')" "" \
	"no emu_SKF_* implementation is exported under its own name"
[ "$t_failed" -eq 0 ] || exit 1
tap_done
