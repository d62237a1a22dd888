#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# PIN tries and choosing a U-KEY (issue 11, item 9; issue 17, item 2), on
# both backends. SKF emulator: the module knows the counter (its vendor
# interface), so a wrong PIN says "9 tries left of 10" and `ukey list`,
# `show`, `status` (text and --json) say how many are left; SoftHSM only has
# the flags: "fewer tries are left", tries null in JSON. --serial takes the
# last four digits of the medium number when they name one U-KEY, refuses
# when they name two (the whole numbers listed) or none; `ukey renew
# --serial` still refuses while two U-KEYs are inserted (the guide: one at
# a time), before any PIN or journal.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-tries
tap_plan 25
echo 999999 >"$W/badpin"

# --- SKF: the exact counter
enroll sm2 skf || { echo "Bail out! enroll sm2/skf failed"; exit 1; }
u list --json
t_is "$RC $(js '.tokens[0].pin') $(js '.tokens[0].pin_tries_left') $(js '.tokens[0].pin_tries_max')" "0 ok 10 10" \
	"skf: list --json: the PIN's tries left and max"
UKEY_PIN_FILE=$W/badpin u order
t_grep "skf: a wrong PIN says exactly how many tries are left, not retried (exit 4)" \
	"^4 ukey order: Wrong PIN for U-KEY $M: 9 tries left of 10\. It was not retried\.$" "$RC $ERR"
u list
t_grep "skf: list: 9 tries left of 10" "PIN: 9 tries left of 10$" "$OUT"
u show
t_grep "skf: show: 9 tries left of 10" "^PIN: +9 tries left of 10$" "$OUT"
u status --offline
t_grep "skf: status: 9 tries left of 10" "^PIN: 9 tries left of 10$" "$OUT"
u status --offline --json
t_is "$(js .pin) $(js .pin_tries_left) $(js .pin_tries_max)" "count_low 9 10" "skf: status --json: count_low, 9 of 10"
UKEY_PIN_FILE=$W/badpin u order
t_grep "skf: the warning before the next try names the number too" "^Warning: 9 tries left of 10$" "$ERR"
u order
u show --json
t_is "$(js .pin_tries_left)" 10 "skf: the right PIN resets the counter to 10"

# --last four digits: one of two SKF U-KEYs
"$top/tools/ukey-vkey" create "$W/sm2-skf-2" --backend skf --share-with "$D" >"$W/skf2.log" 2>&1 ||
	echo "Bail out! a second SKF U-KEY could not be made"
eval "$("$top/tools/ukey-vkey" env "$D")"
M2=$(sed -n 's/^serial=//p' "$W/sm2-skf-2/vkey.info")
u show --serial "${M2: -4}" --json
t_is "$RC $(js .medium)" "0 $M2" "--serial with the last four digits picks that U-KEY"
u show --serial "${M: -4}" --json
t_is "$RC $(js .medium)" "0 $M" "... and the other one by its own four"
u show --serial 0000
t_grep "four digits that end no medium number: exit 4, said so" "^4 .*No inserted U-KEY has the medium number 0000" \
	"$RC $ERR"
# The second device gets a medium number ending like the first's.
conf2=$W/sm2-skf-2/device/device.conf
M3=9999${M: -12}
sed -i "s/^serial=.*/serial=$M3/" "$conf2"
u show --serial "${M: -4}"
t_grep "the same last four on two U-KEYs: refused, both whole numbers listed (exit 4)" \
	"^4 .*2 inserted U-KEYs have medium numbers ending in ${M: -4}; give the whole medium number" "$RC $ERR"
t_check "... naming both" grep -q "$M3" <<<"$ERR"
u show --serial "$M3" --json
t_is "$RC $(js .medium)" "0 $M3" "the whole medium number still chooses"

# renew: one U-KEY at a time, even with --serial
u bind --serial "$M" --json
ca_cli confirm-binding "$(js .code)" "${M: -4}" >/dev/null && ca_cli check-identity "$M" >/dev/null
paid_order cert
u renew --serial "$M" --cert-only
t_grep "renew --serial with two U-KEYs inserted: refused (exit 4), the guide's one at a time" \
	"^4 ukey renew: 2 U-KEYs are inserted: the renewal works on one U-KEY at a time" "$RC $ERR"
t_check "... before anything is journaled" test ! -e "$J"
t_nogrep "... and before the PIN is used" "PIN|tries" "$ERR" "U-KEYs are inserted"
u renew --cert-only
t_grep "renew without --serial: the same refusal" "^4 ukey renew: 2 U-KEYs are inserted: the renewal" "$RC $ERR"
mv "$W/sm2-skf-2/device" "$W/sm2-skf-2/device.out"
u renew --serial "${M: -4}" --cert-only --json
t_is "$RC $(js 'select(.result) | .result')" "0 done" "with the second taken out, renew --serial LAST4 renews"
ca_stop_all

# --- SoftHSM: only the flags
enroll rsa softhsm || { echo "Bail out! enroll rsa/softhsm failed"; exit 1; }
u list --json
t_is "$RC $(js '.tokens[0].pin') $(js '.tokens[0].pin_tries_left') $(js '.tokens[0].pin_tries_max')" "0 ok null null" \
	"softhsm: list --json: tries unknown (null), the state from the flags"
UKEY_PIN_FILE=$W/badpin u order
t_grep "softhsm: a wrong PIN: fewer tries left, the U-KEY does not tell how many" \
	"^4 ukey order: Wrong PIN for U-KEY $M: a wrong PIN was entered: fewer tries are left \(this U-KEY does not tell how many\)" \
	"$RC $ERR"
u show --json
t_is "$(js .pin) $(js .pin_tries_left)" "count_low null" "softhsm: show --json: count_low, tries null"
u status --offline
t_grep "softhsm: status says the PIN state" "^PIN: a wrong PIN was entered" "$OUT"
"$top/tools/ukey-vkey" create "$W/rsa-2" --share-with "$D" >"$W/rsa2.log" 2>&1
M2=$(sed -n 's/^serial=//p' "$W/rsa-2/vkey.info")
u show --serial "${M2: -4}" --json
t_is "$RC $(js .medium)" "0 $M2" "softhsm: --serial with the last four (hex) digits"
u renew --serial "$M"
t_is "$RC" 4 "softhsm: renew --serial with two U-KEYs inserted: refused (exit 4)"

tap_done
