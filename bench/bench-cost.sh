#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# bench-cost.sh: what consumers make a U-KEY do through ukey-pkcs11.so, in
# device work rather than CPU time. A real U-KEY is a USB device: every SKF
# call is at least one APDU of at most 255 bytes at milliseconds each, so
# what matters is how many calls a consumer's operation causes and how many
# bytes they move. Each cell is one real consumer program run once:
#
#   init       pkcs11-tool --show-info: load the module (C_Initialize, C_GetInfo,
#              C_Finalize); on SKF with TWO U-KEYs inserted
#   listing    NSS certutil -L -h all: what a browser does at start-up
#   login+sign NSS cmsutil -S with the PIN: start-up, log in, one signature
#              (a site's client authentication)
#   status     ukey status (with the service)
#   seals      ukey seals (with the service)
#   renew      ukey renew --with-seals (the seals are replaced)
#
# on an SKF U-KEY (the SKF emulator, RSA-2048 pairs, two certificates and
# three seals of 4.8, 46 and 197 KB) and on a SoftHSM U-KEY holding the same,
# reached through the p11 driver. SKF: calls, APDUs, file bytes read
# (SKF_ReadFile) from the emulator's cost model (emulator/README.md),
# and the wall time with UKEY_SKF_EMU_USB_US (default 5000 us per APDU).
# p11: backend calls and the bytes of data objects' CKA_VALUE the module
# read, counted from OpenSC's pkcs11-spy placed between the module and
# SoftHSM. Each figure is printed next to the minimum the operation needs
# (computed by hand in docs/benchmarks.md, "Device cost").
# Not a test: never run by `make check` or tests/run-all; the regression
# bars are asserted by tests/integration/skf/test-skf-cost.
set -uo pipefail

