#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz.sh: fuzzes the SKF blob codecs (tests/fuzz/fuzz-skf-blob.c: the
# GM/T 0016 blobs and SM2Cipher of common/, round trips checked, and the
# skf driver's file checks) from corpus/skf-blob, and the envelope parser
# (fuzz-envelope.c, common/envelope.c) from corpus/envelope. See
# fuzz-lib.sh for the environment.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
FUZZ_CFLAGS="-I$src/module -I$src/module/include -I$src/common"
c=$src/common
tap_plan 4
fuzz fuzz-skf-blob "SKF blob codecs" "$c/skfblob.c" "$c/sm2cipher.c" "$c/der-strict.c" "$src/module/drivers/skf/blob.c"
fuzz fuzz-envelope "envelope parser" "$c/envelope.c" "$c/skfblob.c" "$c/sm2cipher.c" "$c/der-strict.c"
[ $t_failed -eq 0 ]
