#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mprox0 under load and torn down under load: thousands of short
# connections one after another, iperf3 both ways with one and four
# streams, then the device deleted and the module unloaded while a download
# runs, and the client's network namespace deleted while a download runs.
# The harness fails the run on any WARN, KASAN or lockdep report.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

# The stock guest (TCG, sharing the host with the debug guest under make
# check) manages 15 to 45 connections a second through mprox0 and
# microsocks, the debug guest about 10: 2,000 and 300 fit in the case's
# time (kmemleak then looks for anything they left behind). 10,000 is
# MPROX_CONNS=10000 make check-vm CASES=tcp-stress KERNELS=stock.
# case-timeout: 900
conns=${MPROX_CONNS:-$(mprox_scale 2000 300)}
conns_deadline=$((conns / 5 + 60))
iperf_s=$(mprox_scale 3 2)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: $conns sequential connections" \
	"(within ${conns_deadline}s), iperf3 runs of ${iperf_s}s"

mprox_case_setup echo mprox0
# Big enough to take a while at 1 MB/s, small enough to finish before
# curl's --max-time if nothing stopped it.
head -c 20M /dev/urandom >"$TOPO_WWW/big"
topo_spawn $TOPO_S iperf3 -s -p 5201
step "iperf3 server on the server host" wait_for 20 topo_listening $TOPO_S 5201

# Short connections, one after another: connect, echo a line, close.
total0=$(mprox_stat mprox0 stats.flows.total 2>/dev/null)
out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" many 10.200.2.2 7007 "$conns" "$conns_deadline" \
	2>/tmp/mprox-many.err)
# Known issue: one connection in 2,000 was reset once, with both guests
# running, before the relay became zero-copy; not seen since, in 22,000.
# Its cause was not found, so it is tolerated up to one per thousand and
# always shown.
if [ $? = 0 ]; then
	pass "$conns sequential connections: $out"
	if grep -q '^connection ' /tmp/mprox-many.err; then
		grep '^connection ' /tmp/mprox-many.err | diag
		mprox_reset_diag mprox0
	fi
else
	fail "$conns sequential connections: $out"
	grep -v '^#' /tmp/mprox-many.err | head -n 5 | diag
	mprox_reset_diag mprox0
fi
grep '^#' /tmp/mprox-many.err
check_flows_drain mprox0 60
total=$(mprox_stat mprox0 stats.flows.total 2>/dev/null)
[ $((${total:-0} - ${total0:-0})) -ge "$conns" ] &&
	pass "flows.total counted them (${total0:-?} -> $total)" ||
	fail "flows.total went from '$total0' to '$total', want +$conns"

# iperf3: exit 0 and a non-zero rate from its JSON, each way, 1 and 4 streams.
for args in "" "-R" "-P 4" "-P 4 -R"; do
	# shellcheck disable=SC2086
	out=$(topo_ns $TOPO_C iperf3 -c 10.200.2.2 -p 5201 -t "$iperf_s" --connect-timeout 10000 \
		--json $args 2>&1)
	rc=$?
	bps=$(python3 -c '
import json, sys
print(int(json.loads(sys.argv[1])["end"]["sum_received"]["bits_per_second"]))
' "$out" 2>/dev/null)
	if [ "$rc" = 0 ] && [ "${bps:-0}" -gt 0 ]; then
		pass "iperf3 ${args:-(one stream)}: $((bps / 1000000)) Mbit/s"
	else
		fail "iperf3 ${args:-(one stream)}: exit $rc, bits_per_second '$bps'"
		grep -E '"error"' <<<"$out" | head -n 3 | diag
	fi
done
check_flows_drain mprox0 60 "flows drain to 0 after iperf3"

# bg_download NAME: curl the big file slowly in the background, into
# /tmp/mprox-NAME.out, and its exit status into /tmp/mprox-NAME.rc.
bg_download() {
	rm -f "/tmp/mprox-$1.out" "/tmp/mprox-$1.rc"
	(
		topo_ns $TOPO_C curl -sS --connect-timeout 15 --max-time 30 --limit-rate 1M \
			-o "/tmp/mprox-$1.out" http://10.200.2.2:8080/big 2>/dev/null
		echo $? >"/tmp/mprox-$1.rc"
	) &
}
downloading() {
	[ "$(stat -c %s "/tmp/mprox-$1.out" 2>/dev/null || echo 0)" -gt 262144 ]
}

# The device deleted and the module unloaded while a download runs. The
# driver resets the application's connections as the device goes, so curl
# fails at once (connection reset), neither completing nor stalling until
# its own --max-time (exit 28).
# curl reads at 1 MB/s and sees the reset only after it has read what its
# socket had already received: a small receive buffer keeps that short, so
# the time measured is the driver's (autotuned to 6 MB, the buffer alone
# took 4-10 s to drain).
reset_ms=$(mprox_scale 10000 30000)
check "client receive buffers at most 256 KiB" \
	topo_ns $TOPO_C sysctl -qw net.ipv4.tcp_rmem="4096 65536 262144"
bg_download rmmod
if wait_for 30 downloading rmmod; then pass "a download through mprox0 under way"; else
	fail "a download through mprox0 under way"; fi
t0=$(ms_now)
check "ip link del mprox0 during the download" topo_ns $TOPO_C ip link del mprox0
check "rmmod mprox during the download" rmmod mprox
check "the module is gone" test ! -e /sys/module/mprox
wait_for 35 test -s /tmp/mprox-rmmod.rc
ms=$(($(ms_now) - t0))
rc=$(cat /tmp/mprox-rmmod.rc 2>/dev/null)
size=$(stat -c %s /tmp/mprox-rmmod.out 2>/dev/null)
if [ -n "$rc" ] && [ "$rc" != 0 ] && [ "$rc" != 28 ] && [ "$ms" -le "$reset_ms" ]; then
	pass "the download fails at once (curl exit $rc, $ms ms after ip link del, $size bytes)"
else
	fail "the download: curl exit '${rc:-still running}' $ms ms after ip link del, $size bytes;" \
		"want a reset within $reset_ms ms"
fi

# The client's namespace deleted while a download runs: its processes
# killed, its name removed; the kernel tears the namespace down (and the
# device and flows in it) on its own time, after which rmmod must work.
check "insmod again" mprox_load
step "mprox0 up again" mprox_up mprox0
check "upstream p1 again" mprox_upstream mprox0 p1 socks5://10.200.1.1:1080
bg_download netns
if wait_for 30 downloading netns; then pass "a download through the new mprox0 under way"; else
	fail "a download through the new mprox0 under way"; fi
delete_client() {
	ip netns pids $TOPO_C | xargs -r kill -KILL
	ip netns del $TOPO_C
}
check "delete the client namespace during the download" delete_client
check "the download's curl is gone" wait_for 10 test -s /tmp/mprox-netns.rc
# Namespace teardown is asynchronous (cleanup_net): rmmod may be retried
# until it is done, never forced.
check "rmmod mprox after the namespace is gone" wait_for 30 mprox_unload
check "the module is gone" test ! -e /sys/module/mprox

topo_down
plan "$tap_n"
tap_exit
