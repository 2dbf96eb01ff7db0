#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, in the stock test guest: one application (tcpbench) reaching
# a server over the test network (tests/integration/lib/topology.sh):
#   direct      routed through the proxy host, which forwards for this mode
#               and the next only (a reference: no proxy at all)
#   mdirect     the same path, but routed into mprox0, whose rule sends
#               every flow "direct": the driver connects to the server
#               itself. No proxy either, so mdirect/direct is mprox0's own
#               cost (the second TCP connection and the relay)
# and, for each upstream protocol P of BENCH_PROTOS (default all four:
# "socks5d socks5 http socks4"), through one proxy on the proxy host,
#   app_P       the application speaks P itself to that proxy (tcpbench
#               --socks5, --http, --socks4)
#   mprox_P     the same application with no proxy code, routed into
#               mprox0, whose one upstream is that proxy with protocol P
#   spares_P    the same as mprox_P with "set spare_conns $SPARES" (2)
#               (docs/upstreams.md, "Spare connections"): setup latency,
#               connections per second and CPU only, as spares change
#               nothing once a connection is set up
#   pc_P        (socks5d, socks5 and http) the same application, unchanged,
#               under proxychains4 (LD_PRELOAD: its connect() speaks P)
#   redsocks_P  (socks5d, socks5 and http) the same application, unchanged, its
#               connections redirected (an nftables redirect rule, as
#               iptables' REDIRECT) to redsocks in the client namespace,
#               which relays them through the proxy in userspace
#   rules_P     (socks5 only) the same as mprox_P with ten rules that the
#               flows pass over and four upstreams, all the same proxy, to
#               balance among (docs/routing.md, "Choosing an upstream"):
#               what a busy configuration costs against mprox_P's one
#               upstream
# The proxies: dante for SOCKS5 (socks5d) and SOCKS4 (10.200.1.1:1085, no
# authentication), microsocks for SOCKS5 (socks5, 10.200.1.1:1080),
# tinyproxy for HTTP CONNECT (10.200.1.1:8888); each is first proven with
# curl alone.
#
# Measured for each mode: single- and 4-stream throughput in each
# direction; connection setup latency (socket() to the last byte of the
# answer: connect, the proxy handshake if any, request, response) p50/p99;
# connections per second, 4 at a time (connect, handshake, request,
# response, close, as fast as they go); 1-byte request/response latency
# on an established connection p50/p99; and the guest's CPU time per
# connection and per GB moved, system-wide from /proc/stat
# (user+nice+system+irq+softirq) over the latency connections (and, shown
# too, the 4-parallel ones) and the throughput runs.
# Within a protocol app_P, mprox_P and spares_P run alternately, run by
# run, so that a change of load on the host hits them alike; latency and
# connections per second are pooled from $ROUNDS rounds. The table gives,
# per protocol, the ratios mprox/app and spares/app against the targets of
# the issue "Engine" (docs/performance.md). A benchmark, not a test: a
# missed target is reported, never a failure; a mode that cannot be
# measured at all (errors, timeouts) is a failure.
#
# Then, for socks5d, the kernel memory of idle connections: BENCH_IDLE
# (default "1000 10000") connections, each used once and left idle, held
# open by the application speaking SOCKS5 itself and then through mprox0
# (tcpbench --hold); what the kernel's slab caches and TCP socket memory
# grew by while they were open, per connection, per mode. mprox0's costs
# beyond the application's own are its two sockets per connection (the
# accepted one and the one to the proxy) and everything else it keeps.
#
# With BENCH_PERF=1, after the measurements of direct and mdirect, then of
# socks5d, the whole guest is profiled (perf record -a -g, cpu-clock) during
# one more download run, one more request/response run and one more
# connections-per-second run of direct and mdirect, then of app_socks5d and
# mprox_socks5d, and the top of each profile is printed, by symbol and by
# task: where the CPU goes, not a figure (the profiler's own cost is in it).
#
# BENCH_BYTES (bytes per throughput run, default 100000000), BENCH_CONNS
# (connections of the latency runs of each mode, default 500), BENCH_CPS
# (connections of the connections-per-second runs of each mode, default
# 500) and BENCH_PROTOS come from the host through build/bench/params
# (written by make bench).
. "$(dirname "$0")/../integration/lib/tap.sh"
. "$(dirname "$0")/../integration/lib/topology.sh"
trap topo_down EXIT

bin=$MPROX_TOP/build/bench
params=$bin/params
# shellcheck source=/dev/null
[ -r "$params" ] && . "$params"
BENCH_BYTES=${BENCH_BYTES:-100000000}
BENCH_CONNS=${BENCH_CONNS:-500}
BENCH_CPS=${BENCH_CPS:-500}
BENCH_PROTOS=${BENCH_PROTOS:-socks5d socks5 http socks4}
BENCH_IDLE=${BENCH_IDLE-1000 10000}
BENCH_PERF=${BENCH_PERF:-0}
BENCH_DNS=${BENCH_DNS:-1000}
# UDP associations held open at once to measure their memory (with BENCH_UDP).
BENCH_ASSOC=${BENCH_ASSOC:-1000}
# make bench BENCH_BASE=REV: REV's module (tests/vm/build-bench-base.sh), measured
# as base_P and basespares_P beside mprox_P and spares_P, the two modules
# loaded in turn, run by run.
BENCH_BASE_KO=${BENCH_BASE_KO:-}
# 1: UDP throughput through dante's relay against direct routing (iperf3 -u)
BENCH_UDP=${BENCH_UDP:-1}
# 1-byte exchanges on an established connection, per mode (--rr)
BENCH_RR=${BENCH_RR:-1000}
SERVER=10.200.2.2:5300
ROUNDS=5
TPUT_ROUNDS=3
CPS_PARALLEL=4
# The spare_conns of the *spares_* modes.
SPARES=2

# Each protocol's proxy: address, the program, the upstream URL scheme and
# tcpbench's option for speaking it.
# socks5d: SOCKS5 through dante, the upstream the tools are compared on
# (microsocks, a thread per client, is the bottleneck of every client).
declare -A proxy=([socks5d]=10.200.1.1:1085 [socks5]=10.200.1.1:1080 [http]=10.200.1.1:8888
	[socks4]=10.200.1.1:1085)
declare -A proxy_name=([socks5d]=dante [socks5]=microsocks [http]=tinyproxy [socks4]=dante)
declare -A proto_title=([socks5d]="SOCKS5 (dante)" [socks5]="SOCKS5 (microsocks)"
	[http]="HTTP CONNECT" [socks4]=SOCKS4)
declare -A option=([socks5d]=--socks5 [socks5]=--socks5 [http]=--http [socks4]=--socks4)
declare -A scheme=([socks5d]=socks5 [socks5]=socks5 [http]=http [socks4]=socks4)
# The SOCKS5 protocols and HTTP CONNECT also measure proxychains4 and
# redsocks (pc_P, redsocks_P), each redsocks on its own port; their names
# for the protocol.
declare -A redsocks_port=([socks5d]=12346 [socks5]=12345 [http]=12347)
declare -A pc_type=([socks5d]=socks5 [socks5]=socks5 [http]=http)
declare -A redsocks_type=([socks5d]=socks5 [socks5]=socks5 [http]=http-connect)
for p in $BENCH_PROTOS; do
	[ -n "${proxy[$p]:-}" ] || {
		fail "BENCH_PROTOS: no protocol '$p' (socks5d socks5 http socks4)"
		tap_exit
	}
done

results=/tmp/mprox-bench.results
: >"$results"
rm -f /tmp/mprox-bench.*.samples /tmp/mprox-bench.*.rrsamples

# Options of tcpbench for each mode ("direct" and app_P; mprox_P and
# spares_P have none).
declare -A via=([direct]="")
for p in $BENCH_PROTOS; do
	via[app_$p]="${option[$p]} ${proxy[$p]}"
done
declare -A broken=()
# What runs the application in pc_P: proxychains4 with its own
# configuration (bench_proxychains).
declare -A wrap=()
for p in "${!redsocks_port[@]}"; do
	wrap[pc_$p]="proxychains4 -q -f /tmp/mprox-bench-proxychains-$p.conf"
done

# run_tcpbench MODE ARGS...: the benchmark's client as MODE runs it (under
# its wrapper, speaking its proxy protocol), to the benchmark's server.
run_tcpbench() {
	local mode=$1
	shift
	# shellcheck disable=SC2086 # the wrapper and the option are words
	topo_ns $TOPO_C ${wrap[$mode]:-} "$bin/tcpbench" client $SERVER ${via[$mode]:-} "$@"
}

# tput MODE STREAMS DIR BYTES: one throughput run; its bytes and seconds
# to $results ("MODE DIR_STREAMS_bytes B", "MODE DIR_STREAMS_s S").
tput() {
	local mode=$1 streams=$2 dir=$3 bytes=$4 out line
	[ -z "${broken[$mode]:-}" ] || return 0
	out=$(run_tcpbench "$mode" --streams "$streams" \
		--dir "$dir" --bytes "$bytes" --timeout 30 2>&1)
	echo "$out" | sed "s/^/#   $mode: /"
	line=$(grep '^throughput ' <<<"$out")
	if [ -n "$line" ]; then
		printf '%s %s_%s_bytes %s\n%s %s_%s_s %s\n%s tput_ticks %s\n%s tput_bytes %s\n' \
			"$mode" "$dir" "$streams" "$bytes" "$mode" "$dir" "$streams" \
			"$(field seconds "$line")" "$mode" "$(field cpu_ticks "$line")" "$mode" "$bytes" \
			>>"$results"
		echo "$mode r_${dir}_$streams $(field rate_MBps "$line")" >>"$results"
	else
		broke "$mode"
	fi
}

