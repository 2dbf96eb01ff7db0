#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# Active health checks (docs/routing.md, "Health"): with probe_interval_s
# each upstream is probed on its own, not counted as a connect; a proxy
# that dies is found down by the probes and the flows that meet it first
# are retried inside the application's connect(), so a loop of 200
# connections loses none to it; while probes run, no flow is sent to a
# down upstream as a trial; once the proxy is back the probes bring its
# upstream back within two intervals and traffic returns to it.
# probe_target makes the probe a whole CONNECT. All seen in the status
# JSON, and in the proxy's own connection count.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup echo mprox0
step "a backup microsocks on the proxy host" topo_microsocks 1082
step "the primary microsocks on the proxy host" topo_microsocks 1083
mprox_dmesg_mark
# The interval: two seconds, three on the slow debug guest.
iv=$(mprox_scale 2 3)

up_stat() {
	mprox_stat mprox0 "config.upstreams.$1.$2"
}
echoes() {
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" many 10.200.2.2 7007 "$1" 300 2>"${2:-/dev/null}" |
		sed -n 's/^\([0-9]*\) ok.*/\1/p'
}
# established PORT: the proxy host's established TCP connections on its
# port PORT (the proxy's own view of who is connected to it).
established() {
	topo_ns $TOPO_P ss -Htn state established "( sport = :$1 )" | wc -l
}
probes_at_least() {
	[ "$(up_stat "$1" probes.ok)" -ge "$2" ]
}
state_is() {
	[ "$(up_stat "$1" state)" = "$2" ]
}

check "upstreams p (priority 0) and b (priority 1), probes every $iv s" \
	mprox_config mprox0 <<<"upstream flush
upstream add p socks5://10.200.1.1:1083
upstream add b socks5://10.200.1.1:1082 priority 1
set probe_interval_s $iv"
expect "the document has the interval" "$(mprox_stat mprox0 config.tunables.probe_interval_s)" "$iv"
expect "no probe target: null" "$(mprox_stat mprox0 config.probe_target)" None
check "both upstreams probed twice" wait_for $((4 * iv + 10)) \
	eval 'probes_at_least 0 2 && probes_at_least 1 2'
expect "the probes came to ok" "$(up_stat 0 probes.last) $(up_stat 1 probes.last)" "ok ok"
expect "no probe failed" "$(up_stat 0 probes.failed) $(up_stat 1 probes.failed)" "0 0" ||
	mprox_stat mprox0 config.upstreams | diag
expect "probes are not connects" \
	"$(mprox_stat mprox0 stats.connects.ok) $(up_stat 0 connects.ok) $(up_stat 1 connects.ok)" "0 0 0"
# Closed after each: at most the one being made is at the proxy.
if [ "$(established 1083)" -le 1 ]; then
	pass "no probe connection stays open at the primary"
else
	fail "the primary holds $(established 1083) connections with no flow"
fi
expect "10 connections go to p" "$(echoes 10)" 10
expect "p carried them" "$(up_stat 0 connects.ok)" 10
check_flows_drain mprox0 30

# ---- the primary dies during a loop of 200 connections ------------------------------
before=$(mprox_connects_json mprox0)
retries=$(mprox_stat mprox0 stats.retries)
err=$(mktemp)
out=$(mktemp)
(echoes 200 "$err" >"$out") &
loop=$!
# Kill it once the loop is well under way through it.
p_busy() {
	[ "$(up_stat 0 connects.ok)" -ge 40 ]
}
check "the loop is under way through p" wait_for 120 p_busy
check "the primary proxy killed" pkill -f 'microsocks -i :: -p 1083'
check "the probes find p down, whatever the loop does" wait_for $((2 * iv + 10)) state_is 0 down
wait "$loop"
ok=$(cat "$out")
# A connection inside its echo when the proxy died loses its stream: that
# is the proxy's death, not a connect that failed.
if [ "${ok:-0}" -ge 199 ]; then
	pass "the loop: $ok of 200 connections went through"
