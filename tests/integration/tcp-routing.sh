#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# The plain iproute2 flow of design.md: policy routing sends everything but
# the driver's own sockets (fwmark 0x6d70) into mprox0. It works with
# rp_filter 0, 1 and 2, with and without an address on mprox0, for IPv4
# and IPv6; a route that sends the proxy's own traffic into mprox0 fails
# at once and loudly instead of looping; a packet carrying the driver's
# mark is dropped and counted; ping gets an ICMP error, and so does UDP
# when the upstream refuses UDP ASSOCIATE (microsocks).
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup echo
head -c 200000 /dev/urandom >"$TOPO_WWW/blob"
want=$(sha256sum <"$TOPO_WWW/blob" | cut -d' ' -f1)
# Not mprox_up: no routes into mprox0 but those of design.md's flow below.
step "load mprox" mprox_load
step "mprox0 in the client host" topo_ns $TOPO_C ip link add mprox0 type mprox
check "upstream p1 socks5://10.200.1.1:1080" mprox_upstream mprox0 p1 socks5://10.200.1.1:1080
step "mprox0 up" topo_ns $TOPO_C ip link set mprox0 up

c() {
	topo_ns $TOPO_C "$@"
}
# design.md's flow: everything not marked by the driver goes to table 100.
step "ip rule: not fwmark 0x6d70 lookup 100" c ip rule add not fwmark 0x6d70 lookup 100 pref 100
step "ip -6 rule: not fwmark 0x6d70 lookup 100" c ip -6 rule add not fwmark 0x6d70 lookup 100 pref 100
step "default dev mprox0 table 100" c ip route add default dev mprox0 table 100
step "IPv6 default dev mprox0 table 100" c ip -6 route add default dev mprox0 table 100

# Loose and no reverse-path filtering need nothing more.
for rp in 0 2; do
	c sysctl -qw net.ipv4.conf.all.rp_filter=$rp net.ipv4.conf.default.rp_filter=$rp \
		net.ipv4.conf.mprox0.rp_filter=$rp net.ipv4.conf.c0.rp_filter=$rp
	mprox_fetch "rp_filter $rp, no address on mprox0: IPv4" "$want" 30 http://10.200.2.2:8080/blob
	mprox_fetch "rp_filter $rp, no address on mprox0: IPv6" "$want" 30 'http://[fd00:200:2::2]:8080/blob'
done
# Strict filtering checks the proxy's replies on c0 against the route an
# unmarked packet to the proxy would take: into mprox0, by table 100. It
# drops them, as it would WireGuard's (docs/routing.md), until the proxy's
# own subnet is routed outside the device, in either of these two ways.
c sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.mprox0.rp_filter=1 \
	net.ipv4.conf.c0.rp_filter=1
step "rp_filter 1: lookup main suppress_prefixlength 0 first" \
	c ip rule add lookup main suppress_prefixlength 0 pref 99
mprox_fetch "rp_filter 1, main's specific routes first: IPv4" "$want" 30 http://10.200.2.2:8080/blob
mprox_fetch "rp_filter 1, main's specific routes first: IPv6" "$want" 30 \
	'http://[fd00:200:2::2]:8080/blob'
step "remove that rule" c ip rule del pref 99
step "rp_filter 1: the proxy's subnet via c0 in table 100" \
	c ip route add 10.200.1.0/24 dev c0 table 100
mprox_fetch "rp_filter 1, proxy subnet in table 100: IPv4" "$want" 30 http://10.200.2.2:8080/blob
step "remove that route" c ip route del 10.200.1.0/24 dev c0 table 100

step "an address on mprox0 (10.99.0.1, fd00:99::1)" sh -c \
	"ip netns exec $TOPO_C ip addr add 10.99.0.1/32 dev mprox0 &&
	 ip netns exec $TOPO_C ip addr add fd00:99::1/128 dev mprox0 nodad"
for rp in 0 2; do
	c sysctl -qw net.ipv4.conf.all.rp_filter=$rp net.ipv4.conf.mprox0.rp_filter=$rp \
		net.ipv4.conf.c0.rp_filter=$rp
	mprox_fetch "rp_filter $rp, source 10.99.0.1 on mprox0" "$want" 30 \
		http://10.200.2.2:8080/blob --interface 10.99.0.1
done
mprox_fetch "source fd00:99::1 on mprox0" "$want" 30 \
	'http://[fd00:200:2::2]:8080/blob' --interface fd00:99::1

