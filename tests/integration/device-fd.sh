#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The device and its file descriptor: the C API tests (progs/fd-api.c),
# then what is best checked from the shell: the JSON document with python3,
# rtnetlink with stock iproute2, counters, and rmmod with and without fds.
. "$(dirname "$0")/lib/tap.sh"

fdapi=$MPROX_PROGS/fd-api
insmod "$MPROX_KO" || { echo "1..0 # insmod failed"; exit 1; }

# run_tap PREFIX CMD...: the C tests print their own TAP; renumber them
# into ours. A program that dies, or ends before its plan, fails too.
run_tap() {
	local prefix=$1 line out rc ran=0 planned=""
	shift
	out=$("$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*)
			pass "$prefix${line#ok * - }"
			ran=$((ran + 1))
			;;
		"not ok "*)
			fail "$prefix${line#not ok * - }"
			ran=$((ran + 1))
			;;
		"1.."*) planned=${line#1..} ;;
		"#"*) echo "$line" ;;
		esac
	done <<<"$out"
	if [ "$planned" != "$ran" ] || { [ "$rc" != 0 ] && ! grep -q '^not ok' <<<"$out"; }; then
		fail "$prefix$1: $ran tests ran of a plan of '${planned:-none}', exit status $rc"
	fi
}

is() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: '$2', want '$3'"; fi
}

is "libmprox built without __NR_mprox_create: mprox_create() opens /dev/mprox" \
	"$("$fdapi" path)" ioctl

# The mprox_create() system call (driver/patches/): the debug kernel is
# built with the series, the stock kernels are not. There, the C API tests
# run through a libmprox built against the debug kernel's headers (make
# progs-syscall), which takes the system call, and the system call's own
# cases run, raw. Past the call that creates the device the two ways are
# the same driver code, so the debug kernel, where a run of the C API
# tests costs over a minute, runs them once, through the system call;
# the stock kernels run them through /dev/mprox.
sc=$MPROX_TOP/build/progs-syscall
if [ "$MPROX_KERNEL_FLAVOUR" = debug ]; then
	echo "# $MPROX_KERNEL_FLAVOUR kernel: fd-api through the mprox_create() system call"
	is "libmprox built with __NR_mprox_create: mprox_create() takes the system call" \
		"$("$sc/fd-api" path)" syscall
	run_tap "syscall: " "$sc/fd-api" run
	run_tap "syscall: " "$sc/mprox-syscall" run
else
	echo "# $MPROX_KERNEL_FLAVOUR kernel: no mprox_create() system call; /dev/mprox only"
	run_tap "" "$fdapi" run
fi

# The JSON document parses, has what was configured, never a password.
coproc HOLD { "$fdapi" hold mproxj0; }
read -r ready <&"${HOLD[0]}"
[ "$ready" = ready ] && pass "hold a device open" || fail "hold a device open"
check "configure it" "$fdapi" apply mproxj0 \
	'upstream add corp socks5://alice:Sup3r%22S3cret%5C@10.7.0.1:1080 weight 2