else
	fail "the loop: ${ok:-0} of 200 connections went through"
	diag <"$err"
fi
moved=$(mprox_connects_moved "$before" "$(mprox_connects_json mprox0)")
if [[ "$moved" =~ ^ok\+([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge "$ok" ]; then
	pass "every connect the app made succeeded ($moved; $(($(mprox_stat mprox0 stats.retries) - retries)) retried on b)"
else
	fail "the app's connects: $moved"
	diag <"$err"
fi
rm -f "$err" "$out"
check_flows_drain mprox0 30
p_tries=$(up_stat 0 connects.upstream_down)
b_ok=$(up_stat 1 connects.ok)
retries=$(mprox_stat mprox0 stats.retries)
expect "20 connections while p is down go to b" "$(echoes 20)" 20
expect "b carried all 20" "$(up_stat 1 connects.ok)" $((b_ok + 20))
expect "no flow tried p while it was down (no trial: the probes decide)" \
	"$(up_stat 0 connects.upstream_down)" "$p_tries"
expect "so none had to be retried" "$(mprox_stat mprox0 stats.retries)" "$retries"
check "p's probes fail" wait_for $((2 * iv + 10)) eval '[ "$(up_stat 0 probes.failed)" -ge 1 ]'
expect "p's last probe" "$(up_stat 0 probes.last)" upstream_down
expect "the document: p comes back by a probe, no retry time" \
	"$(up_stat 0 back_by) $(up_stat 0 retry_in_ms)" "probe "
if topo_ns $TOPO_C "$MPROX_CMD" show mprox0 | grep -q 'health: down.*(upstream_down), back at a good probe'; then
	pass "mprox show: p is back at a good probe"
else
	fail "mprox show does not say p waits for a probe"
	topo_ns $TOPO_C "$MPROX_CMD" show mprox0 | diag
fi

# ---- it comes back -------------------------------------------------------------------
step "the primary microsocks back" topo_microsocks 1083
t0=$(ms_now)
check "the probes bring p back" wait_for $((4 * iv + 10)) state_is 0 up
took=$(($(ms_now) - t0))
# One look at the document costs the guest up to a second (two processes).
limit=$((2 * iv * 1000 + $(mprox_scale 1000 3000)))
if [ "$took" -le "$limit" ]; then
	pass "p up again $took ms after its proxy listened (probe interval $iv s)"
else
	fail "p up again only $took ms after its proxy listened; want two intervals ($((2 * iv)) s)"
fi
p_ok=$(up_stat 0 connects.ok)
expect "10 more connections" "$(echoes 10)" 10
expect "traffic is back on p" "$(up_stat 0 connects.ok)" $((p_ok + 10))
check_flows_drain mprox0 30

# ---- probe_target: a whole CONNECT ------------------------------------------------------
check "mprox set mprox0 probe_target 10.200.2.2:7007 (the echo server)" \
	topo_ns $TOPO_C "$MPROX_CMD" set mprox0 probe_target 10.200.2.2:7007
expect "the document has it" "$(mprox_stat mprox0 config.probe_target)" 10.200.2.2:7007
out=$(topo_ns $TOPO_C "$MPROX_CMD" show mprox0)
if grep -q "^  probes: every $iv s, a CONNECT to 10.200.2.2:7007\$" <<<"$out" &&
	grep -Eq '^  probes: [0-9]+ ok, [0-9]+ failed, the last \((ok|upstream_down)\) [0-9. a-z]+ ago$' <<<"$out"; then
	pass "mprox show: the probes' interval and target, each upstream's probes"
else
	fail "mprox show:"
	diag <<<"$out"
fi
# Nothing listens on port 9: the proxy's CONNECT there is refused, which a
# probe that only greets the proxy could not see. The upstream stays up:
# the proxy answered.
check "set probe_target [fd00:200:2::2]:9 (nothing listens)" \
	mprox_set mprox0 probe_target "[fd00:200:2::2]:9"
expect "the document has it" "$(mprox_stat mprox0 config.probe_target)" "[fd00:200:2::2]:9"
check "p's probe came to refused" wait_for $((2 * iv + 10)) \
	eval '[ "$(up_stat 0 probes.last)" = refused ]'
expect "p stays up: its proxy answered" "$(up_stat 0 state)" up
check "set probe_target none" mprox_set mprox0 probe_target none
expect "the document has none" "$(mprox_stat mprox0 config.probe_target)" None
check "p's probes come to ok again" wait_for $((2 * iv + 10)) \
	eval '[ "$(up_stat 0 probes.last)" = ok ]'

# ---- a proxy that accepts and never answers: a probe each interval all the same ------------
# A probe's answer is due within the interval; one that never comes ends
# as a timeout by the next round, which probes the upstream again.
topo_spawn $TOPO_P python3 "$MPROX_NETUTIL" silent-server 1084
step "a server that accepts and never answers on the proxy host" wait_for 20 topo_listening $TOPO_P 1084
check "upstream s on it (priority 2: no traffic goes there)" \
	mprox_config mprox0 <<<"upstream add s socks5://10.200.1.1:1084 priority 2"
check "s's first probe times out" wait_for $((2 * iv + 10)) eval '[ "$(up_stat 2 probes.failed)" -ge 1 ]'
t0=$(ms_now)
n0=$(up_stat 2 probes.failed)
check "two more time out" wait_for $((6 * iv + 10)) eval '[ "$(up_stat 2 probes.failed)" -ge $((n0 + 2)) ]'
took=$(($(ms_now) - t0))
expect "s's last probe" "$(up_stat 2 probes.last)" timeout
limit=$((2 * iv * 1000 + $(mprox_scale 1500 3000)))
if [ "$took" -le "$limit" ]; then
	pass "two more probes of s in $took ms: one each interval ($iv s)"
else
	fail "two more probes of s took $took ms; want two intervals ($((2 * iv)) s)"
fi
check "upstream del s" mprox_config mprox0 <<<"upstream del s"

# ---- bad input --------------------------------------------------------------------------
cfg=$(mprox_stat mprox0 config.tunables)
refused() {
	local out
	out=$(mprox_config mprox0 <<<"$2" 2>&1) && return 1
	grep -q "$1" <<<"$out"
}
check "probe_interval_s 3601: ERANGE" refused "Numerical result out of range" "set probe_interval_s 3601"
check "probe_target without a port: EINVAL" refused "Invalid argument" "set probe_target 10.200.2.2"
check "probe_target IPv6 without brackets: EINVAL" refused "Invalid argument" \
	"set probe_target fd00:200:2::2:80"
check "probe_target port 0: ERANGE" refused "Numerical result out of range" \
	"set probe_target 10.200.2.2:0"
check "probe_target a name: EINVAL" refused "Invalid argument" "set probe_target example.com:80"
check "a good line before a bad one: nothing of the write" refused "Invalid argument" \
	"set probe_interval_s 7
set probe_target nowhere"
expect "the tunables are unchanged" "$(mprox_stat mprox0 config.tunables)" "$cfg"
expect "and there is still no target" "$(mprox_stat mprox0 config.probe_target)" None

# ---- off -------------------------------------------------------------------------------
check "set probe_interval_s 0" mprox_set mprox0 probe_interval_s 0
n=$(up_stat 0 probes.ok)
# Off: the last probe only ages. Waiting for it to be three intervals old
# proves no round ran meanwhile.
check "no probe for three intervals" wait_for $((4 * iv + 10)) \
	eval '[ "$(up_stat 0 probes.last_ms)" -ge $((3 * iv * 1000)) ]'
expect "p's probe count stayed" "$(up_stat 0 probes.ok)" "$n"

mprox_check_dmesg tcp-probes
mprox_case_teardown
plan "$tap_n"
tap_exit
