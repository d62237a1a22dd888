#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey pin change / unblock (issue 17, item 1), on both backends. SKF
# emulator (SM2): the device's own retry counters (device/apps/<app>/
# pin.user and pin.admin, remain=) prove that a wrong PIN burns exactly one
# try and that a refused input (too short, too long, confirmation differs)
# burns none; the user PIN is locked by wrong tries and unblocked with the
# administrator PIN; a locked administrator PIN is refused with "only your
# CA"; the PIN dialog (pin_prompt = pinentry, tests/pinentry/ukey-test-pinentry)
# asks for the PINs instead. SoftHSM (RSA): only flags, and the module's log
# (UKEY_LOG=info: "PIN change: 0x...") counts the calls that reached the
# device. Both: --json shapes, the new PIN logs in and the old one not, the
# wrong-PIN message says the tries left (item 2), Chinese messages.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"
plugin_setup ukey-pin script
tap_plan 66
unset UKEY_PIN_FILE UKEY_LOG

# mk TYPE BACKEND: a virtual U-KEY (no service needed); D, M, APP.
mk() {
	D=$W/$1-$2
	"$top/tools/ukey-vkey" create "$D" --key-type "$1" --backend "$2" >"$D.log" 2>&1 &&
		eval "$("$top/tools/ukey-vkey" env "$D")" || return 1
	M=$(sed -n 's/^serial=//p' "$D/vkey.info")
	APP=$(sed -n 's/^application=//p' "$D/vkey.info")
}
# pins PIN...: the PINs ukey reads from --pin-fd 3, one per line.
pins() { printf '%s\n' "$@" >"$W/pins"; }
# pin CMD [ARGS]: ukey pin CMD with the PINs above on descriptor 3.
pin() { u pin "$@" --pin-fd 3 3<"$W/pins"; }
# remain user|admin: the SKF device's retry counter, as the device keeps it.
remain() { sed -n 's/^remain=//p' "$D/device/apps/$APP/pin.$1"; }
# login_ok PIN: a PKCS#11 login with PIN succeeds (a wrong one costs a try).
login_ok() { UKEY_TEST_PIN=$1 p11tool --login --pin env:UKEY_TEST_PIN --list-objects --type cert >/dev/null; }
# rc_grep DESC RC PATTERN: exit status RC and a line of stderr matching PATTERN.
rc_grep() {
	if [ "$RC" != "$2" ]; then
		t_fail "$1"
		t_diag "exit $RC, want $2" "$ERR"
	else
		t_grep "$1" "$3" "$ERR"
	fi
}
# calls: the C_SetPIN/C_InitPIN the module passed to the device (its log).
calls() { grep -c -e 'PIN change: 0x' -e 'user PIN initialised: 0x' <<<"$ERR"; }

