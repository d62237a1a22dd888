# SPDX-License-Identifier: LGPL-2.1-or-later
# assistant-lib.sh: what the `ukey assistant` tests share. Sourced after
# tests/lib/tap.sh and tests/plugin/renew-lib.sh (plugin_setup done), with
# W, UKEY and SPIDS set. The page's files are not needed: a placeholder
# index.html in W/www stands for them.

# asst_start [ENV=VALUE...]: starts `ukey assistant --no-browser` on a free
# port (its stdout in W/asst.out, stderr W/asst.err); sets APID, BASE (the
# served origin), S (the secret), PORT, CSRF. 1 when it did not print its
# address within 30 s.
asst_start() {
	local i
	mkdir -p "$W/www"
	[ -e "$W/www/index.html" ] || printf '<!DOCTYPE html>\n<title>placeholder</title>\n' >"$W/www/index.html"
	rm -f "$W/asst.out"
	env UKEY_ASSISTANT_WWW="$W/www" "$@" ${UKEY_TEST_PRELOAD:+LD_PRELOAD=$UKEY_TEST_PRELOAD} \
		"$UKEY" assistant --no-browser --port 0 --idle "${ASST_IDLE:-600}" >"$W/asst.out" 2>"$W/asst.err" &
	APID=$!
	SPIDS+=("$APID")
	# Killed on purpose by some tests: no job-control notice for that.
	disown "$APID"
	for i in $(seq 1 300); do
		grep -q '^ukey assistant: http' "$W/asst.out" 2>/dev/null && break
		kill -0 "$APID" 2>/dev/null || return 1
		sleep 0.1
	done
	URL=$(sed -n 's/^ukey assistant: //p' "$W/asst.out")
	[ -n "$URL" ] || return 1
	BASE=${URL%%/\?s=*}
	PORT=${BASE##*:}
	S=${URL#*\?s=}
	get /api/session
	CSRF=$(js .csrf)
	[ -n "$CSRF" ] && [ "$CSRF" != null ]
}

# asst_gone SECONDS: waits for the assistant to exit; 0 when it did.
asst_gone() {
	local i
	for i in $(seq 1 $(($1 * 10))); do
		kill -0 "$APID" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# get PATH [curl options]: GET with the session's cookie; CODE, OUT (body),
# HDR (headers).
get() {
	local p=$1
	shift
	CODE=$(curl -s -o "$W/body" -D "$W/hdr" -w '%{http_code}' --max-time 120 -H "Cookie: ukey_s=$S" "$@" "$BASE$p")
	OUT=$(tr -d '\0' <"$W/body")
	HDR=$(tr -d '\r' <"$W/hdr")
}
# post PATH JSON [curl options]: a POST as the page makes it (Origin, CSRF
# token, JSON); the body goes through a file, never argv (it may hold the PIN).
post() {
	local p=$1
	printf '%s' "$2" >"$W/req.json"
	shift 2
	CODE=$(curl -s -o "$W/body" -D "$W/hdr" -w '%{http_code}' --max-time 120 -H "Cookie: ukey_s=$S" \
		-H "Origin: $BASE" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
		--data-binary @"$W/req.json" "$@" "$BASE$p")
	OUT=$(cat "$W/body")
	HDR=$(tr -d '\r' <"$W/hdr")
	rm -f "$W/req.json"
}
# login_with PIN-FILE: POST /api/login with the PIN read from the file.
login_with() {
	post /api/login "$(jq -cn --rawfile p "$1" '{pin: ($p | rtrimstr("\n"))}')" "${@:2}"
}

# The event stream: ev_start opens it (curl in the background, to
# W/events); ev_wait NAME [SECONDS]: the data of the first NAME event after
# the mark ev_mark set, in EV (1 when none came).
ev_start() {
	curl -sN --max-time 900 -H "Cookie: ukey_s=$S" "$BASE/api/events" >"$W/events" 2>/dev/null &
	EVPID=$!
	SPIDS+=("$EVPID")
	EVMARK=0
}
ev_mark() { EVMARK=$(wc -l <"$W/events"); }
ev_wait() {
	local i
	for i in $(seq 1 $((${2:-60} * 10))); do
		EV=$(tail -n +"$((EVMARK + 1))" "$W/events" | awk -v n="$1" '$0 == "event: " n { getline; sub(/^data: /, ""); print; exit }')
		[ -n "$EV" ] && return 0
		sleep 0.1
	done
	return 1
}
