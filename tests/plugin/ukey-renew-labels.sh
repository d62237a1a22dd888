#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey renew leaves the labels a fresh U-KEY shows (issue 11, item 3). Every
# object's label is listed (pkcs11-tool through the module) before and after
# a renewal with seals and the encryption certificate, then after a second
# renewal of the certificate only, on each backend. The new objects carry
# the CA's naming: on SoftHSM the labels of the objects they replace, on an
# SKF U-KEY the container's name (the old one's, with "-2", "-3" while that
# is taken); the old encryption pair says "(archived DATE)"; the current
# encryption pair is not archived by a renewal that brings no new one; no
# label says "pending" or carries a request id; seals are labelled with
# their names. Nothing is relabelled in place to get there (the labels are
# given when the objects are made; docs/renewal.md).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-renew-labels
tap_plan 12
export UKEY_TEST_PIN=123456 # for pkcs11-tool (--pin env:, never argv)
today=$(date +%Y-%m-%d) utc=$(date -u +%Y-%m-%d) # (SoftHSM's archive date is local, SKF's UTC)

# Every object: "Class|label", one a line, sorted (listed in the TAP log).
labels() {
	p11tool --login --pin env:UKEY_TEST_PIN -O | awk '
		/^(Certificate|Public Key|Private Key) Object|^Data object/ { if (c != "") print c "|" l; c = $1; l = "" }
		/^ *label:/ { sub(/^ *label: */, ""); gsub(/\x27/, ""); l = $0 }
		END { if (c != "") print c "|" l }' | LC_ALL=C sort
}
listed() { t_diag "$1:" $(labels | sed 's/ /_/g'); }
# Without the data objects, and with today's archive date named.
keys_and_certs() { labels | grep -v '^Data|' | sed "s/(archived $today)/(archived TODAY)/; s/(archived $utc)/(archived TODAY)/"; }
# Seals: each labelled with its name, or its name and "-N".
seals_named() {
	u seals --json
	[ "$(js '[.seals[] | . as $s | select($s.decoded and ($s.label == $s.name or ($s.label | startswith($s.name + "-"))))]
		| length')" = \
		"$(js '.seals | length')" ] && [ "$(js '.seals | length')" -gt 0 ]
}
no_machinery() { ! labels | grep -Eiq 'pending|ukey-renew|[0-9a-f]{8}-[0-9a-f]{4}-|-[0-9a-f]{8}$'; }
prepare() {
	enroll "$1" "$2" && bind_and_check && mkdir -p "$W/seals-$1" &&
		ca_cli add-seals "$M" "$W/seals-$1" >/dev/null && "$top/tools/ukey-vkey" add-seals "$D" "$W/seals-$1" \
		>/dev/null 2>&1 && u seals clean --auto --yes && paid_order cert+seals --encryption
}

# ---- SoftHSM RSA
if prepare rsa softhsm; then
	before=$(labels)
	listed "rsa: before"
	u renew --with-seals
	t_is "$RC" 0 "rsa: renew --with-seals (encryption certificate ordered): exit 0"
	listed "rsa: after"
	t_is "$(keys_and_certs | tr '\n' ';')" "$(
		printf '%s\n' "$before" "Certificate|Encryption certificate (archived TODAY)" \
			"Private|Encryption key (archived TODAY)" "Public|Encryption key (archived TODAY)" |
			grep -v '^Data|' | LC_ALL=C sort | tr '\n' ';')" \
		"rsa: keys and certificates: the fresh U-KEY's labels (the CA's), the old encryption pair archived"
	# (the service remakes the usable seals: their names, not their number)
	t_is "$(labels | grep '^Data|' | uniq | tr '\n' ';')" "$(grep '^Data|' <<<"$before" | uniq | tr '\n' ';')" \
		"rsa: the new seals are labelled with their names, as the old ones were"
	t_check "rsa: no label says pending or carries a request id" no_machinery
	paid_order cert
	u renew --cert-only
	t_is "$RC" 0 "rsa: a second renewal, certificate only: exit 0"
	listed "rsa: after the second renewal"
	t_is "$(keys_and_certs | tr '\n' ';')" "$(
		printf '%s\n' "$before" "Certificate|Encryption certificate (archived TODAY)" \
			"Private|Encryption key (archived TODAY)" "Public|Encryption key (archived TODAY)" |
			grep -v '^Data|' | LC_ALL=C sort | tr '\n' ';')" \
		"rsa: ... the same labels: the current encryption pair is not archived without a new one"
	ca_stop_all
else
	echo "Bail out! rsa/softhsm virtual U-KEY or service failed: $(tail -n 3 "$W/rsa-softhsm.log")"
	exit 1
fi

# ---- SKF SM2 (GDCA-style dual certificates)
if prepare sm2 skf; then
	listed "sm2/skf: before"
	u renew --with-seals
	t_is "$RC" 0 "sm2/skf: renew --with-seals (encryption certificate ordered): exit 0"
	listed "sm2/skf: after"
	t_is "$(keys_and_certs | tr '\n' ';')" "$(printf '%s;' "Certificate|ukey enc cert (archived TODAY)" \
		"Certificate|ukey-2 enc cert" "Certificate|ukey-2 sign cert" "Private|ukey enc key (archived TODAY)" \
		"Private|ukey-2 enc key" "Private|ukey-2 sign key" "Public|ukey enc key (archived TODAY)" \
		"Public|ukey-2 enc key" "Public|ukey-2 sign key")" \
		"sm2/skf: the new container named as the CA named the old one, the old encryption pair archived"
	t_check "sm2/skf: the new seals are labelled with their names (a file name may not repeat: name-N)" seals_named
	t_check "sm2/skf: no label says pending or carries a request id" no_machinery
	paid_order cert
	u renew --cert-only
	t_is "$RC" 0 "sm2/skf: a second renewal, certificate only: exit 0"
	listed "sm2/skf: after the second renewal"
	t_is "$(keys_and_certs | tr '\n' ';')" "$(printf '%s;' "Certificate|ukey enc cert (archived TODAY)" \
		"Certificate|ukey-2 enc cert" "Certificate|ukey-3 sign cert" "Private|ukey enc key (archived TODAY)" \
		"Private|ukey-2 enc key" "Private|ukey-3 sign key" "Public|ukey enc key (archived TODAY)" \
		"Public|ukey-2 enc key" "Public|ukey-3 sign key")" \
		"sm2/skf: ... the next free name; the current encryption pair (ukey-2) stays current, its signing pair retired"
	ca_stop_all
else
	echo "Bail out! sm2/skf virtual U-KEY or service failed: $(tail -n 3 "$W/sm2-skf.log")"
	exit 1
fi
tap_done
