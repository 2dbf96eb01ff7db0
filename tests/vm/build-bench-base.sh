#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/vm/build-bench-base.sh REV OUT: mprox.ko of git revision REV, built for
# the stock guest kernel the bench boots, as OUT. make bench BENCH_BASE=REV
# loads it in turn with this tree's module, in the same guest, so that a
# change to the driver is judged against the driver before it run by run:
# the spread between two bench runs of one driver is larger than most
# changes (docs/performance.md).
set -euo pipefail

VM_DIR=$(cd "$(dirname "$0")" && pwd)
. "$VM_DIR/lib.sh"

rev=${1:?usage: build-bench-base.sh REV OUT}
out=${2:?usage: build-bench-base.sh REV OUT}
commit=$(git -C "$TOP_DIR" rev-parse --verify --quiet "$rev^{commit}") ||
	die "BENCH_BASE: '$rev' is not a commit of this repository"

root=$("$VM_DIR/fetch-stock-kernel.sh" bookworm)
kver=$(basename "$root")
kdir=$root/usr/src/linux-headers-$kver
src=$TOP_DIR/build/bench/base-src
rm -rf "$src"
mkdir -p "$src"
# The whole tree of REV: its Makefile is what builds its module.
git -C "$TOP_DIR" archive "$commit" | tar -x -C "$src"
cc=$(pick_cc "$kdir")
make -s -C "$src" kmod KDIR="$kdir" MPROX_VERSION="base-${commit:0:12}" \
	${cc:+CC="$cc"} >&2
mkdir -p "$(dirname "$out")"
cp "$src/driver/mprox.ko" "$out"
echo "${commit:0:12}" >"$out.rev"
log "bench: the base driver, ${commit:0:12} ($rev), is $out"
