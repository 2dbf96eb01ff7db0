#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# Rules (docs/routing.md, "Rules"): the first rule that matches a new
# connection picks its upstream, its priority group, or rejects it, by
# destination, port and the sending socket's owner; a connection that no
# rule matches goes the default way. Set with the mprox command, shown by
# it and by the JSON, written back by mprox save; bad rules change nothing.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup echo mprox0
step "a second microsocks on the proxy host" topo_microsocks 1082
head -c 20000 /dev/urandom >"$TOPO_WWW/page"
want=$(sha256sum <"$TOPO_WWW/page" | cut -d' ' -f1)

expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: '$2', want '$3'"; fi
}
mp() {
	topo_ns "$TOPO_C" "$MPROX_CMD" "$@"
}
# ok_counts: "A B", connects.ok of upstreams a and b (one read: process
# start-ups are what this case costs the debug guest).
ok_counts() {
	mprox_stat mprox0 config.upstreams | python3 -c '
import json, sys
ok = {u["name"]: u["connects"].get("ok", 0) for u in json.load(sys.stdin)}
print(ok.get("a", 0), ok.get("b", 0))'
}
# through N HOST PORT [USER]: N echo connections from one process (as
# USER), then "N_ok a+A b+B": how many succeeded and where they went.
through() {
	local n=$1 host=$2 port=$3 user=${4:-} before after ok run=()
	before=$(ok_counts)
	[ -z "$user" ] || run=(setpriv --reuid "$user" --regid "$user" --clear-groups)
	ok=$(topo_ns "$TOPO_C" "${run[@]}" python3 "$MPROX_NETUTIL" many "$host" "$port" "$n" 120 \
		2>/dev/null | sed -n 's/^\([0-9]*\) ok.*/\1/p')
	after=$(ok_counts)
	echo "${ok:-0} a+$((${after% *} - ${before% *})) b+$((${after#* } - ${before#* }))"
}
# connect_as HOST PORT [USER]: one connect(), "ERRNO MS" or "ok MS".
connect_as() {
	local run=()
	[ -z "${3:-}" ] || run=(setpriv --reuid "$3" --regid "$3" --clear-groups)
	topo_ns "$TOPO_C" "${run[@]}" python3 "$MPROX_NETUTIL" connect "$1" "$2" 10
}
# refused_fast DESC WANT_ERRNO HOST PORT [USER]
refused_fast() {
	local out max
	max=$(mprox_scale 500 1500)
	out=$(connect_as "$3" "$4" "${5:-}")
	if [ "${out%% *}" = "$2" ] && [ "$(cut -d' ' -f2 <<<"$out")" -le "$max" ]; then
		pass "$1: $out ms"
	else
		fail "$1: '$out', want $2 within $max ms"
	fi
}
rules() {
	mp rule mprox0 list
}
state() {
	mprox_stat mprox0 config | python3 -c '
import json, sys
c = json.load(sys.stdin)
print([[u["name"], u["host"], u["port"], u["priority"]] for u in c["upstreams"]], c["rules"],
      c["sets"])'
}
# refused WANT DIRECTIVES: the write fails with the errno text WANT.
refused() {
	local out
	out=$(mprox_config mprox0 <<<"$2" 2>&1) && return 1
	grep -q "$1" <<<"$out" || { diag <<<"$out"; return 1; }
}
mprox_dmesg_mark

check "upstreams a (priority 0) and b (priority 1)" mprox_config mprox0 <<<"upstream flush
upstream add a socks5://10.200.1.1:1080
upstream add b socks5://10.200.1.1:1082 priority 1"
expect "no rules: 4 connections, all through a" "$(through 4 10.200.2.2 7007)" "4 a+4 b+0"

# ---- upstream, by port and by destination --------------------------------------
check "mprox rule mprox0 add port 7007 upstream b" mp rule mprox0 add port 7007 upstream b
expect "port 7007 goes to b" "$(through 4 10.200.2.2 7007)" "4 a+0 b+4"
expect "and over IPv6 too" "$(through 2 fd00:200:2::2 7007)" "2 a+0 b+2"
before=$(ok_counts)
mprox_fetch "another port, no rule: a page through a" "$want" 20 http://10.200.2.2:8080/page
after=$(ok_counts)
expect "a took it" "$((${after% *} - ${before% *}))" 1
check "a rule for one IPv6 host before it" mp rule mprox0 add to fd00:200:2::2/128 priority 0
expect "list shows both, in order" "$(rules)" "  1  port 7007 upstream b
  2  to fd00:200:2::2/128 priority 0"
