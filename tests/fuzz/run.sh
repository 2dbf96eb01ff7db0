#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build libFuzzer targets of kernel code and run them.
#
#   tests/fuzz/run.sh [RUNS | SECONDSs] [TARGET...]
#
# A target NAME is tests/fuzz/fuzz_NAME.c, built with driver/NAME.c (and
# tests/shim/kernel_shim.h for the kernel headers) or with the sources
# listed for it below; its seeds are
# tests/fuzz/corpus/NAME and its dictionary tests/fuzz/NAME.dict if there
# is one. Without TARGET, every tests/fuzz/fuzz_*.c is run, one after the
# other.
#
# RUNS (default 300000) inputs per target with a fixed seed: deterministic,
# what make check-unit runs (one target at a time), from an empty working
# corpus each time. SECONDSs (e.g. 60s, what make fuzz runs) fuzzes each
# target for that long and keeps what it learns in build/fuzz/NAME/corpus
# for the next time. Exits non-zero when a target crashes, leaks or breaks
# an invariant (after running the others); the input is left in
# build/fuzz/NAME/. CLANG overrides the compiler (default clang-14, from
# tests/deps.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

arg=${1:-300000}
if [[ $arg =~ ^[0-9]+$ ]]; then
	limit=(-runs="$arg")
	corpus_name="corpus-runs"
elif [[ $arg =~ ^[0-9]+s$ ]]; then
	limit=(-max_total_time="${arg%s}")
	corpus_name=corpus
else
	echo "usage: $0 [RUNS | SECONDSs] [TARGET...]" >&2
	exit 2
fi
shift $(($# > 0 ? 1 : 0))

# Targets whose code is more than driver/NAME.c: their sources. The
# userspace ones also have their longest input (a file of several lines
# rather than one line or packet).
declare -A sources=(
	[conf]="ip-helper/conf.c ip-helper/cgroup_path.c ip-helper/cidr.c driver/parse.c driver/dns.c"
	[url]="ip-helper/url.c"
	[cgroup_path]="ip-helper/cgroup_path.c"
	[cidr]="ip-helper/cidr.c"
	[cli]="ip-helper/cli.c"
	[parse]="driver/parse.c driver/rule.c driver/dns.c"
	[http]="driver/http.c driver/dest.c"
	[socks4]="driver/socks4.c driver/dest.c"
	[socks5_udp]="driver/socks5_udp.c driver/socks5.c"
)
declare -A max_len=(
	[conf]=8192
)

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do
		[ -e "$src" ] || continue
		name=${src#tests/fuzz/fuzz_}
		targets+=("${name%.c}")
	done
fi

rc=0
for name in "${targets[@]}"; do
	src=tests/fuzz/fuzz_$name.c
	read -ra srcs <<<"${sources[$name]:-driver/$name.c}"
	missing=
	for f in "$src" "${srcs[@]}"; do
		[ -f "$f" ] || missing=$f
	done
	if [ -n "$missing" ]; then
		echo "fuzz: no target '$name' ($missing is missing)" >&2
		rc=1
		continue
	fi
	out=$top/build/fuzz/$name
	corpus=$out/$corpus_name
	[ "$corpus_name" = corpus ] || rm -rf "$corpus"
	mkdir -p "$corpus"
	seeds=()
	[ ! -d "tests/fuzz/corpus/$name" ] || seeds=("tests/fuzz/corpus/$name")

	echo "fuzz: $name" >&2
	"${CLANG:-clang-14}" -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Itests/shim -Idriver -Iuapi -Iip-helper \
		-o "$out/fuzz_$name" "$src" "${srcs[@]}"

	dict=()
	[ ! -f "tests/fuzz/$name.dict" ] || dict=(-dict="tests/fuzz/$name.dict")
	# New inputs go to the first directory, never to the seeds in git.
	"$out/fuzz_$name" -seed=1 "${limit[@]}" -max_len="${max_len[$name]:-2048}" -timeout=10 \
		"${dict[@]}" \
		-artifact_prefix="$out/" -print_final_stats=1 \
		"$corpus" "${seeds[@]}" || rc=1
done
exit $rc