# Non-TCP traffic routed into mprox0 gets an ICMP error at once: ping
# (administratively prohibited, counted in drops.unsupported_proto), and
# UDP here too, since microsocks refuses UDP ASSOCIATE (port unreachable,
# counted in stats.udp.refused; udp-assoc.sh has the UDP that works).
unsupported=$(mprox_stat mprox0 stats.drops.unsupported_proto)
out=$(c ping -c 1 -W 5 10.200.2.2 2>&1)
case $out in
*"Packet filtered"*) pass "ping through mprox0: ICMP administratively prohibited" ;;
*) fail "ping through mprox0: $out" ;;
esac
[ "$(mprox_stat mprox0 stats.drops.unsupported_proto)" -gt "$unsupported" ] &&
	pass "drops.unsupported_proto counted it" ||
	fail "drops.unsupported_proto: $(mprox_stat mprox0 stats.drops)"
refused=$(mprox_stat mprox0 stats.udp.refused)
out=$(c python3 - <<'PY' 2>&1
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(("10.200.2.2", 53))
s.send(b"x")
try:
    s.recv(100)
    print("an answer")
except OSError as e:
    print(e.errno == 111 and "ECONNREFUSED" or repr(e))
PY
)
[ "$out" = ECONNREFUSED ] &&
	pass "UDP through mprox0, microsocks refuses UDP ASSOCIATE: ECONNREFUSED" ||
	fail "UDP through mprox0 (microsocks refuses UDP ASSOCIATE): $out, want ECONNREFUSED"
[ "$(mprox_stat mprox0 stats.udp.refused)" -gt "$refused" ] &&
	pass "stats.udp.refused counted it" ||
	fail "stats.udp.refused: $refused before, now $(mprox_stat mprox0 stats.udp)"

# A packet with the driver's mark that reaches mprox0 anyway is dropped and
# counted: route the marked traffic into mprox0 too.
step "ip rule: fwmark 0x6d70 lookup 100 too" c ip rule add fwmark 0x6d70 lookup 100 pref 101
loops=$(mprox_stat mprox0 stats.drops.loop)
out=$(c python3 - <<'PY' 2>&1
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x6d70)
s.settimeout(2)
try:
    s.connect(("10.200.2.2", 8080))
    print("connected")
except OSError as e:
    print(type(e).__name__)
PY
)
[ "$out" = TimeoutError ] || [ "$out" = timeout ] && pass "a marked connection into mprox0 goes nowhere ($out)" ||
	fail "a marked connection into mprox0: $out"
if wait_stat_above mprox0 stats.drops.loop "$loops" 10; then pass "drops.loop counted it"; else
	fail "drops.loop: $(mprox_stat mprox0 stats.drops)"; fi

# Now the proxy itself is routed into mprox0: connecting through it must
# fail at once, counted and logged, not loop.
failed_before=$(mprox_stat mprox0 stats.connects.loop)
dmesg_before=$(dmesg | grep -c "goes through an mprox device")
err=$(c curl -sS --max-time 20 -o /dev/null -w '%{stderr}@times %{time_connect} %{time_total}\n' \
	http://10.200.2.2:8080/blob 2>&1)
rc=$?
ms=$(curl_times <<<"$err")
ms=${ms#* }
if [ "$rc" = 7 ] && [ "$ms" -lt 3000 ]; then
	pass "the proxy routed into mprox0: curl fails at once (exit 7 after $ms ms)"
else
	fail "the proxy routed into mprox0: curl exit $rc after $ms ms"
	diag <<<"$err"
fi
[ "$(mprox_stat mprox0 stats.connects.loop)" -gt "$failed_before" ] &&
	pass "connects.loop counted it" || fail "connects.loop: $(mprox_stat mprox0 stats.connects)"
[ "$(dmesg | grep -c "goes through an mprox device")" -gt "$dmesg_before" ] &&
	pass "the kernel log names the loop" || fail "no loop message in the kernel log"
# "dev": the upstream's sockets leave through c0 whatever the rules say.
check "upstream p1 again, bound to c0" \
	mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080 dev c0
[ "$(mprox_stat mprox0 config.upstreams.0.dev)" = c0 ] && pass "the JSON shows dev c0" ||
	fail "the JSON: $(mprox_stat mprox0 config.upstreams)"
mprox_fetch "upstream bound to c0: the loop rule does not matter" "$want" 30 \
	http://10.200.2.2:8080/blob
down=$(mprox_stat mprox0 stats.connects.upstream_down)
check "upstream bound to an interface that does not exist" \
	mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080 dev nosuch0
out=$(c python3 "$MPROX_NETUTIL" connect 10.200.2.2 8080 20 2>&1)
case $out in
EHOSTUNREACH*) pass "no such interface: connect() fails with EHOSTUNREACH ($out ms)" ;;
*) fail "no such interface: $out" ;;
esac
[ "$(mprox_stat mprox0 stats.connects.upstream_down)" -gt "$down" ] &&
	pass "connects.upstream_down counted it" || fail "connects: $(mprox_stat mprox0 stats.connects)"
