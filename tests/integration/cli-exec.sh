#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# "mprox exec [-d NAME] -- CMD" (issue 12): CMD and its children run in a
# cgroup of their own whose traffic goes through mprox0, while the rest of
# the client host goes direct (a default route through the proxy host,
# which forwards for this case). A server on the server host answers with
# the address it sees: the proxy host's far address (10.200.2.1) for what
# came through microsocks, the client's own (10.200.1.2) for what came
# direct. CMD's exit status is passed on (128 + the signal when it was
# killed); afterwards "ip rule", "ip -6 rule", every route, "nft list
# ruleset" and the cgroup tree are byte-identical to before, also after
# kill -9 of CMD, after SIGTERM to mprox exec, and after kill -9 of mprox
# exec itself once the next exec has collected what it left. "mprox route"
# and exec on the same device do not disturb each other. What CMD leaves
# behind gets SIGTERM, then SIGKILL after 2 s that mprox exec waits out
# without spinning.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

MPROX=$MPROX_CMD
CGBASE=/sys/fs/cgroup/mprox.exec
NETNS=/run/netns/$TOPO_C
T=/tmp/mprox-exec-test

mprox_case_setup
if [ ! -x "$MPROX" ]; then
	fail "no $MPROX: build it with 'make helper'"
	plan "$tap_n"
	tap_exit
