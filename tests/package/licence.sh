#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The repository stands on its own and says its licence: COPYING is the
# LGPL 2.1, debian/copyright names it, every source file carries an SPDX
# line, and no file points outside the repository (the project's first plan
# and research notes were never part of it: what the code relies on is in
# docs/).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/tap.sh"
top=${UKEY_TOP_SRCDIR:-$here}
tap_plan 4

t_grep "COPYING is the GNU Lesser General Public License 2.1" \
	"GNU LESSER GENERAL PUBLIC LICENSE|Version 2\.1, February 1999" "$(head -3 "$top/COPYING" 2>&1)"
t_grep "debian/copyright grants LGPL-2.1+" "^License: LGPL-2\.1\+$" "$(cat "$top/debian/copyright" 2>&1)"

# Source files: C, shell, automake/autoconf, man pages, the skf wrappers...
# (build-aux/, build-asan/, build-tsan/: what autotools and tests/run-all make)
sources=$(cd "$top" && find . -path './build*' -prune -o -path ./.git -prune -o -type f \
	\( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name Makefile.am -o -name '*.mk' \
	-o -name configure.ac -o -name '*.skf' -o -name '*.1' -o -name '*.5' -o -name '*.map' \) -print |
	grep -v -e '/autom4te.cache/' -e '^./config\.h$' | sort)
missing=$(cd "$top" && for f in $sources; do head -3 "$f" | grep -q 'SPDX-License-Identifier: LGPL-2\.1-or-later' || echo "$f"; done)
t_is "$missing" "" "each of the $(wc -w <<<"$sources") source files carries the SPDX line"

# Outside pointers: the first plan, the research notes, ../shared.
cites=$(cd "$top" && grep -rIl -E '(design|gmt-facts|style-anchors)\.md|\.\./shared|shared/(design|reference|seed)' \
	--exclude-dir=.git --exclude-dir='build*' --exclude-dir=autom4te.cache \
	--exclude=licence.sh --exclude='*.log' --exclude='*.trs' . 2>/dev/null)
t_is "$cites" "" "no file points to notes outside the repository"
