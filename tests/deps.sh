#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every build and test dependency of mprox with apt-get (Debian
# bookworm). Idempotent: when everything is present it changes nothing and
# does not touch the network.
set -euo pipefail

packages=(
	# building the module, libmprox and the mprox command
	build-essential gcc-12 make bc bison flex libelf-dev libssl-dev kmod
	pkg-config libnl-3-dev libnl-route-3-dev rsync
	# the mprox command: JSON (the device's document and -j output) and
	# its nftables table
	libjson-c-dev libnftables-dev
	# man -l renders the man pages in the install test; systemd-analyze
	# verifies the unit
	man-db groff-base systemd
	# the debug kernel and checkpatch come from Debian's kernel source;
	# the mprox_create() series for 6.12 is compiled against 6.12's
	# (tests/syscall/run.sh), and for arm64 with the cross compiler
	linux-source-6.1 linux-source-6.12 cpio xz-utils gzip
	gcc-aarch64-linux-gnu
	# the VM harness; pahole (dwarves): Debian's 6.12 headers run it on every
	# module they build (BTF) and the build fails without it; xz-utils and
	# zstd unpack compressed modules for the initramfs (6.12's are .ko.xz)
	qemu-system-x86 busybox-static python3 util-linux procps coreutils
	dwarves zstd
	# style; git: style.sh finds the files to check with git ls-files
	# (without git it would check none and pass), and git describe
	# stamps the version
	clang-format perl git
	# the parser's fuzz target (libFuzzer)
	clang-14 libclang-rt-14-dev
	# what the tests run inside the guest (it sees the host's root); jq
	# reads the status JSON in the cases' polling loops (a python3 start
	# costs 0.5 s in a TCG guest, 1.4 s on the debug kernel)
	iproute2 nftables curl socat iperf3 dnsutils tcpdump iputils-ping jq
	# GNU time: the CPU mprox exec takes while it waits (cli-exec)
	time
	microsocks dante-server tinyproxy squid
	# the tools make bench compares mprox with, and its plots; the DNS
	# server its fake-IP answers are compared with, and that udp-assoc
	# forwards queries to
	proxychains4 redsocks gnuplot-nox dnsmasq-base
	# make bench BENCH_PERF=1: the profiles in the guest
	linux-perf
	# make check-fresh: a minimal bookworm to run the build and tests in
	debootstrap
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[ "${status:0:2}" = ii ] || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
