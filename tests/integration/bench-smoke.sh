#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench/bench-module runs end to end on a fresh virtual U-KEY (--quick): it
# exits 0, prints every row of the table with numbers, finds the RSA
# signatures identical on both sides, gives well-formed JSON, and fails
# cleanly on a module that does not exist. Never asserts a speed: timings on
# a shared machine are no test verdict.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 9

BENCH=$UKEY_TOP_BUILDDIR/bench/bench-module
# bench/ comes after tests/ in SUBDIRS, so a bare `make check` may not have
# built it yet.
if [ ! -x "$BENCH" ]; then
	${MAKE:-make} -C "$UKEY_TOP_BUILDDIR/bench" bench-module >&2
fi
t_check "bench-module is built" test -x "$BENCH"

out=$("$BENCH" --quick --module "$MODULE" 2>"$WORK/err")
st=$?
t_is "$st" 0 "bench-module --quick exits 0"
[ $st -eq 0 ] || t_diag "$(cat "$WORK/err")"

num='[0-9]+\.[0-9]+'
t_grep "the table has its header" '^operation +direct +module +ratio' "$out"
n=0
for row in 'RSA-2048 sign CKM_SHA256_RSA_PKCS' 'RSA-2048 sign CKM_RSA_PKCS\(DigestInfo\)' \
	'P-256 sign CKM_ECDSA' 'C_GetAttributeValue cert LABEL\+ID' 'Find all CKO_DATA' \
	'RSA sign, 1 thread' 'RSA sign, 2 threads'; do
	grep -Eq "$row.* $num/c?s +$num/c?s +$num +$num" <<<"$out" && n=$((n + 1))
done
grep -Eq "^2 threads / 1 thread speed-up +${num}x +${num}x +$num" <<<"$out" && n=$((n + 1))
t_is "$n" 8 "all 8 rows carry figures"
t_grep "both sides made identical RSA signatures and found 100 objects" \
	'^check: RSA signatures identical on both sides; both found 100 CKO_DATA objects' "$out"

json=$("$BENCH" --quick --json --objects 20 --module "$MODULE" 2>"$WORK/err")
st=$?
t_is "$st" 0 "bench-module --quick --json exits 0"
t_grep "the JSON run reports success" '"ok": true' "$json"
t_is "$(grep -c '"op": ' <<<"$json")" 8 "the JSON holds 8 results"

"$BENCH" --quick --module "$WORK/no-such-module.so" >/dev/null 2>"$WORK/err"
st=$?
if [ $st -ne 0 ] && grep -q 'no-such-module.so' "$WORK/err"; then
	t_ok "a missing module is a clear error"
else
	t_fail "a missing module is a clear error"
	t_diag "exit status $st" "$(cat "$WORK/err")"
fi
tap_done
