#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz-cmp-response.sh: fuzzes the CMP answer's path in the renewal
# library (fuzz-cmp-response.c over renew-plugin/cmp/transfer.c and
# status.c, with OpenSSL's validation of the answer's protection) from
# corpus/cmp-response: real answers of OpenSSL's mock CMP server (kup,
# waiting, rejection, pkiConf) and the CA that signed them in
# cmp-response-ctx/ (made by capture-cmp-response.sh). See fuzz-lib.sh.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
renew_plugin_flags
r=$src/renew-plugin
export UKEY_FUZZ_CMP_CTX=$src/tests/fuzz/cmp-response-ctx
tap_plan 2
# The decoder's and the words' sources, and what they stand on; the HTTP
# client is linked in but never called.
fuzz fuzz-cmp-response "CMP answer decode, nonce, protection check and status words" \
	"$r/cmp/transfer.c" "$r/cmp/status.c" "$r/service/http.c" "$r/base/err.c" "$r/base/i18n.c" \
	"$r/base/text.c" "$r/p11/p11.c" "${codec[@]}"
[ $t_failed -eq 0 ]
