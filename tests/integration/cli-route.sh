#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# "mprox route NAME ..." (issue 12): policy routing into mprox0 in one
# step through libnl-route-3 and libnftables, undone in one step by
# "--off". --uid sends one user's traffic through the proxy and leaves
# root's direct; --gid and --cgroup work through the mark of table inet
# mprox; --fwmark through an fwmark rule; --all sends everything but the
# driver's own connections and the local subnet into the device (IPv4 and
# IPv6, no loop); --exclude keeps a destination direct. After --off, and
# after a failure half-way, "ip rule", "ip -6 rule", both families' routes
# of every table and "nft list ruleset" are byte-identical to before;
# bad arguments exit 2 and change nothing.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

MPROX=$MPROX_CMD
# A systemd unit's escape in its name: nftables must read the backslash
# as itself.
CGREL='/mprox-route\x2dtest.slice'
CG=/sys/fs/cgroup$CGREL
RUSER=4242 # the user of --uid (no passwd entry needed)
RGROUP=4343 # the group of --gid

mprox_case_setup
if [ ! -x "$MPROX" ]; then
	fail "no $MPROX: build it with 'make helper'"
	plan "$tap_n"
	tap_exit
fi
head -c 100000 /dev/urandom >"$TOPO_WWW/blob"
want=$(sha256sum <"$TOPO_WWW/blob" | cut -d' ' -f1)
# A web server on the proxy host: the client's own subnet, which routing
# must leave direct.
topo_spawn "$TOPO_P" python3 "$MPROX_NETUTIL" http-server 8081 "$TOPO_WWW"
step "it listens on 8081" wait_for 60 topo_listening "$TOPO_P" 8081
step "load mprox" mprox_load
step "mprox0 in the client host (no routes)" topo_ns $TOPO_C ip link add mprox0 type mprox
check "upstream p1 socks5://10.200.1.1:1080" mprox_upstream mprox0 p1 socks5://10.200.1.1:1080
step "mprox0 up" topo_ns $TOPO_C ip link set mprox0 up

# The client's network namespace without ip netns exec's fresh /sys, so
# that the cgroup2 hierarchy stays visible to nft and to the test.
c() {
	nsenter --net=/run/netns/$TOPO_C "$@"
}
# The routing state "mprox route" may touch, as the admin sees it.
dumps() {
	c ip rule
	c ip -6 rule
	c ip route show table all
	c ip -6 route show table all
	c nft list ruleset
}
# same_dumps DESC: the state equals $before, byte for byte.
same_dumps() {
	local now
	now=$(dumps 2>&1)
	if [ "$now" = "$before" ]; then pass "$1: rules, routes and nftables as before"; else
		fail "$1: the state differs"
		diff <(echo "$before") <(echo "$now") | diag
	fi
}
# fetch AS URL: curl in the client host as AS ("root", "uid N", "gid N",
# "cgroup"), printing the sha256 of the body.
fetch() {
	local who=$1 url=$2
	case $who in
	root) c curl -sS --connect-timeout 8 --max-time 20 "$url" ;;
	uid) c setpriv --reuid $RUSER --regid $RUSER --clear-groups \
		curl -sS --connect-timeout 8 --max-time 20 "$url" ;;
	gid) c setpriv --regid $RGROUP --clear-groups \
		curl -sS --connect-timeout 8 --max-time 20 "$url" ;;
	cgroup) c sh -c 'echo $$ >"$1/cgroup.procs" && exec curl -sS --connect-timeout 8 \
		--max-time 20 "$2"' sh "$CG" "$url" ;;
	esac 2>/dev/null | sha256sum | cut -d' ' -f1
}
# through DESC AS URL: the fetch works and mprox0 carried it.
through() {
	local ok got
	ok=$(mprox_connects mprox0 ok)
	got=$(fetch "$2" "$3")
	if [ "$got" = "$want" ] && [ "$(mprox_connects mprox0 ok)" -gt "$ok" ]; then
		pass "$1: through the proxy"
	else
		fail "$1: sha256 $got, connects.ok $ok -> $(mprox_connects mprox0 ok)"
	fi
}
# direct DESC AS URL: the fetch works and mprox0 did not carry it.
direct() {
	local ok got
	ok=$(mprox_connects mprox0 ok)
	got=$(fetch "$2" "$3")
	if [ "$got" = "$want" ] && [ "$(mprox_connects mprox0 ok)" = "$ok" ]; then
		pass "$1: direct"
	else
		fail "$1: sha256 $got, connects.ok $ok -> $(mprox_connects mprox0 ok)"
	fi
}
# not_through DESC AS URL: the fetch fails (no route to the server but
# through the proxy) and mprox0 did not carry it.
not_through() {
	local ok got
	ok=$(mprox_connects mprox0 ok)
	got=$(fetch "$2" "$3")
	if [ "$got" != "$want" ] && [ "$(mprox_connects mprox0 ok)" = "$ok" ]; then
		pass "$1: not into mprox0"
	else
		fail "$1: sha256 $got, connects.ok $ok -> $(mprox_connects mprox0 ok)"
	fi
}
# usage DESC ARGS...: exit 2, a message, and nothing changed.
usage() {
	mprox_cli_usage route "$@"
}
# route DESC ARGS...: mprox route succeeds.
route() {
	local desc=$1
	shift
	# Connections through the device finish closing before its routing
	# goes: after a --off the application's last ACK would go direct, and
	# the driver's side would linger until its FIN retransmissions gave up.
	if [ "${!#}" = --off ] && ip netns exec $TOPO_C test -e "/sys/class/net/$1"; then
		wait_flows_zero "$1" 30 || echo "# $1 still has flows before --off"
	fi
	check "$desc" c "$MPROX" route "$@"
}

