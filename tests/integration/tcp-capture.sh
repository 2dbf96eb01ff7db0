#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# What the wires see while the client fetches through mprox0: on the server's
# link, only the proxy host talks to the server (never an address of the
# client); on the client's link, only SOCKS5 to the proxy (the application's
# packets to the server never leave the client as they are). IPv4 and IPv6
# destinations, through an IPv4 and an IPv6 proxy address.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup mprox0
head -c 300000 /dev/urandom >"$TOPO_WWW/blob"
want=$(sha256sum <"$TOPO_WWW/blob" | cut -d' ' -f1)

# capture NS DEV: tcpdump on DEV in NS into /tmp/mprox-DEV.pcap, written
# packet by packet (-U), waited for until it listens.
capture() {
	local log=/tmp/mprox-topo-${#topo_pids[@]}.log
	rm -f "/tmp/mprox-$2.pcap"
	topo_spawn "$1" tcpdump -i "$2" -n -U -Z root -w "/tmp/mprox-$2.pcap" 'ip or ip6'
	wait_for 20 grep -q "listening on $2" "$log"
}
tcpdumps_in() {
	local pid
	for pid in $(ip netns pids "$1"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = tcpdump ] && echo "$pid"
	done
}
stop_capture() {
	tcpdumps_in "$1" | xargs -r kill -INT
	wait_for 10 test -z "$(tcpdumps_in "$1")"
}
step "tcpdump on the server's link" capture $TOPO_S s0
step "tcpdump on the client's link" capture $TOPO_C c0

mprox_fetch "IPv4 destination through the IPv4 proxy" "$want" 30 http://10.200.2.2:8080/blob
mprox_fetch "IPv6 destination through the IPv4 proxy" "$want" 30 'http://[fd00:200:2::2]:8080/blob'
check "upstream p6 socks5://[fd00:200:1::1]:1080 instead" \
	mprox_use_upstream mprox0 p6 'socks5://[fd00:200:1::1]:1080'
mprox_fetch "IPv4 destination through the IPv6 proxy" "$want" 30 http://10.200.2.2:8080/blob
mprox_fetch "IPv6 destination through the IPv6 proxy" "$want" 30 'http://[fd00:200:2::2]:8080/blob'
check_flows_drain mprox0 30

step "stop tcpdump on the server's link" stop_capture $TOPO_S
step "stop tcpdump on the client's link" stop_capture $TOPO_C
python3 "$MPROX_NETUTIL" pcap-summary /tmp/mprox-s0.pcap >/tmp/mprox-s0.txt
python3 "$MPROX_NETUTIL" pcap-summary /tmp/mprox-c0.pcap >/tmp/mprox-c0.txt
echo "# server link (src dst proto dport packets):"
diag </tmp/mprox-s0.txt
echo "# client link:"
diag </tmp/mprox-c0.txt

# verify FILE PYTHON: PYTHON's assertions over the summary lines of FILE,
# as rows (src, dst, proto, dport, count) of ipaddress objects.
verify() {
	python3 -c '
import ipaddress, sys
rows = []
for line in open(sys.argv[1]):
    src, dst, proto, dport, n = line.split()
    rows.append((ipaddress.ip_address(src), ipaddress.ip_address(dst), proto, dport, int(n)))
net = ipaddress.ip_network
try:
    exec(sys.argv[2])
except AssertionError as e:
    sys.exit(str(e))
' "$1" "$2"
}

check "server link: the proxy host carried the IPv4 connections" verify /tmp/mprox-s0.txt '
assert any(str(s) == "10.200.2.1" and str(d) == "10.200.2.2" and p == "tcp" and port == "8080"
           for s, d, p, port, n in rows), "no TCP from 10.200.2.1 to 10.200.2.2:8080"'
check "server link: the proxy host carried the IPv6 connections" verify /tmp/mprox-s0.txt '
assert any(str(s) == "fd00:200:2::1" and str(d) == "fd00:200:2::2" and p == "tcp" and port == "8080"
           for s, d, p, port, n in rows), "no TCP from fd00:200:2::1 to [fd00:200:2::2]:8080"'
check "server link: every packet to the server comes from the proxy host" verify /tmp/mprox-s0.txt '
server = {"10.200.2.2", "fd00:200:2::2"}
for s, d, p, port, n in rows:
    if str(s) in server:
        continue
    # IPv6 housekeeping from link-local or unspecified sources belongs to
    # no connection: router solicitations and MLD to multicast groups, and
    # neighbour discovery (ICMPv6), also unicast to a neighbour.
    housekeeping = (s.is_link_local or s.is_unspecified) and (d.is_multicast or p == "icmp6")
    ok = str(s) in ("10.200.2.1", "fd00:200:2::1") or housekeeping
    assert ok, "%s -> %s %s %s: %d packets not from the proxy host" % (s, d, p, port, n)'
check "server link: no address of the client's link anywhere" verify /tmp/mprox-s0.txt '
for s, d, p, port, n in rows:
    for a in (s, d):
        assert a not in net("10.200.1.0/24") and a not in net("fd00:200:1::/64"), \
            "%s -> %s %s %s: %d packets" % (s, d, p, port, n)'
check "client link: SOCKS5 to the proxy over IPv4 and IPv6" verify /tmp/mprox-c0.txt '
for proxy in ("10.200.1.1", "fd00:200:1::1"):
    assert any(str(d) == proxy and p == "tcp" and port == "1080" for s, d, p, port, n in rows), \
        "no TCP to %s port 1080" % proxy'
check "client link: nothing to or from the server's link" verify /tmp/mprox-c0.txt '
for s, d, p, port, n in rows:
    for a in (s, d):
        assert a not in net("10.200.2.0/24") and a not in net("fd00:200:2::/64"), \
            "%s -> %s %s %s: %d packets" % (s, d, p, port, n)'
check "client link: every TCP packet is SOCKS5 between client and proxy" verify /tmp/mprox-c0.txt '
ends = {"10.200.1.1", "10.200.1.2", "fd00:200:1::1", "fd00:200:1::2"}
for s, d, p, port, n in rows:
    if p != "tcp":
        continue
    assert str(s) in ends and str(d) in ends, "%s -> %s port %s" % (s, d, port)
    assert port == "1080" or str(s) in ("10.200.1.1", "fd00:200:1::1"), \
        "%s -> %s port %s: not to the proxy port" % (s, d, port)'

mprox_case_teardown
plan "$tap_n"
tap_exit
