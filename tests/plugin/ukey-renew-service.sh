#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey renew against a faulty CA service (issue 6, "Faults"): every request
# of the renewal (status, nonce, the renewals POST, installed) failing once
# (HTTP 500, a dropped connection, no answer) is retried with backoff and the
# renewal completes with one "retry" event and one certificate issued; a
# failure that persists (or the service stopped) stops after 3 tries with a
# message naming the step and what is safe, the working certificate keeps
# authenticating and signing, and the rerun resumes; an issued certificate
# with the wrong key, chain or subject is refused with nothing written to the
# U-KEY. SoftHSM RSA in full, SKF SM2 for a transient fault and a refusal.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-svc sqlite3 od
tap_plan 49
# The retry pauses, shortened for the test (documented in renew-plugin/service/api.h).
export UKEY_RETRY_BASE_MS=50
export UKEY_TEST_PIN=123456 # for pkcs11-tool (--pin env:, never argv)
unset UKEY_FAILPOINT UKEY_HTTP_TIMEOUT
echo "renewal service-fault test data" >"$W/data"

msg() { js 'select(.error) | .error.message'; }
setup() { enroll "$@" && bind_and_check; }
# Certificates issued for the current order (the service's database).
issued() { sqlite3 "$ST/ca.db" "SELECT count(*) FROM renewals WHERE order_id = '$OID'"; }
retries() { js 'select(.state == "retry") | .step' | tr '\n' ' '; }
# The signing certificate: "ID SERIAL", one line per signing certificate.
signing() {
	u show --json
	js '.certificates[] | select(.sign) | .id + " " + .serial'
}
# signs ID: the private key with CKA_ID ID signs through the module and the
# signature verifies with the public key of the certificate of that CKA_ID.
signs() {
	rm -f "$W/cert.der"
	p11tool --read-object --type cert --id "$1" -o "$W/cert.der" >/dev/null && renew_signs "$1" "$W/cert.der"
}
# Objects on the token through the module: certificates, data objects (the
# seals), private keys.
objects() {
	local o
	o=$(p11tool --login --pin env:UKEY_TEST_PIN -O)
	echo "$(grep -c '^Certificate Object' <<<"$o") certs $(grep -c '^Data object' <<<"$o") data" \
		"$(grep -c '^Private Key Object' <<<"$o") keys"
}
# the old signing certificate still authenticates to the service and signs
old_works() {
	local what=$1 sid
	sid=$(signing)
	u bind --status
	t_check "$KT: $what: the working certificate still authenticates (bind --status)" test "$RC" = 0 -a "$sid" = "$S0"
	t_check "$KT: $what: ... and its key signs (pkcs11-tool, verified by openssl)" signs "${S0%% *}"
}
# transient NAME STEP MISBEHAVE-ARGS: a fault that passes after one try.
transient() {
	local name=$1 step=$2
	shift 2
	paid_order cert && ca_cli misbehave "$@" >/dev/null
	u renew --cert-only --json
	t_is "$RC $(js 'select(.result) | .result')" "0 done" "$KT: $name once: the renewal completes"
	t_is "$(retries)/$(issued)" "$step /1" "$KT: $name once: exactly one retry event (step $step), one certificate issued"
}
# refused MODE WHAT: the service issues a bad certificate; nothing is written.
refused() {
	local mode=$1 what=$2 before rid c0 d0 k0 c1 d1 k1
	paid_order cert && ca_cli misbehave "$mode" 1 >/dev/null
	S0=$(signing)
	before=$(objects)
	u renew --cert-only --json
	rid=$(jq -r .request_id "$J" 2>/dev/null)
	t_grep "$KT: $mode: refused (exit 5) at step 4, saying $what" \
		"^5 step 4 \(check the new certificate\): .*$what.*nothing was written to your U-KEY.*old certificate stays in use.*contact the CA.*request $rid" \
		"$RC $(msg)"
	read -r c0 _ d0 _ k0 _ <<<"$before"
	read -r c1 _ d1 _ k1 _ <<<"$(objects)"
	# The pending key of step 1 stays: the journal resumes with it.
	t_is "$c1 $d1 $k1" "$c0 $d0 $((k0 + 1))" \
		"$KT: $mode: no certificate or seal object written (only the pending key of step 1)"
	old_works "$mode"
}

# ---- SoftHSM RSA
if ! setup rsa softhsm; then
	echo "Bail out! rsa/softhsm virtual U-KEY or service failed: $(tail -n 3 "$W/rsa-softhsm.log")"
	exit 1
