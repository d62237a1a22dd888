#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The ukey workflow commands against a faulty CA service: one that accepts
# TCP and never answers, one that answers 500, drops the connection, sends
# more than 4 MiB, or malformed / mistyped JSON. Each ends with exit 5 and a
# message naming the fault, within the plugin's own timeouts (the outer
# timeout(1) is only a guard), GETs retried a bounded number of times;
# nothing is written to the token, and UKEY_LOG=debug shows no PIN,
# signature, nonce or binding code.
#
# The faulty services are scripted with socat (TLS, a test CA) because the
# reference service injects its faults only into POST /api/v1/renewals and
# openssl s_server -WWW does not answer the POST /api/v1/nonce every signed
# request starts with. The hanging one is a perl listen socket that never
# accepts (perl-base is essential on Debian).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
UKEY=$build/tools/ukey/ukey
need_tools openssl socat perl jq pkcs11-tool softhsm2-util
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-faults.XXXXXX")
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
tap_plan 27

export UKEY_TOP_BUILDDIR=$build
"$top/tools/ukey-vkey" create "$W/v1" >"$W/vkey.log" 2>&1 || { echo "Bail out! ukey-vkey failed"; exit 1; }
eval "$("$top/tools/ukey-vkey" env "$W/v1")"
M=$(sed -n 's/^serial=//p' "$W/v1/vkey.info")
PIN=123456
echo "$PIN" >"$W/pin"
export HOME=$W UKEY_CONFIG=$W/none.conf UKEY_PIN_FILE=$W/pin UKEY_MODULE=${UKEY_TEST_MODULE:-$build/module/.libs/ukey-pkcs11.so}
export LC_ALL=C.UTF-8 UKEY_LOG=debug
unset LANGUAGE

# A test CA and a server certificate for 127.0.0.1.
cd "$W" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tca.key -out tca.pem \
	-subj /CN=faults-ca -days 2 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj /CN=srv 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >ip.ext
openssl x509 -req -in srv.csr -CA tca.pem -CAkey tca.key -days 2 -extfile ip.ext -out srv.pem 2>/dev/null
export UKEY_SERVICE_CA=$W/tca.pem

NONCE=Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm8=
BCODE=Q7ZK-M3XW
# 5 MiB of JSON, more than the 4 MiB limit for JSON answers.
{ printf '{"state":"paid","x":"'; head -c $((5 << 20)) /dev/zero | tr '\0' A; printf '"}'; } >big.json

# The scripted service: one request per connection; the mode file says how
# to answer anything but the nonce. Requests go to requests.log, the
# signatures it was sent to sigs.log (to look for them in the client's log).
cat >fake.sh <<EOF
#!/bin/bash
W=$W
NONCE=$NONCE
BCODE=$BCODE
EOF
cat >>fake.sh <<'EOF'
read -r method path _ || exit 0
len=0
while IFS= read -r line; do
	line=${line%$'\r'}
	[ -z "$line" ] && break
	case ${line,,} in
	content-length:*) len=${line#*: } ;;
	x-ukey-signature:*) printf '%s\n' "${line#*: }" >>"$W/sigs.log" ;;
	esac
done
[ "$len" -gt 0 ] && head -c "$len" >/dev/null
echo "$method $path" >>"$W/requests.log"
answer() { # STATUS BODY
	printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
		"$1" "${#2}" "$2"
}
if [ "$path" = /api/v1/nonce ]; then
	answer "200 OK" "{\"nonce\":\"$NONCE\",\"expires\":1795600000}"
	exit 0
fi
case $(cat "$W/mode") in
fail-500) answer "500 Internal Server Error" '{"error":{"code":"internal","message":"injected"}}' ;;
drop) exit 0 ;;
big)
	printf 'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
		"$(stat -c %s "$W/big.json")"
	cat "$W/big.json" ;;
truncated) answer "200 OK" '{"id":"ORD-1","state":"paid","covers":' ;;
html) answer "200 OK" '<html><body>502 Bad Gateway</body></html>' ;;
wrong-type) answer "200 OK" '{"medium":"0071120230420100","medium_last4":"0100","binding":"confirmed","identity_checked":true,"seals":"clean","certificate":{"serial":"1a","subject":"CN=x","not_before":1690000000,"not_after":1790000000,"trust_number":null,"expired":false},"order":{"id":"ORD-1","state":"paid","covers":"cert","price":"300","price_text":"300.00","encryption_certificate":true}}' ;;
binding) answer "200 OK" "{\"code\":\"$BCODE\",\"medium_last4\":\"0100\",\"expires\":1795600000,\"qr\":\"ukey-bind:$BCODE:0100\"}" ;;
esac
exit 0
EOF
socat -d -d OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert=srv.pem,key=srv.key,verify=0 \
	SYSTEM:"bash $W/fake.sh" 2>"$W/socat.log" &
