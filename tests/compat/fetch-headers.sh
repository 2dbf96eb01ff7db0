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
# signatures with the Debian archive keyring. Prints the headers tree
# (usable as KDIR) on stdout. Cached: the second run only prints.
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

cache=${MPROX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mprox}/compat
out=$cache/$suite
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
mirror=${MPROX_DEBIAN_MIRROR:-http://deb.debian.org/debian}

mkdir -p "$cache"
# One fetch per suite at a time; a second run waits and then finds the
# marker.
exec 9>"$cache/.$suite.lock"
flock 9

if [ -f "$out/.mprox-unpacked" ]; then
	cat "$out/.mprox-kdir"
	exit 0
fi

[ -r "$keyring" ] || die "$keyring missing (debian-archive-keyring)"

# A private apt: its own sources, lists and cache; the host's
# sources.list.d, preferences and state are not read for indexes.
apt_dir=$cache/.apt-$suite
rm -rf "$apt_dir"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	"$apt_dir/etc/preferences.d"
cat >"$apt_dir/etc/sources.list" <<EOF
deb [arch=amd64 signed-by=$keyring] $mirror $suite main
EOF
: >"$apt_dir/status"
apt_opts=(
	-o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::Etc::Preferences=$apt_dir/etc/preferences"
	-o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::State::status=$apt_dir/status"
	-o "Dir::Cache=$apt_dir/cache"
	-o APT::Architecture=amd64
	-o APT::Architectures::=amd64
	-o APT::Sandbox::User=root
	-o Acquire::Languages=none
	-o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false
)
private_apt() {
	"$@" "${apt_opts[@]}"
}

log "$suite: apt-get update (private lists, signatures checked)"
private_apt apt-get -q update >&2 || die "$suite: apt-get update failed"

# Depends: lines of one package, as "name" per line (alternatives dropped).
depends_of() {
	private_apt apt-cache depends --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances "$1" |
		sed -n 's/^ *|\{0,1\}Depends: \([^ <>]*\)$/\1/p'
}

headers=$(depends_of linux-headers-amd64 | grep -m1 '^linux-headers-.*-amd64$') ||
	die "$suite: no linux-headers-*-amd64 dependency of linux-headers-amd64"
abi=${headers#linux-headers-}
abi=${abi%-amd64}
deps=$(depends_of "$headers")
common=$(grep -m1 "^linux-headers-$abi-common\$" <<<"$deps") ||
	die "$suite: $headers does not depend on linux-headers-$abi-common"
# bullseye: linux-kbuild-5.10; bookworm-backports: linux-kbuild-6.12.NN+bpo.
kbuild=$(grep -m1 '^linux-kbuild-' <<<"$deps") ||
	die "$suite: $headers names no linux-kbuild package"
log "$suite: $headers, $common, $kbuild"

rm -rf "$out" "$out.debs"
mkdir -p "$out.debs"
(cd "$out.debs" && private_apt apt-get -q download "$headers" "$common" "$kbuild" >&2) ||
	die "$suite: apt-get download failed"
mkdir -p "$out"
for deb in "$out.debs"/*.deb; do
	dpkg-deb -x "$deb" "$out"
done
rm -rf "$out.debs" "$apt_dir"

kdir=$out/usr/src/$headers
relocate_debian_headers "$out" "$kdir"

echo "$kdir" >"$out/.mprox-kdir"
touch "$out/.mprox-unpacked"
echo "$kdir"
