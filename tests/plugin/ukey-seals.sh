#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey seals end to end: the seals the reference CA service makes (a seal,
# its identical duplicate, a second seal, an unusable remake) written on a
# virtual U-KEY with `ukey-vkey add-seals`; `ukey seals` joins them with the
# service's status; `seals export` writes the picture; `seals clean` checks
# the guide's four rules locally (every rule broken once), --dry-run sends
# nothing, the terminal dialogue, --auto --yes cleans; a broken seal object;
# a seal whose certList holds no certificate; Chinese messages; the skf
# emulator lists the seals too.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
CA_SERVICE_DIR=$build/ca-service
UKEY=$build/tools/ukey/ukey
need_tools openssl jq softhsm2-util pkcs11-tool
[ -x "$CA_SERVICE_DIR/ca-service" ] || tap_skip_all "ca-service not built"
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
. "$top/tests/ca-service/ca-lib.sh"
UKEY_TEST_SOFTHSM=${UKEY_TEST_SOFTHSM:-/usr/lib/softhsm/libsofthsm2.so}
W=$(mktemp -d "${TMPDIR:-/tmp}/ukey-seals.XXXXXX")
cleanup() {
	ca_stop_all
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
tap_plan 45

export UKEY_TOP_BUILDDIR=$build
"$top/tools/ukey-vkey" create "$W/v1" >"$W/vkey.log" 2>&1 || { echo "Bail out! ukey-vkey failed"; exit 1; }
eval "$("$top/tools/ukey-vkey" env "$W/v1")"
M=$(sed -n 's/^serial=//p' "$W/v1/vkey.info")
"$CA_SERVICE_DIR/ca-service" init --state "$W/st" --ca-cert "$W/v1/ca/ca.pem" --ca-key "$W/v1/ca/ca.key" >/dev/null &&
	ca_start "$W/st" || { echo "Bail out! the CA service did not start"; exit 1; }
ca_cli enroll "$M" "$W/v1/keys/sign.pem" 007112023042010001 >/dev/null || { echo "Bail out! enroll failed"; exit 1; }
echo 123456 >"$W/pin"
export HOME=$W UKEY_CONFIG=$W/none.conf UKEY_PIN_FILE=$W/pin UKEY_MODULE=${UKEY_TEST_MODULE:-$build/module/.libs/ukey-pkcs11.so}
export UKEY_SERVICE_URL=$CA_URL UKEY_SERVICE_CA=$CA_TLS LC_ALL=C.UTF-8 UKEY_LOCALEDIR=$build/po/locale
unset LANGUAGE
u() {
	OUT=$(cd "$W" && timeout 90 ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$UKEY" "$@" 2>"$W/err")
	RC=$?
	ERR=$(cat "$W/err")
}
js() { jq -r "$1" <<<"$OUT" 2>/dev/null; }
# plan NAME JSON-DECISIONS: a plan file
plan() { printf '{"decisions":[%s]}\n' "$2" >"$W/$1.json"; }

# --- the service's seals, written on the token
mkdir -p "$W/seals"
added=$(ca_cli add-seals "$M" "$W/seals") || { echo "Bail out! add-seals failed"; exit 1; }
ids() { jq -r "[.seals[] | select($1) | .id] | join(\" \")" <<<"$added"; }
read -r D1 D2 <<<"$(ids '.status == "usable" and .name == "业务章"')"
ONE=$(ids '.name == "财务专用章"')
BAD=$(ids '.status == "unusable"')
t_is "$(ls "$W/seals" | wc -l) ${D1:+d1}${D2:+d2} ${ONE:+one} ${BAD:+bad}" "4 d1d2 one bad" \
	"the service wrote 4 seal DER files: a duplicate pair, a second seal, an unusable remake"
"$top/tools/ukey-vkey" add-seals "$W/v1" "$W/seals" >"$W/add.log" 2>&1
t_is "$? $(grep -c '^seal: 业务章' "$W/add.log")" "0 3" "ukey-vkey add-seals: 4 objects, labelled with the names decoded from the DER"
ca_cli mark-seals-abnormal "$M" >/dev/null

# --- listing
u seals --json
t_is "$RC $(js '.seals | length') $(js .service_state)" "0 4 abnormal" "seals --json: 4 seals on the token, service state abnormal"
t_is "$(js '[.seals[].status] | sort | join(",")')" "unusable,usable,usable,usable" \
	"joined by sha256: the duplicates and the second seal usable, the remake unusable"
t_is "$(js '[.seals[] | select(.id == "'"$ONE"'") | .name, .type, .type_name] | join(",")')" "财务专用章,2,财务专用章" \
	"a seal's name and type decoded, the type's name from the service's table"
t_is "$(js '[.seals[] | select(.signature_ok and .valid)] | length')" 4 "every seal's maker signature verifies"
u seals
t_grep "seals (text): the unusable one is said to be a duplicate awaiting cleaning" "unusable: a duplicate awaiting cleaning" "$OUT"
t_grep "seals (text): points to 'ukey seals clean'" "ukey seals clean" "$OUT"
UKEY_PIN_FILE=$W/nopin u seals --offline --json
t_is "$RC $(js '.seals | length') $(js .service_state) $(js '.seals[0].status')" "0 4 null null" \
	"seals --offline: decoded from the token alone, no PIN asked"

# --- export
u seals export 1 -o "$W/pic"
t_is "$RC $(head -c 2 "$W/pic.bmp" 2>/dev/null)" "0 BM" \
	"export: the picture of seal 1 (业务章, a BMP) is written as pic.bmp (the extension follows the sniffed type)"
u seals export 1 -o "$W/pic"
t_is "$RC $(grep -c 'pic.bmp exists; use --force' <<<"$ERR")" "1 1" "export refuses to overwrite an existing file"
t_grep "... and says --force" "force" "$ERR"
u seals export 1 -o "$W/pic" --force
t_is "$RC" 0 "export --force overwrites"
u seals export "$ONE" --json
t_is "$RC $(js .name) $(js .format)" "0 财务专用章 png" "export by the service's seal id"
u seals export 9
t_is "$RC $(grep -c 'no seal 9 on the U-KEY' <<<"$ERR")" "1 1" "export of a seal that does not exist: exit 1, saying so"

# --- clean: each rule broken once; nothing is sent (state stays abnormal)
K1='{"id":"'$D1'","action":"keep","type":1}'
X2='{"id":"'$D2'","action":"drop"}'
K3='{"id":"'$ONE'","action":"keep","type":2}'
plan unusable "$K1,$X2,$K3,{\"id\":\"$BAD\",\"action\":\"drop\"}"
plan missing "$K1,$X2"
plan notype "{\"id\":\"$D1\",\"action\":\"keep\"},$X2,$K3"
plan twice "$K1,{\"id\":\"$D2\",\"action\":\"keep\",\"type\":3},$K3"
plan none "{\"id\":\"$D1\",\"action\":\"drop\"},$X2,$K3"
plan taken "{\"id\":\"$D1\",\"action\":\"keep\",\"type\":2},$X2,$K3"
plan unknown "$K1,$X2,$K3,{\"id\":\"S999\",\"action\":\"drop\"}"
for c in "unusable rule_unusable_chosen $BAD" "missing rule_missing_decision $ONE" "notype rule_missing_type $D1" \
	"twice rule_identical_kept_twice $D2" "none rule_identical_none_kept $D1" "taken rule_type_taken $ONE" \
	"unknown not_found S999"; do
	read -r f rule sid <<<"$c"
	u seals clean --plan "$W/$f.json"
	t_check "clean --plan breaking $rule: exit 1, the rule and seal $sid named" \
		grep -q "^1 .*\[$rule\] .*$sid" <<<"$RC $(tr '\n' ' ' <<<"$ERR")"
done
t_grep "... the seals are named by name too" "$D1 \\(业务章\\)" "$(u seals clean --plan "$W/none.json"; echo "$ERR")"
plan all "$K1,{\"id\":\"$D2\",\"action\":\"keep\",\"type\":1},{\"id\":\"$BAD\",\"action\":\"drop\"}"
u seals clean --plan "$W/all.json" --json
t_is "$RC $(js '[.violations[].rule] | join(",")')" \
	"1 rule_unusable_chosen,rule_missing_decision,rule_identical_kept_twice,rule_type_taken" \
	"every violation is reported at once (--json, in the service's order)"
LANGUAGE=zh_CN u seals clean --plan "$W/twice.json"
t_grep "LANGUAGE=zh_CN: the rule is worded in Chinese (相同的印章)" "若存在多个相同的印章，只能保留其中一个印章" "$ERR"

# --- the terminal dialogue (script gives it a pty): keep both duplicates -> refused locally.
# script(1) fails with exit 1 when it gets no pseudo-terminal, the very
# status the refusal has: it must first prove it runs a command on a pty.
pty=$(script -qec 'tty; exit 7' /dev/null </dev/null 2>&1)
pty_rc=$?
if ! command -v script >/dev/null; then
	for i in 1 2 3; do t_ok "# SKIP script(1) not installed"; done
elif [ "$pty_rc" != 7 ] || ! grep -q '^/dev/' <<<"$pty"; then
	why=$(tr -d '\r' <<<"$pty" | head -n 1)
	for i in 1 2 3; do t_ok "# SKIP script(1) cannot run a command on a pseudo-terminal here (exit $pty_rc: ${why:-no output})"; done
else
	printf 'k\n\nk\n\nk\n\n' >"$W/answers"
	(cd "$W" && timeout 60 script -qec "$UKEY seals clean" /dev/null <"$W/answers" >"$W/tty.out" 2>&1)
	rc=$?
	t_is "$rc $(grep -c '\[k\]eep or \[d\]rop?' "$W/tty.out")" "1 3" \
		"interactive clean: the dialogue ran (3 seals asked), then refused keeping two identical seals (exit 1)"
	t_grep "... the unusable seal is shown, not selectable" "not selectable" "$(cat "$W/tty.out")"
	t_grep "... and the rule is named" "rule_identical_kept_twice" "$(cat "$W/tty.out")"
fi

# --- dry run, proposal without --yes, then --auto --yes
u seals clean --auto --dry-run
t_is "$RC $(js '.decisions | length') $(js '[.decisions[] | select(.action == "drop")] | length')" "0 3 1" \
	"--auto --dry-run prints the JSON body: 3 decisions, one duplicate dropped"
u seals --json
t_is "$(js .service_state)" abnormal "--dry-run sent nothing: the service still says abnormal"
u seals clean --auto </dev/null
t_is "$RC" 3 "--auto without --yes off a terminal: plan shown, nothing sent (exit 3)"
t_grep "... the proposal keeps a seal (保留印章)" "keep \\(保留印章\\)" "$OUT"
u seals clean --auto --yes --json
t_is "$RC $(js .sent) $(js .state)" "0 true clean" "--auto --yes: the CA accepts the decisions"
u seals --json
t_is "$(js .service_state) $(js '[.seals[] | select(.status == "usable")] | length')" "clean 3" \
	"after cleaning: service clean; the dropped duplicate's twin still matches"
u status --json
t_is "$(js .service.seals)" clean "ukey status agrees: seals clean"
u seals clean --auto --yes
t_is "$RC" 3 "clean when already clean: nothing to do (exit 3)"

# --- a broken seal on the token
head -c 200 "$W/seals/$D1.der" >"$W/broken.der"
pkcs11-tool --module "$UKEY_TEST_SOFTHSM" --login --pin 123456 --write-object "$W/broken.der" --type data \
	--label "broken seal" --application-label "GM/T 0031 seal" >/dev/null 2>&1
u seals --offline --json
t_is "$RC $(js '.seals | length') $(js '[.seals[] | select(.decoded | not) | .label] | join(",")')" "0 5 broken seal" \
	"a truncated seal object is listed as not decodable, not a crash"
t_check "... with the decoder's reason" test -n "$(js '.seals[] | select(.decoded | not) | .error')"
n=$(js '.seals[] | select(.decoded | not) | .index')
u seals export "$n" -o "$W/broken"
t_is "$RC $(grep -c "seal $n cannot be decoded" <<<"$ERR")" "1 1" "exporting the broken seal: exit 1 with a message"
u show
t_is "$RC" 0 "ukey show still works with a broken seal on the token"

# --- a seal as seen in the wild: 2014 shape, certList holding an IA5String placeholder
mkdir -p "$W/wild"
if "$build/tests/unit/seal-make" "$W/wild/wild.der" && "$top/tools/ukey-vkey" add-seals "$W/v1" "$W/wild" >"$W/wild.log" 2>&1; then
	u seals --offline --json
	t_is "$RC $(js '[.seals[] | select(.cert_list_odd | length > 0) | .decoded, .signature_ok, .cert_list_odd[0].index, .cert_list_odd[0].type, .cert_list_odd[0].text] | join(" ")')" \
		"0 true true 1 IA5String no-cert-yet" \
		"a seal whose certList holds an IA5String: decoded, the maker's signature verified, the odd entry reported (--json)"
	u seals --offline
	t_grep "... and in the listing" 'certList:  entry 1 is no certificate \(IA5String "no-cert-yet"\), ignored' "$OUT"
else
	t_fail "the wild seal was made and written: $(cat "$W/wild.log")"
	t_fail "... and in the listing"
fi

# --- the skf emulator: add-seals writes files the skf driver lists as seals
if [ -f "$build/emulator/.libs/libukey-skf-emu.so" ]; then
	"$top/tools/ukey-vkey" create "$W/s1" --backend skf >>"$W/vkey.log" 2>&1 &&
		"$top/tools/ukey-vkey" add-seals "$W/s1" "$W/seals" >>"$W/vkey.log" 2>&1
	t_is "$? $(ls "$W/s1/device/apps/UKEY/files" | wc -l)" "0 4" "skf: add-seals makes 4 files in the application"
	OUT=$(eval "$("$top/tools/ukey-vkey" env "$W/s1")"; unset SOFTHSM2_CONF
	      ${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
		pkcs11-tool --module "$UKEY_MODULE" -O --type data 2>&1)
	t_is "$(grep -c 'GM/T 0031 seal' <<<"$OUT")" 4 "skf: the driver lists them with CKA_APPLICATION \"GM/T 0031 seal\""
	(eval "$("$top/tools/ukey-vkey" env "$W/s1")"; cd "$W" && timeout 60 "$UKEY" seals --offline --json) >"$W/skf.json" 2>&1
	OUT=$(cat "$W/skf.json")
	t_is "$(js '[.seals[] | select(.decoded)] | length')" 4 "skf: ukey seals decodes the 4 seals"
else
	for i in 1 2 3; do t_ok "# SKIP skf emulator not built"; done
fi
