#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `ukey setup` (issue 17, item 3): a fake sysfs tree with a known U-KEY
# (Longmai GM3000, USB 055c) and an unknown smart-card token; the SKF
# emulator installed under the vendor's library name in the vendor's
# directory (/opt/lm-gm3000/lib/libgm3000.1.0.so) inside a fake root. The
# shipped table (tools/ukey/vendors.conf) is used as it is. --dry-run shows
# the section and writes nothing; setup writes it and `ukey list` through
# the module then sees the emulated token; a rerun changes nothing; a file
# with content keeps it (and a .bak); a library present but failing to load
# is reported and not written; a bad table entry, an unreadable or
# unusable configuration are reported naming the problem; --json; zh_CN.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-setup
EMU=$build/emulator/.libs/libukey-skf-emu.so
[ -f "$EMU" ] || { echo "Bail out! the SKF emulator is not built: $EMU"; exit 1; }
tap_plan 46
unset UKEY_LOG

# A virtual U-KEY for the emulator (its devices: UKEY_SKF_EMU_DEVICES).
"$top/tools/ukey-vkey" create "$W/v" --backend skf --key-type sm2 >"$W/v.log" 2>&1 ||
	{ echo "Bail out! ukey-vkey failed"; exit 1; }
eval "$("$top/tools/ukey-vkey" env "$W/v")"
M=$(sed -n 's/^serial=//p' "$W/v/vkey.info")

# usbdev NAME VID PID [MANUFACTURER PRODUCT [INTERFACE-CLASS]]: a device in
# the fake sysfs (an interface NAME:1.0 of that class when given).
S=$W/sys/bus/usb/devices
usbdev() {
	mkdir -p "$S/$1"
	printf '%s\n' "$2" >"$S/$1/idVendor"
	printf '%s\n' "$3" >"$S/$1/idProduct"
	[ -n "${4:-}" ] && printf '%s\n' "$4" >"$S/$1/manufacturer"
	[ -n "${5:-}" ] && printf '%s\n' "$5" >"$S/$1/product"
	[ -n "${6:-}" ] && mkdir -p "$S/$1:1.0" && printf '%s\n' "$6" >"$S/$1:1.0/bInterfaceClass"
	return 0
}
usbdev usb1 1d6b 0002 "Linux Foundation" "xHCI Host Controller"
usbdev 1-1 055c e603 Longmai "mToken GM3000"
usbdev 1-2 1234 abcd ACME "Smart Token" 0b
usbdev 1-3 046d c077 Logitech "USB Optical Mouse" 03
mkdir -p "$W/root/opt/lm-gm3000/lib"
cp "$EMU" "$W/root/opt/lm-gm3000/lib/libgm3000.1.0.so"
LIB=$W/root/opt/lm-gm3000/lib/libgm3000.1.0.so
export UKEY_SYSFS_ROOT=$W/sys UKEY_VENDOR_ROOT=$W/root UKEY_VENDOR_TABLE=$top/tools/ukey/vendors.conf
C=$W/etc/ukey/ukey-pkcs11.conf
export UKEY_PKCS11_CONF=$C

# --- before: the module has no configuration
u list
t_grep "before setup: ukey list finds no backend (exit 1)" "^1 .*found no backend: $C: cannot open" "$RC $ERR"

# --- the shipped table, and nothing plugged in
mkdir -p "$W/empty/bus/usb/devices"
UKEY_SYSFS_ROOT=$W/empty u setup --json
t_is "$RC $(js .exit) $(js '.devices | length')" "4 4 0" "nothing plugged in: exit 4, no device"
t_grep "... saying so (the shipped table loaded: no error about it)" "^no known U-KEY is plugged in$" "$(js '.problems[]')"

# --- dry run
u setup --dry-run
t_is "$RC" 0 "--dry-run: exit 0"
t_grep "... shows the known U-KEY, by its sysfs name, ids and the table's name" \
	"^  1-1  055c:e603  Longmai mToken GM3000 \(龙脉 GM3000\) \(\"Longmai\" \"mToken GM3000\"\)$" "$OUT"
t_grep "... and the unknown smart-card token as not in the table" \
	"^  1-2  1234:abcd  not in the table \(\"ACME\" \"Smart Token\", a smart-card device\)" "$OUT"
