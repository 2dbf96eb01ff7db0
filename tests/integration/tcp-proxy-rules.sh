#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# Rules against four real proxies (docs/routing.md, "Rules"), as an admin
# would set them: two destination subnets to two proxies (tinyproxy and
# squid, HTTP CONNECT), one user's traffic to a third (dante, SOCKS5), a
# cgroup direct, a port rejected, the rest to microsocks. Each class is
# counted where it lands, not by mprox: nftables rules on the proxy host
# count the SYNs that reach each proxy's port, and on the server host
# those that come from the client's own address (a direct connection).
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup echo mprox0
step "dante (SOCKS5, no auth) on 1085" topo_dante4 1085 9
step "tinyproxy on 8888, CONNECT to 7007" topo_tinyproxy 8888 7007
step "squid on 3130, CONNECT to 7007" topo_squid 3130 7007 8081
# A second destination subnet: the server also answers on 10.200.3.2,
# which the proxy host reaches through it and the client through mprox0.
step "the server's second subnet, 10.200.3.0/24" eval "
	topo_ns $TOPO_S ip addr add 10.200.3.2/24 dev s0 &&
	topo_ns $TOPO_P ip route add 10.200.3.0/24 via 10.200.2.2 &&
	topo_ns $TOPO_C ip route add 10.200.3.0/24 dev mprox0"
# The direct route around the device for its own sockets (fwmark 0x6d70),
# as in tcp-direct: the proxy host forwards for them.
step "a route around mprox0 for the fwmark, through the proxy host" eval "
	topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=1 &&
	topo_ns $TOPO_S ip route add 10.200.1.0/24 via 10.200.2.1 &&
	topo_ns $TOPO_C ip rule add fwmark 0x6d70 lookup 100 pref 100 &&
	topo_ns $TOPO_C ip route add 10.200.2.0/24 via 10.200.1.1 table 100"
count_syns() {
	topo_ns $TOPO_P nft -f - <<'NFT' || return 1
table inet count {
	chain in {
		type filter hook input priority 0;
		tcp dport 1080 tcp flags & (syn | ack) == syn counter comment "microsocks"
		tcp dport 1085 tcp flags & (syn | ack) == syn counter comment "dante"
		tcp dport 8888 tcp flags & (syn | ack) == syn counter comment "tinyproxy"
		tcp dport 3130 tcp flags & (syn | ack) == syn counter comment "squid"
	}
}
NFT
	topo_ns $TOPO_S nft -f - <<'NFT'
table inet count {
	chain in {
		type filter hook input priority 0;
		ip saddr 10.200.1.2 tcp dport 7007 tcp flags & (syn | ack) == syn counter comment "direct"
	}
}
NFT
}
step "SYN counters at the proxies and at the server" count_syns
mprox_dmesg_mark

expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: $2, want $3"; fi
}
# counts: the SYN counters, "microsocks dante tinyproxy squid direct".
counts() {
	{
		topo_ns $TOPO_P nft -j list table inet count
		echo
		topo_ns $TOPO_S nft -j list table inet count
	} | python3 -c '
import json, sys
n = {}
for line in sys.stdin:
    if not line.strip():
        continue
    for o in json.loads(line)["nftables"]:
        r = o.get("rule")
        if r and "comment" in r:
            n[r["comment"]] = next(e["counter"]["packets"] for e in r["expr"] if "counter" in e)
print(" ".join(str(n[k]) for k in ("microsocks", "dante", "tinyproxy", "squid", "direct")))'
}
# moved BEFORE: what each counter gained since BEFORE, "name+N ...".
moved() {
	python3 -c '
import sys
names = ("microsocks", "dante", "tinyproxy", "squid", "direct")
a, b = map(int, sys.argv[1].split()), map(int, sys.argv[2].split())
print(" ".join("%s+%d" % (k, y - x) for k, x, y in zip(names, a, b) if y != x) or "none")
' "$1" "$(counts)"
}
# echoes N HOST [how]: N echo connections to HOST:7007 from one process,
# as root, as uid 4242 ("uid"), or from the cgroup /mprox-rp ("cgroup");
# prints how many succeeded.
echoes() {
	local run=(ip netns exec $TOPO_C)
	case ${3:-} in
	uid) run=(ip netns exec $TOPO_C setpriv --reuid 4242 --regid 4242 --clear-groups) ;;
	cgroup) run=(sh -c 'echo $$ >/sys/fs/cgroup/mprox-rp/cgroup.procs && exec "$@"' sh
		ip netns exec $TOPO_C) ;;
	esac
	"${run[@]}" python3 "$MPROX_NETUTIL" many "$2" 7007 "$1" 120 2>/dev/null |
		sed -n 's/^\([0-9]*\) ok.*/\1/p'
}

check "upstreams: microsocks, dante, tinyproxy, squid" mprox_config mprox0 <<<"upstream flush
upstream add microsocks socks5://10.200.1.1:1080
upstream add dante socks5://10.200.1.1:1085
upstream add tinyproxy http://10.200.1.1:8888
upstream add squid http://10.200.1.1:3130"
step "cgroup /mprox-rp" mkdir -p /sys/fs/cgroup/mprox-rp
check "rules: uid 4242, the cgroup, port 7008, the two subnets" mprox_config mprox0 <<<"rule add uid 4242 upstream dante
rule add cgroup /mprox-rp direct
rule add port 7008 reject
rule add to 10.200.2.0/24 upstream tinyproxy
rule add to 10.200.3.0/24 upstream squid"

before=$(counts)
expect "5 connections to 10.200.2.2" "$(echoes 5 10.200.2.2)" 5
expect "all at tinyproxy (to 10.200.2.0/24)" "$(moved "$before")" "tinyproxy+5"
before=$(counts)
expect "5 connections to 10.200.3.2" "$(echoes 5 10.200.3.2)" 5
expect "all at squid (to 10.200.3.0/24)" "$(moved "$before")" "squid+5"
before=$(counts)
expect "5 connections to 10.200.2.2 as uid 4242" "$(echoes 5 10.200.2.2 uid)" 5
expect "all at dante (uid 4242, the first rule)" "$(moved "$before")" "dante+5"
before=$(counts)
expect "5 connections to 10.200.2.2 from /mprox-rp" "$(echoes 5 10.200.2.2 cgroup)" 5
expect "none at a proxy, all at the server from the client itself (direct)" \
	"$(moved "$before")" "direct+5"
before=$(counts)
got=$(topo_ns $TOPO_C python3 -c '
import errno, socket
s = socket.socket()
s.settimeout(10)
try:
    s.connect(("10.200.2.2", 7008))
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, e))')
expect "port 7008: refused by mprox" "$got" ECONNREFUSED
expect "nothing reached a proxy or the server" "$(moved "$before")" none
expect "counted as rejected" "$(mprox_stat mprox0 stats.connects.rejected)" 1
# And the proxies' own word for it: squid logs each CONNECT.
if grep -c 'CONNECT 10.200.3.2:7007' /tmp/mprox-squid-3130/access.log | grep -qx 5; then
	pass "squid's access log has the 5 CONNECTs to 10.200.3.2:7007"
else
	fail "squid's access log"
	diag </tmp/mprox-squid-3130/access.log
fi

check "rule flush; cgroup removed" eval "mprox_config mprox0 <<<'rule flush' &&
	rmdir /sys/fs/cgroup/mprox-rp"
check_flows_drain mprox0 30
mprox_check_dmesg tcp-proxy-rules
mprox_case_teardown
plan "$tap_n"
tap_exit
