#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The renewal assistant's page in headless Chromium, the whole guide by
# clicking, on an SKF emulator SM2 virtual U-KEY (and a second key coming
# and going: the page follows it live); Chinese first, then English
# (tests/assistant/browser.py says what is checked).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/assistant/browser-lib.sh"
browser_main skf sm2 zh
