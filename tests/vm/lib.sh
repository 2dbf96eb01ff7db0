# SPDX-License-Identifier: GPL-2.0
# Shared settings for the VM harness scripts. Sourced, not run.

MPROX_CACHE=${MPROX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mprox}
VM_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$VM_DIR/../.." && pwd)

die() {
	echo "vm: $*" >&2
	exit 1
}

log() {
	echo "vm: $*" >&2
}

# apt for one Debian suite, run as debian_apt CMD ARGS... after
# debian_apt_init SUITE. bookworm is the host's own release and its own apt
# configuration answers for it. Other suites (bullseye: 5.10,
# bookworm-backports: 6.12) get a private apt, so that nothing of the host's
# changes: its own sources list, lists and cache in $MPROX_CACHE/apt/SUITE,
# Release signatures checked with the Debian archive keyring. Its lists are
# kept and refreshed at most once a day: "the current kernel" follows the
# archive without an index download on every run, and a run without
# network still works from the last lists.
DEBIAN_APT_OPTS=()

debian_apt_init() {
	local suite=$1 dir stamp
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	local mirror=${MPROX_DEBIAN_MIRROR:-http://deb.debian.org/debian}

	DEBIAN_APT_OPTS=()
	[ "$suite" = bookworm ] && return 0
	[ -r "$keyring" ] || die "$keyring missing (debian-archive-keyring)"
	dir=$MPROX_CACHE/apt/$suite
	stamp=$dir/updated
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" \
		"$dir/etc/preferences.d"
	echo "deb [arch=amd64 signed-by=$keyring] $mirror $suite main" \
		>"$dir/etc/sources.list"
	[ -f "$dir/status" ] || : >"$dir/status"
	DEBIAN_APT_OPTS=(
		-o "Dir::Etc::SourceList=$dir/etc/sources.list"
		-o Dir::Etc::SourceParts=/dev/null
		-o "Dir::Etc::Preferences=$dir/etc/preferences"
		-o "Dir::Etc::PreferencesParts=$dir/etc/preferences.d"
		-o "Dir::State::Lists=$dir/lists"
		-o "Dir::State::status=$dir/status"
		-o "Dir::Cache=$dir/cache"
		-o APT::Architecture=amd64
		-o APT::Architectures::=amd64
		-o APT::Sandbox::User=root
		-o Acquire::Languages=none
		-o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false
	)
	# One update per suite at a time; the others wait and use its lists.
	(
		flock 8
		[ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ] || exit 0
		log "$suite: apt-get update (private lists, signatures checked)"
		if debian_apt apt-get -q update >&2; then
			touch "$stamp"
		elif [ -f "$stamp" ]; then
			log "$suite: apt-get update failed; using the lists of $(date -r "$stamp" +%F)"
		else
			die "$suite: apt-get update failed"
		fi
	) 8>"$dir.lock" || exit 1
}

debian_apt() {
	"$@" "${DEBIAN_APT_OPTS[@]}"
}

# Depends: lines of one package in the suite of debian_apt_init, one name
# per line (alternatives and version constraints dropped).
debian_depends() {
	debian_apt apt-cache depends --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances "$1" |
		sed -n 's/^ *|\{0,1\}Depends: \([^ <>]*\)$/\1/p'
}

# The kernel ABI (6.1.0-NN, 5.10.0-NN, 6.12.NN+bpo) is whatever the
# suite's linux-image-amd64 (or linux-headers-amd64) depends on today; it
# moves with every point release, so it is never written down here.
debian_kernel_abi() {
	local meta=${1:-linux-image-amd64} pkg

	pkg=$(debian_depends "$meta" | grep -m1 '^linux-[a-z]*-[0-9].*-amd64$') || return 0
	pkg=${pkg%-amd64}
	echo "${pkg#linux-*-}"
}

# The packages that make a headers tree for ABI: linux-headers-ABI-amd64,
# the -common half it includes, and the linux-kbuild-* it names (6.1:
# linux-kbuild-6.1; 6.12: linux-kbuild-6.12.NN+bpo).
debian_headers_packages() {
	local abi=$1 deps common kbuild

	deps=$(debian_depends "linux-headers-$abi-amd64")
	common=$(grep -m1 "^linux-headers-$abi-common\$" <<<"$deps") ||
		die "linux-headers-$abi-amd64 does not depend on linux-headers-$abi-common"
	kbuild=$(grep -m1 '^linux-kbuild-' <<<"$deps") ||
		die "linux-headers-$abi-amd64 names no linux-kbuild package"
	echo "linux-headers-$abi-amd64 $common $kbuild"
}

# The compiler a Debian headers tree was made with, if installed; else the
# host's gcc (printed: pass it as CC=). Debian's 5.10 names gcc-10, which
# bookworm does not have: gcc-12 builds it without a warning.
pick_cc() {
	local kdir=$1 want
	want=$(sed -n 's/^CC = .*[) ]\(gcc-[0-9.]*\)$/\1/p' "$kdir/.kernelvariables" 2>/dev/null)
	if [ -z "$want" ] || command -v "$want" >/dev/null ||
		command -v "x86_64-linux-gnu-$want" >/dev/null; then
		return 0
	fi
	echo gcc
}

# Make an unpacked Debian linux-headers tree usable as KDIR in place: its
# Makefile includes the -common half by absolute path and some links point
# into /usr/lib/linux-kbuild-*; repoint both into the unpacked root.
relocate_debian_headers() {
	local root=$1 kdir=$2 link target

	[ -f "$kdir/Makefile" ] || die "$kdir/Makefile missing"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
	find "$root" -type l | while read -r link; do
		target=$(readlink "$link")
		case "$target" in
		/usr/*) ln -sfn "$root$target" "$link" ;;
		esac
	done
}
