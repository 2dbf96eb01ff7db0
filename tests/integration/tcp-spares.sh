#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# Spare upstream connections (docs/upstreams.md, "Spare connections"): none
# unless spare_conns asks; then opened after a connection asked for the
# upstream, used in place of a new connection, replaced, closed once
# unused for spare_idle_s, and never worth a failed connection: dead
# spares are skipped, and a spare the proxy drops just as the request
# reaches it is retried on a connection of mprox's own. With a password
# too (dante), and a wrong password costs one spare, not one per flow.
# Changing the configuration, and the device going down, close them; when
# it comes up again they open at once: a spare that down aborted is no
# failure, and one that failed before holds nothing back.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup mprox0
step "dante with username auth on the proxy host" topo_dante 1081 mproxuser 'pa55:w0rd'
step "a second microsocks, to be restarted" topo_microsocks 1082
# Drops a client whose request comes 100 ms or more after its method
# reply: every spare, and never a connection of mprox's own.
topo_spawn $TOPO_P python3 "$MPROX_LIB/slow_socks5.py" 1083 0 100
step "a SOCKS5 server that forgets idle clients" wait_for 60 topo_listening $TOPO_P 1083
forget_log=$(topo_last_log)
# The same, but holding the dropped client 3 s first: longer than the
# connect_timeout_ms the case sets for it.
topo_spawn $TOPO_P python3 "$MPROX_LIB/slow_socks5.py" 1084 0 100 3000
step "a SOCKS5 server that forgets idle clients slowly" wait_for 60 topo_listening $TOPO_P 1084
hold_log=$(topo_last_log)
head -c 100000 /dev/urandom >"$TOPO_WWW/page"
want=$(sha256sum <"$TOPO_WWW/page" | cut -d' ' -f1)
url=http://10.200.2.2:8080/page

spares() {
	mprox_stat mprox0 "stats.spares.$1"
}
# proxy_conns PORT: established connections to the proxy host's PORT.
proxy_conns() {
	topo_ns $TOPO_P ss -Htn state established "( sport = :$1 )" | wc -l
}
spares_ready_is() {
	[ "$(spares ready)" = "$1" ]
}
proxy_conns_are() {
	[ "$(proxy_conns "$1")" = "$2" ]
}
# expect DESC ACTUAL WANT: one result.
expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: $2, want $3"; fi
}

# ---- off by default --------------------------------------------------------
mprox_fetch "spare_conns 0 (the default): fetch" "$want" 30 "$url"
check_flows_drain mprox0 30
expect "no spare opened" "$(spares opened)" 0
expect "no connection left at the proxy" "$(proxy_conns 1080)" 0

# ---- on: opened after demand, used, replaced --------------------------------
check "set spare_conns 2" mprox_set mprox0 spare_conns 2
check "set spare_idle_s 60" mprox_set mprox0 spare_idle_s 60
expect "the setting alone opens nothing" "$(spares opened)" 0
mprox_fetch "first fetch: no spare yet" "$want" 30 "$url"
check "then 2 spares ready" wait_for 30 spares_ready_is 2
check_flows_drain mprox0 30
check "the proxy holds exactly the 2 spares" wait_for 10 proxy_conns_are 1080 2
expect "none used yet" "$(spares used)" 0
mprox_fetch "second fetch: on a spare" "$want" 30 "$url"
expect "one spare used" "$(spares used)" 1
mprox_fetch "an IPv6 destination on a spare" "$want" 30 "http://[fd00:200:2::2]:8080/page"
expect "two spares used" "$(spares used)" 2
check "replaced: 2 ready again" wait_for 30 spares_ready_is 2
expect "4 opened in all" "$(spares opened)" 4
for i in $(seq 10); do
	topo_ns $TOPO_C curl -sS --max-time 30 -o /dev/null "$url" || break
done
expect "10 sequential fetches, each on a spare" "$(spares used)" 12
expect "no connect failed" "$(mprox_stat mprox0 stats.connects.ok)" 14

