#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# The rule action "direct" (docs/routing.md, "Rules"): the driver connects
# to the destination itself, with the connect semantics of a proxied flow
# (the application's connect() succeeds once the destination accepted, and
# fails as the destination refused), its socket carrying the fwmark, so
# that policy routing takes it around the device; without such a route it
# would loop, and is refused at once. Seen at the server: direct
# connections come from the client's own address, proxied ones from the
# proxy's. A "cgroup" rule sends one cgroup's sockets direct. UDP that a
# rule sends direct goes from the driver's own socket and its answers come
# back, one association per application socket, and all but its first
# datagrams go from xmit at once; to a closed port, the application gets
# ECONNREFUSED (the ICMP error the driver's socket met, passed on); a
# stranger's datagrams to the driver's socket are dropped as foreign and
# do not keep the association past udp_idle_timeout_s.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup echo mprox0
head -c 30000 /dev/urandom >"$TOPO_WWW/page"
want=$(sha256sum <"$TOPO_WWW/page" | cut -d' ' -f1)
url=http://10.200.2.2:8080/page
url6=http://[fd00:200:2::2]:8080/page
mprox_dmesg_mark

# peer_at_server PORT ADDR: a connection from the client host to the
# server's PORT, held open while the server lists its peers; prints the
# peer address the server saw (the host part of ss's peer column).
# With a third argument, the connection is made from that cgroup (a path
# under /sys/fs/cgroup): the process moves itself there first.
peer_at_server() {
	local run=(topo_ns $TOPO_C)
	[ -z "${3:-}" ] || run=(sh -c 'echo $$ >"/sys/fs/cgroup$0/cgroup.procs" && exec "$@"' "$3"
		ip netns exec $TOPO_C)
	"${run[@]}" python3 - "$1" "$2" "$TOPO_S" <<'PY'
import socket, subprocess, sys
port, addr, ns = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection((addr, port), timeout=20)
out = subprocess.run(["ip", "netns", "exec", ns, "ss", "-Htn", "state", "established",
                      "( sport = :%d )" % port], capture_output=True, text=True).stdout
# The echo server listens on ::, so an IPv4 peer shows as ::ffff:A.B.C.D.
peers = sorted({line.split()[-1].rsplit(":", 1)[0].strip("[]").replace("::ffff:", "")
                for line in out.splitlines()})
print(" ".join(peers))
s.close()
PY
}
direct_stat() {
	mprox_stat mprox0 "stats.direct.$1"
}

# ---- without a route around the device: it would loop ---------------------------
check "rule add to 10.200.2.2/32 port 8080 direct" \
	mprox_config mprox0 <<<"rule add to 10.200.2.2/32 port 8080 direct"
expect "the document lists it" "$(mprox_stat mprox0 config.rules.0.rule)" \
	"to 10.200.2.2/32 port 8080 direct"
before=$(direct_stat connects)
mprox_expect_error "no route around mprox0 for the fwmark: refused at once, no loop" "$url" \
	"No route to host" "$(mprox_scale 1000 3000)"
expect "counted as a loop of direct" "$(mprox_connects_moved "$before" "$(direct_stat connects)")" \
	"loop+1"
if mprox_dmesg_new | grep -q 'upstream direct: the route to 10.200.2.2:8080 goes through an mprox device'; then
	pass "the kernel log says why"
else
	fail "no log line about the loop"
fi

# ---- the route around it ------------------------------------------------------------
# The proxy host routes between the client's and the server's networks;
# the client sends the driver's own sockets (fwmark 0x6d70) that way.
step "the proxy host forwards" topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=1 \
	net.ipv6.conf.all.forwarding=1
step "the server routes back through it" eval "topo_ns $TOPO_S ip route add 10.200.1.0/24 via 10.200.2.1 &&
	topo_ns $TOPO_S ip -6 route add fd00:200:1::/64 via fd00:200:2::1"
