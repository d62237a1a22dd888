#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey watch (issue 17, item 5): the U-KEYs present, then each one inserted
# or removed, until SIGINT, SIGTERM or SIGHUP (exit 0). SKF emulator: a key
# is a directory renamed in and out; p11: SoftHSM tokens behind
# tests/lib/p11-readers.c (reader slots and a blocking C_WaitForSlotEvent),
# moved between readers by its plug file. A key put back keeps its slot,
# another key gets another; --json is one object per line; the text lines
# and the Chinese ones.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
UKEY=$build/tools/ukey/ukey
READERS=$build/tests/lib/.libs/libukey-readers.so
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
[ -f "$READERS" ] || tap_skip_all "tests/lib/libukey-readers.so not built (make check builds it)"
command -v jq >/dev/null || tap_skip_all "jq not installed (tools/install-deps)"
tap_setup
export UKEY_MODULE=$MODULE UKEY_CONFIG=$WORK/none.conf HOME=$WORK LC_ALL=C.UTF-8
unset LANGUAGE UKEY_PIN_FILE
tap_plan 16

WPID=
cleanup() {
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# watch_start NAME ARGS...: ukey watch in the background (stdout NAME.out,
# stderr NAME.err) until it says it is watching.
watch_start() {
	local name=$1 i
	shift
	OUTF=$WORK/$name.out ERRF=$WORK/$name.err
	${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD} "$UKEY" watch "$@" >"$OUTF" 2>"$ERRF" &
	WPID=$!
	for i in $(seq 600); do
		grep -q -e 'Watching for U-KEYs' -e '正在等待' "$ERRF" && return 0
		kill -0 "$WPID" 2>/dev/null || break
		sleep 0.1
	done
	t_diag "ukey watch did not start:" "$(cat "$ERRF")"
	return 1
}

# line PATTERN: the first line of the output matching it, waited for (30 s).
line() {
	local i
	for i in $(seq 300); do
		grep -m1 -E -- "$1" "$OUTF" && return 0
		sleep 0.1
	done
	return 1
}

# js LINE FILTER
js() { jq -r "$2" <<<"$1" 2>/dev/null; }

# watch_stop SIGNAL: signals it and gives its exit status (124: still
# running after 10 s).
watch_stop() {
	local i
	kill "-$1" "$WPID"
	for i in $(seq 100); do
		if ! kill -0 "$WPID" 2>/dev/null; then
			wait "$WPID"
			RC=$?
			WPID=
			return
		fi
		sleep 0.1
	done
	RC=124
}

# --- SKF: kb is not inserted when the watch starts
"$VKEY" create "$WORK/ka" --backend skf >&2 && "$VKEY" create "$WORK/kb" --backend skf --share-with "$WORK/ka" >&2 ||
	{ echo "Bail out! ukey-vkey create failed"; exit 1; }
eval "$("$VKEY" env "$WORK/ka")"
MA=$(sed -n 's/^serial=//p' "$WORK/ka/vkey.info")
MB=$(sed -n 's/^serial=//p' "$WORK/kb/vkey.info")
mv "$WORK/kb/device" "$WORK/kb/device.out"

watch_start skf --json || { echo "Bail out! ukey watch --json did not start"; exit 1; }
l=$(line '"present"')
SA=$(js "$l" .slot)
t_is "$(js "$l" .medium) $(js "$l" .label)" "$MA Virtual U-KEY" "skf: the key inserted at the start is 'present', with its medium number and label"
mv "$WORK/ka/device" "$WORK/ka/device.out"
l=$(line '"removed"')
t_is "$(js "$l" .slot) $(js "$l" .medium)" "$SA $MA" "skf: pulled out: 'removed', its slot and medium number"
mv "$WORK/kb/device.out" "$WORK/kb/device"
l=$(line "\"inserted\".*$MB")
SB=$(js "$l" .slot)
t_check "skf: another key inserted: 'inserted' in another slot ($SB, not $SA)" test -n "$SB" -a "$SB" != "$SA"
mv "$WORK/ka/device.out" "$WORK/ka/device"
l=$(line "\"inserted\".*$MA")
t_is "$(js "$l" .slot)" "$SA" "skf: the first key put back: 'inserted' in its old slot"
watch_stop INT
t_is "$RC" 0 "skf: Ctrl-C (SIGINT) ends it, exit 0"
t_is "$(jq -c 'select(type == "object") | [.event, .slot, .medium]' "$OUTF" 2>&1 | tr '\n' ' ')" \
	"[\"present\",$SA,\"$MA\"] [\"removed\",$SA,\"$MA\"] [\"inserted\",$SB,\"$MB\"] [\"inserted\",$SA,\"$MA\"] " \
	"skf: --json: one object per line, each event once, in order"
t_is "$(wc -l <"$OUTF")" 4 "skf: --json: nothing else on standard output"

# The text, in Chinese.
LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale watch_start zh ||
	{ echo "Bail out! ukey watch did not start"; exit 1; }
t_grep "zh_CN: the waiting is said in Chinese" "^正在等待 U-KEY 插入或拔出（按 Ctrl-C 停止）。$" "$(cat "$ERRF")"
t_grep "zh_CN: a present key" "^已插入 +插槽 [0-9]+ +介质编号 $MA +标签 \"Virtual U-KEY\"$" "$(line "已插入.*$MA")"
mv "$WORK/kb/device" "$WORK/kb/device.out"
t_grep "zh_CN: a key pulled out" "^拔出 +插槽 [0-9]+ +介质编号 $MB +标签 \"Virtual U-KEY 2\"$" "$(line 拔出)"
watch_stop TERM
t_is "$RC" 0 "zh_CN: SIGTERM ends it, exit 0"

# --- p11: a vendor-like library with reader slots over SoftHSM
"$VKEY" create "$WORK/pa" >&2 && "$VKEY" create "$WORK/pb" --share-with "$WORK/pa" >&2 ||
	{ echo "Bail out! ukey-vkey create failed"; exit 1; }
eval "$("$VKEY" env "$WORK/pa")"
PA=$(sed -n 's/^serial=//p' "$WORK/pa/vkey.info")
printf '[backend readers]\ndriver = p11\nlibrary = %s\n' "$READERS" >"$WORK/readers.conf"
chmod 600 "$WORK/readers.conf"
export UKEY_PKCS11_CONF=$WORK/readers.conf UKEY_READERS_PLUG=$WORK/plug
export UKEY_READERS_LIB=${UKEY_TEST_SOFTHSM:-$(sed -n 's/^library = //p' "$WORK/pa/ukey-pkcs11.conf")}
# plug LINES: the readers' keys, replaced at once.
plug() { printf '%s' "$1" >"$WORK/plug.new" && mv "$WORK/plug.new" "$WORK/plug"; }
plug "0 $PA"$'\n'

watch_start p11 || { echo "Bail out! ukey watch did not start on p11"; exit 1; }
l=$(line '^present ')
t_grep "p11: the key in reader 0 is present, text line" "^present +slot [0-9]+ +medium number $PA +label \"Virtual U-KEY\"$" "$l"
PS=$(sed -E 's/^present +slot ([0-9]+) .*/\1/' <<<"$l")
plug ""
t_grep "p11: pulled out: removed, its slot" "^removed +slot $PS +medium number $PA " "$(line '^removed ')"
plug "3 $PA"$'\n'
t_grep "p11: put back into another reader: inserted into its old slot" "^inserted +slot $PS +medium number $PA " \
	"$(line '^inserted ')"
watch_stop HUP
t_is "$RC" 0 "p11: SIGHUP ends it, exit 0"
t_is "$(grep -v 'Watching for U-KEYs' "$ERRF")" "" "p11: nothing on standard error but the watching line"

tap_done
