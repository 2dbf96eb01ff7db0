#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: style, host unit tests, the module built against every
# supported kernel (check-compat), then the VM suite on Debian's stock
# kernel and on the debug kernel. Every stage runs even if an earlier one
# failed, so one run shows everything; the last line is the total
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
declare -a stage_names stage_secs
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
	build/debug/counts

# On a first run the kernels are the long part: fetch the stock kernel and
# build the debug one (about 10 minutes on two cores) while style, the unit
# tests and check-compat run. Both are cached under a lock, so the VM
# suites below wait for them or find them done; their own errors show there.
(
	tests/vm/fetch-stock-kernel.sh
	nice -n 10 tests/vm/build-debug-kernel.sh
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

stage "host unit tests"
make -s check-unit
add_counts unit build/unit/counts $?

stage "module against every supported kernel (5.10, 6.1, 6.12)"
make -s check-compat
add_counts compat build/compat/counts $?

# The two VM suites run side by side: the debug guest keeps one CPU busy
# (it sees one), the stock guest the other, and together they take about
# as long as the debug suite alone. Their output is shown one after the
# other when both are done. The test programs are built once first, so
# that the two runs do not build them at the same time.
stage "VM suites, stock and debug side by side"
make -s progs
declare -A vm_pid vm_rc
for k in stock debug; do
	mkdir -p "build/$k"
	(
		t0=$SECONDS
		tests/vm/run.sh "$k" >"build/$k/check.log" 2>&1
		rc=$?
		echo $((SECONDS - t0)) >"build/$k/wall"
		exit $rc
	) &
	vm_pid[$k]=$!
done
for k in stock debug; do
	wait "${vm_pid[$k]}"
	vm_rc[$k]=$?
done
stage_done
for k in stock debug; do
	echo
	echo "==== VM suite, $k kernel"
	cat "build/$k/check.log"
	add_counts "vm($k)" "build/$k/counts" "${vm_rc[$k]}"
	stage_names+=("  of which the $k suite")
	stage_secs+=("$(cat "build/$k/wall" 2>/dev/null || echo 0)")
done

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
