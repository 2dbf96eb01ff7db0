#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# mprox up, reload, save and down with configuration files, as an admin
# uses them: a file becomes a device (host names resolved, all or
# nothing), reload changes one upstream while a download through another
# keeps going, up --watch applies an edit, save writes the running
# configuration back; each kind of bad file fails with FILE:LINE and the
# reason and changes nothing on the system.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

mprox_case_setup
# Big enough to outlast the reloads at 300 kB/s, even on the debug kernel.
head -c 64M /dev/urandom >"$TOPO_WWW/big"
step "insmod" mprox_load

confdir=$(mktemp -d)
hosts=$(mktemp)
echo "10.200.1.1 proxy.test" >"$hosts"
# The command in the client host, with this case's configuration directory
# and a hosts file that names the proxy (in a mount namespace of its own,
# so the guest's /etc/hosts stays as it is).
mp() {
	topo_ns "$TOPO_C" unshare -m sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
		sh "$hosts" env MPROX_CONF_DIR="$confdir" "$MPROX_CMD" "$@"
}
# What "nothing changed" compares: links, rules, routes, nftables.
system_state() {
	ip -n "$TOPO_C" -br link show | sed 's/ \+/ /g'
	ip -n "$TOPO_C" rule
	ip -n "$TOPO_C" -6 rule
	ip -n "$TOPO_C" route show table all
	ip -n "$TOPO_C" -6 route show table all
	topo_ns "$TOPO_C" nft list ruleset
}
json() {
	mp -j show "$1"
}
jq_ok() {
	local dev=$1 expr=$2 out
	out=$(json "$dev") || return 1
	python3 -c 'import json, sys; v = json.loads(sys.argv[1])[0]; sys.exit(0 if eval(sys.argv[2]) else 1)' \
		"$out" "$expr" || { echo "$out"; return 1; }
}

# ---- up ----------------------------------------------------------------
cat >"$confdir/mprox0.conf" <<EOF
# The test's device
[Device]
FwMark = 0x51
Set = connect_timeout_ms 5000

