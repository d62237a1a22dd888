#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# "Next step" follows the CA guide's order (issue 11, item 7): bind →
# confirm on the phone → identity check → order → pay (→ wait for the bank
# transfer) → clean the seals → renew → check the validity. The reference
# service is put into each state with its operator CLI (the phone and the
# CA's counter), on a SoftHSM and an SKF virtual U-KEY; at each state `ukey
# status` and `ukey order` (text and --json) name the same step, and
# following it is what the next state needs: `ukey renew` is only proposed
# when the service would accept it.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-next-step
tap_plan 42

# step TAG WANT TEXT-PATTERN: status and order, text and --json, name WANT.
step() {
	local s o
	u status --json
	s=$(js .service.next_step)
	u order --json
	o=$(js .next_step)
	t_is "$s $o" "$2 $2" "$1: status and order --json: next step $2"
	u status
	t_grep "$1: status (text): $3" "^Next step: .*$3" "$OUT"
}

for kb in "rsa softhsm" "sm2 skf"; do
	set -- $kb
	tag="$1/$2"
	enroll "$1" "$2" || { echo "Bail out! enroll $tag failed"; exit 1; }
	step "$tag: enrolled, not bound" bind "run 'ukey bind'"
	u bind --json
	code=$(js .code)
	step "$tag: binding code issued" confirm_binding "enter the binding code"
	ca_cli confirm-binding "$code" "${M: -4}" >/dev/null
	step "$tag: bound, identity not checked" identity_check "checks your identity"
	u renew --cert-only
	t_is "$RC" 3 "$tag: ... renew refuses there too (exit 3)"
	ca_cli check-identity "$M" >/dev/null
	step "$tag: identity checked, no order" order "order the renewal"
	oid=$(ca_cli create-order "$M" --covers cert --price 30000 | jq -r .id)
	step "$tag: order unpaid" pay "Pay the order"
	ca_cli pay "$oid" transfer >/dev/null
	step "$tag: bank transfer sent" wait_transfer "verified your bank transfer"
	ca_cli confirm-transfer "$oid" >/dev/null
	# Seals marked abnormal: renew would be refused (seals_unclean), so
	# cleaning comes first, not "run 'ukey renew'".
	mkdir -p "$W/seals-$1"
	ca_cli add-seals "$M" "$W/seals-$1" >/dev/null
	"$top/tools/ukey-vkey" add-seals "$D" "$W/seals-$1" >"$W/add-$1.log" 2>&1
	step "$tag: paid, seals abnormal" clean_seals "ukey seals clean"
	u renew --cert-only
	t_grep "$tag: ... and renew indeed refuses: the seals first (exit 3)" "^3 .*seals clean" "$RC $ERR"
	u seals clean --auto --yes
	step "$tag: paid, seals cleaned" renew "run 'ukey renew'"
	u renew --cert-only --json
	t_is "$RC $(js 'select(.result) | .result')" "0 done" "$tag: renew runs when it is proposed"
	step "$tag: renewed" check_validity "new validity"
	ca_stop_all
done

tap_done
