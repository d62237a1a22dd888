#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The assistant's desktop entry: valid for desktop-file-validate, named in
# English and Chinese as the menus show it, and starting `ukey assistant`.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
. "$top/tests/lib/tap.sh"
command -v desktop-file-validate >/dev/null || tap_skip_all "desktop-file-validate not installed (desktop-file-utils, tools/install-deps)"
f=$top/tools/assistant/ukey-assistant.desktop
tap_plan 4
out=$(desktop-file-validate "$f" 2>&1)
t_is "$?:$out" "0:" "desktop-file-validate accepts it, without a warning"
t_grep "Name=U-KEY renewal" '^Name=U-KEY renewal$' "$(cat "$f")"
t_grep "Name[zh_CN]=U-KEY 证书续期" '^Name\[zh_CN\]=U-KEY 证书续期$' "$(cat "$f")"
t_grep "Exec=ukey assistant" '^Exec=ukey assistant$' "$(cat "$f")"
