#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# The relay must not pin memory nobody is charged for (issue "Hardening",
# review finding 1). skb_send_sock_locked() passes the page fragments of a
# source skb on to the sink by reference and charges the sink only their
# bytes; when each fragment is a page holding a small segment, the pages
# stay pinned, in the sink's queue and then in the application's receive
# queue (clones of the sink's skbs, with their small truesize), at several
# times what TCP sees. driver/relay.c copies such skbs instead
# (mprox_relay_wasteful()).
#
# The same transfer twice, to a client that never reads: N connections of
# B bytes each from a server on the server host (progs/fill.c), once with
# the client speaking SOCKS5 itself to microsocks (the baseline: what the
# kernel holds is charged to some socket and bounded by its buffers), once
# plainly through mprox0. The guest's memory rise is measured from before
# the connections to when every queue on the way has stopped moving, and
# through mprox0 it must be under twice the baseline's, and so must what
# holding the data costs beyond the data (the rise less the bytes sent,
# all of which sit in some buffer since nothing reads them). Then
# everything is closed: the memory comes back and the flows drain.
#
# Each received segment must sit in a buffer of its own, as a NIC's receive
# ring gives it. Over plain veth the receiver gets the sender's skbs, whose
# fragments are packed densely in the sender's page_frag, and referencing
# them pins about what they are charged. A native XDP program on the
# client's veth (c0, where the driver's upstream socket receives) makes
# veth_xdp_rcv_skb() copy every packet into a page of its own
# (veth_convert_skb_to_xdp_buff()), so both runs attach lib/xdp-pass.bpf.c
# (XDP_PASS), built here with clang. A kernel without the bpf() syscall
# (the debug kernel: allnoconfig has no CONFIG_BPF_SYSCALL) cannot attach
# it; there the transfers still run and the memory must still come back,
# and the two comparisons are skipped.
#
# Not the issue's 1-byte segments, for two reasons found by measuring.
# microsocks does not set TCP_NODELAY: whatever the server sends, the
# client host gets one small segment per round trip, which the relay has
# read before the next one arrives, and a lone segment copied by XDP is
# linear data in its page, which skb_send_sock_locked() copies anyway.
# And segments that do queue up are merged by TCP (skb_try_coalesce())
# into the tailroom of the first one's page while they fit; only those
# that no longer fit have their page stolen as a fragment, the thing the
# relay would pass on by reference. (8 connections of 8,000 1-byte sends,
# with XDP, cost no more with the relay made to reference every skb than
# with the fix, within the measurement's noise.) So the server sends in
# bulk, 16 KiB per send(): microsocks then sends full segments in bursts,
# clocked by ACKs and received in one NAPI poll, which TCP coalesces (and
# GRO merges) by stealing their pages. The client-proxy link has
# an MTU of 576, IPv4's minimum datagram size, so that a segment carries
# 524 bytes in its 4 KiB page. (Below 1280, c0 and p0 lose IPv6: this
# case uses IPv4 only.)
#
# Scaled: 32 connections of 1 MiB (8 of 256 KiB on the debug kernel), not
# the issue's 50 of 200,000 1-byte sends, ten million segments through
# three hosts' stacks, hours in a TCG guest. 1 MiB a connection is about
# what the baseline holds before its buffers fill; mprox0's sink takes
# more (its send buffer grows to 2.5 MiB), and a bigger transfer would
# compare mprox0 holding more data against a baseline that stopped taking
# it. About a minute on
# an idle host. Measured on stock 6.1: the rise is 74-98% of the baseline's
# and 24-28% of its cost beyond the data; with mprox_relay_wasteful()
# made to return false, 223-265% and 350-520%.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

FILL=${MPROX_PROGS:-$MPROX_LIB/../../../build/progs}/fill
conns=$(mprox_scale 32 8)
bytes=$(mprox_scale 1048576 262144)
chunk=16384
mtu=576
port=9000
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: $conns connections of $bytes bytes, $chunk per send, MTU $mtu between client and proxy"

mprox_case_setup mprox0

