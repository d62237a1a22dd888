#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey renew killed inside the backend's own writes (issue 11, item 5). The
# windows that tear a token are microseconds wide, so the renewal is killed
# at one write-type system call per round, chosen by strace:
#   strace -e inject=NAME:signal=KILL:when=N  (the N-th NAME call dies)
# First one traced, uninterrupted renewal from the prepared state counts the
# calls and gives the reference (what the token holds after it); then, per
# round, the prepared token and service state are put back, the renewal is
# killed at one call, the working certificate must still sign, the rerun
# must finish (exit 0) and the token must hold exactly what the reference
# holds: the same objects and labels, the old signing certificate gone, the
# new key signing, the old and new encryption keys decrypting, one
# certificate issued for the order, the journal done, the seals the
# service sent. SoftHSM RSA with an encryption order (this script); SKF SM2
# dual certificates with an encryption order and seals
# (ukey-renew-crash-skf.sh).
#
# Kill points: every write, pwrite64, ftruncate, unlink(at), rename(at2),
# mkdir(at), rmdir, fsync, fdatasync on the backend's storage (SoftHSM's
# token directory, the SKF device directory), and the rename of every
# journal save (its commit point: the step's work done, not recorded; the
# journal's other calls leave the same state, and its atomicity has its
# own tests). Not killed at: openat (a file created empty is no object:
# SoftHSM ignores an attribute-less object file, the emulator's temporary
# names are never listed), and SoftHSM's rewrite of token.object at
# C_Login (it records the PIN flags at every login of every program: a
# kill there loses the token's PIN blob whatever a renewal does; a real
# U-KEY keeps its PIN counter in the chip).
#
# By default a documented subset, for the test to stay well inside the
# suite's 300 s per test on a loaded machine: in each step that writes to
# the U-KEY (1, 5, 6, 7), its first and last point, its journal save, and
# every UKEY_CRASH_STRIDE-th point in between (128 on SoftHSM, whose object
# writes are one truncate and write per attribute, alike; 100 on SKF,
# where step 6 writes seals of real size in 2 KiB calls: kills inside a
# seal's content); in step 7 (it retires and archives: the only step that
# touches what the working certificate or an archived key depends on)
# every UKEY_CRASH_STRIDE7-th (4 on SoftHSM: 11 kills, in the deletes of
# the old signing pair, inside each archived copy and at the destroy of
# originals; 8 on SKF: the retirement record and the old seals' deletes).
# A traced renewal runs about 15 times slower than an untraced one (strace
# stops it at every system call; its --seccomp-bpf filter would not, but
# strace 6.1 does not deliver an injected signal with it), so a kill late
# in the renewal costs seconds. The sanitizer build doubles both strides. Steps 2, 3, 4 and 8 write only the journal; their
# saves are killed by ukey-renew-kill.sh (failpoints). UKEY_CRASH_ALL=1 (or
# the argument --long) runs every point.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/crash-lib.sh"
crash_setup ukey-renew-crash
ALL=${UKEY_CRASH_ALL:-0}
[ "${1:-}" = --long ] && ALL=1
BACKEND=${UKEY_CRASH_BACKEND:-rsa-softhsm}
# The default subset (see the header); the sanitizer build (every call
# several times slower) halves it.
STRIDE7=8 STRIDE=100
[ "$BACKEND" = rsa-softhsm ] && STRIDE7=4 STRIDE=128
if grep -qs '^#define UKEY_SANITIZERS 1' "$build/config.h"; then
	STRIDE7=$((STRIDE7 * 2)) STRIDE=$((STRIDE * 2))
fi
STRIDE7=${UKEY_CRASH_STRIDE7:-$STRIDE7} STRIDE=${UKEY_CRASH_STRIDE:-$STRIDE}

