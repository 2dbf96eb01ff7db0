#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# Several upstreams (docs/routing.md, "Choosing an upstream"): weights
# share flows out by a smooth round robin, exactly (400 connections,
# counted at the proxies; 100 on the debug kernel); round-robin ignores
# them; least-connections fills the emptiest for its weight; a lower priority
# number goes first; an upstream whose proxy fails is down, with a backoff,
# and the flow that found it down is retried on the next one inside the
# application's connect(); it comes back once its proxy does; with every
# upstream down a SYN is answered at once. All seen in the status JSON.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup echo mprox0
step "a second microsocks on the proxy host" topo_microsocks 1082
head -c 20000 /dev/urandom >"$TOPO_WWW/page"
want=$(sha256sum <"$TOPO_WWW/page" | cut -d' ' -f1)
url=http://10.200.2.2:8080/page
# Nothing listens on these ports of the proxy host: a connect is refused.
dead=socks5://10.200.1.1:1099
dead2=socks5://10.200.1.1:1098

# up_stat N KEY: config.upstreams.N.KEY.
up_stat() {
	mprox_stat mprox0 "config.upstreams.$1.$2"
}
quiet_fetch() {
	topo_ns $TOPO_C curl -s --max-time 20 -o /dev/null "$@"
}
# echoes N: N connections one after the other to the echo server, each
# with a line there and back, from one process (a curl each would cost
# the slow debug guest seconds). Prints how many succeeded.
echoes() {
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" many 10.200.2.2 7007 "$1" 120 2>/dev/null |
		sed -n 's/^\([0-9]*\) ok.*/\1/p'
}
# echoes_parallel N: echoes of N connections in all from four processes at
# once; prints how many succeeded.
echoes_parallel() {
	local i pids=() out=() total=0
	for i in 1 2 3 4; do
		out[i]=$(mktemp)
		topo_ns $TOPO_C python3 "$MPROX_NETUTIL" many 10.200.2.2 7007 $(($1 / 4)) 300 \
			>"${out[i]}" 2>/dev/null &
		pids[i]=$!
	done
	for i in 1 2 3 4; do
		wait "${pids[i]}"
		total=$((total + $(sed -n 's/^\([0-9]*\) ok.*/\1/p' "${out[i]}")))
		rm -f "${out[i]}"
	done
	echo "$total"
}
# syns: syns_new="A B", the SYNs that reached proxy a's port and b's on
# the proxy host since the last call: what the proxies were given,
# counted there, not by mprox. (Rule counters: the debug kernel has no
# named ones.) Not in a $(): it keeps what it saw.
syns_seen="0 0"
syns() {
	local now
	now=$(topo_ns $TOPO_P nft -j list table inet count | python3 -c '
import json, sys
seen = dict(zip("ab", map(int, sys.argv[1].split())))
n = {}
for o in json.load(sys.stdin)["nftables"]:
    r = o.get("rule")
    if r and r.get("comment") in seen:
        n[r["comment"]] = next(e["counter"]["packets"] for e in r["expr"] if "counter" in e)
print(n["a"], n["b"], n["a"] - seen["a"], n["b"] - seen["b"])' "$syns_seen")
	syns_seen=${now% * *}
	syns_new=${now#* * }
}
mprox_dmesg_mark

# ---- weights -----------------------------------------------------------------
check "upstreams a (weight 3) and b (weight 1), priority 0" mprox_config mprox0 <<<"upstream flush
upstream add a socks5://10.200.1.1:1080 weight 3
upstream add b socks5://10.200.1.1:1082 weight 1"
expect "8 connections through a and b" "$(echoes 8)" 8
expect "a took 6 of them (weights 3:1)" "$(up_stat 0 connects.ok)" 6
expect "b took 2" "$(up_stat 1 connects.ok)" 2
expect "both up" "$(up_stat 0 state) $(up_stat 1 state)" "up up"
expect "a has no failure" "$(up_stat 0 failures)" 0
check_flows_drain mprox0 30

# ---- 400 connections, counted at the proxies ----------------------------------
# (100 on the debug kernel, where each costs it about a second: the shares are
# exact either way.)
n=$(mprox_scale 400 100)
step "the proxy host counts the SYNs to a (1080) and b (1082)" topo_ns $TOPO_P nft -f - <<'NFT'
table inet count {
	chain in {
		type filter hook input priority 0;
		tcp dport 1080 tcp flags & (syn | ack) == syn counter comment "a"
		tcp dport 1082 tcp flags & (syn | ack) == syn counter comment "b"
	}
}
NFT
syns
# A smooth weighted round robin is exact: 3:1 of 400 is 300 and 100,
# whatever order four processes' SYNs come in.
expect "weights 3:1: $n connections from 4 processes" "$(echoes_parallel "$n")" "$n"
syns
expect "the proxies got 3/4 and 1/4" "$syns_new" "$((n * 3 / 4)) $((n / 4))"
check_flows_drain mprox0 60
check "set balance round-robin" mprox_set mprox0 balance round-robin
expect "round-robin: $n connections from 4 processes" "$(echoes_parallel "$n")" "$n"
syns
expect "the proxies got half each" "$syns_new" "$((n / 2)) $((n / 2))"
check_flows_drain mprox0 60
check "balance back to weighted" mprox_set mprox0 balance weighted

# ---- balance modes -------------------------------------------------------------
check "mprox set mprox0 balance round-robin" topo_ns $TOPO_C "$MPROX_CMD" set mprox0 balance round-robin
expect "the document says round-robin" "$(mprox_stat mprox0 config.tunables.balance)" round-robin
a=$(up_stat 0 connects.ok) b=$(up_stat 1 connects.ok)
ok=$(echoes 4)
expect "round-robin: 4 connections, 2 each whatever the weights" \
	"$ok $(($(up_stat 0 connects.ok) - a)) $(($(up_stat 1 connects.ok) - b))" "4 2 2"
check_flows_drain mprox0 30
check "set balance least-connections" mprox_set mprox0 balance least-connections
# Connections that stay open: each a netutil "hold" of one connection to
# the echo server, until its stdin (a FIFO this shell holds open) ends.
# Each starts once the last one holds its upstream, so that each choice
# sees the ones before it.
holders=()
actives() {
	echo "$(up_stat 0 active) $(up_stat 1 active)"
}
actives_sum_is() {
	local a
	a=$(actives)
	[ $((${a% *} + ${a#* })) = "$1" ]
}
fifo=$(mktemp -u)
mkfifo "$fifo"
exec 9<>"$fifo"
for i in 1 2 3 4; do
	# Not through a function: $! must be python (ip netns exec execs it).
	# Without fd 9, so that closing ours is the FIFO's end for all.
	ip netns exec "$TOPO_C" python3 "$MPROX_NETUTIL" hold 10.200.2.2 7007 1 \
		<"$fifo" >/dev/null 9>&- &
	holders+=($!)
	check "holder $i connected" wait_for 20 actives_sum_is "$i"
done
# a (weight 3) and b (weight 1), whichever the round robin's tie-break
# takes first: a b a a, or b a a a (a has 1/3 and 2/3 of a connection per
# unit of weight against b's 1).
got=$(actives)
expect "least-connections: 4 connections that stay, 3 on a and 1 on b" "$got" "3 1"
[ "$got" = "3 1" ] || mprox_stat mprox0 stats.flows | diag
holders_done() {
	local p
	for p in "${holders[@]}"; do
		! kill -0 "$p" 2>/dev/null || return 1
	done
}
exec 9>&-
check "the holders end with their stdin" wait_for 20 holders_done
kill "${holders[@]}" 2>/dev/null
wait "${holders[@]}" 2>/dev/null
rm -f "$fifo"
check_flows_drain mprox0 30
check "balance back to weighted" mprox_set mprox0 balance weighted

# ---- failover ------------------------------------------------------------------
check "upstream dead (priority 0, nothing listens) and live (priority 1)" \
	mprox_config mprox0 <<<"upstream flush
upstream add dead $dead
upstream add live socks5://10.200.1.1:1082 priority 1"
expect "the JSON has the priorities" "$(up_stat 0 priority) $(up_stat 1 priority)" "0 1"
# The health changes must wake poll(): mprox monitor prints what it sees
# at each wake-up, and nothing else changes meanwhile.
mon=$(mktemp)
ip netns exec "$TOPO_C" "$MPROX_CMD" monitor mprox0 >"$mon" 2>&1 &
mon_pid=$!
# Ready once its first read armed poll(): it has mprox0's fd (fdinfo) and
# sleeps in poll(2) (syscall 7 on x86-64).
monitor_ready() {
	grep -qs 'mprox-iff:.mprox0$' /proc/"$mon_pid"/fdinfo/* &&
		[ "$(cut -d' ' -f1 /proc/"$mon_pid"/syscall)" = 7 ]
}
seen() {
	grep -q "$1" "$mon"
}
check "mprox monitor mprox0 running" wait_for 10 monitor_ready
retries=$(mprox_stat mprox0 stats.retries)
before=$(mprox_connects_json mprox0)
t_down=$SECONDS
mprox_fetch "a fetch succeeds: retried on live inside connect()" "$want" 30 "$url"
expect "dead is down" "$(up_stat 0 state)" down
expect "dead's last error" "$(up_stat 0 last_error)" upstream_down
expect "dead failed once" "$(up_stat 0 failures)" 1
expect "one retry counted" "$(mprox_stat mprox0 stats.retries)" $((retries + 1))
expect "the app saw one connect, ok" \
	"$(mprox_connects_moved "$before" "$(mprox_connects_json mprox0)")" "ok+1"
check "monitor: upstream-state dead down" wait_for 10 seen '^mprox0: upstream-state dead down$'
out=$(topo_ns $TOPO_C "$MPROX_CMD" show mprox0)
if grep -Eq '^  health: down for [0-9. a-z]+ \(upstream_down\), (tried again in [0-9.]+ s|its backoff over), 1 failure$' <<<"$out" &&
	grep -q '^  priority: 1, weight: 1$' <<<"$out"; then
	pass "mprox show: dead's health, live's priority"
else
	fail "mprox show:"
	diag <<<"$out"
fi
mprox_fetch "an IPv6 fetch succeeds too" "$want" 30 "http://[fd00:200:2::2]:8080/page"
expect "12 more connections, all succeed" "$(echoes 12)" 12
# Without the backoff every connection would try dead first: 14 failures.
# With it only the one trial after each backoff does: in T seconds at most
# 1 + bits(T + 1) with the doubling (the host test checks the doubling
# itself; a short run cannot tell it from a fixed backoff).
secs=$((SECONDS - t_down + 1))
bits=0
for ((x = secs + 1; x > 0; x /= 2)); do bits=$((bits + 1)); done
fails=$(up_stat 0 failures)
if [ "$fails" -ge 1 ] && [ "$fails" -le $((1 + bits)) ] && [ "$fails" -lt 14 ]; then
	pass "dead was tried again only after its backoff: $fails failures for 14 connections in $secs s"
else
	fail "dead failed $fails times for 14 connections in $secs s; want 1 to $((1 + bits)) (the backoff)"
fi
expect "each failure was retried on live" \
	"$(($(mprox_stat mprox0 stats.retries) - retries))" "$fails"
expect "live carried all 14" "$(up_stat 1 connects.ok)" 14
down_ms=$(up_stat 0 retry_in_ms)
if [ "${down_ms:-x}" -ge 0 ] 2>/dev/null && [ "$down_ms" -le 60000 ]; then
	pass "dead says when it is tried again ($down_ms ms)"
else
	fail "dead's retry_in_ms: '$down_ms'"
fi
expect "without probes, a trial brings it back" "$(up_stat 0 back_by)" trial

# ---- recovery --------------------------------------------------------------------
step "a microsocks where dead pointed" topo_microsocks 1099
dead_is_up() {
	quiet_fetch "$url" && [ "$(up_stat 0 state)" = up ]
}
check "dead is up again once a flow found its proxy back" wait_for 90 dead_is_up
check "monitor: upstream-state dead up" wait_for 10 seen '^mprox0: upstream-state dead up$'
kill "$mon_pid"
wait "$mon_pid" 2>/dev/null
rm -f "$mon"
ok=$(up_stat 0 connects.ok)
mprox_fetch "a fetch goes to dead again (priority 0)" "$want" 30 "$url"
expect "dead carried it" "$(up_stat 0 connects.ok)" $((ok + 1))
check_flows_drain mprox0 30

# ---- all down ----------------------------------------------------------------------
check "upstreams x (priority 0) and y (priority 1), neither listening" \
	mprox_config mprox0 <<<"upstream flush
upstream add x $dead2
upstream add y socks5://10.200.1.1:1097 priority 1"
before=$(mprox_connects_json mprox0)
mprox_expect_error "x and y refuse: the retry fails too, host unreachable" "$url" \
	"No route to host" "$(mprox_scale 3000 6000)"
expect "both down" "$(up_stat 0 state) $(up_stat 1 state)" "down down"
# More, each a failed trial that doubles the backoffs, until both outlast
# the check below by far even on the slow debug guest. 3 s was not, in a
# .ci/run beside other guests: reading the counters and starting curl
# seemingly took longer, and the check's flow was a trial (upstream_down,
# not all_down).
backed_off() {
	mprox_json mprox0 | python3 -c '
import json, sys
ups = json.load(sys.stdin)["config"]["upstreams"]
sys.exit(0 if all(u.get("retry_in_ms", 0) >= 7000 for u in ups) else 1)'
}
fetch_backed_off() {
	quiet_fetch "$url"
	backed_off
}
check "both back off for 7 s or more after their failed trials" wait_for 90 fetch_backed_off
# The errno of this answer (EHOSTUNREACH) is tcp-errors' to check, with
# the others; here: that it comes at once, and from nothing tried.
before=$(mprox_connects_json mprox0)
out=$(topo_ns $TOPO_C curl -sS --max-time 30 -o /dev/null -w '%{stderr}@times %{time_connect} %{time_total}\n' \
	"$url" 2>&1)
rc=$?
ms=$(curl_times <<<"$out")
ms=${ms#* }
if [ "$rc" = 7 ] && [ "$ms" -le "$(mprox_scale 300 1000)" ]; then
	pass "every upstream down: curl fails at once ($ms ms: $(grep -o 'curl: (7).*' <<<"$out"))"
else
	fail "every upstream down: curl exit $rc after $ms ms; want 7 within $(mprox_scale 300 1000) ms"
	diag <<<"$out"
fi
expect "counted as all_down, nothing tried" \
	"$(mprox_connects_moved "$before" "$(mprox_connects_json mprox0)")" "all_down+1"
check_flows_drain mprox0 30

# ---- bad input ---------------------------------------------------------------------
# specs: what the configuration says of each upstream (not its health).
specs() {
	mprox_stat mprox0 config.upstreams | python3 -c '
import json, sys
keys = ("name", "proto", "host", "port", "priority", "weight")
print([[u[k] for k in keys] for u in json.load(sys.stdin)])'
}
cfg=$(specs)
# refused WANT DIRECTIVES: the write fails with the errno text WANT.
refused() {
	local out
	out=$(mprox_config mprox0 <<<"$2" 2>&1) && return 1
	grep -q "$1" <<<"$out"
}
check "priority 256: ERANGE" refused "Numerical result out of range" "upstream add z $dead priority 256"
check "priority twice: EINVAL" refused "Invalid argument" "upstream add z $dead priority 1 priority 2"
check "priority -1: EINVAL" refused "Invalid argument" "upstream add z $dead priority -1"
check "set balance random: EINVAL" refused "Invalid argument" "set balance random"
check "a good line before a bad one: nothing of the write" refused "Numerical result" \
	"upstream add z $dead priority 1
upstream add w $dead priority 300"
expect "the upstreams are unchanged" "$(specs)" "$cfg"
expect "and balance is still weighted" "$(mprox_stat mprox0 config.tunables.balance)" weighted

mprox_check_dmesg tcp-failover
mprox_case_teardown
plan "$tap_n"
tap_exit