t_nogrep "... but not the mouse nor the root hub" "046d|c077|1d6b|Mouse" "$OUT" "1234:abcd"
t_grep "... says the unknown one needs its library from the CA (stderr)" \
	"1234:abcd .*smart-card device the table does not know: ask your CA" "$ERR"
t_grep "... the emulator under the vendor's name works, 1 U-KEY" \
	"^  works: $LIB \(longmai-gm3000, skf\): 1 U-KEY, \[backend longmai-gm3000\]$" "$OUT"
t_grep "... the vendor's PKCS#11 library: not installed" \
	"^  not installed: libgm3000_pkcs11.so \(longmai-gm3000-pkcs11, p11\)$" "$OUT"
t_is "$(grep -c '^+' <<<"$OUT") $(grep -cx -e '+\[backend longmai-gm3000\]' -e '+driver = skf' -e "+library = $LIB" <<<"$OUT")" \
	"5 3" "... the diff adds the section (its +++ line, comment, section, driver, library)"
t_grep "... and says nothing was written" "^Dry run: nothing was written\.$" "$OUT"
t_check "... and writes nothing (not even the directory)" test ! -e "$W/etc"

# --- setup, then the module sees the token
u setup
t_is "$RC" 0 "setup: exit 0"
t_grep "... written as a new file" "^Written \(a new file\)\.$" "$OUT"
t_is "$(grep -c '' "$C") $(sed -n 2p "$C")" "4 [backend longmai-gm3000]" "... the file: the comment and the section"
t_grep "... its comment holds the table's name and the USB ids, nothing the device said" \
	"^# ukey setup: Longmai mToken GM3000 \(龙脉 GM3000\), USB 055c:e603$" "$(head -1 "$C")"
u list
t_grep "ukey list through the module now sees the emulated U-KEY" "^0 Medium number $M " "$RC $OUT"
cp "$C" "$W/after-first"
u setup
t_is "$RC" 0 "rerun: exit 0"
t_grep "... nothing to change, the library already configured" \
	"already configured: $LIB \(longmai-gm3000, skf\): in \[backend longmai-gm3000\]" "$OUT"
t_grep "... and says so" "^Nothing to change in $C\.$" "$OUT"
t_check "... the file unchanged, no backup made" eval 'cmp -s "$C" "$W/after-first" && test ! -e "$C.bak"'
u setup --json
t_is "$RC $(js .changed) $(js .diff) $(js '.devices[] | select(.sysfs == "1-1") | .backend')" \
	"0 false null longmai-gm3000" "--json: unchanged; the device served by [backend longmai-gm3000]"
t_grep "--json: every library with its state and the source of each fact" \
	'^longmai-gm3000 configured true .*90-mtoken\.rules.*gm3000-sdk' \
	"$(js '.libraries[] | "\(.entry) \(.state) \(.verified) \(.sources.usb) \(.sources.library)"')"

# --- a file with content: kept, appended to, backed up; --config
printf '# my settings\n[module]\nlog = warn   # quiet\n' >"$W/mine.conf"
cp "$W/mine.conf" "$W/mine.orig"
u setup --config "$W/mine.conf"
t_is "$RC" 0 "--config FILE with content: exit 0"
t_check "... the old content kept byte for byte, the section after it" \
	eval 'cmp -s <(head -c "$(stat -c %s "$W/mine.orig")" "$W/mine.conf") "$W/mine.orig" &&
		grep -qx "library = $LIB" "$W/mine.conf"'
t_grep "... the diff appends after line 3" "^@@ -3,0 \+4,5 @@$" "$OUT"
t_check "... the previous file kept as .bak" cmp -s "$W/mine.conf.bak" "$W/mine.orig"
t_grep "... said so" "^Written; the previous file is kept as $W/mine.conf.bak\.$" "$OUT"
t_grep "... and that the module reads another file" "note: the module reads $C; set UKEY_PKCS11_CONF=$W/mine.conf" "$ERR"

# A section of that name already there, for another library: a new name.
printf '[backend longmai-gm3000]\ndriver = p11\nlibrary = %s\n' "$W/elsewhere.so" >"$W/clash.conf"
u setup --config "$W/clash.conf"
t_is "$RC $(grep -c '^\[backend longmai-gm3000-2\]$' "$W/clash.conf")" "0 1" \
	"a [backend] of the same name for another library: the new one is longmai-gm3000-2"

