#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Documentation that tells the truth (issue 11, item 10), checked against
# the code so it stays true: docs/ukey.1 has a section and a synopsis line
# for every command `ukey --help` lists, documents every exit status of
# tools/ukey/ukey.h, every environment variable the command reads (found in
# its sources), ~/.config/ukey/ukey.conf with its keys, and renders without
# warnings; the README no longer calls renewal "the next step", says the
# online steps need a service that speaks docs/protocol.md, and keeps its
# first code block's two commands.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
UKEY=$build/tools/ukey/ukey
MAN=$top/docs/ukey.1
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
command -v groff >/dev/null || tap_skip_all "groff not installed"
tap_plan 10

# The man page's section between .SH NAME and the next .SH.
section() { sed -n "/^\\.SH $1\$/,/^\\.SH /p" "$MAN" | sed '$d'; }
unesc() { sed 's/\\-/-/g'; }

cmds=$(LC_ALL=C "$UKEY" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
missing=
for c in $cmds; do
	grep -qx "\\.SS $c" <(unesc <"$MAN") || missing+=" $c"
done
t_is "$(wc -w <<<"$cmds") ${missing:-none}" "15 none" "every command of ukey --help has its section in ukey(1)"
synopsis=$(section SYNOPSIS | unesc)
missing=
for c in $cmds; do
	grep -qx "\\.B ukey $c.*" <<<"$synopsis" || missing+=" $c"
done
t_is "${missing:-none}" none "... and its synopsis line"

codes=$(sed -n 's/^#define UKEY_EXIT_[A-Z]* \([0-9]*\) .*/\1/p' "$top/tools/ukey/ukey.h" | sort -n | tr '\n' ' ')
documented=$(section 'EXIT STATUS' | sed -n '/^\.TP$/{n;s/^\.B \([0-9]*\)$/\1/p}' | sort -n | tr '\n' ' ')
t_is "$documented" "$codes" "EXIT STATUS documents every exit code of tools/ukey/ukey.h ($codes)"

vars=$(cat "$top"/renew-plugin/*/*.c "$top"/tools/ukey/*.c "$top"/tools/assistant/*.c |
	grep -o -e 'getenv("[A-Z_]*")' -e 'env_over([^"]*"[A-Z_]*")' | grep -o '"[A-Z_]*"' | tr -d '"' | sort -u)
# Read once: grep -q at the end of a pipe stops reading at its match, and
# under pipefail the writer's SIGPIPE (a section over one 4 KiB write)
# would count as the name missing.
env_section=$(section ENVIRONMENT | unesc)
missing=
for v in $vars UKEY_PKCS11_CONF; do
	grep -q "\\b$v\\b" <<<"$env_section" || missing+=" $v"
done
t_is "${missing:-none}" none "ENVIRONMENT names every variable the command reads ($(wc -w <<<"$vars") found in its sources)"
t_grep "FILES documents ~/.config/ukey/ukey.conf and its keys" '^\.I ~/\.config/ukey/ukey\.conf$' "$(section FILES | unesc)"
t_is "$(section FILES | unesc | grep -c -e '^\[module\]$' -e '^path = ' -e '^\[service\]$' -e '^url = ' -e '^ca = ')" 5 \
	"... with an example of [module] path and [service] url, ca"
t_is "$(LC_ALL=C.UTF-8 groff -ww -man -Tutf8 -z "$MAN" "$top/docs/ukey-pkcs11.conf.5" 2>&1)" "" \
	"ukey(1) and ukey-pkcs11.conf(5) render without a warning"

readme=$top/README.md
t_nogrep "the README no longer says renewal is 'the next step'" "is the next\s+step|next step\. Man page" "$(tr '\n' ' ' <"$readme")" "ukey-pkcs11"
t_is "$(sed -n '/^```$/,/^```$/p' "$readme" | sed -n '1,4p' | tr '\n' '|')" \
	'```|tools/install-deps && ./autogen.sh && ./configure && make -j2 && tools/ukey-demo|tests/run-all|```|' \
	"README: its first code block's two commands, unchanged"
t_grep "README: the online steps need a CA service that speaks docs/protocol.md" \
	'The online steps .* need a CA service that speaks the protocol in `docs/protocol\.md`' "$(tr '\n' ' ' <"$readme")"

tap_done
