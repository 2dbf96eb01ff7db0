#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# UDP through a SOCKS5 upstream by UDP ASSOCIATE (RFC 1928 section 7). The
# server host runs lib/udp_echo.py's echo server (IPv4 and IPv6, ports
# 7001 and 7002), the proxy host dante with UDP ASSOCIATE allowed (1090),
# a dante that blocks it (1091), microsocks (1080, CONNECT only) and
# tinyproxy (8888, HTTP CONNECT). Each server is first shown natively:
# dante grants the association (and carries datagrams for a client that
# speaks SOCKS5 itself), the blocking dante answers REP 2, microsocks
# REP 7. Then through mprox0 with dante as its only upstream: 10,000
# (2,000 on the debug kernel)
# datagrams of 1 to 8,000 bytes from 20 sockets at once over IPv4 and
# 1,000 from 5 over IPv6, every echo byte for byte what was sent and from
# where it was sent, none lost for good, all but the first few of each
# socket sent from xmit at once (stats.udp.datagrams_queued); one
# association per socket
# (stats.udp.associations), also for a socket talking to two
# destinations; a UDP_SEGMENT (GSO) send of 3 x 1,000 bytes arrives as
# three datagrams, IPv4 and IPv6, also from a host behind the client
# (forwarded), and to a socket that only a uid rule routes into mprox0
# under strict rp_filter; stats.udp.datagrams_up and datagrams_down count at least
# the echoes, nothing dropped as malformed or fragment; with fake-IP on,
# dig MX and TXT are forwarded through dante's relay to dnsmasq on the
# server host while A is answered from the pool, and asked again, TXT is
# answered from the cache of forwarded answers, aged, and so are NXDOMAIN
# and NODATA for their SOA's time; UDP to pool
# addresses goes by name (dante resolves echo.mprox.test and
# echo6.mprox.test from its host's /etc/hosts), also from an IPv6 socket
# to a name dante resolves to IPv4 and beside a destination by address on
# one socket, every echo from the pool address it was sent to, nothing
# dropped as foreign; an association is
# a flow, and ends after udp_idle_timeout_s of idleness, or at once when
# the proxy dies (its control connection closes), and a new one works
# when the proxy is back. An upstream without UDP (http://, socks4://)
# and a SOCKS5 proxy that refuses UDP ASSOCIATE (microsocks, the blocking
# dante) give the application ECONNREFUSED quickly, counted in
# stats.udp.no_udp and stats.udp.refused (microsocks' REP 7 is remembered:
# its next socket is refused at once, as no_udp); a forwarded DNS query
# goes over TCP through the HTTP upstream to dnsmasq instead (RFC 7766),
# and is REFUSED when the proxy will not connect to the server; after a
# SOCKS5 proxy's REP 7 that came later than connect_timeout_ms, it goes
# over TCP through that proxy. Over the
# whole case no UDP
# leaves the client host but to the proxy (nftables counters), the kernel
# log stays clean and no flow is left.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

UDP_ECHO=$MPROX_LIB/udp_echo.py
quick_ms=$(mprox_scale 2000 6000)
# The debug kernel's checkers see every path in fewer: a fifth of its time.
many=$(mprox_scale 10000 2000)
noudp_ms=$(mprox_scale 100 500)
drain_s=$(mprox_scale 30 60)
close_s=$(mprox_scale 5 15)
# How long udp_echo.py waits for an echo before it sends again (5 times at
# most): the first datagrams of a socket wait for its association.
resend_s=$(mprox_scale 3 10)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: refusals within $quick_ms ms, no-UDP" \
	"upstreams within $noudp_ms ms, idle flows gone within $drain_s s, flows of a dead" \
	"proxy within $close_s s"

# ip netns exec puts /etc/netns/NS/* over /etc: the proxy host alone
# knows the names that UDP is sent to by name.
names_cleanup() {
	rm -rf "/etc/netns/$TOPO_P"
}
names_cleanup
mkdir -p "/etc/netns/$TOPO_P"
printf '127.0.0.1 localhost\n10.200.2.2 echo.mprox.test echo2.mprox.test\nfd00:200:2::2 echo6.mprox.test\n' \
	>"/etc/netns/$TOPO_P/hosts"

mprox_case_setup mprox0
mprox_dmesg_mark

# udp_bound NS PORT N: N sockets bound to UDP PORT in NS.
udp_bound() {
	[ "$(topo_ns "$1" ss -Hlun "sport = :$2" | wc -l)" -ge "$3" ]
}
topo_spawn $TOPO_S python3 "$UDP_ECHO" server 10.200.2.2,fd00:200:2::2 7001,7002
echo_bound() {
	udp_bound $TOPO_S 7001 2 && udp_bound $TOPO_S 7002 2
}
step "UDP echo server on the server host (7001 and 7002, IPv4 and IPv6)" \
	wait_for 60 echo_bound
