#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's main command, tools/ukey-demo, runs the CA's guide end to end
# on a virtual U-KEY and the local reference service: this keeps it true.
# Both key kinds (RSA, EC P-256); each run must exit 0 and report the
# guide's milestones, the renewal with seals and the encryption certificate
# among them. Its own FAIL lines name any step that broke. And the demo of the
# renewal by CMP (--cmp, RSA): the same guide, the renewal a CMP key update
# at the reference service's CMP endpoint, confirmed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
need_tools openssl jq pkcs11-tool softhsm2-util
[ -x "$build/ca-service/ca-service" ] || tap_skip_all "ca-service not built"
# The demo's pkcs11-tool is not instrumented and the demo (a user's
# command) knows nothing of the test preload.
[ -z "${UKEY_TEST_PRELOAD:-}" ] || tap_skip_all "sanitizer pass: the demo's pkcs11-tool cannot load an ASan-built module"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-demo-test.XXXXXX")
trap '[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"' EXIT
tap_plan 14
# Its own HOME and runtime dir: the demo must not need the caller's.
export HOME=$W XDG_RUNTIME_DIR=$W/run UKEY_TOP_BUILDDIR=$build
mkdir -m 700 "$W/run"
unset UKEY_CONFIG UKEY_PIN_FILE UKEY_SERVICE_URL UKEY_SERVICE_CA XDG_STATE_HOME

# demo NAME OPTION: runs tools/ukey-demo OPTION into out; it must exit 0
# (else the first FAIL lines are shown).
demo() {
	out=$(timeout 300 "$top/tools/ukey-demo" "$2" 2>&1)
	local rc=$?
	t_is "$rc" 0 "$1: tools/ukey-demo $2 exits 0"
	[ "$rc" = 0 ] || t_diag "$(grep -E '^FAIL' <<<"$out" | head -n 3)"
}

for kind in rsa ec; do
	demo "$kind" --"$kind"
	t_grep "$kind: ... it binds the certificate" "^OK   binding confirmed" "$out"
	t_grep "$kind: ... renews with seals in eight journaled steps" "^OK   all eight steps done" "$out"
	t_grep "$kind: ... the new encryption key from the CA's envelope works, the old one is kept" \
		"^OK   (the old encryption key still decrypts|both encryption private keys are on the token)" "$out"
	t_grep "$kind: ... and ends with the guide done" "^== Done: the guide's steps ran" "$out"
done
demo cmp --cmp
t_grep "cmp: ... renews by CMP in eight journaled steps" "^OK   all eight steps done, by CMP" "$out"
t_grep "cmp: ... the journal records the confirmed CMP transaction" "^OK   journal: CMP transaction [0-9a-f]{32}, certificate confirmed" "$out"
t_grep "cmp: ... the new key signs, the old certificate is gone, and the guide is done" \
	"^== Done: the guide's steps ran" "$(grep -A100 '^OK   the old certificate .* is no longer on the token' <<<"$out")"
tap_done
