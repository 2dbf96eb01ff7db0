#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Memory accounting: what a device's connections cost (flows, connection
# state, the upstream sockets, relay buffers) is charged to the memory
# cgroup of the task that created the device, not to nobody, whichever
# task or softirq sends the traffic. The applications here run in the root
# cgroup; the device is created from a cgroup of its own.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

cg=/sys/fs/cgroup/mprox-creator
conns=$(mprox_scale 300 100)
# Each connection is at least a flow, a connection and a TCP socket: far
# more than this.
per_conn=1024

mprox_case_setup echo
step "load mprox" mprox_load
step "the memory controller for child cgroups" sh -c \
	"echo +memory >/sys/fs/cgroup/cgroup.subtree_control && mkdir -p $cg"
step "mprox0 created from a task in $cg" sh -c \
	"echo \$\$ >$cg/cgroup.procs && exec ip netns exec $TOPO_C ip link add mprox0 type mprox"
step "mprox0 configured, up, server routes into it" sh -c \
	"echo 'upstream add p1 socks5://10.200.1.1:1080' | ip netns exec $TOPO_C $MPROX_CONFIG mprox0 &&
	 ip netns exec $TOPO_C ip link set mprox0 up &&
	 ip netns exec $TOPO_C ip route add 10.200.2.0/24 dev mprox0"

charged() {
	cat "$cg/memory.current"
}

before=$(charged)
rm -f /tmp/mprox-memcg.release
topo_ns $TOPO_C python3 - "$conns" >/tmp/mprox-memcg.out 2>&1 <<'PY' &
import os, socket, sys, time
socks = []
for i in range(int(sys.argv[1])):
    s = socket.create_connection(("10.200.2.2", 7007), timeout=20)
    s.sendall(b"x")
    s.recv(1)
    socks.append(s)
print("ready", flush=True)
for _ in range(1200):
    if os.path.exists("/tmp/mprox-memcg.release"):
        break
    time.sleep(0.1)
PY
app=$!
if wait_for 300 grep -q ready /tmp/mprox-memcg.out; then
	pass "$conns connections open through mprox0"
else
	fail "$conns connections: $(cat /tmp/mprox-memcg.out)"
fi
held=$(charged)
rise=$((held - before))
want=$((conns * per_conn))
[ "$rise" -ge "$want" ] &&
	pass "the creator's cgroup is charged $rise bytes for them (at least $want)" ||
	fail "the creator's cgroup rose by $rise bytes for $conns connections, want at least $want"
touch /tmp/mprox-memcg.release
wait "$app"
check_flows_drain mprox0 60
# Sockets and flows are freed after RCU grace periods and in work.
uncharged() {
	[ $((held - $(charged))) -ge $((rise / 2)) ]
}
if wait_for 30 uncharged; then
	pass "at least half of it uncharged once they closed ($((held - $(charged))) bytes)"
else
	fail "after they closed the cgroup holds $(charged), was $held"
fi
mprox_case_teardown
rmdir "$cg" 2>/dev/null
plan "$tap_n"
tap_exit
