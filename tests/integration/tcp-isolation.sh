#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# One device's stuck handshakes must not hold up another device, nor its
# own teardown. mprox0's upstream is a silent proxy (lib/hostile_proxy.py
# silent: it accepts and never answers) and 1,000 connections (200 on the
# debug kernel) wait in their handshakes, with handshake and connect
# timeouts of 300 s; meanwhile mprox1, whose upstream is microsocks, must
# serve a page in under a second and a 30 MB download must keep moving.
# Then "ip link set mprox0 down" must return within a second (timed inside
# the namespace) and mprox0's flows go to 0. Last, a handshake slower than
# tcp_idle_timeout_s (at its minimum, 10 s; the flow GC runs every 5 s) but
# faster than the handshake timeout must complete: the idle timeout is
# for established flows, not for handshakes.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

n=$(mprox_scale 1000 100)
page_max_ms=$(mprox_scale 1000 3000)
# Down timed as its netlink request (mprox_link_timed): the issue's
# second on both kernels.
down_max_ms=1000
delay_ms=20000
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: $n pending handshakes on mprox0;" \
	"mprox1's page within $page_max_ms ms; down within $down_max_ms ms"

mprox_case_setup mprox0
mprox_dmesg_mark
topo_spawn $TOPO_P python3 "$MPROX_LIB/hostile_proxy.py" silent:1096 socks5-delay=$delay_ms:1097
step "hostile_proxy.py: silent on 1096, answering after $delay_ms ms on 1097" \
	wait_for 60 topo_listening $TOPO_P 1097
# mprox1 reaches the server host at a second address, 10.200.2.3, routed
# into it (more specific than mprox0's 10.200.2.0/24).
step "the server host has 10.200.2.3 too" topo_ns $TOPO_S ip addr add 10.200.2.3/24 dev s0
step "mprox1 in the client host, 10.200.2.3 routed into it" sh -c \
	"ip netns exec $TOPO_C ip link add mprox1 type mprox &&
	 echo '# mprox1' | ip netns exec $TOPO_C $MPROX_CONFIG mprox1 &&
	 ip netns exec $TOPO_C ip link set mprox1 up &&
	 ip netns exec $TOPO_C ip route add 10.200.2.3/32 dev mprox1"
check "mprox1: upstream p1 socks5://10.200.1.1:1080" \
	mprox_upstream mprox1 p1 socks5://10.200.1.1:1080
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
head -c 30M /dev/urandom >"$TOPO_WWW/big"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)
big_sha=$(sha256sum <"$TOPO_WWW/big" | cut -d' ' -f1)
mprox_fetch "mprox1 before: a page" "$page_sha" 30 http://10.200.2.3:8080/page.html
echo "# mprox1 before: page after $fetch_ms ms"

# ---- mprox0: $n handshakes that never end ---------------------------------------
check "mprox0: upstream silent socks5://10.200.1.1:1096" \
	mprox_use_upstream mprox0 silent socks5://10.200.1.1:1096
check "mprox0: set connect_timeout_ms 300000" mprox_set mprox0 connect_timeout_ms 300000
check "mprox0: set handshake_timeout_ms 300000" mprox_set mprox0 handshake_timeout_ms 300000
rm -f /tmp/mprox-iso.fifo /tmp/mprox-iso.out
mkfifo /tmp/mprox-iso.fifo
topo_ns $TOPO_C python3 "$MPROX_NETUTIL" pending 10.200.2.2 8080 "$n" 30 \
	</tmp/mprox-iso.fifo >/tmp/mprox-iso.out 2>&1 &
pending_pid=$!
# Hold the client's stdin open until the end: closing it ends the client.
exec 8>/tmp/mprox-iso.fifo
check "the client sent $n SYNs" wait_for 120 grep -q '^sent' /tmp/mprox-iso.out
t0=$(ms_now)
if wait_stat_above mprox0 stats.flows.active $((n - 1)) 120; then
	pass "mprox0: $n flows active after $(($(ms_now) - t0)) ms"
else
	fail "mprox0: flows.active $(mprox_stat mprox0 stats.flows.active), want $n"
fi
at_proxy=$(topo_ns $TOPO_P ss -Htn state established "( sport = :1096 )" | wc -l)
echo "# the silent proxy holds $at_proxy connections from mprox0;" \
	"mprox0's conns by state: $(mprox_json mprox0 | python3 -c '
import collections, json, sys
print(dict(collections.Counter(c["state"] for c in json.load(sys.stdin)["conns"])))')"

# ---- mprox1 meanwhile ------------------------------------------------------------------
mprox_fetch "mprox1 while mprox0 waits: a page" "$page_sha" 30 http://10.200.2.3:8080/page.html
if [ "$fetch_ms" -gt 0 ] && [ "$fetch_ms" -lt "$page_max_ms" ]; then
	pass "mprox1's page took $fetch_ms ms (connect $fetch_connect_ms ms), under $page_max_ms"