step "fwmark 0x6d70 goes around mprox0 (table 100)" eval "
	topo_ns $TOPO_C ip rule add fwmark 0x6d70 lookup 100 pref 100 &&
	topo_ns $TOPO_C ip route add 10.200.2.0/24 via 10.200.1.1 table 100 &&
	topo_ns $TOPO_C ip -6 rule add fwmark 0x6d70 lookup 100 pref 100 &&
	topo_ns $TOPO_C ip -6 route add fd00:200:2::/64 via fd00:200:1::1 table 100"

before=$(direct_stat connects)
p1=$(mprox_stat mprox0 config.upstreams.0.connects.ok)
mprox_fetch "a fetch the rule sends direct" "$want" 30 "$url"
expect "direct: ok+1" "$(mprox_connects_moved "$before" "$(direct_stat connects)")" "ok+1"
expect "p1 carried nothing of it" "$(mprox_stat mprox0 config.upstreams.0.connects.ok)" "$p1"
if [ "$(direct_stat bytes.down)" -ge 30000 ]; then
	pass "direct's bytes down: $(direct_stat bytes.down)"
else
	fail "direct's bytes down: $(direct_stat bytes.down), want 30000 or more"
fi
check_flows_drain mprox0 30
expect "direct holds no connection once drained" "$(direct_stat active)" 0

# ---- UDP, direct --------------------------------------------------------------------------
# p1 (microsocks) has no UDP: an echo can only come back direct. A socket
# talks to the server over IPv4 and a second address of it; its answers
# come from the driver's unconnected socket, checked against where the
# application sent.
UDP_ECHO=$MPROX_LIB/udp_echo.py
topo_spawn $TOPO_S python3 "$UDP_ECHO" server 10.200.2.2,fd00:200:2::2 7001,7002
echo_bound() {
	[ "$(topo_ns $TOPO_S ss -Hlun "( sport = :7001 or sport = :7002 )" | wc -l)" -ge 4 ]
}
step "UDP echo server on the server host (7001 and 7002, IPv4 and IPv6)" wait_for 60 echo_bound
udp_stat() {
	mprox_stat mprox0 "stats.udp.$1"
}
udp_echo() {
	topo_ns $TOPO_C python3 "$UDP_ECHO" client --timeout 2 --retries 5 "$@" 2>&1
}
# udp_ok DESC COUNT ARGS...: one result, every one of COUNT datagrams of
# udp_echo.py's (client ARGS) echoed, intact, from where it went.
udp_ok() {
	local desc=$1 n=$2 out
	shift 2
	out=$(udp_echo --count "$n" "$@")
	if [[ $out == "sent $n echoed $n "*" corrupted 0 misdelivered 0 lost 0"* ]]; then
		pass "$desc: $out"
	else
		fail "$desc: $out"
	fi
}
out=$(topo_ns $TOPO_C python3 "$UDP_ECHO" refused 10.200.2.2:7001 2>&1)
if [[ $out == "ECONNREFUSED "* ]]; then
	pass "without a rule: microsocks has no UDP, the socket is refused ($out ms)"
else
	fail "without a rule: '$out', want ECONNREFUSED"
fi
# Associations end after udp_idle_timeout_s of idleness; short, to drain.
check "set udp_idle_timeout_s 5" mprox_set mprox0 udp_idle_timeout_s 5
check "rule add proto udp direct" mprox_config mprox0 <<<"rule add proto udp direct"
assoc=$(udp_stat associations)
bytes=$(direct_stat bytes.down)
queued=$(udp_stat datagrams_queued)
up=$(udp_stat datagrams_up)
udp_ok "400 datagrams from 4 sockets to two ports, direct" 400 \
	--sockets 4 --max-size 1400 10.200.2.2:7001 10.200.2.2:7002
udp_ok "100 datagrams of up to 8,000 bytes over IPv6, direct" 100 \
	--sockets 2 --max-size 8000 '[fd00:200:2::2]:7001'
