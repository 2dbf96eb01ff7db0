#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/compat/fetch-headers.sh SUITE
#
# Fetch Debian's linux-headers for another release (bullseye: 5.10,
# bookworm-backports: 6.12) and unpack them into the cache, so the module
# can be compiled against that kernel. Nothing is installed and the host's
# apt configuration is not touched: apt runs with a private sources list,
# lists and cache under the cache directory, and checks the Release
# signatures with the Debian archive keyring (debian_apt_init in
# tests/vm/lib.sh). Prints the headers tree (usable as KDIR) on stdout.
# Cached: the second run only prints. (tests/vm/fetch-stock-kernel.sh
# fetches the whole kernel of these suites, image and modules too, for the
# VM suite.)
#
# The kernel ABI is whatever linux-headers-amd64 of that suite depends on
# today; it is never written down here.
set -euo pipefail
. "$(dirname "$0")/../vm/lib.sh"

suite=${1:-}
case "$suite" in
bullseye | bookworm-backports) ;;
*) die "usage: $0 bullseye|bookworm-backports" ;;
esac

cache=$MPROX_CACHE/compat
out=$cache/$suite

mkdir -p "$cache"
# One fetch per suite at a time; a second run waits and then finds the
# marker.
exec 9>"$cache/.$suite.lock"
flock 9

if [ -f "$out/.mprox-unpacked" ]; then
	cat "$out/.mprox-kdir"
	exit 0
fi

debian_apt_init "$suite"
abi=$(debian_kernel_abi linux-headers-amd64)
[ -n "$abi" ] || die "$suite: no linux-headers-*-amd64 dependency of linux-headers-amd64"
headers=$(debian_headers_packages "$abi")
log "$suite: $headers"
read -r -a headers <<<"$headers"

rm -rf "$out" "$out.debs"
mkdir -p "$out.debs"
(cd "$out.debs" && debian_apt apt-get -q download "${headers[@]}" >&2) ||
	die "$suite: apt-get download failed"
mkdir -p "$out"
for deb in "$out.debs"/*.deb; do
	dpkg-deb -x "$deb" "$out"
done
rm -rf "$out.debs"

kdir=$out/usr/src/${headers[0]}
relocate_debian_headers "$out" "$kdir"

echo "$kdir" >"$out/.mprox-kdir"
touch "$out/.mprox-unpacked"
echo "$kdir"
