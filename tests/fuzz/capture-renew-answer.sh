#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# capture-renew-answer.sh CORPUS_DIR CTX_DIR: real renewal answers from the
# reference CA service (ca-service/), for the renewal-answer fuzz target
# and tests/unit/test-renew-answer.c. Two renewals with software keys: SM2
# with seals and the encryption certificate (sm2-envelope-v1), and RSA with
# the encryption certificate (rsa-oaep-aes-v1). Writes CORPUS_DIR/<name>.json
# (the answer's bytes as the service sent them) and CTX_DIR/<name>.ctx (what
# the answer is checked against: request id, old certificate, the new public
# key, what was asked, and the times of the capture). Only public data is
# written. The seeds in tests/fuzz/corpus/renew-answer/ were made by it:
#   tests/fuzz/capture-renew-answer.sh tests/fuzz/corpus/renew-answer tests/fuzz/renew-answer-ctx
# Environment: CA_SERVICE_DIR (default: the build tree's ca-service/).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
CA_SERVICE_DIR=${CA_SERVICE_DIR:-$build/ca-service}
[ $# -eq 2 ] || { echo "usage: $0 CORPUS_DIR CTX_DIR" >&2; exit 2; }
corpus=$1 ctx=$2
for t in openssl jq; do
	command -v $t >/dev/null || { echo "$0: $t not installed" >&2; exit 1; }
done
[ -x "$CA_SERVICE_DIR/ca-service" ] || { echo "$0: no $CA_SERVICE_DIR/ca-service (build the tree)" >&2; exit 1; }
. "$top/tests/ca-service/ca-lib.sh"
W=$(mktemp -d "${TMPDIR:-/tmp}/capture-renew.XXXXXX") || exit 1
trap 'ca_stop_all; rm -rf "$W"' EXIT
mkdir -p "$corpus" "$ctx" || exit 1
ca_start "$W/st" || { echo "$0: the service did not start: $(tail -n 3 "$W/st.log")" >&2; exit 1; }

call() { ca_call "$W/$1.key" "$W/$1.pem" "${@:2}"; }
genkey() {
	case $1 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null ;;
	sm2) openssl genpkey -algorithm SM2 -out "$2" ;;
	esac
}
# capture NAME TYPE MEDIUM WITH_SEALS: one renewal, its answer and context.
capture() {
	local n=$1 type=$2 m=$3 seals=$4 o s sm=() started rid
	genkey "$type" "$W/$n.key" &&
		"$CA_SERVICE_DIR/ca-service" issue --state "$W/st" --key "$W/$n.key" \
			--subject "/C=CN/O=测试单位/CN=$n 测试用户" --out "$W/$n.pem" &&
		ca_cli enroll "$m" "$W/$n.pem" "T$m" >/dev/null || return 1
	call "$n" POST /api/v1/binding '{}'
	ca_cli confirm-binding "$(jq -r .code <<<"$BODY")" "${m: -4}" >/dev/null && ca_cli check-identity "$m" >/dev/null ||
		return 1
	if [ "$seals" = true ]; then
		# The service's seals (a seal, its duplicate, a second one, an
		# unusable remake), cleaned by the rules: the duplicate dropped.
		ca_cli add-seals "$m" >/dev/null || return 1
		call "$n" GET /api/v1/seals
		s=($(jq -r '.seals[].id' <<<"$BODY"))
		call "$n" POST /api/v1/seals/clean "{\"decisions\":[{\"id\":\"${s[0]}\",\"action\":\"keep\",\"type\":1},
			{\"id\":\"${s[1]}\",\"action\":\"drop\"},{\"id\":\"${s[2]}\",\"action\":\"keep\",\"type\":2}]}"
		[ "$HTTP" = 200 ] || return 1
	fi
	o=$(ca_cli create-order "$m" --covers "$([ "$seals" = true ] && echo cert+seals || echo cert)" --price 30000 \
		--encryption | jq -r .id) && ca_cli pay "$o" wechat >/dev/null || return 1
	[ "$type" = sm2 ] && sm=(-sm3 -sigopt distid:1234567812345678)
	started=$(date +%s)
	genkey "$type" "$W/$n-new.key" && openssl req -new -key "$W/$n-new.key" -subj /CN=x "${sm[@]}" -out "$W/$n.csr" ||
		return 1
	rid=$(cat /proc/sys/kernel/random/uuid)
	call "$n" POST /api/v1/renewals "$(jq -cn --arg id "$rid" --rawfile csr "$W/$n.csr" --argjson s "$seals" \
		'{request_id: $id, csr: $csr, with_seals: $s}')"
	[ "$HTTP" = 201 ] || { echo "$0: $n: HTTP $HTTP $BODY" >&2; return 1; }
	printf '%s' "$BODY" >"$corpus/$n.json"
	jq -n --arg rid "$rid" --rawfile old "$W/$n.pem" --arg key "$(openssl pkey -in "$W/$n-new.key" -pubout)" \
		--argjson s "$seals" --argjson started "$started" --argjson now "$(date +%s)" \
		'{request_id: $rid, old_certificate: $old, new_key: $key, with_seals: $s, encryption: true,
		  started: $started, now: $now}' >"$ctx/$n.ctx"
}
capture sm2-seals-enc sm2 0071120230425100 true && capture rsa-enc rsa 0071120230425200 false
