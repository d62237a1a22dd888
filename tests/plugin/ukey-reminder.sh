#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Never miss an expiry (issue 17, item 4), with the command's fake clock
# (UKEY_NOW) and virtual U-KEYs enrolled at the reference CA service.
# RSA/SoftHSM: renew --when-due before the certificate is due does nothing
# (no PIN asked, token, journal and service unchanged), the --days boundary
# to the second (status --when-due: exit 3 / 0), bad --days refused, then
# due: the renewal runs to the end, after which it is not due any more.
# SM2/SKF: renew --when-due not due; `ukey reminder enable` writes the timer
# and service into a private XDG_CONFIG_HOME (never the real user's), says
# what to run when no user manager is reachable, calls systemctl --user when
# one is (a recording systemctl), and systemd-analyze verify accepts the
# units; `ukey reminder check` on a private D-Bus session bus with a
# recording notification service (tests/plugin/notify-server.py): not due,
# no Notify call; due, one call with the summary, body and actions checked
# (in Chinese under zh_CN; "insert the U-KEY" when it is out); its "Renew
# now" action, with a display and xdg-open (a recording one), starts the
# renewal assistant detached, for this U-KEY, whose page the browser's
# redirect file leads to (fetched, then the assistant told to quit);
# without a display it opens the terminal (a recording x-terminal-emulator)
# that runs `ukey renew`, which renews; then `reminder disable` removes it
# all.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-reminder sqlite3
tap_plan 60

# The real user's unit directory, to prove the test leaves it alone.
real_home=$(getent passwd "$(id -u)" | cut -d: -f6)
real_units() { ls -la --time-style=full-iso "$real_home/.config/systemd/user" 2>&1 | md5sum; }
real_before=$(real_units)
# Everything the reminder writes goes to W; no bus or manager of the user's
# is reachable (XDG_RUNTIME_DIR is empty, no session bus address).
export XDG_CONFIG_HOME=$W/config XDG_RUNTIME_DIR=$W/run
unset DBUS_SESSION_BUS_ADDRESS
# No display either (the run's own desktop, if any, is not ours to open a
# page on): the graphical case sets DISPLAY for itself.
unset DISPLAY WAYLAND_DISPLAY
mkdir -p "$W/run" "$W/bin" "$W/sysbin"
UNITS=$W/config/systemd/user
SEEN=$W/.local/state/ukey/reminder.json
SELF=$(readlink -f "$UKEY")
# In the sanitizer pass the ASan runtime is preloaded into what ukey starts
# too (notify-send, systemctl, the terminal): their leaks are not ours.
rem() { ASAN_OPTIONS=${UKEY_TEST_PRELOAD:+detect_leaks=0} u reminder "$@"; }
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
signing_na() { u show --json && js '.certificates[] | select(.sign) | .not_after'; }
serials() { u show --json && js '[.certificates[] | .serial] | sort | join(",")'; }
issued() { sqlite3 "$W/st-$1/ca.db" "SELECT count(*) FROM renewals WHERE medium = '$M'"; }

# ---- RSA / SoftHSM: renew --when-due and status --when-due ----------------
if ! enroll rsa softhsm || ! bind_and_check || ! paid_order cert; then
	echo "Bail out! rsa/softhsm virtual U-KEY or service failed: $(tail -n 3 "$W/rsa-softhsm.log")"
	exit 1
fi
na=$(signing_na)
before=$(serials)
T31=$((na - 31 * 86400)) # 31 whole days left
T30=$((T31 + 1))         # one second later: 30 days left
# No PIN file: a PIN asked for would fail the run.
UKEY_NOW=$(at $T31) UKEY_PIN_FILE=$W/no-such-pin u renew --when-due --json
t_is "$RC $(js .result) $(js .days_left) $(js .due)" "0 not_due 31 false" \
	"rsa: renew --when-due with 31 days left (--days 30): exit 0, result not_due, without asking for the PIN"
t_is "$(serials)|$(test -e "$J" && echo journal || echo no-journal)|$(issued rsa)" "$before|no-journal|0" \
	"rsa: ... nothing happened: the token's certificates unchanged, no journal, nothing issued"
UKEY_NOW=$(at $T31) u renew --when-due
t_grep "rsa: ... and says so, with the day it becomes due" \
	"^Renewal is not due yet: .* renewal is due from $(date -u -d "@$T30" +%F) \(30 days before expiry\)" "$OUT"
