#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A first-time user's smaller stumbles (issue 11, item 9), on a SoftHSM and
# an SKF virtual U-KEY at the reference service:
# - the binding QR code has the 4-module quiet zone and its own colours:
#   drawn as a light and as a dark terminal shows it, both decode (zbarimg)
#   to the service's QR text;
# - `show` and `seals` number the seals alike, in a stable order;
# - `seals export -o DIR`, `-o DIR/`, `-o -` (the picture on stdout), a name
#   whose extension names another picture type (refused), or another
#   extension (the picture's added);
# - an expired certificate reads "expired N days ago";
# - a certificate serial is printed one way by show, status and the service
#   line (and JSON);
# - `ukey help renew`; `--with-seals --cert-only` and a bad --key-type name
#   the problem;
# - under zh_CN: the usage, "unknown command", register-browser, and every
#   line the renewal prints (a stop at step 3 and its retries included) are
#   Chinese.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-stumbles zbarimg certutil modutil faketime
tap_plan 51
export UKEY_TEST_PIN=123456 UKEY_LOCALEDIR=$build/po/locale

# qr_render light|dark OUT.pbm < text: the QR lines of the text drawn as a
# terminal with that colour scheme shows them (default foreground and
# background black on white, or white on black; the SGR colours ukey may
# set; full and half blocks), 4 pixels per module, with a margin of the
# terminal's own background around them.
qr_render() {
	LC_ALL=C.UTF-8 sed -e 's/█/F/g; s/▀/T/g; s/▄/B/g' |
		LC_ALL=C sed -E 's/\x1b\[([0-9;]*)m/{\1}/g' |
		LC_ALL=C grep -E '^(\{[0-9;]*\})*[FTB ]+(\{[0-9;]*\})*$' |
		LC_ALL=C awk -v theme="$1" '
		function sgr(p,   n, a, i, v) {
			if (p == "") { fg = dfg; bg = dbg; return }
			n = split(p, a, ";")
			for (i = 1; i <= n; i++) {
				v = a[i] + 0
				if (v == 0) { fg = dfg; bg = dbg }
				else if (v == 30 || v == 90) fg = 1
				else if (v == 37 || v == 97) fg = 0
				else if (v == 39) fg = dfg
				else if (v == 40 || v == 100) bg = 1
				else if (v == 47 || v == 107) bg = 0
				else if (v == 49) bg = dbg
			}
		}
		BEGIN { dfg = theme == "light" ? 1 : 0; dbg = 1 - dfg; S = 4; M = 8; rows = 0; width = 0 }
		{
			fg = dfg; bg = dbg; line = $0; col = 0
			while (length(line) > 0) {
				c = substr(line, 1, 1)
				if (c == "{") {
					e = index(line, "}")
					sgr(substr(line, 2, e - 2)); line = substr(line, e + 1); continue
				}
				px[rows, col] = c == "F" || c == "T" ? fg : bg
				px[rows + 1, col] = c == "F" || c == "B" ? fg : bg
				col++; line = substr(line, 2)
			}
			if (col > width) width = col
			rows += 2
		}
		END {
			W = (width + 2 * M) * S; H = (rows + 2 * M) * S
			print "P1"; print W, H
			for (y = 0; y < H; y++) {
				r = int(y / S) - M; out = ""
				for (x = 0; x < W; x++) {
					c = int(x / S) - M
					out = out (((r, c) in px) ? px[r, c] : dbg) " "
				}
				print out
			}
		}' >"$2"
}
zh() { LANGUAGE=zh_CN "$@"; }
cjk() { LC_ALL=C.UTF-8 grep -qP '[\x{4e00}-\x{9fff}]' <<<"$1"; }

