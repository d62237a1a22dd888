#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Text from outside never reaches the terminal raw (issue 11, item 8): on
# both backends (SoftHSM RSA, the SKF emulator SM2), a seal whose name holds
# an OSC title sequence (the service's DER patched; the token's label comes
# from it), the CA's seal list answering names and esIDs with ESC sequences
# (its database edited, as a hostile or broken CA would answer), a token
# label with an OSC sequence, a certificate whose CN holds the C1 control
# CSI (U+009B), an invoice title with it: `ukey list/show/seals/seals
# clean/seals export/status/invoices` print none of them raw (no C0, DEL or
# C1 byte in stdout or stderr) but escaped (\x1b, \u{009b}); --json carries
# the real value, escaped as JSON. The seal list's state is an enum: an
# unknown value is an error, not "clean" (a seal's unknown status is
# tested in unit/test-plugin-json: the reference service never lists one).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-escapes sqlite3 perl
tap_plan 31
export UKEY_TEST_PIN=123456

# raw TEXT: true when TEXT holds a control character other than newline
# (C0, DEL, or a C1 control in UTF-8): what a terminal would act on.
raw() { printf '%s' "$1" | LC_ALL=C grep -qaP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]'; }
# clean DESC: ukey's last output (stdout and stderr) holds no raw control.
clean() {
	if raw "$OUT$ERR"; then
		t_fail "$1"
		t_diag "raw control characters in:" "$(printf '%s%s' "$OUT" "$ERR" | od -c | head -20)"
	else
		t_ok "$1"
	fi
}

OSC=$'\e]0;pwn\aZ'   # 9 bytes, as many as "业务章" in UTF-8
CSI=$'\xc2\x9b31m'   # C1 CSI: red text on terminals that take C1
for kb in "rsa softhsm" "sm2 skf"; do
	set -- $kb
	tag="$1/$2"
	if ! enroll "$1" "$2"; then
		for i in $(seq 12); do t_fail "$tag: enroll at the reference service"; done
		continue
	fi
	bind_and_check
	mkdir -p "$W/seals-$1"
	added=$(ca_cli add-seals "$M" "$W/seals-$1")
	# One seal's name is patched in its DER (same length: the DER stays
	# well formed, its maker signature no longer verifies).
	f=$W/seals-$1/$(jq -r '[.seals[] | select(.name == "业务章" and .status == "usable") | .id][0]' <<<"$added").der
	perl -0777 -pi -e "s/\xe4\xb8\x9a\xe5\x8a\xa1\xe7\xab\xa0/$OSC/g" "$f"
	"$top/tools/ukey-vkey" add-seals "$D" "$W/seals-$1" >"$W/add-$1.log" 2>&1
	# An SKF device refuses control characters in file names (the
	# emulator too): the seal's file gets a plain name, its content keeps
	# the hostile one.
	if [ "$2" = skf ]; then
		files=$D/device/apps/$(sed -n 's/^application=//p' "$D/vkey.info")/files
		for d in "$files"/*$'\e'*; do [ -e "$d" ] && mv "$d" "$files/patched"; done
	fi
	ca_cli mark-seals-abnormal "$M" >/dev/null
	sqlite3 "$DB" "UPDATE seals SET name = '财务专用章' || char(27) || '[2J', es_id = es_id || char(27) || ']2;x' || char(7)
		WHERE name = '财务专用章'" || t_diag "sqlite3 could not edit $DB"

	u seals
	clean "$tag: seals: no raw control character"
	t_grep "$tag: seals: the patched name shown escaped" 'Z?\\x1b\]0;pwn\\x07Z' "$OUT"
	u seals --json
	t_is "$RC $(js '[.seals[] | select(.name | test("\u001b]0;pwn\u0007Z"))] | length')" "0 1" \
		"$tag: seals --json: the real name, as a JSON escape"
	clean "$tag: seals --json: no raw control character"
	u seals clean --auto
	clean "$tag: seals clean --auto (a proposal, not sent): the service's names and esIDs not raw"
	t_grep "$tag: ... the service's seal name shown escaped" '财务专用章\\x1b\[2J' "$OUT$ERR"
	u show
	clean "$tag: show: no raw control character"
	t_grep "$tag: show: the seal's name escaped" '\\x1b\]0;pwn\\x07Z' "$OUT"
	u status
	clean "$tag: status: no raw control character"
	n=$(u seals --offline --json; js '.seals[] | select(.name | test("pwn")) | .index')
	u seals export "$n" -o "$W/pic-$1"
	clean "$tag: seals export: the name in the message not raw"
	# The service's state is an enum: an unknown one is an error.
	sqlite3 "$DB" "UPDATE media SET seals_state = 'dirty' WHERE medium = '$M'"
	u seals
	t_is "$RC" 5 "$tag: the seal list's state 'dirty' (unknown): exit 5, not taken for clean"
	t_grep "$tag: ... the message names the member" '"state" is not "clean" or "abnormal"' "$ERR"
	ca_stop_all
done

# The token's own strings: its label (both backends) and a certificate's
# subject (SoftHSM, written through SoftHSM itself).
for b in softhsm skf; do
	"$top/tools/ukey-vkey" create "$W/label-$b" --backend "$b" --label "Key$OSC" >"$W/label-$b.log" 2>&1
	eval "$("$top/tools/ukey-vkey" env "$W/label-$b")"
	u list
	clean "$b: list: the token label's OSC sequence not raw"
done
t_grep "... shown escaped" 'label "Key\\x1b\]0;pwn\\x07Z"' "$OUT"
eval "$("$top/tools/ukey-vkey" env "$W/label-softhsm")"
openssl req -utf8 -x509 -newkey rsa:2048 -nodes -keyout "$W/c1.key" -out "$W/c1.der" -outform DER -days 3 \
	-subj "/CN=C1${CSI}x/O=t" 2>/dev/null
pkcs11-tool --module "$UKEY_TEST_SOFTHSM" --login --pin env:UKEY_TEST_PIN --write-object "$W/c1.der" --type cert \
	--id 09 --label "cert${CSI}" >/dev/null 2>&1
u show
clean "softhsm: show: a certificate's CN and label with C1 CSI not raw"
t_grep "... shown as \\u{009b}" 'C1\\u\{009b\}31mx' "$OUT"
u show --json
t_is "$(LC_ALL=C grep -caP '\xc2\x9b' <<<"$OUT")" 0 "show --json: the C1 control escaped as \\u009b, not raw"
t_is "$(js '[.certificates[] | select(.label == "cert\u009b31m")] | length')" 1 "show --json: ... the same value for a JSON reader"

tap_done