# ---- SKF (SM2): exact counters -------------------------------------------
if mk sm2 skf; then
	pins 123456 13572468 13572468
	pin change
	t_is "$RC" 0 "skf: change: the current PIN, the new one twice (exit 0)"
	t_grep "skf: ... says it is changed and the tries" "^The PIN of U-KEY $M is changed\." "$OUT"
	t_check "skf: ... the new PIN logs in" login_ok 13572468
	t_is "$(remain user)" 10 "skf: ... and no try was used"
	if login_ok 123456; then t_fail "skf: ... the old PIN no longer logs in"; else t_ok "skf: ... the old PIN no longer logs in"; fi
	login_ok 13572468 # resets the counter the failed login used

	before=$(remain user)
	pins 000000 24682468 24682468
	UKEY_LOG=info pin change
	t_grep "skf: a wrong current PIN: exit 4, the tries left said, not retried" \
		"^ukey pin: Wrong PIN for U-KEY $M: 9 tries left of 10\. It was not retried; the PIN was not changed\.$" \
		"$ERR"
	t_is "$RC $(remain user)" "4 $((before - 1))" "skf: ... exactly one try burnt ($before -> $((before - 1)))"
	t_is "$(calls)" 1 "skf: ... one call reached the device"
	pins 000000 24682468 24682468
	pin change --json
	t_is "$RC $(js .error.exit) $(js .error.reason) $(js .pin) $(js .pin_tries_left) $(js .pin_tries_max)" \
		"4 4 wrong_pin count_low 8 10" "skf: --json: error.reason wrong_pin and the tries now left (8 of 10)"
	t_grep "skf: ... and the warning before the try names the tries" "^Warning: 9 tries left of 10$" "$ERR"

	before=$(remain user)
	pins 13572468 12345 12345
	UKEY_LOG=info pin change
	rc_grep "skf: a new PIN too short for the token's rule: exit 2, the rule said" 2 \
		"^ukey pin: The new PIN must be 6 to 16 characters long on U-KEY $M; nothing was changed, no try used\.$"
	t_nogrep "skf: ... refused before the device" "PIN change: 0x" "$ERR" "loaded with driver"
	pins 13572468 12345678901234567 12345678901234567
	pin change --json
	t_is "$RC $(js .error.reason) $(remain user)" "2 length $before" "skf: a new PIN too long: exit 2, reason length, no try used"
	pins 13572468 11223344 11223345
	UKEY_LOG=info pin change
	rc_grep "skf: a confirmation that differs: exit 2, refused" 2 \
		"^ukey pin: The two new PINs differ; nothing was changed, no try used\.$"
	t_nogrep "skf: ... before the device" "PIN change: 0x" "$ERR" "loaded with driver"
	t_is "$(remain user)" "$before" "skf: ... no try used"
	pins 13572468 11223344
	pin change --json
	t_is "$RC $(js .error.reason)" "2 no_pin" "skf: no confirmation given: exit 2, reason no_pin"
	t_check "skf: the PIN is still the one set first" login_ok 13572468

	# The PIN dialog: the module asks (three dialogs), ukey passes NULL PINs.
	{ printf '[module]\npin_prompt = pinentry\npinentry = %s\npinentry_timeout = 20\n\n' \
		"$top/tests/pinentry/ukey-test-pinentry"; cat "$D/ukey-pkcs11.conf"; } >"$W/pinentry.conf"
	mkdir -p "$W/q"
	printf 13572468 >"$W/q/1" && printf 97531864 >"$W/q/2" && printf 97531864 >"$W/q/3"
	UKEY_PKCS11_CONF=$W/pinentry.conf UKEY_TEST_PINENTRY_PIN_DIR=$W/q UKEY_TEST_PINENTRY_LOG=$W/pe.log u pin change --json
	t_is "$RC $(js .result) $(js .dialog)" "0 changed true" "skf: pinentry: change through the module's PIN dialog"
	t_is "$(grep -c '^GETPIN$' "$W/pe.log") $(ls "$W/q" | wc -l)" "3 0" "skf: ... three dialogs: current, new, again"
	t_check "skf: ... the new PIN logs in" login_ok 97531864

	# Lock the user PIN by wrong tries, then unblock it.
	for i in $(seq 9); do login_ok 000000 2>/dev/null; done
	t_is "$(remain user)" 1 "skf: nine wrong logins leave one try"
	pins 000000 24682468 24682468
	pin change
	rc_grep "skf: at the last try a PIN from a descriptor is refused without --accept-final-try" 4 \
		"^ukey pin: Only one PIN try is left; a PIN from a file or descriptor is not used unless you add --accept-final-try\.$"
	t_is "$(remain user)" 1 "skf: ... and no try used"
	pin change --accept-final-try --json
	t_is "$RC $(js .error.reason) $(js .pin) $(remain user)" "4 locked locked 0" \
		"skf: with --accept-final-try the wrong PIN locks it: reason locked"
	t_grep "skf: ... said so, with the way out" "the PIN is now locked\. Unblock it with 'ukey pin unblock'" "$(js .error.message)"
	pins 97531864 24682468 24682468
	pin change
	rc_grep "skf: change on a locked PIN: refused before the device (exit 4), 'ukey pin unblock' named" 4 \
		"^ukey pin: The PIN of U-KEY $M is locked and cannot be changed: unblock it with 'ukey pin unblock'"
	u list
	t_grep "skf: list says how to get out of it" "unblock it with 'ukey pin unblock'" "$OUT"

	pins 12345678 80808080 80808080
	pin unblock
	t_is "$RC" 0 "skf: unblock with the administrator PIN and a new user PIN (exit 0)"
	t_grep "skf: ... the administrator tries said before asking" "^U-KEY $M: administrator PIN: 10 tries left of 10$" "$ERR"
	t_grep "skf: ... says it is unblocked" "^The PIN of U-KEY $M is unblocked and set to the new PIN\.$" "$OUT"
	t_is "$(remain user)" 10 "skf: ... the user PIN has its ten tries back"
	t_check "skf: ... and the new PIN logs in" login_ok 80808080

	pins 12345678 2468 2468
	pin unblock --json
	t_is "$RC $(js .error.reason) $(remain admin)" "2 length 10" "skf: unblock with a too short new PIN: exit 2, no administrator try used"
	pins 99999999 24682468 24682468
	pin unblock --json
	t_is "$RC $(js .error.reason) $(js .so_pin_tries_left) $(js .so_pin_tries_max) $(remain admin)" \
		"4 wrong_so_pin 9 10 9" "skf: a wrong administrator PIN burns exactly one administrator try"
	t_grep "skf: ... and says what a locked administrator PIN means" \
		"Wrong administrator PIN for U-KEY $M: 9 tries left of 10\. It was not retried; nothing was changed\. If the administrator PIN locks, only your CA can unlock this U-KEY\." \
		"$(js .error.message)"
	t_check "skf: ... the user PIN untouched" login_ok 80808080

	# The dialog asks for the administrator PIN too.
	printf 12345678 >"$W/q/1" && printf 86428642 >"$W/q/2" && printf 86428642 >"$W/q/3"
	UKEY_PKCS11_CONF=$W/pinentry.conf UKEY_TEST_PINENTRY_PIN_DIR=$W/q UKEY_TEST_PINENTRY_LOG=$W/pe2.log u pin unblock --json
	t_is "$RC $(js .result) $(js .dialog) $(js .so_pin_tries_left)" "0 unblocked true 10" \
		"skf: pinentry: unblock through the dialogs (administrator PIN, new PIN twice)"
	t_grep "skf: ... the administrator PIN's dialog says its tries (9 of 10, after the wrong one)" "^SETDESC .*administrator \(SO\) PIN.*Tries left: 9 of 10" \
		"$(cat "$W/pe2.log")"
	t_check "skf: ... the new PIN logs in" login_ok 86428642

	# Lock the administrator PIN: only the CA can help.
	pins 99999999 24682468 24682468
	for i in $(seq 8); do pin unblock; done
	t_is "$(remain admin)" 2 "skf: eight wrong administrator PINs leave two tries"
	pin unblock
	pin unblock --accept-final-try
	rc_grep "skf: the last wrong administrator PIN: locked, take it to the CA (exit 4)" 4 \
		"^ukey pin: The administrator PIN of U-KEY $M is now locked: only your CA can unlock this U-KEY\. Take it to the CA\.$"
	: >"$W/pins"
	pin unblock --json
	t_is "$RC $(js .error.reason) $(js .so_pin) $(js .so_pin_tries_left)" "4 so_locked locked 0" \
		"skf: unblock with a locked administrator PIN: refused (so_locked), nothing asked"
	t_grep "skf: ... with the right words" "is locked: only your CA can unlock this U-KEY now\. Take it to the CA\." \
		"$(js .error.message)"
	LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale pin unblock
	t_grep "skf: ... in Chinese too" "管理员PIN码已锁定.*只有 CA 才能解锁" "$ERR"
	t_check "skf: ... and the user PIN still works" login_ok 86428642