step "dante on 1090 (SOCKS5, no auth), UDP ASSOCIATE allowed" topo_dante_udp 1090
step "dante on 1091, UDP ASSOCIATE blocked" topo_dante_udp 1091 block
step "tinyproxy on 8888 (HTTP CONNECT only, to ports 443 and 53)" topo_tinyproxy 8888 "443 53"

# udp_run DESC CLIENT_ARGS...: udp_echo.py client in the client host
# (passes if every datagram came back intact from where it was sent); one
# result, with its summary line. Sets run_echoed.
run_echoed=0
udp_run() {
	local desc=$1 out rc
	shift
	out=$(topo_ns $TOPO_C python3 "$UDP_ECHO" client --timeout "$resend_s" "$@" 2>&1)
	rc=$?
	run_echoed=$(sed -n 's/^sent [0-9]* echoed \([0-9]*\) .*/\1/p' <<<"$out")
	run_echoed=${run_echoed:-0}
	if [ "$rc" = 0 ]; then pass "$desc: $(grep '^sent ' <<<"$out")"; else
		fail "$desc: exit $rc"
		diag <<<"$out"
	fi
}
udp() {
	mprox_stat mprox0 "stats.udp.$1"
}
# check_delta DESC NAME BEFORE OP N: one result, stats.udp.NAME - BEFORE
# compared (-eq, -ge) with N.
check_delta() {
	local desc=$1 now d
	now=$(udp "$2")
	d=$((now - $3))
	if test "$d" "$4" "$5" 2>/dev/null; then
		pass "$desc: stats.udp.$2 +$d"
	else
		fail "$desc: stats.udp.$2 went from $3 to $now (+$d), want the change $4 $5"
		mprox_stat mprox0 stats.udp | diag
	fi
}
# check_at_once DESC QUEUED0 UP0: once the proxy granted the association,
# xmit sends the app's datagrams itself; only the first of each socket,
# held for the grant (udp_echo.py has 4 out at a time), wait for the
# association's work. Fewer than a tenth of those sent since UP0 may have.
check_at_once() {
	local q=$(($(udp datagrams_queued) - $2)) u=$(($(udp datagrams_up) - $3))
	if [ "$u" -gt 0 ] && [ $((q * 10)) -lt "$u" ]; then
		pass "$1: $((u - q)) of $u datagrams went from xmit at once, $q waited for the work"
	else
		fail "$1: $q of $u datagrams waited for the association's work (stats.udp.datagrams_queued)"
		mprox_stat mprox0 stats.udp | diag
	fi
}

# refused_within DESC DEST MAX_MS: one result: a connect()ed UDP socket in
# the client host sends one datagram to DEST and its recv() fails with
# ECONNREFUSED (ICMP port unreachable) within MAX_MS of the send.
refused_within() {
	local out ms
	out=$(topo_ns $TOPO_C python3 "$UDP_ECHO" refused "$2" 2>&1)
	ms=${out#ECONNREFUSED }
	if [[ $out == "ECONNREFUSED "* ]] && [ "$ms" -le "$3" ]; then
		pass "$1: ECONNREFUSED after $ms ms"
	else
		fail "$1: '$out', want ECONNREFUSED within $3 ms"
	fi
}

# ---- the servers, natively ------------------------------------------------
native_rep() {
	local desc=$1 want=$2 out
	shift 2
	out=$(topo_ns $TOPO_C python3 "$UDP_ECHO" associate-rep "$@" 2>&1)
	if [ "$out" = "$want" ]; then pass "natively: $desc: REP $out"; else
		fail "natively: $desc: '$out', want REP $want"; fi
}
native_rep "dante 1090 grants UDP ASSOCIATE" 0 10.200.1.1 1090
native_rep "dante 1090 grants UDP ASSOCIATE over IPv6" 0 fd00:200:1::1 1090
native_rep "dante 1091 refuses UDP ASSOCIATE (not allowed by ruleset)" 2 10.200.1.1 1091
native_rep "microsocks refuses UDP ASSOCIATE (command not supported)" 7 10.200.1.1 1080
udp_run "natively: 400 datagrams through dante's relay (IPv4, 4 sockets, 2 ports)" \
	--sockets 4 --count 400 --socks5 10.200.1.1:1090 10.200.2.2:7001 10.200.2.2:7002
udp_run "natively: 200 datagrams through dante's relay (IPv6, 2 sockets, 2 ports)" \
	--sockets 2 --count 200 --socks5 '[fd00:200:1::1]:1090' \
	'[fd00:200:2::2]:7001' '[fd00:200:2::2]:7002'

# ---- no UDP but to the proxy ------------------------------------------------
# Counted after routing, before fragmentation: a datagram each.
# Rule counters, not named ones: the debug kernel has no nft_objref.
check "nftables in the client host counts UDP leaving c0, to the proxy and to others" \
	topo_ns $TOPO_C nft -f - <<'EOF'
table inet mprox_udp_leak {
	chain post {
		type filter hook postrouting priority 0; policy accept;
		oifname "c0" ip daddr 10.200.1.1 meta l4proto udp counter accept comment "to_proxy"
		oifname "c0" ip6 daddr fd00:200:1::1 meta l4proto udp counter accept comment "to_proxy"
		oifname "c0" meta l4proto udp counter comment "leak"
	}
}
EOF
# nft_packets NAME: the packets of the rules with comment NAME, summed.
nft_packets() {
	topo_ns $TOPO_C nft list chain inet mprox_udp_leak post |
		awk -v c="comment \"$1\"" 'index($0, c) {
			for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1)
		} END { print n + 0 }'
}

