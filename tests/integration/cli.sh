#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# The mprox command as an admin uses it: add, set, upstream add/list/del,
# show, conns, monitor, rule/dns pass-through, del and version, each in
# its human and its JSON form (JSON checked with python3), with bad input
# that must fail with the right exit code and change nothing.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup
head -c 20M /dev/urandom >"$TOPO_WWW/big"
step "insmod" mprox_load

mp() {
	topo_ns "$TOPO_C" "$MPROX_CMD" "$@"
}
# json_ok PYEXPR ARGS...: the command's -j output parses, and PYEXPR (on v)
# holds.
json_ok() {
	local expr=$1 out
	shift
	out=$(mp -j "$@") || return 1
	python3 -c 'import json, sys; v = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$out" "$expr" || { echo "$out"; return 1; }
}
# exits RC TEXT ARGS...: the command exits RC and says TEXT on stderr.
exits() {
	local want=$1 text=$2 err rc
	shift 2
	err=$(mp "$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = "$want" ] && grep -q -- "$text" <<<"$err" ||
		{ echo "exit $rc, want $want; stderr: $err"; return 1; }
}
state() {
	mp -j show mprox0
}
unchanged() {
	[ "$(state)" = "$1" ] || { echo "was: $1"; echo "now: $(state)"; return 1; }
}

# ---- add, set ----------------------------------------------------------
check "mprox add mprox0 prints the name" sh -c "[ \"\$(ip netns exec $TOPO_C $MPROX_CMD add mprox0)\" = mprox0 ]"
check "it is an interface" topo_ns "$TOPO_C" ip link show mprox0
check "mprox -j add 'mproxt%d': the name made, as JSON" \
	json_ok 'v["name"] == "mproxt0" and v["ifindex"] > 0' add 'mproxt%d'
check "mprox add mprox0 again: exit 1, says it exists" exits 1 "exists" add mprox0
check "mprox add with a 16-character name: exit 2" exits 2 "at most 15" add mprox0123456789a
check "mprox set mprox0 connect_timeout_ms 5000" mp set mprox0 connect_timeout_ms 5000
check "the document says 5000" json_ok 'v[0]["config"]["tunables"]["connect_timeout_ms"] == 5000' show mprox0
check "mprox set mprox0 fwmark 0x51" mp set mprox0 fwmark 0x51
check "mprox set mprox0 persist on" mp set mprox0 persist on
before=$(state)
check "set out of range: exit 1, the driver's reason" exits 1 "out of its range" set mprox0 connect_timeout_ms 5
check "set an unknown key: exit 1" exits 1 "nothing changed" set mprox0 no_such_key 1
check "set a word for a number: exit 2" exits 2 "number" set mprox0 max_flows many
check "set with a missing value: exit 2" exits 2 "NAME KEY VALUE" set mprox0 max_flows
check "set on a device that is not there: exit 1, what to do" exits 1 "mprox add" set nosuch0 max_flows 5
check "bad settings changed nothing" unchanged "$before"
check "set with a leading zero: decimal, not octal" mp set mprox0 spare_idle_s 060
expect "spare_idle_s is 60" "$(mprox_stat mprox0 config.tunables.spare_idle_s)" 60
# A prefix file: a comment of any length is a comment, even where a
# 255-byte read would have cut it just before a prefix; a directory is an
# error, not an empty file.
pfile=$(mktemp)
python3 -c 'print("# " + "x" * 252 + " 10.0.0.0/8\n10.9.0.0/16")' >"$pfile"
check "set add --file: a comment of 266 bytes, then one prefix" mp set mprox0 add lc --file "$pfile"
expect "the set holds that one prefix" "$(mp set mprox0 list lc)" "10.9.0.0/16"
check "set add of a prefix the set holds: exit 1, said so" exits 1 "a prefix that is in the set" \
	set mprox0 add lc 10.9.1.0/24
check "set flush lc" mp set mprox0 flush lc
# The longest text of an address: 6 full groups and an IPv4 tail.
long6="0000:0000:0000:0000:0000:ffff:255.255.255.255/128"
check "set add of a ${#long6}-byte IPv6 prefix" mp set mprox0 add lc "$long6"
expect "the set holds it" "$(mp set mprox0 list lc | wc -l)" 1
check "set flush lc" mp set mprox0 flush lc
check "set add --file on a directory: exit 1, said so" exits 1 "Is a directory" set mprox0 add lc --file /tmp
rm -f "$pfile"

# ---- upstreams ---------------------------------------------------------
# A host name for the proxy, from a hosts file of this case's own (a mount
# namespace, so the guest's /etc/hosts stays as it is).
hosts=$(mktemp)
echo "10.200.1.1 proxy.test" >"$hosts"
with_hosts() {
	topo_ns "$TOPO_C" unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		sh "$hosts" "$MPROX_CMD" "$@"
}
out=$(with_hosts upstream add mprox0 p1 socks5://proxy.test:1080 2>&1)
if [ $? = 0 ] && grep -q "resolved to 10.200.1.1" <<<"$out"; then
	pass "upstream add with a host name: says the address it used ($out)"
else
	fail "upstream add with a host name: $out"
fi
check "the driver got the address" \
	json_ok 'v[0]["host"] == "10.200.1.1" and v[0]["proto"] == "socks5" and v[0]["port"] == 1080' \
	upstream list mprox0
check "upstream add p2 with priority, weight and user, through the proxy's address" \
	mp upstream add mprox0 p2 socks5://alice:secret@10.200.1.1:1080 priority 2 weight 5
before=$(state)
check "no password in the document" bash -c '! grep -q secret <<<"$1"' _ "$before"
check "a name that does not resolve: exit 1" exits 1 "does not resolve" \
	upstream add mprox0 p3 socks5://nosuch.invalid:1080
check "an unknown scheme: exit 1, the driver's reason" exits 1 "nothing changed" \
	upstream add mprox0 p3 ftp://10.200.1.1:21
check "no scheme: exit 1, said so (not a resolver's 'System error')" exits 1 "the URL has no scheme" \
	upstream add mprox0 p3 10.200.1.1:1080
check "a URL of 2000 bytes: exit 1, said so" exits 1 "the URL is longer than 1024 bytes" \
	upstream add mprox0 p3 "socks5://$(printf 'a%.0s' {1..1990}):1080"
check "weight 0: exit 2" exits 2 "1-1000" upstream add mprox0 p3 socks5://10.200.1.1 weight 0
check "an unknown option: exit 2" exits 2 "unknown option" upstream add mprox0 p3 socks5://10.200.1.1 colour blue
check "priority 256: exit 2" exits 2 "0-255" upstream add mprox0 p3 socks5://10.200.1.1 priority 256
check "an existing name: exit 1" exits 1 "nothing changed" upstream add mprox0 p1 socks5://10.200.1.1
check "bad upstreams changed nothing" unchanged "$before"
# The longest URL the driver and a file take, 1024 bytes: a 255-byte user
# name, each byte %-escaped, and a 233-byte password. Refused as 1023 was
# the helper's limit.
url1024="socks5://$(printf '%%75%.0s' $(seq 255)):$(printf 'p%.0s' $(seq 233))@10.200.1.1:1080"
expect "that URL's length" "${#url1024}" 1024
check "upstream add of a 1024-byte URL" mp upstream add mprox0 p5 "$url1024"
check "a 1025-byte one: exit 1, said so" exits 1 "the URL is longer than 1024 bytes" \
	upstream add mprox0 p6 "${url1024/p@/pp@}"
check "upstream del mprox0 p5" mp upstream del mprox0 p5
out=$(mp upstream list mprox0)
if grep -Eq '^p1 +socks5 +10\.200\.1\.1 +1080 +0 +1 +up ' <<<"$out" &&
	grep -Eq '^p2 +socks5 +10\.200\.1\.1 +1080 +2 +5 +up .*alice' <<<"$out"; then
	pass "upstream list: both, with priority, weight, state and user"
else
	fail "upstream list:"
	diag <<<"$out"
fi
# The driver's EBUSY, said as what it means here (not "the fd is bound").
check "rule add port 9 upstream p2" mp rule mprox0 add port 9 upstream p2
check "upstream del of one a rule names: exit 1, said why" \
	exits 1 "upstream del: in use: a rule names the upstream.*nothing changed" upstream del mprox0 p2
check "rule flush" mp rule mprox0 flush
check "upstream del mprox0 p2" mp upstream del mprox0 p2
check "upstream del of one that is not there: exit 1" exits 1 "nothing changed" upstream del mprox0 p2
check "p1 is the only upstream" json_ok '[u["name"] for u in v] == ["p1"]' upstream list mprox0

# ---- a rule only the driver refuses (a cgroup that is not there); dns ----
check "mprox rule: exit 1, the driver's ENOENT, nothing changed" \
	exits 1 "rule: .*nothing changed" rule mprox0 add cgroup /mprox-nosuch reject
check "mprox dns mprox0 server 10.200.1.53: the driver takes it" mp dns mprox0 server 10.200.1.53
check "mprox dns mprox0 fake-ip 0.0.0.0/7: exit 1, out of range" \
	exits 1 "out of its range" dns mprox0 fake-ip 0.0.0.0/7
check "mprox dns mprox0 off" mp dns mprox0 off
check "an argument with a line break cannot smuggle a directive: exit 2" \
	exits 2 "line breaks" rule mprox0 "$(printf 'x\nupstream flush')"
before=$(state)
check "nor can an upstream's NAME: exit 2" exits 2 "line breaks" upstream add mprox0 \
	"$(printf 'a socks5://10.200.1.1:1080\nfwmark 7\nupstream add b')" socks5://10.200.1.1:1080
check "and the device is as it was" unchanged "$before"

# ---- show and conns with traffic ---------------------------------------
step "mprox0 up, the server routed into it" sh -c \
	"ip -n $TOPO_C link set mprox0 up && ip -n $TOPO_C route add 10.200.2.0/24 dev mprox0"
rm -f /tmp/mprox-cli.out
topo_ns "$TOPO_C" curl -sS --max-time 120 --limit-rate 500K -o /tmp/mprox-cli.out \
	http://10.200.2.2:8080/big &
curl_pid=$!
downloading() {
	[ "$(stat -c %s /tmp/mprox-cli.out 2>/dev/null || echo 0)" -gt 100000 ]
}
check "a download through mprox0 under way" wait_for 30 downloading
out=$(mp show mprox0)
if grep -q '^device: mprox0$' <<<"$out" && grep -q 'state: up, persistent' <<<"$out" &&
	grep -q 'fwmark 0x51' <<<"$out" && grep -q '^upstream: p1$' <<<"$out" &&
	grep -q 'flows: 1 active' <<<"$out"; then
	pass "mprox show: device, state, fwmark, upstream, its flow"
else
	fail "mprox show:"
	diag <<<"$out"
fi
# Right after show saw the flow: the download takes 41 s at 500 KiB/s,
# and once curl has it all the connection is gone. The server may have
# sent the whole file into the buffers on the way and closed: the flow is
# then closing while curl still reads.
out=$(mp conns mprox0 dport 8080 2>&1)
if grep -Eq '^tcp +10\.200\.1\.2:[0-9]+ +10\.200\.2\.2:8080 +p1 +(established|closing) ' \
	<<<"$out"; then
	pass "mprox conns dport 8080: the download"
else
	fail "mprox conns dport 8080:"
	diag <<<"$out"
	diag <<<"curl has $(stat -c %s /tmp/mprox-cli.out) bytes; $(kill -0 "$curl_pid" 2>/dev/null && echo running || echo exited)"
fi
# Rates are since the previous call; each of these has a previous call.
# The relay moves bytes as fast as curl (500 KB/s) frees room in the
# sockets before it: once they are full, in bursts (the sink asks for more
# when a third of its send buffer is free), with seconds of nothing
# between. So ask again until an interval saw bytes go down.
rate_seen() {
	out=$(mp show mprox0)
	rate=$(sed -n 's/^  rate: \(.*\)$/\1/p' <<<"$out")
	grep -Eq '[KM]iB/s down' <<<"$rate"
}
if wait_for 30 rate_seen; then pass "mprox show again: a rate since the last call ($rate)"; else
	fail "mprox show again: no rate in 30 s"; diag <<<"$out"; fi
check "mprox -j show: an array with mprox0 and mproxt0" \
	json_ok 'sorted(d["device"]["name"] for d in v) == ["mprox0", "mproxt0"]' show
# The download may be done by now (its bytes wait in the client's
# buffers): an idle connection to the web server, held until it is
# looked at, is one that stays.
rm -f /tmp/mprox-cli.held /tmp/mprox-cli.go
topo_ns "$TOPO_C" python3 -c '
import os, socket, sys
s = socket.create_connection(("10.200.2.2", 8080), timeout=30)
open(sys.argv[1], "w").write("connected\n")
while not os.path.exists(sys.argv[2]):
    s.settimeout(0.2)
    try:
        if not s.recv(1):
            break
    except socket.timeout:
        pass
' /tmp/mprox-cli.held /tmp/mprox-cli.go &
held_pid=$!
check "an idle connection to the web server through mprox0" \
	wait_for 30 test -s /tmp/mprox-cli.held
want='any(c["dst"] == "10.200.2.2:8080" and c["upstream"] == "p1" for c in v)'
want+=' and all(c["dst"].startswith("10.200.2.") for c in v)'
check "mprox -j conns dst 10.200.2.0/24: the connections, as JSON" \
	json_ok "$want" conns mprox0 dst 10.200.2.0/24
touch /tmp/mprox-cli.go
wait "$held_pid"
check "mprox -j conns dport 9999: none" json_ok 'v == []' conns mprox0 dport 9999
check "mprox -j conns dst fd00::/8: none" json_ok 'v == []' conns mprox0 dst fd00::/8
check "a bad filter: exit 2" exits 2 "not an address" conns mprox0 dst 10.200.2
kill "$curl_pid" 2>/dev/null
wait "$curl_pid" 2>/dev/null

# ---- monitor -----------------------------------------------------------
mon=$(mktemp) monj=$(mktemp)
# Not through a function: $! must be mprox itself (ip netns exec execs it).
ip netns exec "$TOPO_C" "$MPROX_CMD" monitor mprox0 >"$mon" 2>&1 &
mon_pid=$!
ip netns exec "$TOPO_C" "$MPROX_CMD" -j monitor mprox0 >"$monj" 2>&1 &
monj_pid=$!
# A monitor is ready once its first read armed poll(): it has mprox0's
# fd (fdinfo) and sleeps in poll(2) (syscall 7 on x86-64).
monitor_ready() {
	grep -qs 'mprox-iff:.mprox0$' /proc/"$1"/fdinfo/* && [ "$(cut -d' ' -f1 /proc/"$1"/syscall)" = 7 ]
}
monitors_ready() {
	monitor_ready "$mon_pid" && monitor_ready "$monj_pid"
}
check "two monitors running" wait_for 10 monitors_ready
seen() {
	grep -q "$1" "$mon"
}
check "ip link set mprox0 down" topo_ns "$TOPO_C" ip link set mprox0 down
check "monitor: mprox0: down" wait_for 10 seen '^mprox0: down$'
check "ip link set mprox0 up" topo_ns "$TOPO_C" ip link set mprox0 up
check "monitor: mprox0: up" wait_for 10 seen '^mprox0: up$'
check "upstream add p4" mp upstream add mprox0 p4 http://10.200.1.1:3128
check "monitor: upstream-add p4" wait_for 10 seen '^mprox0: upstream-add p4 http 10.200.1.1 port 3128$'
check "set spare_idle_s 30" mp set mprox0 spare_idle_s 30
check "monitor: config spare_idle_s 30" wait_for 10 seen '^mprox0: config spare_idle_s 30$'
check "upstream del p4" mp upstream del mprox0 p4
check "monitor: upstream-del p4" wait_for 10 seen '^mprox0: upstream-del p4$'

# ---- del ---------------------------------------------------------------
check "mprox del mprox0" mp del mprox0
check "monitor: deleted" wait_for 10 seen '^mprox0: deleted$'
wait "$mon_pid"
rc=$?
[ "$rc" = 0 ] && pass "monitor exit status 0" || fail "monitor exit status $rc"
wait "$monj_pid"
check "the JSON monitor: one object per line, the same events" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
names = [(e["event"], e.get("name")) for e in ev]
want = [("down", None), ("up", None), ("upstream-add", "p4"), ("config", "spare_idle_s"),
        ("upstream-del", "p4")]
# Deleting a device takes it down first; the monitor may read in between.
end = names[len(want):]
sys.exit(0 if names[:len(want)] == want and end in ([("deleted", None)], [("down", None), ("deleted", None)]) and all(e["device"] == "mprox0" for e in ev) else print(names) or 1)
' "$monj"
check "the interface is gone" sh -c "! ip -n $TOPO_C link show mprox0 2>/dev/null"
check "mprox del lo: not an mprox device, exit 1" exits 1 "no such mprox device" del lo
check "lo is still there" topo_ns "$TOPO_C" ip link show lo
check "mprox del mproxt0" mp del mproxt0

# ---- help, usage, version ----------------------------------------------
for cmd in add del show set upstream rule dns conns monitor version; do
	out=$(mp "$cmd" --help 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && grep -q "^Usage: mprox $cmd" <<<"$out"; then pass "mprox $cmd --help"; else
		fail "mprox $cmd --help: exit $rc"; diag <<<"$out"; fi
done
check "mprox --help lists the commands" sh -c "$MPROX_CMD --help | grep -q '^  monitor '"
check "an unknown command: exit 2" exits 2 "unknown command" frobnicate
check "an unknown option: exit 2" exits 2 "unknown option" --frob show
check "no command: exit 2" exits 2 "Usage"
check "mprox version names the module's" sh -c "$MPROX_CMD version | grep -q '^module '"
check "mprox -j version" json_ok 'v["module"] and v["tool"]' version

rm -f "$hosts" "$mon" "$monj" /tmp/mprox-cli.out
topo_down
check "rmmod mprox" mprox_unload
plan "$tap_n"
tap_exit
