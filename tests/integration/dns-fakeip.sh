#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 600
# The resolver in the kernel, fake-IP mode ("dns fake-ip", "dns server",
# "dns hijack"). The client host's resolv.conf names 10.200.3.53, an
# address routed into mprox0; nothing answers DNS anywhere in the test
# network, and only the proxy host knows the test names (its /etc/hosts).
# So a fetch by name works only if mprox0 answered the query with a pool
# address and then asked the proxy for the name: no local resolution.
# Checked: A and AAAA answers from the pools, stable per name and distinct
# between names; curl by name over IPv4 and IPv6 through microsocks; other
# query types forwarded, and REFUSED since microsocks has no UDP
# (udp-assoc.sh forwards them through dante); malformed queries FORMERR or
# dropped; a connection
# to a pool address no name has fails at once (EHOSTUNREACH); rules by
# name ("domain", "domain-exact") reject, pick a group or an upstream, and
# bad ones change nothing; queries to
# another address are the resolver's only with "dns hijack on"; bad
# directives change nothing; "dns off" ends it; counters and pools in the
# status document; the kernel log stays clean and no flow is left.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

quick_ms=$(mprox_scale 2000 6000)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: errors within $quick_ms ms"

# ip netns exec puts /etc/netns/NS/* over /etc: the proxy host alone knows
# the names, the client host asks 10.200.3.53.
dns_cleanup() {
	rm -rf "/etc/netns/$TOPO_P" "/etc/netns/$TOPO_C"
}
dns_cleanup
mkdir -p "/etc/netns/$TOPO_P" "/etc/netns/$TOPO_C"
printf '127.0.0.1 localhost\n10.200.2.2 www.mprox.test\nfd00:200:2::2 www6.mprox.test\n' \
	>"/etc/netns/$TOPO_P/hosts"
printf '127.0.0.1 localhost\n' >"/etc/netns/$TOPO_C/hosts"
printf 'nameserver 10.200.3.53\noptions timeout:2 attempts:2\n' >"/etc/netns/$TOPO_C/resolv.conf"

mprox_case_setup mprox0
trap 'topo_down; mprox_unload 2>/dev/null; dns_cleanup' EXIT
mprox_dmesg_mark
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)

mprox_fakeip_up

# dig_short TYPE NAME [SERVER]: the answer's records, one a line.
dig_short() {
	topo_ns $TOPO_C dig +short +time=2 +tries=1 "@${3:-10.200.3.53}" "$2" "$1"
}
# dig_status TYPE NAME [SERVER]: the answer's RCODE, or "none".
dig_status() {
	topo_ns $TOPO_C dig +time=2 +tries=1 "@${3:-10.200.3.53}" "$2" "$1" 2>&1 |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p' | grep . || echo none
}
in_pool4() { [[ $1 =~ ^198\.18\.[0-9]+\.[0-9]+$ ]]; }
in_pool6() { [[ $1 =~ ^fd00:198::[0-9a-f]{1,4}$ ]]; }

a1=$(dig_short A www.mprox.test)
if in_pool4 "$a1"; then pass "A www.mprox.test: $a1, from the IPv4 pool"; else
	fail "A www.mprox.test: '$a1', want an address of 198.18.0.0/16"; fi
a2=$(dig_short A www.mprox.test)
if [ "$a2" = "$a1" ]; then pass "asked again: the same address"; else
	fail "asked again: '$a2', was '$a1'"; fi
b1=$(dig_short A other.mprox.test)
if in_pool4 "$b1" && [ "$b1" != "$a1" ]; then pass "another name: another address ($b1)"; else
	fail "A other.mprox.test: '$b1' (www.mprox.test has '$a1')"; fi
a3=$(dig_short A WWW.Mprox.TEST)
if [ "$a3" = "$a1" ]; then pass "names are case-blind: WWW.Mprox.TEST is $a3"; else
	fail "A WWW.Mprox.TEST: '$a3', want '$a1'"; fi
q6=$(dig_short AAAA www6.mprox.test)
if in_pool6 "$q6"; then pass "AAAA www6.mprox.test: $q6, from the IPv6 pool"; else
	fail "AAAA www6.mprox.test: '$q6', want an address of fd00:198::/112"; fi
# Forwarded: MX asks for a UDP association, which microsocks refuses (REP
# 7, remembered), and then goes over TCP through it, as TXT does at once;
# 10.200.3.53 has no route from the proxy host: both REFUSED, at once.
for t in "MX:no UDP at microsocks, and over TCP no route" "TXT:over TCP, the proxy has no route to the server"; do
	st=$(dig_status "${t%%:*}" www.mprox.test)
	if [ "$st" = REFUSED ]; then pass "${t%%:*}: REFUSED (${t#*:})"; else
		fail "${t%%:*}: status $st, want REFUSED (${t#*:})"; fi
