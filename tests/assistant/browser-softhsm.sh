#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The renewal assistant's page in headless Chromium, the whole guide by
# keyboard alone (browser-skf.sh walks it by clicking), on a SoftHSM RSA
# virtual U-KEY; English first, then Chinese (tests/assistant/browser.py
# says what is checked).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/assistant/browser-lib.sh"
export WALK=keys
browser_main softhsm rsa en
