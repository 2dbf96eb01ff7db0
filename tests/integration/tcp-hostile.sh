#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# Upstreams that misbehave (lib/hostile_proxy.py, one mode per port), for
# HTTP CONNECT and SOCKS5. What must still work: the right reply one byte
# per segment (HTTP and SOCKS5), and a 200 followed in the same segment by
# the destination's first bytes (they must reach the application). What
# must fail the application's connect() with EHOSTUNREACH ("No route to
# host", PROXY_ERROR), quickly (never by waiting for a timeout: the
# handshake timeout is a minute here) and counted in connects.proxy_error:
# a garbage reply, a 100 KiB header block, a 9 KiB status line, a close
# half-way through the reply, SOCKS5 garbage, a SOCKS5 reply with a wrong
# version, a SOCKS5 close half-way. Headers that never end (a byte every
# 50 ms) must fail too, at the latest when the handshake times out
# (set to 5 s for it). After each failure the flows go back to 0; at the
# end a good upstream on the same device still works and the kernel log
# has no warning, bug or leak line.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

fail_ms=$(mprox_scale 3000 8000)
slack_ms=$(mprox_scale 2000 5000)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: failures within $fail_ms ms"

mprox_case_setup mprox0
mprox_dmesg_mark
step "a server that speaks first on the server host (2525)" mprox_banner
hostile_log=/tmp/mprox-topo-${#topo_pids[@]}.log
topo_spawn $TOPO_P python3 "$MPROX_LIB/hostile_proxy.py" \
	http-ok:3140 http-slow=20:3141 http-garbage:3142 http-huge-headers:3143 \
	http-long-status:3144 http-trickle=50:3145 http-close-mid:3146 http-200-data:3147 \
	socks5-ok:1090 socks5-slow=20:1091 socks5-garbage:1092 socks5-badver:1093 \
	socks5-close-mid:1094 socks5-reset:1095 socks5-reset=2000:1099
step "hostile_proxy.py on the proxy host" wait_for 60 topo_listening $TOPO_P 1095
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)
url=http://10.200.2.2:8080/page.html

# ---- the modes, natively ----------------------------------------------------------
# native_ok DESC CURL_PROXY_ARGS...: curl with its own proxy options gets
# the page. native_fails DESC CURL_PROXY_ARGS...: curl fails within 5 s.
native_ok() {
	local desc=$1 got
	shift
	got=$(topo_ns $TOPO_C curl -sS --max-time 30 "$@" "$url" 2>&1 | sha256sum | cut -d' ' -f1)
	if [ "$got" = "$page_sha" ]; then pass "natively: $desc"; else fail "natively: $desc: sha256 $got"; fi
}
native_fails() {
	local desc=$1 err
	shift
	if err=$(topo_ns $TOPO_C curl -sS --max-time 5 -o /dev/null "$@" "$url" 2>&1); then
		fail "natively: $desc: curl succeeded"
	else
		pass "natively: $desc: $err"
	fi
}
native_status() {
	local desc=$1 want=$2 out
	shift 2
	out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" http-connect 10.200.1.1 "$@" 2>&1)
	if grep -Eq "$want" <<<"$out"; then pass "natively: $desc: $(tr '\n' ' ' <<<"$out" | cut -c1-100)"; else
		fail "natively: $desc: want /$want/"
		diag <<<"$out"
	fi
}
native_ok "http-ok" -p --proxy http://10.200.1.1:3140
native_ok "http-slow (the reply a byte per segment)" -p --proxy http://10.200.1.1:3141
native_status "http-200-data: 200 and the banner in one segment" \
	"first: $MPROX_BANNER \(in the reply's segment\)" 3147 10.200.2.2 2525
# What these send is a reply that ends, followed by a working tunnel (curl
# itself accepts both): mprox refuses them for their size alone.
native_status "http-huge-headers: 100 KiB of headers, then the tunnel" \
	"first: 220 mprox-test" 3143 10.200.2.2 2525
native_status "http-long-status: a 9 KiB status line, then the tunnel" \
	"first: 220 mprox-test" 3144 10.200.2.2 2525
