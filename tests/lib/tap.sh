# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the shell tests (bash). Source it, call tap_plan N, then one
# t_* call per test case. Every line on stdout is TAP; chatter goes to stderr
# (it lands in the test's .log).
#
# Environment (set by tests/Makefile.am; defaults for running by hand):
#   UKEY_TOP_SRCDIR, UKEY_TOP_BUILDDIR  source and build tree
#   UKEY_TEST_MODULE                    the module under test
#   UKEY_TEST_PRELOAD                   preloaded into programs that load the
#                                       module (the ASan runtime in the
#                                       sanitizer pass of tests/run-all)

t_count=0
t_failed=0
t_planned=

tap_plan() {
	t_planned=$1
	echo "1..$1"
}

tap_skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# need_tools TOOL...: skips the whole test when a program is missing.
need_tools() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || tap_skip_all "$t not installed (tools/install-deps)"
	done
}

t_ok() {
	t_count=$((t_count + 1))
	echo "ok $t_count - $*"
}

t_fail() {
	t_count=$((t_count + 1))
	t_failed=$((t_failed + 1))
	echo "not ok $t_count - $*"
}

t_diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# t_check DESC COMMAND...: ok when COMMAND succeeds.
t_check() {
	local desc=$1
	shift
	if "$@"; then
		t_ok "$desc"
	else
		t_fail "$desc"
	fi
}

# t_is GOT WANT DESC
t_is() {
	if [ "$1" = "$2" ]; then
		t_ok "$3"
	else
		t_fail "$3"
		t_diag "got:  '$1'" "want: '$2'"
	fi
}

# t_grep DESC PATTERN TEXT: ok when the extended regexp matches a line.
t_grep() {
	if grep -Eq -- "$2" <<<"$3"; then
		t_ok "$1"
	else
		t_fail "$1"
		t_diag "no line matches: $2" "in:" "$3"
	fi
}

# t_nogrep DESC PATTERN TEXT PROOF: ok when no line matches PATTERN and a
# line matches PROOF. An absence proves nothing by itself: a tool that did
# not run (not installed, crashed, no pseudo-terminal...) prints nothing
# either. PROOF is what TEXT holds only when the tool got to the point where
# PATTERN would have appeared.
t_nogrep() {
	if [ $# -ne 4 ] || [ -z "$4" ]; then
		t_fail "$1"
		t_diag "t_nogrep needs a PROOF pattern (the evidence that the tool ran)"
	elif ! grep -Eq -- "$4" <<<"$3"; then
		t_fail "$1"
		t_diag "no line matches the proof that the tool ran: $4" "in:" "$3"
	elif grep -Eq -- "$2" <<<"$3"; then
		t_fail "$1"
		t_diag "unexpected match: $2" "in:" "$3"
	else
		t_ok "$1"
	fi
}

# Locates the trees and the module, makes a scratch directory removed at
# exit, and checks the tools the shell tests drive.
tap_setup() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	UKEY_TOP_SRCDIR=${UKEY_TOP_SRCDIR:-$here}
	UKEY_TOP_BUILDDIR=${UKEY_TOP_BUILDDIR:-$UKEY_TOP_SRCDIR}
	MODULE=${UKEY_TEST_MODULE:-$UKEY_TOP_BUILDDIR/module/.libs/ukey-pkcs11.so}
	VKEY=$UKEY_TOP_SRCDIR/tools/ukey-vkey
	export UKEY_TOP_SRCDIR UKEY_TOP_BUILDDIR
	need_tools pkcs11-tool openssl softhsm2-util
	# make check builds the module first, so its absence is a failure.
	[ -f "$MODULE" ] || {
		echo "Bail out! module not built: $MODULE"
		exit 1
	}
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/ukey-test.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
}

# vkey_make DIR rsa|ec [ukey-vkey options]: makes a virtual U-KEY, points
# SOFTHSM2_CONF/UKEY_PKCS11_CONF at it, sets SERIAL LABEL PIN SOPIN CA.
vkey_make() {
	local dir=$1 type=$2
	shift 2
	if ! "$VKEY" create "$dir" --key-type "$type" "$@" >&2; then
		echo "Bail out! ukey-vkey create failed"
		exit 1
	fi
	eval "$("$VKEY" env "$dir")"
	SERIAL=$(sed -n 's/^serial=//p' "$dir/vkey.info")
	LABEL=$(sed -n 's/^label=//p' "$dir/vkey.info")
	PIN=$(sed -n 's/^user_pin=//p' "$dir/vkey.info")
	SOPIN=$(sed -n 's/^so_pin=//p' "$dir/vkey.info")
	CA=$(sed -n 's/^ca_cert=//p' "$dir/vkey.info")
}

# p11 ARGS...: pkcs11-tool through the module under test. In the sanitizer
# pass the ASan runtime is preloaded into this one program so it can load
# the instrumented module: memory errors in the module are caught here.
# Leak checking is off for it: pkcs11-tool 0.23 itself leaks (decoded
# certificate names on -O, and 1 byte per private key listed after login;
# both also seen with valgrind against SoftHSM directly, no ukey module
# involved), and LSan can only suppress by a frame anywhere in the stack,
# which for a stripped binary would hide the module's leaks too. The
# module's own leaks are checked by the C tests, which run with leak
# detection and no suppression.
p11() {
	if [ -n "${UKEY_TEST_PRELOAD:-}" ]; then
		LD_PRELOAD=$UKEY_TEST_PRELOAD \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
			pkcs11-tool --module "$MODULE" "$@"
	else
		pkcs11-tool --module "$MODULE" "$@"
	fi
}

# Ends a test. A failed case is already a "not ok" line, so the exit status
# only reports what TAP lines cannot: a count that does not match the plan
# (the TAP driver turns a nonzero exit into one more ERROR result).
tap_done() {
	if [ -n "$t_planned" ] && [ "$t_count" -ne "$t_planned" ]; then
		t_diag "planned $t_planned tests, ran $t_count"
		exit 1
	fi
	exit 0
}
