#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
#   tests/vm/fetch-stock-kernel.sh [--kdir] [SUITE]
#
# Fetch the current stock kernel (image, modules and headers) of a Debian
# suite with apt-get download and unpack it into the cache; nothing is
# installed on the host. SUITE: bookworm (default, 6.1, through the host's
# apt), bullseye (5.10) or bookworm-backports (6.12), both through a private
# apt (lib.sh). Prints the unpacked root on stdout (with --kdir: the headers
# tree to build modules against). Layout of that root:
#   boot/vmlinuz-$KVER, lib/modules/$KVER (with modules.dep),
#   usr/src/linux-headers-$KVER (usable as KDIR).
# MPROX_STOCK_ABI=6.1.0-NN pins bookworm's ABI.
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
[ "${1:-}" = --kdir ] && want_kdir=1 && shift
suite=${1:-bookworm}
case $suite in
bookworm | bullseye | bookworm-backports) ;;
*) die "usage: $0 [--kdir] [bookworm|bullseye|bookworm-backports]" ;;
esac

debian_apt_init "$suite"
abi=$(debian_kernel_abi linux-image-amd64)
[ "$suite" != bookworm ] || abi=${MPROX_STOCK_ABI:-$abi}
[ -n "$abi" ] || die "$suite: cannot find the linux-image-amd64 dependency (apt-get update?)"
kver=$abi-amd64
# The ABI names the release (6.1.0-NN, 5.10.0-NN, 6.12.NN+bpo): one
# directory for all suites.
out=$MPROX_CACHE/stock/$kver

# One builder at a time per cache entry; the others wait and reuse it.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9

if [ -f "$out/.mprox-unpacked" ]; then
	print_result
	exit 0
fi

log "$suite: fetching Debian kernel $kver"
rm -rf "$out" "$out.debs"
mkdir -p "$out.debs"
headers=$(debian_headers_packages "$abi")
read -r -a headers <<<"$headers"
(cd "$out.debs" && debian_apt apt-get -q download "linux-image-$kver" "${headers[@]}" >&2) ||
	die "$suite: apt-get download failed"

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