# field NAME LINE: the value of NAME=... in a tcpbench result line.
field() {
	sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"
}

# lat MODE N: N setup-latency samples, added to /tmp/mprox-bench.MODE.samples;
# the CPU they took to $results ("MODE lat_ticks T", "MODE lat_n N").
lat() {
	local mode=$1 n=$2 out line
	[ -z "${broken[$mode]:-}" ] || return 0
	out=$(run_tcpbench "$mode" --latency "$n" \
		--samples --timeout 30 2>&1)
	grep -v '^sample ' <<<"$out" | sed "s/^/#   $mode: /"
	line=$(grep '^latency ' <<<"$out")
	if [ -n "$line" ]; then
		grep '^sample ' <<<"$out" >>"/tmp/mprox-bench.$mode.samples"
		printf '%s lat_ticks %s\n%s lat_n %s\n%s lat_s %s\n' "$mode" \
			"$(field cpu_ticks "$line")" "$mode" "$n" "$mode" "$(field seconds "$line")" \
			>>"$results"
		echo "$mode r_p50 $(field p50_us "$line")" >>"$results"
	else
		broke "$mode"
	fi
}

# rr MODE N: N 1-byte request/response exchanges on one connection, each
# timed, added to /tmp/mprox-bench.MODE.rrsamples.
rr() {
	local mode=$1 n=$2 out line
	[ -z "${broken[$mode]:-}" ] || return 0
	out=$(run_tcpbench "$mode" --rr "$n" \
		--samples --timeout 30 2>&1)
	grep -v '^rrsample ' <<<"$out" | sed "s/^/#   $mode: /"
	line=$(grep '^rr ' <<<"$out")
	if [ -n "$line" ]; then
		grep '^rrsample ' <<<"$out" >>"/tmp/mprox-bench.$mode.rrsamples"
		echo "$mode r_rr50 $(field p50_us "$line")" >>"$results"
	else
		broke "$mode"
	fi
}

# cps MODE N: N connections, $CPS_PARALLEL at a time; the time and CPU to
# $results ("MODE cps_n N", "MODE cps_s SECONDS", "MODE cps_ticks T").
cps() {
	local mode=$1 n=$2 out line
	[ -z "${broken[$mode]:-}" ] || return 0
	out=$(run_tcpbench "$mode" --cps "$n" \
		--streams $CPS_PARALLEL --timeout 30 2>&1)
	echo "$out" | sed "s/^/#   $mode: /"
	line=$(grep '^cps ' <<<"$out")
	if [ -n "$line" ]; then
		printf '%s cps_n %s\n%s cps_s %s\n%s cps_ticks %s\n' "$mode" "$n" \
			"$mode" "$(field seconds "$line")" "$mode" "$(field cpu_ticks "$line")" >>"$results"
		echo "$mode r_cps $(field rate_cps "$line")" >>"$results"
	else
		broke "$mode"
	fi
}

spare_conns() {
	echo "set spare_conns $1" | topo_ns $TOPO_C "$bin/mprox-ctl" mprox0
}

# spares_ready N: mprox0 has N spare connections ready.
spares_ready() {
	topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 --status | jq -e ".stats.spares.ready >= $1" >/dev/null
}

# spares_on: spare_conns $SPARES, and all of them ready before anything is
# measured. Spares follow demand (upstreams.md): one connection asks for them.
spares_on() {
	spare_conns $SPARES &&
		topo_ns $TOPO_C "$bin/tcpbench" client $SERVER --latency 1 >/dev/null &&
		wait_for 30 spares_ready $SPARES
}

# mprox0_create: mprox0 in the client namespace, up.
mprox0_create() {
	topo_ns $TOPO_C ip link add mprox0 type mprox &&
		topo_ns $TOPO_C ip link set mprox0 up
}

# own_driver: with BENCH_BASE, this tree's module freshly loaded for an
# mprox0 mode (load_driver); without, nothing to do.
own_driver() {
	[ -z "$BENCH_BASE_KO" ] || load_driver "$MPROX_KO"
}

# load_driver KO: mprox0 as section (b) has it (the route into it, the one
# upstream $url, no spares) on module KO, freshly loaded, and used for a few
# connections. With BENCH_BASE, every mode on mprox0 starts so, the base's
# and this tree's alike: neither is measured on a module warmed by more
# runs. The loaded module's version must be KO's: the base's is "base-" and
# its commit (build-bench-base.sh).
declare -A ko_version=()
load_driver() {
	local ko=$1 got
	# A swap that failed half-way may have left neither.
	! topo_ns $TOPO_C ip link show mprox0 >/dev/null 2>&1 ||
		topo_ns $TOPO_C ip link del mprox0 || return 1
	[ ! -d /sys/module/mprox ] || rmmod mprox || return 1
	insmod "$ko" || return 1
	got=$(cat /sys/module/mprox/version)
	if [ "$got" != "${ko_version[$ko]}" ]; then
		echo "# $ko: loaded version $got, not ${ko_version[$ko]}"
		rmmod mprox
		return 1
	fi
	mprox0_create &&
		topo_ns $TOPO_C ip route add 10.200.2.0/24 dev mprox0 &&
		upstreams "$url" && spare_conns 0 &&
		topo_ns $TOPO_C "$bin/tcpbench" client $SERVER --latency 10 >/dev/null
}

# upstreams URL [N]: mprox0's configuration for mprox_P (one upstream) or,
# with N = 4, for rules_P: ten rules, none of which the benchmark's flows
# (uid 0, to 10.200.2.2 port 5300) match, each passed over for another
# reason, then N upstreams of equal weight, all URL, to balance among.
upstreams() {
	local url=$1 n=${2:-1} i
	{
		echo "rule flush"
		echo "upstream flush"
		for i in $(seq "$n"); do
			echo "upstream add p$i $url"
		done
		if [ "$n" -gt 1 ]; then
			for i in 1 2 3 4; do
				echo "rule add to 10.$((100 + i)).0.0/16 upstream p$i"
			done
			echo "rule add port 1-5299 upstream p1"
			echo "rule add port 5301-65535 upstream p2"
			echo "rule add from 10.99.0.0/16 reject"
			echo "rule add uid 1000-60000 priority 0"
			echo "rule add proto udp reject"
			echo "rule add to 10.200.2.3/32 direct"
		fi
	} | topo_ns $TOPO_C "$bin/mprox-ctl" mprox0
}

# rules_spread URL: with upstreams' busy configuration, 8 connections pass
# over every rule and are spread evenly over the four upstreams (what
# rules_P measured is that path, not a rule's shortcut).
rules_spread() {
	local rc=0
	upstreams "$1" 4 &&
		topo_ns $TOPO_C "$bin/tcpbench" client $SERVER --latency 8 --timeout 30 >/dev/null &&
		topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 --status >/tmp/mprox-bench.json || rc=1
	upstreams "$1" || rc=1
	[ $rc = 0 ] && python3 - /tmp/mprox-bench.json <<'EOF'
import json, sys
ups = json.load(open(sys.argv[1]))["config"]["upstreams"]
ok = {u["name"]: u["connects"]["ok"] for u in ups}
print(f"#   connects ok per upstream: {ok}")
sys.exit(0 if ok == {"p1": 2, "p2": 2, "p3": 2, "p4": 2} else 1)
EOF
}

# enter MODE / leave MODE: mprox0's configuration for MODE around each of
# its runs, and back; for redsocks_P, the redirect rule. Each marks MODE
# broken and fails when it could not.
enter() {
	case $1 in
	mprox_*) own_driver ;;
	spares_*) own_driver && spares_on ;;
	base_*) load_driver "$BENCH_BASE_KO" ;;
	basespares_*) load_driver "$BENCH_BASE_KO" && spares_on ;;
	rules_*) upstreams "$url" 4 ;;
	redsocks_*) redirect "${redsocks_port[${1#redsocks_}]}" ;;
	mdirect) topo_ns $TOPO_C ip route add "${SERVER%:*}/32" dev mprox0 ;;
	esac || break_modes "$1"
}

# A redirect's and a route's leave fails only when one is still there, so
# that it can follow an enter that failed half-way or did nothing; the
# others set mprox0's configuration back, which needs mprox0.
leave() {
	case $1 in
	spares_*) spare_conns 0 ;;
	# The modes that follow, and the sections after, use this tree's.
	base_* | basespares_*) load_driver "$MPROX_KO" ;;
	rules_*) upstreams "$url" ;;
	redsocks_*) redirect off ;;
	mdirect)
		topo_ns $TOPO_C ip route del "${SERVER%:*}/32" dev mprox0 2>/dev/null
		mdirect_route_gone
		;;
	esac || break_modes "$1"
}

# break_modes MODES...: none of MODES is measured further, and each fails
# its "measured" test. Fails, for the callers that stop on it.
break_modes() {
	local m
	for m in "$@"; do
		broken[$m]=1
	done
	return 1
}

mdirect_route_gone() {
	local routes
	routes=$(topo_ns $TOPO_C ip route show to exact "${SERVER%:*}/32") &&
		[ -z "$routes" ]
}

# unleft MODE MODES...: leave MODE failed. What MODE's enter set (spares,
# a redirect, a route, a module), whole or in part, would skew every mode
# after it: none of MODES is measured further, and each fails.
unleft() {
	echo "# undoing $1's setup failed: no mode of this section is measured further"
	shift
	break_modes "$@"
}

# mdirect_connects: mprox0 made direct connections and none failed: what
# mdirect measured went through mprox0.
mdirect_connects() {
	topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 --status | python3 -c '
import json, sys
d = json.load(sys.stdin)["stats"]["direct"]
print("#   direct:", json.dumps(d, separators=(",", ":")))
c = d["connects"]
sys.exit(0 if c.get("ok", 0) > 0 and sum(v for k, v in c.items() if k != "ok") == 0 else 1)'
}

