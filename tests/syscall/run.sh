#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The mprox_create() series (driver/patches/) where the VM suite does not
# boot it, compiled: tests/syscall/run.sh TARGET...
#   x86_64-6.12  Debian's linux-source-6.12 with the 6.12 series: the
#                system call's stub, sys_ni and the x86_64 and i386 tables,
#                and the driver's objects built in tree (make check)
#   arm64-6.1    Debian's linux-source-6.1 with the 6.1 series, cross
#   arm64-6.12   compiled with gcc-aarch64-linux-gnu: the stub, the generic
#                table and arm64's AArch32 one, and the driver's objects
#                (make check-arm64)
# (x86_64 on 6.1 is the debug kernel of the VM suite, booted and tested.)
# Each target: the source unpacked, the series applied (apply.sh), an
# allnoconfig kernel with networking, modules and mprox, its build tree
# prepared, then those objects built. A target that passed is not built
# again until its inputs change (the source's version, the series, the
# driver and its uapi header): the record is kept in $MPROX_CACHE/syscall.
# Prints TAP; writes "passed failed skipped" to build/syscall/counts.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${MPROX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mprox}/syscall
out=$top/build/syscall
mkdir -p "$cache" "$out"
passed=0 failed=0 n=0

# build TARGET: 0 when every object of TARGET built.
build() {
	local target=$1 arch cross="" series srcpkg tarball key dir objs log f srcs
	case $target in
	x86_64-6.12)
		arch=x86_64 srcpkg=linux-source-6.12 series=6.12
		objs="drivers/net/mprox_syscall.o kernel/sys_ni.o arch/x86/entry/syscall_64.o
		      arch/x86/entry/syscall_32.o"
		;;
	arm64-6.1 | arm64-6.12)
		series=${target#arm64-}
		arch=arm64 srcpkg=linux-source-$series cross=aarch64-linux-gnu-
		objs="drivers/net/mprox_syscall.o kernel/sys_ni.o arch/arm64/kernel/sys.o
		      arch/arm64/kernel/sys32.o"
		;;
	*)
		echo "# unknown target $target"
		return 1
		;;
	esac
	tarball=/usr/src/$srcpkg.tar.xz
	log=$out/$target.log
	[ -r "$tarball" ] || { echo "# $tarball missing: make deps"; return 1; }
	if [ -n "$cross" ] && ! command -v "${cross}gcc" >/dev/null; then
		echo "# ${cross}gcc missing: make deps"
		return 1
	fi
	# The driver's sources, not what a build leaves beside them (*.mod.c).
	srcs=()
	for f in "$top"/driver/*.[ch]; do
		[[ $f == *.mod.c ]] || srcs+=("$f")
	done
	key=$( (dpkg-query -W -f '${Version}' "$srcpkg"; echo "$target"
		cat "$top/driver/patches/$series"/*.patch "${srcs[@]}" "$top/driver/Kbuild" \
			"$top/driver/Kconfig" "$top/uapi/linux/mprox.h" "$top/driver/patches/apply.sh" \
			"$0") | sha256sum | cut -c1-16)
	if [ -f "$cache/$target.$key.passed" ]; then
		echo "# $target: passed before with these inputs ($(cat "$cache/$target.$key.passed"))"
		return 0
	fi
	dir=$(mktemp -d "$out/$target.XXXXXX")
	# Not "if ! ( ... )": a subshell whose status is tested runs with
	# set -e ignored, and every check in it would pass. For the same
	# reason build() is not called as an "if" condition.
	# shellcheck disable=SC2086 # objs is a list
	(
		set -e
		kmake() {
			make -C "$dir" ARCH=$arch CROSS_COMPILE=$cross "$@"
		}
		tar xf "$tarball" -C "$dir" --strip-components=1
		"$top/driver/patches/apply.sh" "$dir"
		# Applied twice: refused, and the tree left as it was, whether
		# the driver's directory is there or not (then --forward).
		sums=$(cat "$dir/drivers/net/Makefile" "$dir/kernel/sys_ni.c" | md5sum)
		if "$top/driver/patches/apply.sh" "$dir"; then
			echo "applied twice"
			exit 1
		fi
		mv "$dir/drivers/net/mprox" "$dir/mprox.moved"
		if "$top/driver/patches/apply.sh" "$dir"; then
			echo "the series applied over itself"
			exit 1
		fi
		[ ! -e "$dir/drivers/net/mprox" ]
		mv "$dir/mprox.moved" "$dir/drivers/net/mprox"
		[ "$(cat "$dir/drivers/net/Makefile" "$dir/kernel/sys_ni.c" | md5sum)" = "$sums" ]
		printf 'CONFIG_%s\n' 64BIT=y MODULES=y NET=y INET=y IPV6=y NETDEVICES=y NET_CORE=y \
			IA32_EMULATION=y COMPAT=y MPROX=m >"$dir/mprox.config"
		kmake -s allnoconfig KCONFIG_ALLCONFIG="$dir/mprox.config"
		grep -qx 'CONFIG_MPROX_SYSCALL=y' "$dir/.config"
		kmake -s -j"$(nproc)" prepare
		kmake -j"$(nproc)" $objs
		# The driver's directory as the kernel builds it (Kbuild's in-tree
		# branch); linking mprox.ko would need a whole vmlinux.
		kmake -j"$(nproc)" drivers/net/mprox/
		for o in $objs drivers/net/mprox/mprox.o; do
			[ -s "$dir/$o" ] || { echo "$o was not built"; exit 1; }
		done
	) >"$log" 2>&1
	# shellcheck disable=SC2181 # see above
	if [ $? -ne 0 ]; then
		tail -n 30 "$log" | sed 's/^/# /'
		rm -rf "$dir"
		return 1
	fi
	rm -rf "$dir"
	date -u +%F >"$cache/$target.$key.passed"
	return 0
}

targets=${*:-x86_64-6.12}
for t in $targets; do
	n=$((n + 1))
	start=$SECONDS
	build "$t"
	# shellcheck disable=SC2181 # build's checks need set -e (see there)
	if [ $? -eq 0 ]; then
		echo "ok $n - mprox_create() series, $t: applies and builds ($((SECONDS - start)) s)"
		passed=$((passed + 1))
	else
		echo "not ok $n - mprox_create() series, $t: see build/syscall/$t.log"
		failed=$((failed + 1))
	fi
done
echo "1..$n"
echo "$passed $failed 0" >"$out/counts"
[ "$failed" = 0 ]