# ---- dead spares are skipped ----------------------------------------------
check "upstream m2, the second microsocks" mprox_use_upstream mprox0 m2 socks5://10.200.1.1:1082
check "p1's spares closed with p1" wait_for 30 proxy_conns_are 1080 0
mprox_fetch "fetch through m2" "$want" 30 "$url"
check "m2's 2 spares ready" wait_for 30 spares_ready_is 2
used=$(spares used)
expired=$(spares expired)
m2=$(topo_ns $TOPO_P ss -Hltnp "sport = :1082" | grep -o 'pid=[0-9]*' | head -n 1)
kill -KILL "${m2#pid=}"
step "m2 restarted" topo_microsocks 1082
mprox_fetch "after m2 restarted: fetch" "$want" 30 "$url"
expect "its dead spares not used" "$(spares used)" "$used"
check "but closed" test "$(spares expired)" -ge $((expired + 2))
expect "no proxy_error" "$(mprox_stat mprox0 stats.connects.proxy_error)" 0

# ---- the proxy drops a spare as the request arrives ---------------------------
check "upstream forget, on port 1083" mprox_use_upstream mprox0 forget socks5://10.200.1.1:1083
mprox_fetch "fetch through forget" "$want" 30 "$url"
check "forget's 2 spares ready" wait_for 30 spares_ready_is 2
used=$(spares used)
ok=$(mprox_stat mprox0 stats.connects.ok)
mprox_fetch "its spare dropped on the request: the fetch still works" "$want" 30 "$url"
expect "a spare was used" "$(spares used)" $((used + 1))
check "and dropped by the proxy" grep -q FORGOT "$forget_log"
expect "the connect counted once, as ok" "$(mprox_stat mprox0 stats.connects.ok)" $((ok + 1))
expect "still no proxy_error" "$(mprox_stat mprox0 stats.connects.proxy_error)" 0
# The connection that replaces a dropped spare gets a connect_timeout_ms of
# its own: it used to be counted from the app's SYN, already past here, so
# it timed out at once (counted as a timeout, the upstream marked down)
# and the fetch failed.
check "upstream hold, on port 1084" mprox_use_upstream mprox0 hold socks5://10.200.1.1:1084
check "set connect_timeout_ms 1000" mprox_set mprox0 connect_timeout_ms 1000
mprox_fetch "fetch through hold" "$want" 30 "$url"
check "hold's 2 spares ready" wait_for 30 spares_ready_is 2
used=$(spares used)
timeouts=$(mprox_stat mprox0 stats.connects.timeout)
forgot=$(grep -c FORGOT "$hold_log")
mprox_fetch "its spare dropped 3 s after the request: the fetch still works" "$want" 30 "$url"
expect "a spare was used" "$(spares used)" $((used + 1))
expect "and dropped by the proxy" "$(grep -c FORGOT "$hold_log")" $((forgot + 1))
expect "no timeout counted" "$(mprox_stat mprox0 stats.connects.timeout)" "$timeouts"
expect "hold still up" "$(mprox_stat mprox0 config.upstreams.0.state)" up
check "set connect_timeout_ms 10000" mprox_set mprox0 connect_timeout_ms 10000

# ---- with a password ---------------------------------------------------------
check "upstream dante, with a password" \
	mprox_use_upstream mprox0 dante 'socks5://mproxuser:pa55%3Aw0rd@10.200.1.1:1081'
mprox_fetch "fetch through dante" "$want" 30 "$url"
check "dante's 2 spares ready, authenticated" wait_for 30 spares_ready_is 2
used=$(spares used)
mprox_fetch "fetch through dante on a spare" "$want" 30 "$url"
expect "a spare was used" "$(spares used)" $((used + 1))
expect "dante refused no password" "$(mprox_stat mprox0 config.upstreams.0.auth_failed)" 0
# A wrong password: the spare that fails keeps the next ones from trying
# for spare_idle_s, so dante sees one more attempt in all, not one per flow.
check "upstream dante, with a wrong password" \
	mprox_use_upstream mprox0 dante 'socks5://mproxuser:wrong@10.200.1.1:1081'