# redirect PORT|off: the client's connections to the benchmark's server
# go to redsocks (127.0.0.1:PORT), as redsocks' documentation sets it up
# with iptables -t nat ... -j REDIRECT, here in nftables; off: the table
# is gone, and they go where the routes say (mprox0).
redirect() {
	if [ "$1" != off ]; then
		topo_ns $TOPO_C nft -f - <<EOF
table ip mprox_bench {
	chain out {
		type nat hook output priority -100;
		ip daddr ${SERVER%:*} tcp dport ${SERVER#*:} redirect to :$1
	}
}
EOF
	else
		topo_ns $TOPO_C nft delete table ip mprox_bench 2>/dev/null
		redirect_gone
	fi
}

redirect_gone() {
	local tables
	tables=$(topo_ns $TOPO_C nft list tables ip) && [[ $tables != *mprox_bench* ]]
}

# redirect_cleared: no redirect is left, one from a section whose leave
# failed (unleft) removed now. Until then every connection through mprox0
# to the server would go to that section's redsocks.
redirect_cleared() {
	redirect_gone || redirect off ||
		{ echo "# a redirect is left, or nft could not tell: nothing through mprox0 is measured" && false; }
}

# bench_proxychains P / bench_redsocks P: proxychains4 and redsocks for
# SOCKS5 protocol P's proxy; both quiet, as the proxies are.
bench_proxychains() {
	local proxy=${proxy[$1]}
	cat >"/tmp/mprox-bench-proxychains-$1.conf" <<EOF
strict_chain
quiet_mode
tcp_read_time_out 15000
tcp_connect_time_out 8000
[ProxyList]
${pc_type[$1]} ${proxy%:*} ${proxy#*:}
EOF
}

bench_redsocks() {
	local conf=/tmp/mprox-bench-redsocks-$1.conf port=${redsocks_port[$1]} proxy=${proxy[$1]}
	cat >"$conf" <<EOF
base {
	log_debug = off;
	log_info = off;
	log = stderr;
	daemon = off;
	redirector = iptables;
}
redsocks {
	local_ip = 127.0.0.1;
	local_port = $port;
	ip = ${proxy%:*};
	port = ${proxy#*:};
	type = ${redsocks_type[$1]};
}
EOF
	topo_spawn $TOPO_C redsocks -c "$conf"
	wait_for 30 topo_listening $TOPO_C "$port"
}

# shuffled SEED MODE...: the modes in an order of SEED's (bash's RANDOM,
# seeded: the same orders in every bench run), so that a mode does not
# always run right after the same one.
shuffled() {
	local -a m=()
	local i j t
	RANDOM=$1
	shift
	m=("$@")
	for ((i = ${#m[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${m[i]} m[i]=${m[j]} m[j]=$t
	done
	echo "${m[@]}"
}

# measure MODE...: every measurement, each run of the modes given back to
# back (so that a change of load on the host hits them alike); throughput
# in $TPUT_ROUNDS rounds, the latency and connections-per-second runs in
# $ROUNDS rounds, pooled, each round in an order of its own. Modes named
# *spares_* run with spare_conns $SPARES, and only those; they have no
# throughput runs. Modes named rules_* run with upstreams' busy
# configuration. A mode that broke is not entered again (a base driver
# that failed to load is not loaded once per run); one whose setup could
# not be undone ends the measurements (unleft).
measure() {
	local -a section=("$@")
	local streams dir mode order round=0
	for _ in $(seq $TPUT_ROUNDS); do
		for streams in 1 4; do
			for dir in down up; do
				round=$((round + 1))
				order=$(shuffled "$round" "$@")
				for mode in $order; do
					[[ $mode == *spares_* ]] && continue
					in_mode "$mode" tput "$mode" $streams $dir \
						$((BENCH_BYTES / TPUT_ROUNDS)) || return 0
				done
			done
		done
	done
	for round in $(seq 0 $((ROUNDS - 1))); do
		for mode in $(shuffled $((100 + round)) "$@"); do
			in_mode "$mode" latency_runs "$mode" || return 0
		done
	done
}

# in_mode MODE CMD...: CMD, a run of MODE, between enter MODE and leave
# MODE; nothing for a MODE that broke. Fails when leave could not undo
# what enter set up (unleft, over the modes of measure's $section).
in_mode() {
	local mode=$1
	shift
	[ -z "${broken[$mode]:-}" ] || return 0
	enter "$mode" && "$@"
	leave "$mode" || unleft "$mode" "${section[@]}"
}

# latency_runs MODE: one round of MODE's latency, connections-per-second
# and request/response runs.
latency_runs() {
	lat "$1" $(((BENCH_CONNS + ROUNDS - 1) / ROUNDS))
	cps "$1" $(((BENCH_CPS + ROUNDS - 1) / ROUNDS))
	# Spares change nothing once a connection is set up.
	[[ $1 == *spares_* ]] || rr "$1" $(((BENCH_RR + ROUNDS - 1) / ROUNDS))
}

# broke MODE: MODE is not measured further; the end of its proxy's log
# says why it failed (proxychains4 -q reports every failure of its chain
# as ECONNREFUSED, whatever the proxy answered).
broke() {
	local mode=$1 p=${1#*_} log=
	broken[$mode]=1
	[ -n "${proxy[$p]:-}" ] && log=${proxy_log[${proxy[$p]}]:-}
	[ -s "$log" ] || return 0
	echo "# $mode failed; the end of ${proxy_name[$p]}'s log:"
	tail -n 20 "$log" | sed 's/^/#   /'
}

measured() {
	[ -z "${broken[$1]:-}" ] && pass "$2: measured" || fail "$2: measured"
}

no_direct_path() {
	! topo_ns $TOPO_C "$bin/tcpbench" client $SERVER --latency 1 --timeout 3 >/dev/null 2>&1
}

# The device's counters (and its upstream's), one line each.
device_stats() {
	topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 --status >/tmp/mprox-bench.json 2>&1
	python3 - /tmp/mprox-bench.json <<'EOF' | sed 's/^/#   /'
import json, sys
text = open(sys.argv[1]).read()
try:
    doc = json.loads(text)
except ValueError:
    print(text)
    sys.exit()
stats = doc.get("stats", {})
for key in ("connects", "closes", "spares", "flows", "relay", "udp", "drops"):
    print(key + " " + json.dumps(stats.get(key), separators=(",", ":")))
for up in doc.get("config", {}).get("upstreams", []):
    print("upstream " + json.dumps(up, separators=(",", ":")))
EOF
}

# profile MODE: perf record -a -g over one download run (BENCH_BYTES / 3),
# over one run of 1-byte exchanges and over one connections-per-second run
# of MODE; the top of each profile by symbol, as comments.
profile() {
	local mode=$1 kind data=/tmp/mprox-bench.perf.data
	for kind in down rr cps; do
		# perf runs a program: ip netns exec, not topo_ns, a function.
		# shellcheck disable=SC2086
		set -- ip netns exec $TOPO_C ${wrap[$mode]:-} "$bin/tcpbench" client $SERVER \
			${via[$mode]:-} --timeout 60
		case $kind in
		down) set -- "$@" --bytes $((BENCH_BYTES / TPUT_ROUNDS)) ;;
		rr) set -- "$@" --rr "$BENCH_RR" ;;
		cps) set -- "$@" --cps "$BENCH_CPS" --streams $CPS_PARALLEL ;;
		esac
		if ! perf record -q -e cpu-clock -F 499 -a -g -o "$data" -- "$@" \
			>/tmp/mprox-bench.perf.out 2>&1; then
			sed "s/^/#   perf: /" /tmp/mprox-bench.perf.out
			broken[perf_$mode]=1
			continue
		fi
		# Self time by task and symbol, of all the samples; without the
		# idle loop (swapper) and perf itself, which are not the work.
		echo "# profile of $mode, $kind (perf record -a -g; self time, % of all samples):"
		perf report -i "$data" --stdio --no-children --sort comm,dso,sym -g none \
			--percent-limit 0.5 2>/dev/null | grep -v '^#' | grep -v '^$' |
			grep -v -e ' swapper ' -e ' perf ' | head -30 | sed 's/^/#   /'
		# ... and by task alone: the proxy, the client, mprox's workers.
		echo "# the same, by task:"
		perf report -i "$data" --stdio --no-children --sort comm -g none \
			--percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' |
			head -12 | sed 's/^/#   /'
	done
	rm -f "$data"
}

# profiled MODE: profile MODE, run as measure runs it (in_mode). perf_MODE
# fails when MODE broke then or before: the profile was, or may have been,
# of another path (what a failed enter or an earlier leave left).
profiled() {
	local -a section=()
	in_mode "$1" profile "$1"
	[ -z "${broken[$1]:-}" ] || broken[perf_$1]=1
}

# kmem_snapshot FILE: the kernel memory in use now, one "NAME BYTES" line
# each: every slab cache (active objects times their size), and "tcp_mem",
# the pages TCP sockets' buffers hold (/proc/net/sockstat).
kmem_snapshot() {
	python3 - "$1" <<'PY'
import sys
out = {}
with open("/proc/slabinfo") as f:
    for line in f:
        w = line.split()
        if line.startswith(("slabinfo", "#")) or len(w) < 4:
            continue
        out[w[0]] = out.get(w[0], 0) + int(w[1]) * int(w[3])
with open("/proc/net/sockstat") as f:
    for line in f:
        w = line.split()
        if w[0] == "TCP:" and "mem" in w:
            out["tcp_mem"] = int(w[w.index("mem") + 1]) * 4096
with open(sys.argv[1], "w") as f:
    for name, size in out.items():
        f.write(f"{name} {size}\n")
PY
}

# kmem_per BEFORE AFTER N MODE KEY: what the kernel memory grew by between
# two kmem_snapshot files, per one of N things, to $results ("MODE KEY B"),
# and the three caches that grew most as a comment.
kmem_per() {
	python3 - "$@" "$results" <<'PY'
import sys
before, after = ({w[0]: int(w[1]) for w in map(str.split, open(p))} for p in sys.argv[1:3])
n, mode, key, results = int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
grew = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
with open(results, "a") as f:
    f.write(f"{mode} {key} {sum(grew.values()) / n:.0f}\n")
top = sorted(grew.items(), key=lambda kv: -kv[1])[:3]
print(f"#   {mode}: {sum(grew.values()) / n:.0f} bytes each of {n}; grew most (bytes each): "
      + ", ".join(f"{k} {v / n:.0f}" for k, v in top))
PY
}

# flows_active: mprox0's stats.flows.active.
flows_active() {
	topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 --status |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["stats"]["flows"]["active"])'
}

# held_or_gone OUT PID: tcpbench --hold wrote its "held" line to OUT, or
# it is gone (PID).
held_or_gone() {
	grep -q '^held ' "$1" || ! kill -0 "$2" 2>/dev/null
}

# idle_mem MODE N: N idle connections of MODE held open (tcpbench --hold);
# what the kernel's memory grew by meanwhile to $results ("MODE
# idle_N_bytes B", and "MODE idle_N_sockets B", the part in TCP sockets'
# slabs), and the five caches that grew most as comments.
idle_mem() {
	local mode=$1 n=$2 out=/tmp/mprox-bench.hold.out fifo=/tmp/mprox-bench.hold.fifo pid
	[ -z "${broken[$mode]:-}" ] || return 0
	rm -f "$fifo" && mkfifo "$fifo"
	kmem_snapshot /tmp/mprox-bench.kmem0
	run_tcpbench "$mode" --hold "$n" --timeout 60 <"$fifo" >"$out" 2>&1 &
	pid=$!
	exec {hold_fd}>"$fifo"
	# Until all are open, or the application gave up (its error).
	if wait_for 1800 held_or_gone "$out" "$pid" && grep -q '^held ' "$out"; then
		kmem_snapshot /tmp/mprox-bench.kmem1
	else
		broke "$mode"
	fi
	exec {hold_fd}>&-
	wait "$pid" || broken[$mode]=1
	sed "s/^/#   $mode: /" "$out"
	[ -z "${broken[$mode]:-}" ] || return 0
	python3 - /tmp/mprox-bench.kmem0 /tmp/mprox-bench.kmem1 "$mode" "$n" "$results" <<'PY'
import sys
before, after = ({w[0]: int(w[1]) for w in map(str.split, open(p))} for p in sys.argv[1:3])
mode, n, results = sys.argv[3], int(sys.argv[4]), sys.argv[5]
grew = {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after)}
# A TCP socket: its sock (TCP, TCPv6) and its inode (sock_inode_cache).
sockets = sum(v for k, v in grew.items() if k in ("TCP", "TCPv6", "sock_inode_cache"))
with open(results, "a") as f:
    f.write(f"{mode} idle_{n}_bytes {sum(grew.values())}\n")
    f.write(f"{mode} idle_{n}_sockets {sockets}\n")
top = sorted(grew.items(), key=lambda kv: -kv[1])[:5]
print(f"#   {mode}, {n} idle connections, grew most (bytes per connection): "
      + ", ".join(f"{k} {v / n:.0f}" for k, v in top))
PY
	# Reset by the application: gone, mprox0's flows too (10,000 resets
	# take a while on TCG).
	if [[ $mode == mprox_* ]] && ! wait_for 600 test "$(flows_active)" = 0; then
		echo "#   $mode: $(flows_active) flows still active 600 s after the application's resets"
		broken[$mode]=1
	fi
}

# ---- the proxies, as the benchmark wants them ----------------------------
# Not topology.sh's topo_tinyproxy and topo_dante4: those log every
# connection (the cases read the logs), which would be most of what a
# proxy does per connection here.
# tinyproxy allowing CONNECT to the benchmark's server and the web server
# only, no authentication; warnings only.
bench_tinyproxy() {
	local port=$1 conf=/tmp/mprox-bench-tinyproxy.conf
	cat >"$conf" <<EOF
Port $port
Listen 10.200.1.1
Timeout 600
MaxClients 1000
LogLevel Warning
ConnectPort 5300
ConnectPort 8080
EOF
	topo_spawn $TOPO_P tinyproxy -d -c "$conf"
	wait_for 60 topo_listening $TOPO_P "$port"
}

# dante without authentication: it speaks SOCKS4 (and SOCKS5) then.
# bench_dante4 PORT [NOFILE]: NOFILE, dante's limit of descriptors, only
# for the dante that holds the idle connections: dante clears fd_sets as
# large as its limit in every loop, and a large limit makes each of its
# steps slower (4x per 1-byte exchange with 1048576).
bench_dante4() {
	local port=$1 nofile=${2:-} conf=/tmp/mprox-bench-danted-$1.conf
	cat >"$conf" <<EOF
logoutput: stderr
internal: 10.200.1.1 port = $port
external: p1
clientmethod: none
socksmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
socks pass {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	command: connect udpassociate udpreply
	log: error
}
EOF
	topo_spawn $TOPO_P ${nofile:+prlimit --nofile="$nofile"} danted -f "$conf"
	wait_for 60 topo_listening $TOPO_P "$port"
}

# One dante serves socks5d and socks4. proxy_log: each proxy's output.
declare -A started=() proxy_log=()
start_proxy() {
	local ret=0
	[ -z "${started[${proxy[$1]}]:-}" ] || return 0
	started[${proxy[$1]}]=1
	case $1 in
	socks5) topo_microsocks 1080 || ret=$? ;;
	http) bench_tinyproxy 8888 || ret=$? ;;
	socks4 | socks5d) bench_dante4 1085 || ret=$? ;;
	esac
	proxy_log[${proxy[$1]}]=$(topo_last_log)
	[ "$ret" = 0 ] || tail -n 20 "${proxy_log[${proxy[$1]}]}" | sed 's/^/#   /'
	return $ret
}

