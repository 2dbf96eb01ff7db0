#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A connection whose FINs have both passed through the device, but whose
# application never acknowledges the driver's FIN (its ACKs and resets go
# elsewhere now: its routing changed, or a firewall drops them). The flow
# must end after the FIN timeout (60 s, as Linux's tcp_fin_timeout), not
# hold its socket and port until the FIN retransmissions give up, a quarter
# of an hour later. Before that it is listed as closing. A reader that is
# only slow, with data still on its way after both FINs, keeps its
# connection as long as it takes. First, idle connections must wake
# nothing: no work of theirs runs, no timer of theirs expires.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

# case-timeout: 600
mprox_case_setup echo mprox0
c() {
	topo_ns $TOPO_C "$@"
}
mprox_dmesg_mark

# hold_open N [echo] [reset]: N connections through mprox0 from netutil's
# hold, on CPU 0, held until hold_close; passes once all are made (and
# each echoed once, with "echo").
hold_open() {
	local what="$1 connections through mprox0${2:+, each echoed once}"
	rm -f /tmp/mprox-hold.in /tmp/mprox-hold.out && mkfifo /tmp/mprox-hold.in
	c taskset -c 0 python3 "$MPROX_NETUTIL" hold 10.200.2.2 7007 "$@" \
		</tmp/mprox-hold.in >/tmp/mprox-hold.out 2>&1 &
	hold_pid=$!
	exec {hold_in}>/tmp/mprox-hold.in
	if wait_for 120 grep -qx ready /tmp/mprox-hold.out; then
		pass "$what"
	else
		fail "$what"
		diag </tmp/mprox-hold.out
	fi
}

# hold_close: hold_open's connections closed (or reset), and it gone.
hold_close() {
	exec {hold_in}>&-
	wait "$hold_pid"
}

# Idle connections wake nothing. Ten connections, each echoed once (so
# that each is relaying), then idle for 2.5 s: no connection's timer
# expires from before the first connects until the end (its accept's
# deadline, connect_timeout_ms, 1 s here, passes for every one of them
# meanwhile), and no work of a connection runs while they idle
# (tracefs). At 10,000 idle connections each such wake-up would be
# 10,000 of them.
T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs nodev $T
check "set connect_timeout_ms 1000" mprox_set mprox0 connect_timeout_ms 1000
echo >$T/trace
check "trace timer expiries" sh -c "echo 1 >$T/events/timer/timer_expire_entry/enable"
before=$(mprox_stat mprox0 stats.closes)
hold_open 10 echo
check "trace work items" sh -c "echo 1 >$T/events/workqueue/workqueue_execute_start/enable"
# The interval is what is measured: nothing may happen in it.
sleep 2.5
echo 0 >$T/events/workqueue/workqueue_execute_start/enable
echo 0 >$T/events/timer/timer_expire_entry/enable
# Other timers and work run in any 2.5 s: none at all is a trace that
# recorded nothing, where the two counts below would pass unseen.
timers=$(grep -c 'timer_expire_entry:' $T/trace)
works=$(grep -c 'workqueue_execute_start:' $T/trace)
check "the trace recorded timers ($timers) and work ($works) of others" \
	test "$timers" -gt 0 -a "$works" -gt 0
expect "a connection's timer expiring, connections made and idle" \
	"$(grep -c 'function=mprox_conn_timeout' $T/trace)" 0
expect "a connection's work running, 2.5 s idle" \
	"$(grep -c -e 'function mprox_conn_work' -e 'function mprox_conn_relay_work' $T/trace)" 0
grep -e 'mprox_conn' $T/trace | head -5 | diag
expect "the 10 connections held until now" "$(mprox_stat mprox0 stats.flows.active)" 10
echo >$T/trace
hold_close
check "set connect_timeout_ms 10000" mprox_set mprox0 connect_timeout_ms 10000
check_flows_drain mprox0 30
mprox_check_closes mprox0 "the 10 closed by the app" "$before" "fin+10"

# The app resets 400 idle connections at once, while the stack's backlog,
# xmit's way in, refuses nearly everything: one packet long
# (netdev_max_backlog 1), on the other CPU (RPS), as a burst of resets
# finds it on a loaded machine. Nothing sends a RST again: one refused
# there left its listener's socket idle and its flow held until
# tcp_idle_timeout_s (2 hours), as 1,274 of 10,000 in make bench did.
before=$(mprox_stat mprox0 stats.closes)
hold_open 400 echo reset
expect "the 400 connections held" "$(mprox_stat mprox0 stats.flows.active)" 400
rps=/sys/class/net/mprox0/queues/rx-0/rps_cpus
backlog=$(sysctl -n net.core.netdev_max_backlog)
# ip netns exec: its /sys is the client host's, where mprox0 is. The
# debug guest has one CPU: there the backlog's length alone.
if [ "$(nproc)" -ge 2 ]; then
	check "mprox0's packets received on CPU 1 (RPS)" \
		ip netns exec $TOPO_C sh -c "echo 2 >$rps"
