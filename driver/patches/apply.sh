#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# driver/patches/apply.sh KSRC: make the kernel source tree KSRC build mprox
# in tree, with the mprox_create() system call.
#
#   1. the driver (driver/: its sources, Kbuild and Kconfig) goes to
#      KSRC/drivers/net/mprox/ and its uapi header to
#      KSRC/include/uapi/linux/mprox.h: copied, so that the series never
#      holds a second copy of the source;
#   2. the series for KSRC's version (driver/patches/MAJOR.MINOR/*.patch,
#      git format-patch style) is applied with patch -p1: the hooks into
#      drivers/net, the system call's stub and its numbers.
#
# Then CONFIG_MPROX=y or m (and CONFIG_MPROX_KUNIT_TEST for the KUnit
# suites). Refuses a tree the series is already applied to, or one it does
# not apply to, without touching it. KSRC's version picks the series; a
# version with none is an error (docs/syscall.md says which there are).
#
# driver/patches/apply.sh --format-patch OUTDIR KSRC: leave KSRC alone and
# write the series for it to OUTDIR as self-contained patches (git
# format-patch), the first one carrying the driver's files as they are
# now: for trees where this script cannot run, for git am, or to send.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
die() {
	echo "apply.sh: $*" >&2
	exit 1
}

format=""
if [ $# = 3 ] && [ "$1" = --format-patch ]; then
	format=$2
	shift 2
fi
[ $# = 1 ] || die "usage: driver/patches/apply.sh [--format-patch OUTDIR] KSRC"
ksrc=$1
[ -f "$ksrc/Makefile" ] && [ -d "$ksrc/drivers/net" ] || die "$ksrc: not a kernel source tree"
ver=$(sed -n 's/^VERSION = //p' "$ksrc/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$ksrc/Makefile")
series=$here/$ver
[ -d "$series" ] || die "no series for Linux $ver (there are: $(cd "$here" && ls -d [0-9]* | tr '\n' ' '))"
[ -n "$format" ] || [ ! -e "$ksrc/drivers/net/mprox" ] ||
	die "$ksrc/drivers/net/mprox exists: applied already?"

# copy_driver DEST: the driver's files into the kernel tree DEST: what git
# has or would take under driver/ (tracked or new, not ignored build
# output), or, outside a git checkout, its sources by name; with the
# version the module reports (modinfo, the JSON) fixed at copy time.
copy_driver() {
	local dest=$1 files f
	mkdir -p "$dest/drivers/net/mprox" "$dest/include/uapi/linux"
	if files=$(git -C "$top" ls-files --cached --others --exclude-standard -- driver 2>/dev/null) &&
		[ -n "$files" ]; then
		files=$(grep -E '^driver/([^/]+\.[ch]|Kbuild|Kconfig)$' <<<"$files")
	else
		files=""
		for f in "$top"/driver/*.[ch] "$top/driver/Kbuild" "$top/driver/Kconfig"; do
			[[ $f == *.mod.c ]] || files+=" driver/${f##*/}"
		done
	fi
	for f in $files; do
		cp "$top/$f" "$dest/drivers/net/mprox/"
	done
	cp "$top/uapi/linux/mprox.h" "$dest/include/uapi/linux/mprox.h"
	sed -i "s/^MPROX_VERSION ?= unknown\$/MPROX_VERSION ?= $version/" "$dest/drivers/net/mprox/Kbuild"
}
# copy_touched DEST: the files of KSRC the series changes, into DEST.
copy_touched() {
	local f
	for f in $(sed -n 's|^+++ b/||p' "$series"/*.patch | sort -u); do
		if [ -e "$ksrc/$f" ]; then
			mkdir -p "$1/$(dirname "$f")"
			cp "$ksrc/$f" "$1/$f"
		fi
	done
}
version=$(git -C "$top" describe --always --dirty --tags 2>/dev/null || echo unknown)

# The whole series must apply before anything is changed: tried first on
# a copy of the files it touches. --forward: a patch that looks applied
# already (or creates a file that exists) is an error, never reversed.
trial=$(mktemp -d)
trap 'rm -rf "$trial"' EXIT
copy_touched "$trial"
for p in "$series"/*.patch; do
	patch -p1 -d "$trial" --forward --batch --silent -F0 <"$p" >/dev/null ||
		die "$(basename "$p") does not apply to $ksrc"
done

if [ -n "$format" ]; then
	# The trial copy becomes a git repository: the first patch is
	# committed with the driver's files, the others as they are.
	git_t() {
		git -C "$trial" -c user.name=apply.sh -c user.email=apply.sh@localhost "$@"
	}
	rm -rf "$trial" && mkdir "$trial"
	copy_touched "$trial"
	git_t init -q
	git_t add -A
	git_t commit -q -m base
	set -- "$series"/*.patch
	git_t am -q "$1"
	copy_driver "$trial"
	git_t add -A
	git_t commit -q --amend --no-edit
	shift
	git_t am -q "$@"
	mkdir -p "$format"
	git_t format-patch -q -o "$(cd "$format" && pwd)" HEAD~$(($# + 1))..HEAD
	echo "apply.sh: mprox $version and the $(basename "$series") series as $(($# + 1)) patches in $format"
	exit 0
fi

copy_driver "$ksrc"

for p in "$series"/*.patch; do
	patch -p1 -d "$ksrc" --forward --batch --silent -F0 <"$p" || die "$(basename "$p") failed half-way"
done
echo "apply.sh: mprox $version and the $(basename "$series") series ($(ls "$series"/*.patch | wc -l) patches) in $ksrc"
