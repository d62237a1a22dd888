# SPDX-License-Identifier: LGPL-2.1-or-later
# crash-lib.sh: what the renewal's interrupt and kill tests share (sourced
# after tests/lib/tap.sh, with top and build set; crash_setup does the
# rest). A prepared U-KEY (enrolled, bound, a paid order) and
# the service's state are saved once and put back before each round, so
# every round starts from the same state and an uninterrupted renewal is
# the reference every round is compared with.

# crash_setup NAME: plugin_setup (renew-lib.sh) with strace and the other
# tools (skips without one, or when strace cannot
# trace here), the service and renewal helpers, the scratch directory W
# (removed at exit unless UKEY_TEST_KEEP), the renewal's environment.
crash_setup() {
	. "$top/tests/plugin/renew-lib.sh"
	plugin_setup "$1" strace sqlite3 od base64
	strace -f -qq -o /dev/null -e trace=none true 2>/dev/null ||
		tap_skip_all "strace cannot trace here (ptrace not permitted)"
	export UKEY_TEST_PIN=123456 # for pkcs11-tool (--pin env:, never argv)
	unset UKEY_FAILPOINT
}

# The write-type system calls a kill point can be (ukey-renew-crash.sh).
CRASH_SYSCALLS=write,pwrite64,ftruncate,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,fsync,fdatasync

# traced [strace options]: ukey renew under strace (the ASan runtime in pass 2,
# without LeakSanitizer: it cannot run under ptrace and fails the exit).
traced() {
	OUT=$(timeout 120 strace -f -qq -y -s 64 "$@" -- \
		${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD ASAN_OPTIONS=detect_leaks=0} "$UKEY" renew $MODE 2>"$W/err")
	RC=$?
	ERR=$(cat "$W/err")
}

