#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-renew.sh: `ukey renew --cert-only` end to end (A) against the bare
# steps a careful administrator would run with Debian's pkcs11-tool, openssl
# (libp11's pkcs11 engine), curl and jq for the same result (B), through the
# same module (ukey-pkcs11.so), on the same virtual U-KEY (SoftHSM RSA-2048)
# and the same local reference CA service (ca-service/). A and B
# alternate (A B B A ...) over N iterations; each iteration gets a fresh paid
# order made outside the timed region, and its result is checked outside it
# too. Prints the median wall time of each side, A/B (target <= 1.5), and
# both sides per step. Not a test: never run by `make check` or tests/run-all.
# Method and figures: docs/benchmarks.md, "Renewal end to end".
set -uo pipefail

usage() {
	cat <<EOF
Usage: bench-renew.sh [-n N] [--build DIR] [--keep] [--debug-log]
  -n N         iterations of each side (default 5), alternating A B B A ...
  --build DIR  the build tree (default: \$UKEY_TOP_BUILDDIR, else the current
               directory if it holds tools/ukey/ukey, else the source tree)
  --keep       keep the work directory (printed at the end)
  --debug-log  run A with UKEY_LOG=debug (stderr kept in the work directory;
               the timings then include the logging)
Needs: a built tree (make), softhsm2, pkcs11-tool (opensc), openssl with
libengine-pkcs11-openssl, curl, jq. Exit 0 when every run of both sides
renewed the certificate and the result checked out; 1 otherwise; 2 on a
usage or setup error.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-}
[ -z "$build" ] && [ -x "$PWD/tools/ukey/ukey" ] && build=$PWD
[ -z "$build" ] && build=$top
N=5 KEEP='' DEBUG_LOG=''
while [ $# -gt 0 ]; do
	case $1 in
	-n) N=${2:-}; shift $(($# > 1 ? 2 : 1)) ;;
	--build) build=${2:-}; shift $(($# > 1 ? 2 : 1)) ;;
	--keep) KEEP=1; shift ;;
	--debug-log) DEBUG_LOG=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
case $N in '' | *[!0-9]* | 0) echo "bench-renew: -n needs a positive number" >&2; exit 2 ;; esac

