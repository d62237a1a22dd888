#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# libukey-renew has one public header, renew-plugin/include/ukey-renew.h,
# and its front-ends (the ukey command in tools/ukey/, ukey-vkey-seal in
# tools/vkey-seal.c, the assistant's server in tools/assistant/) use it
# alone; inside, its rooms (base, p11, service, seal, renew) include each
# other without a cycle. Read from the sources: nothing needs to be built.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/tap.sh"
top=${UKEY_TOP_SRCDIR:-$here}
r=$top/renew-plugin
tap_plan 5

# includes FILE: the names FILE includes with quotes, one a line.
includes() { sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"; }

own=$(cd "$top/tools" && ls -- ukey/*.h assistant/*.h | sed 's|.*/||')
bad= uses=0 n=0
for f in "$top"/tools/ukey/*.[ch] "$top"/tools/assistant/*.[ch] "$top/tools/vkey-seal.c"; do
	n=$((n + 1))
	while read -r inc; do
		case $inc in
		ukey-renew.h) uses=$((uses + 1)) ;;
		config.h | ukey-pkcs11.h) ;;
		*) grep -qxF -- "$inc" <<<"$own" || bad+=" ${f#"$top"/}:$inc" ;;
		esac
	done < <(includes "$f")
done
t_is "${bad:-none}, $((uses > 0))" "none, 1" \
	"the $n front-end files include ukey-renew.h ($uses times) and no other header of renew-plugin/"

incs=$(grep -oE -- '-I[^ ]*renew-plugin[^ ]*' "$top/tools/Makefile.am" | sort -u)
t_is "$incs" '-I$(top_srcdir)/renew-plugin/include' \
	"tools/Makefile.am gives the front-ends renew-plugin/include/, not renew-plugin/ (the compiler refuses the rest)"

pub=$(cd "$r/include" && ls -- *.h)
bad=
for f in "$r"/include/*.h; do
	while read -r inc; do
		grep -qxF -- "$inc" <<<"$pub
ukey-pkcs11.h" || bad+=" include/${f##*/}:$inc"
	done < <(includes "$f")
done
t_is "${bad:-none}, $(wc -l <<<"$pub")" "none, 3" \
	"the 3 public headers include only each other and the module's public header (they declare all a front-end reaches)"

# The seal library (libukeyseal) stands on these two: no PKCS#11 in them.
t_is "$(grep -lE '^[[:space:]]*#[[:space:]]*include.*(pkcs11|ukey-renew\.h)' "$r/include/ukey-base.h" \
	"$r/include/ukey-seal.h" 2>&1)" "" "ukey-base.h and ukey-seal.h include no PKCS#11 header"

# One edge per room that includes another room's header ("p11/p11.h");
# tsort fails on a loop and names it.
rooms="base p11 service seal renew"
edges=$(for room in $rooms; do
	for f in "$r/$room"/*.[ch]; do
		includes "$f" | sed -n 's|^\([a-z0-9]*\)/.*|\1|p' | while read -r to; do
			case " $rooms " in *" $to "*) [ "$to" != "$room" ] && echo "$room $to" ;; esac
		done
	done
done | sort -u)
order=$(tsort <<<"$edges" 2>&1)
st=$?
t_is "$st, $(($(grep -c . <<<"$edges") > 0))" "0, 1" \
	"renew-plugin's rooms include each other without a cycle ($(sed 's/ /->/' <<<"$edges" | tr '\n' ' ' | sed 's/ $//'))"
[ $st -eq 0 ] || t_diag "$order"
[ $t_failed -eq 0 ]
