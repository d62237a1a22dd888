#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs test-threads (parallel signing and searching; login/logout churn)
# from a ThreadSanitizer build of the module and tests, so
# data races in the module's locking show up as failures. Builds nothing:
# tests/run-all makes the TSan build and sets UKEY_TSAN_BUILDDIR, e.g.
#   mkdir B && cd B && $srcdir/configure --enable-tsan && make -C module &&
#   make -C tests integration/test-threads
# Without it the test is skipped. SoftHSM and OpenSSL are not instrumented;
# TSan still sees their pthread locking through its interceptors, and no
# suppressions are needed (checked with SoftHSM 2.6.1, OpenSSL 3.0, gcc 12).
set -u
. "${UKEY_TOP_SRCDIR:-$(dirname "$0")/../..}/tests/lib/tap.sh"

b=${UKEY_TSAN_BUILDDIR:-}
[ -n "$b" ] || tap_skip_all "UKEY_TSAN_BUILDDIR not set (no ThreadSanitizer build)"
prog=$b/tests/integration/test-threads
module=$b/module/.libs/ukey-pkcs11.so

tap_plan 3
if [ -x "$prog" ] && [ -f "$module" ] && nm -D "$module" | grep -q __tsan_; then
	t_ok "TSan build has test-threads and an instrumented module"
else
	t_fail "TSan build has test-threads and an instrumented module"
	t_diag "missing or uninstrumented: $prog $module"
	exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# halt_on_error=0: collect every report in one run; exitcode makes any
# report fail the program even when all its checks passed. LD_PRELOAD is
# cleared because an ASan runtime from another pass cannot mix with TSan.
env -u LD_PRELOAD \
	TSAN_OPTIONS="halt_on_error=0 exitcode=66 second_deadlock_stack=1 history_size=4" \
	UKEY_THREAD_TEST_SECONDS="${UKEY_THREAD_TEST_SECONDS:-2}" \
	UKEY_TEST_MODULE="$module" CMOCKA_MESSAGE_OUTPUT=TAP \
	"$prog" >"$out" 2>&1
rc=$?
sed 's/^/    /' "$out" >&2
t_diag "$(grep '^# .*workers' "$out" | sed 's/^# //')"
if [ "$rc" = 0 ] && grep -q '^ok 1 ' "$out" && grep -q '^ok 2 ' "$out" && ! grep -q '^not ok' "$out"; then
	t_ok "test-threads passes under ThreadSanitizer"
else
	t_fail "test-threads passes under ThreadSanitizer (exit $rc)"
fi
n=$(grep -c 'WARNING: ThreadSanitizer' "$out")
t_is "$n $(grep -c '^ok 1 ' "$out")" "0 1" "ThreadSanitizer reports no data race or lock-order problem (in a run that passed)"
[ "$t_failed" = 0 ]