expect "the first match wins: IPv6 port 7007 still to b" \
	"$(through 2 fd00:200:2::2 7007)" "2 a+0 b+2"
check "mprox rule mprox0 del 1" mp rule mprox0 del 1
expect "now the IPv6 rule: priority 0, which is a" \
	"$(through 2 fd00:200:2::2 7007)" "2 a+2 b+0"
expect "IPv4 matches no rule: a, the lowest priority" \
	"$(through 2 10.200.2.2 7007)" "2 a+2 b+0"
# Down to no rule by del, then writes that copy the configuration, one of
# them failing (a rules array shared between two configurations would be
# freed twice here: the debug kernel's KASAN would say so).
check "rule del 1: no rule left" mp rule mprox0 del 1
expect "the JSON has none" "$(mprox_stat mprox0 config.rules)" "[]"
check "a write after it fails: ENOENT" sh -c "! echo 'rule add upstream nosuch' |
	ip netns exec $TOPO_C $MPROX_CONFIG mprox0 2>/dev/null"
check "and one that works" mp rule mprox0 add port 9 reject

# ---- uid and reject ----------------------------------------------------------------
check "rules: uid 4242 to b, uid 4243 rejected" mprox_config mprox0 <<<"rule flush
rule add uid 4242 upstream b
rule add uid 4243 reject"
expect "user 4242 goes through b" "$(through 2 10.200.2.2 7007 4242)" "2 a+0 b+2"
expect "root through a" "$(through 2 10.200.2.2 7007)" "2 a+2 b+0"
before=$(mprox_connects_json mprox0)
refused_fast "user 4243 is refused at once" ECONNREFUSED 10.200.2.2 7007 4243
refused_fast "over IPv6 too" ECONNREFUSED fd00:200:2::2 7007 4243
expect "counted as rejected, nothing tried" \
	"$(mprox_connects_moved "$before" "$(mprox_connects_json mprox0)")" "rejected+2"

# ---- a priority with no upstream; an upstream that fails is not left -------------
check "rule: port 7007 to priority 9, where there is none" \
	mprox_config mprox0 <<<"rule flush
rule add port 7007 priority 9"
before=$(mprox_connects_json mprox0)
refused_fast "network unreachable at once" ENETUNREACH 10.200.2.2 7007
expect "counted as no_upstream" \
	"$(mprox_connects_moved "$before" "$(mprox_connects_json mprox0)")" "no_upstream+1"
# Nothing listens on port 1099: the upstream is down, and a flow that a
# rule gave to it is not retried on another.
check "rule: port 7007 to upstream dead (nothing listens)" mprox_config mprox0 <<<"rule flush
upstream add dead socks5://10.200.1.1:1099 priority 2
rule add port 7007 upstream dead"
retries=$(mprox_stat mprox0 stats.retries)
out=$(connect_as 10.200.2.2 7007)
expect "the connection fails" "${out%% *}" EHOSTUNREACH
expect "and was not retried elsewhere" "$(mprox_stat mprox0 stats.retries)" "$retries"
check "rule flush, upstream del dead" mprox_config mprox0 <<<"rule flush
upstream del dead"

# ---- prefix sets ----------------------------------------------------------------------
check "mprox set mprox0 add dst 10.200.2.2" mp set mprox0 add dst 10.200.2.2
check "mprox rule mprox0 add to-set dst upstream b" mp rule mprox0 add to-set dst upstream b
expect "IPv4 to the server goes to b" "$(through 2 10.200.2.2 7007)" "2 a+0 b+2"
expect "IPv6 is not in the set: a" "$(through 2 fd00:200:2::2 7007)" "2 a+2 b+0"
check "a prefix that overlaps one in the set: EEXIST" refused "File exists" \
	"set add dst 10.200.2.0/24"
check "set flush dst while a rule uses it: EBUSY" refused busy "set flush dst"
# The device's limit, 100,000 prefixes in all: dst's one and big's 99,999
# (the server and 99,998 others, in no order), from a file, one a line: mprox writes
# them 29 to a directive line, in writes of at most 64 KiB.
big=$(mktemp)
python3 - "$big" <<'PY'
import sys
# The server in the middle: half of the others sort before it.
hosts = ["10.%d.%d.%d" % (100 + (i >> 16), i >> 8 & 255, i & 255) for i in range(49999)]
hosts += ["10.200.2.2"] + ["11.%d.%d.%d" % (i >> 16, i >> 8 & 255, i & 255) for i in range(49999)]
with open(sys.argv[1], "w") as f:
    f.write("# 99,999 hosts\n" + "\n".join(hosts) + "\n")
