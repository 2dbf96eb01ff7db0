#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# IPv4 options on connections through mprox0. With a source route (LSRR or
# SSRR, which any application may set with IP_OPTIONS) the destination
# address of the packets is the first hop and the destination proper is in
# the option: the proxy must not be asked for the hop. The device drops
# such packets and counts them in drops.malformed, and no connection
# reaches the server; a record route option and no option at all go
# through as usual.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup mprox0
accepts=/tmp/mprox-accepts
rm -f "$accepts"
touch "$accepts"
accept_log() {
	topo_spawn $TOPO_S python3 "$MPROX_NETUTIL" accept-log 7100 "$accepts"
	wait_for 60 topo_listening $TOPO_S 7100
}
step "server on the server host logging every connection" accept_log

# accepted: how many connections the server has accepted.
accepted() {
	wc -l <"$accepts"
}
accepted_is() {
	[ "$(accepted)" = "$1" ]
}

# try_connect DST IPOPTS: netutil's connect from the client host, 4 s.
try_connect() {
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" connect "$1" 7100 4 "${2:-}" 2>&1
}

# NOP, then a source route of type $1 whose first hop is the server
# (10.200.2.2, 0ac80202) on the way to 10.200.2.3, where there is nobody:
# the kernel puts the hop in the destination address of the packets, so a
# proxy asked for it would connect to the server.
for opt in lsrr:83 ssrr:89; do
	name=${opt%:*}
	malformed=$(mprox_stat mprox0 stats.drops.malformed)
	out=$(try_connect 10.200.2.3 "01${opt#*:}07040ac80202")
	case $out in
	ETIMEDOUT*) pass "$name via the server: connect() times out ($out ms)" ;;
	*) fail "$name via the server: $out" ;;
	esac
	if wait_stat_above mprox0 stats.drops.malformed "$malformed" 10; then
		pass "$name: drops.malformed counted it ($(mprox_stat mprox0 stats.drops.malformed))"
	else
		fail "$name: drops.malformed did not rise: $(mprox_stat mprox0 stats.drops)"
	fi
	if accepted_is 0; then pass "$name: no connection reached the server"; else
		fail "$name: the server accepted connections from $(tr '\n' ' ' <"$accepts")"; fi
done
if [ "$(mprox_stat mprox0 stats.flows.total)" = 0 ]; then pass "no flow was created for them"; else
	fail "flows: $(mprox_stat mprox0 stats.flows)"; fi

# Record route (type 7, length 7, pointer 4, one empty slot, EOL) is not a
# source route: the connection is proxied to its destination.
out=$(try_connect 10.200.2.2 0707040000000000)
case $out in
ok*) pass "record route: connect() succeeds: $out" ;;
*) fail "record route: $out" ;;
esac
if wait_for 10 accepted_is 1; then pass "record route: the server accepted it"; else
	fail "record route: the server accepted $(accepted) connections"; fi
out=$(try_connect 10.200.2.2)
case $out in
ok*) pass "no options: connect() succeeds: $out" ;;
*) fail "no options: $out" ;;
esac
if wait_for 10 accepted_is 2; then pass "no options: the server accepted it"; else
	fail "no options: the server accepted $(accepted) connections"; fi

check_flows_drain mprox0 30
mprox_case_teardown
plan "$tap_n"
tap_exit
