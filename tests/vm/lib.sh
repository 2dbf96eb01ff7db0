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

# The Debian 6.1 kernel ABI is whatever linux-image-amd64 depends on today;
# it moves with every stable point release, so it is never written down here.
debian_kernel_abi() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(6\.1\.[0-9]*-[0-9]*\)-amd64$/\1/p' |
		head -n 1
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