UKEY_NOW=$(at $T31) u status --when-due --json
t_is "$RC $(js .due) $(js .days_left) $(js .due_from)" "3 false 31 $T30" \
	"rsa: status --when-due one second before the boundary: exit 3, not due, due from the next second"
UKEY_NOW=$(at $T30) u status --when-due --json
t_is "$RC $(js .due) $(js .days_left)" "0 true 30" "rsa: status --when-due at the boundary (30 days left): exit 0, due"
UKEY_NOW=$(at $T31) u status --when-due --days 31
t_is "$RC" 0 "rsa: status --when-due --days 31 with 31 days left: due"
UKEY_NOW=$(at $T30) u renew --when-due --days 29 --json
t_is "$RC $(js .result) $(js .days)" "0 not_due 29" "rsa: renew --when-due --days 29 with 30 days left: not due"
u status --when-due --days -1
t_is "$RC" 2 "rsa: --days -1 is a usage error"
u renew --when-due --days=soon
t_is "$RC" 2 "rsa: --days soon is a usage error"
u status --days 5
t_grep "rsa: --days without --when-due: usage error, saying so" "^2 ukey status: --days goes with --when-due" "$RC $ERR"
UKEY_NOW=tomorrow u status --when-due
t_grep "rsa: an unreadable UKEY_NOW is said, not silently ignored" "UKEY_NOW='tomorrow' is not" "$ERR"
LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale UKEY_NOW=$(at $T31) u renew --when-due
t_grep "rsa: ... in Chinese under LANGUAGE=zh_CN" "尚未到续期时间.*未做任何操作" "$(tr '\n' ' ' <<<"$OUT")"
# Due: the renewal itself, against the reference service.
UKEY_NOW=$(at $T30) u renew --when-due --json
t_is "$RC $(js 'select(.name == "when-due") | .step, .state' | tr '\n' ' ')$(js 'select(.result) | .result')" \
	"0 0 done done" "rsa: renew --when-due with 30 days left: the when-due event, then the renewal runs to the end"
t_is "$(issued rsa) $(jq -r .state "$J")" "1 done" "rsa: ... the service issued one certificate, the journal is done"
new_na=$(signing_na)
t_check "rsa: ... the new signing certificate's notAfter is later" test "$new_na" -gt "$na"
UKEY_NOW=$(at $T30) u renew --when-due --json
t_is "$RC $(js .result) $(js .days_left)" "0 not_due $(((new_na - T30) / 86400))" \
	"rsa: at the same moment, the new certificate is not due: nothing to do"

# ---- SM2 / SKF: renew --when-due, then the reminder -------------------------
if ! enroll sm2 skf || ! bind_and_check || ! paid_order cert; then
	echo "Bail out! sm2/skf virtual U-KEY or service failed: $(tail -n 3 "$W/sm2-skf.log")"
	exit 1
fi
na=$(signing_na)
before=$(serials)
UKEY_NOW=$(at $((na - 40 * 86400))) u renew --when-due --json
t_is "$RC $(js .result) $(js .days_left)" "0 not_due 40" "sm2/skf: renew --when-due with 40 days left: not due"
t_is "$(serials)|$(test -e "$J" && echo journal || echo no-journal)|$(issued sm2)" "$before|no-journal|0" \
	"sm2/skf: ... the token unchanged, no journal, nothing issued"

# enable where no user manager is reachable: the real systemctl, which
# finds none in the empty XDG_RUNTIME_DIR.
rem enable --json
t_is "$RC $(js .activated) $(js .manager_reachable) $(js '.run | join(";")')" \
	"0 false false systemctl --user daemon-reload;systemctl --user enable --now ukey-reminder.timer" \
	"reminder enable, no user manager: exit 0, not activated, the two commands to run given"
t_check "... ukey-reminder.timer and ukey-reminder.service in \$XDG_CONFIG_HOME/systemd/user" \
	test -f "$UNITS/ukey-reminder.timer" -a -f "$UNITS/ukey-reminder.service"
t_is "$(js '.tokens[0].medium') $(js '.tokens[0].present') $(jq -r '.tokens[0].medium, .tokens[0].not_after' "$SEEN" | tr '\n' ' ')" \
	"$M true $M $na " "... the inserted U-KEY is read and its expiry remembered"