# ---- through mprox0 -----------------------------------------------------
check "upstream d socks5://10.200.1.1:1090 (dante, UDP ASSOCIATE allowed)" \
	mprox_use_upstream mprox0 d socks5://10.200.1.1:1090
up0=$(udp datagrams_up)
down0=$(udp datagrams_down)
malformed0=$(udp dropped_malformed)
fragment0=$(udp dropped_fragment)
echoed=0

a=$(udp associations)
q=$(udp datagrams_queued)
u=$(udp datagrams_up)
udp_run "IPv4: $many datagrams of 1..8,000 bytes from 20 sockets at once" \
	--sockets 20 --count "$many" 10.200.2.2:7001
echoed=$((echoed + run_echoed))
check_delta "IPv4: one association per socket" associations "$a" -eq 20
check_at_once "IPv4" "$q" "$u"
a=$(udp associations)
q=$(udp datagrams_queued)
u=$(udp datagrams_up)
udp_run "IPv6: 1,000 datagrams of 1..8,000 bytes from 5 sockets at once" \
	--sockets 5 --count 1000 '[fd00:200:2::2]:7001'
echoed=$((echoed + run_echoed))
check_delta "IPv6: one association per socket" associations "$a" -eq 5
check_at_once "IPv6" "$q" "$u"

a=$(udp associations)
udp_run "IPv4: one socket, two destinations (7001 and 7002) in turn" \
	--sockets 1 --count 100 10.200.2.2:7001 10.200.2.2:7002
echoed=$((echoed + run_echoed))
check_delta "IPv4: the two destinations of one socket share one association" associations "$a" -eq 1
a=$(udp associations)
udp_run "IPv6: one socket, two destinations (7001 and 7002) in turn" \
	--sockets 1 --count 100 '[fd00:200:2::2]:7001' '[fd00:200:2::2]:7002'
echoed=$((echoed + run_echoed))
check_delta "IPv6: the two destinations of one socket share one association" associations "$a" -eq 1

# UDP GSO (UDP_SEGMENT, as QUIC stacks send): one send() of 3 x 1,000
# bytes is three datagrams to the application, so three to the
# destination: the first round opens the association, the second finds
# it open.
for dest in 10.200.2.2:7001 '[fd00:200:2::2]:7002'; do
	out=$(topo_ns $TOPO_C python3 "$UDP_ECHO" segments "$dest" 2>&1)
	if [ $? = 0 ]; then pass "UDP_SEGMENT to $dest: $(echo $out)"; else
		fail "UDP_SEGMENT to $dest: $(echo $out)"; fi
done

# The same from a host behind the client, which routes for it: the GSO
# packet crosses the veth whole and is forwarded whole, and it is the core
# that must cut it into its datagrams before mprox0's xmit, since the
# device offers no UDP GSO.
step "a host behind the client (10.200.9.2), which forwards for it" topo_lan
a=$(udp associations)
for dest in 10.200.2.2:7001 '[fd00:200:2::2]:7002'; do
	out=$(topo_ns $TOPO_L python3 "$UDP_ECHO" segments "$dest" 2>&1)
	if [ $? = 0 ]; then pass "forwarded UDP_SEGMENT to $dest: $(echo $out)"; else
		fail "forwarded UDP_SEGMENT to $dest: $(echo $out)"; fi
