#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# A hostile DNS server behind the proxy (lib/hostile_dns.py on the server
# host, 10.200.2.2:5353, mprox0's "dns server"), reached through dante's
# UDP relay: the resolver forwards TXT queries to it and keeps in its
# cache only what a well-formed answer to the query says. Each kind of
# response, asked twice: a correct one is kept (stats.dns.cache_stored
# +1) and the second query is answered from the cache (cache_hits +1, the
# server not asked again), with the query's id and question; a pointer
# loop, a pointer past the end, a record cut short, TC set, another id,
# another question, ANCOUNT 200 over one record, SERVFAIL, TTL 0, RDLENGTH
# past the end and a 4 KiB answer are all delivered to the application as
# the server sent them, kept by nobody: their second query reaches the
# server again. Then 1,000 (300 on debug) random mutations of a correct
# answer, each asked twice: every one asked the second time of the cache
# is a well-formed answer to its query, the cache holds no more than
# dns_cache_size. The kernel log stays clean and no flow is left.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

HDNS=$(dirname "$0")/lib/hostile_dns.py
n_mut=$(mprox_scale 1000 300)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: $n_mut mutated answers"

mprox_case_setup mprox0
mprox_dmesg_mark

udp_bound() {
	[ "$(topo_ns "$1" ss -Hlun "sport = :$2" | wc -l)" -ge 1 ]
}
dns_log=/tmp/mprox-topo-${#topo_pids[@]}.log
topo_spawn $TOPO_S python3 "$HDNS" server 10.200.2.2 5353
step "hostile_dns.py on the server host (10.200.2.2:5353)" wait_for 60 udp_bound $TOPO_S 5353
step "dante on 1090, UDP ASSOCIATE allowed" topo_dante_udp 1090
check "mprox0's one upstream: dante socks5://10.200.1.1:1090" \
	mprox_use_upstream mprox0 d socks5://10.200.1.1:1090
check "set udp_idle_timeout_s 10: the association ends soon after" \
	mprox_set mprox0 udp_idle_timeout_s 10
check "dns fake-ip, dns server 10.200.2.2:5353" mprox_config mprox0 <<'EOF'
dns fake-ip 198.18.0.0/16 fd00:198::/112
dns server 10.200.2.2:5353
EOF

dns_stat() {
	mprox_stat mprox0 "stats.dns.$1"
}
# asked NAME: how many queries for NAME the server got.
asked() {
	grep -c "^query $1\$" "$dns_log"
}
# ask ARGS...: hostile_dns.py ask in the client host, to the server.
ask() {
	topo_ns $TOPO_C python3 "$HDNS" ask --timeout "$(mprox_scale 3 10)" 10.200.2.2 5353 "$@"
}

kinds="loop fwd cut tc id other count servfail ttl0 rdlen huge"
stored=$(dns_stat cache_stored)
out=$(ask ok.h.test $(printf '%s.h.test ' $kinds) 2>&1)
none=$(awk '$2 == 0' <<<"$out")
lines=$(awk 'NF == 3 && $2 ~ /^[0-9]+$/' <<<"$out" | wc -l)
if [ -z "$none" ] && [ "$lines" = 12 ]; then pass "every kind answered, as the server sent it ($(echo $(awk '{ print $2 }' <<<"$out")) bytes)"; else
	fail "unanswered: $(echo $none); $lines results of 12"
	diag <<<"$out"
fi
check "only the correct answer was kept: stats.dns.cache_stored +1" \
	test "$(($(dns_stat cache_stored) - stored))" = 1

hits=$(dns_stat cache_hits)
out=$(ask --check ok.h.test 2>&1)
if [ "$out" = "ok.h.test 42 ok" ] && [ "$(asked ok.h.test)" = 1 ]; then
	pass "ok asked again: from the cache, a well-formed answer to the query"
else
	fail "ok asked again: '$out', the server asked $(asked ok.h.test) times"
fi
check "counted: stats.dns.cache_hits +1" test "$(($(dns_stat cache_hits) - hits))" = 1
ask $(printf '%s.h.test ' $kinds) >/dev/null 2>&1
for k in $kinds; do
	if [ "$(asked $k.h.test)" = 2 ]; then pass "$k: kept by nobody, the second query reached the server"; else
		fail "$k: the server was asked $(asked $k.h.test) times, want 2"; fi
done

# ---- random mutations ---------------------------------------------------------
names=$(seq 1 "$n_mut" | sed 's/^/mut/; s/$/.h.test/')
stored=$(dns_stat cache_stored)
ask $names >/dev/null 2>&1
kept=$(($(dns_stat cache_stored) - stored))
out=$(ask --check $names 2>&1)
from_cache=0 bad=""
while read -r name len verdict; do
	[ "$(asked "$name")" = 1 ] || continue
	from_cache=$((from_cache + 1))
	[ "$verdict" = ok ] || bad+=" $name:$len:$verdict"
done <<<"$out"
if [ -z "$bad" ] && [ "$from_cache" -gt 0 ]; then
	pass "mutations: $kept of $n_mut kept, $from_cache asked again of the cache, every one well-formed"
else
	fail "mutations: $kept kept, $from_cache from the cache; bad:${bad:- none}"
fi
entries=$(dns_stat cache_entries)
check "the cache holds at most dns_cache_size (256): $entries" test "$entries" -le 256

check_flows_drain mprox0 "$(mprox_scale 60 120)"
mprox_check_dmesg "dns-hostile"
mprox_case_teardown
plan "$tap_n"
tap_exit