# The points this run kills at (see the header).
chosen() {
	if [ "$ALL" = 1 ]; then
		cat "$1"
		return
	fi
	awk -v stride="$STRIDE" -v stride7="$STRIDE7" '
		{ line[NR] = $0; st[NR] = $3; jr[NR] = $4 ~ /\/\.local\/state\/ukey\// }
		!jr[NR] { writes[$3] = 1 }
		END {
			for (i = 1; i <= NR; i++) {
				if (!(st[i] in writes))
					continue
				first = i == 1 || st[i - 1] != st[i]; last = i == NR || st[i + 1] != st[i]
				k = seen[st[i]]++
				if (jr[i] || first || last || k % (st[i] == 7 ? stride7 : stride) == 0) print line[i]
			}
		}' "$1"
}

# The newest signing certificate's CKA_ID, and its DER in W/work.der.
working_cert() {
	local id
	u show --json
	id=$(js '[.certificates[] | select(.sign)] | max_by(.not_after) | .id')
	p11tool --read-object --type cert --id "$id" -o "$W/work.der" >/dev/null && echo "$id"
}

# run_backend TAG TYPE BACKEND WITH_SEALS STORAGE-SUBDIR MODE
run_backend() {
	local tag=$1 name ord step path want id n=0
	MODE=$6
	if ! crash_prepare "$2" "$3" "$4"; then
		echo "Bail out! $tag: virtual U-KEY or service failed: $(tail -n 3 "$W/$2-$3.log" 2>/dev/null) $ERR"
		exit 1
	fi
	STORAGE=$D/$5
	# The reference: one uninterrupted renewal, traced to count the calls.
	crash_restore
	traced -o "$W/count.trace" -e trace=$CRASH_SYSCALLS
	t_is "$RC" 0 "$tag: an uninterrupted traced renewal completes"
	[ "$RC" = 0 ] || t_diag "$ERR"
	crash_state >"$W/reference"
	t_diag "$tag: reference: $(cat "$W/reference")"
	crash_points "$W/count.trace" "$STORAGE" >"$W/points-$tag"
	chosen "$W/points-$tag" >"$W/chosen-$tag"
	t_diag "$tag: $(wc -l <"$W/points-$tag") kill points (by step: $(awk '{ print $3 }' "$W/points-$tag" | uniq -c |
		awk '{ printf "%s%s: %s", (NR > 1 ? ", " : ""), $2, $1 }')); this run: $(wc -l <"$W/chosen-$tag")"
	while read -r name ord step path; do
		n=$((n + 1))
		id="$tag #$n: step $step, $name #$ord ($(same_place <<<"${path#"$W"/}"))"
		crash_restore
		traced -o "$W/kill.trace" -e trace="$name" -e inject="$name:signal=KILL:when=$ord"
		want=$(same_place <<<"$path")
		t_is "$RC $(grep -E "^[0-9]+ +$name\(" "$W/kill.trace" | tail -n 1 | call_path | same_place)" "137 $want" \
			"$id: killed there"
		id=$(working_cert)
		t_check "$tag #$n: before the rerun a signing certificate on the token signs and verifies" \
			renew_signs "$id" "$W/work.der"
		u renew $MODE
		t_is "$RC" 0 "$tag #$n: the rerun completes"
		[ "$RC" = 0 ] || t_diag "$ERR"
		crash_state >"$W/state"
		if cmp -s "$W/state" "$W/reference"; then
			t_ok "$tag #$n: the token holds what an uninterrupted renewal leaves"
		else
			t_fail "$tag #$n: the token holds what an uninterrupted renewal leaves"
			t_diag "$(diff "$W/reference" "$W/state")"
		fi
	done <"$W/chosen-$tag"
	t_diag "$tag: $n rounds; the test took $SECONDS s (the suite allows 300)"
	ca_stop_all
}

# One backend a test (ukey-renew-crash-skf.sh sets the other), so that
# make -j runs them side by side.
case $BACKEND in
rsa-softhsm) run_backend rsa-softhsm rsa softhsm 0 tokens --cert-only ;;
sm2-skf) run_backend sm2-skf sm2 skf 1 device --with-seals ;;
*) tap_skip_all "unknown UKEY_CRASH_BACKEND" ;;
esac
echo "1..$t_count"
tap_done