# curl speaking PROTOCOL itself fetches the web server's page through the proxy.
curl_through() {
	local p=$1 got
	case $p in
	socks5 | socks5d) set -- --socks5 "${proxy[$p]}" ;;
	http) set -- --proxytunnel --proxy "http://${proxy[$p]}" ;;
	socks4) set -- --socks4 "${proxy[$p]}" ;;
	esac
	got=$(topo_ns $TOPO_C curl -sS --max-time 20 "$@" http://10.200.2.2:8080/page) &&
		[ "$got" = "through a proxy" ]
}

# ---- the network, the proxies and the servers ------------------------------
insmod "$MPROX_KO" || { fail "insmod mprox.ko"; tap_exit; }
ko_version[$MPROX_KO]=$(cat /sys/module/mprox/version)
if [ -n "$BENCH_BASE_KO" ]; then
	ko_version[$BENCH_BASE_KO]=base-$(cat "$BENCH_BASE_KO.rev")
	echo "# base driver: ${ko_version[$BENCH_BASE_KO]}, against ${ko_version[$MPROX_KO]}"
fi
step "test network" topo_up || tap_exit
for p in $BENCH_PROTOS; do
	step "${proxy_name[$p]} (${proto_title[$p]}) on ${proxy[$p]}" start_proxy "$p"
done
mkdir -p "$TOPO_WWW"
echo "through a proxy" >"$TOPO_WWW/page"
step "web server on the server host (for curl)" topo_web 8080
for p in $BENCH_PROTOS; do
	check "curl alone speaks ${proto_title[$p]} to ${proxy_name[$p]} and gets a page" \
		curl_through "$p"
done
topo_spawn $TOPO_S "$bin/tcpbench" server --port 5300
wait_for 10 topo_listening $TOPO_S 5300 && pass "tcpbench server on the server host" ||
	fail "tcpbench server on the server host"
echo "# $BENCH_BYTES bytes per throughput measurement (in $TPUT_ROUNDS runs)," \
	"$BENCH_CONNS connections for latency and $BENCH_CPS for connections per second" \
	"($CPS_PARALLEL at a time), per mode; $(nproc) CPUs, $(uname -r), TCG;" \
	"protocols: $BENCH_PROTOS"
# The guest's CPU time while nothing is measured (the harness, the idle
# daemons, the timer), to be told apart from the connections' own.
read -r _ u n s _ _ i si _ </proc/stat
idle0=$((u + n + s + i + si))
sleep 5
read -r _ u n s _ _ i si _ </proc/stat
echo "idle idle_ticks $((u + n + s + i + si - idle0))" >>"$results"
echo "idle idle_s 5" >>"$results"
echo "idle hz $(getconf CLK_TCK)" >>"$results"
echo "# the idle guest: $((u + n + s + i + si - idle0)) ticks of CPU in 5 s ($(getconf CLK_TCK) a second)"

# ---- (a) direct: the proxy host forwards, for these modes only -------------
# direct: routed; mdirect: routed into mprox0, whose one rule sends every
# flow "direct" (docs/routing.md, "Rules"): the driver connects to the
# server itself, its socket (fwmark 0x6d70) routed as direct's by table
# 200. No proxy on either path, so what mdirect costs beyond direct is
# mprox0's own: the flow, the second TCP connection (the application's to
# the device's listener) and the relay between the two.
if mprox0_create; then
	pass "mprox0 in the client namespace"
else
	fail "mprox0 in the client namespace"
