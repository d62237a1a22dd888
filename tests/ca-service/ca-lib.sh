# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for tests that need the reference CA service (source it, bash):
# ca-service/ca-run.sh's ca_start, ca_stop, ca_stop_all, ca_restart and
# ca_cli, and
#
#   ca_call KEY CERT METHOD PATH [BODY]   signed request; sets HTTP and BODY
#   ca_err                the error code of the last BODY
#
# CA_SERVICE_DIR: the service's binaries (the build tree's ca-service/);
# CA_TEST_DIR: the test programs (the build tree's tests/ca-service/).

CA_TEST_DIR=${CA_TEST_DIR:-${UKEY_TOP_BUILDDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/ca-service}
# shellcheck source=../../ca-service/ca-run.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../ca-service/ca-run.sh"

# ca_call KEY CERT METHOD PATH [BODY] (extra client options in CA_OPTS)
ca_call() {
	local key=$1 cert=$2 out
	shift 2
	out=$("$CA_TEST_DIR/ca-test-client" --url "$CA_URL" --cafile "$CA_TLS" \
		--key "$key" --cert "$cert" ${CA_OPTS:-} "$@") || out="000"
	HTTP=${out%%$'\n'*}
	BODY=${out#*$'\n'}
	[ "$BODY" = "$out" ] && BODY=
	return 0
}

ca_err() {
	jq -r '.error.code // empty' <<<"$BODY" 2>/dev/null
}
