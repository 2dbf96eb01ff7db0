#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# HTTP CONNECT upstreams (http://): tinyproxy without and with BasicAuth,
# and squid. Each proxy is first shown natively (curl --proxytunnel, or a
# hand-written CONNECT) to answer what the assertions assume, so that a
# failure through mprox0 is the driver's. Then through mprox0: a page and
# a file compared by sha256, a server that speaks first (its banner must
# reach the application), an IPv6 destination, and the answers that must
# fail the application's connect():
#
#   the proxy answers                       connect() fails with
#   407, and tinyproxy's 401 for a wrong    ECONNREFUSED, connects.auth_failed
#   password (tinyproxy 1.11 answers 401,     and the upstream's auth_failed
#   not 407, to wrong credentials)            count it
#   403 (squid http_access deny, a port     ECONNREFUSED
#   tinyproxy's ConnectPort leaves out)
#   500 (tinyproxy, destination closed),    EHOSTUNREACH
#   503 (squid, destination closed)
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

# How late a refusal may come (curl's own clock; the proxies answer at once).
quick_ms=$(mprox_scale 2000 6000)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: errors within $quick_ms ms"

# Ports on the server host: 8080 the web server, 2525 a server that speaks
# first, 8089 closed (allowed by the proxies), 8081 forbidden by them.
mprox_case_setup mprox0
mprox_dmesg_mark
step "a server that speaks first on the server host (2525)" mprox_banner
tiny_log=/tmp/mprox-topo-${#topo_pids[@]}.log
step "tinyproxy on 3128, CONNECT to 8080 2525 8089" topo_tinyproxy 3128 "8080 2525 8089"
step "tinyproxy with BasicAuth on 3129" topo_tinyproxy 3129 "8080 2525 8089" mproxuser pa55w0rd
step "squid on 3130, CONNECT to 8080 2525 8089, 8081 denied" topo_squid 3130 "8080 2525 8089" 8081
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
head -c 1M /dev/urandom >"$TOPO_WWW/mid"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)
mid_sha=$(sha256sum <"$TOPO_WWW/mid" | cut -d' ' -f1)

# ---- the proxies, natively ----------------------------------------------------
# native_fetch DESC SHA URL CURL_ARGS...: curl in the client host with its
# own proxy options; -p (--proxytunnel) makes it CONNECT even for http://.
native_fetch() {
	local desc=$1 want=$2 url=$3 got
	shift 3
	got=$(topo_ns $TOPO_C curl -sS -p --max-time 30 "$@" "$url" 2>&1 | sha256sum | cut -d' ' -f1)
	if [ "$got" = "$want" ]; then pass "natively: $desc"; else fail "natively: $desc: sha256 $got"; fi
}
# native_status DESC WANT PORT DST DPORT [USER:PASSWORD]: the status line a
# proxy answers a hand-written CONNECT with, and after a 2xx the first line
# of the destination.
native_status() {
	local desc=$1 want=$2 out
	shift 2
	out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" http-connect 10.200.1.1 "$@" 2>&1)
	if grep -Eq "$want" <<<"$out"; then pass "natively: $desc: $(tr "\n" " " <<<"$out")"; else
		fail "natively: $desc: want /$want/"
		diag <<<"$out"
	fi
}
native_fetch "tinyproxy carries a page" "$page_sha" http://10.200.2.2:8080/page.html \
	--proxy http://10.200.1.1:3128
native_fetch "tinyproxy carries an IPv6 destination" "$mid_sha" 'http://[fd00:200:2::2]:8080/mid' \
	--proxy http://10.200.1.1:3128
native_fetch "tinyproxy with BasicAuth carries a page" "$page_sha" http://10.200.2.2:8080/page.html \
	--proxy http://mproxuser:pa55w0rd@10.200.1.1:3129
native_fetch "squid carries a page" "$page_sha" http://10.200.2.2:8080/page.html \
	--proxy http://10.200.1.1:3130
native_fetch "squid carries an IPv6 destination" "$mid_sha" 'http://[fd00:200:2::2]:8080/mid' \
	--proxy http://10.200.1.1:3130
native_status "tinyproxy: no credentials: 407" '^HTTP/1.[01] 407 ' 3129 10.200.2.2 8080
native_status "tinyproxy: a wrong password: 401" '^HTTP/1.[01] 401 ' 3129 10.200.2.2 8080 mproxuser:wrong
native_status "tinyproxy: a port not in ConnectPort: 403" '^HTTP/1.[01] 403 ' 3128 10.200.2.2 8081
native_status "tinyproxy: a closed destination port: 500" '^HTTP/1.[01] 500 ' 3128 10.200.2.2 8089
native_status "squid: http_access deny: 403" '^HTTP/1.[01] 403 ' 3130 10.200.2.2 8081
native_status "squid: a closed destination port: 503" '^HTTP/1.[01] 503 ' 3130 10.200.2.2 8089
native_status "tinyproxy passes a banner on" '^first: 220 mprox-test' 3128 10.200.2.2 2525
native_status "squid passes a banner on" '^first: 220 mprox-test' 3130 10.200.2.2 2525