UKEY=$build/tools/ukey/ukey
MOD=$build/module/.libs/ukey-pkcs11.so
CA_SERVICE_DIR=$build/ca-service
ENGINE=$(ls /usr/lib/*/engines-3/pkcs11.so 2>/dev/null | head -n 1)
die() { echo "bench-renew: $*" >&2; exit 2; }
for t in pkcs11-tool openssl curl jq softhsm2-util; do
	command -v $t >/dev/null || die "$t not installed (tools/install-deps)"
done
[ -n "$ENGINE" ] || die "libengine-pkcs11-openssl not installed (no engines-3/pkcs11.so)"
[ -x "$UKEY" ] && [ -f "$MOD" ] && [ -x "$CA_SERVICE_DIR/ca-service" ] ||
	die "build first: $build has no tools/ukey/ukey, module/.libs/ukey-pkcs11.so or ca-service/ca-service"
. "$top/ca-service/ca-run.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/bench-renew.XXXXXX") || die "no work directory"
cleanup() {
	ca_stop_all
	if [ -n "$KEEP" ]; then echo "work directory kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
export HOME=$W UKEY_CONFIG=$W/none.conf UKEY_PIN_FILE=$W/pin XDG_STATE_HOME=$W/state LC_ALL=C.UTF-8
export UKEY_MODULE=$MOD
unset LANGUAGE UKEY_LOG
# Test PIN of the virtual U-KEY (public by design). Never in argv: ukey reads
# the file, openssl takes -passin file:, pkcs11-tool --pin env:VAR.
echo 123456 >"$W/pin"
PIN=123456

# ---- setup (not timed): virtual U-KEY, service, enrolment, binding, identity
D=$W/vkey
"$top/tools/ukey-vkey" create "$D" --key-type rsa >"$W/vkey.log" 2>&1 || die "ukey-vkey create failed: $(tail -n 3 "$W/vkey.log")"
eval "$("$top/tools/ukey-vkey" env "$D")"
M=$(sed -n 's/^serial=//p' "$D/vkey.info")
"$CA_SERVICE_DIR/ca-service" init --state "$W/st" --ca-cert "$D/ca/ca.pem" --ca-key "$D/ca/ca.key" >/dev/null ||
	die "ca-service init failed"
ca_start "$W/st" || die "ca-service did not start: $(tail -n 3 "$W/st.log")"
ca_cli enroll "$M" "$D/keys/sign.pem" >/dev/null || die "enroll failed"
export UKEY_SERVICE_URL=$CA_URL UKEY_SERVICE_CA=$CA_TLS
code=$("$UKEY" bind --json 2>"$W/bind.err" | jq -r .code)
ca_cli confirm-binding "$code" "${M: -4}" >/dev/null && ca_cli check-identity "$M" >/dev/null ||
	die "binding failed: $(cat "$W/bind.err")"
cat >"$W/openssl.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $MOD
init = 0
EOF

now() { echo "$EPOCHREALTIME"; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
	else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
new_order() { ca_cli create-order "$M" --covers cert --price 30000 | jq -r .id | xargs -I{} "$CA_SERVICE_DIR/ca-service-cli" \
	--url "$CA_URL" --token-file "$CA_TOKEN_FILE" --cafile "$CA_TLS" pay {} wechat >/dev/null; }
fail() { echo "bench-renew: $*" >&2; FAILED=1; }
FAILED=

# ---- A: ukey renew --cert-only --json; the time of each event line's arrival
# (the events carry no timestamps). Segments: "connect" = start to the first
# event (module load, login, inventory, status precondition, journal);
# step K = its "start" to its "done" event; "exit" = last event to exit.
run_a() { # -> A_TOTAL, A_SEG[name]
	local t0 t line rc=1 step state last=connect prev_t e
	local -a evs=()
	declare -gA A_SEG=()
	t0=$(now)
	# Only timestamps while ukey runs (bash matching, no process per line
	# competing with it for the CPU); the arithmetic comes after.
	while IFS= read -r line; do
		t=$EPOCHREALTIME
		if [ "${line#\#rc }" != "$line" ]; then
			rc=${line#\#rc }
			evs+=("exit - $t")
			continue
		fi
		[[ $line =~ \"step\":\ ?([0-9]+) ]] && step=${BASH_REMATCH[1]} || step=-
		[[ $line =~ \"state\":\ ?\"([a-z]+)\" ]] && state=${BASH_REMATCH[1]} || state=result
		evs+=("$state $step $t")
	done < <(
		if [ -n "$DEBUG_LOG" ]; then
			UKEY_LOG=debug "$UKEY" renew --cert-only --json 2>>"$W/a-debug.log"
		else
			"$UKEY" renew --cert-only --json 2>"$W/a.err"
		fi
		echo "#rc $?"
	)
	A_TOTAL=$(ms "$t0" "$(now)")
	[ "$rc" = 0 ] || { fail "A: ukey renew exit $rc: $(cat "$W/a.err" 2>/dev/null)"; return 1; }
	prev_t=$t0
	for e in "${evs[@]}"; do
		read -r state step t <<<"$e"
		case $state in
		start) A_SEG[$last]=$(ms "$prev_t" "$t"); last=$step ;;
		done | skipped) A_SEG[$step]=$(ms "$prev_t" "$t"); last=between ;;
		exit) A_SEG[exit]=$(ms "$prev_t" "$t") ;; # the result line, exit
		*) continue ;;
		esac
		prev_t=$t
	done
}

# ---- B: the bare steps. p11 = pkcs11-tool on the module (PIN from the
# environment), ossl = openssl with the pkcs11 engine on the module.
p11() { UKEY_BENCH_PIN=$PIN pkcs11-tool --module "$MOD" "$@" 2>>"$W/b.err"; }
p11l() { p11 --login --pin env:UKEY_BENCH_PIN "$@"; }
ossl() { OPENSSL_CONF=$W/openssl.cnf openssl "$@" 2>>"$W/b.err"; }
pct() { sed 's/../%&/g' <<<"$1"; }
# signed METHOD PATH BODYFILE|- KEYID CERTDER OUT -> HTTP (docs/protocol.md,
# as renew-plugin/service/auth.c: a fresh nonce, the string to sign, the signature
# made on the token by the key KEYID, four headers)
signed() {
	local method=$1 path=$2 body=$3 id=$4 cert=$5 out=$6 nonce hash sig
	local -a data=()
	nonce=$(curl -sS --cacert "$CA_TLS" -X POST "$CA_URL/api/v1/nonce" | jq -r .nonce) || return 1
	if [ "$body" = - ]; then
		hash=$(printf '' | sha256sum)
	else
		hash=$(sha256sum <"$body")
		data=(-H "Content-Type: application/json; charset=utf-8" --data-binary "@$body")
	fi
	printf 'UKEY-AUTH-V1\n%s\n%s\n%s\n%s' "$method" "$path" "$nonce" "${hash%% *}" >"$W/b-tbs"
	ossl dgst -sha256 -engine pkcs11 -keyform engine -passin "file:$W/pin" \
		-sign "pkcs11:id=$(pct "$id");type=private" -out "$W/b-sig" "$W/b-tbs" >/dev/null || return 1
	sig=$(base64 -w0 <"$W/b-sig")
	HTTP=$(curl -sS --cacert "$CA_TLS" -X "$method" -o "$out" -w '%{http_code}' \
		-H "X-Ukey-Certificate: $(base64 -w0 <"$cert")" -H "X-Ukey-Nonce: $nonce" \
		-H "X-Ukey-Signature-Algorithm: rsa-sha256" -H "X-Ukey-Signature: $sig" "${data[@]}" "$CA_URL$path")
}
# bstep NAME: time the commands that follow up to the next bstep.
bstep() {
	local t
	t=$(now)
	[ -n "${B_CUR:-}" ] && B_SEG[$B_CUR]=$(ms "$B_T" "$t")
	B_CUR=$1 B_T=$t
}

run_b() { # -> B_TOTAL, B_SEG[name]
	local t0 old new subj rid nb na old_na
	declare -gA B_SEG=()
	B_CUR='' B_T=''
	rm -f "$W"/b-*
	t0=$(now)
	# Find the signing certificate (an admin lists the token), read it, and
	# ask the service whether the renewal may run (what ukey checks first).
	bstep connect
	old=$(p11 --list-objects --type cert | awk '/^Certificate Object/ { l = "" } /label:/ { l = $0 }
		/ID:/ && l ~ /[Ss]igning certificate/ { print $2; exit }')
	[ -n "$old" ] || { fail "B: no signing certificate on the token"; return 1; }
	p11 --read-object --type cert --id "$old" -o "$W/b-old.der" >/dev/null || { fail "B: read old cert"; return 1; }
	signed GET /api/v1/status - "$old" "$W/b-old.der" "$W/b-status.json" &&
		[ "$HTTP" = 200 ] && [ "$(jq -r '.binding + " " + .order.state' "$W/b-status.json")" = "confirmed paid" ] ||
		{ fail "B: status $HTTP $(cat "$W/b-status.json")"; return 1; }
	# 1. the new key pair on the token; its public key read back
	bstep 1
	new=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
	p11l --keypairgen --key-type rsa:2048 --id "$new" --label "ukey signing key" --usage-sign >/dev/null &&
		p11 --read-object --type pubkey --id "$new" -o "$W/b-newpub.der" >/dev/null ||
		{ fail "B: keypairgen"; return 1; }
	# 2. the CSR signed on the token by the new key (old subject), verified
	bstep 2
	subj=$(openssl x509 -inform DER -in "$W/b-old.der" -noout -subject -nameopt utf8,sep_multiline,-esc_msb |
		sed -n 's/^ *//; s#/#\\/#g; /=/p' | tr '\n' '/')
	ossl req -new -utf8 -sha256 -engine pkcs11 -keyform engine -passin "file:$W/pin" \
		-key "pkcs11:id=$(pct "$new");type=private" -subj "/${subj%/}" -out "$W/b-csr.pem" &&
		ossl req -in "$W/b-csr.pem" -verify -noout || { fail "B: CSR"; return 1; }
	# 3. the renewal request, signed by the old key
	bstep 3
	rid=$(cat /proc/sys/kernel/random/uuid)
	jq -cn --arg r "$rid" --rawfile c "$W/b-csr.pem" '{request_id: $r, csr: $c, with_seals: false}' >"$W/b-req.json"
	signed POST /api/v1/renewals "$W/b-req.json" "$old" "$W/b-old.der" "$W/b-resp.json" && [ "$HTTP" = 201 ] ||
		{ fail "B: renewal $HTTP $(cat "$W/b-resp.json" 2>/dev/null)"; return 1; }
	# 4. check: the new public key, the old subject, chains to the CA that
	# issued the old certificate, starts about now, ends later than the old
	bstep 4
	jq -r .certificate "$W/b-resp.json" >"$W/b-new.pem"
	jq -r '.chain[]' "$W/b-resp.json" >"$W/b-chain.pem"
	openssl x509 -in "$W/b-new.pem" -outform DER -out "$W/b-new.der" &&
		[ "$(openssl x509 -in "$W/b-new.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" = \
			"$(openssl pkey -pubin -inform DER -in "$W/b-newpub.der" -outform DER | sha256sum)" ] &&
		[ "$(openssl x509 -in "$W/b-new.pem" -noout -subject -nameopt RFC2253)" = \
			"$(openssl x509 -inform DER -in "$W/b-old.der" -noout -subject -nameopt RFC2253)" ] &&
		openssl verify -CAfile "$W/b-chain.pem" "$W/b-new.pem" >/dev/null &&
		openssl x509 -inform DER -in "$W/b-old.der" -out "$W/b-old.pem" &&
		openssl verify -CAfile "$W/b-chain.pem" "$W/b-old.pem" >/dev/null || { fail "B: check (key/subject/chain)"; return 1; }
	nb=$(date -d "$(openssl x509 -in "$W/b-new.pem" -noout -startdate | cut -d= -f2)" +%s)
	na=$(date -d "$(openssl x509 -in "$W/b-new.pem" -noout -enddate | cut -d= -f2)" +%s)
	old_na=$(date -d "$(openssl x509 -in "$W/b-old.pem" -noout -enddate | cut -d= -f2)" +%s)
	[ $((nb - $(date +%s))) -lt 86400 ] && [ $(($(date +%s) - nb)) -lt 86400 ] && [ "$na" -gt "$old_na" ] ||
		{ fail "B: check (validity)"; return 1; }
	# 6. write the certificate, read it back through a new session
	bstep 6
	p11l --write-object "$W/b-new.der" --type cert --id "$new" --label "ukey signing certificate" >/dev/null &&
		p11 --read-object --type cert --id "$new" -o "$W/b-back.der" >/dev/null &&
		cmp -s "$W/b-new.der" "$W/b-back.der" || { fail "B: write/read back"; return 1; }
	# 7. retire the old certificate and key pair
	bstep 7
	p11l --delete-object --type cert --id "$old" >/dev/null &&
		p11l --delete-object --type privkey --id "$old" >/dev/null &&
		p11l --delete-object --type pubkey --id "$old" >/dev/null || { fail "B: delete old"; return 1; }
	# 8. installed, signed by the new key with the new certificate
	bstep 8
	echo '{}' | tr -d '\n' >"$W/b-empty.json"
	signed POST "/api/v1/renewals/$rid/installed" "$W/b-empty.json" "$new" "$W/b-new.der" "$W/b-inst.json" &&
		[ "$HTTP" = 200 ] && [ "$(jq -r .state "$W/b-inst.json")" = installed ] ||
		{ fail "B: installed $HTTP $(cat "$W/b-inst.json" 2>/dev/null)"; return 1; }
	bstep end
	B_TOTAL=$(ms "$t0" "$(now)")
}

# After each run (not timed): the token holds exactly one signing
# certificate, a new one, that chains to the CA and whose key signs a
# request the service accepts; the order is used.
verify_result() {
	local side=$1 before=$2 out
	out=$("$UKEY" show --json 2>/dev/null)
	[ "$(jq '[.certificates[] | select(.sign)] | length' <<<"$out")" = 1 ] ||
		{ fail "$side: not exactly one signing certificate after the run"; return 1; }
	SERIAL=$(jq -r '.certificates[] | select(.sign) | .serial' <<<"$out")
	[ "$SERIAL" != "$before" ] || { fail "$side: the signing certificate did not change"; return 1; }
	"$UKEY" bind --status >/dev/null 2>&1 || { fail "$side: the new key does not authenticate"; return 1; }
	[ "$("$UKEY" order --json 2>/dev/null | jq -r .state)" = used ] ||
		{ fail "$side: the order is not used"; return 1; }
	pkcs11-tool --module "$MOD" --read-object --type cert --id "$(jq -r '.certificates[] | select(.sign) | .id' <<<"$out")" \
		-o "$W/v.der" >/dev/null 2>&1 && openssl x509 -inform DER -in "$W/v.der" -out "$W/v.pem" &&
		openssl verify -CAfile "$D/ca/ca.pem" "$W/v.pem" >/dev/null || { fail "$side: the new certificate does not chain"; return 1; }
	# the old key pair is gone: the new signing key and the encryption key
	[ "$(UKEY_BENCH_PIN=$PIN pkcs11-tool --module "$MOD" --login --pin env:UKEY_BENCH_PIN --list-objects \
		--type privkey 2>/dev/null | grep -c '^Private Key Object')" = 2 ] ||
		{ fail "$side: not exactly two private keys (new signing, encryption) after the run"; return 1; }
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
SERIAL=$("$UKEY" show --json 2>/dev/null | jq -r '.certificates[] | select(.sign) | .serial')
declare -A ASEGS=() BSEGS=()
A_ALL='' B_ALL='' R_ALL='' A_NK='' B_NK=''
echo "bench-renew: $N iterations, A B B A order, load average $load_before before the run" >&2
for i in $(seq 1 "$N"); do
	if [ $((i % 2)) = 1 ]; then order="A B"; else order="B A"; fi
	for side in $order; do
		new_order || { fail "order creation"; break 2; }
		if [ "$side" = A ]; then
			run_a || break 2
			verify_result A "$SERIAL" || break 2
			A_ALL+="$A_TOTAL "
			A_NK+="$(awk -v t="$A_TOTAL" -v k="${A_SEG[1]:-0}" 'BEGIN { printf "%.1f", t - k }') "
			echo "  $i A ${A_TOTAL} ms" >&2
			for k in "${!A_SEG[@]}"; do ASEGS[$k]+="${A_SEG[$k]} "; done
		else
			run_b || break 2
			verify_result B "$SERIAL" || break 2
			B_ALL+="$B_TOTAL "
			B_NK+="$(awk -v t="$B_TOTAL" -v k="${B_SEG[1]:-0}" 'BEGIN { printf "%.1f", t - k }') "
			echo "  $i B ${B_TOTAL} ms" >&2
			for k in "${!B_SEG[@]}"; do BSEGS[$k]+="${B_SEG[$k]} "; done
		fi
	done
	set -- $A_ALL; a=${!#}; set -- $B_ALL; b=${!#}
	R_ALL+="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }') "
done
[ -n "$FAILED" ] && { echo "bench-renew: a run failed; see above (rerun with --keep for the files)" >&2; exit 1; }

mA=$(tr ' ' '\n' <<<"$A_ALL" | grep . | median)
mB=$(tr ' ' '\n' <<<"$B_ALL" | grep . | median)
mR=$(tr ' ' '\n' <<<"$R_ALL" | grep . | median)
ratio=$(awk -v a="$mA" -v b="$mB" 'BEGIN { printf "%.2f", a / b }')
met=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.5) ? "yes" : "NO" }')
declare -A names=([connect]="connect, login, inventory, status check" [1]="1 generate-key" [2]="2 build-request"
	[3]="3 send-request" [4]="4 check-certificate" [5]="5 encryption-key (skipped)" [6]="6 write-token + read back"
	[7]="7 retire-old" [8]="8 confirm-installed" [exit]="result line, exit")
echo "ukey renew --cert-only vs bare pkcs11-tool/openssl/curl steps, SoftHSM RSA-2048 virtual U-KEY,"
echo "local reference CA service; $N runs each (A B B A ...), load average $load_before before,"
echo "$(cut -d' ' -f1-3 /proc/loadavg) after; $(nproc) CPUs"
printf '%-44s %10s %10s\n' "step (median wall ms)" "A ukey" "B bare"
for k in connect 1 2 3 4 5 6 7 8 exit; do
	va=$(tr ' ' '\n' <<<"${ASEGS[$k]:-}" | grep . | median)
	vb=$(tr ' ' '\n' <<<"${BSEGS[$k]:-}" | grep . | median)
	printf '%-44s %10s %10s\n' "${names[$k]}" "$va" "$vb"
done
printf '%-44s %10s %10s\n' "total" "$mA" "$mB"
printf '%-44s %10s %10s\n' "total without step 1 (RSA keygen varies)" "$(tr ' ' '\n' <<<"$A_NK" | grep . | median)" \
	"$(tr ' ' '\n' <<<"$B_NK" | grep . | median)"
echo "A runs (ms): $A_ALL"
echo "B runs (ms): $B_ALL"
echo "A/B = $ratio (ratio of medians; median of per-iteration ratios $mR); target <= 1.5: $met"
exit 0
