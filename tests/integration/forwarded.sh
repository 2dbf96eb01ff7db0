#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# mprox0 as a gateway: a host behind the client (topo_lan, 10.200.9.2 and
# fd00:200:9::2) that the client forwards for, as a router does for its
# LAN or a machine for its containers' veths. Its packets reach mprox0
# routed, with no local socket behind them, and every answer the driver
# makes must be routed on to it, not delivered to the client's own
# stack, which has no socket for it. Checked from that host: curl over
# IPv4 and IPv6 through microsocks; a closed port refused (RST) and a
# dead proxy unreachable (ICMP), each at once; ping gets "administratively
# prohibited"; UDP to microsocks (no UDP ASSOCIATE) gets port unreachable
# (ECONNREFUSED); the fake-IP resolver answers A and AAAA, the hijacked
# query too, and a fetch by name works (the proxy resolves it); none of
# the UDP answers ended in the client's own stack (its Udp NoPorts stay
# put). The kernel log stays clean and no flow is left.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

quick_ms=$(mprox_scale 2000 6000)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: errors within $quick_ms ms"

# The proxy host alone knows the names; the host behind the client asks
# 10.200.3.53, an address routed into mprox0 on the client.
fwd_cleanup() {
	rm -rf "/etc/netns/$TOPO_P" "/etc/netns/$TOPO_L"
}
fwd_cleanup
mkdir -p "/etc/netns/$TOPO_P" "/etc/netns/$TOPO_L"
printf '127.0.0.1 localhost\n10.200.2.2 www.mprox.test\nfd00:200:2::2 www6.mprox.test\n' \
	>"/etc/netns/$TOPO_P/hosts"
printf '127.0.0.1 localhost\n' >"/etc/netns/$TOPO_L/hosts"
printf 'nameserver 10.200.3.53\noptions timeout:2 attempts:2\n' >"/etc/netns/$TOPO_L/resolv.conf"

mprox_case_setup mprox0
trap 'topo_lan_down; topo_down; mprox_unload 2>/dev/null; fwd_cleanup' EXIT
mprox_dmesg_mark
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)

step "a host behind the client (10.200.9.2), which forwards for it" topo_lan
mprox_fakeip_up

# The client's own stack must not be where the answers end: a UDP answer
# there finds no socket (Udp NoPorts, IPv4 and IPv6). (A TCP one would
# make a RST, but the client's own sockets to the proxy send RSTs too.)
client_snmp() {
	topo_ns $TOPO_C nstat -saz 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'
}
noports4=$(client_snmp UdpNoPorts)
noports6=$(client_snmp Udp6NoPorts)
# Else both reads below are empty, and equal.
check "nstat reads the client's Udp NoPorts ($noports4) and Udp6 NoPorts ($noports6)" \
	test -n "$noports4" -a -n "$noports6"

# ---- TCP -----------------------------------------------------------------
lan_fetch() {
	local desc=$1 url=$2 got
	shift 2
	got=$(topo_ns $TOPO_L curl -sS --connect-timeout 15 --max-time 60 "$@" "$url" |
		sha256sum | cut -d' ' -f1)
	if [ "$got" = "$page_sha" ]; then pass "$desc"; else
		fail "$desc: sha256 $got, want $page_sha"; fi
}
ok0=$(mprox_connects mprox0 ok)
lan_fetch "curl -4 from the host behind the client" http://10.200.2.2:8080/page.html
lan_fetch "curl -6 from the host behind the client" "http://[fd00:200:2::2]:8080/page.html"
check "both went through the proxy: stats.connects.ok +2" \
	test "$(mprox_connects mprox0 ok)" = $((ok0 + 2))

# lan_connect_error HOST PORT WANT: a TCP connect from the host behind the
# client fails with WANT (an errno name) within quick_ms. netutil's connect
# blocks in connect(), so the error is the socket's own (a timed one once
# said "connected" here under load on a socket the ICMP error had closed).
lan_connect_error() {
	local out ms
	out=$(topo_ns $TOPO_L python3 "$MPROX_NETUTIL" connect "$1" "$2" 30)
	echo "$out"
	ms=$(cut -d' ' -f2 <<<"$out")
	[ "${out%% *}" = "$3" ] && [ "$ms" -le "$quick_ms" ]
}
# lan_connect_dead HOST: lan_connect_error through the dead upstream; on
# failure also what the device and the host knew.
lan_connect_dead() {
	lan_connect_error "$1" 8080 EHOSTUNREACH && return 0
	mprox_json mprox0 | jq -c '.stats.connects, .stats.flows, .config.upstreams, .conns'
	topo_ns $TOPO_C ss -Htan
	# Whether the ICMP error reached the host, and whether its socket was
	# busy (LockDroppedIcmps) when it did.
	topo_ns $TOPO_L nstat -saz | grep -E 'IcmpIn|LockDropped|OutOfWindowIcmps|TcpActiveOpens|TcpAttemptFails|TcpEstab|TcpInSegs|TcpOutRsts'
	return 1
}
for a in 10.200.2.2 fd00:200:2::2; do
	check "$a:9 (closed): ECONNREFUSED at once, forwarded" lan_connect_error $a 9 ECONNREFUSED
