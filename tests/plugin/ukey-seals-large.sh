#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Seals of real size, the whole flow, on both backends (SoftHSM RSA, SKF SM2):
# the reference service issues seals whose pictures are what CAs issue (an
# organisation's seal: a 24-bit BMP of about 200 KB, so the seal is over 100
# KB; another: a PNG), `ukey-vkey add-seals` writes them through the module,
# they read back whole (SHA-256 equal to what the service issued), decode,
# verify and export as pictures a real decoder (netpbm) reads; `ukey renew
# --with-seals` then replaces them with the service's remade seals, written
# through the module and read back, decoded and exported the same way. On
# the SKF emulator, whose device fixes a file's size at SKF_CreateFile and
# takes at most 2 KiB per SKF_WriteFile (emulator/), each seal is a file
# created at exactly its size, holding it whole.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-seals-large sha256sum bmptopnm pngtopnm pnmfile
[ -f "$build/emulator/.libs/libukey-skf-emu.so" ] || tap_skip_all "the SKF emulator is not built"
tap_plan 24

sha() { sha256sum "$1" | cut -c1-64; }
# The SHA-256s of the DER files in a directory, sorted, one a line.
dir_shas() { for f in "$1"/*.der; do sha "$f"; done | sort; }
# pic FILE: "FORMAT WIDTHxHEIGHT" as netpbm reads the picture, or "unreadable".
pic() {
	local conv=bmptopnm got
	[ "${1##*.}" = png ] && conv=pngtopnm
	got=$($conv "$1" 2>/dev/null | pnmfile 2>/dev/null |
		sed -n 's/^stdin:[[:space:]]*\(PPM\) raw, \([0-9]*\) by \([0-9]*\).*/\1 \2x\3/p')
	echo "${got:-unreadable}"
}
# The device's file of each seal (skf): "size-in-attr bytes-of-data sha", sorted.
skf_files() {
	local f
	for f in "$D"/device/apps/UKEY/files/*/; do
		[ "${f%/}" = "$D/device/apps/UKEY/files/ukey-retired" ] && continue
		printf '%s %s %s\n' "$(sed -n 's/^size=//p' "$f/attr")" "$(stat -c %s "$f/data")" "$(sha "$f/data")"
	done | sort
}
# Every seal the token lists: decoded, signature verified; their SHA-256s.
token_check() { js '[.seals[] | select(.decoded and .signature_ok)] | length'; }
token_shas() { js '.seals[].sha256' | sort; }

for spec in "rsa softhsm" "sm2 skf"; do
	read -r kt be <<<"$spec"
	t=$kt/$be
	if ! { enroll "$kt" "$be" && bind_and_check && paid_order cert+seals; }; then
		t_diag "$(tail -n 3 "$W/$kt-$be.log" 2>/dev/null)"
		for i in $(seq 12); do t_fail "$t: virtual U-KEY, service, binding and paid order"; done
		ca_stop_all
		continue
	fi
	S=$W/seals-$kt
	mkdir -p "$S"
	# --- issue
	ca_cli add-seals "$M" "$S" >"$W/added-$kt.json"
	big=$(ls -S "$S"/*.der | head -n 1)
	t_check "$t: the service issues 4 seals, the largest ($(stat -c %s "$big") bytes) over 100 KB" \
		test "$(ls "$S"/*.der | wc -l)" = 4 -a "$(stat -c %s "$big")" -gt 102400
	# --- write (through the module), read back
	"$top/tools/ukey-vkey" add-seals "$D" "$S" >"$W/add-$kt.log" 2>&1
	t_is "$? $(grep -c '^seal: ' "$W/add-$kt.log")" "0 4" "$t: ukey-vkey add-seals writes the 4 seals through the module"
	u seals --offline --json
	t_is "$RC $(token_shas | tr '\n' ' ')" "0 $(dir_shas "$S" | tr '\n' ' ')" \
		"$t: the token holds each seal whole (SHA-256 of what it reads back = of what the service issued)"
	t_is "$(token_check)" 4 "$t: all 4 decode and their maker's signature verifies"
	if [ "$be" = skf ]; then
		t_is "$(skf_files | awk '$1 == $2 { print $3 }' | sort | tr '\n' ' ')" "$(dir_shas "$S" | tr '\n' ' ')" \
			"$t: each seal is a device file created at exactly its size and holding it"
	else
		t_ok "# SKIP $t: no device files on SoftHSM"
	fi
	# --- export
	list=$OUT
	n=$(jq '[.seals[] | select(.picture_bytes > 102400)][0].index' <<<"$list")
	u seals export "${n:-0}" -o "$W/$kt-before" --json
	t_is "$RC $(js .format) $(pic "$W/$kt-before.bmp") $(stat -c %s "$W/$kt-before.bmp" 2>/dev/null)" \
		"0 bmp PPM 260x260 202854" "$t: the large seal's picture exports as a 24-bit BMP netpbm reads (260x260, 202854 bytes)"
	n=$(jq '[.seals[] | select(.picture == "png")][0].index' <<<"$list")
	u seals export "${n:-0}" -o "$W/$kt-before" --json
	t_is "$RC $(pic "$W/$kt-before.png")" "0 PPM 120x120" "$t: the other seal's picture exports as a PNG netpbm reads"
	# --- renew --with-seals: the remade seals written and read back
	u seals clean --auto --yes
	u renew --with-seals --json
	t_is "$RC $(js 'select(.result) | .result')" "0 done" "$t: renew --with-seals: exit 0"
	[ "$RC" = 0 ] || t_diag "$ERR"
	jq -r '.seals[].der' "$J" 2>/dev/null | while read -r b; do base64 -d <<<"$b" | sha256sum | cut -c1-64; done |
		sort >"$W/new-$kt.sha"
	u seals --json
	t_is "$RC $(token_shas | tr '\n' ' ')" "0 $(tr '\n' ' ' <"$W/new-$kt.sha")" \
		"$t: after renewal the token holds exactly the new seals, each whole"
	t_is "$(token_check) $(js '[.seals[] | select(.picture_bytes > 102400)] | length')" "$(wc -l <"$W/new-$kt.sha") 1" \
		"$t: ... decoded, verified, the organisation's seal again with its 200 KB picture"
	if [ "$be" = skf ]; then
		t_is "$(skf_files | awk '$1 == $2 { print $3 }' | sort | tr '\n' ' ')" "$(tr '\n' ' ' <"$W/new-$kt.sha")" \
			"$t: ... each a device file the driver created at exactly its size (2 KiB writes)"
	else
		t_ok "# SKIP $t: no device files on SoftHSM"
	fi
	n=$(js '[.seals[] | select(.picture_bytes > 102400)][0].index')
	u seals export "${n:-0}" -o "$W/$kt-after"
	t_check "$t: ... whose picture exports identical to the one issued before" cmp -s "$W/$kt-before.bmp" "$W/$kt-after.bmp"
	ca_stop_all
done
tap_done
