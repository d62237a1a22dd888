#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ukey assistant against a hostile local client (curl): every rule of
# docs/assistant.md's security model is tried and each refusal checked by
# its status and its body's code. No secret, a wrong secret, a foreign Host
# (DNS rebinding), POSTs without or with a wrong Origin, without or with a
# wrong CSRF token, with a form or text content type (what a cross-site form
# can send), a CORS preflight, other methods, an oversized body, path
# traversal on the static files; no Access-Control-* header in any answer
# and the CSP on every one; listening on loopback only; and the exits:
# after idle time, when the page's event stream was closed, on /api/quit.
# Needs no U-KEY: the module is loaded with no backend configured.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=${UKEY_TOP_SRCDIR:-$(cd "$here/../.." && pwd)}
build=${UKEY_TOP_BUILDDIR:-$top}
. "$top/tests/lib/tap.sh"
UKEY=$build/tools/ukey/ukey
need_tools curl jq ss
[ -x "$UKEY" ] || tap_skip_all "ukey not built"
W=$(mktemp -d "${TMPDIR:-/tmp}/assistant-security.XXXXXX")
SPIDS=()
cleanup() {
	local p
	for p in "${SPIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	[ -n "${UKEY_TEST_KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT
export HOME=$W UKEY_CONFIG=$W/none.conf LC_ALL=C.UTF-8 UKEY_TOP_BUILDDIR=$build
export UKEY_MODULE=${UKEY_TEST_MODULE:-$build/module/.libs/ukey-pkcs11.so}
unset LANGUAGE XDG_STATE_HOME UKEY_PKCS11_CONF
js() { jq -r "$1" <<<"$OUT" 2>/dev/null; }
. "$top/tests/assistant/assistant-lib.sh"
tap_plan 52

# Every answer's headers, kept: the CSP and CORS checks read them all.
: >"$W/allhdrs"
# req [curl options] URL-PATH: a raw request, nothing added; CODE, OUT, HDR.
req() {
	local p=${*: -1}
	CODE=$(curl -s -o "$W/body" -D "$W/hdr" -w '%{http_code}' --max-time 30 "${@:1:$#-1}" "$BASE$p")
	OUT=$(tr -d '\0' <"$W/body")
	HDR=$(tr -d '\r' <"$W/hdr")
	cat "$W/hdr" >>"$W/allhdrs"
}
# refused DESC STATUS CODE: the last answer was that refusal.
refused() { t_is "$CODE $(js .error.code)" "$2 $3" "$1: $2 $3"; }
C=(-H "Cookie: ukey_s=")
good() { C=(-H "Cookie: ukey_s=$S"); }
J=(-H 'Content-Type: application/json')

mkdir -p "$W/www/sub"
printf '<!DOCTYPE html>\n<title>placeholder</title>\n' >"$W/www/index.html"
echo 'body{}' >"$W/www/sub/a.css"
echo secret >"$W/outside.html"
ln -s "$W/outside.html" "$W/www/link.html"
echo '#!/bin/sh' >"$W/www/run.sh"
echo hidden >"$W/www/.hidden.html"
asst_start || { echo "Bail out! the assistant did not start: $(cat "$W/asst.err")"; exit 1; }
good

# ---- the secret
req /api/session
refused "no secret" 403 secret
req -H "Cookie: ukey_s=${S%?}x" /api/session
refused "a wrong secret in the cookie" 403 secret
req "/api/session?s=${S%?}x"
refused "a wrong secret in the URL" 403 secret
req -H "Cookie: ukey_s=" /api/events
refused "the event stream without the secret" 403 secret
req "/?s=$S"
t_is "$CODE $(grep -i '^location:' <<<"$HDR" | tr -d ' ')" "303 Location:/" "the launch URL: 303 to / (the secret leaves the address bar)"
t_grep "... setting the cookie HttpOnly, SameSite=Strict, Path=/" \
	"^Set-Cookie: ukey_s=$S; HttpOnly; SameSite=Strict; Path=/$" "$HDR"
req "${C[@]}" /api/session
t_is "$CODE $(js '.csrf | length')" "200 43" "with the cookie: the session and its CSRF token (32 bytes, base64url)"

# ---- Host (DNS rebinding: a hostile name resolved to 127.0.0.1)
req "${C[@]}" -H "Host: evil.example:$PORT" /api/session
refused "Host: evil.example:$PORT" 403 host
req "${C[@]}" -H "Host: 127.0.0.1:$((PORT == 65535 ? 1 : PORT + 1))" /api/session
refused "Host: 127.0.0.1 on another port" 403 host
req "${C[@]}" -H "Host:" /api/session
refused "no Host" 403 host
req "${C[@]}" -H "Host: localhost:$PORT" /api/session
t_is "$CODE" 200 "Host: localhost:$PORT is ours"

# ---- the command line
out=$(timeout 20 "$UKEY" assistant --no-browser --port "$PORT" 2>&1)
t_is "$? $(grep -c "cannot listen on 127.0.0.1 port $PORT" <<<"$out")" "1 1" "a port in use: exit 1, saying so"
out=$(timeout 20 "$UKEY" assistant --no-browser --port 70000 2>&1)
t_is "$? $(grep -c 'bad command line' <<<"$out")" "2 1" "--port 70000: exit 2, bad command line"

# ---- state changes: Origin, CSRF token, JSON only
O=(-H "Origin: $BASE")
X=(-H "X-CSRF-Token: $CSRF")
req "${C[@]}" "${X[@]}" "${J[@]}" --data-binary '{}' /api/logout
refused "POST without Origin" 403 origin
req "${C[@]}" -H 'Origin: http://evil.example' "${X[@]}" "${J[@]}" --data-binary '{}' /api/logout
refused "POST with Origin http://evil.example" 403 origin
req "${C[@]}" -H 'Origin: null' "${X[@]}" "${J[@]}" --data-binary '{}' /api/logout
refused "POST with Origin null (a sandboxed or file: page)" 403 origin
req "${C[@]}" -H "Origin: http://127.0.0.1:$((PORT == 65535 ? 1 : PORT + 1))" "${X[@]}" "${J[@]}" --data-binary '{}' /api/logout
refused "POST with the Origin of another local port" 403 origin
req "${C[@]}" "${O[@]}" "${J[@]}" --data-binary '{}' /api/logout
refused "POST without the CSRF token" 403 csrf
req "${C[@]}" "${O[@]}" -H "X-CSRF-Token: ${CSRF%?}x" "${J[@]}" --data-binary '{}' /api/logout
refused "POST with a wrong CSRF token" 403 csrf
req "${C[@]}" "${O[@]}" "${X[@]}" -H 'Content-Type: text/plain' --data-binary '{}' /api/logout
refused "POST as text/plain" 415 content_type
req "${C[@]}" "${O[@]}" "${X[@]}" --data 'pin=123456' /api/login
refused "POST as a form (application/x-www-form-urlencoded)" 415 content_type
req "${C[@]}" "${O[@]}" "${X[@]}" -F 'pin=123456' /api/login
refused "POST as multipart/form-data" 415 content_type
req "${C[@]}" "${O[@]}" "${X[@]}" "${J[@]}" --data-binary 'pin=1' /api/logout
refused "POST of a body that is not JSON" 400 bad_request
head -c 70000 /dev/zero | tr '\0' ' ' >"$W/big"
req "${C[@]}" "${O[@]}" "${X[@]}" "${J[@]}" --data-binary @"$W/big" /api/logout
refused "a body over 64 KiB" 413 too_large
req "${C[@]}" "${O[@]}" "${X[@]}" "${J[@]}" --data-binary '{}' /api/logout
t_is "$CODE $(js .logged_in)" "200 false" "the same POST with Origin, token and JSON is accepted"
printf '{"pin":"123456"}' >"$W/login.json"
req "${C[@]}" "${O[@]}" "${X[@]}" "${J[@]}" --data-binary @"$W/login.json" /api/login
t_is "$CODE $(js .error.code)" "503 no_module" "... and a login reaches the module (here without a backend: 503 no_module)"

# ---- CORS and other methods
req -X OPTIONS -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: content-type,x-csrf-token' /api/login
t_is "$CODE $(js .error.code)" "403 secret" "a CORS preflight (no cookie, as browsers send it): refused"
req "${C[@]}" -X OPTIONS -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST' /api/login
refused "a preflight even with the cookie" 405 method
req "${C[@]}" -X PUT "${O[@]}" "${X[@]}" "${J[@]}" --data-binary '{}' /api/login
refused "PUT" 405 method
req "${C[@]}" -X DELETE "${O[@]}" "${X[@]}" /api/quit
refused "DELETE" 405 method
req "${C[@]}" "${O[@]}" "${X[@]}" "${J[@]}" --data-binary '{}' /api/token
refused "POST on a GET endpoint" 405 method

# ---- static files
req "${C[@]}" /
t_is "$CODE $(grep -ci '^content-type: text/html' <<<"$HDR") $(grep -c placeholder <<<"$OUT")" "200 1 1" "/ is index.html"
req "${C[@]}" /sub/a.css
t_is "$CODE $(grep -ci '^content-type: text/css' <<<"$HDR")" "200 1" "a file in a subdirectory, with its content type"
bad=
for p in /../outside.html /..%2foutside.html /%2e%2e/outside.html /sub/../../outside.html /sub/%2e%2e/%2e%2e/outside.html \
	'/..\outside.html' /link.html /run.sh /.hidden.html //etc/passwd /sub/ /nothing.html; do
	req "${C[@]}" --path-as-is "$p"
	[ "$CODE $(js .error.code)" = "404 not_found" ] || bad+=" $p:$CODE"
	grep -q secret <<<"$OUT" && bad+=" $p:LEAK"
done
t_is "${bad:-none}" none "traversal (.., %2e%2e, %2f, backslash), a symlink out, an unknown extension, a dot file: all 404 not_found"

# ---- every answer: the CSP and the other headers; never a CORS header
n=$(grep -c '^HTTP/' "$W/allhdrs")
t_is "$(grep -cx "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"$'\r' "$W/allhdrs")" \
	"$n" "all $n answers carry the strict Content-Security-Policy"
t_is "$(grep -ciE '^(X-Frame-Options: DENY|X-Content-Type-Options: nosniff|Referrer-Policy: no-referrer|Cache-Control: no-store)'$'\r' "$W/allhdrs")" \
	"$((4 * n))" "... and X-Frame-Options, X-Content-Type-Options, Referrer-Policy, Cache-Control"
t_nogrep "no answer has an Access-Control-* header" '^Access-Control-' "$(tr -d '\r' <"$W/allhdrs")" '^Content-Security-Policy'

# ---- loopback only
socks=$(ss -Hltn "sport = :$PORT" | awk '{print $4}' | sort | tr '\n' ' ')
t_is "$(grep -cvE '^(127\.0\.0\.1|\[::1\]):' <<<"$(tr ' ' '\n' <<<"$socks" | grep .)")" 0 \
	"the server listens on loopback addresses only ($socks)"
t_grep "... 127.0.0.1 among them" "127\.0\.0\.1:$PORT" "$socks"

# ---- the language: Chinese under a Chinese locale, for the page and the messages
post_quit() { req "${C[@]}" -H "Origin: $BASE" -H "X-CSRF-Token: $CSRF" "${J[@]}" --data-binary '{}' /api/quit; }
post_quit
asst_gone 15
asst_start LANGUAGE=zh_CN UKEY_LOCALEDIR="$build/po/locale"
good
req "${C[@]}" /api/session
t_is "$(js .locale)" zh_CN "LANGUAGE=zh_CN: the session's locale is zh_CN"
req "${C[@]}" -H "Host: evil.example:$PORT" /api/session
t_is "$CODE $(js .error.code) $(js .error.message)" "403 host 本服务只接受发往本机端口 127.0.0.1、[::1] 或 localhost 的请求" \
	"... and a refusal is worded in Chinese"
post_quit
asst_gone 15
asst_start
good
req "${C[@]}" /api/session
CSRF=$(js .csrf)
O=(-H "Origin: $BASE")
X=(-H "X-CSRF-Token: $CSRF")
t_is "$(js .locale)" en "C.UTF-8: the session's locale is en"

# ---- the browser: given a private file that redirects, never the secret in argv
post_quit
asst_gone 15
mkdir -p "$W/bin" "$W/rt"
chmod 700 "$W/rt"
cat >"$W/bin/xdg-open" <<'XDG'
#!/bin/sh
printf '%s\n' "$@" >"$XDG_LOG.args"
stat -c '%a' "$1" >"$XDG_LOG.mode"
cat "$1" >"$XDG_LOG.page"
for p in /proc/[0-9]*/cmdline; do { tr '\0' ' ' <"$p"; } 2>/dev/null; echo; done >"$XDG_LOG.tmp"
mv "$XDG_LOG.tmp" "$XDG_LOG.cmdlines"
XDG
chmod +x "$W/bin/xdg-open"
rm -f "$W/asst.out"
env PATH="$W/bin:$PATH" XDG_RUNTIME_DIR="$W/rt" XDG_LOG="$W/xdg" UKEY_ASSISTANT_WWW="$W/www" "$UKEY" assistant --idle 60 \
	>"$W/asst.out" 2>>"$W/asst.err" &
APID=$!
SPIDS+=("$APID")
for i in $(seq 1 100); do [ -s "$W/xdg.cmdlines" ] && break; sleep 0.1; done
URL=$(sed -n 's/^ukey assistant: //p' "$W/asst.out")
S=${URL#*\?s=} BASE=${URL%%/\?s=*}
t_is "$(cat "$W/xdg.args" 2>/dev/null) $(cat "$W/xdg.mode" 2>/dev/null)" "$W/rt/ukey-assistant-$APID.html 600" \
	"xdg-open is given a file of mode 0600 in XDG_RUNTIME_DIR, not the address"
t_check "... which redirects to the address (no script)" \
	grep -qxF "<meta http-equiv=\"refresh\" content=\"0;url=$URL\">" "$W/xdg.page"
t_nogrep "... and no process's command line holds the secret" "${S:-no secret}" "$(cat "$W/xdg.cmdlines" 2>/dev/null)" \
	"xdg-open"
req "/?s=$S"
t_is "$CODE $(test -e "$W/rt/ukey-assistant-$APID.html" && echo kept || echo removed)" "303 removed" \
	"the file is removed once the browser opened the address"
good
req "${C[@]}" /api/session
CSRF=$(js .csrf)
O=(-H "Origin: $BASE")
X=(-H "X-CSRF-Token: $CSRF")

# ---- exits: /api/quit (with a bye event), idle, page closed
ev_start
sleep 1
req "${C[@]}" "${O[@]}" "${X[@]}" "${J[@]}" --data-binary '{}' /api/quit
t_is "$CODE $(js .bye)" "200 true" "POST /api/quit"
asst_gone 15
t_is "$?" 0 "... the server exits"
t_grep "... after sending bye to the open page" '^data: \{"reason":"quit"\}' "$(cat "$W/events")"
ASST_IDLE=2 asst_start
asst_gone 15
t_is "$? $(grep -c 'exiting (idle)' "$W/asst.err")" "0 1" "--idle 2: exits when nothing is asked for 2 s"
asst_start UKEY_ASSISTANT_CLOSED_SECONDS=2
curl -sN --max-time 2 -H "Cookie: ukey_s=$S" "$BASE/api/events" >"$W/events2" 2>/dev/null
sleep 1
kill -0 "$APID" 2>/dev/null
alive=$?
# Noticed at the next ping the stream fails to send (5 s), then 2 s.
asst_gone 30
t_is "$alive $? $(grep -c 'exiting (closed)' "$W/asst.err")" "0 0 1" \
	"the page's event stream closed: the server waits, then exits (closed)"
t_nogrep "no sanitizer report from any of the assistants (sanitizer builds)" 'ERROR: [A-Za-z]*Sanitizer|runtime error:' \
	"$(cat "$W/asst.err")" 'exiting \(closed\)'
tap_done
