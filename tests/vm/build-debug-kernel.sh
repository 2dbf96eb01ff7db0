#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel the VM suite runs on: Debian's linux-source-6.1,
# ARCH=x86_64 allnoconfig plus debug-kernel.config. The result is cached by a
# hash of the source tarball's version and the fragment, so a second run is
# free. Prints the build directory (usable as KDIR) on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$VM_DIR/debug-kernel.config
[ -r "$tarball" ] || die "$tarball missing: run 'make deps' (package linux-source-6.1)"

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1)
key=$( (echo "$srcver"; cat "$fragment") | sha256sum | cut -c1-16)
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

kmake -s bzImage modules >"$out/build.log" 2>&1 || {
	tail -n 50 "$out/build.log" >&2
	die "debug kernel build failed (full log: $out/build.log)"
}
touch "$out/.mprox-built"
echo "$out"