S4=http://10.200.2.2:8080/blob
S6='http://[fd00:200:2::2]:8080/blob'
L4=http://10.200.1.1:8081/blob
L6='http://[fd00:200:1::1]:8081/blob'

# The admin's own rules at mprox's priorities, which --off must leave.
step "the admin's own rules at priorities 10600 and 10610" sh -c "
	nsenter --net=/run/netns/$TOPO_C ip rule add to 10.7.0.0/16 lookup main pref 10600 &&
	nsenter --net=/run/netns/$TOPO_C ip -6 rule add fwmark 0x99 lookup 100 pref 10610"
before=$(dumps 2>&1)
# Every comparison with it is worth what the dumps show: no error, and
# the admin's rule just added.
check "the dumps of the state before: the admin's rule, no error" bash -c \
	'grep -q "^10600:.* to 10.7.0.0/16 lookup main" <<<"$1" &&
	! grep -qiE "error|cannot|not supported|no such" <<<"$1"' _ "$before"
# Someone else's route in the device's table (0x6d700000 + ifindex).
table=$((0x6d700000 + $(ip netns exec $TOPO_C cat /sys/class/net/mprox0/ifindex)))
c ip route add 10.8.0.0/16 dev mprox0 table $table
out=$(c "$MPROX" route mprox0 --all 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "mprox did not add" <<<"$out" &&
	pass "table $table in use by another route: exit 1 ($out)" ||
	fail "table $table in use by another route: exit $rc: $out"
c ip route del 10.8.0.0/16 dev mprox0 table $table
same_dumps "after refusing a table in use"

# ---- arguments -----------------------------------------------------------
usage "no device"
usage "no selector" mprox0
usage "unknown option" mprox0 --uid 1 --bogus
usage "bad uid range" mprox0 --uid 9-3
usage "bad fwmark" mprox0 --fwmark 0x10/0x1
usage "--exclude with a bad CIDR" mprox0 --all --exclude 10.0.0.0/33
usage "--exclude with host bits" mprox0 --all --exclude 10.200.2.2/24
usage "--exclude without a selector" mprox0 --exclude 10.0.0.0/8
usage "--exclude the same network twice" mprox0 --all --exclude 10.0.0.0/8 --exclude 10.0.0.0/8
usage "--off with a selector" mprox0 --off --all
usage "--cgroup with quotes" mprox0 --cgroup '/a"b'
usage "--fwmark of the device's own connections" mprox0 --fwmark 0x6d70
same_dumps "after the usage errors"
out=$(c "$MPROX" route nosuch0 --all 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "mprox add nosuch0" <<<"$out" &&
	pass "no such device: exit 1, says to create it" || fail "no such device: exit $rc: $out"
out=$(c "$MPROX" route --help 2>&1)
[ $? = 0 ] && grep -q -- "--exclude CIDR" <<<"$out" && pass "--help" || fail "--help: $out"

# ---- --uid ---------------------------------------------------------------
route "route mprox0 --uid $RUSER" mprox0 --uid $RUSER
through "--uid: the user's IPv4 fetch" uid "$S4"
through "--uid: the user's IPv6 fetch" uid "$S6"
through "--uid: the user's fetch from the local subnet too" uid "$L4"
not_through "--uid: root's IPv4 fetch of the server" root "$S4"
direct "--uid: root's fetch from the local subnet" root "$L4"
out=$(c "$MPROX" route mprox0 --uid 1 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q -- "--off' first" <<<"$out" &&
	pass "route again: exit 1, says --off first" || fail "route again: exit $rc: $out"
route "route mprox0 --off" mprox0 --off
same_dumps "--uid, then --off"
not_through "after --off: the user's fetch" uid "$S4"
out=$(c "$MPROX" route mprox0 --off 2>&1)
[ $? = 0 ] && pass "--off again: nothing to remove, exit 0" || fail "--off again: $out"

# ---- a failure half-way --------------------------------------------------
# --cgroup of a cgroup that does not exist fails in nftables, after the
# routes and rules of --uid and --exclude were added: they must go again.
out=$(c "$MPROX" route mprox0 --uid $RUSER --all --exclude 10.9.0.0/16 \
	--exclude fd09::/32 --cgroup /mprox-no-such-cgroup 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "cgroup" <<<"$out" &&
	pass "a cgroup that does not exist: exit 1 ($(head -n 1 <<<"$out"))" ||
	fail "a cgroup that does not exist: exit $rc: $out"
# Half-way: it had added rules and routes, and says it removed them.
grep -Eq "removed again the [1-9][0-9]* rules and 2 routes" <<<"$out" &&
	pass "it had got half-way: $(grep -o 'removed again the [0-9]* rules and 2 routes' <<<"$out")" ||
	fail "not half-way: $out"
same_dumps "after the failure half-way"

# ---- --all ----------------------------------------------------------------
route "route mprox0 --all" mprox0 --all
loops=$(mprox_connects mprox0 loop)
through "--all: root's IPv4 fetch" root "$S4"
through "--all: root's IPv6 fetch" root "$S6"
direct "--all: the local subnet, IPv4" root "$L4"
direct "--all: the local subnet, IPv6" root "$L6"
[ "$(mprox_connects mprox0 loop)" = "$loops" ] && [ "$(mprox_stat mprox0 stats.drops.loop)" = 0 ] &&
	pass "--all: no loop (connects.loop, drops.loop)" ||
	fail "--all: loops: $(mprox_stat mprox0 stats.connects) $(mprox_stat mprox0 stats.drops)"
route "--off" mprox0 --off
same_dumps "--all, then --off"

# --exclude: the proxy host forwards for this part, and the client has a
# default route through it, so a direct path to the server exists.
topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
topo_ns $TOPO_S ip route add 10.200.1.0/24 via 10.200.2.1
topo_ns $TOPO_S ip -6 route add fd00:200:1::/64 via fd00:200:2::1
c ip route add default via 10.200.1.1
c ip -6 route add default via fd00:200:1::1
before=$(dumps 2>&1)
route "route mprox0 --all --exclude 10.200.2.2/32 --exclude fd00:200:2::2/128" mprox0 --all \
	--exclude 10.200.2.2/32 --exclude fd00:200:2::2/128
direct "--all --exclude: IPv4 to the excluded server" root "$S4"
direct "--all --exclude: IPv6 to the excluded server" root "$S6"
route "--off" mprox0 --off
same_dumps "--all --exclude, then --off"
route "route mprox0 --all (a default route in main)" mprox0 --all
through "--all with a default route: IPv4 still through the proxy" root "$S4"
through "--all with a default route: IPv6 still through the proxy" root "$S6"
route "--off" mprox0 --off
same_dumps "--all with a default route, then --off"

# ---- --kill-switch --------------------------------------------------------
# Taking the device down flushes its routes, and the rules then find its
# table empty: with the default route in main (above) the user's traffic
# would go direct. With --kill-switch it fails at connect() instead
# (EHOSTUNREACH, "No route to host"), IPv4 and IPv6, and goes through the
# proxy again once the device and its routes are back.
# hostunreach DESC HOST PORT: the user's connect() fails with EHOSTUNREACH.
hostunreach() {
	local out
	out=$(c setpriv --reuid $RUSER --regid $RUSER --clear-groups python3 -c '
import errno, socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.settimeout(10)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))
' "$2" "$3" 2>&1)
	expect "$1" "$out" EHOSTUNREACH
}
route "route mprox0 --uid $RUSER --kill-switch" mprox0 --uid $RUSER --kill-switch
through "--kill-switch: the user's IPv4 fetch" uid "$S4"
route_table=$((0x6d700000 + $(ip -n $TOPO_C -o link show mprox0 | cut -d: -f1)))
step "mprox0 down" c ip link set mprox0 down
not_through "--kill-switch, mprox0 down: the user's IPv4 fetch, not direct" uid "$S4"
not_through "--kill-switch, mprox0 down: the user's IPv6 fetch, not direct" uid "$S6"
hostunreach "--kill-switch, mprox0 down: the user's IPv4 connect()" 10.200.2.2 8080
hostunreach "--kill-switch, mprox0 down: the user's IPv6 connect()" fd00:200:2::2 8080
direct "--kill-switch, mprox0 down: root's fetch still direct" root "$S4"
step "mprox0 up" c ip link set mprox0 up
step "its default routes back, as 'mprox reload' puts them" sh -c "
	nsenter --net=/run/netns/$TOPO_C ip route add default dev mprox0 table $route_table proto 109 &&
	nsenter --net=/run/netns/$TOPO_C ip -6 route add default dev mprox0 table $route_table proto 109"
through "--kill-switch, mprox0 up again: the user's IPv4 fetch" uid "$S4"
route "--off" mprox0 --off
same_dumps "--kill-switch, then --off"
# What the kill switch changes: without it the same fetch goes direct.
route "route mprox0 --uid $RUSER" mprox0 --uid $RUSER
step "mprox0 down" c ip link set mprox0 down
direct "no --kill-switch, mprox0 down: the user's IPv4 fetch goes direct" uid "$S4"
step "mprox0 up" c ip link set mprox0 up
route "--off" mprox0 --off
same_dumps "no --kill-switch, then --off"

# --all with the proxy beyond the default route (10.200.2.1, the proxy
# host's far address) and strict reverse-path filtering: the driver's
# connections leave by "not fwmark", and their replies get the mark back
# from conntrack so that src_valid_mark routes them outside the device.
check "upstream p1 at 10.200.2.1, beyond the default route" \
	mprox_use_upstream mprox0 p1 socks5://10.200.2.1:1080
c sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.c0.rp_filter=1
route "route mprox0 --all (proxy beyond the default route, rp_filter 1)" mprox0 --all
[ "$(c sysctl -n net.ipv4.conf.all.src_valid_mark)" = 1 ] &&
	pass "src_valid_mark is 1" || fail "src_valid_mark: $(c sysctl -n net.ipv4.conf.all.src_valid_mark)"
loops=$(mprox_connects mprox0 loop)
through "--all, proxy beyond the default route, rp_filter 1: IPv4" root "$S4"
through "--all, proxy beyond the default route, rp_filter 1: IPv6" root "$S6"
[ "$(mprox_connects mprox0 loop)" = "$loops" ] && [ "$(mprox_stat mprox0 stats.drops.loop)" = 0 ] &&
	pass "no loop" || fail "loops: $(mprox_stat mprox0 stats.connects) $(mprox_stat mprox0 stats.drops)"
route "--off" mprox0 --off
same_dumps "--all with the far proxy, then --off"
c sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.c0.rp_filter=0
check "upstream p1 back at 10.200.1.1" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080

# ---- --gid, --cgroup, --fwmark (JSON) -----------------------------------
# The nftables mark comes after connect()'s route lookup, which needs a
# route in main (here the default route through the forwarding proxy
# host): root's fetches go that way, direct.
json=$(c "$MPROX" -j route mprox0 --gid $RGROUP --fwmark 0x10/0xf0 2>&1)
python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["dev"] == "mprox0" and d["table"] == d["mark"] == 0x6d700000 + d["ifindex"], d
assert "route-mprox0" in d["nft_chains"], d
assert len([r for r in d["rules"] if r["priority"] == 10610]) == 4, d["rules"]
' "$json" && pass "-j route --gid --fwmark: the JSON names table, mark, rules and chain" ||
	fail "-j route --gid --fwmark: $json"
through "--gid: the group's IPv4 fetch" gid "$S4"
through "--gid: the group's IPv6 fetch" gid "$S6"
direct "--gid: root's fetch" root "$S4"
ok=$(mprox_connects mprox0 ok)
out=$(c python3 - <<'PY' 2>&1
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x15)
s.settimeout(20)
s.connect(("10.200.2.2", 8080))
s.sendall(b"GET /blob HTTP/1.0\r\n\r\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.split(b"\r\n", 1)[0].decode())
PY
)
grep -q "^HTTP/1.[01] 200" <<<"$out" && [ "$(mprox_connects mprox0 ok)" -gt "$ok" ] &&
	pass "--fwmark 0x10/0xf0: a socket marked 0x15 goes through the proxy" ||
	fail "--fwmark: $out, connects.ok $ok -> $(mprox_connects mprox0 ok)"
route "--off" mprox0 --off
same_dumps "--gid --fwmark, then --off"

if mkdir -p "$CG" 2>/dev/null; then
	route "route mprox0 --cgroup $CGREL" mprox0 --cgroup "$CGREL"
	through "--cgroup: a fetch from the cgroup" cgroup "$S4"
	direct "--cgroup: root's fetch from outside it" root "$S4"
	route "--off" mprox0 --off
	same_dumps "--cgroup, then --off"
else
	pass "--cgroup # SKIP no cgroup2 hierarchy at /sys/fs/cgroup"
fi

# ---- --off after the device was deleted -----------------------------------
# Its routes through it went with it; --off finds its chains by name, and
# its rules and its kill switch's routes by their table, whose interface
# index nothing has any more and whose record names it. mprox0's stay, and
# so does the kill switch of mprox2, deleted too, until its own --off; a
# new mprox2 routed again replaces what the old one left.
before=$(dumps 2>&1)
route "mprox0 --uid $RUSER (to be kept)" mprox0 --uid $RUSER
kept=$(dumps 2>&1)
new_dev() {
	ip netns exec $TOPO_C ip link add "$1" type mprox &&
		ip netns exec $TOPO_C ip link set "$1" up
}
step "mprox1, up" new_dev mprox1
step "mprox2, up" new_dev mprox2
route "route mprox1 --all --gid $RGROUP --exclude 10.9.0.0/16 --kill-switch" mprox1 --all \
	--gid $RGROUP --exclude 10.9.0.0/16 --kill-switch
route "route mprox2 --uid 4243 --kill-switch" mprox2 --uid 4243 --kill-switch
step "ip link del mprox1 mprox2" sh -c "nsenter --net=/run/netns/$TOPO_C ip link del mprox1 &&
	nsenter --net=/run/netns/$TOPO_C ip link del mprox2"
out=$(c "$MPROX" route mprox1 --off 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "removed 7 rules and 2 routes of deleted devices, 3 nftables chains" <<<"$out" &&
	pass "--off of the deleted mprox1: $out" || fail "--off of the deleted mprox1: exit $rc: $out"
expect "the deleted mprox2's rules stay (IPv4, IPv6)" \
	"$(c ip rule | grep -c 'uidrange 4243-4243') $(c ip -6 rule | grep -c 'uidrange 4243-4243')" "1 1"
step "mprox2 again, up" new_dev mprox2
out=$(c "$MPROX" route mprox2 --uid 4243 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "removed what a deleted mprox2 had left: 2 rules, 2 routes" <<<"$out" &&
	pass "mprox2 routed again: the old one's rules and kill switch go" ||
	fail "mprox2 routed again: exit $rc: $out"
expect "one uidrange rule of mprox2's (IPv4, IPv6)" \
	"$(c ip rule | grep -c 'uidrange 4243-4243') $(c ip -6 rule | grep -c 'uidrange 4243-4243')" "1 1"
route "mprox2 --off" mprox2 --off
step "ip link del mprox2" c ip link del mprox2
# What an --off cut short leaves: rules that look up main, which carry
# their table only as a label. mprox3's lookup rules go by hand, as if an
# --off had failed after them; its next --off finds the rest by label.
step "mprox3, up" new_dev mprox3
route "route mprox3 --all" mprox3 --all
step "ip link del mprox3" c ip link del mprox3
step "its 10630 rules removed by hand" sh -c "
	nsenter --net=/run/netns/$TOPO_C ip rule del pref 10630 &&
	nsenter --net=/run/netns/$TOPO_C ip -6 rule del pref 10630"
out=$(c "$MPROX" route mprox3 --off 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "removed 2 rules and 0 routes of deleted devices, 2 nftables chains" <<<"$out" &&
	pass "--off of the deleted mprox3 finds its labelled rules: $out" ||
	fail "--off of the deleted mprox3: exit $rc: $out"
now=$(dumps 2>&1)
[ "$now" = "$kept" ] && pass "mprox1, mprox2 and mprox3 gone without a trace, mprox0's routing kept" || {
	fail "after --off of the deleted mprox1, mprox2 and mprox3"
	diff <(echo "$kept") <(echo "$now") | diag
}
route "--off" mprox0 --off
same_dumps "mprox0 --off after all that"

rmdir "$CG" 2>/dev/null
# route() waits for the flows before each --off (see there); should one
# still be closing, show it before the longer wait.
if ! wait_flows_zero mprox0 30; then
	mprox_json mprox0 | python3 -c 'import json, sys; print(json.load(sys.stdin)["conns"])' | diag
fi
check_flows_drain mprox0 150
mprox_case_teardown
plan "$tap_n"
tap_exit
