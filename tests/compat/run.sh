#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-compat: build the module (W=1, -Werror, as "make kmod" does)
# against every supported kernel line, from Debian's headers:
#   stock               6.1, bookworm (tests/vm/fetch-stock-kernel.sh)
#   bullseye            5.10 (tests/compat/fetch-headers.sh)
#   bookworm-backports  6.12 (tests/compat/fetch-headers.sh)
# Each build goes to build/compat/<release>/ with its log beside it. Where
# the kernel was built without KUnit (all three are), parse_test.o of the
# KUnit module is still compiled, not linked, if that kernel's KUnit has
# parameterised cases. Prints TAP, one line per kernel; writes
# "passed failed skipped" to build/compat/counts; exits non-zero on any
# failure. COMPAT_KERNELS="stock bullseye" picks a subset.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
# pick_cc: the compiler to build against Debian headers with.
. tests/vm/lib.sh

releases=${COMPAT_KERNELS:-stock bullseye bookworm-backports}
out=$top/build/compat
# Kept with the headers, across clean trees and CI's fresh clones.
good_dir=${MPROX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mprox}/compat
mkdir -p "$out" "$good_dir"
rm -f "$out/counts"

passed=0 failed=0 skipped=0 n=0

# Does this kernel's KUnit have KUNIT_ARRAY_PARAM (5.11 and later)?
kunit_params() {
	local kdir=$1 f
	for f in "$kdir"/include/kunit/test.h "$kdir"/../linux-headers-*-common/include/kunit/test.h; do
		[ -r "$f" ] && grep -qs KUNIT_ARRAY_PARAM "$f" && return 0
	done
	return 1
}

# The KUnit suites' objects (driver/*_test.c), compiled where they cannot be
# linked.
suites=()
for f in driver/*_test.c; do
	f=${f#driver/}
	suites+=("${f%.c}.o")
done

# The headers this line last built against, when they were others: the
# first place to look when a new point release breaks the build (Debian
# moves linux-headers-amd64 to each new release; the cache follows it).
last_good() {
	local rel=$1 kver=$2 good day
	read -r good day <"$good_dir/$rel.last-good" 2>/dev/null || return 0
	[ "$good" != "$kver" ] || return 0
	echo "; it built against linux-headers-$good ($day): the change is in between"
}

report() {
	local ok=$1 desc=$2
	n=$((n + 1))
	if [ "$ok" = ok ]; then
		echo "ok $n - $desc"
		passed=$((passed + 1))
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
	fi
}

# shellcheck disable=SC2086
set -- $releases
echo "TAP version 13"
echo "1..$#"
for rel in $releases; do
	log=$out/$rel.log
	: >"$log"
	case "$rel" in
	stock) kdir=$(tests/vm/fetch-stock-kernel.sh --kdir 2>>"$log") ;;
	bullseye | bookworm-backports) kdir=$(tests/compat/fetch-headers.sh "$rel" 2>>"$log") ;;
	*) kdir= ; echo "unknown release $rel" >>"$log" ;;
	esac
	if [ -z "$kdir" ] || [ ! -d "$kdir" ]; then
		sed 's/^/# /' "$log" | tail -n 20
		report fail "$rel: cannot fetch its headers (see $log)"
		continue
	fi
	kver=$(basename "$kdir")
	kver=${kver#linux-headers-}
	cc=$(pick_cc "$kdir")
	ccarg=()
	if [ -n "$cc" ]; then
		ccarg=(CC="$cc")
		echo "# $rel: its compiler is not installed, building with CC=$cc ($("$cc" -dumpfullversion))"
	fi

	what="mprox.ko"
	if ! make --no-print-directory kmod KDIR="$kdir" KMOD_BUILD="$out/$rel" \
		"${ccarg[@]}" >>"$log" 2>&1; then
		grep -E '(error|warning):|\*\*\*' "$log" | sed 's/^/# /' | head -n 30
		report fail "$rel ($kver): make kmod failed against linux-headers-$kver$(last_good "$rel" "$kver") (see $log)"
		continue
	fi
	if grep -qE '^CONFIG_KUNIT=[ym]' "$kdir/.config"; then
		[ -f "$out/$rel/driver/mprox-test.ko" ] && what="$what, mprox-test.ko"
	elif kunit_params "$kdir"; then
		# Not linked: the kernel exports no KUnit symbols to resolve.
		if ! make --no-print-directory -C "$kdir" M="$out/$rel/driver" \
			MPROX_VERSION="${MPROX_VERSION:-unknown}" W=1 KCFLAGS=-Werror \
			MPROX_KUNIT=y "${ccarg[@]}" "${suites[@]}" >>"$log" 2>&1; then
			grep -E '(error|warning):|\*\*\*' "$log" | sed 's/^/# /' | head -n 30
			report fail "$rel ($kver): KUnit suites ${suites[*]} failed (see $log)"
			continue
		fi
		what="$what, ${suites[*]} compiled (no CONFIG_KUNIT)"
	else
		what="$what; KUnit suite not built (no KUNIT_ARRAY_PARAM)"
	fi
	echo "$kver $(date -u +%F)" >"$good_dir/$rel.last-good"
	if grep -q 'warning' "$log"; then
		grep 'warning' "$log" | sed 's/^/# /' | head -n 10
	fi
	report ok "$rel ($kver): $what"
done

echo "$passed $failed $skipped" >"$out/counts"
echo "# compat: $passed passed, $failed failed"
[ "$failed" = 0 ]