done
check "both asked microsocks: stats.udp.refused 2, no_udp 0" test \
	"$(mprox_stat mprox0 stats.udp.refused) $(mprox_stat mprox0 stats.udp.no_udp)" = "2 0"

# Malformed queries: two questions get FORMERR, a 3-byte datagram nothing.
malformed() {
	topo_ns $TOPO_C python3 - "$@" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
q = b"\x03www\x04test\x00\x00\x01\x00\x01"
if sys.argv[1] == "two":
    s.sendto(struct.pack(">6H", 0x1234, 0x0100, 2, 0, 0, 0) + q + q, ("10.200.3.53", 53))
    r = s.recv(4096)
    print("rcode", r[3] & 15, "id", hex(struct.unpack(">H", r[:2])[0]))
else:
    s.sendto(b"abc", ("10.200.3.53", 53))
    try:
        s.recv(4096)
        print("answered")
    except socket.timeout:
        print("silence")
EOF
}
out=$(malformed two 2>&1)
if [ "$out" = "rcode 1 id 0x1234" ]; then pass "two questions: FORMERR to the query's id"; else
	fail "two questions: '$out', want 'rcode 1 id 0x1234'"; fi
out=$(malformed short 2>&1)
if [ "$out" = silence ]; then pass "3 bytes: no answer"; else fail "3 bytes: '$out'"; fi

# ---- connections by name ------------------------------------------------
mprox_fetch "curl -4 http://www.mprox.test:8080/ by name, the proxy resolves it" \
	"$page_sha" 60 http://www.mprox.test:8080/page.html -4
mprox_fetch "curl -6 http://www6.mprox.test:8080/ by name, the proxy resolves it" \
	"$page_sha" 60 http://www6.mprox.test:8080/page.html -6
mprox_fetch "curl to the pool address $a1 with the name in Host" \
	"$page_sha" 60 "http://$a1:8080/page.html" -H "Host: www.mprox.test"
mprox_expect_error "a pool address no name has: EHOSTUNREACH at once" \
	http://198.18.255.254:8080/ "No route to host" "$quick_ms"
check "counted: stats.dns.unknown_addr 1" test "$(mprox_stat mprox0 stats.dns.unknown_addr)" = 1

# ---- rules by name -------------------------------------------------------
# blocked.mprox.test and other.mprox.test are known to no host: what
# becomes of them is the rules' doing. dead is a proxy that is not there.
check "upstream dead socks5://10.200.1.1:1099 priority 5" \
	mprox_upstream mprox0 dead "socks5://10.200.1.1:1099 priority 5"
check "rules by name: domain-exact, domain" mprox_config mprox0 <<'EOF'
rule add domain-exact Blocked.MPROX.test. reject
rule add domain-exact www.mprox.test priority 0
rule add domain mprox.test upstream dead
EOF
check "listed in lowercase without the trailing dot" test \
	"$(mprox_stat mprox0 config.rules.0.rule)" = "domain-exact blocked.mprox.test reject"
check "listed: domain mprox.test upstream dead" test \
	"$(mprox_stat mprox0 config.rules.2.rule)" = "domain mprox.test upstream dead"
rejected=$(mprox_stat mprox0 stats.connects.rejected)
mprox_expect_error "domain-exact blocked.mprox.test reject: ECONNREFUSED at once" \
	http://blocked.mprox.test:8080/ "Connection refused" "$quick_ms"
# curl tries the name's IPv6 pool address too: one SYN of each or more.
check "counted: stats.connects.rejected +1 at least" test \
	"$(mprox_stat mprox0 stats.connects.rejected)" -ge $((rejected + 1))
p1_ok=$(mprox_stat mprox0 config.upstreams.0.connects.ok)
mprox_fetch "domain-exact www.mprox.test priority 0: through p1 (the name, not the suffix rule)" \
	"$page_sha" 60 http://www.mprox.test:8080/page.html -4
check "p1 carried it" test "$(mprox_stat mprox0 config.upstreams.0.connects.ok)" = $((p1_ok + 1))
mprox_expect_error "domain mprox.test upstream dead: other.mprox.test fails at dead" \
	http://other.mprox.test:8080/ "No route to host" "$quick_ms"
check "dead has the failure" test "$(mprox_stat mprox0 config.upstreams.1.failures)" -ge 1
check "p1 saw none of it" test "$(mprox_stat mprox0 config.upstreams.0.connects.ok)" = $((p1_ok + 1))
mprox_fetch "an address that stands for no name matches no domain rule" \
	"$page_sha" 60 http://10.200.2.2:8080/page.html
