# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for the NSS and browser consumer tests (bash; source after
# tests/lib/tap.sh and tap_setup). NSS programs (certutil, modutil, cmsutil,
# chromium, firefox) load the module through an NSS database; each test makes
# its own database in its own scratch directory.

# Seconds any one NSS tool may run.
NSS_TIMEOUT=${NSS_TIMEOUT:-60}

# nss_tool PROGRAM ARGS...: runs an NSS tool, bounded. In the sanitizer pass
# the module is ASan-built, so the tool needs the ASan runtime preloaded;
# leak checking is off there because it would check NSS's own heap (cmsutil
# and certutil leave objects at shutdown); the module's leaks are checked by
# the C tests.
nss_tool() {
	if [ -n "${UKEY_TEST_PRELOAD:-}" ]; then
		LD_PRELOAD=$UKEY_TEST_PRELOAD \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
			timeout -k 5 "$NSS_TIMEOUT" "$@"
	else
		timeout -k 5 "$NSS_TIMEOUT" "$@"
	fi
}

# nss_need PROGRAM...: skips the whole test when one is not installed.
nss_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null || tap_skip_all "$t not installed (package ${NSS_PKG:-libnss3-tools})"
	done
}

# nssdb_make DIR: a fresh NSS database (empty password on the internal
# token) with the module under test added as "ukey". stdin is closed so no
# prompt can wait for a terminal.
nssdb_make() {
	local dir=$1 out
	mkdir -p "$dir"
	if ! out=$(nss_tool certutil -N -d "sql:$dir" --empty-password </dev/null 2>&1) ||
		! out=$(nss_tool modutil -dbdir "sql:$dir" -add ukey -libfile "$MODULE" -force </dev/null 2>&1); then
		printf '%s\n' "$out" >&2
		echo "Bail out! cannot make an NSS database with the module in $dir"
		exit 1
	fi
}

# pin_file PATH PIN: a 0600 file holding PIN, for the NSS tools' -f option
# (the PIN never appears in argv).
pin_file() {
	(umask 077 && printf '%s\n' "$2" >"$1")
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now. The
# server that takes it still checks its own bind (another test may win the
# race), so callers retry on a bind failure.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return
		fi
	done
}

# server_start LOG ARGS...: openssl s_server -www on a free 127.0.0.1 port
# with ARGS (certificate, client-auth options); sets PORT and SERVER_PID.
# Tries a few ports, as another test may take the one found free.
server_start() {
	local log=$1 try i
	shift
	for try in 1 2 3 4 5; do
		PORT=$(free_port)
		openssl s_server -accept "127.0.0.1:$PORT" -www "$@" </dev/null >"$log" 2>&1 &
		SERVER_PID=$!
		for i in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			ss -Htln "sport = :$PORT" 2>/dev/null | grep -q . && return 0
			sleep 0.1
		done
		server_stop
	done
	echo "Bail out! openssl s_server does not start"
	exit 1
}

server_stop() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
}

# test_server_cert DIR: a throwaway P-256 server certificate for 127.0.0.1
# in DIR/srv.pem, DIR/srv.key; SERVER_SPKI is its SPKI hash for
# --ignore-certificate-errors-spki-list (the browser skips the check for
# this one server key only).
test_server_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1/srv.key" -out "$1/srv.pem" -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 || {
		echo "Bail out! cannot make the test server certificate"
		exit 1
	}
	SERVER_SPKI=$(openssl x509 -in "$1/srv.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
		openssl dgst -sha256 -binary | base64)
}