# kB in use: MemTotal - MemAvailable after dropping the page cache and
# reclaimable slab (starting programs leaves some), less the pages on the
# per-CPU free lists (/proc/zoneinfo "count:"), which are free memory that
# MemAvailable leaves out and which swing by tens of MB between readings.
#
# Skbs that a socket's reader frees on a CPU other than the one that
# allocated them wait on that CPU's list (skb_attempt_defer_free(), up to
# 64 of them) until it next runs network receive, which an idle guest may
# not do for minutes. The relay reads its upstream sockets in a worker, so
# it leaves some on the other CPU's list, here each with a page per
# 524-byte segment: 26 MB twice in CI, "not back after close" and counted
# as the run's cost too. Freed memory that nobody holds: each reading
# first receives a packet on every CPU, which frees them. The baseline's
# client never reads, so it leaves none.
page_kb=$(($(getconf PAGESIZE) / 1024))
flush_deferred_frees() {
	local cpu
	for ((cpu = 0; cpu < $(getconf _NPROCESSORS_ONLN); cpu++)); do
		topo_ns $TOPO_C taskset -c $cpu bash -c 'echo >/dev/udp/127.0.0.1/9'
	done
}
mem_now() {
	flush_deferred_frees
	mem_used
}
mem_used() {
	local pcp
	sync
	echo 3 >/proc/sys/vm/drop_caches
	pcp=$(awk -v kb="$page_kb" '$1 == "count:" { s += $2 } END { print s * kb }' /proc/zoneinfo)
	awk -v pcp="$pcp" '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 } END { print t - a - pcp }' /proc/meminfo
}
mem_below() {
	[ "$(mem_now)" -le "$1" ]
}
# What TCP has charged for its buffers, in kB (/proc/net/sockstat's pages).
tcp_charged() {
	awk -v kb="$page_kb" '/^TCP:/ { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) * kb }' /proc/net/sockstat
}
# The bytes queued in each host's sockets, to receive and to send: equal
# across a second when the data has come to rest (the server done, the
# client not reading, every buffer that can take more having taken it).
# The second is the measurement's window, not a wait for something.
queues() {
	local ns
	for ns in $TOPO_C $TOPO_P $TOPO_S; do
		topo_ns "$ns" ss -tnH | awk '{ r += $2; s += $3 } END { printf "%d/%d ", r, s }'
	done
}
queues_still() {
	local a
	a=$(queues)
	sleep 1
	[ "$a" = "$(queues)" ]
}

xdp_obj=/tmp/mprox-xdp-pass.o
xdp=0
if ! out=$(${CLANG:-clang-14} -O2 -target bpf -c "$MPROX_LIB/xdp-pass.bpf.c" -o "$xdp_obj" 2>&1); then
	fail "build the XDP program with clang"
	diag <<<"$out"
elif out=$(topo_ns $TOPO_C ip link set dev c0 xdp obj "$xdp_obj" sec xdp 2>&1); then
	xdp=1
	pass "XDP_PASS on c0: each packet the client host receives gets a page of its own"
elif [ ! -e /proc/sys/kernel/unprivileged_bpf_disabled ]; then
	pass "no bpf() syscall on this kernel, so no XDP: received packets keep the sender's buffers"
else
	fail "attach XDP_PASS to c0"
	diag <<<"$out"
fi
set_mtu() {
	topo_ns $TOPO_C ip link set dev c0 mtu "$1" && topo_ns $TOPO_P ip link set dev p0 mtu "$1"
}
check "MTU $mtu on c0 and p0" set_mtu $mtu

# fill_run NAME [PROXY]: the server sends $conns connections $bytes bytes
# each; the client connects (through SOCKS5 PROXY:1080 itself, or plainly,
# into mprox0) and never reads. Sets rise (kB, the memory rise once the
# data is at rest), sent (bytes the server got out, all of them held in
# some buffer on the way since nothing reads them) and over (kB: rise less
# sent, what holding the data costs beyond the data). Two results: the
# transfer, and the memory back to where it was once everything is closed.
rise=0
sent=0
over=0
fill_run() {
	local name=$1 proxy=${2:-} progress status flag before slack spid cpid t0
	local how min max queued deferred
	progress=/tmp/mprox-fill-$name.progress
	status=/tmp/mprox-fill-$name.status
	flag=/tmp/mprox-fill-$name.flag
	rm -f "$progress" "$status" "$flag"
	rise=0
	sent=0
	over=0
	topo_spawn $TOPO_S "$FILL" server $port "$conns" "$bytes" $chunk "$progress" "$flag"
	spid=${topo_pids[-1]}
	if ! wait_for 30 topo_listening $TOPO_S $port; then
		fail "$name: the server listens"
		touch "$flag"
		return 1
	fi
	before=$(mem_now)
	mem_snapshot >/tmp/mprox-fill-$name.before
	t0=$SECONDS
	topo_spawn $TOPO_C "$FILL" client 10.200.2.2 $port "$conns" "$status" "$flag" \
		${proxy:+"$proxy" 1080}
	cpid=${topo_pids[-1]}
	if wait_for 120 grep -q '^done' "$progress" && wait_for 60 queues_still; then
		rise=$(($(mem_now) - before))
		read -r _ sent how min max <"$progress"
		read -r _ queued <"$status"
		over=$((rise - sent / 1024))
		pass "$name: $sent bytes sent ($how, $min..$max a connection), $queued of them delivered unread, after $((SECONDS - t0)) s: memory +$rise kB, $over kB beyond the data; TCP charged $(tcp_charged) kB"
		mem_grown /tmp/mprox-fill-$name.before
	else
		fail "$name: the transfer did not come to rest: $(cat "$progress" 2>&1), queues $(queues)"
		diag <"$(topo_last_log)"
	fi
	touch "$flag"
	wait "$cpid" "$spid"
	# Readings differ by a few MB anyway; worth a line when it is more.
	deferred=$(($(mem_used) - $(mem_now)))
	[ "$deferred" -lt 8192 ] ||
		diag <<<"$name: freeing the CPUs' deferred skbs gave back $deferred kB"
	# Closing a socket with unread data resets it: all of this goes at
	# once, but for what the kernel keeps cached (slab, page fragments).
	slack=$((rise / 4 > 16384 ? rise / 4 : 16384))
	if wait_for 60 mem_below $((before + slack)); then
		pass "$name: memory back after close ($(($(mem_now) - before)) kB over, $slack allowed)"
		mem_grown /tmp/mprox-fill-$name.before
	else
		fail "$name: memory not back after close: $(($(mem_now) - before)) kB over, $slack allowed"
		mem_diag
		mem_grown /tmp/mprox-fill-$name.before
		# Whether it comes back late (a timer: the FIN timeout is 60 s)
		# or not at all (a leak): what to look at next.
		t0=$SECONDS
		if wait_for 120 mem_below $((before + slack)); then
			diag <<<"memory back $((SECONDS - t0)) s later"
		else
			diag <<<"memory still not back $((SECONDS - t0)) s later"
			mem_diag
		fi
	fi
}