fi
topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=1
topo_ns $TOPO_C ip route add 10.200.2.0/24 via 10.200.1.1
topo_ns $TOPO_C ip route add 10.200.2.0/24 via 10.200.1.1 table 200
topo_ns $TOPO_C ip rule add fwmark 0x6d70 lookup 200 pref 50
topo_ns $TOPO_S ip route add 10.200.1.0/24 via 10.200.2.1
check "mprox0: rule add to ${SERVER%:*}/32 direct" eval \
	'echo "rule add to ${SERVER%:*}/32 direct" | topo_ns $TOPO_C "$bin/mprox-ctl" mprox0'
echo "# direct, and mprox0 going direct, alternately:"
measure direct mdirect
measured direct direct
measured mdirect "mprox0 going direct"
echo "# mprox0 after going direct:"
device_stats
check "mprox0 connected every mdirect flow itself" mdirect_connects
if [ "$BENCH_PERF" = 1 ]; then
	profiled direct
	profiled mdirect
	measured perf_direct "direct, profiled"
	measured perf_mdirect "mprox0 going direct, profiled"
fi
topo_ns $TOPO_C ip rule del pref 50
topo_ns $TOPO_C ip route del 10.200.2.0/24 via 10.200.1.1 table 200
topo_ns $TOPO_C ip route del 10.200.2.0/24 via 10.200.1.1
topo_ns $TOPO_S ip route del 10.200.1.0/24 via 10.200.2.1
topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=0
check "no direct path once forwarding is off again" no_direct_path

# ---- (b) per protocol: the application speaks it itself, and the same ------
# ---- application through mprox0 with no proxy code, run by run -------------
if topo_ns $TOPO_C ip route add 10.200.2.0/24 dev mprox0; then
	pass "route into mprox0"
else
	fail "route into mprox0"
fi
for p in $BENCH_PROTOS; do
	url=${scheme[$p]}://${proxy[$p]}
	check "mprox0's one upstream: $url (${proxy_name[$p]})" upstreams "$url"
	check "mprox0 with spare_conns 0" spare_conns 0
	modes="app_$p mprox_$p spares_$p"
	[ -z "$BENCH_BASE_KO" ] || modes+=" base_$p basespares_$p"
	if [ -n "${redsocks_port[$p]:-}" ]; then
		step "proxychains4 for ${proxy[$p]}" bench_proxychains "$p"
		step "redsocks in the client namespace for ${proxy[$p]}" bench_redsocks "$p"
		check "curl under proxychains4 gets a page through ${proxy_name[$p]}" sh -c \
			"[ \"\$(ip netns exec $TOPO_C ${wrap[pc_$p]} curl -sS --max-time 20 http://10.200.2.2:8080/page)\" = 'through a proxy' ]"
		modes+=" pc_$p redsocks_$p"
	fi
	if [ "$p" = socks5 ]; then
		check "mprox0 takes ten rules and four upstreams" upstreams "$url" 4 &&
			check "and goes back to one upstream" upstreams "$url"
		modes+=" rules_$p"
	fi
	# shellcheck disable=SC2086 # the modes are words
	redirect_cleared || break_modes $modes
	# Not measured: the proxy's first connections (dante's pool of
	# children, threads) cost the same whichever mode came first.
	topo_ns $TOPO_C "$bin/tcpbench" client $SERVER ${via[app_$p]} --latency 20 >/dev/null 2>&1
	topo_ns $TOPO_C "$bin/tcpbench" client $SERVER --latency 20 >/dev/null 2>&1
	echo "# ${proto_title[$p]}: the application speaking it itself, mprox and mprox" \
		"with spares${BENCH_BASE_KO:+, the same two on the base driver}, alternately:"
	# shellcheck disable=SC2086 # the modes are words
	measure $modes
	measured "app_$p" "${proto_title[$p]} in the application"
	measured "mprox_$p" "mprox0, upstream $url"
	measured "spares_$p" "mprox0, upstream $url, spare_conns $SPARES"
	if [ -n "$BENCH_BASE_KO" ]; then
		measured "base_$p" "mprox0 on the base driver, upstream $url"
		measured "basespares_$p" "mprox0 on the base driver, upstream $url, spare_conns $SPARES"
	fi
	if [ -n "${redsocks_port[$p]:-}" ]; then
		measured "pc_$p" "the application under proxychains4, ${proxy_name[$p]}"
		measured "redsocks_$p" "the application redirected to redsocks, ${proxy_name[$p]}"
	fi
	if [ "$p" = socks5 ]; then
		measured "rules_$p" "mprox0, ten rules and four upstreams $url"
		spread="with the ten rules, 8 connections go 2 to each of the four upstreams"
		if [ -z "${broken[rules_$p]:-}" ]; then
			check "$spread" rules_spread "$url"
		else
			fail "$spread: not tried, the ten rules' runs broke"
		fi
	fi
	if [ "$BENCH_PERF" = 1 ] && [ "$p" = socks5d ]; then
		profiled "app_$p"
		profiled "mprox_$p"
		measured "perf_app_$p" "${proto_title[$p]} in the application, profiled"
		measured "perf_mprox_$p" "mprox0, upstream $url, profiled"
	fi
	echo "# mprox0 after ${proto_title[$p]}${BENCH_BASE_KO:+ (since its last load)}:"
	device_stats
done

# ---- (c) the kernel memory of idle connections, SOCKS5 through dante -------
# A dante of their own, with descriptors for 10,000 clients and their
# connections onwards (app_idle: the application speaks SOCKS5 to it;
# mprox_idle: mprox0's upstream).
if [[ " $BENCH_PROTOS " == *" socks5d "* ]] && [ -n "$BENCH_IDLE" ]; then
	idle_proxy=10.200.1.1:1086
	via[app_idle]="--socks5 $idle_proxy"
	step "dante for the idle connections on $idle_proxy" bench_dante4 1086 65536
	proxy[idle]=$idle_proxy proxy_name[idle]=dante
	proxy_log[$idle_proxy]=$(topo_last_log)
	check "mprox0's one upstream: socks5://$idle_proxy (dante)" upstreams "socks5://$idle_proxy"
	redirect_cleared || break_modes mprox_idle
	echo "# idle connections, held open: the application speaking SOCKS5 to dante, then mprox0"
	for n in $BENCH_IDLE; do
		for mode in app_idle mprox_idle; do
			idle_mem "$mode" "$n"
		done
	done
	measured app_idle "idle connections held by the application speaking SOCKS5"
	measured mprox_idle "idle connections held through mprox0"
fi
# ---- (d) DNS: mprox0's fake-IP answers against dnsmasq, asked directly ------
# BENCH_DNS A queries for new names to each, alternately, one at a time:
# the resolver in the kernel against a DNS server one hop away (dnsmasq on
# the proxy host, answering every name of bench.test from its
# configuration, so neither side asks anyone else).
dns_bench() {
	topo_ns $TOPO_C python3 - "$BENCH_DNS" "$results" <<'PY'
import socket, struct, sys, time
n, results = int(sys.argv[1]), sys.argv[2]
socks = {}
for mode, server in (("dns_mprox", "10.200.3.53"), ("dns_direct", "10.200.1.1")):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((server, 53))
    socks[mode] = s
lat = {mode: [] for mode in socks}
for i in range(n):
    for mode, s in socks.items():
        name = f"q{i}.{mode[4:]}.bench.test".encode()
        q = struct.pack(">6H", i, 0x0100, 1, 0, 0, 0) + b"".join(
            bytes([len(l)]) + l for l in name.split(b".")) + b"\0\0\1\0\1"
        t0 = time.perf_counter()
        s.send(q)
        r = s.recv(4096)
        t = time.perf_counter() - t0
        rid, flags, _, an = struct.unpack(">4H", r[:8])
        if rid != i or flags & 15 or an != 1:
            sys.exit(f"{mode}: query {i}: id {rid} flags {flags:x} answers {an}")
        lat[mode].append(t * 1e6)
with open(results, "a") as f:
    for mode, v in lat.items():
        v.sort()
        for p in (50, 99):
            f.write(f"{mode} dns_p{p} {v[max((len(v) * p + 99) // 100, 1) - 1]:.1f}\n")
PY
}
if [ "$BENCH_DNS" -gt 0 ]; then
	topo_spawn $TOPO_P dnsmasq --keep-in-foreground --no-resolv --no-hosts --port=53 \
		--listen-address=10.200.1.1 --bind-interfaces --address=/bench.test/10.200.2.2
	check "dnsmasq on 10.200.1.1 answers bench.test" wait_for 30 sh -c \
		"ip netns exec $TOPO_C dig +short +time=1 +tries=1 @10.200.1.1 a.bench.test | grep -qx 10.200.2.2"
	check "mprox0: dns fake-ip 198.18.0.0/16, dns server 10.200.3.53" sh -c \
		"ip netns exec $TOPO_C ip route add 10.200.3.53 dev mprox0 &&
		printf 'dns fake-ip 198.18.0.0/16\ndns server 10.200.3.53\n' |
			ip netns exec $TOPO_C $bin/mprox-ctl mprox0"
	echo "# DNS: $BENCH_DNS A queries for new names, alternately to mprox0 and to dnsmasq"
	kmem_snapshot /tmp/mprox-bench.kmem0
	check "DNS: every query answered with one address, by both" dns_bench
	# Each query to mprox0 named a new name: what a pool entry costs.
	kmem_snapshot /tmp/mprox-bench.kmem1
	kmem_per /tmp/mprox-bench.kmem0 /tmp/mprox-bench.kmem1 "$BENCH_DNS" dns_mprox pool_name_bytes
fi

