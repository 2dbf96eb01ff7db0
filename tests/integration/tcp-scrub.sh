#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What a packet was on its way out of the application does not cross to
# its way in to the listener: the injected packet gets the kernel's own
# scrub (skb_scrub_packet, as __dev_forward_skb does), so netfilter's
# trace flag, set on the application's packets in the output hook, is
# gone when the rewritten packet reaches the input hook.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup mprox0
head -c 10000 /dev/urandom >"$TOPO_WWW/blob"
want=$(sha256sum <"$TOPO_WWW/blob" | cut -d' ' -f1)
step "nftables: trace the application's packets to port 8080" topo_ns $TOPO_C nft -f - <<'NFT'
table inet mproxtrace {
	chain out {
		type filter hook output priority 0; policy accept;
		tcp dport 8080 meta nftrace set 1
	}
	chain in {
		type filter hook input priority 0; policy accept;
	}
}
NFT
trace=/tmp/mprox-trace.out
: >"$trace"
topo_ns $TOPO_C nft monitor trace >"$trace" 2>&1 &
monitor=$!
# The monitor is listening once a fetch's packets show up in it.
traced() {
	topo_ns $TOPO_C curl -s -o /dev/null --max-time 10 http://10.200.2.2:8080/blob &&
		grep -q "mproxtrace out" "$trace"
}
if wait_for 60 traced; then pass "the application's packets are traced in output"; else
	fail "no trace of the application's packets: $(head -c 500 "$trace")"; fi
mprox_fetch "a fetch through mprox0 with its packets traced" "$want" 30 http://10.200.2.2:8080/blob
n=$(grep -c "mproxtrace in" "$trace")
[ "$n" = 0 ] && pass "none of them is traced on its way in to the listener" ||
	{ fail "$n trace lines in the input hook: the trace flag crossed"; grep "mproxtrace in" "$trace" | head -n 5 | diag; }
kill "$monitor"
wait "$monitor" 2>/dev/null
step "remove the table" topo_ns $TOPO_C nft delete table inet mproxtrace
mprox_case_teardown
plan "$tap_n"
tap_exit
