#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz.sh: fuzzes the SKF blob codecs (tests/fuzz/fuzz-skf-blob.c:
# ECC public key, signature and cipher blobs <-> DER, round trips checked)
# from corpus/skf-blob, and the envelope parser (fuzz-envelope.c,
# common/envelope.c) from corpus/envelope. See fuzz-lib.sh for the
# environment.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
FUZZ_CFLAGS="-I$src/module -I$src/module/include"
tap_plan 4
fuzz fuzz-skf-blob "SKF blob codecs" "$src/module/drivers/skf/blob.c" "$src/module/util/log.c"
c=$src/common
FUZZ_CFLAGS="-I$c"
fuzz fuzz-envelope "envelope parser" "$c/envelope.c" "$c/skfblob.c" "$c/sm2cipher.c" "$c/der-strict.c"
[ $t_failed -eq 0 ]