# The file a traced call (a line of strace -y on stdin) names.
call_path() {
	awk '{
		path = ""
		if (match($0, /\("\/[^"]*"/)) path = substr($0, RSTART + 2, RLENGTH - 3)
		else if (match($0, /\([0-9]+<[^>]*>/)) { path = substr($0, RSTART + 1, RLENGTH - 2); sub(/^[0-9]+</, "", path) }
		print path
	}'
}

# crash_points TRACE STORAGE: the kill points of a traced renewal, one
# "NAME ORDINAL STEP PATH" a line. ORDINAL counts NAME's calls of that
# process, as strace's when= does; STEP is the step in course (the progress
# lines "[k/8] ...: done|skipped" on stdout end each step).
crash_points() {
	call_path <"$1" | paste -d '\t' - "$1" | awk -F '\t' -v dev="$2/" '
		{
			path = $1; line = $2; split(line, f, " "); name = f[2]; sub(/\(.*/, "", name)
			key = f[1] " " name; ord[key]++
		}
		line ~ / write\(1</ && line ~ /\[[0-9]\/8\]/ && (line ~ /: done/ || line ~ /: skipped/) { step++; next }
		index(path, dev) == 1 && path !~ /\/token\.object$/ || path ~ /\/\.local\/state\/ukey\/renew-/ && name == "rename" {
			print name, ord[key], step + 1, path
		}'
}

# A path with what changes from run to run (SoftHSM object UUIDs, the
# emulator's temporary names, pids) made alike.
same_place() {
	sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g; s/\.tmp[0-9]+/.tmp/; s/\.(new|gone)-[0-9]+-[0-9]+/.\1/'
}

# crash_prepare TYPE BACKEND WITH_SEALS: the U-KEY and service, with seals
# on the token (cleaned) when WITH_SEALS is 1, and a paid order covering
# the encryption certificate (and the seals); then the snapshot.
crash_prepare() {
	enroll "$1" "$2" && bind_and_check || return 1
	if [ "$3" = 1 ]; then
		mkdir -p "$W/seals-$1"
		ca_cli add-seals "$M" "$W/seals-$1" >/dev/null &&
			"$top/tools/ukey-vkey" add-seals "$D" "$W/seals-$1" >/dev/null 2>&1 || return 1
		u seals clean --auto --yes
		[ "$RC" = 0 ] || return 1
		paid_order cert+seals --encryption || return 1
	else
		paid_order cert --encryption || return 1
	fi
	NISSUED=$(sqlite3 "$DB" "SELECT count(*) FROM certificates WHERE medium = '$M'")
	u show --json
	OLD_ENC_ID=$(js '.certificates[] | select(.encrypt and (.sign | not)) | .id')
	crash_snapshot
}

# crash_snapshot [NAME] / crash_restore [NAME]: the token, the service's
# state and the journal directory saved / put back (the service stopped
# meanwhile: its database is a file). NAME: "snap" by default.
crash_snapshot() {
	local s=$W/${1:-snap}
	ca_stop
	rm -rf "$s" && mkdir -p "$s" && cp -a "$D" "$s/token" && cp -a "$ST" "$s/service" &&
		{ [ ! -d "$W/.local/state/ukey" ] || cp -a "$W/.local/state/ukey" "$s/journal"; } && crash_service
}
crash_restore() {
	local s=$W/${1:-snap}
	ca_stop
	rm -rf "$D" "$ST" "$W/.local/state/ukey"
	cp -a "$s/token" "$D" && cp -a "$s/service" "$ST" &&
		{ [ ! -d "$s/journal" ] || { mkdir -p "$W/.local/state" && cp -a "$s/journal" "$W/.local/state/ukey"; }; } &&
		crash_service
}
# The service started again on its port (which a loaded machine may free
# late), or a bail-out: every later check would fail for the harness.
crash_service() {
	local i
	for i in 1 2 3 4 5; do
		ca_restart "$ST" && kill -0 "$CA_PID" 2>/dev/null && return 0
		ca_stop
		sleep 1
	done
	echo "Bail out! the reference service did not start again on ${CA_URL:-?}: $(tail -n 2 "$ST.log" 2>/dev/null)"
	exit 1
}

# Every object through the module, one "class|label|id" a line, sorted;
# what differs between two equal renewals named alike: the date of an
# archived label, the CKA_IDs a renewal chooses at random (from the
# journal), and a random id in a label (none is left by this version, see
# ukey-renew-labels.sh; earlier ones put the request id in labels).
crash_inventory() {
	local sign enc
	sign=$(jq -r '.key_id // ""' "$J" 2>/dev/null) enc=$(jq -r '.enc_key_id // ""' "$J" 2>/dev/null)
	p11tool --login --pin env:UKEY_TEST_PIN -O | awk -v sign="$sign" -v enc="$enc" '
		function flush() { if (cls != "") print cls "|" label "|" id; cls = ""; label = ""; id = "" }
		/^(Certificate|Public Key|Private Key) Object|^Data object/ { flush(); cls = $1; next }
		/^ *label:/ { sub(/^ *label: */, ""); gsub(/\x27/, ""); label = $0 }
		/^ *ID:/ { id = $2; if (id == sign && sign != "") id = "NEW-SIGN"; else if (id == enc && enc != "") id = "NEW-ENC" }
		END { flush() }' |
		sed -E 's/\(archived [0-9]{4}-[0-9]{2}-[0-9]{2}\)/(archived DATE)/; s/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/UUID/;
			s/^(Data\|.*)-[0-9a-f]{8}\|/\1-ID|/' |
		LC_ALL=C sort
}

# crash_decrypts CERT.pem ID: data encrypted by openssl to CERT is decrypted
# on the token by the private key with CKA_ID ID (RSA PKCS#1 v1.5 or SM2).
crash_decrypts() {
	local mech=00000001
	[ "$KT" = sm2 ] && mech=80008200
	head -c 32 /dev/urandom >"$W/plain"
	rm -f "$W/out"
	openssl x509 -noout -pubkey -in "$1" >"$W/encpub.pem" 2>/dev/null &&
		openssl pkeyutl -encrypt -pubin -inkey "$W/encpub.pem" -in "$W/plain" -out "$W/ct" 2>/dev/null &&
		${UKEY_TEST_PRELOAD:+env LD_PRELOAD=$UKEY_TEST_PRELOAD ASAN_OPTIONS=detect_leaks=0} \
			"$CA_TEST_DIR/ca-test-decrypt" "$UKEY_MODULE" "$W/pin" "$2" "$mech" <"$W/ct" >"$W/out" 2>/dev/null &&
		cmp -s "$W/plain" "$W/out"
}

# crash_state: what a finished renewal leaves, one line a fact, for the
# caller to compare with the reference's: the inventory, the old signing
# certificate (present or not), the new key signing and verifying, the old
# and new encryption keys decrypting, the certificates issued for the order,
# the journal, the seals the service sent.
crash_state() {
	local cert="$W/state-new.der" sent inv old
	inv=$(crash_inventory)
	old=$(jq -r '.old_id // ""' "$J" 2>/dev/null)
	echo "inventory: $(tr '\n' ';' <<<"$inv")"
	echo "the old signing certificate: $(grep -c "^Certificate|.*|$old\$" <<<"$inv")"
	jq -r .certificate "$J" 2>/dev/null | openssl x509 -outform DER -out "$cert" 2>/dev/null
	renew_signs "$(jq -r .key_id "$J" 2>/dev/null)" "$cert" && echo "new key signs: yes" || echo "new key signs: no"
	jq -r .encryption.certificate "$J" >"$W/state-enc.pem" 2>/dev/null
	crash_decrypts "$W/state-enc.pem" "$(jq -r .enc_key_id "$J" 2>/dev/null)" &&
		echo "new encryption key decrypts: yes" || echo "new encryption key decrypts: no"
	crash_decrypts "$D/keys/enc.pem" "$OLD_ENC_ID" && echo "old encryption key decrypts: yes" ||
		echo "old encryption key decrypts: no"
	echo "issued: $(sqlite3 "$DB" "SELECT (SELECT count(*) FROM renewals WHERE order_id = '$OID') || ' ' ||
		((SELECT count(*) FROM certificates WHERE medium = '$M') - $NISSUED)")"
	echo "journal: $(jq -r '.state + " " + (.step | tostring)' "$J" 2>/dev/null)"
	# The seals this renewal was sent (the service signs them afresh for
	# each issuance), exactly.
	sent=$(jq -r '.seals[]?.der' "$J" 2>/dev/null | while read -r b; do
		base64 -d <<<"$b" | sha256sum | cut -c1-64; done | LC_ALL=C sort | paste -sd,)
	[ -z "$sent" ] && { echo "seals: none sent"; return; }
	u seals --json
	[ "$(js '[.seals[]?.sha256] | sort | join(",")')" = "$sent" ] && echo "seals: exactly the $(jq '.seals | length' "$J") sent" ||
		echo "seals: not the ones sent"
}