rem enable
t_grep "... in words: exactly what to run" "^  systemctl --user enable --now ukey-reminder\.timer$" "$OUT"
t_is "$(grep -x "ExecStart=\"$SELF\" reminder check --days 30" "$UNITS/ukey-reminder.service")|$(cat "$UNITS"/ukey-reminder.* | grep -c -x -e 'Type=oneshot' -e 'Persistent=true' -e 'WantedBy=timers.target')" \
	"ExecStart=\"$SELF\" reminder check --days 30|3" \
	"... the service runs this ukey's 'reminder check --days 30' once; the timer is persistent, wanted by timers.target"
t_is "$(test -e "$W/.config/systemd" && echo written || echo none) $(real_units)" "none $real_before" \
	"... nothing under ~/.config/systemd (XDG_CONFIG_HOME wins), the real user's units untouched"
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze --user --man=no verify "$UNITS/ukey-reminder.timer" "$UNITS/ukey-reminder.service" 2>&1)
	t_is "$?|$out" "0|" "systemd-analyze verify accepts both units without a word"
else
	t_ok "# SKIP systemd-analyze not installed (systemd)"
fi
# A reachable manager, played by a systemctl that records its calls.
cat >"$W/sysbin/systemctl" <<'EOF'
#!/bin/sh
echo "$*" >>"$SYSTEMCTL_LOG"
case "$*" in *is-enabled*) echo enabled ;; *is-active*) echo active ;; esac
EOF
chmod +x "$W/sysbin/systemctl"
export SYSTEMCTL_LOG=$W/systemctl.log
PATH=$W/sysbin:$PATH rem enable --days 45 --json
t_is "$RC $(js .activated) $(tr '\n' ';' <"$SYSTEMCTL_LOG")" \
	"0 true --user daemon-reload;--user enable --now ukey-reminder.timer;" \
	"reminder enable --days 45, a user manager reachable: systemctl --user daemon-reload, enable --now the timer"
PATH=$W/sysbin:$PATH rem status --json
t_is "$RC $(js .installed) $(js .days) $(js .enabled) $(js .active) $(js '.tokens[0].medium')" \
	"0 true 45 enabled active $M" "reminder status: installed, --days 45, enabled and active, the U-KEY remembered"

# ---- the notification, on a private session bus -----------------------------
notify_ok=
if ! command -v dbus-daemon >/dev/null; then
	notify_ok="dbus-daemon not installed (dbus-daemon)"
elif ! command -v notify-send >/dev/null; then
	notify_ok="notify-send not installed (libnotify-bin)"
elif ! /usr/bin/python3 -c 'import dbus.service, dbus.mainloop.glib; from gi.repository import GLib' 2>/dev/null; then
	notify_ok="python3-dbus or python3-gi not installed"
fi
bus() {
	local out
	out=$(dbus-daemon --session --fork --print-address=1 --print-pid=1) || return 1
	export DBUS_SESSION_BUS_ADDRESS=${out%%$'\n'*}
	SPIDS+=("${out##*$'\n'}")
	: >"$W/answer"
	"$top/tests/plugin/notify-server.py" "$W/notify.log" "$W/answer" "$W/ready" 2>"$W/notify-server.err" &
	SPIDS+=($!)
	for _ in $(seq 100); do [ -e "$W/ready" ] && return 0; sleep 0.1; done
	return 1
}
[ -n "$notify_ok" ] || bus || notify_ok="the private session bus or the notification service did not start"
calls() { [ -e "$W/notify.log" ] && wc -l <"$W/notify.log" || echo 0; }
last() { tail -n 1 "$W/notify.log" | jq -r "$1"; }
# The terminal: records its arguments, runs the command after -e (no
# keyboard: the window's "Press Enter" returns at once).
cat >"$W/bin/x-terminal-emulator" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" >"$TERM_ARGS"
[ "$1" = -e ] && shift
"$@" </dev/null >"$TERM_ARGS.out" 2>&1
EOF
chmod +x "$W/bin/x-terminal-emulator"
export TERM_ARGS=$W/term.args
if [ -n "$notify_ok" ]; then
	for _ in $(seq 28); do t_ok "# SKIP $notify_ok"; done