fi
rm -rf "$T"
mkdir -p "$T"
# Who is asking: the peer address as the server host sees it.
topo_spawn "$TOPO_S" python3 -c '
import http.server, socket
class Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = (self.client_address[0] + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
Server(("::", 8090), Handler).serve_forever()
'
step "the who-is-asking server listens on 8090" wait_for 60 topo_listening "$TOPO_S" 8090
step "load mprox" mprox_load
step "mprox0 in the client host (no routes)" topo_ns $TOPO_C ip link add mprox0 type mprox
check "upstream p1 socks5://10.200.1.1:1080" mprox_upstream mprox0 p1 socks5://10.200.1.1:1080
step "mprox0 up" topo_ns $TOPO_C ip link set mprox0 up
# The direct path: the proxy host forwards, the client's default route
# goes through it (the exec's mark is set after connect() looked the
# destination up in main: that lookup needs a route too).
topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
topo_ns $TOPO_S ip route add 10.200.1.0/24 via 10.200.2.1
topo_ns $TOPO_S ip -6 route add fd00:200:1::/64 via fd00:200:2::1

# The client's network namespace without ip netns exec's fresh /sys, so
# that the cgroup2 hierarchy stays visible to mprox exec and nft.
c() {
	nsenter --net=$NETNS "$@"
}
c ip route add default via 10.200.1.1
c ip -6 route add default via fd00:200:1::1

W4=http://10.200.2.2:8090/
W6='http://[fd00:200:2::2]:8090/'
# whoami URL: the address the server saw, as the client host's root.
whoami() {
	c curl -sS --connect-timeout 8 --max-time 20 "$1" 2>&1
}
# The state mprox exec may touch, as the admin sees it.
dumps() {
	c ip rule
	c ip -6 rule
	c ip route show table all
	c ip -6 route show table all
	c nft list ruleset
	find /sys/fs/cgroup -type d | sort
}
same_dumps() {
	local now
	now=$(dumps 2>&1)
	if [ "$now" = "$before" ]; then
		pass "$1: rules, routes, nftables and cgroups as before"
	else
		fail "$1: the state differs"
		diff <(echo "$before") <(echo "$now") | diag
	fi
}
# running PID: the process exists and is not a zombie.
running() {
	[ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}
not_running() {
	! running "$1"
}
# usage DESC ARGS...: exit 2, a message, and nothing changed.
usage() {
	mprox_cli_usage exec "$@"
}
# status DESC WANT ARGS...: mprox exec ARGS exits WANT.
status() {
	local desc=$1 want=$2 out rc
	shift 2
	out=$(c "$MPROX" exec "$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ]; then pass "$desc: exit $rc"; else
		fail "$desc: exit $rc, want $want"
		diag <<<"$out"
	fi
}
# bg_exec ARGS...: mprox exec in the background (nsenter execs it: $! is
# mprox's own pid), its stderr in $T/stderr.
bg_exec() {
	nsenter --net=$NETNS "$MPROX" exec "$@" 2>"$T/stderr" &
	epid=$!
}
# cg_pid [DEV]: the first process of the background exec's cgroup.
cg_pid() {
	head -n 1 "$CGBASE/${1:-mprox0}-$epid/cgroup.procs" 2>/dev/null | grep .
}

# Sanity of the premise: root's own fetch goes direct.
got=$(whoami "$W4")
[ "$got" = "::ffff:10.200.1.2" ] && pass "root's fetch goes direct: the server sees $got" ||
	fail "root's fetch: the server sees '$got', want ::ffff:10.200.1.2"
before=$(dumps 2>&1)
# Every comparison with it is worth what the dumps show: the rules and
# cgroups, and no error.
check "the dumps of the state before: rules, cgroups, no error" bash -c \
	'grep -q "^0:.*lookup local" <<<"$1" && grep -qx /sys/fs/cgroup <<<"$1" &&
	! grep -qiE "error|cannot|not supported|no such" <<<"$1"' _ "$before"

# ---- arguments -----------------------------------------------------------
usage "no command"
usage "no command after --" -d mprox0 --
usage "-d without a name" -d
usage "unknown option" -x -- true
usage "-d with a bad name" -d 'a"b' -- true
usage "-d twice" -d mprox0 -d mprox0 -- true
usage "-u of no such user" -u mprox-no-such-user -- true
same_dumps "after the usage errors"
out=$(c "$MPROX" exec -d nosuch0 -- true 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "mprox add" <<<"$out" &&
	pass "no such device: exit 1 ($out)" || fail "no such device: exit $rc: $out"
out=$(c "$MPROX" exec -d mprox0 -- /nonexistent/cmd 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "cannot run '/nonexistent/cmd'" <<<"$out" &&
	pass "a command that does not exist: exit 1 ($out)" || fail "no such command: exit $rc: $out"
same_dumps "after the failures"
out=$(c "$MPROX" exec --help 2>&1)
[ $? = 0 ] && grep -q -- "-d NAME" <<<"$out" && pass "--help" || fail "--help: $out"

# ---- exit status -----------------------------------------------------------
status "exit 7 is passed on" 7 -d mprox0 -- sh -c 'exit 7'
status "exit 0" 0 -d mprox0 -- true
status "the only device is the default one" 3 -- sh -c 'exit 3'
status "CMD killed by SIGTERM: 128 + 15" 143 -d mprox0 -- sh -c 'kill -TERM $$'
same_dumps "after four execs"

# ---- through the proxy, the sibling direct ------------------------------
ok=$(mprox_connects mprox0 ok)
bg_exec -d mprox0 -- sh -c '
	curl -sS --max-time 20 "$2" >"$1/in4"
	curl -sS --max-time 20 "$3" >"$1/in6"
	: >"$1/ready"
	while [ ! -e "$1/go" ]; do sleep 0.1; done
	curl -sS --max-time 20 "$2" >"$1/after"' sh "$T" "$W4" "$W6"
step "the exec'd fetches are done, CMD still runs" wait_for 60 test -e "$T/ready"
got4=$(whoami "$W4")
got6=$(whoami "$W6")
step "CMD is in its cgroup meanwhile" test -n "$(cg_pid)"
: >"$T/go"
step "mprox exec returns" wait_for 60 not_running $epid
wait $epid
rc=$?
[ "$rc" = 0 ] && pass "mprox exec exit 0" || fail "mprox exec exit $rc: $(cat "$T/stderr")"
[ "$(cat "$T/in4")" = "::ffff:10.200.2.1" ] &&
	pass "exec'd IPv4 fetch: through the proxy (the server sees $(cat "$T/in4"))" ||
	fail "exec'd IPv4 fetch: the server sees '$(cat "$T/in4")', want ::ffff:10.200.2.1"
[ "$(cat "$T/in6")" = "fd00:200:2::1" ] &&
	pass "exec'd IPv6 fetch: through the proxy (the server sees $(cat "$T/in6"))" ||
	fail "exec'd IPv6 fetch: the server sees '$(cat "$T/in6")', want fd00:200:2::1"
[ "$(cat "$T/after")" = "::ffff:10.200.2.1" ] &&
	pass "exec'd fetch after the sibling's: through the proxy" ||
	fail "exec'd fetch after the sibling's: the server sees '$(cat "$T/after")'"
[ "$got4" = "::ffff:10.200.1.2" ] &&
	pass "sibling IPv4 fetch at the same time: direct (the server sees $got4)" ||
	fail "sibling IPv4 fetch: the server sees '$got4', want ::ffff:10.200.1.2"
[ "$got6" = "fd00:200:1::2" ] &&
	pass "sibling IPv6 fetch at the same time: direct (the server sees $got6)" ||
	fail "sibling IPv6 fetch: the server sees '$got6', want fd00:200:1::2"
now=$(mprox_connects mprox0 ok)
[ "$now" = $((ok + 3)) ] && pass "mprox0 counted the 3 exec'd connections, not the sibling's" ||
	fail "connects.ok $ok -> $now, want +3"
same_dumps "after the fetches"

# ---- -u --------------------------------------------------------------------
out=$(c "$MPROX" exec -d mprox0 -u 4242 -- sh -c 'id -u; id -g; curl -sS --max-time 20 "$1"' \
	sh "$W4" 2>&1)
[ "$out" = "$(printf '4242\n4242\n::ffff:10.200.2.1')" ] &&
	pass "-u 4242: CMD runs as uid and gid 4242, through the proxy" || fail "-u 4242: $out"

# ---- kill -9 of CMD ------------------------------------------------------
bg_exec -d mprox0 -- sleep 1000
step "sleep 1000 runs in its cgroup" wait_for 60 cg_pid
cmd=$(cg_pid)
check "the exec's chain is there" sh -c "nsenter --net=$NETNS nft list chain inet mprox \
	exec-mprox0-$epid"
kill -9 "$cmd"
step "mprox exec returns after kill -9 of CMD" wait_for 60 not_running $epid
wait $epid
rc=$?
[ "$rc" = 137 ] && pass "exit 137 (128 + SIGKILL)" || fail "exit $rc, want 137: $(cat "$T/stderr")"
same_dumps "after kill -9 of CMD"

# ---- SIGTERM to mprox exec: passed on to CMD ------------------------------
bg_exec -d mprox0 -- sleep 1000
step "sleep 1000 runs in its cgroup" wait_for 60 cg_pid
cmd=$(cg_pid)
kill -TERM $epid
step "mprox exec returns after SIGTERM" wait_for 60 not_running $epid
wait $epid
rc=$?
[ "$rc" = 143 ] && pass "SIGTERM passed on to CMD: exit 143" ||
	fail "exit $rc, want 143: $(cat "$T/stderr")"
not_running "$cmd" && pass "CMD is gone" || fail "CMD $cmd still runs"
same_dumps "after SIGTERM to mprox exec"

# ---- ^C on a terminal: CMD gets it once ------------------------------------
# mprox exec and CMD on a pty, in its foreground process group: ^C reaches
# both, and mprox must not pass it on a second time. mprox is stopped
# meanwhile, so that CMD has taken its SIGINT before mprox could send
# another (which would otherwise merge with the pending one). Then SIGTERM
# to mprox exec, which it passes on: had it forwarded the SIGINT, it would
# have done so first (the lower signal is taken first), and CMD's log
# would not be "INT TERM".
rm -f "$T/log" "$T/ready"
out=$(python3 - "$MPROX" "$NETNS" "$T" <<'PY' 2>&1
import os, pty, signal, sys, time
mprox, netns, t = sys.argv[1:4]
script = ('trap "echo INT >>$1/log" INT; trap "echo TERM >>$1/log; exit 0" TERM; '
          ': >"$1/ready"; while :; do sleep 0.1; done')
pid, fd = pty.fork()
if pid == 0:
    os.execvp("nsenter", ["nsenter", "--net=" + netns, mprox, "exec", "-d", "mprox0", "--",
                          "sh", "-c", script, "sh", t])
def until(cond, what):
    end = time.time() + 60
    while not cond():
        if time.time() > end:
            sys.exit("timed out waiting for " + what)
        time.sleep(0.05)
def log():
    try:
        return open(t + "/log").read().split()
    except OSError:
        return []
def state():
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]
until(lambda: os.path.exists(t + "/ready"), "CMD")
os.kill(pid, signal.SIGSTOP)
until(lambda: state() == "T", "mprox exec to stop")
os.write(fd, b"\x03")
until(lambda: "INT" in log(), "CMD's SIGINT")
os.kill(pid, signal.SIGCONT)
os.kill(pid, signal.SIGTERM)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status), " ".join(log()))
PY
)
[ "$out" = "0 INT TERM" ] && pass "^C on a terminal: CMD got SIGINT once, then SIGTERM passed on, exit 0" ||
	fail "^C on a terminal: '$out', want '0 INT TERM'"
same_dumps "after ^C"

# ---- what CMD leaves behind ----------------------------------------------
bg_exec -d mprox0 -- sh -c 'sleep 1000 & echo $! >"$1/bg"' sh "$T"
step "mprox exec returns when CMD exits" wait_for 60 not_running $epid
wait $epid
rc=$?
[ "$rc" = 0 ] && pass "exit 0, CMD's" || fail "exit $rc: $(cat "$T/stderr")"
bg=$(cat "$T/bg")
[ -n "$bg" ] && not_running "$bg" && grep -q "ended with SIGTERM" "$T/stderr" &&
	pass "CMD's background sleep was ended ($(cat "$T/stderr"))" ||
	fail "CMD's background sleep $bg: running? $(running "$bg" && echo yes); $(cat "$T/stderr")"
same_dumps "after ending what CMD left"
# One that ignores SIGTERM gets SIGKILL.
# (CMD exits only once the subshell ignores SIGTERM.)
# Its 2 s of grace are a wait on cgroup.events, not a spin: mprox exec
# (timed by GNU time) takes under 1.5 s of CPU for all of it.
rm -f "$T/ignoring" "$T/time"
nsenter --net=$NETNS /usr/bin/time -f "%U %S" -o "$T/time" "$MPROX" exec -d mprox0 -- \
	sh -c '(trap "" TERM; : >"$1/ignoring"; exec sleep 1000) &
	echo $! >"$1/bg"
	while [ ! -e "$1/ignoring" ]; do sleep 0.1; done' sh "$T" 2>"$T/stderr" &
epid=$!
step "mprox exec returns when CMD exits" wait_for 60 not_running $epid
wait $epid
rc=$?
bg=$(cat "$T/bg")
[ "$rc" = 0 ] && [ -n "$bg" ] && not_running "$bg" && grep -q "ended with SIGKILL" "$T/stderr" &&
	pass "a sleep ignoring SIGTERM was killed: $(cat "$T/stderr")" ||
	fail "the sleep ignoring SIGTERM: exit $rc, $bg running? $(running "$bg" && echo yes); $(cat "$T/stderr")"
cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$T/time" 2>/dev/null)
# 0.5 s of it is the setup (TCG); a spin adds the whole grace, 2 s.
if [ -n "$cpu" ] && [ "$cpu" -lt 1500 ]; then
	pass "mprox exec took $cpu ms of CPU, its 2 s of grace included"
else
	fail "mprox exec took '${cpu:-?}' ms of CPU over its 2 s of grace: it spins ($(cat "$T/time"))"
fi
same_dumps "after killing what CMD left"

# ---- two devices; one deleted while an exec uses it ------------------------
step "mprox1, up" sh -c "nsenter --net=$NETNS ip link add mprox1 type mprox &&
	nsenter --net=$NETNS ip link set mprox1 up"
out=$(c "$MPROX" exec -- true 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q -- "-d NAME" <<<"$out" &&
	pass "two devices and no -d: exit 1 ($out)" || fail "two devices and no -d: exit $rc: $out"
bg_exec -d mprox1 -- sleep 1000
step "sleep 1000 runs in the cgroup of mprox1's exec" wait_for 60 cg_pid mprox1
cmd=$(cg_pid mprox1)
step "ip link del mprox1 meanwhile" c ip link del mprox1
# Its route went with it: the exec's table answers "unreachable" rather
# than letting the tree's connections fall through to main, direct.
got=$(c sh -c 'echo $$ >"$1/cgroup.procs" && exec curl -sS --connect-timeout 8 --max-time 10 "$2"' \
	sh "$CGBASE/mprox1-$epid" "$W4" 2>&1)
rc=$?
[ "$rc" != 0 ] && [ "$got" != "::ffff:10.200.1.2" ] &&
	pass "a fetch in the exec's cgroup with mprox1 gone fails, not direct (curl exit $rc)" ||
	fail "a fetch in the exec's cgroup with mprox1 gone: curl exit $rc, '$got'"
kill -9 "$cmd"
step "mprox exec returns" wait_for 60 not_running $epid
wait $epid
rc=$?
[ "$rc" = 137 ] && ! grep -q . "$T/stderr" && pass "exit 137, and nothing to complain about" ||
	fail "exit $rc, want 137: $(cat "$T/stderr")"
same_dumps "after an exec whose device was deleted"

# ---- mprox route and mprox exec on the same device ------------------------
rm -f "$T/ready" "$T/go" "$T/in4"
bg_exec -d mprox0 -- sh -c '
	: >"$1/ready"
	while [ ! -e "$1/go" ]; do sleep 0.1; done
	curl -sS --max-time 20 "$2" >"$1/in4"' sh "$T" "$W4"
step "exec running" wait_for 60 test -e "$T/ready"
# --gid: route's own chain in table inet mprox next to the exec's.
check "mprox route mprox0 --uid 4242 --gid 4343 meanwhile" c "$MPROX" route mprox0 --uid 4242 \
	--gid 4343
check "mprox route mprox0 --off meanwhile" c "$MPROX" route mprox0 --off
: >"$T/go"
step "mprox exec returns" wait_for 60 not_running $epid
wait $epid
[ "$(cat "$T/in4" 2>/dev/null)" = "::ffff:10.200.2.1" ] &&
	pass "route --off during exec: the exec'd fetch still goes through the proxy" ||
	fail "route --off during exec: the server sees '$(cat "$T/in4" 2>/dev/null)'"
same_dumps "after exec with route and route --off"
check "mprox route mprox0 --uid 4242 --gid 4343" c "$MPROX" route mprox0 --uid 4242 --gid 4343
routed=$(dumps 2>&1)
out=$(c "$MPROX" exec -d mprox0 -- curl -sS --max-time 20 "$W4" 2>&1)
[ "$out" = "::ffff:10.200.2.1" ] && pass "exec while routed: through the proxy" ||
	fail "exec while routed: $out"
now=$(dumps 2>&1)
[ "$now" = "$routed" ] && pass "exec's end leaves route's rules, routes and chain" || {
	fail "exec's end changed route's state"
	diff <(echo "$routed") <(echo "$now") | diag
}
check "mprox route mprox0 --off" c "$MPROX" route mprox0 --off
same_dumps "after route --off"

# ---- execs and routes at the same time --------------------------------------
# Each exec adds its chain to table inet mprox and deletes the table when
# its chain was the last; route --off does the same. Without a lock, one
# could delete the table just as another adds its chain, and that exec's
# fetch would go direct. Six execs and a route on, then off, at once, three
# times (twice on the debug kernel).
rounds=$(mprox_scale 3 2)
: >"$T/seen"
for _ in $(seq "$rounds"); do
	pids=
	for i in 1 2 3 4 5 6; do
		c "$MPROX" exec -d mprox0 -- curl -sS --max-time 30 "$W4" >>"$T/seen" 2>&1 &
		pids="$pids $!"
	done
	c sh -c "'$MPROX' route mprox0 --gid 4343 >/dev/null && '$MPROX' route mprox0 --off >/dev/null" ||
		echo "route failed" >>"$T/seen"
	wait $pids
done
if [ "$(sort "$T/seen" | uniq -c | sed 's/^ *//')" = "$((rounds * 6)) ::ffff:10.200.2.1" ]; then
	pass "$((rounds * 6)) execs, six at a time, beside route and --off: every fetch through the proxy"
else
	fail "execs at the same time: what the server saw"
	sort "$T/seen" | uniq -c | diag
fi
same_dumps "after the execs at the same time"

# ---- kill -9 of mprox exec itself ------------------------------------------
bg_exec -d mprox0 -- sleep 1000
step "sleep 1000 runs in its cgroup" wait_for 60 cg_pid
cmd=$(cg_pid)
dead=$epid
kill -9 $dead
step "mprox exec is killed" wait_for 60 not_running $dead
wait $dead 2>/dev/null
# CMD still runs in its cgroup: the next exec leaves its state alone.
status "another exec while the killed one's CMD runs" 0 -d mprox0 -- true
check "the killed exec's chain stays while its cgroup is populated" \
	sh -c "nsenter --net=$NETNS nft list chain inet mprox exec-mprox0-$dead"
got=$(c sh -c 'echo $$ >"$1/cgroup.procs" && exec curl -sS --max-time 20 "$2"' sh \
	"$CGBASE/mprox0-$dead" "$W4" 2>&1)
[ "$got" = "::ffff:10.200.2.1" ] && pass "its cgroup still goes through the proxy" ||
	fail "the killed exec's cgroup: the server sees '$got'"
kill -9 "$cmd"
step "the killed exec's cgroup empties" wait_for 60 grep -q "populated 0" \
	"$CGBASE/mprox0-$dead/cgroup.events"
out=$(c "$MPROX" exec -d mprox0 -- true 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "killed 'mprox exec' $dead left" <<<"$out" &&
	pass "the next exec collects it: $out" || fail "the next exec: exit $rc: $out"
same_dumps "after collecting the killed exec's state"

rm -rf "$T"
# Routes went away under connections still closing (route --off beside
# the execs): a flow whose last ACK took the other way ends at the relay's
# FIN timeout, 60 s.
check_flows_drain mprox0 90
mprox_case_teardown
plan "$tap_n"
tap_exit