expect "one association per socket" "$(($(udp_stat associations) - assoc))" 6
# Once the socket of our own is open, xmit sends from it at once: only the
# first datagrams of each socket (udp_echo.py has 4 out at a time) wait
# for the association's work.
queued=$(($(udp_stat datagrams_queued) - queued))
up=$(($(udp_stat datagrams_up) - up))
if [ "$up" -ge 500 ] && [ $((queued * 10)) -lt "$up" ]; then
	pass "direct: $((up - queued)) of $up datagrams went from xmit at once, $queued waited for the work"
else
	fail "direct: $queued of $up datagrams waited for the association's work (stats.udp.datagrams_queued)"
fi
if [ "$(direct_stat bytes.down)" -gt "$bytes" ]; then
	pass "direct's bytes down count UDP too: $bytes -> $(direct_stat bytes.down)"
else
	fail "direct's bytes down: $bytes -> $(direct_stat bytes.down)"
fi
expect "nothing dropped as foreign or malformed" \
	"$(udp_stat dropped_foreign) $(udp_stat dropped_malformed)" "0 0"
# A closed port: the server's ICMP port unreachable reaches the driver's
# unconnected socket on its error queue only, and the application gets
# it as if it had sent there itself: ECONNREFUSED at once.
errs=$(udp_stat icmp_errors)
quick_ms=$(mprox_scale 1000 3000)
# udp_refused DESC DEST: one result, a connect()ed socket's datagram to
# DEST answered with ICMP port unreachable (ECONNREFUSED) within quick_ms.
udp_refused() {
	local out
	out=$(topo_ns $TOPO_C python3 "$UDP_ECHO" refused --timeout 5 "$2" 2>&1)
	if [[ $out == "ECONNREFUSED "* ]] && [ "${out#* }" -le "$quick_ms" ]; then
		pass "$1: $out ms"
	else
		fail "$1: '$out', want ECONNREFUSED within $quick_ms ms"
	fi
}
for dest in 10.200.2.2:7009 '[fd00:200:2::2]:7009'; do
	udp_refused "direct to $dest, a closed port" "$dest"
