#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A process that had the module loaded before `ukey renew` (as a browser
# has) sees the renewal without a restart (docs/architecture.md, "The inventory cache": the inventory cache
# and the generation file under $XDG_RUNTIME_DIR/ukey). tests/plugin/observer
# loads the module, opens a session and lists the signing certificates; then
# `ukey renew` runs in this shell; then the observer lists again, on the
# session opened before the renewal and on a new one: the new certificate is
# there (serials as `ukey show --json` prints them), and signs through the
# old session with the new key, verified by openssl against the new
# certificate. On both backends the retired certificate is gone: SoftHSM
# RSA deletes it; on SKF SM2 the old container keeps its encryption pair
# and the driver retires its signing pair (docs/skf.md, Destroy), which the
# observer, loaded before, stops seeing too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
CA_SERVICE_DIR=$build/ca-service
UKEY=$build/tools/ukey/ukey
OBSERVER=$build/tests/plugin/observer
need_tools openssl jq softhsm2-util
[ -x "$CA_SERVICE_DIR/ca-service" ] || tap_skip_all "ca-service not built"
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
[ -x "$OBSERVER" ] || tap_skip_all "tests/plugin/observer not built (needs cmocka's test build)"
. "$top/tests/ca-service/ca-lib.sh"
. "$top/tests/plugin/renew-lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-observer.XXXXXX")
OBSPID=
stop_observer() {
	if [ -n "$OBSPID" ]; then
		{ printf 'quit\n' >&"${OBS[1]}"; } 2>/dev/null
		timeout 10 tail --pid="$OBSPID" -f /dev/null 2>/dev/null
		kill -KILL "$OBSPID" 2>/dev/null
		wait "$OBSPID" 2>/dev/null
		OBS_RC=$?
		OBSPID=
	fi
}
cleanup() {
	stop_observer
	ca_stop_all
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
tap_plan 22
renew_env
# Both processes must share the generation directory (generation.c).
export XDG_RUNTIME_DIR=$W/run
mkdir -m 0700 "$XDG_RUNTIME_DIR"

setup() { enroll "$@" && bind_and_check && paid_order cert; }
start_observer() {
	coproc OBS { UKEY_OBSERVER_SERIAL=$M exec "$OBSERVER" "$UKEY_MODULE" 2>"$W/observer.err"; }
	OBSPID=$!
	ask ""
}
# ask CMD: sends CMD (none: only reads) and collects the answer, up to its
# "done" or "error" line, in ANS.
ask() {
	local line
	ANS=
	[ -z "$1" ] || printf '%s\n' "$1" >&"${OBS[1]}"
	while IFS= read -r -t 120 line <&"${OBS[0]}"; do
		ANS+=$line$'\n'
		case $line in done | error*) break ;; esac
	done
}
# Sorted signing-certificate serials: from the observer's answer for TAG, and
# from `ukey show --json`.
seen() { sed -n "s/^cert $1 serial=\([0-9a-f]*\) .*/\1/p" <<<"$ANS" | sort | tr '\n' ' '; }
# shown: runs `ukey show --json`; SHOWN, NEWEST (serial) and NEWEST_ID.
shown() {
	u show --json
	SHOWN=$(jq -r '.certificates[] | select(.sign) | .serial' <<<"$OUT" | sort | tr '\n' ' ')
	NEWEST=$(js '[.certificates[] | select(.sign)] | max_by(.not_after) | .serial')
	NEWEST_ID=$(js '[.certificates[] | select(.sign)] | max_by(.not_after) | .id')
}

# observe TYPE BACKEND: the whole story on one virtual U-KEY (11 tests).
observe() {
	local t="$1/$2" before after old_serial new_serial new_id v
	shown
	before=$SHOWN old_serial=$NEWEST
	start_observer
	t_is "$(seen old)" "$before" "$t: the observer, started before the renewal, lists the signing certificate ukey shows"
	u renew --cert-only
	t_is "$RC" 0 "$t: ukey renew in another process: exit 0"
	[ "$RC" = 0 ] || t_diag "$ERR"
	shown
	after=$SHOWN new_serial=$NEWEST new_id=$NEWEST_ID
	t_check "$t: ukey show names a new signing certificate (serial $old_serial -> $new_serial)" \
		test -n "$new_serial" -a "$new_serial" != "$old_serial" -a "$new_serial" != null
	ask list
	t_grep "$t: list after the renewal answers on both sessions" "^done" "$ANS"
	t_is "$(seen old)" "$after" "$t: the session opened before the renewal lists what ukey show lists now"
	t_is "$(seen new)" "$after" "$t: a session opened after the renewal lists the same"
	t_grep "$t: ... including the new certificate, with its new CKA_ID" "^cert old serial=$new_serial .* id=$new_id\$" "$ANS"
	t_nogrep "$t: the retired certificate ($old_serial) is no longer listed" "serial=$old_serial " "$ANS" \
		"^cert old serial=$new_serial "
	printf 'observer signature after the renewal, %s\n' "$t" >"$W/msg"
	ask "sign $W/msg $W/sig $W/cert.der"
	t_grep "$t: the old session logs in and signs with the key of the newest certificate" \
		"^signed serial=$new_serial id=$new_id " "$ANS"
	openssl x509 -inform DER -in "$W/cert.der" -pubkey -noout >"$W/pub.pem" 2>/dev/null
	if [ "$1" = sm2 ]; then
		v=$(openssl dgst -sm3 -verify "$W/pub.pem" -sigopt distid:1234567812345678 -signature "$W/sig" "$W/msg" 2>&1)
	else
		v=$(openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig" "$W/msg" 2>&1)
	fi
	t_grep "$t: openssl verifies that signature with the new certificate" "^Verified OK" "$v"
	stop_observer
	t_is "$OBS_RC" 0 "$t: the observer quits cleanly"
}

if setup rsa softhsm; then
	observe rsa softhsm
else
	t_diag "$(tail -n 3 "$W/rsa-softhsm.log")" "$ERR"
	for i in $(seq 11); do t_fail "rsa/softhsm: virtual U-KEY, service, binding and paid order"; done
fi
ca_stop_all

if setup sm2 skf; then
	observe sm2 skf
else
	t_diag "$(tail -n 3 "$W/sm2-skf.log")" "$ERR"
	for i in $(seq 11); do t_fail "sm2/skf: virtual U-KEY, service, binding and paid order"; done
fi
ca_stop_all
tap_done