else
	t_check "the notification service owns org.freedesktop.Notifications on the private bus" test -e "$W/ready"
	PATH=$W/bin:$PATH UKEY_NOW=$(at $((na - 60 * 86400))) rem check --json
	t_is "$RC $(js '.tokens[0].due') $(js '.tokens[0].notified')" "0 false false" \
		"reminder check 60 days before expiry: exit 0, not due, not notified"
	t_is "$(calls)" 0 "... and the notification service got no Notify call"
	PATH=$W/bin:$PATH UKEY_NOW=$(at $((na - 10 * 86400))) rem check --json
	t_is "$RC $(js '.tokens[0].due') $(js '.tokens[0].notified') $(js '.tokens[0].renew_opened')" "0 true true false" \
		"reminder check 10 days before expiry: due, notified; dismissed, so no terminal"
	t_is "$(calls) $(last .app_name) $(last .hints.urgency)" "1 ukey 1" "... one Notify call, from ukey, normal urgency"
	t_is "$(last .summary)" "Your certificate expires in 10 days — renew now" "... its summary"
	t_is "$(last .body)" \
		"U-KEY $M: the signing certificate is valid until $(date -u -d "@$na" +%F). Choose \"Renew now\" to open the renewal assistant." \
		"... its body: the medium number, the expiry date, what the action does"
	t_is "$(last '.actions | join("|")')" "default|Renew now|renew|Renew now" \
		"... its actions: Renew now, also on a click on the notification (default)"
	t_check "... no terminal was opened" test ! -e "$TERM_ARGS"
	PATH=$W/bin:$PATH LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale UKEY_NOW=$(at $((na - 10 * 86400))) rem check
	t_is "$(last .summary)|$(last '.actions[1]')|$(last .body)" \
		"您的证书将在 10 天后到期——请立即续期|立即续期|U-KEY $M：签名证书有效期至 $(date -u -d "@$na" +%F)。选择“立即续期”将打开续期助手。" \
		"... in Chinese under LANGUAGE=zh_CN"
	# Taken out: the remembered date still reminds, asking for the key.
	mv "$D/device" "$D/device.out"
	PATH=$W/bin:$PATH UKEY_NOW=$(at $((na - 5 * 86400))) rem check --json
	t_is "$RC $(js '.tokens[0].present') $(js '.tokens[0].notified') $(calls) $(last .hints.urgency)" "0 false true 3 2" \
		"reminder check with the U-KEY taken out, 5 days before expiry: notified from the remembered date, critical"
	t_grep "... the body asks for the U-KEY" "Insert the U-KEY, then choose \"Renew now\"" "$(last .body)"
	PATH=$W/bin:$PATH UKEY_NOW=$(at $((na + 31 * 86400))) rem check --json
	t_is "$RC $(js '.tokens[0].due') $(js '.tokens[0].notified') $(calls)" "0 true false 3" \
		"... not seen since its certificate expired 31 days ago (more than --days): no longer notified"
	mv "$D/device.out" "$D/device"
	# "Renew now" in a graphical session: the assistant. The browser
	# (xdg-open) records who started it and copies the private file it
	# is given (last, so its presence says the rest is written).
	mkdir -p "$W/xbin"
	cat >"$W/xbin/xdg-open" <<'EOF'
