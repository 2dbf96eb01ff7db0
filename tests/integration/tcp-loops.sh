#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Loops through the driver's own sockets, whatever carries them there: two
# devices whose fwmark rules send each one's proxy traffic into the other
# (caught before the first SYN: the route is looked up first), and a
# firewall rule that changes the mark of mprox0's own traffic after that
# lookup (caught in xmit, which knows its sockets whatever their mark).
# Either way one curl fails at once, one flow is made, one line is logged.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup mprox0
c() {
	topo_ns $TOPO_C "$@"
}
step "mprox1 in the client host" sh -c "ip netns exec $TOPO_C ip link add mprox1 type mprox &&
	echo 'fwmark 0x6d71' | ip netns exec $TOPO_C $MPROX_CONFIG mprox1 &&
	ip netns exec $TOPO_C ip link set mprox1 up"
check "mprox1: upstream p1 socks5://10.200.1.1:1080" \
	mprox_upstream mprox1 p1 socks5://10.200.1.1:1080

# curl_fails_at_once DESC: one curl through mprox0 fails within 3 s.
curl_fails_at_once() {
	local err rc ms
	err=$(c curl -sS --max-time 20 -o /dev/null \
		-w '%{stderr}@times %{time_connect} %{time_total}\n' http://10.200.2.2:8080/ 2>&1)
	rc=$?
	ms=$(curl_times <<<"$err")
	ms=${ms#* }
	if [ "$rc" != 0 ] && [ "$ms" -lt 3000 ]; then
		pass "$1: curl fails at once (exit $rc after $ms ms)"
	else
		fail "$1: curl exit $rc after $ms ms"
		diag <<<"$err"
	fi
}

# stat_delta DEV PATH BEFORE: how much PATH rose since BEFORE.
stat_delta() {
	echo $(($(mprox_stat "$1" "$2") - $3))
}

log_lines() {
	dmesg | grep -c "$1"
}

# Each device's proxy traffic routed into the other.
step "mprox0's sockets (0x6d70) into mprox1" sh -c \
	"ip netns exec $TOPO_C ip rule add fwmark 0x6d70 lookup 101 pref 101 &&
	 ip netns exec $TOPO_C ip route add default dev mprox1 table 101"
step "mprox1's sockets (0x6d71) into mprox0" sh -c \
	"ip netns exec $TOPO_C ip rule add fwmark 0x6d71 lookup 100 pref 100 &&
	 ip netns exec $TOPO_C ip route add default dev mprox0 table 100"
created0=$(mprox_stat mprox0 stats.flows.total)
created1=$(mprox_stat mprox1 stats.flows.total)
loop0=$(mprox_stat mprox0 stats.connects.loop)
lines=$(log_lines "goes through an mprox device")
curl_fails_at_once "mprox0 and mprox1 routed into each other"
n0=$(stat_delta mprox0 stats.flows.total "$created0")
n1=$(stat_delta mprox1 stats.flows.total "$created1")
[ "$n0" = 1 ] && [ "$n1" = 0 ] && pass "one flow on mprox0, none on mprox1" ||
	fail "flows created: $n0 on mprox0, $n1 on mprox1; want 1 and 0"
[ "$(stat_delta mprox0 stats.connects.loop "$loop0")" = 1 ] &&
	pass "mprox0's connects.loop counted it once" ||
	fail "mprox0 connects: $(mprox_stat mprox0 stats.connects)"
n=$(($(log_lines "goes through an mprox device") - lines))
[ "$n" = 1 ] && pass "one line in the kernel log" || fail "$n loop lines in the kernel log"
check_flows_drain mprox0 30 "mprox0's flows drain to 0"
check_flows_drain mprox1 30 "mprox1's flows drain to 0"
step "remove those rules" sh -c "ip netns exec $TOPO_C ip rule del pref 100 &&
	ip netns exec $TOPO_C ip rule del pref 101"

# The route to the proxy is fine, then nftables changes the mark of
# mprox0's own packets and the output path routes them again, into mprox0.
step "nftables: mprox0's packets to the proxy get mark 0x1" c nft -f - <<'NFT'
table ip mproxtest {
	chain out {
		type route hook output priority mangle; policy accept;
		meta mark 0x6d70 ip daddr 10.200.1.1 meta mark set 0x1
	}
}
NFT
step "fwmark 0x1 into mprox0" c ip rule add fwmark 0x1 lookup 100 pref 100
created0=$(mprox_stat mprox0 stats.flows.total)
drops0=$(mprox_stat mprox0 stats.drops.loop)
lines=$(log_lines "driver's own connection to a proxy")
curl_fails_at_once "mprox0's own traffic re-marked into mprox0"
n0=$(stat_delta mprox0 stats.flows.total "$created0")
[ "$n0" = 1 ] && pass "one flow on mprox0" || fail "flows created on mprox0: $n0, want 1"
n=$(stat_delta mprox0 stats.drops.loop "$drops0")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] && pass "drops.loop counted the proxy's SYN ($n)" ||
	fail "drops: $(mprox_stat mprox0 stats.drops)"
# The error that answers the SYN waits until connect() lets go of the
# socket (mprox_inject_connect_error()), and fails it; should it wait in
# vain, the retransmission a second later gets a second one. Two packets,
# two lines at most.
n=$(($(log_lines "driver's own connection to a proxy") - lines))
[ "$n" -ge 1 ] && [ "$n" -le 2 ] && pass "$n line(s) in the kernel log, one a packet" ||
	fail "$n such lines in the kernel log"
check_flows_drain mprox0 30
step "remove the rule and the table" sh -c "ip netns exec $TOPO_C ip rule del pref 100 &&
	ip netns exec $TOPO_C nft delete table ip mproxtest"
# The loop failed p1's connection: p1 is down for its backoff.
check_upstreams_usable mprox0 70
head -c 100000 /dev/urandom >"$TOPO_WWW/blob"
mprox_fetch "without them, fetches work again" "$(sha256sum <"$TOPO_WWW/blob" | cut -d' ' -f1)" \
	30 http://10.200.2.2:8080/blob
check "ip link del mprox1" c ip link del mprox1
mprox_case_teardown
plan "$tap_n"
tap_exit
