#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz-protocol.sh: fuzzes the renewal plugin's parsers of the CA
# service's answers (fuzz-protocol-json.c: status, binding, order, invoices,
# seal list, nonce, error body) from corpus/protocol-json. The request side
# is linked but never called (no network here). See fuzz-lib.sh.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
renew_plugin_flags
r=$src/renew-plugin
tap_plan 2
fuzz fuzz-protocol-json "service answer parsers (status, binding, order, invoices, seals, nonce, error)" \
	"$r/base/err.c" "$r/base/i18n.c" "$r/service/json.c" "$r/service/parse.c" \
	"$r/seal/clean.c" "$r/seal/clean-auto.c" "$r/seal/clean-json.c" "$r/seal/seal-util.c" "${codec[@]}"
[ $t_failed -eq 0 ]