upstream add web http://[fd00::7]:3128
set udp_idle_timeout_s 30'
"$fdapi" json mproxj0 >/tmp/j.json
check "read() gives JSON that python3 parses" python3 -c '
import json, sys
d = json.load(open("/tmp/j.json"))
assert d["device"]["name"] == "mproxj0", d
ups = d["config"]["upstreams"]
assert [u["name"] for u in ups] == ["corp", "web"], ups
assert ups[0]["user"] == "alice" and ups[0]["password_set"] is True, ups[0]
assert ups[0]["port"] == 1080 and ups[0]["weight"] == 2, ups[0]
assert ups[1]["proto"] == "http" and ups[1]["port"] == 3128, ups[1]
assert d["config"]["tunables"]["udp_idle_timeout_s"] == 30, d["config"]
'
check "no password in read(), fdinfo or the kernel log" sh -c \
	"! grep -q S3cret /tmp/j.json && ! dmesg | grep -q S3cret &&
	 ! cat /proc/*/fdinfo/* 2>/dev/null | grep -q S3cret"

# rtnetlink: stock iproute2 creates, shows, changes and deletes devices.
check "ip link add type mprox" ip link add mproxr0 type mprox
check "ip -d link show says mprox" sh -c "ip -d link show mproxr0 | grep -qw mprox"
check "ip link set mtu" ip link set mproxr0 mtu 1400
check "the JSON shows the new MTU" sh -c \
	"'$fdapi' json mproxr0 | python3 -c 'import json,sys; assert json.load(sys.stdin)[\"device\"][\"mtu\"] == 1400'"
check "an ip-link device starts persistent" sh -c \
	"'$fdapi' json mproxr0 | grep -q '\"persist\":true' && ip link show mproxr0 >/dev/null"

# Packets routed into the device are dropped until the data path exists,
# and counted where ip -s link shows them.
ip link set mproxr0 up
ip addr add 10.99.0.1/24 dev mproxr0
tx_dropped() {
	ip -s -j link show mproxr0 |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'
}
before=$(tx_dropped)
python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    s.sendto(b"x", ("10.99.0.2", 9))
'
dropped=$(($(tx_dropped) - before))
[ "$dropped" -ge 5 ] && pass "ip -s link counts tx drops ($dropped of 5 sent)" ||
	fail "ip -s link counts tx drops ($dropped of 5 sent)"
check "ip link del" ip link del mproxr0

# rmmod: refused while an fd is open, fine after, and it takes persistent
# devices with it.
check "rmmod is refused while an fd is open" sh -c "! rmmod mprox 2>/dev/null"
exec {HOLD[1]}>&-
wait "$HOLD_PID"
check "the held device went with its fd" sh -c "! ip link show mproxj0 2>/dev/null"
check "ip link add a device no fd holds" ip link add mproxr1 type mprox
# Old configurations and their upstreams are freed by RCU callbacks: rmmod
# right after must wait for all of them (rcu_barrier) before the code goes.
check "configure it, then flush it" "$fdapi" apply mproxr1 \
	'upstream add a socks5://u:p@10.9.0.1
upstream add b http://10.9.0.2:3128
upstream flush'
check "rmmod with a device and no fds" rmmod mprox
check "rmmod deleted the device" sh -c "! ip link show mproxr1 2>/dev/null"

# The system call loads the driver when it is a module not loaded yet, for
# a caller that may create a device; ENOSYS when it cannot be loaded.
loaded() {
	grep -qw '^mprox' /proc/modules
}
if [ "$MPROX_KERNEL_FLAVOUR" = debug ]; then
	moddir=/lib/modules/$(uname -r)
	is "module not loaded, none to load: ENOSYS" "$("$sc/mprox-syscall" once mproxsl0)" ENOSYS
	mkdir -p "$moddir/extra" && cp "$MPROX_KO" "$moddir/extra/" && depmod
	is "as nobody: EPERM, and nothing loaded" \
		"$("$sc/mprox-syscall" once mproxsl0 nobody; loaded && echo loaded)" EPERM
	is "as root: the module loads and the call gives an fd" \
		"$("$sc/mprox-syscall" once mproxsl0)" "ok mproxsl0"
	check "mprox is loaded" loaded
	check "rmmod once its fd is closed" rmmod mprox
	echo "blacklist mprox" >/etc/modprobe.d/mprox-test.conf
	is "module blacklisted in modprobe.d: ENOSYS" "$("$sc/mprox-syscall" once mproxsl0)" ENOSYS
	echo "install mprox /bin/false" >/etc/modprobe.d/mprox-test.conf
	is "module refused by an install line: ENOSYS" "$("$sc/mprox-syscall" once mproxsl0)" ENOSYS
	rm -f /etc/modprobe.d/mprox-test.conf "$moddir/extra/mprox.ko"
	depmod
	check "and nothing loaded" sh -c "! grep -qw '^mprox' /proc/modules"
fi
plan "$tap_n"
tap_exit