# ---- through mprox0 ------------------------------------------------------------
moved() {
	mprox_check_moved mprox0 "$@"
}
# through UPSTREAM_NAME: the fetches every good HTTP upstream must carry.
through() {
	local name=$1 ok
	ok=$(mprox_connects mprox0 ok)
	mprox_fetch "$name: a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
	mprox_fetch "$name: 1 MB" "$mid_sha" 60 http://10.200.2.2:8080/mid
	mprox_fetch "$name: an IPv6 destination (curl -6)" "$mid_sha" 60 \
		'http://[fd00:200:2::2]:8080/mid' -6
	mprox_check_banner "$name: a server that speaks first" 10.200.2.2
	mprox_check_banner "$name: a server that speaks first, over IPv6" fd00:200:2::2
	[ "$(mprox_connects mprox0 ok)" -ge $((ok + 5)) ] &&
		pass "$name: connects.ok counted the 5 connections" ||
		fail "$name: connects.ok went from $ok to $(mprox_connects mprox0 ok), want +5"
}

check "upstream tiny http://10.200.1.1:3128" mprox_use_upstream mprox0 tiny http://10.200.1.1:3128
established=$(grep -c 'Established connection to host' "$tiny_log")
through tiny
[ "$(grep -c 'Established connection to host' "$tiny_log")" -ge $((established + 5)) ] &&
	pass "tinyproxy's log has the 5 connections" ||
	fail "tinyproxy's log has $(($(grep -c 'Established connection to host' "$tiny_log") - established)) new connections, want 5"

before=$(mprox_connects_json mprox0)
mprox_expect_error "tinyproxy: a port not in ConnectPort (403)" http://10.200.2.2:8081/ \
	"Connection refused" "$quick_ms"
moved "403" "$before" '^refused\+1$'
before=$(mprox_connects_json mprox0)
mprox_expect_error "tinyproxy: a closed destination port (500)" http://10.200.2.2:8089/ \
	"No route to host" "$quick_ms"
moved "500" "$before" '^general_failure\+1$'

check "upstream tinyauth http://mproxuser:pa55w0rd@10.200.1.1:3129" \
	mprox_use_upstream mprox0 tinyauth http://mproxuser:pa55w0rd@10.200.1.1:3129
through tinyauth
check "upstream tinyauth with a wrong password" \
	mprox_use_upstream mprox0 tinyauth http://mproxuser:wrong@10.200.1.1:3129
before=$(mprox_connects_json mprox0)
mprox_expect_error "tinyproxy: a wrong password (401)" http://10.200.2.2:8080/page.html \
	"Connection refused" "$quick_ms"
moved "wrong password" "$before" '^auth_failed\+1$'
n=$(mprox_stat mprox0 config.upstreams.0.auth_failed 2>/dev/null)
[ "${n:-0}" -ge 1 ] && pass "the upstream's own auth_failed counter says $n" ||
	fail "the upstream's auth_failed counter: '$n'"
check "upstream tinyauth without credentials" \
	mprox_use_upstream mprox0 tinyauth http://10.200.1.1:3129
before=$(mprox_connects_json mprox0)
mprox_expect_error "tinyproxy: no credentials (407)" http://10.200.2.2:8080/page.html \
	"Connection refused" "$quick_ms"
moved "no credentials" "$before" '^auth_failed\+1$'

check "upstream squid http://10.200.1.1:3130" mprox_use_upstream mprox0 squid http://10.200.1.1:3130
through squid
before=$(mprox_connects_json mprox0)
mprox_expect_error "squid: http_access deny (403)" http://10.200.2.2:8081/ \
	"Connection refused" "$quick_ms"
moved "403" "$before" '^refused\+1$'
before=$(mprox_connects_json mprox0)
mprox_expect_error "squid: a closed destination port (503)" http://10.200.2.2:8089/ \
	"No route to host" "$quick_ms"
moved "503" "$before" '^host_unreach\+1$'
check "upstream squid6 http://[fd00:200:1::1]:3130 (the proxy over IPv6)" \
	mprox_use_upstream mprox0 squid6 'http://[fd00:200:1::1]:3130'
mprox_fetch "squid over IPv6: a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
mprox_check_banner "squid over IPv6: a server that speaks first" 10.200.2.2

check "back to upstream p1 (SOCKS5)" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080
mprox_fetch "p1 after the HTTP upstreams: a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
check_flows_drain mprox0 60
mprox_check_dmesg "tcp-http"
mprox_case_teardown
plan "$tap_n"
tap_exit
