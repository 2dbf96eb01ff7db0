#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# 10,000 handshakes pending at once on one device (1,000 on the debug
# kernel): one client process opens them all, non-blocking, into mprox0,
# whose upstream is a silent proxy (lib/hostile_proxy.py silent, one
# asyncio process for all of them) with connect and handshake timeouts of
# 300 s. Every SYN must get its flow (flows.active reaches the count);
# then "ip link set mprox0 down" returns within a second (timed inside the
# namespace): it kills the flows and leaves the closing of the sockets to
# the connections. "ip link set mprox0 up" right after it waits for them
# (its time is printed), every socket to the silent proxy closes, the
# kernel log stays clean and, on the debug kernel, kmemleak finds
# nothing. After up, the device works again.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

n=$(mprox_scale 10000 1000)
# The issue's bound, under a second, on both kernels. Down does not wait
# for the connections to close their sockets (1.2-1.5 s of this TCG
# guest's CPU for 10,000 when it did; 5 ms a connection on debug). It is
# timed as its netlink request: the exec of ip and date around it took
# more than a second on debug, the bound's old 4 s once not enough in CI.
down_max_ms=1000
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: $n pending handshakes; down within $down_max_ms ms"

mprox_case_setup mprox0
mprox_dmesg_mark
topo_spawn $TOPO_P python3 "$MPROX_LIB/hostile_proxy.py" silent:1096
silent_log=$(topo_last_log)
step "hostile_proxy.py silent on 1096" wait_for 60 topo_listening $TOPO_P 1096
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)
# Why connections to the silent proxy ended early, when they did: how the
# proxy saw them end, the TCP counters of both hosts, and the packets the
# receiving CPUs' backlogs dropped (softnet_stat's second column).
pending_why() {
	local ns
	echo "the silent proxy's connections ended:"
	awk '{ $NF = ""; $(NF - 1) = ""; print }' "$silent_log" | sort | uniq -c
	echo "soonest and latest: $(sort -n -k5 "$silent_log" | sed -n '1p;$p' | tr '\n' ';')"
	for ns in $TOPO_C $TOPO_P; do
		echo "$ns: $(topo_ns "$ns" nstat -asz | awk '$1 ~ /Listen|Reset|Rsts|Abort|Syncookies|KeepAlive|TCPTimeouts|AttemptFails|SynRetrans|Backlog|ReqQ|OFODrop|RcvQDrop/ && $2 { printf "%s %s ", $1, $2 }')"
	done
	local processed dropped rest n=0
	while read -r processed dropped rest; do
		n=$((n + 0x$dropped))
	done </proc/net/softnet_stat
	echo "softnet dropped: $n"
}

# The client's and the driver's sockets share the client host's ports.
check "client host: local ports 1024-65000" \
	topo_ns $TOPO_C sysctl -qw net.ipv4.ip_local_port_range="1024 65000"
check "upstream silent socks5://10.200.1.1:1096" \
	mprox_use_upstream mprox0 silent socks5://10.200.1.1:1096
check "set max_flows 100000" mprox_set mprox0 max_flows 100000
check "set connect_timeout_ms 300000" mprox_set mprox0 connect_timeout_ms 300000
check "set handshake_timeout_ms 300000" mprox_set mprox0 handshake_timeout_ms 300000

rm -f /tmp/mprox-pending.fifo /tmp/mprox-pending.out
mkfifo /tmp/mprox-pending.fifo
topo_ns $TOPO_C python3 "$MPROX_NETUTIL" pending 10.200.2.2 8080 "$n" 60 \
	</tmp/mprox-pending.fifo >/tmp/mprox-pending.out 2>&1 &
pending_pid=$!
exec 8>/tmp/mprox-pending.fifo
t0=$(ms_now)
if wait_for 300 grep -q '^sent' /tmp/mprox-pending.out; then
	pass "the client sent $n SYNs in $(($(ms_now) - t0)) ms: $(sed -n 2p /tmp/mprox-pending.out)"
else
	fail "the client did not send $n SYNs in 300 s"
	diag </tmp/mprox-pending.out
fi
t0=$(ms_now)
if wait_stat_above mprox0 stats.flows.active $((n - 1)) 300; then
	pass "flows.active reached $n after $(($(ms_now) - t0)) ms more"
else
	fail "flows.active $(mprox_stat mprox0 stats.flows.active) after 300 s, want $n"
	pending_why | diag
fi
echo "# the silent proxy's connections that ended before down: $(wc -l <"$silent_log")"
flows=$(mprox_stat mprox0 stats.flows)
at_proxy=$(topo_ns $TOPO_P ss -Htn state established "( sport = :1096 )" | wc -l)
echo "# flows: $flows; the silent proxy holds $at_proxy connections from mprox0"
echo "# connects: $(mprox_connects_json mprox0)"
aborted=$(mprox_stat mprox0 stats.connects.aborted)
up_aborted=$(mprox_stat mprox0 config.upstreams.0.connects.aborted)

# Each socket closed resets its connection: 10,000 RSTs at once overflow
# the receiving CPU's backlog (netdev_max_backlog, 1000) on the veth to
# the proxy host, and the proxy would keep what they did not reach.
backlog=$(sysctl -n net.core.netdev_max_backlog)
check "netdev_max_backlog $((n * 2))" sysctl -qw net.core.netdev_max_backlog=$((n * 2))
if ms=$(mprox_down_timed mprox0 120) && [ "$ms" -lt "$down_max_ms" ]; then
	pass "ip link set mprox0 down with $n handshakes pending returned in $ms ms"
else
	fail "ip link set mprox0 down took ${ms:-more than 120 000} ms, want under $down_max_ms"
fi
# Up while the connections of the last run still close: it waits for them.
if ms=$(mprox_link_timed mprox0 up); then
	pass "ip link set mprox0 up right after down returned in $ms ms"
else
	fail "ip link set mprox0 up right after down failed"
fi
check "the driver's sockets to the silent proxy are all closed" \
	wait_for "$(mprox_scale 30 120)" sh -c \
	"[ \$(ip netns exec $TOPO_C ss -Htn state all '( dport = :1096 )' | wc -l) = 0 ]"
expect "connects.aborted counted every pending handshake" \
	"$(($(mprox_stat mprox0 stats.connects.aborted) - aborted))" "$n"
expect "and so did the silent upstream's connects.aborted" \
	"$(($(mprox_stat mprox0 config.upstreams.0.connects.aborted) - up_aborted))" "$n"
check "the silent proxy's connections from mprox0 close" \
	wait_for "$(mprox_scale 30 120)" sh -c \
	"[ \$(ip netns exec $TOPO_P ss -Htn state established '( sport = :1096 )' | wc -l) = 0 ]"
check "netdev_max_backlog back to $backlog" sysctl -qw net.core.netdev_max_backlog="$backlog"
exec 8>&-
wait "$pending_pid"
echo "# the client's connects after down: $(tail -n 1 /tmp/mprox-pending.out)"

check "routes back" topo_ns $TOPO_C ip route replace 10.200.2.0/24 dev mprox0
check "upstream p1 socks5://10.200.1.1:1080" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080
mprox_fetch "after up: a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
check_flows_drain mprox0 30
mprox_check_dmesg "tcp-pending"
mprox_case_teardown
mprox_check_kmemleak "tcp-pending: after rmmod"
plan "$tap_n"
tap_exit