# ---- (e) UDP: iperf3 -u through dante's relay, against direct routing -------
# The highest of a ladder of rates that loses under 1% of the datagrams
# (1400 bytes each), and what arrived at it: direct routing (the proxy host
# forwards) against mprox0 with dante (SOCKS5 UDP ASSOCIATE) as its one
# upstream. iperf3's own control connection goes through mprox0 too.
# udp_ladder MODE: one "MODE udp_mbps N" and "MODE udp_rate R" line.
udp_ladder() {
	local mode=$1 rate best=0 got=0 out
	for rate in 5 10 25 50 100 200 400 800; do
		out=$(topo_ns $TOPO_C iperf3 -u -c 10.200.2.2 -p 5201 -b "${rate}M" -l 1400 \
			-t 3 -J 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)["end"]["sum"]
    print("%.3f %.1f" % (s["lost_percent"], s["bits_per_second"] * (1 - s["lost_percent"] / 100) / 1e6))
except (ValueError, KeyError):
    print("100 0")')
		echo "#   $mode: ${rate} Mbit/s offered: lost ${out% *}%, ${out#* } Mbit/s arrived"
		awk -v l="${out% *}" 'BEGIN { exit !(l < 1) }' || break
		best=$rate
		# A sender that cannot keep up loses nothing but sends less:
		# the most that arrived at any rate counts, not the last.
		got=$(awk -v a="$got" -v b="${out#* }" 'BEGIN { print (b > a ? b : a) }')
	done
	# Where datagrams were lost: a socket buffer full on either host.
	echo "#   $mode: UDP receive buffer errors: proxy host" \
		"$(topo_ns $TOPO_P nstat -az UdpRcvbufErrors | awk '/Udp/ { print $2 }')," \
		"server host $(topo_ns $TOPO_S nstat -az UdpRcvbufErrors | awk '/Udp/ { print $2 }')," \
		"client host $(topo_ns $TOPO_C nstat -az UdpRcvbufErrors | awk '/Udp/ { print $2 }')"
	echo "$mode udp_rate $best" >>"$results"
	echo "$mode udp_mbps $got" >>"$results"
	[ "$best" -gt 0 ]
}
# associations_up: mprox0's stats.udp.associations.
associations_up() {
	topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 --status |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["stats"]["udp"]["associations"])'
}
# associations_since BEFORE N: N more associations than BEFORE were granted.
associations_since() {
	[ "$(($(associations_up) - $1))" -ge "$2" ]
}
# assoc_mem MODE N: N UDP associations through dante held open at once, and
# what the kernel's memory grew by meanwhile, per association, to $results
# as "MODE assoc_bytes". udp_app: the application speaks SOCKS5 itself (a
# control connection to dante, UDP ASSOCIATE, one datagram to the relay);
# udp_mprox: N application sockets each send one datagram through mprox0
# (to a port nothing listens on: the association is made anyway), held
# until dante granted every association. The difference is mprox0's own.
assoc_mem() {
	local mode=$1 n=$2 go=/tmp/mprox-bench.assoc.go out=/tmp/mprox-bench.assoc.out pid before
	rm -f "$go" "$out"
	before=$(associations_up)
	kmem_snapshot /tmp/mprox-bench.kmem0
	topo_ns $TOPO_C python3 - "$mode" "$n" "$go" "${proxy[socks5d]}" \
		"$(dirname "$0")/../integration/lib" >"$out" 2>&1 <<'PY' &
import os, resource, socket, sys, time
mode, n, go, proxy = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
# The application holds two descriptors an association (control, UDP).
_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (2 * n + 64, max(hard, 2 * n + 64)))
sys.path.insert(0, sys.argv[5])
from udp_echo import associate, socks_header
proxy = (proxy.rsplit(":", 1)[0], int(proxy.rsplit(":", 1)[1]))
dest = ("10.200.2.2", 9)

held = []
for i in range(n):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if mode == "udp_mprox":
        u.sendto(b"x", dest)
        held.append(u)
        continue
    c, rep, relay = associate(proxy)
    if rep != 0:
        raise SystemExit("UDP ASSOCIATE: REP %s" % rep)
    u.sendto(socks_header(dest) + b"x", relay)
    held.append((c, u))
print("held", n, flush=True)
for _ in range(6000):
    if os.path.exists(go):
        break
    time.sleep(0.1)
PY
	pid=$!
	if [ "$mode" = udp_mprox ]; then
		wait_for 600 associations_since "$before" "$n"
	else
		wait_for 600 held_or_gone "$out" "$pid"
	fi
	if [ "$mode" = udp_mprox ] && ! associations_since "$before" "$n"; then
		echo "#   $((($(associations_up) - before))) of $n associations granted in 600 s"
	elif [ "$mode" = udp_app ] && ! grep -q '^held ' "$out"; then
		echo "#   the application did not hold its $n associations"
	else
		kmem_snapshot /tmp/mprox-bench.kmem1
		kmem_per /tmp/mprox-bench.kmem0 /tmp/mprox-bench.kmem1 "$n" "$mode" assoc_bytes
	fi
	touch "$go"
	wait "$pid"
	sed 's/^/#   /' "$out"
}
if [ "$BENCH_UDP" = 1 ]; then
	start_proxy socks5d
	topo_spawn $TOPO_S iperf3 -s -p 5201
	check "iperf3 server on the server host" wait_for 10 topo_listening $TOPO_S 5201
	topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=1
	topo_ns $TOPO_C ip route add 10.200.2.0/24 via 10.200.1.1 metric 1 table 200
	topo_ns $TOPO_C ip rule add to 10.200.2.0/24 lookup 200 pref 50
	topo_ns $TOPO_S ip route add 10.200.1.0/24 via 10.200.2.1
	echo "# UDP, direct routing:"
	udp_ladder udp_direct && pass "UDP, direct: some rate with under 1% loss" ||
		fail "UDP, direct: some rate with under 1% loss"
	topo_ns $TOPO_C ip rule del pref 50
	# The same way, but through mprox0 with a rule that sends UDP
	# "direct": the driver's own socket (fwmark 0x6d70) sends each
	# datagram from xmit (encap.c). No relay in the way, so this is
	# the fast path's own cost against routing.
	topo_ns $TOPO_C ip rule add fwmark 0x6d70 lookup 200 pref 50
	check "mprox0's one upstream: socks5://${proxy[socks5d]}" upstreams "socks5://${proxy[socks5d]}"
	check "rule add proto udp direct" eval 'echo "rule add proto udp direct" |
		topo_ns $TOPO_C "$bin/mprox-ctl" mprox0'
	echo "# UDP, mprox0 with rule proto udp direct:"
	udp_ladder udp_mdirect && pass "UDP, mprox0 direct: some rate with under 1% loss" ||
		fail "UDP, mprox0 direct: some rate with under 1% loss"
	topo_ns $TOPO_C ip rule del pref 50
	topo_ns $TOPO_S ip route del 10.200.1.0/24 via 10.200.2.1
	topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=0
	check "mprox0's one upstream: socks5://${proxy[socks5d]} (dante, UDP allowed)" \
		upstreams "socks5://${proxy[socks5d]}"
	echo "# UDP, mprox0 through dante's relay:"
	udp_ladder udp_mprox && pass "UDP, mprox0: some rate with under 1% loss" ||
		fail "UDP, mprox0: some rate with under 1% loss"
	if [ "$BENCH_ASSOC" -gt 0 ]; then
		echo "# $BENCH_ASSOC UDP associations held: each a socket that sent one datagram"
		for mode in udp_app udp_mprox; do
			assoc_mem "$mode" "$BENCH_ASSOC"
		done
	fi
	echo "# mprox0 after UDP:"
	device_stats
fi
topo_ns $TOPO_C ip -s link show mprox0 | sed 's/^/#   /'

# ---- the table -------------------------------------------------------------
python3 - "$results" "$BENCH_PROTOS" "$BENCH_IDLE" "${!broken[*]}" <<'EOF'
import json, os, sys
from collections import defaultdict

res = {}
sums = defaultdict(float)
# r_KEY: one figure per round, in the order the rounds ran (modes
# alternate, so the i-th of two modes ran side by side).
rounds = defaultdict(list)
# A mode that broke part-way has figures from the rounds before: set
# against the others' full rounds they would mean nothing, so it is not
# measured (its check failed already).
broken = set(sys.argv[4].split())
for line in open(sys.argv[1]):
    mode, key, value = line.split()
    if mode in broken:
        continue
    if key.startswith("r_"):
        rounds[(mode, key[2:])].append(float(value))
    else:
        sums[(mode, key)] += float(value)
protos = sys.argv[2].split()
idle_ns = [int(n) for n in sys.argv[3].split()]
hz = sums[("idle", "hz")] or 100
idle_rate = sums[("idle", "idle_ticks")] / sums[("idle", "idle_s")]  # ticks a second

