#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz-seal.sh: fuzzes the seal decoder and verifier (fuzz-seal.c, from
# corpus/seal: seals made by the reference CA service and in-the-wild
# shapes; over the codec library's DER reader and seal ASN.1) and the
# seal-cleaning plan parser and rules (fuzz-plan-json.c); and the codec
# library's parsers on their own (fuzz-codec.c, from corpus/codec: DER
# elements, the SESeal templates, signatures, PEM, base64, hex).
# See fuzz-lib.sh for the environment.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
pkg-config --exists json-c || tap_skip_all "json-c development files missing"
s=$src/renew-plugin/seal
FUZZ_CFLAGS="-I$src/renew-plugin -I$src/renew-plugin/include $codec_flags $(pkg-config --cflags json-c)"
FUZZ_LIBS=$(pkg-config --libs json-c)
tap_plan 6
fuzz fuzz-seal "seal decoder and verifier" "$s/seal-decode.c" "$s/seal-util.c" "$s/seal-verify.c" "${codec[@]}"
fuzz fuzz-plan-json "seal-cleaning plan parser and rules" "$s/clean.c" "$s/clean-auto.c" "$s/clean-json.c" \
	"$s/seal-util.c" "${codec[@]}"
fuzz fuzz-codec "codec library's parsers (DER, SESeal, signatures, PEM, base64, hex)" "${codec[@]}"
[ $t_failed -eq 0 ]