done
check_delta "forwarded: one association per socket" associations "$a" -eq 2
# A small question with a large answer (DNS with EDNS): the answer is one
# datagram the driver writes, larger than the host's 1500-byte link. The
# client's forwarding must cut it into fragments, not drop it as too big.
for dest in 10.200.2.2:7001 '[fd00:200:2::2]:7002'; do
	out=$(topo_ns $TOPO_L python3 "$UDP_ECHO" grow "$dest" 4000 --timeout "$resend_s" 2>&1)
	if [ $? = 0 ]; then pass "forwarded: a 4,000-byte answer from $dest: $out"; else
		fail "forwarded: a 4,000-byte answer from $dest: $out"; fi
done
topo_lan_down

# The other side of it: a local socket's answers keep the driver's local
# route and skip input routing, so strict reverse-path filtering cannot
# drop them where only a uid rule sends the socket into mprox0 (the
# reverse lookup runs as root and finds no route into mprox0).
rpf=$(topo_ns $TOPO_C sysctl -n net.ipv4.conf.all.rp_filter)
step "strict rp_filter, 10.200.2.0/24 into mprox0 for uid 4242 only" sh -c "
	ip netns exec $TOPO_C sysctl -qw net.ipv4.conf.all.rp_filter=1 &&
	ip -n $TOPO_C route del 10.200.2.0/24 dev mprox0 &&
	ip -n $TOPO_C route add 10.200.2.0/24 dev mprox0 table 142 &&
	ip -n $TOPO_C rule add uidrange 4242-4242 lookup 142 priority 142"
out=$(topo_ns $TOPO_C setpriv --reuid 4242 --regid 4242 --clear-groups \
	python3 "$UDP_ECHO" segments 10.200.2.2:7001 2>&1)
if [ $? = 0 ]; then pass "uid 4242 under rp_filter 1: $(echo $out)"; else
	fail "uid 4242 under rp_filter 1: $(echo $out)"; fi
step "rp_filter $rpf, 10.200.2.0/24 into mprox0 for all again" sh -c "
	ip -n $TOPO_C rule del priority 142 &&
	ip -n $TOPO_C route del 10.200.2.0/24 table 142 &&
	ip -n $TOPO_C route add 10.200.2.0/24 dev mprox0 &&
	ip netns exec $TOPO_C sysctl -qw net.ipv4.conf.all.rp_filter=$rpf"

check_delta "datagrams up: at least the $echoed echoed" datagrams_up "$up0" -ge "$echoed"
check_delta "datagrams down: at least the $echoed echoed" datagrams_down "$down0" -ge "$echoed"
check_delta "nothing from dante dropped as malformed" dropped_malformed "$malformed0" -eq 0
check_delta "nothing from dante dropped as a fragment" dropped_fragment "$fragment0" -eq 0
echo "# stats.udp: $(mprox_stat mprox0 stats.udp)"

# ---- DNS through the association ------------------------------------------
# With fake-IP on, the resolver in mprox0 answers A and AAAA itself and
# sends every other question on to its server like any datagram: through
# dante's relay to dnsmasq on the server host, which the client reaches
# only through the proxy.
# It is authoritative for mprox.test, so that its negative answers carry
# the zone's SOA (TTL and MINIMUM 60 s: --auth-ttl).
topo_spawn $TOPO_S dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
	--listen-address=10.200.2.2 --bind-interfaces --local-ttl=60 \
	--auth-server=ns.mprox.test,10.200.2.2 --auth-zone=mprox.test --auth-ttl=60 \
	--mx-host=mprox.test,mail.mprox.test,10 --txt-record=mprox.test,"through the relay"
step "dnsmasq on the server host (10.200.2.2:53)" wait_for 30 udp_bound $TOPO_S 53 1
check "dns fake-ip 198.18.0.0/16 fd00:198::/112, dns server 10.200.2.2" mprox_config mprox0 <<'EOF'
dns fake-ip 198.18.0.0/16 fd00:198::/112
dns server 10.200.2.2
EOF
dig_c() {
	topo_ns $TOPO_C dig +time=3 +tries=2 @10.200.2.2 "$@"
}
# dig_zone HOW: dig MX and TXT of mprox.test, two results: dnsmasq's
# records, which came HOW.
dig_zone() {
	local out
	out=$(dig_c +short mprox.test MX)
	if [ "$out" = "10 mail.mprox.test." ]; then pass "dig MX $1: $out (dnsmasq's)"; else
		fail "dig MX $1: '$out'"; fi
	out=$(dig_c +short mprox.test TXT)
	if [ "$out" = '"through the relay"' ]; then pass "dig TXT $1: $out"; else
		fail "dig TXT $1: '$out'"; fi
}
fwd=$(mprox_stat mprox0 stats.dns.forwarded)
dig_zone "through dante's relay"
out=$(dig_c +short www.mprox.test A)
if [[ $out =~ ^198\.18\.[0-9]+\.[0-9]+$ ]]; then pass "dig A: $out, answered by mprox0 from the pool"; else
	fail "dig A: '$out', want an address of 198.18.0.0/16"; fi