fi
sysctl -qw net.core.netdev_max_backlog=1
hold_close
sysctl -qw net.core.netdev_max_backlog="$backlog"
ip netns exec $TOPO_C sh -c "echo 0 >$rps"
check_flows_drain mprox0 30 "the 400 reset connections' flows end"
mprox_check_closes mprox0 "the 400 reset by the app" "$before" "app_reset+400"

step "a second echo server, on port 7008" mprox_echo 7008

# Meanwhile, a slow reader: it sends 256 KiB, and once the echo has all
# passed the driver's relay (microsocks drops what it still holds when one
# side closes) its FIN, then reads nothing for 75 s through a 4 KiB
# receive buffer. Both FINs pass, but most of the echo waits in the
# driver's socket: that is not a FIN's wait, and the timeout must not cut
# it off.
rm -f /tmp/mprox-close.go
c python3 - >/tmp/mprox-close.slow 2>&1 <<'PY' &
import os, socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.settimeout(120)
s.connect(("10.200.2.2", 7008))
s.sendall(b"x" * 262144)
deadline = time.monotonic() + 60
while not os.path.exists("/tmp/mprox-close.go"):
    if time.monotonic() > deadline:
        raise SystemExit("no go")
    time.sleep(0.1)
s.shutdown(socket.SHUT_WR)
time.sleep(75)
n = 0
while True:
    b = s.recv(65536)
    if not b:
        break
    n += len(b)
print("read %d" % n)
PY
slow_pid=$!
echo_relayed() {
	mprox_json mprox0 | python3 -c '
import json, sys
sys.exit(not any(c["dst"].endswith(":7008") and c["bytes_down"] == 262144
                 for c in json.load(sys.stdin)["conns"]))
'
}
check "the slow reader's echo all relayed" wait_for 60 echo_relayed
: >/tmp/mprox-close.go

# Each client echoes once, then the client host's firewall drops whatever
# it sends into mprox0 except FINs, and the client closes: its FIN passes,
# the echo server closes in turn, and the ACK of the driver's FIN is lost,
# as is every later ACK or reset.
fin_timeouts=$(mprox_stat mprox0 stats.closes.fin_timeout)
out=$(c python3 - <<'PY' 2>&1
import socket, subprocess
socks = []
for host in ("10.200.2.2", "fd00:200:2::2"):
    s = socket.create_connection((host, 7007), timeout=20)
    s.sendall(b"ping")
    got = b""
    while len(got) < 4:
        b = s.recv(4)
        if not b:
            break
        got += b
    if got != b"ping":
        raise SystemExit("%s: echo %r" % (host, got))
    socks.append(s)
subprocess.run(["nft", "-f", "-"], check=True, text=True, input="""
table inet mprox_close {
	chain out {
		type filter hook output priority 0;
		oifname "mprox0" tcp dport 7007 tcp flags & fin == 0 drop
	}
}
""")
for s in socks:
    s.shutdown(socket.SHUT_WR)
for s in socks:
    if s.recv(16):
        raise SystemExit("data after the echo")
    s.close()
print("both closed by the server")
PY
)
[ "$out" = "both closed by the server" ] &&
	pass "IPv4 and IPv6 connections echoed, then closed by both ends" ||
	fail "the connections: $out"
start=$(date +%s)

closing() {
	mprox_json mprox0 | python3 -c '
import json, sys
conns = [c for c in json.load(sys.stdin)["conns"] if c["dst"].endswith(":7007")]
sys.exit(not (len(conns) == 2 and all(c["state"] == "closing" for c in conns)))
'
}
if closing; then
	pass "both flows are listed as closing"
else
	fail "want both flows closing"
	mprox_json mprox0 | python3 -c 'import json, sys; print(json.load(sys.stdin)["conns"])' | diag
fi
fin_flows_gone() {
	mprox_json mprox0 | python3 -c '
import json, sys
sys.exit(any(c["dst"].endswith(":7007") for c in json.load(sys.stdin)["conns"]))
'
}
if wait_for 150 fin_flows_gone; then
	took=$(($(date +%s) - start))
	[ "$took" -ge 50 ] && pass "both flows ended after the FIN timeout (${took}s)" ||
		fail "the flows ended after ${took}s, before the FIN timeout"
	expect "closes.fin_timeout counted both" \
		"$(($(mprox_stat mprox0 stats.closes.fin_timeout) - fin_timeouts))" 2
else
	fail "flows still there after 150 s: $(mprox_stat mprox0 stats.flows)"
fi

wait "$slow_pid"
out=$(cat /tmp/mprox-close.slow)
[ "$out" = "read 262144" ] && pass "the slow reader got all of its echo after 75 s" ||
	fail "the slow reader: $out, want read 262144"
step "the firewall rule removed" c nft delete table inet mprox_close
out=$(c python3 "$MPROX_NETUTIL" connect 10.200.2.2 7007 20 2>&1)
[ "${out%% *}" = ok ] && pass "a new connection through mprox0: $out" ||
	fail "a new connection through mprox0: $out"
check_flows_drain mprox0 30
mprox_check_dmesg "the FIN timeout"
mprox_case_teardown
plan "$tap_n"
tap_exit
