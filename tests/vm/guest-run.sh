#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test guest after switch_root (see initramfs-init). Prepares the
# guest, then either runs the test cases named in the job file and reports
# them to the host over the second serial port (/dev/ttyS1), or gives a
# developer a shell on the console.
#
# Report format, one record per line on ttyS1 (parsed by results.py):
#   @@mprox case NAME         start of a case; its TAP output follows
#   @@mprox end NAME RC SECS  end of a case, its exit status and wall time
#   @@mprox kmemleak          kmemleak's report follows (empty: no leaks)
#   @@mprox kmsg              the whole kernel log follows
#   @@mprox done              the guest finished normally
# Anything the host does not receive counts as a failure.

# shellcheck source=/dev/null
. "$MPROX_JOB"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux}

guest_setup() {
	# The root is already a tmpfs overlay: writes never reach the host.
	# /tmp stays as it is, since the tree under test may live there.
	mount -t tmpfs tmpfs /run
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs tmpfs /dev/shm
	mount -t debugfs debugfs /sys/kernel/debug
	# devtmpfs has no /dev/fd; bash process substitution needs it.
	ln -sfn /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
	hostname mprox-guest
	ip link set lo up

	# The stock kernel's modules were unpacked on the host; make them
	# the guest's own so modprobe finds veth, nf_tables and the rest.
	if [ -n "$MODULES_DIR" ]; then
		mkdir -p "/lib/modules/$(uname -r)"
		mount --bind "$MODULES_DIR" "/lib/modules/$(uname -r)"
	fi
	mkdir -p /var/run/netns
}

# Plain bytes on the report port: no CR insertion, no echo.
report_open() {
	stty -F /dev/ttyS1 raw -echo 115200
	exec 3>/dev/ttyS1
}

report() {
	printf '%s\n' "$*" >&3
}

# A case that needs longer than CASE_TIMEOUT says so in a comment line
# "# case-timeout: SECONDS"; the larger of the two counts, so that a long
# run (MPROX_CONNS=10000 on the debug kernel) can be given more
# (tests/vm/run.sh reads it too).
case_timeout() {
	local t
	t=$(sed -n 's/^# case-timeout: \([0-9][0-9]*\)$/\1/p' "$1" | head -n 1)
	echo $((${t:-0} > CASE_TIMEOUT ? ${t:-0} : CASE_TIMEOUT))
}

# Each case runs in a session of its own, output to a file: whatever it
# leaves running (a daemon it forgot) is killed afterwards and cannot hold
# the report open or leak into the next case.
run_case() {
	local path=$1 name rc sid strays limit start=$SECONDS
	name=$(basename "$path" .sh)
	echo "== case $name"
	limit=$(case_timeout "$path")
	(cd /tmp && exec setsid bash -c 'echo $$ >/run/case.sid
		exec timeout --kill-after=10 "$0" bash "$1"' "$limit" "$path") \
		>/run/case.out 2>&1 </dev/null
	rc=$?
	sid=$(cat /run/case.sid 2>/dev/null)
	strays=$( [ -n "$sid" ] && pgrep -s "$sid" | wc -l)
	if [ "${strays:-0}" -gt 0 ]; then
		pkill -KILL -s "$sid"
		echo "# killed $strays process(es) the case left running" >>/run/case.out
	fi
	# A case killed at its timeout could not clean up after itself: the
	# next one starts without its namespaces.
	ip -all netns delete 2>/dev/null
	report "@@mprox case $name"
	tee /dev/console </run/case.out >&3
	report "@@mprox end $name $rc $((SECONDS - start))"
}

# kmemleak only reports objects older than five seconds and a first scan may
# miss pointers held in registers: scan, let them age, scan again.
kmemleak_scan() {
	local f=/sys/kernel/debug/kmemleak
	[ -w "$f" ] || return 0
	echo scan >"$f"
	sleep 6
	echo scan >"$f"
	cat "$f"
}

finish() {
	sync
	# busybox-static's, which the initramfs is built from: reboot(8) is
	# systemd-sysv's, which a host may lack, and then init would exit
	# into a kernel panic.
	/bin/busybox reboot -f
}

guest_setup

if [ "$MODE" = shell ]; then
	echo "mprox test guest ($(uname -r)); module: $MPROX_KO"
	echo "tests: $MPROX_TOP/tests/integration; exit the shell to power off"
	cd "$MPROX_TOP" || cd /
	setsid -c bash -l </dev/ttyS0 >/dev/ttyS0 2>&1
	finish
fi

report_open
# Leaks from boot are not ours; only what the cases leave behind counts.
[ -w /sys/kernel/debug/kmemleak ] && echo clear >/sys/kernel/debug/kmemleak
export MPROX_KO MPROX_TEST_KO MPROX_TOP MPROX_KERNEL_FLAVOUR MPROX_PROGS MPROX_CONNS
for c in $CASES; do
	run_case "$c"
done
report "@@mprox kmemleak"
kmemleak_scan >&3
report "@@mprox kmsg"
dmesg --color=never >&3
report "@@mprox done"
finish
