#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# capture-cmp-response.sh SEEDDIR CTXDIR: real CMP answers for the
# fuzz-cmp-response seeds, from OpenSSL's mock CMP server to openssl's own
# client (software keys; the token plays no part in the answer's path):
# a kup with the certificate, a kup with "waiting" (the first answer of a
# polled transaction), a rejection (badPOP with a statusString) and the
# pkiConf that closes a transaction; each answer as the client got it
# (plugin/cmp-replay.py records it). CTXDIR/ca.pem: the CA that signed the
# mock's certificate, for the target's trust store (valid ten years).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
out=$1 ctx=$2
w=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$w"' EXIT
mkdir -p "$out" "$ctx" || exit 1
k() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
k "$w/ca.key" && openssl req -x509 -key "$w/ca.key" -subj "/CN=fuzz CMP CA" -days 3650 -out "$ctx/ca.pem" || exit 1
for n in srv old new; do k "$w/$n.key" || exit 1; done
openssl req -new -key "$w/srv.key" -subj "/CN=fuzz CMP server" -out "$w/srv.csr" &&
	openssl x509 -req -in "$w/srv.csr" -CA "$ctx/ca.pem" -CAkey "$w/ca.key" -set_serial 1 -days 3650 \
		-out "$w/srv.pem" 2>/dev/null &&
	openssl req -new -key "$w/old.key" -subj "/CN=fuzz CMP user" -out "$w/old.csr" &&
	openssl x509 -req -in "$w/old.csr" -CA "$ctx/ca.pem" -CAkey "$w/ca.key" -set_serial 2 -days 3650 \
		-out "$w/old.pem" 2>/dev/null &&
	openssl x509 -req -in "$w/old.csr" -CA "$ctx/ca.pem" -CAkey "$w/ca.key" -set_serial 2 -days 3650 \
		-force_pubkey <(openssl pkey -in "$w/new.key" -pubout) -out "$w/new.pem" 2>/dev/null || exit 1
# capture NAME REQUESTS MOCK-OPTIONS...: the mock, the relay recording the
# answer to the message number REQUESTS, one kur by openssl cmp.
capture() {
	local name=$1 nth=$2 port rport i
	shift 2
	openssl cmp -port 0 -srv_cert "$w/srv.pem" -srv_key "$w/srv.key" -srv_trusted "$ctx/ca.pem" \
		-rsp_cert "$w/new.pem" -rsp_capubs "$ctx/ca.pem" "$@" >"$w/$name.log" 2>&1 &
	pids+=($!)
	for i in $(seq 100); do
		port=$(sed -n 's/^ACCEPT .*:\([0-9]*\) .*/\1/p' "$w/$name.log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	/usr/bin/python3 "$top/tests/plugin/cmp-replay.py" "$w/$name.port" record "http://127.0.0.1:$port" "$w/$name.der" \
		--nth "$nth" 2>/dev/null &
	pids+=($!)
	for i in $(seq 100); do [ -s "$w/$name.port" ] && break; sleep 0.1; done
	rport=$(cat "$w/$name.port")
	openssl cmp -cmd kur -server "127.0.0.1:$rport" -path pkix/ -trusted "$ctx/ca.pem" -cert "$w/old.pem" \
		-key "$w/old.key" -newkey "$w/new.key" -certout "$w/$name.got" >/dev/null 2>&1
	[ -s "$w/$name.der" ] && cp "$w/$name.der" "$out/$name.der"
}
capture kup 1 && capture waiting 1 -poll_count 1 -check_after 0 &&
	capture rejection 1 -pkistatus 2 -failurebits 512 -statusstring "the proof of possession did not verify" &&
	capture pkiconf 2
