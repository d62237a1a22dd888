# SPDX-License-Identifier: LGPL-2.1-or-later
# fuzz-lib.sh: what the fuzz runners share. Sourced by run-fuzz*.sh: finds
# clang (CLANG, else clang, else clang-14) and checks that it links
# -fsanitize=fuzzer (TAP SKIP with the reason otherwise), then offers
#   fuzz NAME WHAT SOURCES...
# which builds tests/fuzz/NAME.c with libFuzzer + ASan + UBSan (plus the
# runner's FUZZ_CFLAGS / FUZZ_LIBS) and runs it for UKEY_FUZZ_SECONDS
# (default 30) from a scratch copy of tests/fuzz/corpus/<NAME without
# "fuzz-">/ (and of $FUZZ_EXTRA_CORPUS/ when set), printing two TAP lines;
# and $codec, the codec library's sources (common/, include flag in
# $codec_flags), for the targets that reach a byte format.
# Environment: UKEY_FUZZ_SECONDS, UKEY_TOP_SRCDIR, UKEY_TOP_BUILDDIR
# (config.h), CLANG.
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

FUZZ_CFLAGS=${FUZZ_CFLAGS:-}
FUZZ_LIBS=${FUZZ_LIBS:-}
# The codec library (common/): every target that reaches a byte format
# compiles it in whole, with its headers on the include path.
codec=("$src"/common/*.c)
codec_flags="-I$src/common"

# renew_plugin_flags: FUZZ_CFLAGS / FUZZ_LIBS for targets over renew-plugin/
# sources (or TAP SKIP when their development files are missing).
renew_plugin_flags() {
	pkg-config --exists json-c libcurl p11-kit-1 || tap_skip_all "json-c, libcurl or p11-kit development files missing"
	FUZZ_CFLAGS="-I$src/renew-plugin -I$src/renew-plugin/include $codec_flags -I$src/module/include $(pkg-config --cflags json-c libcurl p11-kit-1)
		-DLOCALEDIR=\"/usr/share/locale\" -DUKEY_MODULE_PATH=\"ukey-pkcs11.so\""
	FUZZ_LIBS="$(pkg-config --libs json-c libcurl) -ldl"
}

# fuzz NAME WHAT SOURCES: builds and runs one target (two TAP lines).
fuzz() {
	local name=$1 what=$2 bin=$probe/$1 st a
	shift 2
	if "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$build" $FUZZ_CFLAGS "$src/tests/fuzz/$name.c" "$@" -lcrypto $FUZZ_LIBS \
		-o "$bin" >"$probe/$name.build.log" 2>&1; then
		t_ok "the $what fuzz target builds with $cc -fsanitize=fuzzer,address,undefined"
	else
		t_fail "the $what fuzz target builds with $cc -fsanitize=fuzzer,address,undefined"
		t_diag "$(tail -n 20 "$probe/$name.build.log")"
		t_fail "fuzzing the $what (not built)"
		return
	fi
	mkdir -p "$probe/$name.corpus" "$probe/$name.artifacts"
	cp "$src/tests/fuzz/corpus/${name#fuzz-}/"* ${FUZZ_EXTRA_CORPUS:+"$FUZZ_EXTRA_CORPUS"/*} "$probe/$name.corpus/" \
		2>/dev/null
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

