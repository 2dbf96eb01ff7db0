#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# case-timeout: 900
# TCP through mprox0 and a SOCKS5 proxy: plain curl in the client host, with
# no proxy options, reaches the server because routing sends its
# connections into mprox0 and the kernel carries them through microsocks. A
# page, a big download and a big upload (sha256 compared), an IPv6
# destination through an IPv4 proxy and the other way round, many parallel
# connections; then the flows drain and the counters add up.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/mprox.sh"

big_mb=$(mprox_scale 100 10)
parallel=$(mprox_scale 200 30)
echo "# ${MPROX_KERNEL_FLAVOUR:-stock} kernel: $big_mb MB download and upload, $parallel parallel connections"

mprox_case_setup echo mprox0
seq 1 5000 | sed 's/^/line /' >"$TOPO_WWW/page.html"
head -c 1M /dev/urandom >"$TOPO_WWW/mid"
head -c "${big_mb}M" /dev/urandom >"$TOPO_WWW/big"
page_sha=$(sha256sum <"$TOPO_WWW/page.html" | cut -d' ' -f1)
page_size=$(stat -c %s "$TOPO_WWW/page.html")
mid_sha=$(sha256sum <"$TOPO_WWW/mid" | cut -d' ' -f1)
big_sha=$(sha256sum <"$TOPO_WWW/big" | cut -d' ' -f1)
# Connections this case opens through mprox0, for the counters at the end.
opened=0

mprox_fetch "a page" "$page_sha" 30 http://10.200.2.2:8080/page.html
mprox_fetch "$big_mb MB download" "$big_sha" 200 http://10.200.2.2:8080/big
[ "$fetch_ms" -gt 0 ] && echo "# download: $((big_mb * 1000 / fetch_ms)) MB/s"
opened=$((opened + 2))

