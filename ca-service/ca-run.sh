# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs the reference CA service on loopback for a script (source it, bash):
# tools/ukey-demo, bench/ and the tests (tests/ca-service/ca-lib.sh adds the
# tests' signed-request client).
#
#   ca_start STATE_DIR [ca-service serve options]   starts it on a free port,
#       sets CA_URL CA_TLS CA_TOKEN_FILE CA_USER_CA CA_PID, and CA_CMP_URL
#       CA_CMP_SIGNER (the CMP endpoint and its signer certificate); stopped at exit
#       by ca_stop_all (call it from your EXIT trap)
#   ca_stop               stops the service started last (its state stays)
#   ca_restart STATE_DIR  starts it again on the same port (same URL, CA, state)
#   ca_cli ARGS...        ca-service-cli against the running service
#
# CA_SERVICE_DIR: where the binaries are (the build tree's ca-service/).

CA_SERVICE_DIR=${CA_SERVICE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
CA_PIDS=()

ca_start() {
	local state=$1 out i
	shift
	out=$state.out
	# A restart must not read the last run's lines before the new
	# process has truncated the file (it would return before the service
	# listens, or when it could not).
	rm -f "$out"
	"$CA_SERVICE_DIR/ca-service" serve --state "$state" "$@" >"$out" 2>"$state.log" &
	CA_PID=$!
	CA_PIDS+=("$CA_PID")
	for i in $(seq 1 100); do
		grep -q '^USER_CA_FILE=' "$out" 2>/dev/null && break
		kill -0 "$CA_PID" 2>/dev/null || break
		sleep 0.1
	done
	CA_URL=$(sed -n 's/^URL=//p' "$out")
	CA_TLS=$(sed -n 's/^CA_FILE=//p' "$out")
	CA_TOKEN_FILE=$(sed -n 's/^OPERATOR_TOKEN_FILE=//p' "$out")
	CA_USER_CA=$(sed -n 's/^USER_CA_FILE=//p' "$out")
	CA_CMP_URL=$(sed -n 's/^CMP_URL=//p' "$out")
	CA_CMP_SIGNER=$(sed -n 's/^CMP_SIGNER_FILE=//p' "$out")
	[ -n "$CA_URL" ] && [ -n "$CA_USER_CA" ]
}

ca_stop_all() {
	local p
	for p in "${CA_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${CA_PIDS[@]}"; do
		timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	CA_PIDS=()
}

ca_stop() {
	local p=$CA_PID i
	kill -TERM "$p" 2>/dev/null
	timeout 10 tail --pid="$p" -f /dev/null 2>/dev/null
	kill -KILL "$p" 2>/dev/null
	for i in "${!CA_PIDS[@]}"; do
		[ "${CA_PIDS[$i]}" = "$p" ] && unset "CA_PIDS[$i]"
	done
	return 0
}

ca_restart() {
	local port=${CA_URL##*:}
	ca_start "$1" --port "${port%%/*}"
}

ca_cli() {
	"$CA_SERVICE_DIR/ca-service-cli" --url "$CA_URL" --token-file "$CA_TOKEN_FILE" \
		--cafile "$CA_TLS" "$@"
}