PY
check "mprox set mprox0 add big --file: 99,999 prefixes" mp set mprox0 add big --file "$big"
expect "the JSON counts them" "$(mprox_stat mprox0 config.sets)" \
	'[{"name":"dst","prefixes":1},{"name":"big","prefixes":99999}]'
check "rule: to-set big port 7007 to b, first" mprox_config mprox0 <<<"rule flush
rule add to-set big port 7007 upstream b"
expect "the server, one of 99,999, goes to b" "$(through 2 10.200.2.2 7007)" "2 a+0 b+2"
expect "IPv6 is not in it: a" "$(through 2 fd00:200:2::2 7007)" "2 a+2 b+0"
cfg=$(state)
check "one prefix more, in either set: E2BIG" refused "Argument list too long" "set add dst 12.0.0.1"
expect "and nothing changed" "$(state)" "$cfg"
# What the driver holds, read back: the 99,999 by address.
# (sort, not Python's ipaddress: 100,000 objects cost the debug guest.)
if diff -q <(mp set mprox0 list big) <(grep -v '^#' "$big" |
	sort -t. -k1,1n -k2,2n -k3,3n -k4,4n | sed 's|$|/32|') >/dev/null; then
	pass "mprox set mprox0 list big: the 99,999, sorted by address"
else
	fail "mprox set mprox0 list big differs from what was added"
fi
out=$(mp save mprox0 - 2>&1)
if [ $? != 0 ] && grep -q "more than one write of 65536" <<<"$out"; then
	pass "mprox save refuses a file that mprox up could not write in one write"
else
	fail "mprox save with 100,000 prefixes: exit 0 or another error"
	diag <<<"${out:0:300}"
fi
check "rule flush, set flush big" mprox_config mprox0 <<<"rule flush
set flush big"
check "mprox set mprox0 flush dst" mp set mprox0 flush dst
expect "no sets left" "$(mprox_stat mprox0 config.sets)" "[]"
rm -f "$big"

# ---- mprox save writes the running rules ------------------------------------------
check "two rules again" mprox_config mprox0 <<<"rule add to 10.200.2.0/24 port 7000-7999 upstream b
rule add uid 4243 reject"
saved=$(mp save mprox0 - 2>&1)
if grep -qx '\[Rule\]' <<<"$saved" &&
	grep -qx 'rule add to 10.200.2.0/24 port 7000-7999 upstream b' <<<"$saved" &&
	grep -qx 'rule add uid 4243 reject' <<<"$saved"; then
	pass "mprox save writes both under [Rule]"
else
	fail "mprox save: no [Rule] with both rules"
	diag <<<"$saved"
fi
shown=$(mp show mprox0)
grep -q '^  1: to 10.200.2.0/24 port 7000-7999 upstream b$' <<<"$shown" &&
	pass "mprox show lists them" || { fail "mprox show does not list the rules"; diag <<<"$shown"; }

# ---- sets in the file: saved, and put back by reload ---------------------------------------
check "set lan: the server's networks; rule 1: to-set lan port 7007 upstream b" \
	mprox_config mprox0 <<<"set add lan fd00:200:2::/64 10.200.2.0/24
rule flush
rule add to-set lan port 7007 upstream b"
confdir=$(mktemp -d)
check "mprox save mprox0 FILE" mp save mprox0 "$confdir/mprox0.conf"
saved=$(cat "$confdir/mprox0.conf")
if grep -qx '\[Set\]' <<<"$saved" && grep -qx 'set add lan 10.200.2.0/24 fd00:200:2::/64' <<<"$saved" &&
	grep -qx 'rule add to-set lan port 7007 upstream b' <<<"$saved"; then
	pass "the file has the set under [Set], by family, and the rule"
else
	fail "mprox save: no [Set] with lan"
	diag <<<"$saved"
fi
check "the running set changed: lan is 10.9.9.0/24 alone, and no rule" mprox_config mprox0 <<<"rule flush
set flush lan
set add lan 10.9.9.0/24"
expect "so the server goes to a" "$(through 2 10.200.2.2 7007)" "2 a+2 b+0"
check "mprox reload FILE" mp reload "$confdir/mprox0.conf"
expect "lan is the file's again" "$(mp set mprox0 list lan | tr '\n' ' ')" \
	"10.200.2.0/24 fd00:200:2::/64 "
