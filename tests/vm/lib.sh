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