fi
# No answer at all (the client's timeout), first: the service's stuck
# thread sleeps on while the other cases run.
UKEY_HTTP_TIMEOUT=2 transient "renewals POST: no answer (hang, client timeout)" 3 hang 1 --on /api/v1/renewals
transient "status: HTTP 500" 0 fail-500 1 --on /api/v1/status
transient "nonce: HTTP 500" 0 fail-500 1 --on /api/v1/nonce
transient "renewals POST: HTTP 500" 3 fail-500 1
# A dropped connection: libcurl itself reconnects once when a reused
# connection (the nonce's) closes with no answer, so two drops make one retry.
transient "renewals POST: dropped connection (twice)" 3 drop-connection 2
transient "installed: HTTP 500" 8 fail-500 1 --on /api/v1/renewals/
transient "installed: dropped connection (twice)" 8 drop-connection 2 --on /api/v1/renewals/

# Persistent failure before step 1: nothing begins.
paid_order cert && ca_cli misbehave fail-500 --on /api/v1/nonce >/dev/null
S0=$(signing)
before=$(objects)
u renew --cert-only --json
t_grep "rsa: the nonce fails every time: exit 5 naming the preconditions, 3 tries, nothing changed" \
	"^5 step 0 \(check that the renewal can run\): .*HTTP 500.*after 3 tries; nothing was changed" "$RC $(msg)"
t_is "$(objects) $(jq -r .state "$J")" "$before done" "rsa: ... no object made, no renewal begun"

# Persistent failure at step 3 (500, then the service stopped): the old
# certificate works; the rerun resumes with the same request.
ca_cli misbehave fail-500 >/dev/null
u renew --cert-only --json
rid=$(jq -r .request_id "$J" 2>/dev/null)
t_grep "rsa: renewals POST fails every time: exit 5, step 3, 3 tries, what is safe, the request id" \
	"^5 step 3 \(send the renewal request\): .*HTTP 500.*after 3 tries; nothing was issued yet.*your old certificate still works; run 'ukey renew' again to resume \(request $rid\)" \
	"$RC $(msg)"
t_is "$(retries)$(jq -r .step "$J")" "3 3 2" "rsa: ... two retry events at step 3; the journal stays at step 2"
old_works "step 3 failing"
ca_stop
u renew --cert-only --json
t_grep "rsa: service stopped at step 3: exit 5, unreachable, step 3, resume" \
	"^5 step 3 \(send the renewal request\): .*unreachable.*after 3 tries.*again to resume \(request $rid\)" "$RC $(msg)"
ca_restart "$ST"
u renew --cert-only --json
t_is "$RC $(js 'select(.result) | .request_id')" "0 $rid" "rsa: service back: the rerun completes with the same request"
t_is "$(issued) $(signing | wc -l)" "1 1" "rsa: ... one certificate issued, one signing certificate on the token"

# Persistent failure at step 8 (dropped, then the service stopped): the new
# certificate is installed and works; the rerun tells the CA.
paid_order cert && ca_cli misbehave drop-connection --on /api/v1/renewals/ >/dev/null
u renew --cert-only --json
rid=$(jq -r .request_id "$J" 2>/dev/null)
t_grep "rsa: installed dropped every time: exit 5, step 8, installed and works, CA not told" \
	"^5 step 8 \(confirm the installation to the CA\): .*after 3 tries; the new certificate is installed on your U-KEY and works; the CA was not told yet; run 'ukey renew' again to finish \(request $rid\)" \
	"$RC $(msg)"
t_is "$(jq -r .step "$J") $(signing | wc -l)" "7 1" "rsa: ... the journal at step 7, one signing certificate"
u bind --status
t_is "$RC" 0 "rsa: ... the new certificate authenticates"
S0=$(signing)
t_check "rsa: ... and its key signs" signs "${S0%% *}"
ca_stop
u renew --cert-only --json
t_grep "rsa: service stopped at step 8: exit 5, unreachable, step 8, finish" \
	"^5 step 8 \(confirm the installation to the CA\): .*unreachable.*again to finish" "$RC $(msg)"
ca_restart "$ST"
u renew --cert-only --json
u status --json
t_is "$(js .service.order) $(jq -r '.state + " " + (.step | tostring)' "$J") $(issued)" "used done 8 1" \
	"rsa: service back: the rerun tells the CA; order used, journal done, one certificate"

# Bad certificates from the service.
refused wrong-key "not for the new key"
t_is "$(jq -r '.step' "$J")" 3 "rsa: wrong-key: the journal keeps step 3 (the pending key stays for the resume)"
u renew --cert-only --json
t_grep "rsa: wrong-key: the rerun is refused again (the service replays its answer)" "^5 step 4 .*not for the new key" \
	"$RC $(msg)"
mv "$J" "$J.wrong-key" # the documented way to start over
refused wrong-chain "does not chain to the CA"
mv "$J" "$J.wrong-chain"
refused wrong-subject "another subject"
mv "$J" "$J.wrong-subject" # an unfinished journal would hold back the next U-KEY
ca_stop_all

# ---- SKF SM2: a transient fault, a refusal
if setup sm2 skf; then
	transient "renewals POST: HTTP 500" 3 fail-500 1
	refused wrong-subject "another subject"
	ca_stop_all
else
	for i in 1 2 3 4 5 6; do t_fail "sm2/skf: virtual U-KEY made"; done
fi
tap_done