[Upstream p1]
URL = socks5://proxy.test:1080
EOF
chmod 600 "$confdir/mprox0.conf"
out=$(mp up mprox0 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q "upstream p1: the proxy's host name resolved to 10.200.1.1" <<<"$out" &&
	grep -q "mprox0: up, 1 upstream" <<<"$out"; then
	pass "mprox up mprox0: resolved, created, up"
else
	fail "mprox up mprox0: exit $rc"
	diag <<<"$out"
fi
check "the device as the file says" jq_ok mprox0 \
	'v["device"]["up"] and v["config"]["fwmark"] == 0x51 and v["config"]["tunables"]["connect_timeout_ms"] == 5000 and [(u["name"], u["host"]) for u in v["config"]["upstreams"]] == [("p1", "10.200.1.1")]'
out=$(mp up mprox0 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "mprox reload mprox0" <<<"$out" && pass "up of a running device: exit 1, points to reload" ||
	{ fail "up of a running device: exit $rc"; diag <<<"$out"; }
check "route the server into mprox0" topo_ns "$TOPO_C" ip route add 10.200.2.0/24 dev mprox0

# ---- reload while a download runs through p1 ----------------------------
rm -f /tmp/mprox-conf.out
topo_ns "$TOPO_C" python3 "$MPROX_NETUTIL" paced-get 10.200.2.2 8080 /big /tmp/mprox-conf.out \
	300000 &
dl_pid=$!
size() {
	stat -c %s /tmp/mprox-conf.out 2>/dev/null || echo 0
}
check "a download through p1 under way" wait_for 30 sh -c "[ \$(stat -c %s /tmp/mprox-conf.out 2>/dev/null || echo 0) -gt 100000 ]"
cat >>"$confdir/mprox0.conf" <<EOF

[Upstream p2]
URL = socks5://10.200.1.1:1080
EOF
out=$(mp reload mprox0 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "1 upstream change$" <<<"$out" && pass "reload adds p2: 1 change" ||
	{ fail "reload adds p2: exit $rc"; diag <<<"$out"; }
sed -i 's|^URL = socks5://10.200.1.1:1080$|URL = socks5://10.200.1.1:1080\nWeight = 5|' "$confdir/mprox0.conf"
out=$(mp reload mprox0 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "1 upstream change$" <<<"$out" && pass "reload changes p2's weight: 1 change (p1 untouched)" ||
	{ fail "reload changes p2: exit $rc"; diag <<<"$out"; }
check "p2 has weight 5" jq_ok mprox0 '[u["weight"] for u in v["config"]["upstreams"] if u["name"] == "p2"] == [5]'
s0=$(size)
if wait_for 30 sh -c "[ \$(stat -c %s /tmp/mprox-conf.out) -gt $((s0 + 100000)) ]"; then
	pass "the download through p1 keeps moving ($s0 -> $(size) bytes)"
else
	fail "the download through p1 stopped at $(size) bytes ($s0 after the reloads)"
	mp -j conns mprox0 | diag
	pgrep -af paced-get | diag
fi
check "still one flow, on p1" jq_ok mprox0 \
	'v["stats"]["flows"]["total"] == 1 and [c["upstream"] for c in v["conns"]] == ["p1"]'
out=$(mp reload mprox0 2>&1)
grep -q "0 upstream changes$" <<<"$out" && pass "reload of an unchanged file: 0 changes" ||
	{ fail "reload of an unchanged file"; diag <<<"$out"; }
sed -i '/^Set = connect_timeout_ms 5000$/d' "$confdir/mprox0.conf"
out=$(mp reload mprox0 2>&1)
grep -q "^mprox0: connect_timeout_ms back to its default 10000$" <<<"$out" &&
	pass "reload of a file without its Set line: the tunable back to its default" ||
	{ fail "reload without the Set line"; diag <<<"$out"; }
check "connect_timeout_ms is 10000 again" jq_ok mprox0 'v["config"]["tunables"]["connect_timeout_ms"] == 10000'
kill "$dl_pid" 2>/dev/null
wait "$dl_pid" 2>/dev/null

# ---- save ----------------------------------------------------------------
saved=$(mp save mprox0 - 2>&1)
if grep -qi '^\[Upstream p2\]' <<<"$saved" && grep -q 'socks5://10.200.1.1:1080' <<<"$saved" &&
	grep -qi '^weight *= *5' <<<"$saved" && grep -qi '^fwmark *= *0x51' <<<"$saved"; then
	pass "mprox save mprox0 -: the running configuration"
else
	fail "mprox save mprox0 -"
	diag <<<"$saved"
fi
check "mprox save mprox0 to a new file, mode 0600" sh -c \
	"ip netns exec $TOPO_C $MPROX_CMD save mprox0 $confdir/copy.conf && [ \$(stat -c %a $confdir/copy.conf) = 600 ]"
printf '[Upstream a]\nURL = socks5://alice:s3cret@10.200.1.1:1080\n' >"$confdir/mproxs.conf"
chmod 600 "$confdir/mproxs.conf"
check "up a device whose upstream has a password" mp up mproxs
out=$(mp save mproxs "$confdir/mproxs.conf" 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q -- --secrets <<<"$out" && pass "save without --secrets refuses to drop the file's password" ||
	{ fail "save without --secrets over a file with a password: exit $rc"; diag <<<"$out"; }
check "the file still holds it" grep -q s3cret "$confdir/mproxs.conf"
check "save --secrets keeps it" sh -c \
	"ip netns exec $TOPO_C $MPROX_CMD save --secrets mproxs $confdir/mproxs.conf && grep -q 'alice:s3cret@' $confdir/mproxs.conf"
# --secrets after NAME too, as admins type it: it used to be taken for a
# FILE named "--secrets", written without the password.
save_secrets_after() {
	(cd "$confdir" && mp save mproxs --secrets) && grep -q 'alice:s3cret@' "$confdir/mproxs.conf" &&
		[ ! -e "$confdir/--secrets" ]
}
check "save NAME --secrets keeps it too, and writes no file '--secrets'" save_secrets_after
check "mprox down mproxs" mp down mproxs

# ---- up --watch ----------------------------------------------------------
printf '[Upstream w1]\nURL = socks5://10.200.1.1:1080\n' >"$confdir/mproxw.conf"
ip netns exec "$TOPO_C" env MPROX_CONF_DIR="$confdir" "$MPROX_CMD" up --watch mproxw \
	>/tmp/mprox-watch.log 2>&1 &
watch_pid=$!
check "up --watch: the device is up and watched" wait_for 20 grep -q "watching" /tmp/mprox-watch.log
printf '[Upstream w1]\nURL = socks5://10.200.1.1:1080\n\n[Upstream w2]\nURL = http://10.200.1.1:3128\n' \
	>"$confdir/mproxw.conf.new"
# Timed by the watcher's own report (grep is cheap; a namespaced mprox -j
# show per poll would cost most of a second on this emulated guest). The
# bound is for a watcher that waits for events, not one that polls every
# few seconds: .ci/run's stock guest, beside the debug one, once took
# 1194 ms.
t0=$(ms_now)
mv "$confdir/mproxw.conf.new" "$confdir/mproxw.conf"
if wait_for 10 grep -q "mproxw: reloaded" /tmp/mprox-watch.log; then
	ms=$(($(ms_now) - t0))
	if [ "$ms" -le "$(mprox_scale 2000 4000)" ]; then pass "the edit applied after $ms ms"; else
		fail "the edit applied after $ms ms, want <= $(mprox_scale 2000 4000)"; fi
else
	fail "the edit was not applied"
	diag </tmp/mprox-watch.log
fi
check "the device has both upstreams" jq_ok mproxw '[u["name"] for u in v["config"]["upstreams"]] == ["w1", "w2"]'
echo "[Upstream w1]" >"$confdir/mproxw.conf"
check "a bad edit is reported" wait_for 10 grep -q "mproxw.conf:1: .*URL" /tmp/mprox-watch.log
check "and the device keeps its upstreams" jq_ok mproxw '[u["name"] for u in v["config"]["upstreams"]] == ["w1", "w2"]'
kill "$watch_pid"
wait "$watch_pid" 2>/dev/null
check "mprox down mproxw" mp down mproxw

# ---- [Route]: installed by up, removed by down ----------------------------
before=$(system_state)
records() {
	ls /run/mprox 2>/dev/null | grep '^route-'
}
records_before=$(records)
printf '[Upstream r1]\nURL = socks5://10.200.1.1:1080\n\n[Route]\nUid = 4242\n' >"$confdir/mproxr.conf"
check "up a device with [Route] Uid = 4242" mp up mproxr
check "its uidrange rule, IPv4 and IPv6" sh -c \
	"ip -n $TOPO_C rule | grep -q 'uidrange 4242-4242' && ip -n $TOPO_C -6 rule | grep -q 'uidrange 4242-4242'"

# reload changes [Route] rule by rule: user 4242's download keeps going.
# (The table is the device's interface index, which a new device changes.)
rules() {
	{
		ip -n "$TOPO_C" rule
		ip -n "$TOPO_C" -6 rule
	} | sed -E 's/lookup [0-9]+/lookup TABLE/'
}
reload_route() {
	local desc=$1 want=$2 out rc
	out=$(mp reload mproxr 2>&1)
	rc=$?
	[ "$rc" = 0 ] && grep -q "^mproxr: $want$" <<<"$out" &&
		pass "$desc: $(grep "^mproxr: $want$" <<<"$out")" ||
		{ fail "$desc: exit $rc, want '$want'"; diag <<<"$out"; }
}
rm -f /tmp/mprox-route.out
topo_ns "$TOPO_C" setpriv --reuid 4242 --regid 4242 --clear-groups python3 "$MPROX_NETUTIL" \
	paced-get 10.200.2.2 8080 /big /tmp/mprox-route.out 300000 &
dl_pid=$!
route_size() {
	stat -c %s /tmp/mprox-route.out 2>/dev/null || echo 0
}
check "user 4242's download through mproxr under way" \
	wait_for 30 sh -c "[ \$(stat -c %s /tmp/mprox-route.out 2>/dev/null || echo 0) -gt 100000 ]"
sed -i 's/^Uid = 4242$/Uid = 4242\nFwMark = 0x20\/0xf0/' "$confdir/mproxr.conf"
drops0=$(mprox_stat mprox0 stats.drops.no_flow)
reload_route "reload adds FwMark to [Route]" "routing changed: 2 rules added, 0 removed"
fwmark_rules() {
	[ "$(rules | grep -c 'fwmark 0x20/0xf0')" = 2 ]
}
check "its fwmark rule, IPv4 and IPv6" fwmark_rules
sed -i -e 's/^Uid = 4242$/Uid = 4242-4243/' -e '/^FwMark = 0x20/d' "$confdir/mproxr.conf"
reload_route "reload widens Uid, drops FwMark" "routing changed: 2 rules added, 4 removed"
s0=$(route_size)
if wait_for 30 sh -c "[ \$(stat -c %s /tmp/mprox-route.out) -gt $((s0 + 100000)) ]"; then
	pass "user 4242's download keeps moving ($s0 -> $(route_size) bytes)"
else
	fail "user 4242's download stopped at $(route_size) bytes ($s0 after the reloads)"
	rules | diag
	for d in mprox0 mproxr; do
		echo "$d: $(mprox_stat $d stats.drops) $(mprox_stat $d stats.flows)" | diag
	done
fi
check "one flow on mproxr all along" jq_ok mproxr 'v["stats"]["flows"]["total"] == 1'
[ "$(mprox_stat mprox0 stats.drops.no_flow)" = "$drops0" ] &&
	pass "none of its packets strayed into mprox0 meanwhile" ||
	fail "mprox0 dropped $(($(mprox_stat mprox0 stats.drops.no_flow) - drops0)) packets of no flow"
reload_route "reload of an unchanged [Route]" "reloaded from .*, 0 upstream changes"
reloaded=$(rules)
kill "$dl_pid" 2>/dev/null
wait "$dl_pid" 2>/dev/null
check "mproxr down" topo_ns "$TOPO_C" ip link set mproxr down
reload_route "reload of mproxr while it is down" "reloaded from .*, 0 upstream changes"
# Down took its default routes (the kernel flushes a link's routes) and up
# does not bring them back; a reload does.
route_table=$((0x6d700000 + $(ip -n "$TOPO_C" -o link show mproxr | cut -d: -f1)))
default_routes() {
	echo "$(ip -n "$TOPO_C" route show table $route_table | grep -c '^default dev mproxr ')" \
		"$(ip -n "$TOPO_C" -6 route show table $route_table | grep -c '^default dev mproxr ')"
}
show_table() {
	{
		ip -n "$TOPO_C" route show table $route_table
		ip -n "$TOPO_C" -6 route show table $route_table
	} | diag
}
check "mproxr up again" topo_ns "$TOPO_C" ip link set mproxr up
expect "after down and up: no default route in its table (IPv4, IPv6)" "$(default_routes)" "0 0" ||
	show_table
reload_route "reload once it is up" "routing changed: 0 rules added, 0 removed, default routes put back"
expect "its default routes are back (IPv4, IPv6)" "$(default_routes)" "1 1" || show_table
others=$(ip -n "$TOPO_C" route show table all dev mproxr | grep '^default' | grep -v " table $route_table ")
expect "no default route of mproxr in another table" "$others" ""
reload_route "reload again: nothing to put back" "reloaded from .*, 0 upstream changes"
# KillSwitch by reload: in with it, out without it, the rules untouched.
unreachable_routes() {
	echo "$(ip -n "$TOPO_C" route show table $route_table |
		grep -c '^unreachable default .*metric 4294967295')" \
		"$(ip -n "$TOPO_C" -6 route show table $route_table |
			grep -c '^unreachable default .*metric 4294967295')"
}
sed -i 's/^Uid = 4242-4243$/&\nKillSwitch = yes/' "$confdir/mproxr.conf"
reload_route "reload adds KillSwitch = yes" "routing changed: 0 rules added, 0 removed, kill switch on"
expect "its unreachable routes (IPv4, IPv6)" "$(unreachable_routes)" "1 1" || show_table
reload_route "reload with KillSwitch unchanged" "reloaded from .*, 0 upstream changes"
sed -i '/^KillSwitch = yes$/d' "$confdir/mproxr.conf"
reload_route "reload without KillSwitch" "routing changed: 0 rules added, 0 removed, kill switch off"
expect "no unreachable route left (IPv4, IPv6)" "$(unreachable_routes)" "0 0" || show_table
expect "its default routes stay (IPv4, IPv6)" "$(default_routes)" "1 1" || show_table
down_up() {
	mp down mproxr && mp up mproxr
}
check "down and up again" down_up
[ "$reloaded" = "$(rules)" ] && pass "the reloaded rules are those a fresh up installs" || {
	fail "the reloaded rules differ from a fresh up's"
	diff <(echo "$reloaded") <(rules) | diag
}
# A reload is all or nothing: when a step fails, what the steps before it
# changed is put back (the fwmark, the routing, the upstreams).
cp "$confdir/mproxr.conf" "$confdir/mproxr.good"
device_and_routing() {
	json mproxr | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[0]["config"], sort_keys=True))'
	system_state
}
reload_fails() {
	local desc=$1 before out rc
	before=$(device_and_routing)
	cat >"$confdir/mproxr.conf"
	out=$(mp reload mproxr 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && grep -q "reload failed, nothing was changed" <<<"$out" &&
		[ "$(device_and_routing)" = "$before" ]; then
		pass "$desc: exit 1, nothing changed"
	else
		fail "$desc: exit $rc"
		diag <<<"$out"
		diff <(echo "$before") <(device_and_routing) | diag
	fi
}
reload_fails "a reload whose routing fails (no such cgroup)" <<EOF
[Device]
FwMark = 0x77

[Upstream r1]
URL = socks5://10.200.1.1:1081

[Upstream r2]
URL = socks5://10.200.1.1:1080

[Route]
Uid = 4242-4244
Cgroup = /mprox-no-such-cgroup
EOF
reload_fails "a reload whose directives the driver refuses after the routing changed" <<EOF
[Device]
FwMark = 0x77

[Upstream r1]
URL = socks5://10.200.1.1:1081

[Rule]
rule add cgroup /mprox-nosuch reject

[Route]
Uid = 4242-4244
EOF
# A down device has no routes through it (the kernel refuses them,
# ENETDOWN): putting its routing back, or installing it anew, is its rules.
check "mproxr down" topo_ns "$TOPO_C" ip link set mproxr down
reload_fails "mproxr down: a reload whose directives the driver refuses after the routing changed" <<EOF
[Upstream r1]
URL = socks5://10.200.1.1:1080

[Rule]
rule add cgroup /mprox-nosuch reject

[Route]
Uid = 4242-4244
EOF
cp "$confdir/mproxr.good" "$confdir/mproxr.conf"
down_rules=$(rules)
# Its table now: "down and up again" above made a new device.
route_table=$((0x6d700000 + $(ip -n "$TOPO_C" -o link show mproxr | cut -d: -f1)))
check "its routing record removed" sh -c "rm /run/mprox/route-*-$route_table"
out=$(mp reload mproxr 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -q "no record of the routing installed; installing it anew" <<<"$out" &&
	[ "$(rules)" = "$down_rules" ] &&
	pass "mproxr down, no record: a reload installs its rules anew" || {
	fail "mproxr down, no record: reload exit $rc"
	diag <<<"$out"
	diff <(echo "$down_rules") <(rules) | diag
}
check "mproxr up" topo_ns "$TOPO_C" ip link set mproxr up
reload_route "reload once it is up again" "routing changed: 0 rules added, 0 removed, default routes put back"
mv "$confdir/mproxr.good" "$confdir/mproxr.conf"
sed -i '/^\[Route\]$/,$d' "$confdir/mproxr.conf"
reload_route "reload without [Route]" "removed 2 rules, 2 routes, 0 nftables chains"
check "no uidrange rule left" sh -c "! (ip -n $TOPO_C rule; ip -n $TOPO_C -6 rule) | grep -q uidrange"
check "mprox down mproxr" mp down mproxr
check "down removed the device, its rules and routes" sh -c '[ "$1" = "$2" ]' _ "$before" "$(system_state)"
[ "$(records)" = "$records_before" ] && pass "no record of its routing left in /run/mprox" ||
	fail "records in /run/mprox: $(records | tr '\n' ' '), before: $records_before"
printf '[Upstream r1]\nURL = socks5://10.200.1.1:1080\n\n[Route]\nUid = 4242\nCgroup = /mprox-no-such-cgroup\n' \
	>"$confdir/mproxr.conf"
out=$(mp up mproxr 2>&1)
rc=$?
if [ "$rc" = 1 ] && grep -q "rolled back" <<<"$out" && [ "$(system_state)" = "$before" ]; then
	pass "[Route] that fails half-way (nftables refuses the cgroup): rolled back, nothing left"
else
	fail "[Route] that fails half-way: exit $rc"
	diag <<<"$out"
	diff <(echo "$before") <(system_state) | diag
fi

# ---- bad files: FILE:LINE and the reason, nothing changed -----------------
bad() {
	local desc=$1 want=$2 name=mproxb out rc
	cat >"$confdir/$name.conf"
	chmod 600 "$confdir/$name.conf"
	out=$(mp up $name 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && grep -Eq -- "$want" <<<"$out" && [ "$(system_state)" = "$before" ]; then
		pass "$desc: exit 1, $(head -n 1 <<<"$out")"
	else
		fail "$desc: exit $rc, want 1 and /$want/, nothing changed"
		diag <<<"$out"
		diff <(echo "$before") <(system_state) | diag
	fi
}
bad "a misspelt key" "mproxb.conf:3: .*Wieght.*Weight" <<EOF
[Upstream a]
URL = socks5://10.200.1.1:1080
Wieght = 5
EOF
bad "a bad URL" "mproxb.conf:2: " <<EOF
[Upstream a]
URL = socks9://10.200.1.1:1080
EOF
bad "a duplicate section" "mproxb.conf:4: " <<EOF
[Upstream a]
URL = socks5://10.200.1.1:1080

[Upstream a]
URL = socks5://10.200.1.1:1080
EOF
bad "an unknown section" "mproxb.conf:1: " <<EOF
[Proxy]
URL = socks5://10.200.1.1:1080
EOF
bad "a word for a number" "mproxb.conf:3: " <<EOF
[Upstream a]
URL = socks5://10.200.1.1:1080
Weight = heavy
EOF
bad "a number out of range" "mproxb.conf:3: .*1-1000" <<EOF
[Upstream a]
URL = socks5://10.200.1.1:1080
Weight = 0
EOF
bad "a host name that does not resolve, in the last section" "mproxb.conf:4: .*does not resolve" <<EOF
[Upstream a]
URL = socks5://10.200.1.1:1080

[Upstream b]
URL = socks5://nosuch.invalid:1080
EOF
bad "what the driver refuses after the device was made: rolled back" "rolled back" <<EOF
[Upstream a]
URL = socks5://10.200.1.1:1080
Priority = 1

[Rule]
rule add cgroup /mprox-nosuch reject
EOF
printf '[Upstream a]\nURL = socks5://u:pw@10.200.1.1:1080\n' >"$confdir/mproxp.conf"
chmod 644 "$confdir/mproxp.conf"
out=$(mp up mproxp 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "chmod 600" <<<"$out" && [ "$(system_state)" = "$before" ] &&
	pass "a password readable by others: refused ($out)" || { fail "a password readable by others: exit $rc"; diag <<<"$out"; }
check "--insecure-perms takes it" mp up --insecure-perms mproxp
check "mprox down mproxp" mp down mproxp
out=$(mp up nosuchfile 2>&1)
rc=$?
[ "$rc" = 1 ] && grep -q "nosuchfile.conf" <<<"$out" && pass "a file that is not there: exit 1 ($out)" ||
	{ fail "a file that is not there: exit $rc"; diag <<<"$out"; }
mkdir "$confdir/mproxd.conf"
out=$(mp up mproxd 2>&1)
rc=$?
[ "$rc" = 1 ] && pass "a directory for a file: exit 1 ($out)" || { fail "a directory for a file: exit $rc"; diag <<<"$out"; }
check "usage errors exit 2" sh -c "ip netns exec $TOPO_C $MPROX_CMD up; [ \$? = 2 ]"
check "nothing changed by any of them" sh -c "[ \"\$1\" = \"\$2\" ]" _ "$before" "$(system_state)"

# ---- device names ------------------------------------------------------
# Any name the kernel takes is a device's. Only --gid, --cgroup and --all
# make nftables chains named after it; a reload or down of a file without
# [Route] used to fail on such a name ("mprox route" refused it). And a
# device named "help" is a device, not a request for the usage text: up
# used to print it and install nothing.
uid_rules() {
	echo "$(ip -n "$TOPO_C" rule | grep -c "uidrange $1-$1")" \
		"$(ip -n "$TOPO_C" -6 rule | grep -c "uidrange $1-$1")"
}
printf '[Upstream n1]\nURL = socks5://10.200.1.1:1080\n' >"$confdir/vpn@home.conf"
check "up vpn@home, without [Route]" mp up vpn@home
check "reload vpn@home" mp reload vpn@home
out=$(mp route vpn@home --gid 4245 2>&1)
rc=$?
[ "$rc" = 2 ] && grep -q "nftables chains named after the device" <<<"$out" &&
	pass "route vpn@home --gid: exit 2, says why ($out)" ||
	{ fail "route vpn@home --gid: exit $rc"; diag <<<"$out"; }
check "route vpn@home --uid 4245" mp route vpn@home --uid 4245
expect "its uidrange rules (IPv4, IPv6)" "$(uid_rules 4245)" "1 1"
check "mprox down vpn@home" mp down vpn@home
expect "its rules went with it" "$(uid_rules 4245)" "0 0"
printf '[Upstream h1]\nURL = socks5://10.200.1.1:1080\n\n[Route]\nUid = 4246\n' >"$confdir/help.conf"
check "up help, with [Route] Uid = 4246" mp up help
expect "help's uidrange rules (IPv4, IPv6)" "$(uid_rules 4246)" "1 1"
check "mprox down help" mp down help
expect "help's rules went with it" "$(uid_rules 4246)" "0 0"
check "nothing left by them" sh -c "[ \"\$1\" = \"\$2\" ]" _ "$before" "$(system_state)"

# ---- down ----------------------------------------------------------------
check "mprox down mprox0" mp down mprox0
check "mprox0 is gone" sh -c "! ip -n $TOPO_C link show mprox0 2>/dev/null"
check "mprox down mprox0 again: exit 1" sh -c "ip netns exec $TOPO_C $MPROX_CMD down mprox0; [ \$? = 1 ]"

rm -rf "$confdir" "$hosts" /tmp/mprox-conf.out /tmp/mprox-watch.log
topo_down
check "rmmod mprox" mprox_unload
plan "$tap_n"
tap_exit
