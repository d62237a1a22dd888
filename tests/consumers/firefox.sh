#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Firefox ESR (headless) with ukey-pkcs11 in its profile's NSS database
# (added with modutil, marked friendly): Firefox loads the module and its
# backend at start-up and finishes a headless page load without crashing.
#
# TLS client authentication is not driven here: `firefox --headless
# --screenshot` only writes a PNG (the page cannot be read back), and
# answering Firefox's certificate/PIN dialogs or reading the DOM needs a
# WebDriver client (geckodriver/Marionette client are not Debian 12
# packages). Tried: security.default_personal_cert = "Select Automatically"
# against an s_server asking for a client certificate -- the --screenshot
# run never finishes (timed out at 60 s); so does a plain https page from
# openssl s_server -www, so the page loaded here is a data: URL (NSS and
# the module are loaded at start-up all the same).
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/browser/nss-common.sh"
tap_setup
NSS_PKG=firefox-esr nss_need firefox-esr
nss_need certutil modutil
command -v ss >/dev/null || tap_skip_all "ss not installed (package iproute2)"
# The sanitizer pass builds an ASan module; Firefox (mozjemalloc, several
# processes) cannot run with the ASan runtime preloaded.
[ -z "${UKEY_TEST_PRELOAD:-}" ] || tap_skip_all "sanitizer pass: Firefox cannot load an ASan-built module"
tap_plan 3

cleanup() {
	server_stop
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

vkey_make "$WORK/rsa" rsa
profile=$WORK/profile
nssdb_make "$profile"
nss_tool modutil -dbdir "sql:$profile" -default ukey -mechanisms FRIENDLY -force </dev/null >&2
printf 'user_pref("browser.shell.checkDefaultBrowser", false);\n' >"$profile/user.js"

HOME=$WORK/home UKEY_LOG=info timeout -k 5 60 firefox-esr --headless --no-remote \
	--profile "$profile" --screenshot "$WORK/shot.png" "data:text/html,<p>ukey</p>" \
	</dev/null >"$WORK/ff.log" 2>&1
st=$?

t_grep "firefox loads the module and its backend from the profile's NSS database" \
	"loaded with driver p11" "$(grep -a '^ukey-pkcs11' "$WORK/ff.log")"
if [ $st -eq 0 ] && [ -s "$WORK/shot.png" ]; then
	t_ok "firefox with the module finishes a headless page load (no crash)"
else
	t_fail "firefox with the module finishes a headless page load (no crash)"
	t_diag "firefox exit $st (124: timed out)" "$(grep -a -e 'free()' -e 'corruption' -e 'Crash' "$WORK/ff.log" | head -n 5)"
fi
t_ok "TLS client authentication in Firefox # SKIP headless Firefox cannot read back the page or answer its certificate/PIN dialogs without a WebDriver client (not packaged in Debian 12)"
tap_done
