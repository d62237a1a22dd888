#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The generation files ($XDG_RUNTIME_DIR/ukey/<serial>.gen and .lock) are
# written only in a directory that is ours: a real directory owned by this
# user, mode 0700. A ukey/ directory another user made or opened up (0777),
# a ukey/ that is a symlink, and a <serial>.lock that is a symlink each turn
# the cross-process notice off with one warning, and nothing is created
# there or at a link's target. Before, the module created both files in any
# such directory and followed the .lock symlink (creating its target).
# Each write is pkcs11-tool --write-object through the module.
set -uo pipefail
. "$(dirname "$0")/../lib/tap.sh"
tap_setup
tap_plan 16
unset UKEY_LOG

vkey_make "$WORK/vkey" rsa
printf 'notice test\n' >"$WORK/data.txt"

# write RUNDIR LABEL: one data object written through the module with
# XDG_RUNTIME_DIR=RUNDIR; sets st and err (stderr).
write() {
	XDG_RUNTIME_DIR=$1 p11 --login --pin "$PIN" --write-object "$WORK/data.txt" --type data \
		--label "$2" >"$WORK/out" 2>"$WORK/err"
	st=$?
	err=$(cat "$WORK/err")
}

# notice_off NAME DIR: the write worked, DIR holds nothing new, one warning.
notice_off() {
	local name=$1 dir=$2
	t_is "$st" 0 "$name: the write itself succeeds"
	t_is "$(find "$dir" -mindepth 1 | wc -l)" 0 "$name: nothing is created in $(basename "$dir")/"
	says_off "$name"
}

# says_off NAME: stderr holds exactly one module line, the warning.
says_off() {
	local lines
	lines=$(grep '^ukey-pkcs11\[' <<<"$err")
	if [ "$(grep -c . <<<"$lines")" -eq 1 ] &&
		grep -q 'warning: notice_off: .*cross-process change notices are off' <<<"$lines"; then
		t_ok "$1: one warning says the notice is off"
	else
		t_fail "$1: one warning says the notice is off"
		t_diag "stderr:" "$err"
	fi
}

# Control: a fresh runtime directory gets ukey/ (0700) and <serial>.gen.
mkdir -m 0700 "$WORK/run"
write "$WORK/run" first
t_is "$st" 0 "fresh runtime dir: the write succeeds"
t_is "$(stat -c %a "$WORK/run/ukey")" 700 "fresh runtime dir: ukey/ is made with mode 0700"
t_check "fresh runtime dir: <serial>.gen is a regular file" test -f "$WORK/run/ukey/$SERIAL.gen" -a ! -L "$WORK/run/ukey/$SERIAL.gen"
t_nogrep "fresh runtime dir: no warning" 'warning:' "$err" '^Using slot'

# ukey/ made by someone else with mode 0777.
mkdir -m 0700 "$WORK/open"
mkdir "$WORK/open/ukey" && chmod 0777 "$WORK/open/ukey"
write "$WORK/open" open
notice_off "ukey/ with mode 0777" "$WORK/open/ukey"

# ukey/ owned by another user (only root can make one; CI runs as root).
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 0700 "$WORK/theirs" "$WORK/theirs/ukey"
	chown nobody "$WORK/theirs/ukey"
	write "$WORK/theirs" theirs
	notice_off "ukey/ owned by nobody" "$WORK/theirs/ukey"
else
	for i in 1 2 3; do
		t_ok "# SKIP ukey/ of another user: not root, cannot chown a directory to nobody"
	done
fi

# <serial>.lock is a symlink to a file that does not exist yet.
mkdir -m 0700 "$WORK/link" "$WORK/link/ukey" "$WORK/target"
ln -s "$WORK/target/victim" "$WORK/link/ukey/$SERIAL.lock"
write "$WORK/link" link
t_is "$st" 0 "symlinked <serial>.lock: the write itself succeeds"
t_check "symlinked <serial>.lock: nothing is created at the link's target" test ! -e "$WORK/target/victim"
says_off "symlinked <serial>.lock"

# ukey/ itself a symlink to a directory of ours.
mkdir -m 0700 "$WORK/alias"
ln -s "$WORK/target" "$WORK/alias/ukey"
write "$WORK/alias" alias
notice_off "ukey/ is a symlink" "$WORK/target"

tap_done