PIDS+=($!)
for i in $(seq 50); do grep -q 'listening on' "$W/socat.log" && break; sleep 0.1; done
FAKE=https://127.0.0.1:$(sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$W/socat.log" | head -n 1)

# The hanging service: a listen socket nobody accepts on; the kernel
# completes the TCP handshakes, then nothing is ever said.
perl -MIO::Socket::INET -e '$s = IO::Socket::INET->new(Listen => 16, LocalAddr => "127.0.0.1:0") or die;
	print $s->sockport, "\n"; STDOUT->flush; sleep 600' >"$W/hang.port" &
PIDS+=($!)
for i in $(seq 50); do [ -s "$W/hang.port" ] && break; sleep 0.1; done
HANG=https://127.0.0.1:$(cat "$W/hang.port")

# Objects on the token (as the backend sees them, after login).
objects() {
	pkcs11-tool --module "$UKEY_TEST_SOFTHSM" --login --pin "$PIN" -O 2>/dev/null | grep -cE '^[A-Za-z ]+ Object;'
}
N0=$(objects)
# u MODE URL ARGS: runs ukey bounded; OUT, ERR, RC.
u() {
	echo "$1" >"$W/mode"
	: >"$W/requests.log"
	OUT=$(UKEY_SERVICE_URL=$2 timeout 150 ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} \
		"$UKEY" "${@:3}" 2>"$W/err")
	RC=$?
	ERR=$(cat "$W/err")
	cat "$W/err" >>"$W/all-debug.log"
}
gets() { grep -c "^GET $1" "$W/requests.log"; }

# --- a service that never answers
u none "$HANG" order
t_is "$RC" 5 "hanging service: order exits 5 by the plugin's own timeouts (not the guard's 124)"
t_grep "... the message says it did not answer in time" "did not answer in time" "$ERR"
t_is "$(grep -c 'retry' <<<"$ERR")" 2 "... a GET is tried three times, no more"

# --- 500
u fail-500 "$FAKE" order
t_is "$RC" 5 "HTTP 500: order exits 5"
t_grep "... the message says the service has a problem (HTTP 500)" "service has a problem \(HTTP 500\)" "$ERR"
t_is "$(gets /api/v1/status)" 3 "... the GET was retried: three requests in all"
t_is "$(grep -c 'POST /api/v1/nonce' "$W/requests.log")" 3 "... each try with a fresh nonce"

# --- dropped connection
u drop "$FAKE" order
t_is "$RC" 5 "dropped connection: order exits 5"
t_grep "... the message says talking to the service failed" "talking to the service .* failed" "$ERR"
t_is "$(gets /api/v1/status)" 3 "... retried, bounded: three requests"

# --- more than 4 MiB
u big "$FAKE" order
t_is "$RC" 5 "a 5 MiB answer: order exits 5"
t_grep "... refused, saying it is larger than 4 MiB" "larger than 4194304 bytes" "$ERR"
t_nogrep "... and no JSON error: it was never parsed" "not a JSON object" "$ERR" "larger than 4194304 bytes"

# --- malformed and mistyped JSON
u truncated "$FAKE" order
t_is "$RC" 5 "truncated JSON: order exits 5"
t_grep "... the message says the JSON is truncated" "not a JSON object \(truncated\)" "$ERR"
t_is "$(gets /api/v1/status)" 1 "... a bad answer is not retried"
u html "$FAKE" order
t_is "$RC" 5 "an HTML page instead of JSON: order exits 5"
t_grep "... the message says it is not a JSON object" "not a JSON object" "$ERR"
u wrong-type "$FAKE" order --json
t_is "$RC $(jq -r .error.exit <<<"$OUT" 2>/dev/null)" "5 5" "a member of the wrong type: exit 5 (--json error too)"
t_grep "... the message names the member" '"price" of the service.s answer is not an integer' "$ERR"
u wrong-type "$FAKE" status
t_is "$RC" 5 "status with a mistyped order: exits 5"

# --- the token and the log
t_is "$(objects)" "$N0" "no fault wrote anything to the token (object count unchanged)"
u binding "$FAKE" bind
t_grep "a binding code served by the fake service is shown on stdout" "$BCODE" "$OUT"
t_nogrep "the debug log never shows the binding code (it shows the binding request)" "$BCODE" \
	"$(cat "$W/all-debug.log")" "POST /api/v1/binding"
t_nogrep "the debug log never shows the PIN (it shows the logins)" "$PIN" "$(cat "$W/all-debug.log")" "login as user"
t_nogrep "the debug log never shows the nonce (it shows the nonce requests)" "$NONCE" "$(cat "$W/all-debug.log")" \
	"POST /api/v1/nonce"
t_check "the debug log never shows a signature sent (of $(sort -u "$W/sigs.log" | wc -l))" \
	bash -c '[ -s "$1" ] && grep -q "POST /api/v1/" "$2" && ! grep -qF -f "$1" "$2"' _ "$W/sigs.log" "$W/all-debug.log"
tap_done
