#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, in the stock test guest: one application (tcpbench) reaching
# a server three ways over the test network (tests/integration/lib/
# topology.sh):
#   direct   routed through the proxy host, which forwards for this mode only
#   socks5   the application speaks SOCKS5 itself to microsocks
#   mprox    the same application with no proxy code, routed into mprox0,
#            whose upstream is that microsocks
#   spares   the same as mprox, with "set spare_conns 2" (docs/upstreams.md,
#            "Spare connections"): setup latency only, as spares change
#            nothing once a connection is set up
# and a table of single- and 4-stream throughput in each direction and of
# connection setup latency (connect + request + response) p50/p99, with
# the ratios mprox/socks5 and mprox/direct against the first target.
# socks5, mprox and spares run alternately, run by run, so that a change of load on
# the host hits both alike; their latency samples are pooled from 5 rounds.
# A benchmark, not a test: a missed target is reported, never a failure;
# a mode that cannot be measured at all (errors, timeouts) is a failure.
#
# BENCH_BYTES (bytes per throughput run, default 200000000) and BENCH_CONNS
# (connections of the latency run, default 500) come from the host through
# build/bench/params (written by make bench).
. "$(dirname "$0")/../integration/lib/tap.sh"
. "$(dirname "$0")/../integration/lib/topology.sh"
trap topo_down EXIT

bin=$MPROX_TOP/build/bench
params=$bin/params
# shellcheck source=/dev/null
[ -r "$params" ] && . "$params"
BENCH_BYTES=${BENCH_BYTES:-200000000}
BENCH_CONNS=${BENCH_CONNS:-500}
SERVER=10.200.2.2:5300
PROXY=10.200.1.1:1080
# Ratio targets of the first milestone (docs/testing.md).
TARGET_TPUT=0.8
TARGET_LAT=1.2

results=/tmp/mprox-bench.results
: >"$results"
rm -f /tmp/mprox-bench.*.samples

# Options of tcpbench for each mode.
declare -A via=([direct]="" [socks5]="--socks5 $PROXY" [mprox]="" [spares]="")
# Modes measured for setup latency only.
declare -A latency_only=([spares]=1)
declare -A broken=()
ROUNDS=5

# tput MODE STREAMS DIR: one throughput run; "MODE DIR_STREAMS MB/s" to $results.
tput() {
	local mode=$1 streams=$2 dir=$3 out line
	# shellcheck disable=SC2086
	out=$(topo_ns $TOPO_C "$bin/tcpbench" client $SERVER ${via[$mode]} --streams "$streams" \
		--dir "$dir" --bytes "$BENCH_BYTES" --timeout 30 2>&1)
	echo "$out" | sed "s/^/#   $mode: /"
	line=$(grep '^throughput ' <<<"$out")
	if [ -n "$line" ]; then
		echo "$mode ${dir}_$streams ${line##*rate_MBps=}" >>"$results"
	else
		broken[$mode]=1
	fi
}

# lat MODE N: N setup-latency samples, added to /tmp/mprox-bench.MODE.samples.
lat() {
	local mode=$1 n=$2 out
	# shellcheck disable=SC2086
	out=$(topo_ns $TOPO_C "$bin/tcpbench" client $SERVER ${via[$mode]} --latency "$n" \
		--samples --timeout 30 2>&1)
	grep -v '^sample ' <<<"$out" | sed "s/^/#   $mode: /"
	if grep -q '^latency ' <<<"$out"; then
		grep '^sample ' <<<"$out" >>"/tmp/mprox-bench.$mode.samples"
	else
		broken[$mode]=1
	fi
}

# measure MODE...: every measurement, each run of the modes given back to
# back (so that a change of load on the host hits them alike); the latency
# connections in $ROUNDS rounds, pooled.
measure() {
	local streams dir mode r
	for streams in 1 4; do
		for dir in down up; do
			for mode in "$@"; do
				[ -n "${latency_only[$mode]:-}" ] || tput "$mode" $streams $dir
			done
		done
	done
	for _ in $(seq $ROUNDS); do
		for mode in "$@"; do
			[ "$mode" = spares ] && spare_conns 2
			lat "$mode" $(((BENCH_CONNS + ROUNDS - 1) / ROUNDS))
			[ "$mode" = spares ] && spare_conns 0
		done
	done
}

spare_conns() {
	echo "set spare_conns $1" | topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 || broken[spares]=1
}

measured() {
	[ -z "${broken[$1]:-}" ] && pass "$2: measured" || fail "$2: measured"
}

no_direct_path() {
	! topo_ns $TOPO_C "$bin/tcpbench" client $SERVER --latency 1 --timeout 3 >/dev/null 2>&1
}

# ---- the network, microsocks and the server --------------------------------
insmod "$MPROX_KO" || { fail "insmod mprox.ko"; tap_exit; }
if topo_up && topo_microsocks 1080; then
	pass "test network and microsocks"
else
	fail "test network and microsocks"
	tap_exit
fi
topo_spawn $TOPO_S "$bin/tcpbench" server --port 5300
wait_for 10 topo_listening $TOPO_S 5300 && pass "tcpbench server on the server host" ||
	fail "tcpbench server on the server host"
echo "# $BENCH_BYTES bytes per throughput run, $BENCH_CONNS connections for latency;" \
	"$(nproc) CPUs, $(uname -r), TCG"

