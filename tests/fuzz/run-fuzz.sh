#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz.sh: fuzzes the SKF blob codecs (tests/fuzz/fuzz-skf-blob.c:
# ECC public key, signature and cipher blobs <-> DER, round trips checked)
# from corpus/skf-blob. See fuzz-lib.sh for the environment.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
FUZZ_CFLAGS="-I$src/module -I$src/module/include"
tap_plan 2
fuzz fuzz-skf-blob "SKF blob codecs" "$src/module/drivers/skf/blob.c" "$src/module/util/log.c"
[ $t_failed -eq 0 ]