native_fails "http-garbage" -p --proxy http://10.200.1.1:3142
native_fails "http-trickle" -p --proxy http://10.200.1.1:3145
native_fails "http-close-mid" -p --proxy http://10.200.1.1:3146
native_ok "socks5-ok" --socks5 10.200.1.1:1090
native_ok "socks5-slow (the replies a byte per segment)" --socks5 10.200.1.1:1091
native_fails "socks5-garbage" --socks5 10.200.1.1:1092
native_fails "socks5-badver" --socks5 10.200.1.1:1093
native_fails "socks5-close-mid" --socks5 10.200.1.1:1094
native_fails "socks5-reset" --socks5 10.200.1.1:1095

# ---- through mprox0 ----------------------------------------------------------------
# A timeout must never pass for a detected failure: a minute for both.
check "set connect_timeout_ms 60000" mprox_set mprox0 connect_timeout_ms 60000
check "set handshake_timeout_ms 60000" mprox_set mprox0 handshake_timeout_ms 60000

moved() {
	mprox_check_moved mprox0 "$@"
}
# reached PORT BEFORE: the hostile proxy logged more lines for PORT than
# BEFORE (the connection got there).
port_lines() {
	grep -c "^$1 " "$hostile_log"
}
reached() {
	[ "$(port_lines "$1")" -gt "$2" ]
}
# hostile_fails MODE SCHEME PORT [MAX_MS [COUNTERS]]: through upstream
# SCHEME://10.200.1.1:PORT connect() fails with EHOSTUNREACH within MAX_MS
# ($fail_ms), counted in COUNTERS (proxy_error), the proxy saw the
# connection, the flows go back to 0.
hostile_fails() {
	local mode=$1 scheme=$2 port=$3 max=${4:-$fail_ms} counters=${5:-'proxy_error\+1'} before lines
	check "upstream $mode $scheme://10.200.1.1:$port" \
		mprox_use_upstream mprox0 "$mode" "$scheme://10.200.1.1:$port"
	before=$(mprox_connects_json mprox0)
	lines=$(port_lines "$port")
	mprox_expect_error "$mode" "$url" "No route to host" "$max"
	moved "$mode" "$before" "$counters"
	check "$mode: the proxy had the connection" wait_for 5 reached "$port" "$lines"
	check_flows_drain mprox0 10 "$mode: flows back to 0"
}

check "upstream http-ok http://10.200.1.1:3140" mprox_use_upstream mprox0 http-ok http://10.200.1.1:3140
mprox_fetch "http-ok: a page" "$page_sha" 30 "$url"
check "upstream http-slow http://10.200.1.1:3141" mprox_use_upstream mprox0 http-slow http://10.200.1.1:3141
mprox_fetch "http-slow: a page (the reply a byte per segment)" "$page_sha" 30 "$url"
# 67 bytes, 20 ms apart: the SYN is held until the reply is complete.
[ "$fetch_connect_ms" -ge 1000 ] &&
	pass "http-slow: connect() waited for the whole reply ($fetch_connect_ms ms)" ||
	fail "http-slow: connect() after $fetch_connect_ms ms, want >= 1000 (66 gaps of 20 ms)"
check "upstream http-200-data http://10.200.1.1:3147" \
	mprox_use_upstream mprox0 http-200-data http://10.200.1.1:3147
combined=$(grep -c '^3147 http-200-data 200 and [0-9]* destination bytes in one segment' "$hostile_log")
mprox_check_banner "http-200-data: the destination's bytes behind the 200 reach the application" \
	10.200.2.2
[ "$(grep -c '^3147 http-200-data 200 and [0-9]* destination bytes in one segment' "$hostile_log")" -gt "$combined" ] &&
	pass "http-200-data: the proxy sent them in the reply's segment" ||
	fail "http-200-data: the proxy did not log the combined segment"

hostile_fails http-garbage http 3142
hostile_fails http-huge-headers http 3143
hostile_fails http-long-status http 3144
hostile_fails http-close-mid http 3146
# Headers that never end: at the latest the handshake timeout ends them
# (some limit on lines or bytes may end them earlier, as a proxy error).
check "set handshake_timeout_ms 5000" mprox_set mprox0 handshake_timeout_ms 5000
hostile_fails http-trickle http 3145 $((5000 + slack_ms)) 'proxy_error\+1|timeout\+1'
check "set handshake_timeout_ms 60000" mprox_set mprox0 handshake_timeout_ms 60000