else
	t_diag "$(tail -n 3 "$W/sm2-skf.log")"
	for i in $(seq 46); do t_fail "skf: virtual U-KEY"; done
fi

# ---- SoftHSM (RSA): flags only ------------------------------------------------
if mk rsa softhsm; then
	pins 123456 13572468 13572468
	pin change --json
	t_is "$RC $(js .result) $(js .medium) $(js .pin) $(js .pin_tries_left)" "0 changed $M ok null" \
		"softhsm: change --json: result changed, tries null (the U-KEY does not tell)"
	t_check "softhsm: ... the new PIN logs in" login_ok 13572468
	if login_ok 123456; then t_fail "softhsm: ... the old one not"; else t_ok "softhsm: ... the old one not"; fi
	login_ok 13572468
	pins 000000 24682468 24682468
	UKEY_LOG=info pin change
	rc_grep "softhsm: a wrong current PIN: exit 4, what the flags say, not retried" 4 \
		"^ukey pin: Wrong PIN for U-KEY $M: a wrong PIN was entered: fewer tries are left \(this U-KEY does not tell how many\)\. It was not retried"
	t_is "$(calls)" 1 "softhsm: ... one call reached the device (one try)"
	pins 13572468 123 123
	UKEY_LOG=info pin change
	rc_grep "softhsm: too short for the token's rule (4 to 255): exit 2" 2 \
		"^ukey pin: The new PIN must be 4 to 255 characters long"
	t_nogrep "softhsm: ... refused before the device" "PIN change: 0x" "$ERR" "loaded with driver"
	pins 13572468 "$(head -c 256 /dev/zero | tr '\0' 7)" "$(head -c 256 /dev/zero | tr '\0' 7)"
	pin change --json
	t_is "$RC $(js .error.reason)" "2 length" "softhsm: 256 characters: too long, exit 2"
	pins 13572468 11223344 11223345
	pin change --json
	t_is "$RC $(js .error.reason)" "2 mismatch" "softhsm: the confirmation differs: exit 2, reason mismatch"
	t_check "softhsm: ... the PIN is unchanged" login_ok 13572468
	printf '%s\n' 13572468 55667788 55667788 >"$W/pinfile"
	UKEY_PIN_FILE=$W/pinfile u pin change
	t_is "$RC" 0 "softhsm: UKEY_PIN_FILE with the three PINs, one per line"
	pins 99999999 80808080 80808080
	pin unblock --json
	t_is "$RC $(js .error.reason) $(js .so_pin) $(js .so_pin_tries_left)" "4 wrong_so_pin count_low null" \
		"softhsm: a wrong administrator PIN: exit 4, the flags say count_low"
	pins 12345678 80808080 80808080
	pin unblock --json
	t_is "$RC $(js .result) $(js .so_pin)" "0 unblocked ok" "softhsm: unblock (C_InitPIN as the SO) with the administrator PIN"
	t_check "softhsm: ... the new user PIN logs in" login_ok 80808080
	# The terminal: each PIN typed after its prompt, never echoed.
	tty_answers() {
		local n=0 a
		for a in "$@"; do
			n=$((n + 1))
			for _ in $(seq 300); do
				[ "$(grep -o -e 'Current PIN of U-KEY [^:]*: ' -e 'New PIN ([^)]*): ' -e 'New PIN again: ' \
					"$W/tty.out" 2>/dev/null | wc -l)" -ge "$n" ] && break
				sleep 0.1
			done
			printf '%s\n' "$a"
		done
		sleep 2
	}
	: >"$W/tty.out"
	tty_answers 80808080 64646464 64646464 |
		(cd "$W" && timeout 90 script -qec "$UKEY pin change" /dev/null >"$W/tty.out" 2>&1)
	t_grep "softhsm: on the terminal: three prompts, then changed" \
		"Current PIN of U-KEY $M: .*New PIN \(4 to 255 characters\): .*New PIN again: .*The PIN of U-KEY $M is changed" \
		"$(tr -d '\r\n' <"$W/tty.out")"
	t_nogrep "softhsm: ... no PIN echoed" "80808080|64646464" "$(cat "$W/tty.out")" "New PIN again"
	t_check "softhsm: ... the PIN typed is the new one" login_ok 64646464
	LANGUAGE=zh_CN UKEY_LOCALEDIR=$build/po/locale pin change
	t_grep "softhsm: a wrong current PIN, said in Chinese" "PIN码错误" "$ERR"
	u pin frobnicate
	t_is "$RC" 2 "a subcommand other than change or unblock: exit 2"
	u pin change --pin 123456
	rc_grep "a PIN on the command line is refused (exit 2)" 2 "^The PIN is never given on the command line"
else
	t_diag "$(tail -n 3 "$W/rsa-softhsm.log")"
	for i in $(seq 20); do t_fail "softhsm: virtual U-KEY"; done
fi
tap_done