expect "and the rule sends the server to b" "$(through 2 10.200.2.2 7007)" "2 a+0 b+2"
check "rule flush; set flush lan; the earlier two rules again" mprox_config mprox0 <<<"rule flush
set flush lan
rule add to 10.200.2.0/24 port 7000-7999 upstream b
rule add uid 4243 reject"
rm -rf "$confdir"

# ---- bad input: a precise errno, and nothing changes --------------------------------
cfg=$(state)
check "an upstream that is not there: ENOENT" refused "No such file" "rule add upstream nosuch"
check "deleting an upstream a rule names: EBUSY" refused "busy" "upstream del b"
check "flushing the upstreams: EBUSY" refused "busy" "upstream flush"
check "the same match twice: EEXIST" refused "File exists" "rule add uid 4243 upstream a"
check "rule del 3 of 2: ENOENT" refused "No such file" "rule del 3"
check "host bits set: EINVAL" refused "Invalid argument" "rule add to 10.200.2.1/24 reject"
check "port 0: ERANGE" refused "out of range" "rule add port 0 reject"
check "domain with a wildcard: EINVAL" refused "Invalid argument" "rule add domain *.example.com direct"
check "a cgroup that is not there: ENOENT" refused "No such file" "rule add cgroup /nosuch reject"
check "a cgroup path with ..: EINVAL" refused "Invalid argument" "rule add cgroup /a/../b reject"
check "a cgroup path of 256 bytes: ENAMETOOLONG" refused "too long" \
	"rule add cgroup /$(printf 'c%.0s' $(seq 255)) reject"
check "a set that is not there: ENOENT" refused "No such file" "rule add to-set nosuch reject"
check "a good rule before a bad one: nothing of the write" refused "Invalid argument" \
	"rule add port 1 reject
rule add port x reject"
lines=$(for i in $(seq 1 255); do echo "rule add port $i reject"; done)
check "257 rules: E2BIG" refused "Argument list too long" "$lines"
expect "the configuration is unchanged" "$(state)" "$cfg"
check "an upstream deleted and added again in one write keeps its rules" \
	mprox_config mprox0 <<<"upstream del b
upstream add b socks5://10.200.1.1:1082 priority 1"
expect "b still takes port 7007" "$(through 2 10.200.2.2 7007)" "2 a+0 b+2"
# a goes last: b is now the first upstream, where a was.
check "a deleted and added again: b moves to the first place" mprox_config mprox0 <<<"upstream del a
upstream add a socks5://10.200.1.1:1080"
expect "the rule follows b there" "$(through 2 10.200.2.2 7007)" "2 a+0 b+2"
expect "and no rule still means a" "$(through 2 fd00:200:2::2 7007)" "2 a+2 b+0"
# The same, written again and again while connections start: a new
# connection's rules and its choice of upstream read one configuration.
# (One SYN between two of them found the rule's b gone, a new b in its
# place, and no upstream.) b's own counts start afresh with each write:
# only the connections' own answers and the device's counts can tell.
before=$(mprox_connects_json mprox0)
# Not through a function: $! must be mprox-config (ip netns exec execs it).
ip netns exec "$TOPO_C" "$MPROX_CONFIG" mprox0 --repeat 1000000000 >/tmp/mprox-rewrite.out 2>&1 \
	<<<"upstream del b
upstream add b socks5://10.200.1.1:1082 priority 1" &
rewrite_pid=$!
ok=$(topo_ns "$TOPO_C" python3 "$MPROX_NETUTIL" many 10.200.2.2 7007 500 240 2>/dev/null |
	sed -n 's/^\([0-9]*\) ok.*/\1/p')
if kill -0 "$rewrite_pid" 2>/dev/null; then pass "b was still being written over at the end"; else
	fail "the writes were over before the connections: $(cat /tmp/mprox-rewrite.out)"; fi
kill "$rewrite_pid" 2>/dev/null
wait "$rewrite_pid"
expect "500 connections while b was written over: all through" "${ok:-0}" 500
expect "and none of them found no upstream" \
	"$(mprox_connects_moved "$before" "$(mprox_connects_json mprox0)")" "ok+500"
check "256 rules are fine" mprox_config mprox0 <<<"$(for i in $(seq 1 254); do
	echo "rule add port $i reject"
done)"
expect "256 listed" "$(rules | wc -l)" 256
check "rule flush" mp rule mprox0 flush
expect "none left" "$(mprox_stat mprox0 config.rules)" "[]"
check_flows_drain mprox0 30

mprox_check_dmesg tcp-rules
mprox_case_teardown
plan "$tap_n"
tap_exit