check "upstream socks5-ok socks5://10.200.1.1:1090" \
	mprox_use_upstream mprox0 socks5-ok socks5://10.200.1.1:1090
mprox_fetch "socks5-ok: a page" "$page_sha" 30 "$url"
check "upstream socks5-slow socks5://10.200.1.1:1091" \
	mprox_use_upstream mprox0 socks5-slow socks5://10.200.1.1:1091
mprox_fetch "socks5-slow: a page (the replies a byte per segment)" "$page_sha" 30 "$url"
[ "$fetch_connect_ms" -ge 150 ] &&
	pass "socks5-slow: connect() waited for the whole reply ($fetch_connect_ms ms)" ||
	fail "socks5-slow: connect() after $fetch_connect_ms ms, want >= 150 (10 gaps of 20 ms)"
hostile_fails socks5-garbage socks5 1092
hostile_fails socks5-badver socks5 1093
hostile_fails socks5-close-mid socks5 1094

# How each connection the proxy accepted ended, in stats.closes: a clean
# close, the application's reset, the proxy's. A reset reaches the other
# side as a reset: the application's recv() fails with ECONNRESET.
closed_as() {
	check_flows_drain mprox0 10 "$1: flows back to 0"
	mprox_check_closes mprox0 "$@"
}
check "upstream socks5-ok socks5://10.200.1.1:1090" \
	mprox_use_upstream mprox0 socks5-ok socks5://10.200.1.1:1090
before=$(mprox_stat mprox0 stats.closes)
check "the application closes after an exchange" \
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" banner 10.200.2.2 2525 15
closed_as "a clean close" "$before" "fin+1"
before=$(mprox_stat mprox0 stats.closes)
check "the application resets after an exchange" \
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" banner 10.200.2.2 2525 15 reset
closed_as "the application's reset" "$before" "app_reset+1"
check "upstream socks5-reset socks5://10.200.1.1:1095" \
	mprox_use_upstream mprox0 socks5-reset socks5://10.200.1.1:1095
before=$(mprox_stat mprox0 stats.closes)
proxy_resets() {
	grep -c "^1095 socks5-reset reset" "$hostile_log"
}
proxy_reset_since() {
	[ "$(proxy_resets)" -gt "$1" ]
}
resets=$(proxy_resets)
check "socks5-reset: the application's recv() gets ECONNRESET" \
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" expect-reset 10.200.2.2 2525 15
check "socks5-reset: the proxy reset it" wait_for 5 proxy_reset_since "$resets"
closed_as "the proxy's reset" "$before" "upstream_reset+1"
# The same while the application keeps sending, the proxy reading nothing
# for 2 s before its reset: the buffers fill, and the application's bytes
# wait on mprox0's side. The relay's send of them to the reset socket
# takes its error first; its FIN-less shutdown must not pass for the
# proxy's FIN (a cut-off answer would look complete).
check "upstream socks5-reset=2000 socks5://10.200.1.1:1099" \
	mprox_use_upstream mprox0 socks5-stall socks5://10.200.1.1:1099
before=$(mprox_stat mprox0 stats.closes)
stalled_resets() {
	grep -c "^1099 socks5-reset reset" "$hostile_log"
}
resets=$(stalled_resets)
stalled_reset_since() {
	[ "$(stalled_resets)" -gt "$1" ]
}
check "socks5-reset=2000, the application sending all along: recv() gets ECONNRESET, not an end" \
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" expect-reset 10.200.2.2 2525 15 flood
check "socks5-reset=2000: the proxy reset it" wait_for 5 stalled_reset_since "$resets"
closed_as "the proxy's reset, the application sending" "$before" "upstream_reset+1"

# A good upstream on the same device is unharmed.
check "upstream p1 (microsocks)" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080
mprox_fetch "p1 after the hostile upstreams: a page" "$page_sha" 30 "$url"
check "upstream http-ok again" mprox_use_upstream mprox0 http-ok http://10.200.1.1:3140
mprox_fetch "http-ok after the hostile upstreams: a page" "$page_sha" 30 "$url"
check_flows_drain mprox0 30
mprox_check_dmesg "tcp-hostile"
mprox_case_teardown
plan "$tap_n"
tap_exit