#!/bin/sh
echo "$PPID" >"$XDG_LOG.pid"
tr '\0' ' ' <"/proc/$PPID/cmdline" >"$XDG_LOG.cmdline"
cat "$1" >"$XDG_LOG.tmp" && mv "$XDG_LOG.tmp" "$XDG_LOG.page"
EOF
	chmod +x "$W/xbin/xdg-open"
	echo renew >"$W/answer"
	PATH=$W/xbin:$W/bin:$PATH DISPLAY=:99 XDG_LOG=$W/xdg UKEY_ASSISTANT_WWW=$top/tools/assistant/www \
		UKEY_NOW=$(at $((na - 3 * 86400))) rem check --json
	t_is "$RC $(js '.tokens[0].notified') $(js '.tokens[0].renew_opened') $(js '.tokens[0].renew_opened_with')" \
		"0 true true assistant" \
		"reminder check 3 days before expiry, DISPLAY set and xdg-open there, 'Renew now' chosen: the assistant was started"
	for _ in $(seq 100); do [ -e "$W/xdg.page" ] && break; sleep 0.1; done
	APID=$(cat "$W/xdg.pid" 2>/dev/null)
	[ -n "$APID" ] && SPIDS+=("$APID")
	t_check "... the check has exited, the assistant runs on (detached)" kill -0 "${APID:-none}"
	t_is "$(cat "$W/xdg.cmdline" 2>/dev/null)" "$SELF assistant --serial=$M " \
		"... it is this ukey's assistant, for the U-KEY concerned (--serial=its medium number)"
	t_check "... no terminal was opened" test ! -e "$TERM_ARGS"
	URL=$(sed -n 's/.*content="0;url=\(http[^"]*\)".*/\1/p' "$W/xdg.page" 2>/dev/null)
	S=${URL#*\?s=} BASE=${URL%%/\?s=*}
	t_nogrep "... the address (its secret) is not in the check's output, which goes to the timer's log" \
		"${S:-no secret}" "$OUT$ERR" '"renew_opened_with"'
	page=$(curl -s -L --max-time 30 -c "$W/jar" -b "$W/jar" "$URL")
	t_grep "... the browser's file leads to the assistant's page, served" "<title>U-KEY renewal</title>" "$page"
	OUT=$(curl -s --max-time 30 -b "$W/jar" "$BASE/api/session")
	csrf=$(js .csrf)
	t_is "$(js .serial)" "$M" "... its session is for the U-KEY concerned"
	OUT=$(curl -s --max-time 30 -b "$W/jar" -H "Origin: $BASE" -H "X-CSRF-Token: $csrf" \
		-H 'Content-Type: application/json' --data-binary '{}' "$BASE/api/quit")
	gone=no
	for _ in $(seq 150); do kill -0 "${APID:-none}" 2>/dev/null || { gone=yes; break; }; sleep 0.1; done
	t_is "$(js .bye) $gone" "true yes" "... POST /api/quit: it says bye and exits"
	t_is "$(issued sm2) $(jq -r '.tokens[0].not_after' "$SEEN")" "0 $na" "... nothing was renewed by the check itself"
	# Without a display: the terminal runs this ukey's renew, which renews.
	rm -f "$W"/xdg.*
	PATH=$W/xbin:$W/bin:$PATH UKEY_NOW=$(at $((na - 3 * 86400))) rem check --json
	t_is "$RC $(js '.tokens[0].notified') $(js '.tokens[0].renew_opened') $(js '.tokens[0].renew_opened_with')" \
		"0 true true terminal" \
		"reminder check 3 days before expiry, no DISPLAY, 'Renew now' chosen: the terminal was opened"
	t_is "$(head -n 4 "$TERM_ARGS" | tr '\n' ' ')$(sed -n 5p "$TERM_ARGS")" "-e sh -c \"\$0\" renew; printf '\\n%s' \"\$1\"; read -r _; exit 0 $SELF" \
		"... x-terminal-emulator -e sh -c '<this ukey> renew; wait for Enter'"
	t_grep "... and ukey renew ran in it and renewed" "^The certificate of U-KEY $M is renewed" "$(cat "$TERM_ARGS.out")"
	new_na=$(signing_na)
	t_is "$(issued sm2) $(jq -r '.tokens[0].not_after' "$SEEN")" "1 $new_na" \
		"... one certificate issued, and the remembered expiry is the new certificate's"
	t_check "... and no assistant or browser was started" test ! -e "$W/xdg.pid"
	PATH=$W/bin:$PATH UKEY_NOW=$(at $((na - 3 * 86400))) rem check --json
	t_is "$RC $(js '.tokens[0].due') $(calls)" "0 false 5" "at the same moment the new certificate is not due: no Notify call"
fi

# ---- disable ------------------------------------------------------------------
: >"$SYSTEMCTL_LOG"
PATH=$W/sysbin:$PATH rem disable --json
t_is "$RC $(js .removed) $(grep -c 'disable --now ukey-reminder.timer' "$SYSTEMCTL_LOG")" "0 2 1" \
	"reminder disable: the timer disabled and stopped by the manager, both units removed"
t_is "$(ls -A "$UNITS" | wc -l) $(test -e "$SEEN" && echo remembered || echo forgotten)" "0 forgotten" \
	"... the unit directory is empty, the remembered dates are forgotten"
rem status --json
t_is "$RC $(js .installed)" "3 false" "reminder status when not installed: exit 3, installed false"
rem disable
t_is "$RC $OUT" "0 The reminder was not installed: nothing to remove." "reminder disable again: nothing to remove, exit 0"
t_is "$(real_units)" "$real_before" "the real user's systemd user directory is untouched at the end"

tap_done