check "upstream p1 unbound again" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080
step "remove the rule" c ip rule del fwmark 0x6d70 lookup 100 pref 101
mprox_fetch "without it, fetches work again" "$want" 30 http://10.200.2.2:8080/blob
# max_flows: one open connection, and the next SYN gets a RST.
check "set max_flows 1" mprox_set mprox0 max_flows 1
rm -f /tmp/mprox-idle.out
c python3 "$MPROX_NETUTIL" idle 10.200.2.2 7007 12 >/tmp/mprox-idle.out 2>&1 &
idle_pid=$!
check "one connection open" wait_for 20 grep -q ready /tmp/mprox-idle.out
limit=$(mprox_stat mprox0 stats.drops.flow_limit)
out=$(c python3 "$MPROX_NETUTIL" connect 10.200.2.2 8080 10 2>&1)
case $out in
ECONNREFUSED*) pass "over max_flows: connect() fails with ECONNREFUSED ($out ms)" ;;
*) fail "over max_flows: $out" ;;
esac
[ "$(mprox_stat mprox0 stats.drops.flow_limit)" -gt "$limit" ] &&
	pass "drops.flow_limit counted it" || fail "drops: $(mprox_stat mprox0 stats.drops)"
wait "$idle_pid" && pass "the connection within the limit still works" ||
	fail "the connection within the limit: $(cat /tmp/mprox-idle.out)"
check "set max_flows 65536" mprox_set mprox0 max_flows 65536

# An idle connection past tcp_idle_timeout_s is closed: the application
# gets a reset when it next talks, and flows.expired counts it.
check "set tcp_idle_timeout_s 10" mprox_set mprox0 tcp_idle_timeout_s 10
expired=$(mprox_stat mprox0 stats.flows.expired)
closes=$(mprox_stat mprox0 stats.closes)
rm -f /tmp/mprox-expired /tmp/mprox-expire.out
c python3 - >/tmp/mprox-expire.out 2>&1 <<'PY' &
import os, socket, time
s = socket.create_connection(("10.200.2.2", 7007), timeout=10)
s.sendall(b"x"); s.recv(1)
print("ready", flush=True)
# Idle until the case has seen the flow expire (or gives up).
for _ in range(600):
    if os.path.exists("/tmp/mprox-expired"):
        break
    time.sleep(0.1)
try:
    s.sendall(b"y")
    print("after idle:", s.recv(1) or "closed")
except OSError as e:
    print("after idle:", e.strerror)
PY
exp_pid=$!
check "an idle connection open" wait_for 20 grep -q ready /tmp/mprox-expire.out
if wait_stat_above mprox0 stats.flows.expired "$expired" 40; then
	pass "the idle flow expired"
else
	fail "no flow expired: $(mprox_stat mprox0 stats.flows)"
fi
touch /tmp/mprox-expired
wait "$exp_pid"
grep -q "after idle: \(Connection reset by peer\|Broken pipe\|closed\)" /tmp/mprox-expire.out &&
	pass "the application learns it: $(grep 'after idle' /tmp/mprox-expire.out)" ||
	fail "after the idle timeout: $(cat /tmp/mprox-expire.out)"
check "set tcp_idle_timeout_s 7440" mprox_set mprox0 tcp_idle_timeout_s 7440
check_flows_drain mprox0 30
mprox_check_closes mprox0 "the idle flow" "$closes" "killed+1"

# An application whose handshake with the listener never completes (its
# host's firewall drops everything it sends into mprox0 but SYNs, so the
# listener never sees its ACK) has connect_timeout_ms from the proxy's
# yes: then its socket is reset, and closes.accept_timeout counts it.
check "set connect_timeout_ms 1000" mprox_set mprox0 connect_timeout_ms 1000
closes=$(mprox_stat mprox0 stats.closes)
step "the client host drops all but SYNs into mprox0" c nft -f - <<'NFT'
table inet mprox_accept {
	chain out {
		type filter hook output priority 0;
		oifname "mprox0" tcp dport 7007 tcp flags & syn == 0 drop
	}
}
NFT
out=$(c python3 - 2>&1 <<'PY'
import socket
s = socket.create_connection(("10.200.2.2", 7007), timeout=15)
try:
    s.sendall(b"x")
    print("after the deadline:", s.recv(1) or "closed")
except OSError as e:
    print("after the deadline:", e.strerror or e)
PY
)
step "the firewall rule removed" c nft delete table inet mprox_accept
expect "the half-made connection is reset" "$out" "after the deadline: Connection reset by peer"
check "set connect_timeout_ms 10000" mprox_set mprox0 connect_timeout_ms 10000
check_flows_drain mprox0 30
mprox_check_closes mprox0 "the half-made connection" "$closes" "accept_timeout+1"
mprox_case_teardown
plan "$tap_n"
tap_exit
