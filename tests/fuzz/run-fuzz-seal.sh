#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz-seal.sh: fuzzes the seal decoder and verifier (fuzz-seal.c, from
# corpus/seal: seals made by the reference CA service and in-the-wild
# shapes) and the seal-cleaning plan parser and rules (fuzz-plan-json.c).
# See fuzz-lib.sh for the environment.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
pkg-config --exists json-c || tap_skip_all "json-c development files missing"
s=$src/renew-plugin/seal
FUZZ_CFLAGS="-I$src/renew-plugin -I$src/renew-plugin/include $(pkg-config --cflags json-c)"
FUZZ_LIBS=$(pkg-config --libs json-c)
tap_plan 4
fuzz fuzz-seal "seal decoder and verifier" "$s/der.c" "$s/seal-decode.c" "$s/seal-util.c" "$s/seal-verify.c"
fuzz fuzz-plan-json "seal-cleaning plan parser and rules" "$s/clean.c" "$s/clean-auto.c" "$s/clean-json.c" \
	"$s/seal-util.c"
[ $t_failed -eq 0 ]
