# SPDX-License-Identifier: LGPL-2.1-or-later
# browser-lib.sh: what browser-softhsm.sh and browser-skf.sh share. Sourced
# with top and build set; browser_main BACKEND KEY-TYPE FIRST-LOCALE makes a
# virtual U-KEY enrolled at a fresh reference CA service, with the service's
# seals (one with an OFD picture) written on it (marked abnormal: the guide's seal-cleaning case) and
# an unpaid order covering the certificate and the seals, then runs
# browser.py (headless Chromium through Selenium) on `ukey assistant`.
# Screenshots: $build/tests/assistant/screenshots-BACKEND/NN-name.png.

. "$top/tests/lib/tap.sh"
. "$top/tests/plugin/renew-lib.sh"

browser_main() {
	local backend=$1 kt=$2 first=$3 py=${UKEY_TEST_PYTHON:-/usr/bin/python3} t
	for t in chromium chromedriver; do
		command -v "$t" >/dev/null || tap_skip_all "$t not installed (tools/install-deps: chromium, chromium-driver)"
	done
	[ -x "$py" ] && "$py" -c 'import selenium' 2>/dev/null ||
		tap_skip_all "Selenium for $py not installed (tools/install-deps: python3-selenium)"
	# The service's 财务专用章 with an OFD picture: the page must show a
	# labelled placeholder for it.
	export UKEY_CA_OFD_SEALS=1
	plugin_setup "browser-$backend"
	"$UKEY" assistant --help >/dev/null 2>&1 || tap_skip_all "this ukey has no 'assistant' command"
	if ! enroll "$kt" "$backend"; then
		echo "Bail out! $kt/$backend virtual U-KEY or service failed: $(tail -n 3 "$D.log" 2>/dev/null)"
		exit 1
	fi
	if [ "$backend" = skf ]; then
		# A second key on the same emulator, out of its port: the page
		# must say "remove the other U-KEY" when it comes in.
		"$top/tools/ukey-vkey" create "$W/second" --backend skf --key-type "$kt" --share-with "$D" \
			>"$W/second.log" 2>&1 || { echo "Bail out! the second virtual U-KEY failed"; exit 1; }
		eval "$("$top/tools/ukey-vkey" env "$D")"
		mv "$W/second/device" "$W/second/device.out"
		export FIRST_DEVICE=$D/device SECOND_DEVICE=$W/second/device
	fi
	mkdir -p "$W/seals"
	ca_cli add-seals "$M" "$W/seals" >"$W/seals.json" &&
		"$top/tools/ukey-vkey" add-seals "$D" "$W/seals" >"$W/add-seals.log" 2>&1 &&
		ca_cli mark-seals-abnormal "$M" >/dev/null || { echo "Bail out! the seals could not be made"; exit 1; }
	OID=$(ca_cli create-order "$M" --covers cert+seals --price 30000 | jq -r .id)
	[ -n "$OID" ] && [ "$OID" != null ] || { echo "Bail out! the order could not be made"; exit 1; }
	SHOTS=$build/tests/assistant/screenshots-$backend
	rm -rf "$SHOTS"
	mkdir -p "$SHOTS"
	grep -qs '^#define UKEY_FAILPOINTS 1' "$build/config.h" && FAILPOINTS=1 || FAILPOINTS=0
	export W M OID SHOTS FAILPOINTS UKEY CA_SERVICE_DIR CA_URL CA_TOKEN_FILE CA_TLS
	export SEALS_JSON=$W/seals.json FIRST_LOCALE=$first PIN=$(sed -n 's/^user_pin=//p' "$D/vkey.info")
	export UKEY_ASSISTANT_WWW=$top/tools/assistant/www UKEY_LOCALEDIR=$build/po/locale
	# Leaving the page for the hostile one closes its event stream: the
	# server must not take that for the page closed (30 s by default).
	# The module's PIN dialog, at the end: the tests' scripted pinentry.
	export PINENTRY=$top/tests/pinentry/ukey-test-pinentry UKEY_TEST_PINENTRY_PIN_FILE=$W/dialog-pin \
		UKEY_TEST_PINENTRY_LOG=$W/pinentry.log UKEY_PKCS11_CONF
	printf '%s\n' "$PIN" >"$W/dialog-pin"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} UKEY_ASSISTANT_CLOSED_SECONDS=120
	"$py" "$top/tests/assistant/browser.py"
}
