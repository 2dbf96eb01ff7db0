#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel the VM suite runs on: Debian's linux-source-6.1
# with mprox's patch series (driver/patches/apply.sh: the driver in tree and
# the mprox_create() system call), ARCH=x86_64 allnoconfig plus
# debug-kernel.config, and its uapi headers installed in usr/include (what
# libmprox is built against to have __NR_mprox_create). The result is
# cached by a hash of the source tarball's version, the fragment and the
# series, so a second run is free; the in-tree driver is the one of the
# build (the suite builds its module from the working tree each run).
# Prints the build directory (usable as KDIR) on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$VM_DIR/debug-kernel.config
[ -r "$tarball" ] || die "$tarball missing: run 'make deps' (package linux-source-6.1)"

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
series=$TOP_DIR/driver/patches/6.1
key=$( (echo "$srcver"; cat "$fragment" "$series"/*.patch) | sha256sum | cut -c1-16)
out=$MPROX_CACHE/debug-kernel/$key

# One builder at a time per cache entry; the others wait and reuse it.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9

if [ -f "$out/.mprox-built" ]; then
	echo "$out"
	exit 0
fi

log "building debug kernel $srcver (config $key) in $out; this takes several minutes"
rm -rf "$out"
mkdir -p "$out"
tar xf "$tarball" -C "$out" --strip-components=1
"$TOP_DIR/driver/patches/apply.sh" "$out" >&2

kmake() {
	make -C "$out" ARCH=x86_64 -j"$(nproc)" "$@"
}

kmake -s allnoconfig KCONFIG_ALLCONFIG="$fragment"
kmake -s olddefconfig

# An option that olddefconfig dropped (missing dependency, renamed symbol)
# would silently give a weaker kernel than the suite claims to test on.
missing=0
while IFS='=' read -r opt want; do
	got=$(sed -n "s/^$opt=//p" "$out/.config")
	[ -n "$got" ] || got=n
	if [ "$got" != "$want" ]; then
		echo "vm: $opt=$want requested, .config has $got" >&2
		missing=1
	fi
done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment")
[ "$missing" = 0 ] || die "debug kernel config is missing requested options"

kmake -s bzImage modules headers_install INSTALL_HDR_PATH="$out/usr" >"$out/build.log" 2>&1 || {
	tail -n 50 "$out/build.log" >&2
	die "debug kernel build failed (full log: $out/build.log)"
}
grep -q '__NR_mprox_create' "$out/usr/include/asm/unistd_64.h" ||
	die "the debug kernel's headers have no __NR_mprox_create"
touch "$out/.mprox-built"
echo "$out"
