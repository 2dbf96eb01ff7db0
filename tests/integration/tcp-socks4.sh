#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# SOCKS4 and SOCKS4a upstreams (socks4://[USERID@]HOST:PORT, socks4a://).
# socks4:// goes to dante (it speaks SOCKS4, no authentication, with a
# block rule for one port), and to lib/socks4_server.py with a user id it
# checks; socks4a:// goes to lib/socks4_server.py only, since dante 1.4
# does not do 4a: it connects to the 0.0.0.x of a 4a request and ignores
# the name (shown natively below, as a diagnostic). Each server is first
# shown natively (curl --socks4/--socks4a, hand-written requests) to answer
# what the assertions assume. Then through mprox0: a page, a file and a
# server that speaks first, compared; an IPv6 destination through
# socks4:// fails at once with ENETUNREACH (SOCKS4 has no IPv6) and is
# counted; through socks4a:// an IPv6 destination goes as its literal in
# the name and works; a request the server rejects (CD 91: dante's block
# rule, a closed port) fails with ECONNREFUSED, and so does a user id
# the server does not accept (CD 93).
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

quick_ms=$(mprox_scale 2000 6000)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: errors within $quick_ms ms"

# Ports on the server host: 8080 the web server, 2525 a server that speaks
# first, 8089 closed, 8081 forbidden by the proxies' rules.
mprox_case_setup mprox0
mprox_dmesg_mark
step "a server that speaks first on the server host (2525)" mprox_banner
topo_spawn $TOPO_S python3 "$MPROX_NETUTIL" http-server 8081 "$TOPO_WWW"
step "the web server on 8081 too (forbidden by the proxies)" wait_for 60 topo_listening $TOPO_S 8081
step "dante on 1085 (SOCKS4 and 5, no auth), port 8081 blocked" topo_dante4 1085 8081
s4_log=/tmp/mprox-topo-${#topo_pids[@]}.log
topo_spawn $TOPO_P python3 "$MPROX_LIB/socks4_server.py" 1086 --block 8081
step "socks4_server.py on 1086, port 8081 blocked" wait_for 60 topo_listening $TOPO_P 1086
s4id_log=/tmp/mprox-topo-${#topo_pids[@]}.log
topo_spawn $TOPO_P python3 "$MPROX_LIB/socks4_server.py" 1087 --userid mproxuser
step "socks4_server.py on 1087, user id mproxuser only" wait_for 60 topo_listening $TOPO_P 1087
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
head -c 1M /dev/urandom >"$TOPO_WWW/mid"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)
mid_sha=$(sha256sum <"$TOPO_WWW/mid" | cut -d' ' -f1)

# ---- the servers, natively --------------------------------------------------------
native_fetch() {
	local desc=$1 want=$2 url=$3 got
	shift 3
	got=$(topo_ns $TOPO_C curl -sS --max-time 30 "$@" "$url" 2>&1 | sha256sum | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then pass "natively: $desc"; else fail "natively: $desc: sha256 $got"; fi
}
# native_cd DESC WANT PORT DST DPORT [USERID]: the CD of a hand-written
# SOCKS4 request (4a with DST as the name when DST is no IPv4 address).
native_cd() {
	local desc=$1 want=$2 out
	shift 2
	out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" socks4-rep 10.200.1.1 "$@" 2>&1)
	if [ "$out" = "$want" ]; then pass "natively: $desc: CD $out"; else
		fail "natively: $desc: CD '$out', want $want"; fi
}
native_fetch "dante carries a page over SOCKS4 (curl --socks4)" "$page_sha" \
	http://10.200.2.2:8080/page.html --socks4 10.200.1.1:1085
native_fetch "dante over SOCKS4 with a user id" "$page_sha" \
	http://10.200.2.2:8080/page.html --socks4 10.200.1.1:1085 --proxy-user mproxuser:
native_cd "dante: the blocked port" 91 1085 10.200.2.2 8081
native_cd "dante: a closed port" 91 1085 10.200.2.2 8089
native_cd "dante: a SOCKS4 request" 90 1085 10.200.2.2 8080
echo "# natively: dante's CD for a SOCKS4a request naming fd00:200:2::2:" \
	"$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" socks4-rep 10.200.1.1 1085 fd00:200:2::2 8080 2>&1)" \
	"(it does not do 4a: socks4a:// goes to socks4_server.py)"
native_fetch "socks4_server.py carries a page over SOCKS4a (curl --socks4a)" "$page_sha" \
	http://10.200.2.2:8080/page.html --socks4a 10.200.1.1:1086
native_fetch "socks4_server.py over SOCKS4a to an IPv6 destination" "$mid_sha" \
	'http://[fd00:200:2::2]:8080/mid' --socks4a 10.200.1.1:1086
native_cd "socks4_server.py: a 4a request naming fd00:200:2::2" 90 1086 fd00:200:2::2 8080
native_cd "socks4_server.py: the blocked port" 91 1086 10.200.2.2 8081
native_cd "socks4_server.py: a closed port" 91 1086 10.200.2.2 8089
native_cd "socks4_server.py on 1087: the right user id" 90 1087 10.200.2.2 8080 mproxuser
native_cd "socks4_server.py on 1087: another user id" 93 1087 10.200.2.2 8080 intruder

# ---- through mprox0 ------------------------------------------------------------------
moved() {
	mprox_check_moved mprox0 "$@"
}
through_v4() {
	local name=$1 ok
	ok=$(mprox_connects mprox0 ok)
	mprox_fetch "$name: a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
	mprox_fetch "$name: 1 MB" "$mid_sha" 60 http://10.200.2.2:8080/mid
	mprox_check_banner "$name: a server that speaks first" 10.200.2.2
	[ "$(mprox_connects mprox0 ok)" -ge $((ok + 3)) ] &&
		pass "$name: connects.ok counted the 3 connections" ||
		fail "$name: connects.ok went from $ok to $(mprox_connects mprox0 ok), want +3"
}

check "upstream dante4 socks4://10.200.1.1:1085" \
	mprox_use_upstream mprox0 dante4 socks4://10.200.1.1:1085
through_v4 "socks4 (dante)"
# No IPv6 in SOCKS4: the driver must not even try. The same ENETUNREACH
# is what "no upstream that speaks this" gives, so the counter decides:
# the address type, not no_upstream.
before=$(mprox_connects_json mprox0)
mprox_expect_error "socks4 (dante): an IPv6 destination" 'http://[fd00:200:2::2]:8080/page.html' \
	"Network is unreachable" "$quick_ms"
moved "IPv6 through socks4" "$before" '^net_unreach\+1$'
before=$(mprox_connects_json mprox0)
mprox_expect_error "socks4 (dante): the blocked port (CD 91)" http://10.200.2.2:8081/ \
	"Connection refused" "$quick_ms"
moved "blocked port" "$before" '^refused\+1$'
before=$(mprox_connects_json mprox0)
mprox_expect_error "socks4 (dante): a closed port (CD 91)" http://10.200.2.2:8089/ \
	"Connection refused" "$quick_ms"
moved "closed port" "$before" '^refused\+1$'

check "upstream s4id socks4://mproxuser@10.200.1.1:1087" \
	mprox_use_upstream mprox0 s4id socks4://mproxuser@10.200.1.1:1087
# count REGEX FILE: lines of FILE matching REGEX (the native checks
# above left some: only new ones count).
count() {
	grep -Ec "$1" "$2"
}
re='^CONNECT 4 10.200.2.2 8080 userid=mproxuser 90$'
had=$(count "$re" "$s4id_log")
mprox_fetch "socks4 with a user id: a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
[ "$(count "$re" "$s4id_log")" -gt "$had" ] &&
	pass "the server got the user id mproxuser" ||
	{ fail "the server got the user id mproxuser"; diag <"$s4id_log"; }
check "upstream s4id socks4://intruder@10.200.1.1:1087" \
	mprox_use_upstream mprox0 s4id socks4://intruder@10.200.1.1:1087
before=$(mprox_connects_json mprox0)
mprox_expect_error "socks4: a user id the server refuses (CD 93)" http://10.200.2.2:8080/page.html \
	"Connection refused" "$quick_ms"
moved "refused user id" "$before" '^auth_failed\+1$'

check "upstream s4a socks4a://10.200.1.1:1086" \
	mprox_use_upstream mprox0 s4a socks4a://10.200.1.1:1086
through_v4 "socks4a"
re='^CONNECT 4a \[?fd00:200:2::2\]? (8080|2525) .* 90$'
had=$(count "$re" "$s4_log")
mprox_fetch "socks4a: an IPv6 destination" "$mid_sha" 60 'http://[fd00:200:2::2]:8080/mid'
mprox_check_banner "socks4a: a server that speaks first, over IPv6" fd00:200:2::2
[ "$(count "$re" "$s4_log")" -ge $((had + 2)) ] &&
	pass "socks4a: both IPv6 destinations went as a 4a name" ||
	{ fail "socks4a: want 2 new 4a requests naming fd00:200:2::2 at the server"; diag <"$s4_log"; }
before=$(mprox_connects_json mprox0)
mprox_expect_error "socks4a: the blocked port (CD 91)" http://10.200.2.2:8081/ \
	"Connection refused" "$quick_ms"
moved "blocked port" "$before" '^refused\+1$'
before=$(mprox_connects_json mprox0)
mprox_expect_error "socks4a: a blocked port over IPv6 (CD 91)" 'http://[fd00:200:2::2]:8081/' \
	"Connection refused" "$quick_ms"
moved "blocked port over IPv6" "$before" '^refused\+1$'

check "back to upstream p1 (SOCKS5)" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080
mprox_fetch "p1 after the SOCKS4 upstreams: a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
check_flows_drain mprox0 60
mprox_check_dmesg "tcp-socks4"
mprox_case_teardown
plan "$tap_n"
tap_exit