t0=$(ms_now)
got=$(topo_ns $TOPO_C curl -sS --connect-timeout 15 --max-time 200 -H 'Expect:' -T "$TOPO_WWW/big" \
	http://10.200.2.2:8080/upload 2>&1)
ms=$(($(ms_now) - t0))
opened=$((opened + 1))
if [ "$got" = "$big_sha" ]; then
	pass "$big_mb MB upload, the server's sha256 matches ($ms ms)"
else
	fail "$big_mb MB upload ($ms ms)"
	printf '%s\n' "$got" | diag
fi
# How the bulk transfers were relayed (no check: a figure for the reader).
echo "# relay passes after them, by the work and from data_ready: $(mprox_json mprox0 | jq -c .stats.relay)"

# While a connection is open, "conns" shows it: which upstream carries it,
# and the addresses as the application sees them. (An idle echo
# connection, not a download: the socket buffers would swallow a download
# whole and the flow would end long before curl.)
# watch_conn DESC HOST DST UPSTREAM SRC_PREFIX
watch_conn() {
	local desc=$1 host=$2 dst=$3 up=$4 src=$5 pid c
	rm -f /tmp/mprox-watch.out
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" idle "$host" 7007 8 >/tmp/mprox-watch.out 2>&1 &
	pid=$!
	opened=$((opened + 1))
	if wait_for 60 grep -q ready /tmp/mprox-watch.out && wait_for 5 mprox_conn mprox0 "$dst" "$up"; then
		c=$(mprox_conn mprox0 "$dst" "$up")
		if python3 -c '
import json, sys
c = json.loads(sys.argv[1])
assert c["src"].startswith(sys.argv[2]), "src"
assert c["bytes_up"] >= 7 and c["bytes_down"] >= 7, "bytes"
assert c["age_ms"] >= 0, "age_ms"
' "$c" "$src" 2>/dev/null; then
			pass "$desc: $c"
		else
			fail "$desc: want source $src and 7 bytes each way: $c"
		fi
	else
		fail "$desc: no established connection to $dst through $up in conns"
		mprox_json mprox0 | diag
	fi
	if wait "$pid"; then pass "$desc: the connection still echoes afterwards"; else
		fail "$desc: the connection failed"
		diag </tmp/mprox-watch.out
	fi
}

mprox_fetch "IPv6 destination through the IPv4 proxy" "$mid_sha" 60 'http://[fd00:200:2::2]:8080/mid'
opened=$((opened + 1))
watch_conn "IPv6 destination in conns" fd00:200:2::2 "[fd00:200:2::2]:7007" p1 "[fd00:200:1::2]:"

check "replace the upstream by p6 socks5://[fd00:200:1::1]:1080" \
	mprox_use_upstream mprox0 p6 'socks5://[fd00:200:1::1]:1080'
mprox_fetch "IPv4 destination through the IPv6 proxy" "$mid_sha" 60 http://10.200.2.2:8080/mid
opened=$((opened + 1))
watch_conn "IPv4 destination through p6 in conns" 10.200.2.2 "10.200.2.2:7007" p6 "10.200.1.2:"

check "back to upstream p1" mprox_use_upstream mprox0 p1 socks5://10.200.1.1:1080

# Urgent data: the relay's zero-copy path stops at the urgent mark and the
# copy path steps over the out-of-band byte; the stream must go on after it.
check "urgent data: the stream goes on after an out-of-band byte" \
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" urgent 10.200.2.2 7007

# Request and answer: exchanges of 1 to 1,400 bytes on one connection, each
# checked. With nothing else queued, each one's bytes are relayed from the
# data_ready of the socket they came to (relay.h), not by a worker: at
# least half of the relays must be inline (each exchange is two).
exchanges=200
inline_before=$(mprox_stat mprox0 stats.relay.inline)
work_before=$(mprox_stat mprox0 stats.relay.work)
check "$exchanges request/answer exchanges come back unchanged" \
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" pingpong 10.200.2.2 7007 "$exchanges"
opened=$((opened + 1))
inline=$(($(mprox_stat mprox0 stats.relay.inline) - inline_before))
work=$(($(mprox_stat mprox0 stats.relay.work) - work_before))
if [ "$inline" -ge "$exchanges" ]; then
	pass "request/answer: $inline relay passes from data_ready, $work by the work"
else
	fail "request/answer: $inline relay passes from data_ready, $work by the work; want $exchanges or more inline"
fi

# A new connection's first exchange: the request leaves as soon as
# connect() returns, often before the listener's accept has handed the
# socket to its connection. The attach relays what came before it as its
# data_ready would have (conn.c), so the request does not wait for a worker
# either: nearly every request and answer inline, a few by the work (an
# accept that came while a socket was held).
fresh=50
inline_before=$(mprox_stat mprox0 stats.relay.inline)
work_before=$(mprox_stat mprox0 stats.relay.work)
check "$fresh new connections, one request/answer each" \
	topo_ns $TOPO_C python3 "$MPROX_NETUTIL" many 10.200.2.2 7007 "$fresh" 60
opened=$((opened + fresh))
inline=$(($(mprox_stat mprox0 stats.relay.inline) - inline_before))
work=$(($(mprox_stat mprox0 stats.relay.work) - work_before))
if [ "$inline" -ge $((fresh * 2 * 9 / 10)) ] && [ "$work" -le $((fresh / 10)) ]; then
	pass "first exchanges: $inline relay passes from data_ready, $work by the work"
else
	fail "first exchanges: $inline relay passes from data_ready, $work by the work; want $((fresh * 2 * 9 / 10)) or more inline, $((fresh / 10)) or fewer by the work"
fi

# Parallel connections: curl opens them all at once (--parallel-immediate);
# the server speaks HTTP/1.0, so none is reused.
ok_before=$(mprox_stat mprox0 stats.connects.ok)
for i in $(seq 1 "$parallel"); do
	printf 'url = "http://10.200.2.2:8080/page.html?%d"\noutput = "/dev/null"\n' "$i"
done >/tmp/mprox-parallel.conf
out=$(topo_ns $TOPO_C curl -sS --no-progress-meter --parallel --parallel-immediate \
	--parallel-max "$parallel" --connect-timeout 30 --max-time 120 \
	-w '%{http_code} %{size_download}\n' -K /tmp/mprox-parallel.conf 2>/tmp/mprox-parallel.err)
rc=$?
good=$(grep -cx "200 $page_size" <<<"$out")
opened=$((opened + parallel))
if [ "$rc" = 0 ] && [ "$good" = "$parallel" ]; then
	pass "$parallel parallel connections all succeed"
else
	fail "$parallel parallel connections: $good succeeded, curl exit $rc"
	# The errors, counted, without the milliseconds that make them differ.
	sed 's/after [0-9]* ms/after N ms/' /tmp/mprox-parallel.err | sort | uniq -c | head -n 10 | diag
fi
ok_after=$(mprox_stat mprox0 stats.connects.ok)
[ $((ok_after - ok_before)) -ge "$parallel" ] &&
	pass "connects.ok counted the parallel connections (+$((ok_after - ok_before)))" ||
	fail "connects.ok went from $ok_before to $ok_after, want +$parallel"

check_flows_drain mprox0 60
stats=$(mprox_stat mprox0 stats)
check "stats count every connection and byte ($opened connections)" python3 -c '
import json, sys
s, opened, big = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) << 20
assert s["connects"]["ok"] >= opened, ("connects.ok", s["connects"]["ok"], opened)
assert s["flows"]["total"] >= opened, ("flows.total", s["flows"]["total"], opened)
assert s["flows"]["active"] == 0, s["flows"]
assert s["bytes"]["up"] >= big, ("bytes.up", s["bytes"]["up"], big)
assert s["bytes"]["down"] >= big, ("bytes.down", s["bytes"]["down"], big)
' "$stats" "$opened" "$big_mb"
echo "# stats: $stats"
tx=$(mprox_link_stat mprox0 tx packets)
rx=$(mprox_link_stat mprox0 rx packets)
[ "${tx:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ] &&
	pass "ip -s link show mprox0 counts packets (tx $tx, rx $rx)" ||
	fail "ip -s link show mprox0 counts packets (tx $tx, rx $rx)"

mprox_case_teardown
plan "$tap_n"
tap_exit
