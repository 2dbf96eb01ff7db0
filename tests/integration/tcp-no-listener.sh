#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A device that came up without IPv6 has no IPv6 listener. The kernel gives
# a device IPv6 only while its MTU is at least 1280 (disable_ipv6 does not
# take it away), so mprox0 comes up with MTU 1200 and gets IPv6 when the
# MTU is raised: IPv6 can then be routed into it, and a connection must
# fail at once as a direct one to an unreachable network does (before the
# SYN's retransmission a second later: the driver fails the local
# socket's connect() itself, inject.h), counted in drops.no_listener and
# logged, not wait two minutes for SYN retries.
# After a down and up, IPv6 works.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup
c() {
	topo_ns $TOPO_C "$@"
}
step "load mprox" mprox_load
step "mprox0 with MTU 1200 in the client host" c ip link add mprox0 mtu 1200 type mprox
check "upstream p1 socks5://10.200.1.1:1080" mprox_upstream mprox0 p1 socks5://10.200.1.1:1080
step "mprox0 up" c ip link set mprox0 up
if c test ! -e /proc/sys/net/ipv6/conf/mprox0; then pass "mprox0 came up without IPv6"; else
	fail "mprox0 has IPv6 at MTU 1200"; fi
step "MTU 65535: IPv6 on mprox0 now" c ip link set mprox0 mtu 65535
step "routes into mprox0" sh -c \
	"ip netns exec $TOPO_C ip route add 10.200.2.0/24 dev mprox0 &&
	 ip netns exec $TOPO_C ip -6 route add fd00:200:2::/64 dev mprox0"

# What a direct connection to an IPv6 network without a route gets.
direct=$(c python3 "$MPROX_NETUTIL" connect fd00:300::2 8080 20 2>&1)
direct=${direct%% *}
[ "$direct" = ENETUNREACH ] && pass "direct to an unreachable IPv6 network: $direct" ||
	fail "direct to an unreachable IPv6 network: $direct"

nomem=$(mprox_stat mprox0 stats.drops.nomem)
refused=$(mprox_stat mprox0 stats.drops.no_listener)
dmesg_before=$(dmesg | grep -c "mprox0: refused an IPv6 connection")
out=$(c python3 "$MPROX_NETUTIL" connect fd00:200:2::2 8080 20 2>&1)
ms=${out#* }
if [ "${out%% *}" = "$direct" ] && [ "$ms" -lt 700 ] 2>/dev/null; then
	pass "IPv6 without a listener: connect() fails as direct, within 700 ms ($out ms)"
else
	fail "IPv6 without a listener: connect() $out ms, want $direct at once"
fi
[ "$(mprox_stat mprox0 stats.drops.no_listener)" -gt "$refused" ] 2>/dev/null &&
	pass "drops.no_listener counted it" || fail "drops: $(mprox_stat mprox0 stats.drops)"
[ "$(mprox_stat mprox0 stats.drops.nomem)" = "$nomem" ] &&
	pass "drops.nomem did not" || fail "drops: $(mprox_stat mprox0 stats.drops)"
[ "$(dmesg | grep -c "mprox0: refused an IPv6 connection")" -gt "$dmesg_before" ] &&
	pass "the kernel log says why" || fail "no message in the kernel log"
out=$(c python3 "$MPROX_NETUTIL" connect 10.200.2.2 8080 20 2>&1)
[ "${out%% *}" = ok ] && pass "IPv4 through mprox0 still works: $out" ||
	fail "IPv4 through mprox0: $out"

# Down and up opens the IPv6 listener; the IPv6 route went with the link.
step "mprox0 down and up" sh -c \
	"ip netns exec $TOPO_C ip link set mprox0 down &&
	 ip netns exec $TOPO_C ip link set mprox0 up &&
	 ip netns exec $TOPO_C ip route replace 10.200.2.0/24 dev mprox0 &&
	 ip netns exec $TOPO_C ip -6 route replace fd00:200:2::/64 dev mprox0"
out=$(c python3 "$MPROX_NETUTIL" connect fd00:200:2::2 8080 20 2>&1)
[ "${out%% *}" = ok ] && pass "after down and up, IPv6 through mprox0 works: $out" ||
	fail "after down and up, IPv6 through mprox0: $out"

check_flows_drain mprox0 30
mprox_case_teardown
plan "$tap_n"
tap_exit
