#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test network and its proxies work without mprox: the client cannot
# reach the server directly, and reaches it through microsocks and through
# dante with username/password, over IPv4 and IPv6. The TCP data path cases
# build on exactly this, and the benchmark's "application speaks SOCKS5
# itself" baseline is this.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
trap topo_down EXIT

step "create client, proxy and server hosts" topo_up
mkdir -p "$TOPO_WWW"
head -c 5000000 /dev/urandom >"$TOPO_WWW/blob"
want=$(sha256sum <"$TOPO_WWW/blob" | cut -d' ' -f1)
step "web server on the server host" topo_web 8080
step "microsocks on the proxy host" topo_microsocks 1080
step "dante with username auth on the proxy host" topo_dante 1081 mproxuser 'pa55:w0rd'

fetch() {
	topo_ns $TOPO_C curl -sS --max-time 20 -o /dev/stdout "$@" | sha256sum | cut -d' ' -f1
}

check "the client cannot reach the server directly" sh -c \
	"! ip netns exec $TOPO_C curl -sS --max-time 3 -o /dev/null http://10.200.2.2:8080/blob"
got=$(fetch --socks5 10.200.1.1:1080 http://10.200.2.2:8080/blob)
[ "$got" = "$want" ] && pass "5 MB through microsocks, sha256 matches" ||
	fail "5 MB through microsocks: sha256 $got, want $want"
got=$(fetch --socks5 '[fd00:200:1::1]:1080' 'http://[fd00:200:2::2]:8080/blob')
[ "$got" = "$want" ] && pass "IPv6 proxy and destination through microsocks" ||
	fail "IPv6 through microsocks: sha256 $got"
got=$(fetch --socks5 10.200.1.1:1081 --proxy-user 'mproxuser:pa55:w0rd' http://10.200.2.2:8080/blob)
[ "$got" = "$want" ] && pass "through dante with username/password" ||
	fail "through dante with username/password: sha256 $got"
# curl exit 97: the proxy handshake failed (not 7: could not reach it).
curl_rc() {
	topo_ns $TOPO_C curl -sS --max-time 5 -o /dev/null "$@" 2>/dev/null
	echo $?
}
rc=$(curl_rc --socks5 10.200.1.1:1081 --proxy-user mproxuser:wrong http://10.200.2.2:8080/blob)
[ "$rc" = 97 ] && pass "dante refuses a wrong password (curl exit 97)" ||
	fail "dante refuses a wrong password: curl exit $rc, want 97"
rc=$(curl_rc --socks5 10.200.1.1:1080 http://10.200.2.2:9/)
[ "$rc" = 97 ] && pass "a closed port through the proxy is refused by it (curl exit 97)" ||
	fail "a closed port through the proxy: curl exit $rc, want 97"
plan "$tap_n"
tap_exit