for kb in "rsa softhsm" "sm2 skf"; do
	set -- $kb
	tag="$1/$2"
	enroll "$1" "$2" || { echo "Bail out! enroll $tag failed"; exit 1; }

	# --- the binding QR code
	u bind --qr
	printf '%s\n' "$OUT" >"$W/qr-$1.txt"
	code=$(grep -o '[A-Z0-9]\{4\}-[A-Z0-9]\{4\}' <<<"$OUT" | head -n 1)
	for th in light dark; do
		qr_render $th "$W/qr-$1-$th.pbm" <"$W/qr-$1.txt"
		t_is "$(zbarimg -q --raw "$W/qr-$1-$th.pbm" 2>/dev/null)" "ukey-bind:$code:${M: -4}" \
			"$tag: the QR code decodes as a $th terminal shows it"
	done
	# The QR lines, each wrapped in its colours: the first two (4 module
	# rows) blank, every one with 4 blank columns at both ends.
	qr=$(LC_ALL=C sed -n 's/^\x1b\[[0-9;]*m\(.*\)\x1b\[0m$/\1/p' "$W/qr-$1.txt")
	t_is "$(($(grep -c '' <<<"$qr") > 12)) $(head -n 2 <<<"$qr" | tr -d ' \n' | wc -c) $(grep -vc '^    .*    $' <<<"$qr")" \
		"1 0 0" "$tag: the QR lines set their colours; quiet zone of 4 modules: 2 blank lines on top, 4 columns each side"
	ca_cli confirm-binding "$code" "${M: -4}" >/dev/null && ca_cli check-identity "$M" >/dev/null

	# --- seals: one numbering, one order
	mkdir -p "$W/seals-$1"
	ca_cli add-seals "$M" "$W/seals-$1" >/dev/null
	"$top/tools/ukey-vkey" add-seals "$D" "$W/seals-$1" >"$W/add-$1.log" 2>&1
	u show --json
	a=$(js '[.seals[] | "\(.index) \(.sha256)"] | join(",")')
	u seals --offline --json
	b=$(js '[.seals[] | "\(.index) \(.sha256)"] | join(",")')
	t_is "$a" "$b" "$tag: show and seals number the seals alike"
	t_is "$(js '[.seals[].label] | . == sort')" true "$tag: ... listed by label"
	u show
	t_grep "$tag: show's text numbers them as its JSON does" "^  \[4\] " "$OUT"

	# --- seals export (the service's seals carry PNG and BMP pictures)
	u seals --offline --json
	e1=$(js '.seals[0].picture') e2=$(js '.seals[1].picture')
	mkdir -p "$W/out-$1"
	u seals export 1 -o "$W/out-$1"
	t_check "$tag: export -o DIR writes DIR/seal-1.$e1" test -s "$W/out-$1/seal-1.$e1"
	u seals export 2 -o "$W/out-$1/"
	t_check "$tag: export -o DIR/ writes DIR/seal-2.$e2" test -s "$W/out-$1/seal-2.$e2"
	${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$UKEY" seals export 1 -o - >"$W/stdout-$1.bin" 2>"$W/err"
	t_check "$tag: export -o - writes the picture alone to stdout" cmp -s "$W/stdout-$1.bin" "$W/out-$1/seal-1.$e1"
	u seals export 1 -o "$W/stamp-$1.jpg"
	t_grep "$tag: a .jpg name for a $e1 picture is refused, saying so (exit 1)" \
		"^1 .*the picture of seal 1 is $e1, but .*stamp-$1.jpg names a .jpg file" "$RC $ERR"
	t_check "$tag: ... and nothing is written" test ! -e "$W/stamp-$1.jpg"
	u seals export 1 -o "$W/stamp-$1.v2"
	t_check "$tag: a name with another extension gets the picture's" test -s "$W/stamp-$1.v2.$e1"
	u seals export 1 -o - --json
	t_is "$RC" 2 "$tag: -o - with --json: a usage error"
	if [ "$2" = skf ]; then
		UKEY_MODULE=$W/nomodule.so u seals export 1 -o - --json
		t_grep "... told before the module is loaded (exit 2)" "^2 .*cannot go with --json" "$RC $OUT$ERR"
	fi

	# --- serials, one spelling
	u show --json
	S=$(js '[.certificates[] | select(.sign)][0].serial')
	u show
	t_grep "$tag: show prints the serial" "^      serial: +$S$" "$OUT"
	u status
	t_grep "$tag: status prints it the same way for the certificate" "serial $S\)" "$OUT"
	t_grep "$tag: ... and for the service's record of it" "certificate serial $S$" "$OUT"
	ca_stop_all
done

# --- an expired certificate (written next to the signing one, SoftHSM)
eval "$("$top/tools/ukey-vkey" env "$W/rsa-softhsm")"
openssl req -new -newkey rsa:2048 -nodes -keyout "$W/old.key" -subj "/CN=old" -out "$W/old.csr" 2>/dev/null
# Issued 1700 days ago for 10 days (openssl takes no negative -days).
faketime -f -1700d openssl x509 -req -in "$W/old.csr" -CA "$W/rsa-softhsm/ca/ca.pem" -CAkey "$W/rsa-softhsm/ca/ca.key" \
	-days 10 -outform DER -out "$W/old.der" 2>/dev/null
pkcs11-tool --module "$UKEY_TEST_SOFTHSM" --login --pin env:UKEY_TEST_PIN --write-object "$W/old.der" --type cert \
	--id 0a --label "Old certificate" >/dev/null 2>&1
u show
t_grep "an expired certificate: 'expired 1690 days ago'" "\(expired 1690 days ago\)$" "$OUT"
t_nogrep "... not a negative number of days left" "-[0-9]+ days left" "$OUT" "expired 1690 days ago"
u status --offline
t_grep "status says it the same way" "Old certificate .*expired 1690 days ago$" "$OUT"

# --- help and conflicting options
u help renew
t_grep "ukey help renew shows renew's help" "^0 Usage: ukey renew " "$RC $OUT"
u help nosuch
t_grep "ukey help with an unknown command: exit 2, said so" "^2 ukey: unknown command 'nosuch'" "$RC $ERR"
u renew --with-seals --cert-only
t_grep "--with-seals --cert-only: exit 2 naming both options" "^2 ukey renew: --with-seals and --cert-only cannot go together" \
	"$RC $ERR"
u renew --key-type dsa
t_grep "a bad --key-type: exit 2, naming the value" "^2 ukey renew: --key-type takes rsa, ec or sm2, not 'dsa'" "$RC $ERR"

# --- zh_CN
zh u
t_grep "zh_CN: the usage is Chinese" "^用法：" "$ERR"
t_nogrep "... no English 'Usage:' left" "Usage:" "$ERR" "^用法："
zh u nosuch
t_grep "zh_CN: unknown command" "未知命令" "$ERR"
zh u register-browser --help
t_grep "zh_CN: register-browser's help" "^用法：ukey register-browser" "$OUT"
zh u register-browser --module "$UKEY_MODULE"
t_check "zh_CN: register-browser's report" cjk "$OUT"
t_grep "... its summary" "个数据库已更改" "$OUT"
enroll ec softhsm || { echo "Bail out! enroll ec/softhsm failed"; exit 1; }
bind_and_check && paid_order cert
# The service fails at step 3 (every try): the retries and the stop, in
# Chinese, the step named in words, not by its JSON identifier.
ca_cli misbehave fail-500 >/dev/null
UKEY_RETRY_BASE_MS=1 zh u renew
t_grep "zh_CN: a renewal stopped by the service says at which step, in Chinese (exit 5)" "^5 ukey renew: 第 3 步（发送续期请求）：" "$RC $ERR"
t_nogrep "... no step identifier from the JSON events in the message" \
	"preconditions|generate-key|build-request|send-request|check-certificate|write-token|retire-old" "$ERR" "第 3 步"
ca_cli misbehave none >/dev/null
all=$OUT
zh u renew
t_is "$RC" 0 "zh_CN: the renewal, run again, finishes"
all+=$'\n'$OUT
t_is "$(LC_ALL=C.UTF-8 grep -cvP '[\x{4e00}-\x{9fff}]' <<<"$all")" 0 \
	"zh_CN: every line the renewal prints (progress, retries, resume) is Chinese"
zh u status
t_grep "zh_CN: status's next step" "^下一步" "$OUT"

tap_done
