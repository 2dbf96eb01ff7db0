#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the libFuzzer target of the directive parser and run it.
#
#   tests/fuzz/run.sh [RUNS | SECONDSs]
#
# RUNS (default 300000) inputs with a fixed seed: deterministic, what
# make check-unit runs, from an empty working corpus each time. SECONDSs
# (e.g. 60s, what make fuzz runs) fuzzes for that long and keeps what it
# learns in build/fuzz/corpus for the next time. The seeds are
# tests/fuzz/corpus/parse. Exits non-zero when the target crashes, leaks or
# breaks an invariant; the input is left in build/fuzz/. CLANG overrides
# the compiler (default clang-14, from tests/deps.sh).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=$top/build/fuzz
mkdir -p "$out"

arg=${1:-300000}
if [[ $arg =~ ^[0-9]+$ ]]; then
	limit=(-runs="$arg")
	corpus=$out/corpus-runs
	rm -rf "$corpus"
elif [[ $arg =~ ^[0-9]+s$ ]]; then
	limit=(-max_total_time="${arg%s}")
	corpus=$out/corpus
else
	echo "usage: $0 [RUNS | SECONDSs]" >&2
	exit 2
fi
mkdir -p "$corpus"

"${CLANG:-clang-14}" -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -g -O1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Itests/shim -Idriver -Iuapi \
	-o "$out/fuzz_parse" tests/fuzz/fuzz_parse.c driver/parse.c

# New inputs go to the first directory, never to the seeds in git.
"$out/fuzz_parse" -seed=1 "${limit[@]}" -max_len=2048 -timeout=10 \
	-dict=tests/fuzz/parse.dict -artifact_prefix="$out/" -print_final_stats=1 \
	"$corpus" tests/fuzz/corpus/parse
