#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey renew interrupted during key generation (issue 11, item 2). The
# renewal prints the guide's warning before it changes anything. Ctrl-C
# (SIGINT, delivered by strace on a chosen system call of step 1) is
# caught: the renewal stops before its next step, says "interrupted at
# step N; nothing is lost; run 'ukey renew' again to finish" (also in
# Chinese) and exits 130; a second Ctrl-C ends it at once with the same
# words; a journal without the labels (as earlier versions wrote it) is
# resumed with the labels taken from the old certificate. Killed (SIGKILL)
# three times inside the key generation, then run to completion, the token
# holds exactly what one uninterrupted renewal leaves: the objects of each
# key pair cut short are removed by the next run (by the CKA_ID or
# container name the journal recorded before the call), none is adopted
# twice. SoftHSM RSA (its key generation writes each object many times)
# and SKF SM2 (a container created, its key not
# yet generated). References as in ukey-renew-crash.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/crash-lib.sh"
crash_setup ukey-renew-int
tap_plan 17
WARNING="Do not remove the U-KEY until the renewal finishes."
STOPPED="interrupted at step %d; nothing is lost; run 'ukey renew' again to finish"

# reference TYPE BACKEND WITH_SEALS STORAGE-SUBDIR: the prepared state,
# one traced uninterrupted renewal (W/reference), and the kill points of
# its step 1 (W/step1: "NAME ORDINAL").
reference() {
	if ! crash_prepare "$1" "$2" "$3"; then
		echo "Bail out! $1/$2: virtual U-KEY or service failed: $ERR"
		exit 1
	fi
	STORAGE=$D/$4
	crash_restore
	traced -o "$W/count.trace" -e trace=$CRASH_SYSCALLS
	[ "$RC" = 0 ] || t_diag "the reference renewal failed: $ERR"
	crash_state >"$W/reference"
	step1_points "$W/count.trace" >"$W/step1"
}
step1_points() { crash_points "$1" "$STORAGE" | awk '$3 == 1 { print $1, $2 }'; }

# matches: the token holds what the reference holds (else the difference).
matches() {
	crash_state >"$W/state"
	cmp -s "$W/state" "$W/reference" || {
		t_diag "$(diff "$W/reference" "$W/state")"
		return 1
	}
}

# thrice: killed at three points of step 1 (a quarter, half and three
# quarters through its writes, counted afresh from each state: a resumed
# run first removes what the last one left), then run to completion.
thrice() {
	local k n rcs=""
	crash_restore
	for k in 1 2 3; do
		crash_snapshot now
		traced -o "$W/recount.trace" -e trace=$CRASH_SYSCALLS
		step1_points "$W/recount.trace" >"$W/now1"
		crash_restore now
		n=$(wc -l <"$W/now1")
		set -- $(sed -n "$((k * n / 4 + 1))p" "$W/now1") "" ""
		# (a run that cannot even start its key generation writes nothing)
		[ -n "$1" ] && traced -o "$W/kill.trace" -e trace="$1" -e inject="$1:signal=KILL:when=$2" ||
			RC="no-write($(tail -n 1 <<<"$ERR"))"
		rcs="$rcs$RC "
	done
	t_is "$rcs$(jq -r .step "$J")" "137 137 137 0" "$TAG: killed three times inside the key generation"
	u renew $MODE
	t_is "$RC" 0 "$TAG: then run to completion: exit 0"
	[ "$RC" = 0 ] || t_diag "$ERR"
	t_check "$TAG: the token holds exactly what one uninterrupted renewal leaves" matches
}

# ---- SoftHSM RSA, an order with the encryption certificate
MODE=--cert-only TAG=rsa-softhsm
reference rsa softhsm 0 tokens
# Ctrl-C once, in the middle of the key generation.
set -- $(awk '$1 == "ftruncate"' "$W/step1" | sed -n '10p')
crash_restore
traced -o "$W/int.trace" -e trace=ftruncate -e inject="ftruncate:signal=INT:when=$2"
t_is "$RC" 130 "$TAG: Ctrl-C during the key generation: exit 130"
t_is "$(head -n 1 <<<"$OUT")" "$WARNING If it is interrupted, nothing is lost: run 'ukey renew' again to finish." \
	"$TAG: the guide's warning comes first, before anything changes"
t_grep "$TAG: ... the renewal stops before step 2 and says nothing is lost and what to do" \
	"^ukey renew: $(printf "$STOPPED" 2)$" "$ERR"
t_is "$(jq -r '.state + " " + (.step | tostring)' "$J")" "in_progress 1" "$TAG: ... the key generation finished and is journaled"
# As an earlier version left its journal (no labels recorded): the rerun
# takes them from the old certificate, still there.
jq 'del(.label_key, .label_cert, .label_enc_key, .label_enc_cert, .find_key, .pending_key_id, .pending_enc_id)
	| .version = 1' "$J" >"$J.v1" && mv "$J.v1" "$J"
u renew $MODE
t_is "$RC" 0 "$TAG: the rerun (its journal without labels, as earlier versions wrote it) finishes (exit 0)"
t_check "$TAG: ... and the token holds exactly what an uninterrupted renewal leaves" matches
# Ctrl-C twice: the second one ends it at once, in Chinese under zh_CN.
set -- $(awk '$1 == "ftruncate"' "$W/step1" | sed -n '5p;25p' | awk '{ print $2 }')
crash_restore
LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale \
	traced -o "$W/int.trace" -e trace=ftruncate -e inject="ftruncate:signal=INT:when=$1..$2+$(($2 - $1))"
t_is "$RC" 130 "$TAG: Ctrl-C twice during the key generation: exit 130 at once"
t_grep "$TAG: ... with the message in Chinese (中断于第 1 步)" "中断于第 1 步" "$ERR"
u renew $MODE
t_is "$RC" 0 "$TAG: the rerun finishes (exit 0)"
t_check "$TAG: ... and the token holds exactly what an uninterrupted renewal leaves" matches
thrice
# SoftHSM writes a new object many times: killed inside, a key pair is
# left in part, and the next run removed it.
t_grep "$TAG: the journal notes what the interrupted key generations left and the rerun removed" \
	"step 1: [0-9]+ object\(s\) of a key pair cut short by an interruption removed" "$(jq -c .notes "$J")"
ca_stop_all

# ---- SKF SM2 with seals: a container left empty
MODE=--with-seals TAG=sm2-skf
reference sm2 skf 1 device
thrice
ca_stop_all
tap_done