else
	fail "mprox1's page took $fetch_ms ms (0: failed), want under $page_max_ms"
fi
rm -f /tmp/mprox-iso-big /tmp/mprox-iso-big.rc
# What must hold is that the download never stalls, not a rate: a loaded
# TCG host runs the debug guest at a fraction of its idle speed. So the
# watch below fails on 15 s without a byte, and curl's own limit is only
# a backstop.
(
	topo_ns $TOPO_C curl -sS --connect-timeout 15 --max-time 600 --limit-rate 4M \
		-o /tmp/mprox-iso-big http://10.200.2.3:8080/big 2>/tmp/mprox-iso-big.err
	echo $? >/tmp/mprox-iso-big.rc
) &
big_size() {
	stat -c %s /tmp/mprox-iso-big 2>/dev/null || echo 0
}
big_above() {
	[ "$(big_size)" -gt "$1" ] || [ -s /tmp/mprox-iso-big.rc ]
}
big_t0=$(ms_now)
if wait_for 30 big_above 1000000; then
	s1=$(big_size)
	t1=$(ms_now)
	if wait_for 5 big_above $((s1 + 1000000)); then
		pass "mprox1's 30 MB download keeps moving: $s1 -> $(big_size) bytes in $(($(ms_now) - t1)) ms"
	else
		fail "mprox1's 30 MB download stalled at $(big_size) bytes for 5 s"
	fi
else
	fail "mprox1's 30 MB download did not start: $(big_size) bytes after 30 s"
fi
big_stalled=""
while [ ! -s /tmp/mprox-iso-big.rc ]; do
	s1=$(big_size)
	if ! wait_for 15 big_above "$s1"; then
		big_stalled="stalled at $s1 bytes for 15 s"
		break
	fi
done
if [ -z "$big_stalled" ] && [ "$(cat /tmp/mprox-iso-big.rc)" = 0 ] &&
	[ "$(sha256sum </tmp/mprox-iso-big | cut -d' ' -f1)" = "$big_sha" ]; then
	pass "mprox1's 30 MB download complete in $(($(ms_now) - big_t0)) ms, sha256 matches"
else
	fail "mprox1's 30 MB download: ${big_stalled:-curl exit '$(cat /tmp/mprox-iso-big.rc)'}, $(big_size) bytes"
	diag </tmp/mprox-iso-big.err
	# A stall or slowness? Twice, 5 s apart: a stall keeps the upstream
	# socket's Recv-Q and the conn's bytes_down where they were.
	for i in 1 2; do
		mprox_conns mprox1 2>&1 | head -n 5 | diag
		topo_ns $TOPO_C ss -tnmi 2>&1 | head -n 30 | diag
		[ "$i" = 2 ] || sleep 5
	done
fi

# ---- mprox0 goes down --------------------------------------------------------------------
if ms=$(mprox_down_timed mprox0 120) && [ "$ms" -lt "$down_max_ms" ]; then
	pass "ip link set mprox0 down with $n handshakes pending returned in $ms ms"
else
	fail "ip link set mprox0 down took ${ms:-more than 120 000} ms, want under $down_max_ms"
fi
check_flows_drain mprox0 "$(mprox_scale 10 30)" "mprox0's flows go to 0"
exec 8>&-
wait "$pending_pid"
echo "# the waiting client: $(tail -n 1 /tmp/mprox-iso.out)"
check "mprox1 still up and carrying: a page" \
	sh -c "ip netns exec $TOPO_C curl -sS --max-time 30 http://10.200.2.3:8080/page.html | cmp -s - $TOPO_WWW/page.html"

# ---- a handshake slower than tcp_idle_timeout_s ----------------------------------------
check "mprox1: set tcp_idle_timeout_s 10 (the minimum)" mprox_set mprox1 tcp_idle_timeout_s 10
check "mprox1: set connect_timeout_ms 60000" mprox_set mprox1 connect_timeout_ms 60000
check "mprox1: set handshake_timeout_ms 60000" mprox_set mprox1 handshake_timeout_ms 60000
check "mprox1: upstream slow socks5://10.200.1.1:1097 (answers after $delay_ms ms)" \
	mprox_use_upstream mprox1 slow socks5://10.200.1.1:1097
mprox_fetch "a handshake of $delay_ms ms, over tcp_idle_timeout_s, completes" "$page_sha" 90 \
	http://10.200.2.3:8080/page.html --connect-timeout 80
[ "$fetch_connect_ms" -ge $((delay_ms - 500)) ] &&
	pass "and connect() waited for it ($fetch_connect_ms ms)" ||
	fail "connect() after $fetch_connect_ms ms, want about $delay_ms"
check_flows_drain mprox1 30 "mprox1's flows go to 0"

mprox_check_dmesg "tcp-isolation"
check "ip link del mprox1" topo_ns $TOPO_C ip link del mprox1
mprox_case_teardown
plan "$tap_n"
tap_exit
