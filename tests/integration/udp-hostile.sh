#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# A SOCKS5 UDP relay that answers with hostile datagrams
# (lib/hostile_udp_relay.py on the proxy host, 1095; the payload an
# application sends picks the answer, so nothing runs on the server host).
# Natively the relay grants UDP ASSOCIATE (REP 0, BND 10.200.1.1) and
# sends, byte for byte, what its model says for every kind. Through mprox0
# (udp_idle_timeout_s 600), one application socket (client port 20001,
# to 10.200.2.2:7001, one association for the whole case): a correct
# answer is delivered byte for byte from 10.200.2.2:7001; for each bad
# kind (FRAG 1 and 255, RSV 0x0100 and 0x0001, a header cut short at 5
# bytes or before its port's last byte, an empty datagram, ATYP 9, ATYP 3
# with length 0 or a name cut short, ATYP 4 cut short; a name, another
# port, another address, an IPv6 address, an IPv4-mapped one) the
# application gets only the correct marker that follows it, and stats.udp
# moves by exactly that datagram's counter (dropped_malformed,
# dropped_fragment or dropped_foreign +1, datagrams_down +1 for the
# marker, datagrams_up +1, nothing else); a header with no payload
# delivers 0 bytes; correct datagrams from third parties (another port of
# the relay's address, another address of the proxy host) never reach the
# application and move nothing, and the client host refused them; junk on
# the control connection and all the bad kinds in one burst change
# nothing. 3,000 random mutations of a correct datagram: the application
# receives exactly those a correct header for 10.200.2.2:7001 carries,
# with their payload, and the four counters move by exactly what each
# datagram must give, summing to what the relay sent. The proxy closing
# the control connection ends the association at once (well under
# udp_idle_timeout_s), and the socket's next datagram gets a new one. The
# kernel log stays clean and no flow is left. A relay that names a
# loopback BND (127.0.0.1, ::1, ::ffff:127.0.0.1, ::ffff:0.0.0.0) gets the
# application's datagram at the proxy's own address, and a trap on the
# client host's loopback gets nothing.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

RELAY=$MPROX_LIB/hostile_udp_relay.py
RELAY_PORT=1095
DEST=10.200.2.2:7001
APP_PORT=20001
RANDOM_N=3000
RANDOM_SEED=${MPROX_UDP_HOSTILE_SEED:-1928}
# How long the application waits for the last datagram of an answer (the
# first waits for its association too).
recv_s=$(mprox_scale 5 25)
close_s=$(mprox_scale 5 15)
drain_s=$(mprox_scale 30 60)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: answers within $recv_s s, the flow of a" \
	"closed association gone within $close_s s; random seed $RANDOM_SEED"

mprox_case_setup mprox0
mprox_dmesg_mark
check "proxy host: a second address 10.200.1.3 (a third party)" \
	topo_ns "$TOPO_P" ip addr add 10.200.1.3/24 dev p0
