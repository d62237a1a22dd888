#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The module's layering rules that the compiler cannot see
# (docs/architecture.md): token/backend.c is the one gate to the drivers
# (the only caller of the vtable, the only taker of the device lock), no
# file above drivers/ includes a driver's own header or judges a format the
# drivers implement, and token/'s headers include each other without a
# cycle, and no two folders of the product include each other's headers
# round a loop. Each check also proves it looked: what it forbids elsewhere is
# found where it belongs.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
. "$here/tests/lib/tap.sh"
top=${UKEY_TOP_SRCDIR:-$here}
mod=$top/module
tap_plan 6

# grep -rnE $1 over C sources, less comment lines, paths relative to
# module/; lines of the files allowed to match ($2, an ERE on the path)
# start with "ALLOWED " instead: a line starting with a path is one too many.
code() {
	(cd "$mod" && grep -rnE --include='*.c' --include='*.h' -- "$1" token api drivers 2>/dev/null) |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)' | sed -E "s#^($2):#ALLOWED &#"
}

t_nogrep "no driver operation is called outside token/backend.c" '^[a-z]' \
	"$(code 'ops->' 'token/backend\.c|drivers/.*')" '^ALLOWED token/backend\.c:'

t_nogrep "the device lock is taken only in token/backend.c" '^[a-z]' \
	"$(code 'pthread_mutex_(try)?(un)?lock\(&[^)]*dev_lock' 'token/backend\.c')" '^ALLOWED token/backend\.c:'

# driver.h is the common language; anything else of drivers/ is a driver's own.
t_nogrep "token/ and api/ include no driver's own header" '^[a-z]' \
	"$(code '#include "drivers/' 'drivers/.*' | sed -E 's#^(token|api)/[^:]*:[0-9]+:\#include "drivers/driver\.h"#DRIVER.H#')" \
	'^DRIVER\.H'

# An envelope's length is a fact of its format, which a driver implements.
t_nogrep "token/ judges no envelope's length (the drivers do)" '^[a-z]' \
	"$(code 'CKR_WRAPPED_KEY_LEN_RANGE' 'drivers/.*')" '^ALLOWED drivers/'

# Edges "header included-header" between token/ headers; tsort fails on a loop.
edges=$(cd "$mod" && for h in token/*.h; do
	sed -n 's|^#include "\(token/[^"]*\.h\)".*|\1|p' "$h" | sed "s|^|$h |"
done)
loop=$(tsort <<<"$edges" 2>&1 >/dev/null)
if [ -n "$edges" ] && [ -z "$loop" ]; then
	t_ok "token/'s headers include each other without a cycle ($(wc -l <<<"$edges") includes)"
else
	t_fail "token/'s headers include each other without a cycle"
	t_diag "${loop:-no include between token/ headers found}"
fi
# Edges "folder included-folder" over the whole product (not tests/): each
# quoted include resolved the way the Makefiles' -I flags do (the file's own
# folder, then the include roots); tsort fails on a loop between folders.
roots="module module/include renew-plugin renew-plugin/include common"
folder_edges=$(cd "$top" && find module renew-plugin common tools ca-service emulator \
	-name '*.[ch]' 2>/dev/null |
	while read -r f; do
		d=${f%/*}
		sed -n 's|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*|\1|p' "$f" |
			while read -r inc; do
				for r in "$d" $roots; do
					[ -f "$r/$inc" ] || continue
					t=$(realpath -m --relative-to=. "$r/$inc")
					[ "${t%/*}" != "$d" ] && echo "$d ${t%/*}"
					break
				done
			done
	done | sort -u)
loop=$(tsort <<<"$folder_edges" 2>&1 >/dev/null)
if [ "$(wc -l <<<"$folder_edges")" -gt 10 ] && [ -z "$loop" ]; then
	t_ok "no include cycle between the product's folders ($(wc -l <<<"$folder_edges") folder edges)"
else
	t_fail "no include cycle between the product's folders"
	t_diag "${loop:-too few includes between folders found: $(wc -l <<<"$folder_edges")}"
fi
tap_done