# Every counter of /proc/meminfo (kB) and /proc/vmstat's nr_ ones (pages,
# here in kB) as "name kB" lines, to compare before and after a run.
mem_snapshot() {
	awk '{ sub(":", "", $1); print "meminfo." $1, $2 }' /proc/meminfo
	awk -v kb="$page_kb" '/^nr_/ { print "vmstat." $1, $2 * kb }' /proc/vmstat
}
# mem_grown FILE: the counters that moved by more than 1 MB since FILE's
# snapshot, both ways: where the memory that did not come back went.
mem_grown() {
	mem_snapshot | awk 'NR == FNR { b[$1] = $2; next }
		($1 in b) && ($2 - b[$1] > 1024 || b[$1] - $2 > 1024) {
			printf "%s %+d kB, ", $1, $2 - b[$1] }
		END { print "" }' "$1" - | sed 's/^/moved since before: /' | diag
}

# What holds memory when it does not come back: the flows left, each
# host's sockets by state with their queues and charges, TCP's pages, and
# the kernel's unreclaimable memory by kind.
mem_diag() {
	local ns
	{
		echo "flows: $(mprox_stat mprox0 stats.flows 2>&1)"
		mprox_conns mprox0 2>&1 | head -n 5
		for ns in $TOPO_C $TOPO_P $TOPO_S; do
			echo "$ns: $(topo_ns "$ns" ss -tanmH | awk '
				/^[A-Z]/ { n[$1]++; r += $2; s += $3 }
				/skmem/ { if (match($0, /r[0-9]+,/)) m += substr($0, RSTART + 1, RLENGTH - 2)
					if (match($0, /,t[0-9]+,/)) m += substr($0, RSTART + 2, RLENGTH - 3) }
				END { for (k in n) printf "%s %d, ", k, n[k]
					printf "queued %d/%d, charged %d", r, s, m }')"
		done
		echo "TCP charged $(tcp_charged) kB; $(grep -E '^(TCP|TCP6):' /proc/net/sockstat | tr '\n' ' ')"
		grep -E '^(Slab|SUnreclaim|KernelStack|PageTables|Percpu|AnonPages|Shmem|Buffers|Cached):' /proc/meminfo | tr -s ' ' | tr '\n' ' '
		echo
		echo "largest slab caches (kB): $(awk 'NR > 2 { print $1, int($3 * $4 / 1024) }' /proc/slabinfo |
			sort -k2 -nr | head -n 6 | tr '\n' ' ')"
	} | diag
}

flows_before=$(mprox_stat mprox0 stats.flows.total)
fill_run socks5 10.200.1.1
base_rise=$rise
base_sent=$sent
base_over=$over
flows=$(mprox_stat mprox0 stats.flows.total)
[ "$flows" = "$flows_before" ] && pass "the baseline did not go through mprox0" ||
	fail "the baseline made flows in mprox0 ($flows_before -> $flows)"

fill_run mprox
check_flows_drain mprox0 60

# Two comparisons. The issue's: the memory rise. But the baseline stops
# taking data when its buffers are full (the client's window, microsocks'
# queues; how much varies), while mprox0's sink takes more, so the second
# compares what holding the data costs beyond the data itself, which does
# not depend on how much each run took.
skip=""
[ "$xdp" = 1 ] || skip=" # SKIP no XDP on this kernel"
desc="mprox0 +$rise kB for $sent bytes, SOCKS5 in the app +$base_rise kB for $base_sent bytes"
if [ -n "$skip" ]; then
	pass "$desc$skip"
elif [ "$base_rise" -gt 0 ] && [ "$sent" -gt 0 ] && [ "$rise" -lt $((2 * base_rise)) ]; then
	pass "under twice the baseline: $desc ($((rise * 100 / base_rise))%)"
else
	fail "$desc: want under twice, of a run that sent data"
fi
desc="beyond the data: mprox0 $over kB, SOCKS5 in the app $base_over kB"
if [ -n "$skip" ]; then
	pass "$desc$skip"
elif [ "$base_over" -gt 0 ] && [ "$sent" -gt 0 ] && [ "$over" -lt $((2 * base_over)) ]; then
	pass "under twice the baseline $desc ($((over * 100 / base_over))%)"
else
	fail "$desc: want under twice"
fi

mprox_case_teardown
plan "$tap_n"
tap_exit