d=$(($(mprox_stat mprox0 stats.dns.forwarded) - fwd))
if [ "$d" -ge 2 ]; then pass "stats.dns.forwarded +$d"; else
	fail "stats.dns.forwarded +$d, want at least 2"; fi

# The cache of forwarded answers: dnsmasq gives its own records a TTL of
# 60 s (--local-ttl), so both answers were kept; asked again, TXT is
# answered in the kernel, nothing goes to the relay, its TTL aged.
check "the answers were kept: stats.dns.cache_stored 2 or more" \
	test "$(mprox_stat mprox0 stats.dns.cache_stored)" -ge 2
hits=$(mprox_stat mprox0 stats.dns.cache_hits)
up=$(udp datagrams_up)
out=$(dig_c +noall +answer mprox.test TXT)
if [[ $out == *'"through the relay"'* ]] && [ "$(awk '{print $2}' <<<"$out")" -le 60 ]; then
	pass "dig TXT again, from the cache: $out"
else
	fail "dig TXT again: '$out'"
fi
check "one cache hit, no datagram to the relay" test \
	"$(($(mprox_stat mprox0 stats.dns.cache_hits) - hits)) $(($(udp datagrams_up) - up))" = "1 0"
# cached_ttl_below N: the cached TXT answer's TTL is under N.
cached_ttl_below() {
	[ "$(dig_c +noall +answer mprox.test TXT | awk '{print $2}')" -lt "$1" ]
}
check "the cached answer's TTL goes down with its age" wait_for 10 cached_ttl_below 60
# A resolver that randomizes letter case (0x20) gets its own question back.
out=$(dig_c MPROX.Test TXT 2>&1)
if grep -q 'status: NOERROR' <<<"$out" && grep -q '^MPROX\.Test\..*"through the relay"' <<<"$out" &&
	! grep -qi mismatch <<<"$out"; then
	pass "MPROX.Test TXT from the cache: the question as asked, the answer kept"
else
	fail "MPROX.Test TXT from the cache"
	diag <<<"$out"
fi

# Negative answers are kept for their SOA's time (RFC 2308): NXDOMAIN, and
# NODATA (a name with records, none of the type), each asked twice; the
# second is answered in the kernel, nothing sent to the relay.
# negative_cached DESC STATUS DIG_ARGS...: two results.
negative_cached() {
	local desc=$1 status=$2 out hits up stored
	shift 2
	stored=$(mprox_stat mprox0 stats.dns.cache_stored)
	out=$(dig_c "$@" 2>&1)
	if grep -q "status: $status" <<<"$out" && grep -q 'AUTHORITY: 1' <<<"$out" &&
		[ "$(mprox_stat mprox0 stats.dns.cache_stored)" -gt "$stored" ]; then
		pass "$desc: $status with the zone's SOA, kept"
	else
		fail "$desc: want $status with an SOA, stored (cache_stored $stored -> $(mprox_stat mprox0 stats.dns.cache_stored))"
		diag <<<"$out"
	fi
	hits=$(mprox_stat mprox0 stats.dns.cache_hits)
	up=$(udp datagrams_up)
	out=$(dig_c "$@" 2>&1)
	if grep -q "status: $status" <<<"$out" &&
		[ "$(($(mprox_stat mprox0 stats.dns.cache_hits) - hits)) $(($(udp datagrams_up) - up))" = "1 0" ]; then
		pass "$desc again: $status from the cache, nothing to the relay"
	else
		fail "$desc again: cache_hits +$(($(mprox_stat mprox0 stats.dns.cache_hits) - hits)), datagrams_up +$(($(udp datagrams_up) - up)), want +1 and +0"
		diag <<<"$out"
	fi
}
negative_cached "NXDOMAIN: nothere.mprox.test TXT" NXDOMAIN nothere.mprox.test TXT
negative_cached "NODATA: mprox.test SRV" NOERROR mprox.test SRV

# ---- UDP by name -----------------------------------------------------------
# A datagram to a pool address goes to dante's relay with the name, which
# dante resolves; the echo comes back from the address it resolved to and
# reaches the application from the pool address (udp_echo.py checks where
# each echo came from).
a4=$(dig_c +short echo.mprox.test A)
a6=$(dig_c +short echo.mprox.test AAAA)
b6=$(dig_c +short echo6.mprox.test AAAA)
c4=$(dig_c +short echo2.mprox.test A)
if [[ $a4 =~ ^198\.18\. ]] && [[ $a6 == fd00:198::* ]] && [[ $b6 == fd00:198::* ]] &&
	[[ $c4 =~ ^198\.18\. ]] && [ "$c4" != "$a4" ]; then
	pass "pool addresses: echo.mprox.test $a4 and $a6, echo6.mprox.test $b6, echo2.mprox.test $c4"