failed=$(spares failed)
refused() {
	topo_ns $TOPO_C curl -sS --max-time 30 -o /dev/null "$url" 2>/dev/null
	[ $? = 7 ]
}
spares_failed_is() {
	[ "$(spares failed)" = "$1" ]
}
check "wrong password: connection refused" refused
check "one spare failed to open" wait_for 30 spares_failed_is $((failed + 1))
# The refusals mark dante down (docs/routing.md, "Health"): the second
# connection reaches dante only when its backoff is over by then (a
# trial), else it fails at once without a word to dante (all_down).
all_down=$(mprox_stat mprox0 stats.connects.all_down)
check "wrong password again: refused" refused
# A spare tried again would fail only after dante's slow password check
# (the first took most of a second): give it 5 s to show (25 s on the
# debug kernel, about five times slower).
wait_s=$(mprox_scale 5 25)
if wait_for "$wait_s" mprox_stat_above mprox0 stats.spares.failed $((failed + 1)); then
	fail "a spare was tried again: $(spares failed) failed, want $((failed + 1))"
else
	pass "no spare tried again in $wait_s s"
fi
reached=$((1 - $(mprox_stat mprox0 stats.connects.all_down) + all_down))
expect "dante refused the connections that reached it ($((1 + reached))) and 1 spare" \
	"$(mprox_stat mprox0 config.upstreams.0.auth_failed)" $((2 + reached))

# ---- expiry: unused for spare_idle_s ------------------------------------------
check "upstream p1 again" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080
check "dante's spares closed with dante" wait_for 30 proxy_conns_are 1081 0
check "set spare_idle_s 3" mprox_set mprox0 spare_idle_s 3
# Counted, not seen ready: on the debug kernel they may open and expire
# (3 s) between two looks.
opened=$(spares opened)
mprox_fetch "fetch through p1" "$want" 30 "$url"
check "p1's spares opened" wait_stat_above mprox0 stats.spares.opened "$opened" 30
check "closed once unused for 3 s" wait_for 30 spares_ready_is 0
check "gone at the proxy too" wait_for 10 proxy_conns_are 1080 0
opened=$(spares opened)
check_flows_drain mprox0 30
expect "and not opened again without demand" "$(spares opened)" "$opened"

# ---- spare_conns 0, and the device going down, close them -------------------
check "set spare_idle_s 60" mprox_set mprox0 spare_idle_s 60
mprox_fetch "fetch through p1" "$want" 30 "$url"
check "2 spares ready" wait_for 30 spares_ready_is 2
check "set spare_conns 0" mprox_set mprox0 spare_conns 0
check "closes them" wait_for 30 proxy_conns_are 1080 0
expect "none ready" "$(spares ready)" 0
check "set spare_conns 1" mprox_set mprox0 spare_conns 1
mprox_fetch "fetch through p1" "$want" 30 "$url"
check "1 spare ready" wait_for 30 spares_ready_is 1
check "ip link set mprox0 down" topo_ns $TOPO_C ip link set mprox0 down
check "closes it at once" wait_for 10 proxy_conns_are 1080 0
expect "none ready" "$(spares ready)" 0
check "ip link set mprox0 up" topo_ns $TOPO_C ip link set mprox0 up
check "routes back" topo_ns $TOPO_C ip route replace 10.200.2.0/24 dev mprox0
mprox_fetch "fetch after the device came back" "$want" 30 "$url"
check_flows_drain mprox0 30