relay_log=/tmp/mprox-topo-${#topo_pids[@]}.log
topo_spawn "$TOPO_P" python3 "$RELAY" server "$RELAY_PORT" --addr 10.200.1.1 --third-party 10.200.1.3
step "hostile_udp_relay.py on the proxy host ($RELAY_PORT)" \
	wait_for 60 topo_listening "$TOPO_P" "$RELAY_PORT"

# ---- natively -----------------------------------------------------------------
out=$(topo_ns "$TOPO_C" python3 "$RELAY" associate 10.200.1.1 "$RELAY_PORT" 2>&1)
if [[ $out =~ ^REP\ 0\ BND\ 10\.200\.1\.1:[1-9][0-9]*$ ]]; then
	pass "natively: the relay grants UDP ASSOCIATE: $out"
else
	fail "natively: UDP ASSOCIATE: '$out', want REP 0 BND 10.200.1.1:PORT"
fi
if out=$(topo_ns "$TOPO_C" python3 "$RELAY" native --timeout "$recv_s" 10.200.1.1 "$RELAY_PORT" "$DEST" 2>&1); then
	pass "natively: every kind's answer is byte for byte the model's, of the classes intended ($(wc -l <<<"$out") lines)"
	diag <<<"$out"
else
	fail "natively: the relay's answers differ from the model"
	diag <<<"$out"
fi

# ---- through mprox0 -------------------------------------------------------------
check "set udp_idle_timeout_s 600" mprox_set mprox0 udp_idle_timeout_s 600
check "upstream hostile socks5://10.200.1.1:$RELAY_PORT" \
	mprox_use_upstream mprox0 hostile "socks5://10.200.1.1:$RELAY_PORT"

udp_json() {
	mprox_stat mprox0 stats.udp
}
# udp_moved BEFORE: the stats.udp counters that moved since BEFORE
# (udp_json), bytes_* left out, and datagrams_queued, which says how a
# datagram went, not what became of it: "datagrams_down+1 datagrams_up+1 ...".
udp_moved() {
	python3 -c '
import json, sys
a, b = json.loads(sys.argv[1] or "{}"), json.loads(sys.argv[2] or "{}")
print(" ".join("%s+%d" % (k, b[k] - a.get(k, 0)) for k in sorted(b)
               if k not in ("bytes_up", "bytes_down", "datagrams_queued")
               and b[k] != a.get(k, 0)))
' "$1" "$(udp_json)"
}
log_lines() {
	wc -l <"$relay_log"
}
# relay_since LINES: the relay's log lines after the first LINES.
relay_since() {
	tail -n +$(($1 + 1)) "$relay_log"
}
relay_logged() {
	relay_since "$1" | grep -q -- "$2"
}

# tap_lines: "ok TEXT" and "not ok TEXT" lines on stdin as results, others
# as diagnostics (a here-string, not a pipe: the counts must stay here).
tap_lines() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "${line#ok }" ;;
		"not ok "*) fail "${line#not ok }" ;;
		*) echo "# $line" ;;
		esac
	done
}
# app_run [--new-association] KIND...: the application (client port
# $APP_PORT) sends "KIND TAG" to $DEST for each KIND in turn, one process
# (starting one in a namespace takes most of a second on a TCG guest);
# two results a KIND from it: it received exactly the deliveries the model
# says (the marker alone for a bad kind), and stats.udp moved exactly as
# the model says; then one a KIND here: the relay had the datagram, named
# $DEST.
app_run() {
	local lines out rc kind
	lines=$(log_lines)
	out=$(topo_ns "$TOPO_C" python3 "$RELAY" app --port "$APP_PORT" --timeout "$recv_s" \
		--mprox-config "$MPROX_CONFIG" --dev mprox0 "$DEST" "$@" 2>&1)
	rc=$?
	tap_lines <<<"$out"
	[ "$rc" = 0 ] || grep -q '^not ok ' <<<"$out" ||
		fail "the application: exit $rc, no failed result"
	for kind in "$@"; do
		[ "$kind" = --new-association ] && continue
		if relay_logged "$lines" " to $DEST kind $kind sent "; then
			pass "$kind: the relay had it, to $DEST"
		else
			fail "$kind: the relay has no datagram to $DEST for it"
			relay_since "$lines" | diag
		fi
	done
}

# 2. A correct answer: a new association, then the same one.
app_run --new-association valid
active=$(mprox_stat mprox0 stats.flows.active)
if [ "$active" = 1 ]; then pass "the association is a flow (flows.active 1)"; else
	fail "flows.active '$active' with one association: $(mprox_stat mprox0 stats.flows)"; fi
app_run valid

# 3. Each bad kind, then the correct marker after it; third parties, junk
# on the control connection, all at once; a correct answer still comes.
lines=$(log_lines)
app_run nopayload frag frag255 rsv rsvlow short porttrunc empty atyp noname \
	nametrunc v6trunc name otherport otheraddr family mapped thirdparty ctrljunk burst valid
refused=$(relay_since "$lines" | sed -n 's/.* thirdparty: .* refused \([0-9]*\/[0-9]*\)$/\1/p')
if [ "$refused" = 3/3 ]; then
	pass "thirdparty: the client host had the 3 datagrams and no socket took them (ICMP port unreachable)"
else
	fail "thirdparty: refused '$refused', want 3/3"
	relay_since "$lines" | diag
fi
active=$(mprox_stat mprox0 stats.flows.active)
if [ "$active" = 1 ]; then pass "after the bad kinds: the same association, flows.active 1"; else
	fail "after the bad kinds: flows.active '$active': $(mprox_stat mprox0 stats.flows)"; fi

# 4. Random mutations.
before=$(udp_json)
lines=$(log_lines)
out=$(topo_ns "$TOPO_C" python3 "$RELAY" random --port "$APP_PORT" --timeout "$recv_s" \
	--seed "$RANDOM_SEED" "$DEST" "$RANDOM_N" 2>&1)
rc=$?
want=$(sed -n 's/^expect: //p' <<<"$out")
total=$(sed -n 's/^total: //p' <<<"$out")
got=$(udp_moved "$before")
if [ "$rc" = 0 ]; then pass "random: $(grep '^random ' <<<"$out")"; else
	fail "random: the application got what it should not (exit $rc)"
	diag <<<"$out"
fi
if [ -n "$want" ] && [ "$got" = "$want" ]; then pass "random: stats.udp moved $got, as each datagram must"; else
	fail "random: stats.udp moved '$got', want '$want'"
	udp_json | diag
