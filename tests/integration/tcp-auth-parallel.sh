#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# 50 connections at once through dante with RFC 1929 username auth (dante
# checks each password against the system's users, which is slow), with
# the default timeouts: all 50 must succeed natively (curl --socks5 with
# --proxy-user) and through mprox0. Both times are printed, not compared
# (that is for make bench).
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

# 20 on the debug kernel: the password checks are the proxy's, not the kernel's.
parallel=$(mprox_scale 50 10)
mprox_case_setup mprox0
mprox_dmesg_mark
step "dante with username auth on the proxy host" topo_dante 1081 mproxuser 'pa55:w0rd'
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
page_size=$(stat -c %s "$TOPO_WWW/page.html")
for i in $(seq 1 "$parallel"); do
	printf 'url = "http://10.200.2.2:8080/page.html?%d"\noutput = "/dev/null"\n' "$i"
done >/tmp/mprox-auth-parallel.conf

# parallel DESC CURL_ARGS...: $parallel fetches at once (curl
# --parallel-immediate), every one must be a 200 with the whole page.
parallel() {
	local desc=$1 out rc good t0 ms
	shift
	t0=$(ms_now)
	out=$(topo_ns $TOPO_C curl -sS --no-progress-meter --parallel --parallel-immediate \
		--parallel-max "$parallel" --max-time 120 "$@" \
		-w '%{http_code} %{size_download}\n' -K /tmp/mprox-auth-parallel.conf \
		2>/tmp/mprox-auth-parallel.err)
	rc=$?
	ms=$(($(ms_now) - t0))
	good=$(grep -cx "200 $page_size" <<<"$out")
	echo "# $desc: $good of $parallel in $ms ms (wall clock, curl's start included)"
	if [ "$rc" = 0 ] && [ "$good" = "$parallel" ]; then
		pass "$desc: all $parallel succeed ($ms ms)"
	else
		fail "$desc: $good of $parallel succeeded, curl exit $rc ($ms ms)"
		sed 's/after [0-9]* ms/after N ms/' /tmp/mprox-auth-parallel.err | sort | uniq -c |
			head -n 10 | diag
	fi
}

parallel "natively, curl --socks5 with a password" \
	--socks5 10.200.1.1:1081 --proxy-user 'mproxuser:pa55:w0rd'
check "upstream dante socks5://mproxuser:pa55%3Aw0rd@10.200.1.1:1081 (default timeouts)" \
	mprox_use_upstream mprox0 dante 'socks5://mproxuser:pa55%3Aw0rd@10.200.1.1:1081'
ok=$(mprox_connects mprox0 ok)
parallel "through mprox0"
[ "$(mprox_connects mprox0 ok)" -ge $((ok + parallel)) ] &&
	pass "connects.ok counted all $parallel" ||
	fail "connects.ok went from $ok to $(mprox_connects mprox0 ok), want +$parallel"
echo "# connects: $(mprox_connects_json mprox0)"
n=$(mprox_stat mprox0 config.upstreams.0.auth_failed)
[ "$n" = 0 ] && pass "dante refused no password" || fail "auth_failed: $n"
check_flows_drain mprox0 60
mprox_check_dmesg "tcp-auth-parallel"
mprox_case_teardown
plan "$tap_n"
tap_exit