done
check "upstream flush, upstream add dead socks5://10.200.1.1:1099" \
	mprox_use_upstream mprox0 dead socks5://10.200.1.1:1099
for a in 10.200.2.2 fd00:200:2::2; do
	check "$a:8080 through a dead proxy: EHOSTUNREACH at once, forwarded" \
		lan_connect_dead $a
done
check "upstream flush, upstream add p1 socks5://10.200.1.1:1080" \
	mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080

# ---- ICMP echo and UDP refused --------------------------------------------
for a in 10.200.2.2 fd00:200:2::2; do
	out=$(topo_ns $TOPO_L ping -c 1 -W 5 "$a" 2>&1)
	if grep -qiE 'filtered|prohibited' <<<"$out"; then
		pass "ping $a: administratively prohibited, forwarded"
	else
		fail "ping $a: $(grep -iE 'from|loss' <<<"$out" | head -n 2 | tr '\n' ' ')"
	fi
done
# udp_refused DEST: lib/udp_echo.py's connected socket gets ECONNREFUSED
# (ICMP port unreachable) for its datagram within quick_ms.
udp_refused() {
	local out
	out=$(topo_ns $TOPO_L python3 "$MPROX_LIB/udp_echo.py" refused "$1" 2>&1)
	echo "$out"
	[[ $out == "ECONNREFUSED "* ]] && [ "${out#* }" -le "$quick_ms" ]
}
for a in 10.200.2.2:7001 '[fd00:200:2::2]:7001'; do
	check "UDP to $a, microsocks has no UDP: ECONNREFUSED, forwarded" udp_refused "$a"
done

# ---- the resolver ---------------------------------------------------------
lan_dig() {
	topo_ns $TOPO_L dig +short +time=2 +tries=1 "@${3:-10.200.3.53}" "$2" "$1"
}
a4=$(lan_dig A www.mprox.test)
if [[ $a4 =~ ^198\.18\.[0-9]+\.[0-9]+$ ]]; then pass "A www.mprox.test: $a4, from the IPv4 pool, forwarded"; else
	fail "A www.mprox.test: '$a4', want an address of 198.18.0.0/16"; fi
a6=$(lan_dig AAAA www6.mprox.test)
if [[ $a6 =~ ^fd00:198::[0-9a-f]{1,4}$ ]]; then pass "AAAA www6.mprox.test: $a6, from the IPv6 pool, forwarded"; else
	fail "AAAA www6.mprox.test: '$a6', want an address of fd00:198::/112"; fi
check "dns hijack on" mprox_config mprox0 <<<"dns hijack on"
h=$(lan_dig A www.mprox.test 10.200.3.99)
if [ "$h" = "$a4" ]; then pass "hijack on: 10.200.3.99 answers the host behind the client too ($h)"; else
	fail "hijack on: '$h' from 10.200.3.99, want '$a4'"; fi
lan_fetch "curl -4 http://www.mprox.test:8080/ by name from the host behind the client" \
	http://www.mprox.test:8080/page.html -4
lan_fetch "curl -6 http://www6.mprox.test:8080/ by name from the host behind the client" \
	http://www6.mprox.test:8080/page.html -6

# ---- none of it ended at the client ---------------------------------------
check "the client's stack got no UDP answer: Udp NoPorts $noports4 -> $(client_snmp UdpNoPorts)" \
	test "$(client_snmp UdpNoPorts)" = "$noports4"
check "nor over IPv6: Udp6 NoPorts $noports6 -> $(client_snmp Udp6NoPorts)" \
	test "$(client_snmp Udp6NoPorts)" = "$noports6"

topo_lan_down
check_flows_drain mprox0 60
mprox_check_dmesg "forwarded"
mprox_case_teardown
fwd_cleanup
plan $tap_n
tap_exit
