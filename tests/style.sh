#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Style gate: checkpatch.pl --strict on kernel code (driver/, uapi/), taken
# from Debian's linux-source-6.1 because no headers package ships it, and
# clang-format on userspace C. Exits non-zero on any complaint.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

cache=${MPROX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mprox}/checkpatch
tarball=/usr/src/linux-source-6.1.tar.xz
if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	[ -r "$tarball" ] || { echo "style: $tarball missing: make deps" >&2; exit 1; }
	mkdir -p "$cache"
	tar xf "$tarball" -C "$cache" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch || exit 1
fi

rc=0
checkpatch() {
	"$cache/scripts/checkpatch.pl" --strict --no-tree --terse --show-types \
		--summary-file "$@" || rc=1
}

# No file list is no check: outside a checkout, or a git that refuses the
# tree's owner, say so rather than "clean".
if ! git ls-files --error-unmatch -- driver/main.c >/dev/null; then
	echo "style: git cannot list the files to check" >&2
	exit 1
fi
kernel_files=$(git ls-files -co --exclude-standard -- 'driver/*.[ch]' 'uapi/*.h' |
	grep -vx driver/compat.h)
# shellcheck disable=SC2086
[ -z "$kernel_files" ] || checkpatch -f $kernel_files
# The one header whose job is kernel version checks (design.md): only the
# complaints about version checks themselves are waived there.
[ ! -f driver/compat.h ] ||
	checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f driver/compat.h

user_files=$(git ls-files -co --exclude-standard -- 'libmprox/*.[ch]' \
	'ip-helper/*.[ch]' 'tests/*.[ch]')
if [ -n "$user_files" ]; then
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $user_files || rc=1
fi

if [ "$rc" = 0 ]; then
	echo "style: clean"
else
	echo "style: problems above" >&2
fi
exit $rc