usage() {
	cat <<EOF
Usage: bench-cost.sh [--build DIR] [--module PATH] [--usb-us N] [--keep] [--only skf|p11]
  --build DIR   the build tree (default: \$UKEY_TOP_BUILDDIR, else the current
                directory if it holds tools/ukey/ukey, else the source tree)
  --module PATH the module under test (default: DIR/module/.libs/ukey-pkcs11.so);
                e.g. an older build's, for before/after figures
  --usb-us N    modelled USB latency per APDU in microseconds (default 5000)
  --keep        keep the work directory (printed at the end)
  --only B      run the cells of one backend only
Needs: a built tree (make), softhsm2, pkcs11-tool and pkcs11-spy.so (opensc),
certutil, modutil and cmsutil (libnss3-tools), sqlite3, jq, openssl.
Exit 0 when every cell ran; 1 when one failed; 2 on a usage or setup error.
A missed bar is reported in the table, not an error.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-}
[ -z "$build" ] && [ -x "$PWD/tools/ukey/ukey" ] && build=$PWD
[ -z "$build" ] && build=$top
MOD='' USB=5000 KEEP='' ONLY=''
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=${2:-}; shift $(($# > 1 ? 2 : 1)) ;;
	--module) MOD=${2:-}; shift $(($# > 1 ? 2 : 1)) ;;
	--usb-us) USB=${2:-}; shift $(($# > 1 ? 2 : 1)) ;;
	--keep) KEEP=1; shift ;;
	--only) ONLY=${2:-}; shift $(($# > 1 ? 2 : 1)) ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
die() { echo "bench-cost: $*" >&2; exit 2; }
case $USB in '' | *[!0-9]*) die "--usb-us needs a number" ;; esac
case $ONLY in '' | skf | p11) ;; *) die "--only takes skf or p11" ;; esac
MOD=${MOD:-$build/module/.libs/ukey-pkcs11.so}
MOD=$(readlink -f "$MOD")
UKEY=$build/tools/ukey/ukey
SEALS=$build/bench/bench-seals
CA_SERVICE_DIR=$build/ca-service
SOFTHSM=${UKEY_TEST_SOFTHSM:-/usr/lib/softhsm/libsofthsm2.so}
SPY=$(ls /usr/lib/*/pkcs11-spy.so /usr/lib/*/pkcs11/pkcs11-spy.so 2>/dev/null | head -n 1)
for t in pkcs11-tool certutil modutil cmsutil sqlite3 jq openssl; do
	command -v $t >/dev/null || die "$t not installed (tools/install-deps)"
done
[ -n "$SPY" ] || die "pkcs11-spy.so (opensc-pkcs11) not found"
[ -f "$MOD" ] && [ -x "$UKEY" ] && [ -x "$SEALS" ] && [ -x "$CA_SERVICE_DIR/ca-service" ] ||
	die "build first: need $MOD, tools/ukey/ukey, bench/bench-seals, ca-service/ca-service"
. "$top/ca-service/ca-run.sh"

W=$(mktemp -d "${TMPDIR:-/tmp}/bench-cost.XXXXXX") || die "no work directory"
cleanup() {
	ca_stop_all
	if [ -n "$KEEP" ]; then echo "work directory kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT
export HOME=$W UKEY_CONFIG=$W/none.conf UKEY_PIN_FILE=$W/pin XDG_STATE_HOME=$W/state LC_ALL=C.UTF-8
export XDG_RUNTIME_DIR=$W/run UKEY_MODULE=$MOD UKEY_TOP_BUILDDIR=$build
mkdir -m 0700 "$W/run"
unset LANGUAGE UKEY_LOG UKEY_SKF_EMU_COST UKEY_SKF_EMU_USB_US
# Test PIN of the virtual U-KEYs (public by design), never in argv.
(umask 077 && echo 123456 >"$W/pin")
printf 'a message a site asks the U-KEY to sign\n' >"$W/msg"

# ---- setup (not measured)
mkdir "$W/seals" && "$SEALS" make "$W/seals" >"$W/seals.log" || die "bench-seals make failed"
SEAL_BYTES=$(cat "$W"/seals/*.der | wc -c)

# vkey NAME BACKEND [create options]: a virtual U-KEY in W/NAME.
# cmsutil checks the signer's chain: the vkey's CA is trusted in the NSS
# database (not on the token), as tests/consumers/nss.sh does.
vkey() {
	local d=$W/$1
	"$top/tools/ukey-vkey" create "$d" --backend "$2" --key-type rsa "${@:3}" >"$d.log" 2>&1 ||
		die "ukey-vkey create $1 failed: $(tail -n 3 "$d.log")"
	certutil -A -d "sql:$DB" -n "$1 CA" -t C,C,C -i "$d/ca/ca.pem" </dev/null >/dev/null 2>&1 ||
		die "cannot trust the $1 CA in the NSS database"
}
info() { sed -n "s/^$2=//p" "$W/$1/vkey.info"; }
# service NAME: the reference service for W/NAME, the seals registered as its
# usable seals (so `ukey seals` joins them and renew remakes them), the token
# enrolled, bound and its identity checked.
service() {
	local d=$W/$1 st=$W/st-$1 m f n=0 sha names=(业务章 财务专用章 合同专用章)
	m=$(info "$1" serial)
	"$CA_SERVICE_DIR/ca-service" init --state "$st" --ca-cert "$d/ca/ca.pem" --ca-key "$d/ca/ca.key" >/dev/null ||
		die "ca-service init failed"
	ca_start "$st" || die "ca-service did not start: $(tail -n 3 "$st.log")"
	ca_cli enroll "$m" "$d/keys/sign.pem" >/dev/null || die "enroll failed"
	for f in "$W"/seals/*.der; do
		n=$((n + 1))
		sha=$(sha256sum "$f" | cut -c1-64)
		sqlite3 "$st/ca.db" "INSERT INTO seals(medium, es_id, name, type, status, der, sha256, valid_from,
			valid_to) VALUES('$m', '4401000000009$n', '${names[$((n - 1))]}', 1, 'usable', readfile('$f'), '$sha',
			strftime('%s','now') - 86400, strftime('%s','now') + 365 * 86400);" || die "cannot register the seals"
	done
}
use_service() { # NAME: ukey talks to W/NAME's service
	CA_URL=$(sed -n 's/^URL=//p' "$W/st-$1.out")
	CA_TLS=$(sed -n 's/^CA_FILE=//p' "$W/st-$1.out")
	CA_TOKEN_FILE=$(sed -n 's/^OPERATOR_TOKEN_FILE=//p' "$W/st-$1.out")
	export UKEY_SERVICE_URL=$CA_URL UKEY_SERVICE_CA=$CA_TLS
}
bind_token() { # NAME: binding confirmed, identity checked, a paid cert+seals order
	local m code oid
	m=$(info "$1" serial)
	code=$("$UKEY" bind --json 2>"$W/bind.err" | jq -r .code)
	ca_cli confirm-binding "$code" "${m: -4}" >/dev/null && ca_cli check-identity "$m" >/dev/null ||
		die "binding failed: $(cat "$W/bind.err")"
	oid=$(ca_cli create-order "$m" --covers cert+seals --price 30000 | jq -r .id) &&
		ca_cli pay "$oid" wechat >/dev/null || die "order failed"
}

DB=$W/nssdb
mkdir -p "$DB"
certutil -N -d "sql:$DB" --empty-password </dev/null >/dev/null 2>&1 &&
	modutil -dbdir "sql:$DB" -add ukey -libfile "$MOD" -force </dev/null >/dev/null 2>&1 ||
	die "cannot make the NSS database"

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
FAILED=

# run CELL LOG CMD...: runs the consumer, its stdout and stderr in W/CELL.out;
# sets WALL (seconds).
run() {
	local cell=$1 t0 rc
	shift
	t0=$(now)
	"$@" >"$W/$cell.out" 2>&1 </dev/null
	rc=$?
	WALL=$(secs "$t0" "$(now)")
	if [ $rc -ne 0 ]; then
		echo "bench-cost: $cell failed (exit $rc): $(tail -n 3 "$W/$cell.out")" >&2
		FAILED=1
	fi
	return $rc
}

cell_cmd() { # CELL SIGN-NICK ENC-NICK: CMD = the consumer command of a cell
	case $1 in
	init) CMD=(pkcs11-tool --module "$MOD" --show-info) ;;
	listing) CMD=(certutil -L -h all -d "sql:$DB") ;;
	login+sign) CMD=(cmsutil -S -N "$2" -Y "$3" -d "sql:$DB" -f "$W/pin" -i "$W/msg" -o "$W/sig.p7") ;;
	status) CMD=("$UKEY" status) ;;
	seals) CMD=("$UKEY" seals) ;;
	renew) CMD=("$UKEY" renew --with-seals) ;;
	esac
}
CELLS="init listing login+sign status seals renew"

# The minimums, computed by hand (docs/benchmarks.md, "Device cost"). SKF
# calls: opening the key (EnumDev, ConnectDev, GetDevInfo, EnumApplication,
# OpenApplication) 5, its token info (GetPINInfo user and SO) 2, closing it
# at C_Finalize (CloseApplication, DisConnectDev) 2; the certificates
# (EnumContainer, OpenContainer, 2 ExportCertificate, 2 ExportPublicKey for
# the keys of their CKA_IDs, CloseContainer) 7; a signature (OpenContainer,
# RSASignData, CloseContainer) 3; the seals (EnumFiles, 3 GetFileInfo, and a
# ReadFile per 2 KiB read: the driver's chunk) 4 + chunks; a login 1, a
# logout 1; and where ukey logs in, the PIN counters read again just before
# the PIN is used (GetPINInfo user and SO) 2: ukey warns before a try it
# cannot see and refuses to spend the last one unasked, and another process
# may have spent tries since the token was listed.
chunks() { # FILE...: ReadFile/WriteFile calls of 2 KiB for these files
	local f n=0
	for f in "$@"; do n=$((n + ($(wc -c <"$f") + 2047) / 2048)); done
	echo $n
}
SEAL_CHUNKS=$(chunks "$W"/seals/*.der)
declare -A MIN_SKF=(
	[init]=4                                 # EnumDev; C_GetSlotInfo: ConnectDev, GetDevInfo, DisConnectDev
	[listing]=$((5 + 2 + 7 + 1 + 2))         # + GenRandom (NSS seeds its generator)
	[login+sign]=$((5 + 2 + 7 + 1 + 1 + 3 + 1 + 2))
	[status]=$((5 + 2 + 2 + 7 + 1 + 3 + 4 + SEAL_CHUNKS + 1 + 2))   # logs in to sign the status request
	[seals]=$((5 + 2 + 2 + 7 + 1 + 3 + 4 + SEAL_CHUNKS + 1 + 2))
	[renew]=-                                # after the run: depends on the new seals' sizes
)
declare -A MIN_READ=([init]=0 [listing]=0 [login+sign]=0 [status]=$SEAL_BYTES [seals]=$SEAL_BYTES [renew]=-)
# p11 backend calls: C_GetFunctionList, C_Initialize, C_GetSlotList,
# C_GetSlotInfo, C_GetTokenInfo, C_GetMechanismList, C_OpenSession 7;
# C_CloseSession, C_Finalize 2; a search (Init, FindObjects, Final) 3; an
# object's attributes (sizes, values) 2; a signature (SignInit, Sign) 2.
declare -A MIN_P11=(
	[init]=5                                 # GetFunctionList, Initialize, GetSlotList, GetSlotInfo, Finalize
	[listing]=$((7 + 3 + 2 * 2 + 3 + 1 + 2)) # certificates, their public keys, GenerateRandom
	[login+sign]=$((7 + 3 + 2 * 2 + 3 + 1 + 1 + 3 + 2 + 2 + 1 + 2))
	[status]=$((7 + 3 + 2 * 2 + 3 + 1 + 3 + 2 + 2 + 3 + 3 * 2 + 1 + 2))
	[seals]=$((7 + 3 + 2 * 2 + 3 + 1 + 3 + 2 + 2 + 3 + 3 * 2 + 1 + 2))
	[renew]=70                               # docs/benchmarks.md
)
declare -A MIN_DATA=([init]=0 [listing]=0 [login+sign]=0 [status]=$SEAL_BYTES [seals]=$SEAL_BYTES [renew]=-)
SLACK=12 # "within a small constant": SKF calls over the minimum a cell may take

# renew_min STATE-DIR: the renewal's minimums once its new seals are known
# (their DER is in the journal): SKF calls, bytes read (the old seals for
# the journal, the new ones read back).
renew_min() {
	local j new=0 chunks=0 n=0 len
	j=$(ls "$1"/ukey/renew-*.json 2>/dev/null | head -n 1)
	while read -r len; do
		[ -n "$len" ] || continue
		n=$((n + 1)) new=$((new + len)) chunks=$((chunks + (len + 2047) / 2048))
	done < <(jq -r '.seals[]?.der' "$j" 2>/dev/null | while read -r b; do base64 -d <<<"$b" | wc -c; done)
	# open, token info, its PIN counters again before the login,
	# certificates, login, status signature, the old
	# seals (the journal's hashes), key generation (CreateContainer,
	# GenRSAKeyPair, CloseContainer), CSR and request signatures, the
	# certificate (OpenContainer, ImportCertificate, CloseContainer), each
	# new seal written (CreateFile + chunks) and read back (chunks), the
	# old signing pair retired (ukey-retired: CreateFile, WriteFile), the old
	# seals deleted, the confirmation signature, logout, close.
	echo "$((5 + 2 + 2 + 7 + 1 + 3 + 4 + SEAL_CHUNKS + 3 + 3 + 3 + 3 + n + chunks + chunks + 2 + 3 + 3 + 1 + 2))" \
		"$((SEAL_BYTES + new))"
}

declare -A R_CALLS R_APDUS R_READ R_WALL R_P11 R_DATA

# skf_sum FILE: calls apdus readfile-bytes over every block of a cost report.
skf_sum() {
	awk '$1 == "total" { c += $2; a += $5 } $1 == "SKF_ReadFile" { r += $4 }
		END { printf "%d %d %d\n", c, a, r }' "$1"
}
# spy_sum LOG: backend calls, and the CKA_VALUE bytes read from CKO_DATA
# objects (the value buffers the module passed for objects whose class the
# log showed as CKO_DATA).
spy_sum() {
	awk '
		/^[0-9]+: C_/ { calls++; fn = $2; obj = ""; sect = ""; next }
		/^\[in\] hObject = / { obj = $4; next }
		/^\[in\] pTemplate/ { sect = "in"; next }
		/^\[out\] pTemplate/ { sect = "out"; next }
		/^Returned:/ { sect = ""; next }
		fn == "C_GetAttributeValue" && sect == "out" && $1 == "CKA_CLASS" { cls[obj] = $2 }
		fn == "C_GetAttributeValue" && sect == "in" && $1 == "CKA_VALUE" && $2 !~ /^0+$/ {
			pend[obj] += $4 }
		fn == "C_GetAttributeValue" && /^Returned:/ { }
		END { for (o in pend) if (cls[o] == "CKO_DATA") d += pend[o]; printf "%d %d\n", calls, d }
	' "$1"
}

if [ "$ONLY" != p11 ]; then
	vkey skf skf
	"$top/tools/ukey-vkey" add-seals "$W/skf" "$W/seals" >"$W/skf-seals.log" 2>&1 || die "add-seals (skf) failed"
	vkey skf2 skf --share-with "$W/skf"
	service skf
	export XDG_STATE_HOME=$W/state-skf
	for cell in $CELLS; do
		export UKEY_PKCS11_CONF=$W/skf/ukey-pkcs11.conf UKEY_SKF_EMU_DEVICES=$W/skf/device
		[ "$cell" = init ] && UKEY_SKF_EMU_DEVICES=$W/skf/device:$W/skf2/device
		use_service skf
		[ "$cell" = renew ] && bind_token skf
		echo "skf: $cell" >&2
		cell_cmd "$cell" "$(info skf label):ukey sign cert" "$(info skf label):ukey enc cert"
		UKEY_SKF_EMU_COST=$W/cost.$cell UKEY_SKF_EMU_USB_US=$USB run "skf-$cell" "${CMD[@]}"
		read -r R_CALLS[$cell] R_APDUS[$cell] R_READ[$cell] <<<"$(skf_sum "$W/cost.$cell")"
		R_WALL[$cell]=$WALL
	done
	read -r MIN_SKF[renew] MIN_READ[renew] <<<"$(renew_min "$W/state-skf")"
	ca_stop_all
fi

if [ "$ONLY" != skf ]; then
	vkey p11 softhsm
	BENCH_PIN=123456 SOFTHSM2_CONF=$W/p11/softhsm2.conf "$SEALS" put "$SOFTHSM" "$(info p11 serial)" "$W/seals" \
		>"$W/p11-seals.log" 2>&1 || die "bench-seals put failed: $(cat "$W/p11-seals.log")"
	sed "s|^library = .*|library = $SPY|" "$W/p11/ukey-pkcs11.conf" >"$W/spy.conf"
	service p11
	export XDG_STATE_HOME=$W/state-p11
	for cell in $CELLS; do
		export UKEY_PKCS11_CONF=$W/spy.conf SOFTHSM2_CONF=$W/p11/softhsm2.conf PKCS11SPY=$SOFTHSM
		export PKCS11SPY_OUTPUT=$W/spy.setup
		use_service p11
		[ "$cell" = renew ] && bind_token p11
		echo "p11: $cell" >&2
		cell_cmd "$cell" "$(info p11 label):Signing certificate" "$(info p11 label):Encryption certificate"
		PKCS11SPY_OUTPUT=$W/spy.$cell run "p11-$cell" "${CMD[@]}"
		read -r R_P11[$cell] R_DATA[$cell] <<<"$(spy_sum "$W/spy.$cell")"
	done
	read -r _ MIN_DATA[renew] <<<"$(renew_min "$W/state-p11")"
	unset PKCS11SPY PKCS11SPY_OUTPUT
fi

# ---- the table
met() { # CALLS MIN: yes/NO/-
	if [ "$2" = - ] || [ -z "$1" ]; then echo -; elif [ "$1" -le $(($2 + SLACK)) ]; then echo yes; else echo NO; fi
}
printf 'ukey-pkcs11 device cost: module %s\n' "$MOD"
printf 'SKF U-KEY (emulator, RSA-2048, 2 certificates, 3 seals = %d bytes), %d us per APDU of 255 bytes\n' \
	"$SEAL_BYTES" "$USB"
printf '%-11s %14s %6s %20s %8s %4s | %14s %20s\n' cell "SKF calls (min)" APDUs "file bytes (min)" "wall s" bar \
	"p11 calls (min)" "data bytes (min)"
for cell in $CELLS; do
	bar=$(met "${R_CALLS[$cell]:-}" "${MIN_SKF[$cell]}")
	[ "${MIN_READ[$cell]}" = 0 ] && [ "${R_READ[$cell]:-0}" != 0 ] && bar=NO
	printf '%-11s %6s (%5s) %6s %9s (%8s) %8s %4s | %6s (%5s) %9s (%8s)\n' "$cell" "${R_CALLS[$cell]:--}" \
		"${MIN_SKF[$cell]}" "${R_APDUS[$cell]:--}" "${R_READ[$cell]:--}" "${MIN_READ[$cell]}" \
		"${R_WALL[$cell]:--}" "$bar" "${R_P11[$cell]:--}" "${MIN_P11[$cell]}" "${R_DATA[$cell]:--}" \
		"${MIN_DATA[$cell]}"
done
echo "bar: SKF calls <= minimum + $SLACK, and no file byte read where the minimum is 0"
[ -z "$FAILED" ]
