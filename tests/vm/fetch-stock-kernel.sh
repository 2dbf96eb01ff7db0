#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's current stock 6.1 kernel (image, modules and headers) with
# apt-get download and unpack it into the cache; nothing is installed on the
# host. Prints the unpacked root on stdout (with --kdir: the headers tree to
# build modules against). Layout of that root:
#   boot/vmlinuz-$KVER, lib/modules/$KVER (with modules.dep),
#   usr/src/linux-headers-$KVER (usable as KDIR).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

print_result() {
	if [ "$want_kdir" = 1 ]; then
		echo "$out/usr/src/linux-headers-$kver"
	else
		echo "$out"
	fi
}

want_kdir=0
[ "${1:-}" = --kdir ] && want_kdir=1

abi=${MPROX_STOCK_ABI:-$(debian_kernel_abi)}
[ -n "$abi" ] || die "cannot find the linux-image-amd64 dependency (apt-get update?)"
kver=$abi-amd64
out=$MPROX_CACHE/stock/$kver

# One builder at a time per cache entry; the others wait and reuse it.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9

if [ -f "$out/.mprox-unpacked" ]; then
	print_result
	exit 0
fi

log "fetching Debian kernel $kver"
rm -rf "$out" "$out.debs"
mkdir -p "$out.debs"
common=linux-headers-$abi-common
kbuild=$(apt-cache depends "linux-headers-$kver" |
	sed -n 's/.*Depends: \(linux-kbuild-6\.1[^ ]*\)$/\1/p' | head -n 1)
[ -n "$kbuild" ] || die "cannot find the linux-kbuild package for $kver"
(cd "$out.debs" && apt-get download -q "linux-image-$kver" \
	"linux-headers-$kver" "$common" "$kbuild" >&2)

mkdir -p "$out"
for deb in "$out.debs"/*.deb; do
	dpkg-deb -x "$deb" "$out"
done
rm -rf "$out.debs"

relocate_debian_headers "$out" "$out/usr/src/linux-headers-$kver"

# The .deb ships no modules.dep; modprobe in the guest needs one.
depmod -b "$out" "$kver"
touch "$out/.mprox-unpacked"
print_result