# ---- (a) direct: the proxy host forwards, for this mode only --------------
topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=1
topo_ns $TOPO_C ip route add 10.200.2.0/24 via 10.200.1.1
topo_ns $TOPO_S ip route add 10.200.1.0/24 via 10.200.2.1
echo "# direct:"
measure direct
measured direct direct
topo_ns $TOPO_C ip route del 10.200.2.0/24 via 10.200.1.1
topo_ns $TOPO_S ip route del 10.200.1.0/24 via 10.200.2.1
topo_ns $TOPO_P sysctl -qw net.ipv4.ip_forward=0
check "no direct path once forwarding is off again" no_direct_path

# ---- (b) the application speaks SOCKS5 itself, and (c) the same -----------
# ---- application through mprox0 with no proxy code, run by run -------------
if topo_ns $TOPO_C ip link add mprox0 type mprox &&
	echo "upstream add p1 socks5://$PROXY" | topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 &&
	topo_ns $TOPO_C ip link set mprox0 up &&
	topo_ns $TOPO_C ip route add 10.200.2.0/24 dev mprox0; then
	pass "mprox0 in the client namespace, upstream microsocks, route into it"
else
	fail "mprox0 in the client namespace, upstream microsocks, route into it"
fi
echo "# native SOCKS5, mprox and mprox with spares, alternately:"
measure socks5 mprox spares
measured socks5 "native SOCKS5"
measured mprox mprox
measured spares "mprox with spare_conns 2"
topo_ns $TOPO_C ip -s link show mprox0 | sed 's/^/#   /'
topo_ns $TOPO_C "$bin/mprox-ctl" mprox0 --status >/tmp/mprox-bench.json 2>&1
python3 - /tmp/mprox-bench.json <<'EOF' | sed 's/^/#   /'
import json, sys
text = open(sys.argv[1]).read()
try:
    print("stats " + json.dumps(json.loads(text).get("stats"), separators=(",", ":")))
except ValueError:
    print(text)
EOF

# ---- the table -------------------------------------------------------------
python3 - "$results" "$TARGET_TPUT" "$TARGET_LAT" <<'EOF'
import os, sys
res = {}
for line in open(sys.argv[1]):
    mode, key, value = line.split()
    res[(mode, key)] = float(value)

def rank(sorted_values, p):
    """Nearest rank, as tcpbench."""
    n = len(sorted_values)
    return sorted_values[max((n * p + 99) // 100, 1) - 1]

for mode in ("direct", "socks5", "mprox", "spares"):
    path = f"/tmp/mprox-bench.{mode}.samples"
    if not os.path.exists(path):
        continue
    total, conn = [], []
    for line in open(path):
        _, t, c = line.split()
        total.append(float(t))
        conn.append(float(c))
    if total:
        total.sort()
        conn.sort()
        res[(mode, "p50")], res[(mode, "p99")] = rank(total, 50), rank(total, 99)
        res[(mode, "pc50")] = rank(conn, 50)
        res[(mode, "n")] = len(total)
t_tput, t_lat = float(sys.argv[2]), float(sys.argv[3])
rows = [("down_1", "download, 1 stream", "MB/s"), ("up_1", "upload, 1 stream", "MB/s"),
        ("down_4", "download, 4 streams", "MB/s"), ("up_4", "upload, 4 streams", "MB/s"),
        ("p50", "setup latency p50", "ms"), ("p99", "setup latency p99", "ms"),
        ("pc50", "  of which connect, p50", "ms")]

def val(mode, key):
    v = res.get((mode, key))
    if v is None:
        return None
    return v / 1000 if key.startswith("p") else v

def fmt(v, nd=1):
    return "-" if v is None else f"{v:.{nd}f}"

def fmtx(r):
    return "-" if r is None else f"{r:.2f}x"

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

print()
print(f"{'':28} {'direct':>9} {'socks5 app':>11} {'mprox0':>9} {'+spares':>9}"
      f"   {'mprox/socks5':>12} {'spares/socks5':>13} {'mprox/direct':>12}")
misses, unknown, plain = [], [], []
for key, label, unit in rows:
    d, s, m, sp = (val(mode, key) for mode in ("direct", "socks5", "mprox", "spares"))
    nd = 2 if unit == "ms" else 1
    rs, rsp, rd = ratio(m, s), ratio(sp, s), ratio(m, d)
    print(f"{label + ' (' + unit + ')':28} {fmt(d, nd):>9} {fmt(s, nd):>11} {fmt(m, nd):>9}"
          f" {fmt(sp, nd):>9}   {fmtx(rs):>12} {fmtx(rsp):>13} {fmtx(rd):>12}")
    if key == "pc50":
        continue  # where the time goes; not a target
    # Throughput is the data path's, spares or not; setup latency is
    # judged with spares, and shown without.
    r = rs if unit == "MB/s" else rsp
    if r is None:
        unknown.append(label)
    elif unit == "MB/s" and r < t_tput:
        misses.append(f"{label} {r:.2f}x < {t_tput}x")
    elif unit == "ms" and r > t_lat:
        misses.append(f"{label} {r:.2f}x > {t_lat}x")
    if unit == "ms" and rs is not None:
        plain.append(f"{label} {rs:.2f}x")
print()
print(f"first target: mprox >= {t_tput}x native SOCKS5 throughput and <= {t_lat}x its setup latency"
      " (setup with spare_conns 2)")
if unknown:
    print("  NOT MEASURED: " + "; ".join(unknown))
elif misses:
    print("  NOT MET: " + "; ".join(misses))
else:
    print("  MET on every row")
if plain:
    print("  setup without spares (spare_conns 0, the default): " + "; ".join(plain))
EOF
plan "$tap_n"
tap_exit
