#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# run-fuzz-renew-answer.sh: fuzzes the renewal answer's parse and check
# (fuzz-renew-answer.c over renew-plugin/renew/answer.c and check.c, with
# the seal decoder and verifier) from corpus/renew-answer: real answers of
# the reference service with their contexts in renew-answer-ctx/ (see
# capture-renew-answer.sh), plus two answers captured from a fresh reference
# service at run time when the build tree has one. See fuzz-lib.sh.
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-lib.sh"
renew_plugin_flags
r=$src/renew-plugin
export UKEY_FUZZ_RENEW_CTX=$probe/renew-answer.ctx
mkdir -p "$UKEY_FUZZ_RENEW_CTX" "$probe/fresh" && cp "$src/tests/fuzz/renew-answer-ctx/"*.ctx "$UKEY_FUZZ_RENEW_CTX/"
tap_plan 3
if [ -x "$build/ca-service/ca-service" ] &&
	UKEY_TOP_SRCDIR=$src UKEY_TOP_BUILDDIR=$build bash "$src/tests/fuzz/capture-renew-answer.sh" "$probe/fresh" \
		"$probe/fresh" >"$probe/capture.log" 2>&1; then
	for f in "$probe/fresh/"*.json; do
		b=$(basename "$f" .json)
		mv "$f" "$probe/fresh/fresh-$b.json" && mv "$probe/fresh/$b.ctx" "$UKEY_FUZZ_RENEW_CTX/fresh-$b.ctx"
	done
	t_ok "two real answers captured from a fresh reference service, added to the seeds"
elif [ -x "$build/ca-service/ca-service" ]; then
	t_fail "two real answers captured from a fresh reference service, added to the seeds"
	t_diag "$(tail -n 5 "$probe/capture.log")"
else
	t_ok "# SKIP no reference service built in $build: the committed seeds only"
fi
# A tree configured with --enable-failpoints has the steps call ukey_failpoint.
fp=()
grep -q '^#define UKEY_FAILPOINTS' "$build/config.h" && fp=("$r/base/failpoint.c")
FUZZ_EXTRA_CORPUS=$probe/fresh fuzz fuzz-renew-answer "renewal answer parse and check (types, certificate, chain, seals, envelope)" \
	"$r/renew/answer.c" "$r/renew/check.c" "$r/renew/journal.c" "$r/renew/encrypt.c" "$r/renew/keygen.c" "$r/renew/pending.c" \
	"$r/service/json.c" "$r/base/err.c" "$r/base/i18n.c" "$r/base/text.c" "$r/p11/p11.c" \
	"$r/seal/seal-decode.c" "$r/seal/seal-util.c" "$r/seal/seal-verify.c" "${codec[@]}" ${fp[@]+"${fp[@]}"}
[ $t_failed -eq 0 ]