fi
sent=$(relay_since "$lines" | awk '/ kind random sent / { n += $NF } END { print n + 0 }')
outcomes=$(python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(sum(b[k] - a[k] for k in ("dropped_malformed", "dropped_fragment",
                                "dropped_foreign", "datagrams_down")))
' "$before" "$(udp_json)")
if [ "$sent" = "$total" ] && [ "$outcomes" = "$sent" ]; then
	pass "random: the relay sent $sent datagrams, each got exactly one outcome"
else
	fail "random: the relay logged $sent sent, the model $total, malformed + fragment + foreign + datagrams_down moved $outcomes"
fi

# 5. The proxy closes the control connection.
before=$(udp_json)
lines=$(log_lines)
check "close: the application asks the relay to close the control connection" \
	topo_ns "$TOPO_C" python3 "$RELAY" app --port "$APP_PORT" "$DEST" close
check "close: the relay closed it" wait_for 10 relay_logged "$lines" " closed the control connection"
t0=$(ms_now)
if wait_flows_zero mprox0 "$close_s"; then
	pass "close: the association's flow ended $(($(ms_now) - t0)) ms after (udp_idle_timeout_s 600)"
else
	fail "close: flows left after $close_s s: $(mprox_stat mprox0 stats.flows)"
fi
got=$(udp_moved "$before")
if [ "$got" = "datagrams_up+1" ]; then pass "close: stats.udp moved $got"; else
	fail "close: stats.udp moved '$got', want 'datagrams_up+1'"; fi
app_run --new-association valid
lines=$(log_lines)
check "close again" topo_ns "$TOPO_C" python3 "$RELAY" app --port "$APP_PORT" "$DEST" close
check "close again: the relay closed it" wait_for 10 relay_logged "$lines" " closed the control connection"

# 6. A relay address (BND) on this host's loopback, in either family or
# IPv4-mapped, or an unspecified mapped one: the proxy's own address is
# taken instead (docs/upstreams.md), never this host's. And the proxy's
# own address IPv4-mapped, which is an IPv4 address. One relay a BND,
# its UDP socket at a port of its own; a trap on the client host's
# 127.0.0.1 and ::1 at those ports gets what the driver sends where BND
# points.
check "after the close: no flow left" wait_flows_zero mprox0 "$close_s"
loop_bnds=(127.0.0.1 ::1 ::ffff:127.0.0.1 ::ffff:0.0.0.0 ::ffff:10.200.1.1)
loop_ports=(40961 40962 40963 40964 40965)
topo_spawn "$TOPO_C" python3 "$RELAY" trap "${loop_ports[@]}"
trap_log=$(topo_last_log)
step "a trap on the client host's loopback" wait_for 20 grep -q "^trap listening" "$trap_log"
loop_logs=()
for i in "${!loop_bnds[@]}"; do
	topo_spawn "$TOPO_P" python3 "$RELAY" server $((RELAY_PORT + 1 + i)) --addr 10.200.1.1 \
		--bnd "${loop_bnds[$i]}" --udp-port "${loop_ports[$i]}"
	loop_logs+=("$(topo_last_log)")
	step "a relay naming BND ${loop_bnds[$i]}" wait_for 60 topo_listening "$TOPO_P" $((RELAY_PORT + 1 + i))
done
for i in "${!loop_bnds[@]}"; do
	bnd=${loop_bnds[$i]}
	relay_log=${loop_logs[$i]}
	trapped=$(wc -l <"$trap_log")
	check "BND $bnd: upstream socks5://10.200.1.1:$((RELAY_PORT + 1 + i))" \
		mprox_use_upstream mprox0 "loop$i" "socks5://10.200.1.1:$((RELAY_PORT + 1 + i))"
	app_run --new-association valid
	# The association's later datagrams take encap.c's path.
	app_run valid
	if tail -n +$((trapped + 1)) "$trap_log" | grep -q "^trap got "; then
		fail "BND $bnd: the driver sent to this host's loopback"
		tail -n +$((trapped + 1)) "$trap_log" | diag
	else
		pass "BND $bnd: nothing reached this host's loopback"
	fi
	lines=$(log_lines)
	check "BND $bnd: close" topo_ns "$TOPO_C" python3 "$RELAY" app --port "$APP_PORT" "$DEST" close
	check "BND $bnd: the relay closed it" wait_for 10 relay_logged "$lines" " closed the control connection"
	check "BND $bnd: the association's flow ended" wait_flows_zero mprox0 "$close_s"
done

check_flows_drain mprox0 "$drain_s"
mprox_check_dmesg "udp-hostile"
mprox_case_teardown
plan "$tap_n"
tap_exit
