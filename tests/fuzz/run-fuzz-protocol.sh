#!/bin/bash
# run-fuzz-protocol.sh: builds tests/fuzz/fuzz-protocol-json.c (the renewal
# plugin's parsers of the CA service's answers: status, binding, order,
# invoices, seal list, nonce, error body) with clang's libFuzzer (+ ASan +
# UBSan) and runs it for a bounded time from its seed corpus
# (corpus/protocol-json: answers as docs/protocol.md and the reference
# service give them). Same style and environment as run-fuzz.sh
# (UKEY_FUZZ_SECONDS, UKEY_TOP_SRCDIR, UKEY_TOP_BUILDDIR, CLANG). SKIP when
# clang/libFuzzer is missing.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$src}
secs=${UKEY_FUZZ_SECONDS:-30}
. "$src/tests/lib/tap.sh"

cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		command -v "$c" >/dev/null && { cc=$c; break; }
	done
fi
[ -n "$cc" ] || tap_skip_all "clang not found (apt-get install clang)"
[ -f "$build/config.h" ] || tap_skip_all "no config.h in $build (configure the tree first)"
probe=$(mktemp -d) || exit 1
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	>"$probe/p.c"
"$cc" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null ||
	tap_skip_all "$cc cannot link -fsanitize=fuzzer (no libFuzzer runtime)"

r=$src/renew-plugin
# The parsers and what endpoints.c links against (the request side is never
# called: no network here).
proto_src="$r/json.c $r/endpoints.c $r/err.c $r/i18n.c $r/api.c $r/auth.c $r/http.c $r/p11.c
	$r/token.c $r/cert.c $r/seal/clean.c $r/seal/clean-auto.c $r/seal/clean-json.c $r/seal/seal-util.c"
pkg-config --exists json-c libcurl p11-kit-1 || tap_skip_all "json-c, libcurl or p11-kit development files missing"

# fuzz NAME WHAT SOURCES: builds and runs one target (two TAP lines).
fuzz() {
	local name=$1 what=$2 bin=$probe/$1 st a
	shift 2
	if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$build" -I"$r" -I"$src/module/include" $(pkg-config --cflags json-c libcurl p11-kit-1) \
		-DLOCALEDIR=\"/usr/share/locale\" -DUKEY_MODULE_PATH=\"ukey-pkcs11.so\" \
		"$src/tests/fuzz/$name.c" "$@" -lcrypto $(pkg-config --libs json-c libcurl) -ldl \
		-o "$bin" >"$probe/$name.build.log" 2>&1; then
		t_ok "the $what fuzz target builds with $cc -fsanitize=fuzzer,address,undefined"
	else
		t_fail "the $what fuzz target builds with $cc -fsanitize=fuzzer,address,undefined"
		t_diag "$(tail -n 20 "$probe/$name.build.log")"
		t_fail "fuzzing the $what (not built)"
		return
	fi
	mkdir -p "$probe/$name.corpus" "$probe/$name.artifacts"
	cp "$src/tests/fuzz/corpus/${name#fuzz-}/"* "$probe/$name.corpus/" 2>/dev/null
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		"$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$probe/$name.artifacts/" -print_final_stats=1 "$probe/$name.corpus" \
		>"$probe/$name.log" 2>&1
	st=$?
	if [ $st -eq 0 ]; then
		t_ok "$secs s of fuzzing the $what: no crash, no leak, invariants hold"
	else
		t_fail "$secs s of fuzzing the $what: no crash, no leak, invariants hold (exit $st)"
		t_diag "$(grep -E -A12 'ERROR|runtime error|deadly signal' "$probe/$name.log" | head -n 30)"
		for a in "$probe/$name.artifacts/"*; do
			[ -f "$a" ] && t_diag "crashing input (hex): $(od -An -tx1 -v "$a" | tr -d ' \n' | head -c 600)"
		done
	fi
}

tap_plan 2
fuzz fuzz-protocol-json "service answer parsers (status, binding, order, invoices, seals, nonce, error)" $proto_src
[ $t_failed -eq 0 ]
