#!/bin/bash
# run-fuzz.sh: builds tests/fuzz/fuzz-skf-blob.c with clang's libFuzzer
# (+ ASan + UBSan) outside automake and runs it for a bounded time, starting
# from the seed corpus in tests/fuzz/corpus/skf-blob/. TAP output:
#   ok 1 - the SKF blob fuzz target builds
#   ok 2 - N s of fuzzing the SKF blob codecs: no crash, round trips hold
# SKIP (with the reason) when clang or its libFuzzer runtime is missing.
#
# Environment: UKEY_FUZZ_SECONDS (default 30), UKEY_TOP_SRCDIR,
# UKEY_TOP_BUILDDIR (config.h), CLANG (default: clang, else clang-14).
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

tap_plan 2
bin=$probe/fuzz-skf-blob
if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$build" -I"$src/module" -I"$src/module/include" \
	"$src/tests/fuzz/fuzz-skf-blob.c" "$src/module/drivers/skf-blob.c" "$src/module/util/log.c" \
	-lcrypto -o "$bin" >"$probe/build.log" 2>&1; then
	t_ok "the SKF blob fuzz target builds with $cc -fsanitize=fuzzer,address,undefined"
else
	t_fail "the SKF blob fuzz target builds with $cc -fsanitize=fuzzer,address,undefined"
	t_diag "$(tail -n 20 "$probe/build.log")"
	t_fail "fuzzing the SKF blob codecs (not built)"
	exit 1
fi

# The corpus grows in a scratch copy; the committed seeds stay as they are.
mkdir -p "$probe/corpus" "$probe/artifacts"
cp "$src/tests/fuzz/corpus/skf-blob/"* "$probe/corpus/" 2>/dev/null
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=1024 \
	-artifact_prefix="$probe/artifacts/" -print_final_stats=1 "$probe/corpus" >"$probe/fuzz.log" 2>&1
st=$?
if [ $st -eq 0 ]; then
	t_ok "$secs s of fuzzing the SKF blob codecs: no crash, round trips hold ($(grep -c . <(ls "$probe/corpus")) inputs)"
else
	t_fail "$secs s of fuzzing the SKF blob codecs: no crash, round trips hold (exit $st)"
	t_diag "$(grep -E -A12 'ERROR|runtime error|deadly signal' "$probe/fuzz.log" | head -n 30)"
	for a in "$probe/artifacts/"*; do
		[ -f "$a" ] && t_diag "crashing input (hex): $(od -An -tx1 -v "$a" | tr -d ' \n' | head -c 600)"
	done
fi
[ $t_failed -eq 0 ]
