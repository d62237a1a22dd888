#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey-renew-crash.sh on the SKF backend: SM2 dual certificates with an
# encryption order and seals, killed at each write of the SKF emulator.
UKEY_CRASH_BACKEND=sm2-skf exec bash "$(dirname "$0")/ukey-renew-crash.sh" "$@"
