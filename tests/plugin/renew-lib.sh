# SPDX-License-Identifier: LGPL-2.1-or-later
# renew-lib.sh: what the `ukey renew` tests share. Sourced by
# tests/plugin/ukey-renew*.sh after tests/lib/tap.sh and ca-lib.sh, with top,
# build, W (the test's directory) and UKEY (the ukey binary) set.

# The environment: HOME in W (so the journal is W/.local/state/ukey/), no
# configuration file, the test PIN read by ukey from a file, never argv.
renew_env() {
	export UKEY_TOP_BUILDDIR=$build HOME=$W UKEY_CONFIG=$W/none.conf UKEY_PIN_FILE=$W/pin LC_ALL=C.UTF-8
	export UKEY_MODULE=${UKEY_TEST_MODULE:-$build/module/.libs/ukey-pkcs11.so}
	unset LANGUAGE XDG_STATE_HOME
	echo 123456 >"$W/pin"
}

# Every failpoint a renewal passes, in order (renew-plugin's failpoint
# names): before and after each journal write, and inside the steps that
# change two things. The kill tests of both protocols kill at each.
RENEW_KILL_POINTS="keygen-made journal-1-before journal-1-after journal-2-before journal-2-after journal-3-before
	journal-3-after journal-4-before journal-4-after journal-5-before journal-5-after write-cert-done
	journal-6-before journal-6-after retire-partial journal-7-before journal-7-after journal-8-before
	journal-8-after"

# u ARGS: runs ukey (with the ASan runtime in pass 2); OUT, RC, ERR.
u() {
	OUT=$(timeout 90 ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$UKEY" "$@" 2>"$W/err")
	RC=$?
	ERR=$(cat "$W/err")
}
js() { jq -r "$1" <<<"$OUT" 2>/dev/null; }

# enroll TYPE BACKEND: a virtual U-KEY in W/TYPE-BACKEND, enrolled at a fresh
# reference service (state in W/st-TYPE). Sets KT, D, M (medium number), ST,
# DB (the service's database), J (the journal); points ukey at the service.
enroll() {
	KT=$1 D=$W/$1-$2 ST=$W/st-$1 DB=$W/st-$1/ca.db
	"$top/tools/ukey-vkey" create "$D" --key-type "$1" --backend "$2" >"$D.log" 2>&1 &&
		eval "$("$top/tools/ukey-vkey" env "$D")" &&
		M=$(sed -n 's/^serial=//p' "$D/vkey.info") &&
		"$CA_SERVICE_DIR/ca-service" init --state "$ST" --ca-cert "$D/ca/ca.pem" \
			--ca-key "$D/ca/ca.key" >/dev/null && ca_start "$ST" &&
		ca_cli enroll "$M" "$D/keys/sign.pem" >/dev/null || return 1
	export UKEY_SERVICE_URL=$CA_URL UKEY_SERVICE_CA=$CA_TLS
	J=$W/.local/state/ukey/renew-$M.json
}
# The binding confirmed (the phone's side played by the operator CLI) and
# the identity checked at the CA.
bind_and_check() {
	u bind --json
	ca_cli confirm-binding "$(js .code)" "${M: -4}" >/dev/null && ca_cli check-identity "$M" >/dev/null
}
# paid_order COVERS [create-order options]: a new order, paid; its id in OID.
paid_order() {
	OID=$(ca_cli create-order "$M" --covers "$1" --price 30000 "${@:2}" | jq -r .id) &&
		ca_cli pay "$OID" wechat >/dev/null
}

# p11tool ARGS: pkcs11-tool through the module (pass 2: the uninstrumented
# program loads the ASan module with the runtime preloaded).
p11tool() {
	${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
		timeout 60 pkcs11-tool --module "$UKEY_MODULE" "$@" 2>/dev/null
}

# renew_signs ID CERT.der: the private key with CKA_ID ID signs through the module
# and the signature verifies with CERT's public key (openssl).
renew_signs() {
	local id=$1 cert=$2 h
	rm -f "$W/sig" "$W/sig.der"
	[ -s "$W/data" ] || echo "renewal test data" >"$W/data"
	openssl x509 -inform DER -in "$cert" -pubkey -noout >"$W/pub.pem" 2>/dev/null || return 1
	if [ "$KT" = sm2 ]; then
		# CKM_SM3_SM2 (vendor): r || s, verified as SM2 with SM3 and the
		# default signer ID.
		p11tool --login --pin env:UKEY_TEST_PIN --sign --id "$id" -m 0x80008100 -i "$W/data" -o "$W/sig" >/dev/null ||
			return 1
		h=$(od -An -tx1 -v "$W/sig" | tr -d ' \n')
		[ ${#h} -eq 128 ] || return 1
		printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "${h:0:64}" "${h:64:64}" >"$W/sig.cnf"
		openssl asn1parse -genconf "$W/sig.cnf" -out "$W/sig.der" >/dev/null &&
			openssl pkeyutl -verify -pubin -inkey "$W/pub.pem" -rawin -in "$W/data" -sigfile "$W/sig.der" \
				-digest sm3 -pkeyopt distid:1234567812345678 >/dev/null 2>&1
	else
		p11tool --login --pin env:UKEY_TEST_PIN --sign --id "$id" -m SHA256-RSA-PKCS -i "$W/data" -o "$W/sig" \
			>/dev/null &&
			openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/sig" "$W/data" >/dev/null 2>&1
	fi
}

# plugin_setup NAME [TOOL...]: a plugin test's start (after tap.sh and this
# file, with top and build set): skips without openssl, jq, softhsm2-util,
# pkcs11-tool or the TOOLs, or without the built service and ukey; sources
# ca-lib.sh; makes W, removed at exit with the services stopped and the
# pids in SPIDS ended; renew_env. Then the test calls tap_plan.
plugin_setup() {
	local name=$1
	shift
	CA_SERVICE_DIR=$build/ca-service
	UKEY=$build/tools/ukey/ukey
	need_tools openssl jq softhsm2-util pkcs11-tool "$@"
	[ -x "$CA_SERVICE_DIR/ca-service" ] || tap_skip_all "ca-service not built"
	[ -x "$UKEY" ] || tap_skip_all "ukey not built"
	. "$top/tests/ca-service/ca-lib.sh"
	W=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
	SPIDS=()
	trap plugin_cleanup EXIT
	renew_env
}
plugin_cleanup() {
	local p
	ca_stop_all
	for p in "${SPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