def rank(sorted_values, p):
    """Nearest rank, as tcpbench."""
    n = len(sorted_values)
    return sorted_values[max((n * p + 99) // 100, 1) - 1]

modes = ["direct", "mdirect"] + [f"{m}_{p}" for p in protos
                      for m in ("app", "mprox", "spares", "base", "basespares", "rules", "pc",
                                "redsocks")]
for mode in modes:
    if mode in broken:
        continue
    path = f"/tmp/mprox-bench.{mode}.samples"
    if os.path.exists(path):
        total, conn, rest = [], [], []
        for line in open(path):
            _, t, c = line.split()
            total.append(float(t) / 1000)
            conn.append(float(c) / 1000)
            rest.append((float(t) - float(c)) / 1000)
        if total:
            total.sort()
            conn.sort()
            rest.sort()
            res[(mode, "p50")], res[(mode, "p99")] = rank(total, 50), rank(total, 99)
            res[(mode, "pc50")] = rank(conn, 50)
            res[(mode, "pr50")] = rank(rest, 50)
    path = f"/tmp/mprox-bench.{mode}.rrsamples"
    if os.path.exists(path):
        rrs = sorted(float(line.split()[1]) / 1000 for line in open(path))
        if rrs:
            res[(mode, "rr50")], res[(mode, "rr99")] = rank(rrs, 50), rank(rrs, 99)
    for key in ("down_1", "up_1", "down_4", "up_4"):
        if sums[(mode, key + "_s")]:
            res[(mode, key)] = sums[(mode, key + "_bytes")] / sums[(mode, key + "_s")] / 1e6
    if sums[(mode, "tput_bytes")]:
        # Seconds of the whole guest's CPU per GB (10^9 bytes) moved.
        res[(mode, "cpugb")] = sums[(mode, "tput_ticks")] / hz / (sums[(mode, "tput_bytes")] / 1e9)
    if sums[(mode, "lat_n")]:
        res[(mode, "cpu")] = sums[(mode, "lat_ticks")] * 1000 / hz / sums[(mode, "lat_n")]
    if sums[(mode, "cps_s")]:
        res[(mode, "cps")] = sums[(mode, "cps_n")] / sums[(mode, "cps_s")]
        res[(mode, "cpu_cps")] = sums[(mode, "cps_ticks")] * 1000 / hz / sums[(mode, "cps_n")]

def spread(mode, base, key):
    """min, median and max over the rounds of mode/base, round by round."""
    a, b = rounds.get((mode, key), []), rounds.get((base, key), [])
    rs = sorted(x / y for x, y in zip(a, b) if y)
    if not rs:
        return None
    return rs[0], rs[len(rs) // 2], rs[-1]

def fmt_spread(sp):
    return "-" if sp is None else f"{sp[0]:.2f}-{sp[2]:.2f}"

for (mode, key), vals in rounds.items():
    res[(mode, key + "_rounds")] = vals
for mode in list({m for m, _ in rounds}):
    base = "app_" + mode.split("_", 1)[1] if "_" in mode else None
    if mode == "mdirect":
        base = "direct"
    if base and base != mode:
        for key in ("down_1", "up_1", "down_4", "up_4", "p50", "cps", "rr50"):
            sp = spread(mode, base, key)
            if sp:
                res[(mode, key + "_spread")] = list(sp)

# key, label, unit, decimals, target kind: ("min", X) mprox/app >= X;
# ("lat", X, Y) mprox/app <= X without spares and spares/app <= Y;
# ("cps", X) both >= X; None: shown only.
rows = [
    ("down_1", "download, 1 stream", "MB/s", 1, ("min", 0.95)),
    ("up_1", "upload, 1 stream", "MB/s", 1, ("min", 0.95)),
    ("down_4", "download, 4 streams", "MB/s", 1, ("min", 0.95)),
    ("up_4", "upload, 4 streams", "MB/s", 1, ("min", 0.95)),
    ("p50", "setup latency p50", "ms", 2, ("lat", 1.1, 0.9)),
    ("p99", "setup latency p99", "ms", 2, ("lat", 1.1, 0.9)),
    ("pc50", "  connect (+ handshake), p50", "ms", 2, None),
    ("pr50", "  request + response, p50", "ms", 2, None),
    ("cps", "connections/s, 4 at a time", "1/s", 1, ("cps", 1.0)),
    ("rr50", "request/response p50, 1 byte", "ms", 3, ("le", 1.1)),
    ("rr99", "request/response p99, 1 byte", "ms", 3, None),
    ("cpugb", "CPU per GB moved", "s", 2, ("le", 1.2)),
    ("cpu", "CPU per connection", "ms", 2, None),
    ("cpu_cps", "  the same, 4 at a time", "ms", 2, None),
]

def fmt(v, nd):
    return "-" if v is None else f"{v:.{nd}f}"

def fmtx(r):
    return "-" if r is None else f"{r:.2f}x"

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

titles = {"socks5d": "SOCKS5, dante", "socks5": "SOCKS5, microsocks",
          "http": "HTTP CONNECT, tinyproxy",
          "socks4": "SOCKS4, dante"}
verdicts = []
for p in protos:
    print()
    print(f"{titles[p] + ':':34} {'direct':>8} {'app':>8} {'mprox0':>8} {'+spares':>8}"
          f"   {'mprox/app':>9} {'rounds':>9} {'spares/app':>10}  target")
    misses, unknown = [], []
    for key, label, unit, nd, target in rows:
        d, a, m, s = (res.get((mode, key)) for mode in
                      ("direct", f"app_{p}", f"mprox_{p}", f"spares_{p}"))
        rm, rs = ratio(m, a), ratio(s, a)
        tgt = ""
        if target and target[0] == "min":
            tgt = f">= {target[1]}x"
            if rm is None:
                unknown.append(label)
            elif rm < target[1]:
                misses.append(f"{label} {rm:.3f}x < {target[1]}x")
        elif target and target[0] == "lat":
            tgt = f"<= {target[1]}x, spares <= {target[2]}x"
            for r, t, what in ((rm, target[1], ""), (rs, target[2], " with spares")):
                if r is None:
                    unknown.append(label + what)
                elif r > t:
                    misses.append(f"{label}{what} {r:.3f}x > {t}x")
        elif target and target[0] == "le":
            tgt = f"<= {target[1]}x"
            if rm is None:
                unknown.append(label)
            elif rm > target[1]:
                misses.append(f"{label} {rm:.3f}x > {target[1]}x")
        elif target and target[0] == "cps":
            tgt = f">= {target[1]}x, spares too"
            for r, what in ((rm, ""), (rs, " with spares")):
                if r is None:
                    unknown.append(label + what)
                elif r < target[1]:
                    misses.append(f"{label}{what} {r:.3f}x < {target[1]}x")
        sp = fmt_spread(spread(f"mprox_{p}", f"app_{p}", key))
        print(f"{label + ' (' + unit + ')':34} {fmt(d, nd):>8} {fmt(a, nd):>8} {fmt(m, nd):>8}"
              f" {fmt(s, nd):>8}   {fmtx(rm):>9} {sp:>9} {fmtx(rs):>10}  {tgt}")
    if unknown:
        verdicts.append(f"{titles[p]}: NOT MEASURED: " + "; ".join(unknown))
    if misses:
        verdicts.append(f"{titles[p]}: NOT MET: " + "; ".join(misses))
    if not unknown and not misses:
        verdicts.append(f"{titles[p]}: MET on every row")
# mprox0 going direct against direct routing: no proxy on either path, so
# the ratio is what mprox0 itself costs, the second TCP connection and the
# relay (issue "Performance": the structural cost, named).
if any(k[0] == "mdirect" for k in res):
    print()
    print(f"{'No proxy: mprox0 going direct:':34} {'direct':>8} {'mdirect':>8}   {'mdirect/direct':>14}"
          f" {'rounds':>9}")
    for key, label, unit, nd, _ in rows:
        d, m = res.get(("direct", key)), res.get(("mdirect", key))
        if d is None and m is None:
            continue
        print(f"{label + ' (' + unit + ')':34} {fmt(d, nd):>8} {fmt(m, nd):>8}   {fmtx(ratio(m, d)):>14}"
              f" {fmt_spread(spread('mdirect', 'direct', key)):>9}")
    print("mdirect: routed into mprox0, whose rule sends every flow direct (the driver connects to"
          " the server\n  itself): no proxy on either path, so the ratio is mprox0's own cost, its"
          " second TCP connection\n  (the application's to the device's listener) and the relay")
# This tree's driver against the one of make bench BENCH_BASE=REV, loaded in
# turn run by run: what a change to the driver moved, beside the spread.
for p in [p for p in protos if any(k[0] == f"base_{p}" for k in res)]:
    print()
    print(f"{titles[p]}: this driver against the base driver (BENCH_BASE)")
    print(f"{'':34} {'base':>8} {'mprox0':>8}   {'mprox/base':>10}"
          f" {'rounds':>9}   {'base+sp':>8} {'+spares':>8}   {'sp/base+sp':>10} {'rounds':>9}")
    for key, label, unit, nd, _ in rows:
        b, m, bs, sp = (res.get((mode, key)) for mode in
                        (f"base_{p}", f"mprox_{p}", f"basespares_{p}", f"spares_{p}"))
        if b is None and m is None:
            continue
        print(f"{label + ' (' + unit + ')':34} {fmt(b, nd):>8} {fmt(m, nd):>8}   {fmtx(ratio(m, b)):>10}"
              f" {fmt_spread(spread(f'mprox_{p}', f'base_{p}', key)):>9}   {fmt(bs, nd):>8} {fmt(sp, nd):>8}"
              f"   {fmtx(ratio(sp, bs)):>10} {fmt_spread(spread(f'spares_{p}', f'basespares_{p}', key)):>9}")
    print("base: mprox0 on the driver of BENCH_BASE, loaded in turn with this tree's, run by run;"
          " rounds: this\n  driver's figure over the base's, round by round, lowest-highest")
# The busy configuration against the one upstream (issue "Upstreams").
rule_rows = [
    ("down_1", "download, 1 stream", "MB/s", 1, 0.98),
    ("up_1", "upload, 1 stream", "MB/s", 1, 0.98),
    ("down_4", "download, 4 streams", "MB/s", 1, 0.98),
    ("up_4", "upload, 4 streams", "MB/s", 1, 0.98),
    ("p50", "setup latency p50", "ms", 2, 1.02),
    ("p99", "setup latency p99", "ms", 2, 1.02),
    ("cps", "connections/s, 4 at a time", "1/s", 1, 0.98),
    ("rr50", "request/response p50, 1 byte", "ms", 3, None),
    ("cpugb", "CPU per GB moved", "s", 2, None),
    ("cpu", "CPU per connection", "ms", 2, None),
]
# The tools users would pick instead (issue "Performance"): SOCKS5 and HTTP
# CONNECT.
for p in [p for p in protos if any(k[0] in (f"pc_{p}", f"redsocks_{p}") for k in res)]:
    print()
    print(f"{titles[p] + ', other tools:':34} {'app':>8} {'pchains':>8} {'redsocks':>8}"
          f" {'mprox0':>8}   {'pc/app':>7} {'rs/app':>7} {'mprox/app':>9} {'mprox/rs':>8}")
    misses = []
    for key, label, unit, nd, _ in rule_rows:
        a, pc, rs, m = (res.get((mode, key)) for mode in
                        (f"app_{p}", f"pc_{p}", f"redsocks_{p}", f"mprox_{p}"))
        mr = ratio(m, rs)
        if key.startswith(("down", "up")) and (mr is None or mr < 1.3):
            misses.append(f"{label} {fmtx(mr)}")
        if key == "cpugb" and (mr is None or mr > 1.0):
            misses.append(f"{label} {fmtx(mr)} (target: <= redsocks')")
        print(f"{label + ' (' + unit + ')':34} {fmt(a, nd):>8} {fmt(pc, nd):>8} {fmt(rs, nd):>8}"
              f" {fmt(m, nd):>8}   {fmtx(ratio(pc, a)):>7} {fmtx(ratio(rs, a)):>7}"
              f" {fmtx(ratio(m, a)):>9} {fmtx(mr):>8}")
    verdicts.append(f"{titles[p]}, mprox0 against redsocks (issue \"Performance\":"
                    " throughput >= 1.3x, CPU per GB <= 1.0x): "
                    + ("NOT MET: " + "; ".join(misses) if misses else "MET on every row"))
if "socks5" in protos and any(k[0] == "rules_socks5" for k in res):
    print()
    print(f"{'SOCKS5, 10 rules + 4 upstreams:':34} {'mprox0':>8} {'rules':>8}   {'rules/mprox0':>12}"
          "  target")
    misses = []
    for key, label, unit, nd, t in rule_rows:
        m, r = res.get(("mprox_socks5", key)), res.get(("rules_socks5", key))
        rr = ratio(r, m)
        tgt = "" if t is None else (f">= {t}x" if t < 1 else f"<= {t}x")
        if t is not None and (rr is None or (rr < t if t < 1 else rr > t)):
            misses.append(f"{label} {fmtx(rr)}")
        print(f"{label + ' (' + unit + ')':34} {fmt(m, nd):>8} {fmt(r, nd):>8}   {fmtx(rr):>12}"
              f"  {tgt}")
    verdicts.append("SOCKS5, 10 rules + 4 upstreams against one upstream (issue \"Upstreams\"): "
                    + ("NOT MET: " + "; ".join(misses) if misses else "MET on every row"))
# The kernel memory of idle connections (issue "Performance").
for n in idle_ns:
    for mode in ("app_idle", "mprox_idle"):
        if (mode, f"idle_{n}_bytes") in sums:
            res[(mode, f"idle{n}")] = sums[(mode, f"idle_{n}_bytes")] / n
            res[(mode, f"idlesock{n}")] = sums[(mode, f"idle_{n}_sockets")] / n
idle = [n for n in idle_ns if (("mprox_idle", f"idle{n}") in res
                               and ("app_idle", f"idle{n}") in res)]
if idle:
    print()
    print(f"{'SOCKS5, dante, idle connections:':34} {'app':>8} {'mprox0':>8}   {'mprox-app':>9}"
          f" {'sockets':>8} {'beyond':>8}  target")
    miss = []
    for n in idle:
        a, m = res[("app_idle", f"idle{n}")], res[("mprox_idle", f"idle{n}")]
        socks = res[("mprox_idle", f"idlesock{n}")] - res[("app_idle", f"idlesock{n}")]
        beyond = m - a - socks
        res[("mprox_idle", f"idlebeyond{n}")] = beyond
        tgt = "<= 8.0 KiB beyond" if n >= 10000 else ""
        if n >= 10000 and beyond > 8192:
            miss.append(f"{n}: {beyond / 1024:.1f} KiB > 8 KiB")
        print(f"{'kernel memory per conn., ' + str(n) + ' (KiB)':34} {a / 1024:>8.1f} {m / 1024:>8.1f}"
              f"   {(m - a) / 1024:>9.1f} {socks / 1024:>8.1f} {beyond / 1024:>8.1f}  {tgt}")
    if 10000 in idle:
        verdicts.append("SOCKS5, dante, idle connections (issue \"Performance\": <= 8 KiB beyond"
                        " mprox0's two sockets at 10,000): "
                        + ("NOT MET: " + "; ".join(miss) if miss else "MET"))
    print("idle connections: what the slab caches and TCP socket memory grew by while N"
          " connections, each\n  used once, were held open; mprox-app: what mprox0 adds per"
          " connection; sockets: the part of it\n  in TCP sockets' slabs (TCP, TCPv6,"
          " sock_inode_cache); beyond: the rest")
# The resolver's answers against a DNS server's (issue "UDP and DNS").
if ("dns_mprox", "dns_p50") in sums and ("dns_direct", "dns_p50") in sums:
    print()
    print(f"{'DNS, A for a new name:':34} {'dnsmasq':>8} {'mprox0':>8}   {'mprox/dnsmasq':>13}  target")
    for key, label in (("dns_p50", "query latency p50"), ("dns_p99", "query latency p99")):
        d, m = sums[("dns_direct", key)], sums[("dns_mprox", key)]
        res[("dns_direct", key)], res[("dns_mprox", key)] = d, m
        print(f"{label + ' (us)':34} {d:>8.0f} {m:>8.0f}   {fmtx(ratio(m, d)):>13}"
              f"  {'<= 0.5x' if key == 'dns_p50' else ''}")
    r = ratio(sums[("dns_mprox", "dns_p50")], sums[("dns_direct", "dns_p50")])
    verdicts.append("DNS, fake-IP answer p50 against dnsmasq one hop away (issue \"UDP and DNS\":"
                    " <= 0.5x): " + ("MET" if r is not None and r <= 0.5 else f"NOT MET: {fmtx(r)}"))
# UDP through the relay against direct routing (issue "UDP and DNS": a ratio).
if ("udp_direct", "udp_mbps") in sums and ("udp_mprox", "udp_mbps") in sums:
    d, m = sums[("udp_direct", "udp_mbps")], sums[("udp_mprox", "udp_mbps")]
    res[("udp_direct", "udp_mbps")], res[("udp_mprox", "udp_mbps")] = d, m
    print()
    print(f"{'UDP, iperf3 -u, 1400-byte datagrams:':34} {'direct':>8} {'mprox0':>8}   {'mprox/direct':>13}")
    print(f"{'most arrived, under 1% lost (Mbit/s)':34} {d:>8.0f} {m:>8.0f}   {fmtx(ratio(m, d)):>13}")
    if ("udp_mdirect", "udp_mbps") in sums:
        md = sums[("udp_mdirect", "udp_mbps")]
        res[("udp_mdirect", "udp_mbps")] = md
        print(f"{'  mprox0, rule proto udp direct':34} {d:>8.0f} {md:>8.0f}   {fmtx(ratio(md, d)):>13}")
    print("UDP: of 5, 10, 25, 50, 100, 200, 400, 800 Mbit/s offered, up to the first with 1% or more"
          " lost, the most\n  that arrived; mprox0: SOCKS5 UDP ASSOCIATE through dante; direct: the"
          " driver's own\n  socket sends each datagram from xmit, routed as direct routing is")
# Kernel memory per association and per fake-IP name (issue "UDP and DNS").
if ("udp_app", "assoc_bytes") in sums and ("udp_mprox", "assoc_bytes") in sums:
    a, m = sums[("udp_app", "assoc_bytes")], sums[("udp_mprox", "assoc_bytes")]
    res[("udp_app", "assoc_bytes")] = a
    print(f"{'kernel memory per UDP association (bytes)':46} {'app':>8} {'mprox0':>8} {'mprox0 - app':>13}")
    print(f"{'':46} {a:>8.0f} {m:>8.0f} {m - a:>13.0f}")
    print("  the whole guest's (dante's side included); app: the application speaks SOCKS5 UDP"
          " ASSOCIATE itself")
for mode, key, label in (("udp_mprox", "assoc_bytes", "kernel memory per UDP association"),
                         ("dns_mprox", "pool_name_bytes", "kernel memory per fake-IP name")):
    if (mode, key) in sums:
        res[(mode, key)] = sums[(mode, key)]
        print(f"{label + ' (bytes)':46} {sums[(mode, key)]:>8.0f}")
print()
print("rounds: mprox/app round by round, lowest-highest (the rounds alternate the modes)")
print("targets (issue \"Engine\"): setup latency p50 and p99 <= 1.1x the application's own"
      " with spare_conns 0,\n  <= 0.9x with spare_conns 2; connections per second >= 1.0x;"
      " throughput >= 0.95x (here: of the\n  application's own, in this run);"
      " (issue \"Performance\") request/response p50 <= 1.1x, CPU per GB <= 1.2x")
for v in verdicts:
    print("  " + v)
print("setup latency in two parts: until connect() returns (for mprox0, the kernel's connect"
      " and handshake\n  with the proxy), and the rest (the request and the response through the"
      " tunnel)")
print("CPU: the whole guest's, from /proc/stat, over the latency connections (one at a time) and"
      f" the 4-at-a-time\n  ones; the idle guest used {idle_rate * 1000 / hz:.1f} ms a second")
# Every figure, for the host (tests/bench/report.py: JSON, Markdown, plots).
doc = defaultdict(dict)
for (mode, key), value in res.items():
    doc[mode][key] = value
print("benchjson " + json.dumps({"protos": protos, "modes": doc, "verdicts": verdicts},
                                sort_keys=True))
EOF
plan "$tap_n"
tap_exit