else
	fail "pool addresses: '$a4' '$a6' '$b6' '$c4'"
fi
step "the pools routed into mprox0" sh -c \
	"ip -n $TOPO_C route add 198.18.0.0/16 dev mprox0 &&
	 ip -n $TOPO_C -6 route add fd00:198::/112 dev mprox0"
foreign0=$(udp dropped_foreign)
no_name0=$(udp dropped_no_name)
udp_run "by name, IPv4: echo.mprox.test from 4 sockets" \
	--sockets 4 --count 400 "$a4:7001"
udp_run "by name, IPv6: echo6.mprox.test from 2 sockets" \
	--sockets 2 --count 100 "[$b6]:7001"
udp_run "by name, IPv6 socket, dante resolves the name to IPv4" \
	--sockets 2 --count 100 "[$a6]:7001"
udp_run "one socket, by name and by address in turn" \
	--sockets 1 --count 100 "$a4:7001" 10.200.2.2:7002
# The relay answers both from 10.200.2.2, one port each: each port has one
# name, whose answers those are.
udp_run "one socket, two names (one address at the proxy), a port each" \
	--sockets 1 --count 100 "$a4:7001" "$c4:7002"
check_delta "by name: nothing dropped as foreign" dropped_foreign "$foreign0" -eq 0
check_delta "by name: every pool address had its name" dropped_no_name "$no_name0" -eq 0

# ---- an association's end -------------------------------------------------
# hold_start [--then quit|send]: a connect()ed socket in the client host
# that got one echo and keeps its association until /tmp/mprox-udp-go
# exists; one result. Sets hold_pid.
hold_out=/tmp/mprox-udp-hold.out
hold_start() {
	rm -f /tmp/mprox-udp-go "$hold_out"
	topo_ns $TOPO_C python3 "$UDP_ECHO" hold 10.200.2.2:7001 /tmp/mprox-udp-go "$@" \
		>"$hold_out" 2>&1 &
	hold_pid=$!
	if wait_for 60 grep -Eq '^(ready|failed)' "$hold_out" && grep -q '^ready' "$hold_out"; then
		pass "a socket got its echo and holds its association"
	else
		fail "a held socket: $(cat "$hold_out")"
	fi
	active=$(mprox_stat mprox0 stats.flows.active)
	if [ "$active" -ge 1 ] 2>/dev/null; then pass "the association is a flow (flows.active $active)"; else
		fail "flows.active '$active' with an association open: $(mprox_stat mprox0 stats.flows)"; fi
}
hold_stop() {
	touch /tmp/mprox-udp-go
	wait "$hold_pid"
}

hold_start --then quit
check "set udp_idle_timeout_s 5" mprox_set mprox0 udp_idle_timeout_s 5
t0=$(ms_now)
if wait_flows_zero mprox0 "$drain_s"; then
	pass "idle associations end after udp_idle_timeout_s 5 (all gone after $(($(ms_now) - t0)) ms)"
else
	fail "udp_idle_timeout_s 5: flows left after $drain_s s: $(mprox_stat mprox0 stats.flows)"
fi
hold_stop

check "set udp_idle_timeout_s 600" mprox_set mprox0 udp_idle_timeout_s 600
hold_start
# The association in the status document, and max_flows counting it.
out=$(mprox_json mprox0 | python3 -c '
import json, sys
c = [x for x in json.load(sys.stdin)["conns"] if x["proto"] == "udp"]
print(" ".join("%s>%s:%s:%s" % (x["src"], x["dst"], x["upstream"], x["state"]) for x in c))')
if [[ $out == "10.200.1.2:"*">0.0.0.0:0:d:established" ]]; then
	pass "conns lists the association, to any destination: $out"
else
	fail "conns: '$out', want one udp entry from 10.200.1.2 to 0.0.0.0:0 through d, established"
fi
check "set max_flows 1 (the held association is the one flow)" mprox_set mprox0 max_flows 1
fl=$(mprox_stat mprox0 stats.drops.flow_limit)
refused_within "over max_flows, another socket" 10.200.2.2:7002 "$noudp_ms"
d=$(($(mprox_stat mprox0 stats.drops.flow_limit) - fl))
if [ "$d" = 1 ]; then pass "drops.flow_limit +1"; else fail "drops.flow_limit +$d, want +1"; fi
check "set max_flows 65536" mprox_set mprox0 max_flows 65536
# Every dante process (both instances): the association's control
# connection closes with them.
danted_pids() {
	local pid
	for pid in $(ip netns pids $TOPO_P); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = danted ] && echo "$pid"
	done
}
danted_gone() {
	local pids
	pids=$(danted_pids)
	[ -z "$pids" ] && return 0
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	return 1
}
t0=$(ms_now)
# Its processes take seconds to go, more with more associations behind
# them (3.5 s idle on stock, 11 s in CI beside the debug guest); the
# flow's end is timed from here too.
step "kill dante (every danted process on the proxy host)" wait_for "$(mprox_scale 30 60)" danted_gone
if wait_flows_zero mprox0 "$close_s"; then
	pass "the proxy closed the control connection: the flow ended $(($(ms_now) - t0)) ms after the kill"