# rules_refused TEXT LINE: LINE is refused with TEXT and the 3 rules stay.
rules_refused() {
	local out
	out=$(mprox_config mprox0 <<<"$2" 2>&1) && return 1
	grep -q "$1" <<<"$out" && test "$(mprox_stat mprox0 config.rules | python3 -c \
		'import json, sys; print(len(json.load(sys.stdin)))')" = 3
}
check "domain *.mprox.test: EINVAL, the rules as they were" \
	rules_refused "Invalid argument" "rule add domain *.mprox.test reject"
check "domain with a 64-byte label: EINVAL, the rules as they were" rules_refused \
	"Invalid argument" "rule add domain $(printf 'x%.0s' {1..64}).test reject"
check "the same domain again: EEXIST" \
	rules_refused "exists" "rule add domain mprox.test reject"
check "rule flush, upstream del dead" mprox_config mprox0 <<'EOF'
rule flush
upstream del dead
EOF

# ---- which queries are the resolver's -----------------------------------
st=$(dig_status A www.mprox.test 10.200.3.99)
if [ "$st" = none ]; then pass "hijack off: a query to 10.200.3.99 is not answered"; else
	fail "hijack off: a query to 10.200.3.99 got $st"; fi
check "dns hijack on" mprox_config mprox0 <<<"dns hijack on"
h=$(dig_short A www.mprox.test 10.200.3.99)
if [ "$h" = "$a1" ]; then pass "hijack on: 10.200.3.99 answers too, with the same address"; else
	fail "hijack on: '$h' from 10.200.3.99, want '$a1'"; fi

# ---- bad directives change nothing --------------------------------------
named_before=$(mprox_stat mprox0 config.dns.fake_ip.0.named)
for bad in "dns fake-ip 0.0.0.0/7" "dns fake-ip 198.18.0.1/16" "dns server mprox.test" \
	"dns hijack maybe" "dns fake-ip 198.18.0.0/16 10.0.0.0/8"; do
	if echo "$bad" | mprox_config mprox0 2>/dev/null; then fail "'$bad' was taken"; else
		pass "'$bad' is refused"; fi
done
a4=$(dig_short A www.mprox.test)
named_after=$(mprox_stat mprox0 config.dns.fake_ip.0.named)
if [ "$a4" = "$a1" ] && [ "$named_after" = "$named_before" ]; then
	pass "the pools are as they were: $a4, $named_after names"
else
	fail "after bad directives: www.mprox.test is '$a4' (was '$a1'), $named_after names (were $named_before)"
fi
check "a write that changes something else keeps the pools" mprox_set mprox0 dns_ttl_s 30
a5=$(dig_short A www.mprox.test)
if [ "$a5" = "$a1" ]; then pass "www.mprox.test is still $a5"; else fail "www.mprox.test is now '$a5', was '$a1'"; fi
check "one write of 'dns off' and the same settings again (what mprox reload writes)" \
	mprox_config mprox0 <<'EOF'
dns off
dns fake-ip 198.18.0.0/16 fd00:198::/112
dns server 10.200.3.53
dns hijack on
EOF
a6=$(dig_short A www.mprox.test)
if [ "$a6" = "$a1" ]; then pass "the pool came back with its names: www.mprox.test is $a6"; else
	fail "after the rewrite www.mprox.test is '$a6', was '$a1'"; fi
ttl=$(topo_ns $TOPO_C dig +noall +answer +time=2 +tries=1 @10.200.3.53 www.mprox.test A | awk '{ print $2 }')
if [ "$ttl" = 30 ]; then pass "dns_ttl_s 30: the answer's TTL is 30"; else fail "TTL '$ttl', want 30"; fi

