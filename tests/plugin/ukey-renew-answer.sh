#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey renew against a hostile renewal answer (issue 11, item 1): the
# reference service corrupts its answer on the way out (misbehave bad-answer
# KIND TIMES) while what it issued stays stored. The answer is checked whole
# (every member's type and meaning) before it is journaled: a bad answer is
# fetched again by its request id (GET /api/v1/renewals/<id>) once; bad
# once, the renewal completes in the same run with one "retry" event at step
# 4; bad twice, it stops at step 4 (exit 5) naming the member or the fault,
# with nothing written to the U-KEY and nothing of the answer journaled, and
# the rerun against the honest service finishes with one certificate. A
# journal that holds a bad answer (as the code before this check wrote it)
# is not replayed: the rerun fetches the answer again and finishes. The
# seal-cleaning refusal's list of seals is read as strictly (wrong types
# skipped, control characters out).
# SoftHSM RSA with an encryption order; SKF SM2 with seals and encryption.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-answer sqlite3
tap_plan 40
export UKEY_RETRY_BASE_MS=50
export UKEY_TEST_PIN=123456 # for pkcs11-tool (--pin env:, never argv)
unset UKEY_FAILPOINT UKEY_HTTP_TIMEOUT

msg() { js 'select(.error) | .error.message'; }
result() { echo "$RC $(js 'select(.result) | .result')"; }
issued() { sqlite3 "$ST/ca.db" "SELECT count(*) FROM renewals WHERE order_id = '$OID'"; }
nsigning() {
	u show --json
	js '[.certificates[] | select(.sign)] | length'
}
# Certificates, data objects (seals) and private keys on the token.
objects() {
	local o
	o=$(p11tool --login --pin env:UKEY_TEST_PIN -O)
	echo "$(grep -c '^Certificate Object' <<<"$o") $(grep -c '^Data object' <<<"$o") $(grep -c '^Private Key Object' <<<"$o")"
}
# What the journal holds of an answer: step and the answer's members.
journaled() { jq -r '[.step, has("certificate"), has("chain"), has("seals"), has("encryption")] | map(tostring) | join(" ")' "$J"; }

# once KIND PATTERN: the answer is bad once; the re-fetch is honest.
once() {
	local kind=$1 pat=$2
	paid_order "${COVERS[@]}" && ca_cli misbehave bad-answer "$kind" 1 >/dev/null
	u renew $MODE --json
	t_is "$(result)" "0 done" "$KT: $kind once: the renewal completes in the same run"
	t_grep "$KT: $kind once: one retry event at step 4 naming the fault, then the answer fetched again" \
		"^4 .*$pat" "$(js 'select(.state == "retry") | "\(.step) \(.detail)"')"
	t_is "$(issued) $(nsigning)" "1 1" "$KT: $kind once: one certificate issued, one signing certificate on the token"
}

# twice KIND PATTERN: bad, and bad again when fetched again: the run stops
# before anything is written or journaled; the rerun finishes.
twice() {
	local kind=$1 pat=$2 before rid
	paid_order "${COVERS[@]}" && ca_cli misbehave bad-answer "$kind" 2 >/dev/null
	before=$(objects)
	u renew $MODE --json
	rid=$(jq -r .request_id "$J" 2>/dev/null)
	t_grep "$KT: $kind twice: exit 5 at step 4 naming the fault, nothing written, contact the CA, the request id" \
		"^5 step 4 \(check the new certificate\): .*$pat.*nothing was written to your U-KEY.*contact the CA.*request $rid" \
		"$RC $(msg)"
	t_is "$(journaled)" "3 false false false false" "$KT: $kind twice: the journal at step 3 holds nothing of the answer"
	read -r c0 d0 k0 <<<"$before"
	t_is "$(objects)" "$c0 $d0 $((k0 + 1))" \
		"$KT: $kind twice: no certificate, seal or encryption key written (only the pending key of step 1)"
	u renew $MODE --json
	t_is "$(result) $(js 'select(.result) | .request_id')" "0 done $rid" \
		"$KT: $kind: the rerun against the honest service finishes the same request"
	read -r c1 d1 k1 <<<"$(objects)"
	# Renewed once: the signing pair replaced, the new encryption pair
	# added next to the old one (kept), no pending key left.
	t_is "$(issued) $(nsigning) $c1 $k1" "1 1 $((c0 + 1)) $((k0 + 1))" \
		"$KT: $kind: one certificate issued; one signing certificate, one new encryption pair, nothing pending"
}