# ---- and up again: spares open at the first demand ---------------------------
# link_cycle: ip link set mprox0 down and up, and the route the case uses
# back (down removed it).
link_cycle() {
	check "ip link set mprox0 down" topo_ns $TOPO_C ip link set mprox0 down
	check "ip link set mprox0 up" topo_ns $TOPO_C ip link set mprox0 up
	check "routes back" topo_ns $TOPO_C ip route replace 10.200.2.0/24 dev mprox0
}
# spares_ready_within DESC MS N: one result: polling from now, a status
# read begun within MS ms shows N spares ready (as in wait_for, a poll
# begun before the deadline counts). It reads the JSON without python,
# whose start in the guest takes a good part of a second.
spares_ready_within() {
	local desc=$1 ms=$2 start begun json ready=none
	start=$(ms_now)
	while :; do
		begun=$(($(ms_now) - start))
		if [ "$begun" -gt "$ms" ]; then
			fail "$desc: $ready ready after $ms ms, want $3"
			return
		fi
		json=$(mprox_json mprox0)
		if [[ $json =~ \"spares\":\{\"ready\":([0-9]+) ]]; then
			ready=${BASH_REMATCH[1]}
		fi
		if [ "$ready" = "$3" ]; then
			pass "$desc (read begun after $begun ms)"
			return
		fi
		sleep 0.1
	done
}
# p1_pid: microsocks on port 1080.
p1_pid() {
	topo_ns $TOPO_P ss -Hltnp "sport = :1080" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2
}

check "set spare_conns 2" mprox_set mprox0 spare_conns 2
mprox_fetch "fetch through p1" "$want" 30 "$url"
check "2 spares ready" wait_for 30 spares_ready_is 2
link_cycle
mprox_fetch "fetch after down and up" "$want" 30 "$url"
spares_ready_within "2 spares ready again within 1 s" 1000 2

# The device going down while a spare is being opened aborts it: that says
# nothing about the proxy, so it is no failure and holds nothing back. A
# stopped microsocks keeps a spare in its negotiation (the kernel accepts
# the connection; nobody answers the method request).
check "set connect_timeout_ms 60000" mprox_set mprox0 connect_timeout_ms 60000
check "2 spares ready" wait_for 30 spares_ready_is 2
p1=$(p1_pid)
check "microsocks stopped" kill -STOP "$p1"
check "set spare_conns 3" mprox_set mprox0 spare_conns 3
check "a third spare connected, negotiating" wait_for 30 proxy_conns_are 1080 3
failed=$(spares failed)
link_cycle
check "microsocks continued" kill -CONT "$p1"
expect "the spare aborted by down is no failure" "$(spares failed)" "$failed"
check "set spare_conns 2" mprox_set mprox0 spare_conns 2
check "set connect_timeout_ms 10000" mprox_set mprox0 connect_timeout_ms 10000
mprox_fetch "fetch after down during a spare's negotiation" "$want" 30 "$url"
spares_ready_within "2 spares ready within 1 s" 1000 2
# Again, now that the device's works have run since: an abort counted late
# would show here.
expect "and it was not counted a failure later" "$(spares failed)" "$failed"

# A spare that failed before the device went down holds nothing back
# after it comes up (the proxy may have been fixed meanwhile).
check "microsocks killed" kill -KILL "$(p1_pid)"
failed=$(spares failed)
check "p1 down: connection refused" refused
check "a spare failed to open" wait_for 30 spares_failed_is $((failed + 1))
step "microsocks restarted" topo_microsocks 1080
# The refused fetch marked p1 down (routing.md, "Choosing an upstream"):
# until its backoff of 1 s has passed, a connection is answered at once.
check_upstreams_usable mprox0 70
opened=$(spares opened)
check "p1 restarted: a fetch works" \
	topo_ns $TOPO_C curl -sS --max-time 30 -o /dev/null "$url"
# A spare opens in well under a second here (spares_ready_within below):
# none in 3 s (15 s on the debug kernel) is none, for spare_idle_s (60)
# is not over.
if wait_for "$(mprox_scale 3 15)" mprox_stat_above mprox0 stats.spares.opened "$opened"; then
	fail "a spare opened within spare_idle_s of the failure"
else
	pass "but opens no spare for spare_idle_s"
fi
link_cycle
mprox_fetch "fetch after down and up" "$want" 30 "$url"
spares_ready_within "2 spares ready within 1 s" 1000 2
check_flows_drain mprox0 30

mprox_case_teardown
plan "$tap_n"
tap_exit
