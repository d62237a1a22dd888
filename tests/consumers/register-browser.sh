#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey register-browser on browser databases made here (HOME is a scratch
# directory): a Firefox profiles.ini with a relative profile, an absolute
# one and a profile never started (no cert9.db), plus no ~/.pki at all.
# Registering adds the module to Chromium's new ~/.pki/nssdb and to both
# profile databases with our library path (checked with modutil -list),
# skips the fresh profile without creating a database in it; a second run
# changes nothing and says so; a moved module is updated; --remove takes it
# out of each database and a second --remove reports "absent"; a corrupt
# database is an error naming it while the others are still done.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
for t in modutil certutil; do
	command -v "$t" >/dev/null || tap_skip_all "$t not installed (libnss3-tools)"
done
tap_plan 28
UKEY=$UKEY_TOP_BUILDDIR/tools/ukey/ukey
[ -x "$UKEY" ] || { echo "Bail out! ukey not built: $UKEY"; exit 1; }
MODREAL=$(readlink -f "$MODULE")
export UKEY_LOG=off

# modutil loads the module, so in the sanitizer pass it needs the ASan
# runtime preloaded (ukey passes its environment on to modutil). Leak
# checking stays on: modutil itself leaks nothing LSan reports.
with_preload() {
	if [ -n "${UKEY_TEST_PRELOAD:-}" ]; then
		LD_PRELOAD=$UKEY_TEST_PRELOAD "$@"
	else
		"$@"
	fi
}

# ukey_run ARGS...: sets st and out (stdout+stderr).
ukey_run() {
	out=$(with_preload "$UKEY" "$@" 2>&1)
	st=$?
	printf '%s\n' "--- ukey $*: exit $st" "$out" >&2
}

# registered_lib DIR: the library path modutil lists for our module, or
# "none".
registered_lib() {
	local o
	o=$(with_preload modutil -dbdir "sql:$1" -list ukey-pkcs11 2>&1)
	sed -n 's/^Library file: //p' <<<"$o" | grep . || echo none
}

export HOME=$WORK/home
ff=$HOME/.mozilla/firefox
chrome=$HOME/.pki/nssdb
p_rel=$ff/abcd1234.default-esr
p_abs=$WORK/elsewhere/work
p_new=$ff/fresh.new
mkdir -p "$p_rel" "$p_abs" "$p_new"
cat >"$ff/profiles.ini" <<INI
[Install3B6073811A6ABF12]
Default=abcd1234.default-esr
Locked=1

[Profile0]
Name=default-esr
IsRelative=1
Path=abcd1234.default-esr
Default=1

[Profile1]
Name=work
IsRelative=0
Path=$p_abs

[Profile2]
Name=fresh
IsRelative=1
Path=fresh.new

[General]
StartWithLastProfile=1
Version=2
INI
for d in "$p_rel" "$p_abs"; do
	certutil -N -d "sql:$d" --empty-password >&2 || { echo "Bail out! certutil -N failed"; exit 1; }
done

# --- register -------------------------------------------------------------
ukey_run register-browser --module "$MODULE"
t_is "$st" 0 "register: exit status 0"
t_grep "register: Chromium's missing nssdb is created and the module added" \
	"^chromium $chrome: added \(database created\)$" "$out"
t_grep "register: the relative Firefox profile is reported added" \
	"^firefox profile \"default-esr\" $p_rel: added" "$out"
t_grep "register: the absolute Firefox profile is reported added" \
	"^firefox profile \"work\" $p_abs: added" "$out"
t_grep "register: a profile without cert9.db is reported skipped with the reason" \
	"^firefox profile \"fresh\" $p_new: skipped \(no NSS database" "$out"
t_is "$(registered_lib "$chrome")" "$MODREAL" "modutil -list: Chromium's db holds ukey-pkcs11 with our library"
t_is "$(registered_lib "$p_rel")" "$MODREAL" "modutil -list: profile default-esr holds ukey-pkcs11 with our library"
t_is "$(registered_lib "$p_abs")" "$MODREAL" "modutil -list: profile work holds ukey-pkcs11 with our library"
t_check "the profile without a database is left without one (skipped by a run that registered the others)" \
	bash -c 'grep -q "^firefox profile \"fresh\" .*: skipped" <<<"$1" && test ! -e "$2/cert9.db"' _ "$out" "$p_new"

# --- again: nothing to do -------------------------------------------------
ukey_run register-browser --module "$MODULE"
t_is "$st" 0 "second register: exit status 0"
t_is "$(grep -c ': already registered$' <<<"$out")" 3 "second register: all three databases already registered"
t_grep "second register: says nothing changed" '^nothing changed$' "$out"

ukey_run register-browser --module "$MODULE" --json
t_grep "--json: three databases 'already registered', changed 0, errors 0" \
	'"changed": 0, "errors": 0\}$' "$out"
t_is "$(grep -c '"status": "already registered"' <<<"$out")" 3 "--json: one entry per database with its status"
t_check "--json output parses as JSON" jq empty <<<"$out"

# --- a moved module is updated ----------------------------------------------
mkdir -p "$WORK/moved"
cp "$MODULE" "$WORK/moved/ukey-pkcs11.so"
ukey_run register-browser --module "$WORK/moved/ukey-pkcs11.so"
t_is "$(grep -c ": updated (was $MODREAL)\$" <<<"$out")" 3 "register with another path: each database updated, naming the old path"
t_is "$(registered_lib "$p_rel")" "$WORK/moved/ukey-pkcs11.so" "modutil -list: the profile now names the new library"

# --- remove ----------------------------------------------------------------
ukey_run register-browser --remove
t_is "$st" 0 "--remove: exit status 0"
t_is "$(grep -c ': removed$' <<<"$out")" 3 "--remove: three databases report removed"
t_is "$(registered_lib "$chrome") $(registered_lib "$p_rel") $(registered_lib "$p_abs")" "none none none" \
	"modutil -list: no database lists ukey-pkcs11 after --remove"
ukey_run register-browser --remove
t_is "$(grep -c ': absent$' <<<"$out")" 3 "second --remove: three databases report absent"
t_grep "second --remove: says nothing changed" '^nothing changed$' "$out"

# --- errors ------------------------------------------------------------------
head -c 4096 /dev/urandom >"$p_abs/cert9.db"
ukey_run register-browser --module "$MODULE"
t_is "$st" 1 "a corrupt database: exit status 1"
t_grep "a corrupt database is reported as an error with modutil's reason" \
	"^firefox profile \"work\" $p_abs: error \(modutil .*exited [0-9]+" "$out"
t_is "$(registered_lib "$p_rel")" "$MODREAL" "a corrupt database does not stop the others being registered"

ukey_run register-browser --module "$WORK/no/such/module.so"
t_is "$st" 1 "a missing module: exit status 1"
t_grep "a missing module: the message names it" "module $WORK/no/such/module.so: No such file" "$out"
ukey_run register-browser --no-such-option
t_is "$st" 2 "a bad option: exit status 2 (usage)"

tap_done