# legacy KIND PATTERN: the journal holds a bad answer at step 3, as the code
# before this check journaled it unchecked; the rerun must not replay it.
legacy() {
	local kind=$1 pat=$2 rid ans
	paid_order "${COVERS[@]}" && ca_cli misbehave bad-answer "$kind" 2 >/dev/null
	u renew $MODE --json
	# What the bad answer said, where the old code kept it.
	rid=$(jq -r .request_id "$J")
	ans=$(sqlite3 "$ST/ca.db" "SELECT response FROM renewals WHERE request_id = '$rid'")
	jq --argjson a "$ans" '. + {step: 3, certificate: $a.certificate, chain: $a.chain, seals: {a: 1},
		encryption: $a.encryption}' "$J" >"$J.new" && mv "$J.new" "$J"
	u renew $MODE --json
	t_is "$(result)" "0 done" "$KT: a journal holding an answer with \"seals\": {\"a\":1} (step 3): the rerun finishes"
	t_grep "$KT: ... the journaled answer fails its check and is fetched again by request id" "^4 .*$pat" \
		"$(js 'select(.state == "retry") | "\(.step) \(.detail)"')"
	t_is "$(issued) $(nsigning)" "1 1" "$KT: ... one certificate issued, one signing certificate"
}

# later: a renewal stopped at step 8 (the CA not told) resumed ten days
# later (libfaketime): the journaled answer is checked against when the
# renewal began, so it still passes (against the clock, it failed for ever).
later() {
	local fake
	fake=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
	if [ -z "$fake" ]; then
		t_ok "# SKIP libfaketime not installed (apt-get install faketime)"
		t_ok "# SKIP libfaketime not installed (apt-get install faketime)"
		return
	fi
	paid_order "${COVERS[@]}" && ca_cli misbehave drop-connection --on /api/v1/renewals/ >/dev/null
	u renew $MODE --json
	t_is "$RC $(jq -r .step "$J")" "5 7" "$KT: the CA cannot be told (step 8): the journal keeps the checked answer at step 7"
	ca_cli misbehave none >/dev/null
	OUT=$(timeout 90 env FAKETIME=+10d FAKETIME_DONT_FAKE_MONOTONIC=1 \
		LD_PRELOAD="${UKEY_TEST_PRELOAD:+$UKEY_TEST_PRELOAD:}$fake" "$UKEY" renew $MODE --json 2>"$W/err")
	RC=$?
	t_is "$(result) $(issued) $(nsigning)" "0 done 1 1" \
		"$KT: resumed ten days later: the journaled answer still passes, the renewal finishes (one certificate)"
}

# ---- SoftHSM RSA, an order with the encryption certificate, --cert-only
if enroll rsa softhsm && bind_and_check; then
	COVERS=(cert --encryption) MODE=--cert-only
	twice seals-object '"seals" of the renewal answer must be an array'
	once wrong-key "not for the new key"
	twice cert-truncated "certificate cannot be read"
	once enc-wrong-key "not for the enveloped key"
	once request-id '"request_id" of the renewal answer is wrong: it names another request'
	once not-json "not a JSON object"
	legacy seals-object '"seals" of the renewal answer must be an array'
	later
	ca_stop_all
	mv "$J" "$J.rsa" # done; moved away all the same, so the next U-KEY's case stands alone
else
	echo "Bail out! rsa/softhsm virtual U-KEY or service failed: $(tail -n 3 "$W/rsa-softhsm.log")"
	exit 1
fi

# ---- SKF SM2, seals and the encryption certificate, --with-seals
if enroll sm2 skf && bind_and_check; then
	mkdir -p "$W/seals"
	ca_cli add-seals "$M" "$W/seals" >/dev/null && "$top/tools/ukey-vkey" add-seals "$D" "$W/seals" >/dev/null 2>&1
	# The CA refuses the cleaning naming seals in a list holding every wrong
	# type (then the cleaning is sent again, and accepted).
	ca_cli misbehave bad-answer error-seals 1 --on /api/v1/seals/clean >/dev/null
	u seals clean --auto --yes
	t_grep "$KT: a refusal whose \"seals\" holds null, 1, {} and an escape: exit 1, the rule named, no crash" \
		"^1 .*\[rule_type_taken\] .*S.\]0;owned" "$RC $(tr '\n' ' ' <<<"$ERR")"
	t_nogrep "$KT: ... no control character from the service reaches the terminal" $'[\001-\010\016-\037]' "$ERR" \
		'\[rule_type_taken\]'
	u seals clean --auto --yes
	COVERS=(cert+seals --encryption) MODE=--with-seals
	twice seals-object '"seals" of the renewal answer must be an array'
	once wrong-subject "another subject"
	once seal-der "new seal 1 from the service cannot be decoded"
	ca_stop_all
else
	for i in $(seq 13); do t_fail "sm2/skf: virtual U-KEY made"; done
fi
tap_done
