#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host unit tests: C tests under tests/unit/test_*.c (built against
# libmprox and the uapi header, each printing TAP), a fixed-length run of
# each fuzz target (tests/fuzz/run.sh) and Python tests of the
# harness itself (tests/unit/test_*.py). Prints every result, a summary line,
# and writes "passed failed skipped" to build/unit/counts.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
out=$top/build/unit
mkdir -p "$out/bin"
passed=0 failed=0 skipped=0

count_tap() {
	local line
	while IFS= read -r line; do
		echo "$line"
		case $line in
		"not ok"*) failed=$((failed + 1)) ;;
		"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done
}

# Extra compiler arguments of tests that build kernel code for the host:
# the shim stands in for the kernel headers, and the source is linked in.
declare -A extra=(
	[test_parse]="-Itests/shim -Idriver driver/parse.c driver/dns.c"
	[test_socks5]="-Itests/shim -Idriver driver/socks5.c"
	[test_http]="-Itests/shim -Idriver driver/http.c driver/dest.c"
	[test_socks4]="-Itests/shim -Idriver driver/socks4.c driver/dest.c"
	[test_dest]="-Itests/shim -Idriver driver/dest.c"
	[test_socks5_udp]="-Itests/shim -Idriver driver/socks5_udp.c driver/socks5.c"
	[test_dns]="-Itests/shim -Idriver driver/dns.c"
	[test_direct]="-Itests/shim -Idriver driver/direct.c"
	[test_choice]="-Itests/shim -Idriver driver/health.c driver/balance.c"
	[test_deadline]="-Itests/shim -Idriver"
	[test_rule]="-Itests/shim -Idriver driver/rule.c driver/parse.c driver/dns.c"
	[test_packet]="-Itests/shim -Idriver driver/packet.c"
	[test_cli]="-Iip-helper ip-helper/cli.c"
	[test_url]="-Iip-helper ip-helper/url.c"
	[test_conf]="-Itests/shim -Idriver -Iip-helper ip-helper/conf.c ip-helper/conf_file.c ip-helper/cgroup_path.c ip-helper/cidr.c driver/parse.c driver/dns.c"
	[test_cgroup_path]="-Iip-helper ip-helper/cgroup_path.c"
	[test_cidr]="-Iip-helper ip-helper/cidr.c"
	[test_nft]="-Iip-helper ip-helper/nft.c ip-helper/cgroup_path.c $(pkg-config --cflags --libs json-c libnftables)"
)

# The same describe the Makefile stamps into libmprox.
version=$(git describe --always --dirty --tags 2>/dev/null || echo unknown)
for src in tests/unit/test_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	echo "# $name"
	# shellcheck disable=SC2086 # extra holds several words
	if ! cc -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -g -fsanitize=address,undefined \
		-Iuapi -Ilibmprox/include -DEXPECTED_VERSION="\"$version\"" \
		-o "$out/bin/$name" "$src" ${extra[$name]:-} -Llibmprox -lmprox -Wl,-rpath,"$top/libmprox"; then
		echo "not ok - $name: does not build"
		failed=$((failed + 1))
		continue
	fi
	tap=$("$out/bin/$name")
	rc=$?
	count_tap < <(printf '%s\n' "$tap")
	if [ "$rc" != 0 ] && ! grep -q '^not ok' <<<"$tap"; then
		echo "not ok - $name exited with status $rc"
		failed=$((failed + 1))
	fi
done

# Every fuzz target (tests/fuzz/fuzz_*.c), each for a fixed number of runs
# with a fixed seed: one test each, failed by any crash, leak or broken
# invariant.
fuzz_runs=300000
for src in tests/fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	echo "# $name"
	if fuzz_log=$(tests/fuzz/run.sh "$fuzz_runs" "${name#fuzz_}" 2>&1); then
		echo "ok - $name: $fuzz_runs runs"
		passed=$((passed + 1))
	else
		tail -n 40 <<<"$fuzz_log" | sed 's/^/# /'
		echo "not ok - $name: crashed or broke an invariant (input in build/fuzz/${name#fuzz_}/)"
		failed=$((failed + 1))
	fi
done

for py in tests/unit/test_*.py; do
	[ -e "$py" ] || continue
	name=$(basename "$py" .py)
	echo "# $name"
	before=$failed
	while IFS= read -r line; do
		case $line in
		*" ... ok") echo "ok - $name: ${line% ... ok}"; passed=$((passed + 1)) ;;
		*" ... skipped"*) echo "ok - $name: $line # SKIP"; skipped=$((skipped + 1)) ;;
		*" ... FAIL" | *" ... ERROR") echo "not ok - $name: $line"; failed=$((failed + 1)) ;;
		# A failure whose line a tool's stderr split, or a crash before
		# any: unittest's status says it all the same.
		"@@exit 0") ;;
		"@@exit "*)
			if [ "$failed" = "$before" ]; then
				echo "not ok - $name: python3 -m unittest exited ${line#@@exit }"
				failed=$((failed + 1))
			fi
			;;
		*) echo "# $line" ;;
		esac
	done < <(
		cd tests/unit && python3 -m unittest -v "$name" 2>&1
		echo "@@exit $?"
	)
done

echo "unit: $passed passed, $failed failed, $skipped skipped"
echo "$passed $failed $skipped" >"$out/counts"
[ "$failed" = 0 ]