else
	fail "the proxy died: flows left after $close_s s (udp_idle_timeout_s is 600): $(mprox_stat mprox0 stats.flows)"
fi
hold_stop
echo "# the held socket sending again with the proxy gone: $(grep '^after' "$hold_out")"
step "dante on 1090 again" topo_dante_udp 1090
step "dante on 1091 again, UDP ASSOCIATE blocked" topo_dante_udp 1091 block
check_upstreams_usable mprox0 60
a=$(udp associations)
udp_run "dante back: a new association carries datagrams" \
	--sockets 2 --count 200 10.200.2.2:7001
check_delta "dante back: one association per socket" associations "$a" -eq 2
check "set udp_idle_timeout_s 5" mprox_set mprox0 udp_idle_timeout_s 5

# ---- upstreams that do not carry UDP ---------------------------------------
# expect_refused DESC DEST MAX_MS: refused_within, once the upstream is
# usable.
expect_refused() {
	wait_for 30 mprox_upstreams_usable mprox0 || fail "$1: no usable upstream in 30 s"
	refused_within "$@"
}

check "upstream web http://10.200.1.1:8888 (tinyproxy: no UDP)" \
	mprox_use_upstream mprox0 web http://10.200.1.1:8888
n=$(udp no_udp)
expect_refused "HTTP CONNECT upstream, IPv4" 10.200.2.2:7001 "$noudp_ms"
expect_refused "HTTP CONNECT upstream, IPv6" '[fd00:200:2::2]:7001' "$noudp_ms"
check_delta "HTTP CONNECT upstream: counted" no_udp "$n" -ge 2
# DNS has TCP to fall back on: what the resolver forwards goes as DNS over
# TCP through tinyproxy (CONNECT 10.200.2.2:53) to dnsmasq, one connection
# per socket of dig's.
n=$(udp dns_streams)
dig_zone "over TCP through tinyproxy"
check_delta "DNS over TCP: counted" dns_streams "$n" -eq 2
# A server the proxy will not CONNECT to (tinyproxy allows 53 and 443):
# the query is REFUSED, at once, as a server that does not recurse says.
check "dns server 10.200.2.2:5353" mprox_config mprox0 <<<"dns server 10.200.2.2:5353"
dig_status() {
	topo_ns $TOPO_C dig +time=3 +tries=1 -p 5353 @10.200.2.2 "$1" MX 2>&1 |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
n=$(udp refused)
out=$(dig_status mprox.test)
if [ "$out" = REFUSED ]; then pass "dig MX to a port tinyproxy refuses: REFUSED"; else
	fail "dig MX to a port tinyproxy refuses: status '$out', want REFUSED"; fi
check_delta "the proxy asked once" refused "$n" -eq 1
# The refusal is remembered (60 s): the next queries to that server, each
# from a socket of its own, are REFUSED without a connection to the proxy.
out="$(dig_status a.mprox.test) $(dig_status b.mprox.test) $(dig_status c.mprox.test)"
expect "three more queries to it: REFUSED" "$out" "REFUSED REFUSED REFUSED"
check_delta "the proxy not asked again" refused "$n" -eq 1
check "dns server 10.200.2.2" mprox_config mprox0 <<<"dns server 10.200.2.2"
# A SOCKS5 proxy that refuses UDP ASSOCIATE slowly (slow_socks5.py: 80 ms
# between the bytes of its answers), its REP 7 coming after
# connect_timeout_ms (500 ms here). The DNS query then goes as a stream,
# whose deadlines run from that start again: a proxy that was reached and
# answered is no dead one. (They ran from the first datagram, so the
# stream's connect had timed out before it began, and the query was
# refused.)
topo_spawn $TOPO_P python3 "$MPROX_LIB/slow_socks5.py" 1084 80
check "slow_socks5.py on 1084 (CONNECT only, 80 ms a byte)" \
	wait_for 30 topo_listening $TOPO_P 1084
check "upstream slow socks5://10.200.1.1:1084" \
	mprox_use_upstream mprox0 slow socks5://10.200.1.1:1084
check "set connect_timeout_ms 500" mprox_set mprox0 connect_timeout_ms 500
check "the slow upstream usable" wait_for 30 mprox_upstreams_usable mprox0
n=$(udp refused)
streams=$(udp dns_streams)
ms0=$(date +%s%N)
out=$(topo_ns $TOPO_C dig +time=5 +tries=1 +short @10.200.2.2 mprox.test MX 2>&1)
ms=$((($(date +%s%N) - ms0) / 1000000))
expect "dig MX: REP 7, then over TCP through the slow proxy, in $ms ms" "$out" "10 mail.mprox.test."
check_delta "slow REP 7: the stream was not refused" refused "$n" -eq 0
check_delta "slow REP 7: one DNS stream" dns_streams "$streams" -eq 1
check "set connect_timeout_ms 10000" mprox_set mprox0 connect_timeout_ms 10000
check "upstream s4 socks4://10.200.1.1:1090 (dante over SOCKS4: no UDP)" \
	mprox_use_upstream mprox0 s4 socks4://10.200.1.1:1090
n=$(udp no_udp)
expect_refused "SOCKS4 upstream" 10.200.2.2:7001 "$noudp_ms"
check_delta "SOCKS4 upstream: counted" no_udp "$n" -ge 1

check "upstream p1 socks5://10.200.1.1:1080 (microsocks: CONNECT only)" \
	mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080
n=$(udp refused)
expect_refused "microsocks refuses UDP ASSOCIATE, IPv4" 10.200.2.2:7001 "$quick_ms"
check_delta "microsocks: counted" refused "$n" -eq 1
# REP 7 says the proxy has no UDP: its next sockets are not asked again.
n=$(udp no_udp)
expect_refused "microsocks, remembered: the next socket, IPv6" '[fd00:200:2::2]:7001' "$noudp_ms"
check_delta "microsocks, remembered: counted as no UDP" no_udp "$n" -eq 1
check "upstream db socks5://10.200.1.1:1091 (dante blocking UDP ASSOCIATE)" \
	mprox_use_upstream mprox0 db socks5://10.200.1.1:1091
n=$(udp refused)
expect_refused "dante blocks UDP ASSOCIATE" 10.200.2.2:7001 "$quick_ms"
check_delta "blocking dante: counted" refused "$n" -ge 1

# No upstream at all, or all of them down: the socket is refused at once,
# not left to its own timeout. Host or net unreachable, a SYN's
# answer, would be ignored by a connected UDP socket (RFC 1122 4.1.3.3).
# refused_unrouted DESC: refused_within, and counted once in
# drops.udp_refused (no association was tried).
refused_unrouted() {
	local n
	n=$(mprox_stat mprox0 stats.drops.udp_refused)
	refused_within "$1" 10.200.2.2:7001 "$noudp_ms"
	expect "$1: counted in drops.udp_refused" \
		"$(($(mprox_stat mprox0 stats.drops.udp_refused) - n))" 1
}
check "upstream flush" mprox_config mprox0 <<<"upstream flush"
refused_unrouted "no upstream"
# Every upstream down: one that nothing listens for, made to back off by
# failed trials (TCP fetches, each refused by the proxy host), so that the
# datagram below finds it down and tries nothing.
check "upstream dead socks5://10.200.1.1:1097 (nothing listens)" \
	mprox_config mprox0 <<<"upstream add dead socks5://10.200.1.1:1097"
dead_backed_off() {
	topo_ns $TOPO_C curl -s --max-time 5 -o /dev/null http://10.200.2.2:8080/
	mprox_json mprox0 | jq -e '.config.upstreams |
		all(.state == "down" and .retry_in_ms >= 5000)' >/dev/null
}
check "dead is down, backing off for 5 s or more after failed trials" \
	wait_for 60 dead_backed_off
refused_unrouted "every upstream down"

leak=$(nft_packets leak)
to_proxy=$(nft_packets to_proxy)
if [ "$leak" = 0 ]; then pass "no UDP left the client host but to the proxy"; else
	fail "$leak UDP packets left c0 for another address than the proxy's"
	topo_ns $TOPO_C nft list table inet mprox_udp_leak | diag
fi
if [ "$to_proxy" -gt 0 ] 2>/dev/null; then pass "UDP to the proxy: $to_proxy packets"; else
	fail "UDP to the proxy: '$to_proxy' packets"; fi

check_flows_drain mprox0 "$drain_s"
mprox_check_dmesg "udp-assoc"
mprox_case_teardown
names_cleanup
rm -f /tmp/mprox-udp-go "$hold_out"
plan "$tap_n"
tap_exit
