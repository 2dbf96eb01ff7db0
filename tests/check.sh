#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: style, host unit tests, the module built against every
# supported kernel (check-compat), then the VM suite on Debian's stock
# kernel and on the debug kernel, and three cases on Debian's 6.12 kernel.
# Every stage runs even if an earlier one failed, so one run shows
# everything; the last line is the total
# "N passed, N failed[, N skipped]" and the exit status is non-zero on any
# failure. A stage that cannot produce results counts as one failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

passed=0 failed=0 skipped=0
add_counts() {
	local stage=$1 file=$2 rc=$3 p f s
	if [ -r "$file" ] && read -r p f s <"$file"; then
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "check: $stage failed without a failed test (status $rc)"
			failed=$((failed + 1))
		fi
	else
		echo "check: $stage produced no results (status $rc)"
		failed=$((failed + 1))
	fi
}

# Each stage's wall time, printed at the end.
stage_names=()
stage_secs=()
stage_t0=$SECONDS
stage() {
	stage_done
	stage_names+=("$1")
	stage_t0=$SECONDS
	echo
	echo "==== $1"
}
stage_done() {
	[ ${#stage_names[@]} = ${#stage_secs[@]} ] || stage_secs+=($((SECONDS - stage_t0)))
}

mkdir -p build/style
rm -f build/style/counts build/unit/counts build/compat/counts build/stock/counts \
	build/debug/counts build/6.12/counts build/syscall/counts

# On a first run the kernels are the long part: fetch the stock kernel and
# build the debug one (about 10 minutes on two cores) while style and the
# build run, and then beside the stock guest. Both are cached under a
# lock, so the VM suites below wait for them or find them done; their own
# errors show there. The debug lane, the longest, waits for the build, so
# it is not niced: it shares the CPU with the stock guest, ahead of the
# host jobs (nice 19).
(
	tests/vm/fetch-stock-kernel.sh
	tests/vm/fetch-stock-kernel.sh bookworm-backports
	tests/vm/build-debug-kernel.sh
) >build/kernels-ahead.log 2>&1 &

stage "style"
if tests/style.sh; then
	echo "1 0 0" >build/style/counts
	add_counts style build/style/counts 0
else
	echo "0 1 0" >build/style/counts
	add_counts style build/style/counts 1
fi

stage "build"
if ! make -s all; then
	echo "check: make failed"
	failed=$((failed + 1))
fi

# The VM suites, the long part, start as soon as the module builds; the
# host unit tests, check-compat and the mprox_create() series' builds run
# beside them at the lowest CPU priority, in what the guests leave idle
# (they wait on timers a good part of the time). Each job's output is shown
# after all are done, with its time.
#
# Stock and debug run side by side: each guest sees two CPUs. The lane
# that ends first then runs a subset on Debian's 6.12 (bookworm-backports)
# kernel, the newest we claim: the cases that load the module, drive its fd
# and carry TCP through SOCKS5. Which lane that is changes as cases move
# and hosts differ; a fixed one lengthened the run by the subset's time
# whenever it was the longer lane. The test programs are built once
# first, so that the runs do not build them at the same time.
#
# To keep .ci/run under an hour on the two-core machine, each case runs
# on one 6.1 kernel only, but for module-load, kunit and device-fd (which
# on debug also drives the system call) and status-readers (its timed
# claim means something on stock only, its races under the checkers on
# debug only; 55 s on stock). Run any case on the other with
# make check-vm KERNELS=... CASES=...; docs/testing.md, "How long", has
# the times these lists come from. A case costs the debug guest about
# three times what it costs stock.
# - on the debug kernel only (stock_skip): the cases whose paths the
#   debug kernel's checkers (KASAN, lockdep, kmemleak) matter most for:
#   two devices' isolation (whose "down
#   within a second" stock misses now and then beside the debug guest),
#   the stress of many connections, hostile proxies, relays and DNS, the
#   fake-IP resolver;
# - on both: 10,000 pending handshakes torn down by one down
#   (tcp-pending, 1,000 on debug, where kmemleak checks the teardown);
# - on stock only (debug_skip): everything else: the mprox command's cases
#   (userspace; each costs the debug guest 3-5 times stock's, in process
#   start-ups), the pure codecs' cases (tcp-http, tcp-socks4: fuzzed under
#   ASan and run by KUnit on the debug kernel), timing and volume checks
#   (tcp-auth-parallel, tcp-close's minute of timeouts), the
#   packet scrub (tcp-scrub: the packet codec runs under KUnit there), and the
#   engine's and packet path's other cases, whose code the debug-only
#   cases drive too; UDP associations (udp-assoc: 556 s on debug alone,
#   the longest case there; udp-hostile drives an association's life
#   and teardown, dns-fakeip and dns-hostile the resolver and the cache
#   on debug); direct connections and their name lookups (tcp-direct:
#   506 s and 559 s on debug in the last two runs, its longest case; the
#   debug lane was the one that set the run's length, past the hour at
#   stop 41). tcp-socks5, the plain path every other case starts from,
#   runs on stock and on 6.12.
stage "VM suites (stock beside debug, then 6.12 in the lane that ends first), beside the host unit tests and the module against every supported kernel"
vm_subset_6_12="module-load device-fd tcp-socks5"
stock_skip="tcp-isolation tcp-stress tcp-hostile udp-hostile dns-hostile dns-fakeip"
debug_skip="tcp-close proxy-baseline cli tcp-http tcp-auth-parallel tcp-socks4"
debug_skip+=" tcp-rules tcp-failover tcp-errors tcp-spares tcp-capture"
debug_skip+=" tcp-ip-options tcp-loops tcp-memcg tcp-no-listener tcp-probes tcp-proxy-rules"
debug_skip+=" tcp-relay-memory tcp-reuse tcp-routing tcp-socks5 tcp-scrub forwarded"
debug_skip+=" udp-assoc tcp-direct"
# job NAME CMD...: CMD's output, status and seconds under build/NAME/
# (check.log, check.rc), for show_job.
job() {
	local d=build/$1 start=$SECONDS rc=0
	shift
	mkdir -p "$d"
	"$@" >"$d/check.log" 2>&1 || rc=$?
	echo "$rc $((SECONDS - start))" >"$d/check.rc"
}
# then_6_12: the 6.12 subset, in the lane that gets here first (mkdir is
# atomic: the other lane finds the claim and ends).
then_6_12() {
	mkdir build/6.12-claimed 2>/dev/null || return 0
	job 6.12 tests/vm/run.sh 6.12 "$vm_subset_6_12"
}
# The lanes rebuild progs and helper; bench-progs is built only here.
if ! make -s progs helper bench-progs; then
	echo "check: the test programs do not build"
	failed=$((failed + 1))
fi
rm -f build/{stock,debug,6.12,unit,compat,syscall}/check.rc
rm -rf build/6.12-claimed
{
	job stock tests/vm/run.sh stock "$(printf -- '-%s ' $stock_skip)"
	then_6_12
} &
stock_pid=$!
{
	job debug tests/vm/run.sh debug "$(printf -- '-%s ' $debug_skip)"
	then_6_12
} &
debug_pid=$!
# The unit tests and the builds each keep one CPU busy when they get it.
# The mprox_create() series' builds (6.12 on x86_64, arm64 on 6.1 and
# 6.12: check-syscall and check-arm64) take a minute each, and only when
# their inputs change.
job unit nice -n 19 make -s check-unit &
unit_pid=$!
{
	job compat nice -n 19 make -s check-compat
	job syscall nice -n 19 tests/syscall/run.sh x86_64-6.12 arm64-6.1 arm64-6.12
} &
compat_pid=$!
wait "$stock_pid" "$debug_pid" "$unit_pid" "$compat_pid"
stage_done
# show_job NAME COUNTS_LABEL WHAT: a job's output under a heading with
# its time; its counts added to the total.
show_job() {
	local name=$1 label=$2 what=$3 rc=1 secs=0
	[ -r "build/$name/check.rc" ] && read -r rc secs <"build/$name/check.rc"
	echo
	echo "==== $what, $((secs / 60)) min $((secs % 60)) s"
	cat "build/$name/check.log"
	add_counts "$label" "build/$name/counts" "$rc"
	stage_names+=("  of which $what")
	stage_secs+=("$secs")
}
show_job unit unit "the host unit tests"
show_job compat compat "the module against every supported kernel (5.10, 6.1, 6.12)"
show_job syscall syscall "the mprox_create() series: 6.12 on x86_64, arm64 (x86_64 6.1: the debug kernel)"
show_job stock "vm(stock)" "VM suite, stock kernel (all but $stock_skip)"
show_job 6.12 "vm(6.12)" "VM suite, 6.12 kernel ($vm_subset_6_12)"
show_job debug "vm(debug)" "VM suite, debug kernel (all but $debug_skip)"

echo
echo "==== wall time per stage"
for i in "${!stage_names[@]}"; do
	printf '%6ds  %s\n' "${stage_secs[$i]}" "${stage_names[$i]}"
done
printf '%6ds  total\n' "$SECONDS"

echo
summary="$passed passed, $failed failed"
[ "$skipped" = 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]