# --- unusable configurations, named; nothing written
mkdir -p "$W/dir.conf"
u setup --config "$W/dir.conf"
t_grep "a directory as the configuration: named as such (exit 1)" "^1 ukey setup: .*$W/dir.conf is a directory" "$RC $ERR"
printf '[backend x\ndriver = skf\n' >"$W/syntax.conf"
u setup --config "$W/syntax.conf"
t_grep "a syntax error: the file and the line named (exit 1)" "^1 ukey setup: .*$W/syntax.conf, line 1: syntax error" \
	"$RC $ERR"
printf '# shared\n' >"$W/open.conf"
chmod 0666 "$W/open.conf"
u setup --config "$W/open.conf"
t_grep "a file others may write: the module refuses it, in its words (exit 1)" \
	"^1 ukey setup: the module does not accept the new configuration: .*writable by others.*nothing was written" "$RC $ERR"
t_check "... and it is left as it was, without a backup" eval 'test "$(cat "$W/open.conf")" = "# shared" && test ! -e "$W/open.conf.bak"'
cp "$C" "$W/open2.conf"
chmod 0666 "$W/open2.conf"
UKEY_PKCS11_CONF=$W/open2.conf u setup
t_grep "the module's own file, complete but others may write it: nothing to add, and said that the module ignores it (exit 1)" \
	"^1 .*the module does not use $W/open2.conf: .*writable by others" "$RC $(tr '\n' ' ' <<<"$ERR")"

# --- a bad table: the entry and the key named
sed 's/^usb = 096e:0309$/usb = 96e:0309/' "$top/tools/ukey/vendors.conf" >"$W/bad-usb.conf"
UKEY_VENDOR_TABLE=$W/bad-usb.conf u setup --dry-run
t_grep "a malformed USB id in the table: file, entry, key and value named (exit 1)" \
	"^1 ukey setup: the table of known U-KEYs $W/bad-usb.conf, line [0-9]+: \[token feitian-epass3000gm\]: usb: '96e:0309'" "$RC $ERR"
printf '[token x]\nname = X\ndriver = skf\nusb = 1234:5678\nlibrary = libx.so\nusb_source = a test\n' >"$W/nosrc.conf"
UKEY_VENDOR_TABLE=$W/nosrc.conf u setup --dry-run
t_grep "an entry without the source of its library: refused" \
	"^1 ukey setup: .*nosrc.conf: \[token x\]: needs library and library_source" "$RC $ERR"
printf '[token x]\nname = X\ndriver = skf\nusb = 1234:5678\nlibary = libx.so\n' >"$W/typo.conf"
UKEY_VENDOR_TABLE=$W/typo.conf u setup --json
t_grep "a misspelt key: refused, named (--json error object)" "^1 .*\[token x\]: unknown key 'libary'" \
	"$(js '"\(.error.exit) \(.error.message)"')"

# --- unverified facts are marked
usbdev 3-1 163c 0407 Watchdata "USB Key" 0b
u setup --json
t_is "$(js '.libraries[] | select(.entry == "watchdata-usbkey") | "\(.state) \(.verified)"') $RC" "absent false 1" \
	"Watchdata (library names unverified): not installed, marked unverified, exit 1"
t_grep "... its absence is a problem naming what to install" \
	"^Watchdata USB Key .*\(USB 163c:0407\): its library \(libwdpkcs_icp.so\) is not installed" "$(js '.problems[]')"
rm -rf "$S/3-1" "$S/3-1:1.0"

# --- a library present that does not load: reported, not written
usbdev 2-1 096e 0309
mkdir -p "$W/root/usr/lib"
echo "not a library" >"$W/root/usr/lib/libes_3000gm.so"
u setup --config "$W/two.conf"
t_is "$RC" 1 "a Feitian ePass3000GM whose library does not load: exit 1"
t_grep "... the library is reported with the module's reason" \
	"^  fails: $W/root/usr/lib/libes_3000gm.so \(feitian-epass3000gm, skf\): cannot load" "$OUT"
t_is "$(grep -c '^\[backend' "$W/two.conf") $(grep -c feitian "$W/two.conf")" "1 0" \
	"... not written; the working Longmai section is"
t_grep "... the problem names the U-KEY and the library (stderr)" \
	"Feitian ePass3000GM .*\(USB 096e:0309\): $W/root/usr/lib/libes_3000gm.so does not work" "$ERR"

# --- in Chinese
LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale u setup --config "$W/two.conf" --dry-run
t_grep "zh_CN: the report in Chinese" "已配置|无需更改" "$OUT"

tap_done
