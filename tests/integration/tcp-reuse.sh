#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A 4-tuple used again at once: an application that connects from one
# fixed port and closes each connection with a reset (SO_REUSEADDR,
# SO_LINGER 0) sends its next SYN while the flow of the last one is still
# being torn down. That SYN is a new connection and must get a flow of its
# own, not be passed to the old one's listener socket and reset.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

# case-timeout: 900
conns=$(mprox_scale 1000 300)
deadline=$((conns / 4 + 60))
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: $conns connections from one port" \
	"(within ${deadline}s)"

mprox_case_setup echo mprox0
reuse_diag() {
	diag </tmp/mprox-reuse.err
	mprox_reset_diag mprox0
}
created=$(mprox_stat mprox0 stats.flows.total)
out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" same-port 10.200.2.2 7007 "$conns" "$deadline" \
	40000 2>/tmp/mprox-reuse.err)
if [ $? = 0 ]; then
	pass "$conns connections from port 40000, each reset, none failed: $out"
else
	fail "connections from one port: $out"
	reuse_diag
fi
n=$(($(mprox_stat mprox0 stats.flows.total) - created))
[ "$n" = "$conns" ] && pass "a flow for each ($n)" || fail "flows created: $n, want $conns"
out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" same-port 'fd00:200:2::2' 7007 \
	"$(mprox_scale 200 50)" "$deadline" 40001 2>/tmp/mprox-reuse.err)
if [ $? = 0 ]; then
	pass "IPv6: connections from one port, each reset, none failed: $out"
else
	fail "IPv6: connections from one port: $out"
	reuse_diag
fi
# What a late segment of the tuple's last connection makes its new socket
# send from SYN_SENT is a RST without ACK; the socket then sends its SYN
# again. Neither may end a live connection on the tuple (RFC 5961): the
# listener's socket judges the RST by its sequence number, and a SYN on an
# established flow is the listener's to answer.
syn_challenges() {
	topo_ns $TOPO_C nstat -saz TcpExtTCPSYNChallenge 2>/dev/null |
		awk '$1 == "TcpExtTCPSYNChallenge" { n = $2 } END { print n + 0 }'
}
created=$(mprox_stat mprox0 stats.flows.total)
challenged=$(syn_challenges)
out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" stray 10.200.2.2 7007 2>&1)
if [ $? = 0 ]; then
	pass "a bare RST and a SYN on a live connection's tuple: $out"
else
	fail "a bare RST and a SYN on a live connection's tuple: $out"
fi
n=$(($(mprox_stat mprox0 stats.flows.total) - created))
[ "$n" = 1 ] && pass "one flow for that connection, none for the stray SYN" ||
	fail "flows created: $n, want 1"
# That the stray SYN went through the device at all: the listener's
# socket answered it with a challenge ACK.
n=$(($(syn_challenges) - challenged))
[ "$n" -ge 1 ] && pass "the stray SYN reached the listener's socket ($n SYN challenge)" ||
	fail "no SYN challenge in the client host: the stray SYN never reached a socket"
# An app's socket that died without a word (closed in repair mode), then a
# new one from its port: the new socket's SYN reaches the old connection's
# listener socket, whose challenge ACK draws from the new socket a bare RST
# at just the right sequence number. That ends the old connection, and it
# must not take the new socket with it (abort by tuple).
out=$(topo_ns $TOPO_C python3 "$MPROX_NETUTIL" vanish 10.200.2.2 7007 2>&1)
[ $? = 0 ] && pass "after a socket died silently, its port connects again: $out" ||
	fail "after a socket died silently, its port connects again: $out"
check_flows_drain mprox0 60
mprox_case_teardown
plan "$tap_n"
tap_exit