# ---- the status document ------------------------------------------------
out=$(mprox_json mprox0 | python3 -c '
import json, sys
v = json.load(sys.stdin)
d, s = v["config"]["dns"], v["stats"]["dns"]
want = {
    "pools": [p["prefix"] for p in d["fake_ip"]] == ["198.18.0.0/16", "fd00:198::/112"],
    "sizes": [p["size"] for p in d["fake_ip"]] == [65534, 65535],
    # www, other and blocked, and curl -6 may ask A for www6 as well
    # (glibc); www6, and the AAAA curl asked for blocked and other.
    "named": 3 <= d["fake_ip"][0]["named"] <= 4 and d["fake_ip"][1]["named"] == 3,
    "server": d["server"] == "10.200.3.53:53",
    "hijack": d["hijack"] is True,
    "query_other": s["query_other"] == 2 and s["forwarded"] == 2 and s["refused"] == 2,
    "formerr": s["formerr"] == 1,
    "dropped": s["dropped"] == 1,
    "fake_answers": s["fake_answers"] >= 7,
}
bad = [k for k, ok in want.items() if not ok]
print("ok" if not bad else "bad: " + " ".join(bad) + " " + json.dumps({"config": d, "stats": s}))
')
if [ "$out" = ok ]; then pass "status: the pools, server, hijack and counters"; else fail "status: $out"; fi

# ---- hostile queries ----------------------------------------------------
# 3,000 datagrams to the resolver: random bytes, and valid queries with
# bytes flipped, cut short or run on. Each gets one outcome in the
# counters; every answer that comes back is a response to its own id, and
# an address in it is a pool address.
outcomes() {
	mprox_json mprox0 | python3 -c '
import json, sys
s = json.load(sys.stdin)["stats"]["dns"]
print(sum(s[k] for k in ("fake_answers", "nodata", "forwarded", "formerr", "notimp",
                          "servfail", "pool_full", "dropped")))'
}
before=$(outcomes)
out=$(topo_ns $TOPO_C python3 - <<'EOF'
import random, socket, struct
rng = random.Random(1928)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
def query(name, qtype):
    q = b"".join(bytes([len(l)]) + l for l in name.split(b".")) + b"\0"
    return struct.pack(">6H", 0, 0x0100, 1, 0, 0, 0) + q + struct.pack(">2H", qtype, 1)
names = [b"www.mprox.test", b"a-b_c.example.org", b"x" * 63 + b".test", b"1.2.3.4.in-addr.arpa"]
sent, bad, answers, addrs = 0, [], 0, 0
for batch in range(30):
    ids = {}
    for i in range(100):
        kind = rng.randrange(4)
        if kind == 0:
            m = bytearray(rng.randbytes(rng.randrange(0, 600)))
        else:
            m = bytearray(query(rng.choice(names), rng.choice([1, 28, 15, 16, 65, 255])))
            if kind == 1:
                for _ in range(rng.randrange(1, 6)):
                    m[rng.randrange(len(m))] = rng.randrange(256)
            elif kind == 2:
                m = m[:rng.randrange(len(m))]
            else:
                m += rng.randbytes(rng.randrange(1, 300))
        if len(m) >= 2:
            qid = batch * 100 + i
            m[0:2] = struct.pack(">H", qid)
            ids[qid] = bytes(m)
        s.sendto(bytes(m), ("10.200.3.53", 53))
        sent += 1
    while True:
        try:
            r = s.recv(4096)
        except socket.timeout:
            break
        answers += 1
        if len(r) < 12:
            bad.append("short answer"); continue
        rid, flags, qd, an = struct.unpack(">4H", r[:8])
        if rid not in ids or not flags & 0x8000:
            bad.append("answer to no query: id %d flags %x" % (rid, flags)); continue
        if an:
            # header, the question written anew (no pointer), one record
            # naming it by pointer: type, class, TTL, RDLENGTH, RDATA.
            o = 12
            while o < len(r) and r[o]:
                o += 1 + r[o]
            o += 5
            if flags & 15 or an != 1 or r[o:o + 2] != b"\xc0\x0c" or len(r) < o + 12:
                bad.append("odd answer %s" % r.hex()); continue
            rtype, rdlen = struct.unpack(">H", r[o + 2:o + 4])[0], struct.unpack(">H", r[o + 10:o + 12])[0]
            addr = r[o + 12:]
            ok4 = rtype == 1 and rdlen == 4 and len(addr) == 4 and addr[:2] == b"\xc6\x12"
            ok6 = rtype == 28 and rdlen == 16 and len(addr) == 16 and addr[:4] == b"\xfd\x00\x01\x98"
            if not (ok4 or ok6):
                bad.append("not a pool address: %s" % r.hex()); continue
            addrs += 1
print(sent, answers, addrs, "|".join(bad[:3]) or "none")
EOF
)
read -r sent answers addrs bad <<<"$out"
after=$(outcomes)
if [ "$bad" = none ] && [ "$answers" -gt 0 ] && [ "$addrs" -gt 0 ]; then
	pass "hostile queries: $sent sent, $answers answered ($addrs with a pool address), every answer well-formed"
else
	fail "hostile queries: $out"
fi
if [ "$((after - before))" = "$sent" ]; then pass "each of them has one outcome in the counters ($((after - before)))"; else
	fail "outcomes counted: $((after - before)), datagrams sent: $sent"; fi

# ---- off ----------------------------------------------------------------
check "dns off" mprox_config mprox0 <<<"dns off"
st=$(dig_status A www.mprox.test)
if [ "$st" = none ]; then pass "dns off: no answer"; else fail "dns off: status $st"; fi
check "dns off: no pools in the status document" \
	test "$(mprox_stat mprox0 config.dns.fake_ip)" = "[]"
mprox_expect_error "dns off: the old pool address is only an address now: no proxy resolves it" \
	"http://$a1:8080/" "" 30000

check_flows_drain mprox0 60
mprox_check_dmesg "fake-IP"
mprox_case_teardown
dns_cleanup
plan $tap_n
tap_exit