done
expect "counted: stats.udp.icmp_errors +2" "$(($(udp_stat icmp_errors) - errs))" 2
# An error about one datagram must not cost the next. A fresh socket's
# first two datagrams, to the closed port and then to the echo, wait for
# the association's work, which sends them one after the other; the port
# unreachable for the first is back while its send is still in the
# stack, and is the unconnected socket's pending error (IP_RECVERR),
# which the next send returns (sock_alloc_send_pskb()). The echo must
# come back, and nothing is dropped.
dropped=$(udp_stat dropped_send)
for dest in "10.200.2.2 AF_INET" "fd00:200:2::2 AF_INET6"; do
	read -r addr family <<<"$dest"
	out=$(topo_ns $TOPO_C python3 -c '
import socket, sys
s = socket.socket(getattr(socket, sys.argv[2]), socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"to-the-closed-port", (sys.argv[1], 7009))
s.sendto(b"after-the-error", (sys.argv[1], 7001))
try:
    print(s.recvfrom(100)[0].decode())
except OSError as e:
    print("no echo:", e)
' "$addr" "$family" 2>&1)
	expect "direct to $addr: a closed port's error, then the next datagram echoed" "$out" \
		after-the-error
done
expect "no datagram dropped at sending (stats.udp.dropped_send)" \
	"$(($(udp_stat dropped_send) - dropped))" 0
# A direct association's socket is unconnected: anyone may send to it. A
# stranger's datagrams (the proxy host's, five a second) are dropped as
# foreign, and they do not keep the association: only its peers' answers
# do, so it ends after udp_idle_timeout_s (5) all the same.
check "before the stranger: no association left" wait_flows_zero mprox0 60
udp_ok "one datagram, direct: one association" 1 10.200.2.2:7001
stranger_port=$(topo_ns $TOPO_C ss -Huan | awk '{ sub(/.*:/, "", $4); print $4 }')
if [[ $stranger_port =~ ^[0-9]+$ ]]; then
	pass "the association's socket is the client host's only UDP socket: port $stranger_port"
else
	fail "the client host's UDP sockets: '$stranger_port', want the association's only"
fi
foreign=$(udp_stat dropped_foreign)
# Until the file is there (topo_ns is a function: $! is not the python).
stop=/tmp/mprox-stranger.stop
rm -f "$stop"
topo_ns $TOPO_P python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while not os.path.exists(sys.argv[2]):
    s.sendto(b"stranger", ("10.200.1.2", int(sys.argv[1])))
    time.sleep(0.2)
' "${stranger_port:-9}" "$stop" &
stranger=$!
foreign_grew() {
	[ "$(udp_stat dropped_foreign)" -gt "$foreign" ]
}
running_pid() {
	kill -0 "$1" 2>/dev/null
}
check "the stranger's datagrams reach the driver: dropped as foreign" wait_for 10 foreign_grew
t0=$(ms_now)
if wait_flows_zero mprox0 "$(mprox_scale 30 60)"; then
	pass "the association ended $(($(ms_now) - t0)) ms later, the stranger sending all along"
else
	fail "the stranger keeps the association: $(mprox_stat mprox0 stats.flows)"
fi
check "the stranger was still sending" running_pid "$stranger"
touch "$stop"
wait "$stranger"
foreign=$(udp_stat dropped_foreign)
check "rule flush" mprox_config mprox0 <<<"rule flush"
check_flows_drain mprox0 60

# ---- what the server sees ---------------------------------------------------------------
check "rule add port 7007 direct" mprox_config mprox0 <<<"rule add port 7007 direct"
expect "port 7007 direct: the server sees the client itself" "$(peer_at_server 7007 10.200.2.2)" \
	10.200.1.2
expect "over IPv6 too" "$(peer_at_server 7007 fd00:200:2::2)" fd00:200:1::2
check "rule flush" mprox_config mprox0 <<<"rule flush"
expect "without the rule: the server sees the proxy" "$(peer_at_server 7007 10.200.2.2)" \
	10.200.2.1
check_flows_drain mprox0 30

# ---- the destination's answers, as the application's own connect() -----------------------
check "rule add to fd00:200:2::/64 direct; rule add to 10.200.2.2/32 direct" \
	mprox_config mprox0 <<<"rule add to fd00:200:2::/64 direct
rule add to 10.200.2.2/32 direct"
before=$(direct_stat connects)
mprox_fetch "an IPv6 fetch, direct" "$want" 30 "$url6"
mprox_expect_error "a closed port: refused, as without mprox" "http://10.200.2.2:9/" \
	"Connection refused" "$(mprox_scale 1000 3000)"
mprox_expect_error "IPv6, a closed port: refused" "http://[fd00:200:2::2]:9/" \
	"Connection refused" "$(mprox_scale 1000 3000)"
expect "counted: ok+1 refused+2" "$(mprox_connects_moved "$before" "$(direct_stat connects)")" \
	"ok+1 refused+2"
# The server host drops what comes to port 9999: the application's own
# connect() would wait, and so does the driver's, past connect_timeout_ms
# (that bounds reaching a proxy), until handshake_timeout_ms.
check "connect_timeout_ms 500, handshake_timeout_ms 2500" mprox_config mprox0 <<<"set connect_timeout_ms 500
set handshake_timeout_ms 2500"
step "the server drops port 9999" topo_ns $TOPO_S nft add table inet t '{ chain c { type filter hook input priority 0; tcp dport 9999 drop; }; }'
mprox_expect_error "a silent destination: host unreachable after handshake_timeout_ms, not before" \
	"http://10.200.2.2:9999/" "No route to host" "$(mprox_scale 5000 8000)" 2400
expect "counted as a timeout" "$(mprox_connects_moved "$before" "$(direct_stat connects)")" \
	"ok+1 refused+2 timeout+1"
check_flows_drain mprox0 30

# ---- cgroup: one service's sockets go direct ------------------------------------------
# As "rule add cgroup /system.slice/backup.service direct" would: the
# sockets made in the cgroup, or one below it, skip the proxy.
cg=/mprox-direct
step "cgroups $cg and $cg/job" mkdir -p "/sys/fs/cgroup$cg/job"
check "rule add cgroup $cg direct" mprox_config mprox0 <<<"rule flush
rule add cgroup $cg port 7007 direct"
expect "the document lists it" "$(mprox_stat mprox0 config.rules.0.rule)" \
	"port 7007 cgroup $cg direct"
before=$(direct_stat connects)
expect "from $cg/job: the server sees the client itself" \
	"$(peer_at_server 7007 10.200.2.2 "$cg/job")" 10.200.1.2
expect "from $cg, over IPv6" "$(peer_at_server 7007 fd00:200:2::2 "$cg")" fd00:200:1::2
expect "from outside it: the server sees the proxy" "$(peer_at_server 7007 10.200.2.2)" \
	10.200.2.1
expect "direct counted the two" "$(mprox_connects_moved "$before" "$(direct_stat connects)")" \
	"ok+2"
# The rule named the cgroup, not the path: made again, the path is
# another cgroup until the rule is written again.
step "$cg removed and made again" eval "rmdir /sys/fs/cgroup$cg/job /sys/fs/cgroup$cg &&
	mkdir /sys/fs/cgroup$cg"
expect "a cgroup made again at the path: the proxy" "$(peer_at_server 7007 10.200.2.2 "$cg")" \
	10.200.2.1
check "the rule written again" mprox_config mprox0 <<<"rule flush
rule add cgroup $cg port 7007 direct"
expect "then it is matched" "$(peer_at_server 7007 10.200.2.2 "$cg")" 10.200.1.2
rules=$(mprox_stat mprox0 config.rules)
if ! out=$(mprox_config mprox0 2>&1 <<<"rule add cgroup /mprox-nosuch direct"); then
	if grep -q "No such file" <<<"$out"; then
		pass "a cgroup that is not there: ENOENT"
	else
		fail "a cgroup that is not there: $out"
	fi
else
	fail "a cgroup that is not there was accepted"
fi
expect "and the rules are as they were" "$(mprox_stat mprox0 config.rules)" "$rules"
check "rule flush; $cg removed" eval "mprox_config mprox0 <<<'rule flush' &&
	rmdir /sys/fs/cgroup$cg"
check_flows_drain mprox0 30

# ---- names, direct ------------------------------------------------------------------------
# A fake-IP name that a rule sends direct has no proxy to resolve it: the
# driver asks "dns server" itself (dnsmasq on the server host, reached
# around mprox0 by the fwmark like the connection after it), then connects
# to the address it gave. alias is a CNAME of www; nosuch has no address,
# v4only none of IPv6. dnsmasq gives its own records a TTL of 0, so they
# are asked for every time, but cached's of 300 s.
topo_spawn $TOPO_S dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
	--listen-address=10.200.2.2 --bind-interfaces --local=/direct.test/ \
	--host-record=www.direct.test,10.200.2.2,fd00:200:2::2 \
	--host-record=v4only.direct.test,10.200.2.2 --cname=alias.direct.test,www.direct.test \
	--host-record=cached.direct.test,10.200.2.2,fd00:200:2::2,300
dns_bound() {
	topo_ns $TOPO_S ss -Hlun "( sport = :53 )" | grep -q .
}
step "dnsmasq on the server host (10.200.2.2:53)" wait_for 30 dns_bound
step "the pools routed into mprox0" eval "topo_ns $TOPO_C ip route add 198.18.0.0/16 dev mprox0 &&
	topo_ns $TOPO_C ip -6 route add fd00:198::/112 dev mprox0"
check "dns fake-ip, dns server 10.200.2.2, rule add domain direct.test direct" \
	mprox_config mprox0 <<'EOF2'
rule flush
dns fake-ip 198.18.0.0/16 fd00:198::/112
dns server 10.200.2.2
rule add domain direct.test direct
EOF2
# fake TYPE NAME: the pool address mprox0 answers NAME with, asked of
# its "dns server" ($dns_at).
dns_at=10.200.2.2
fake() {
	topo_ns $TOPO_C dig +short +time=2 +tries=1 "@$dns_at" "$2" "$1"
}
www4=$(fake A www.direct.test)
www6=$(fake AAAA www.direct.test)
expect "www.direct.test has pool addresses" \
	"$([[ $www4 == 198.18.* && $www6 == fd00:198::* ]] && echo yes)" yes
dns_stat() {
	mprox_stat mprox0 "stats.dns.$1"
}
lookups=$(dns_stat lookups)
failed=$(dns_stat lookup_failed)
before=$(direct_stat connects)
p1=$(mprox_stat mprox0 config.upstreams.0.connects.ok)
mprox_fetch "www.direct.test at $www4: looked up at dnsmasq, fetched direct" "$want" 30 \
	http://www.direct.test:8080/page --resolve "www.direct.test:8080:$www4"
mprox_fetch "over IPv6 ($www6): AAAA looked up" "$want" 30 \
	http://www.direct.test:8080/page --resolve "www.direct.test:8080:[$www6]"
alias4=$(fake A alias.direct.test)
mprox_fetch "alias.direct.test ($alias4), a CNAME: its target's address" "$want" 30 \
	http://alias.direct.test:8080/page --resolve "alias.direct.test:8080:$alias4"
expect "direct carried the three, p1 none" \
	"$(mprox_connects_moved "$before" "$(direct_stat connects)") $(mprox_stat mprox0 config.upstreams.0.connects.ok)" \
	"ok+3 $p1"
expect "by name, the server sees the client itself" "$(peer_at_server 7007 "$www4")" 10.200.1.2
expect "counted: stats.dns.lookups +4, lookup_failed +0" \
	"$(($(dns_stat lookups) - lookups)) $(($(dns_stat lookup_failed) - failed))" "4 0"
nosuch=$(fake A nosuch.direct.test)
mprox_expect_error "nosuch.direct.test ($nosuch): NXDOMAIN, host unreachable at once" \
	"http://$nosuch:8080/" "No route to host" "$(mprox_scale 1000 3000)"
v4only6=$(fake AAAA v4only.direct.test)
mprox_expect_error "v4only.direct.test over IPv6 ($v4only6): no AAAA, host unreachable" \
	"http://[$v4only6]:8080/" "No route to host" "$(mprox_scale 1000 3000)"
expect "counted: lookup_failed +2" "$(($(dns_stat lookup_failed) - failed))" 2
# UDP to a name sent direct: each socket's association asks dnsmasq for
# the name's address (holding its first datagrams meanwhile), sends there,
# and hands the answers to the app as from the pool address, which
# udp_echo.py checks. A name with no address is port unreachable, as a
# refused association: host unreachable, TCP's answer, is a soft error a
# connected UDP socket does not fail for.
lookups=$(dns_stat lookups)
failed=$(dns_stat lookup_failed)
assoc=$(udp_stat associations)
udp_ok "UDP by name, direct: to www and alias ($www4, $alias4) from 2 sockets" 200 \
	--sockets 2 --max-size 1400 "$www4:7001" "$alias4:7002"
udp_ok "UDP by name, direct, IPv6 ($www6)" 100 --sockets 2 --max-size 8000 "[$www6]:7001"
expect "4 associations; a lookup per socket and name (TTL 0): lookups +6, lookup_failed +0" \
	"$(($(udp_stat associations) - assoc)) $(($(dns_stat lookups) - lookups)) $(($(dns_stat lookup_failed) - failed))" \
	"4 6 0"
for dest in "$nosuch:7001" "[$v4only6]:7001"; do
	udp_refused "UDP direct to $dest, a name with no address" "$dest"
done
# An address of the pool that no name has (none was asked for so many).
unknown=$(dns_stat unknown_addr)
udp_refused "UDP to 198.18.255.250, a pool address of no name" 198.18.255.250:7001
expect "counted: stats.dns.unknown_addr +1" "$(($(dns_stat unknown_addr) - unknown))" 1
expect "counted: lookup_failed +2, nothing foreign" \
	"$(($(dns_stat lookup_failed) - failed)) $(($(udp_stat dropped_foreign) - foreign))" "2 0"
# The rules decide for a socket's association on its first datagram. A
# name it sends to later goes direct only if the rules send that name
# direct too: www.direct.test, which they send to p1 (microsocks, no UDP),
# is refused and never asked of dnsmasq, while the socket's datagrams to
# 10.200.2.2, whose rule made the association direct, are echoed.
check "rule add domain www.direct.test upstream p1 first, to 10.200.2.2/32 direct" \
	mprox_config mprox0 <<'EOF2'
rule flush
rule add domain www.direct.test upstream p1
rule add domain direct.test direct
rule add to 10.200.2.2/32 direct
EOF2
www4=$(fake A www.direct.test)
lookups=$(dns_stat lookups)
refused=$(udp_stat refused)
# (its last line: the lines before name the datagrams never echoed)
out=$(udp_echo --sockets 1 --count 4 --max-size 100 --timeout 1 --retries 1 \
	10.200.2.2:7001 "$www4:7001" | tail -n 1)
if [[ $out == "sent 4 echoed 2 "*" misdelivered 0 lost 2"* ]]; then
	pass "one socket to 10.200.2.2 and to www ($www4): the two to the address echoed, the two to the name not: $out"
else
	fail "one socket to 10.200.2.2 and to www ($www4): '$out', want 2 echoed, 2 lost"
fi
if [ "$(($(udp_stat refused) - refused))" -ge 2 ] && [ "$(dns_stat lookups)" = "$lookups" ]; then
	pass "the name's datagrams refused (stats.udp.refused +$(($(udp_stat refused) - refused))), nothing looked up"
else
	fail "refused +$(($(udp_stat refused) - refused)) (want >= 2), lookups +$(($(dns_stat lookups) - lookups)) (want 0)"
fi
check "rule flush, rule add domain direct.test direct" mprox_config mprox0 <<'EOF2'
rule flush
rule add domain direct.test direct
EOF2
# A server that does not answer leaves the connect waiting until
# connect_timeout_ms (the query sent again meanwhile), no longer; one whose
# port is closed fails it at once.
check "connect_timeout_ms 1500" mprox_config mprox0 <<<"set connect_timeout_ms 1500"
# An answer with a TTL is kept in the device's DNS cache (after the
# configuration write above, which empties it): the next connection to
# the name asks no one.
cached4=$(fake A cached.direct.test)
hits=$(dns_stat cache_hits)
stored=$(dns_stat cache_stored)
mprox_fetch "cached.direct.test ($cached4), TTL 300: looked up" "$want" 30 \
	http://cached.direct.test:8080/page --resolve "cached.direct.test:8080:$cached4"
expect "its answer kept: stats.dns.cache_stored +1, cache_hits +0" \
	"$(($(dns_stat cache_stored) - stored)) $(($(dns_stat cache_hits) - hits))" "1 0"
step "the server host drops DNS" topo_ns $TOPO_S nft add table inet nodns \
	'{ chain c { type filter hook input priority 0; udp dport 53 drop; }; }'
mprox_expect_error "no answer from the server: host unreachable after connect_timeout_ms" \
	"http://$www4:8080/" "No route to host" "$(mprox_scale 3500 6000)" 1400
mprox_fetch "cached.direct.test, the server silent: from the cache" "$want" 30 \
	http://cached.direct.test:8080/page --resolve "cached.direct.test:8080:$cached4"
expect "counted: cache_hits +1, cache_stored +1" \
	"$(($(dns_stat cache_hits) - hits)) $(($(dns_stat cache_stored) - stored))" "1 1"
step "the server host takes DNS again, dnsmasq stopped" eval \
	"topo_ns $TOPO_S nft delete table inet nodns && topo_ns $TOPO_S pkill -x dnsmasq"
dns_closed() {
	! dns_bound
}
step "its port closed" wait_for 10 dns_closed
mprox_expect_error "the server's port closed (ICMP port unreachable): host unreachable at once" \
	"http://$www4:8080/" "No route to host" "$(mprox_scale 1000 3000)"
expect "counted: lookup_failed +4" "$(($(dns_stat lookup_failed) - failed))" 4
# Negative answers are kept too, for their SOA's time (RFC 2308): a
# dnsmasq authoritative for neg.direct.test (SOA MINIMUM 60 s) on a
# second address says NXDOMAIN once; the next connection to the name
# fails at once from the cache, the server silent.
step "10.200.2.3 on the server host" topo_ns $TOPO_S ip addr add 10.200.2.3/24 dev s0
topo_spawn $TOPO_S dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
	--listen-address=10.200.2.3 --bind-interfaces \
	--auth-server=ns.neg.direct.test,10.200.2.3 --auth-zone=neg.direct.test --auth-ttl=60
step "an authoritative dnsmasq on 10.200.2.3:53" wait_for 30 dns_bound
check "dns server 10.200.2.3" mprox_config mprox0 <<<"dns server 10.200.2.3"
dns_at=10.200.2.3
gone=$(fake A gone.neg.direct.test)
failed=$(dns_stat lookup_failed)
stored=$(dns_stat cache_stored)
hits=$(dns_stat cache_hits)
mprox_expect_error "gone.neg.direct.test ($gone): NXDOMAIN with the zone's SOA, host unreachable at once" \
	"http://$gone:8080/" "No route to host" "$(mprox_scale 1000 3000)"
expect "kept: cache_stored +1, lookup_failed +1, cache_hits +0" \
	"$(($(dns_stat cache_stored) - stored)) $(($(dns_stat lookup_failed) - failed)) $(($(dns_stat cache_hits) - hits))" \
	"1 1 0"
step "the server host drops DNS" topo_ns $TOPO_S nft add table inet nodns \
	'{ chain c { type filter hook input priority 0; udp dport 53 drop; }; }'
mprox_expect_error "gone.neg.direct.test again, the server silent: from the cache, at once" \
	"http://$gone:8080/" "No route to host" "$(mprox_scale 1000 3000)"
expect "counted: cache_hits +1, lookup_failed +2" \
	"$(($(dns_stat cache_hits) - hits)) $(($(dns_stat lookup_failed) - failed))" "1 2"
step "DNS back, the authoritative dnsmasq stopped" eval \
	"topo_ns $TOPO_S nft delete table inet nodns && topo_ns $TOPO_S pkill -x dnsmasq"
dns_at=10.200.2.2
check "connect_timeout_ms back to 10000, dns off, rule flush" mprox_config mprox0 <<'EOF2'
set connect_timeout_ms 10000
dns off
rule flush
EOF2
check_flows_drain mprox0 30

# ---- the rules' order still rules ---------------------------------------------------------
check "rule add port 8080 upstream p1 before them" mprox_config mprox0 <<<"rule flush
rule add port 8080 upstream p1
rule add to 10.200.2.2/32 direct"
p1=$(mprox_stat mprox0 config.upstreams.0.connects.ok)
mprox_fetch "port 8080 goes through p1, the first match" "$want" 30 "$url"
expect "p1 carried it" "$(mprox_stat mprox0 config.upstreams.0.connects.ok)" $((p1 + 1))
expect "rule list" "$(topo_ns $TOPO_C "$MPROX_CMD" rule mprox0 list | tr '\n' '|')" \
	"  1  port 8080 upstream p1|  2  to 10.200.2.2/32 direct|"

mprox_check_dmesg tcp-direct
mprox_case_teardown
plan "$tap_n"
tap_exit
