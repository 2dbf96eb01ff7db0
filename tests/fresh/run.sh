#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-fresh: does a fresh Debian bookworm machine pass? The answer
# to "works on my machine": debootstrap a minimal bookworm (minbase) into
# build/fresh/root, copy the committed tree into it (git archive HEAD:
# uncommitted changes are not tested, and there is no .git, so the version
# stamp reads "unknown"), and in a chroot run what README.md tells a
# developer to run on a new machine:
#
#   apt-get install make     (as .ci/run does: only make may be missing)
#   make deps                (tests/deps.sh: everything else)
#   make
#   make check-unit
#   make check-compat
#
# Nothing but make is installed before make deps, so a package missing
# from tests/deps.sh fails here and not on the next person's machine. The
# chroot has its own HOME, so the kernel headers and every other cache are
# fetched again inside it: nothing from the host's ~/.cache/mprox hides a
# missing step. Only the bare debootstrap result is cached, as a tarball
# per day in ${MPROX_CACHE:-~/.cache/mprox}/fresh/ (installed packages are
# never cached). Not run: style (the copy has no .git for git ls-files)
# and the VM suites (half an hour more); make deps installs their tools
# from the same list, but they are not exercised.
#
# Prints the wall time of each step and ends with "N passed, N failed" (one
# per step). Once the chroot is set up every step runs even if an earlier
# one failed, so that one run shows everything a fresh machine lacks; the
# exit status is non-zero if any step failed. The mounts are always
# undone. The chroot is removed after a clean run and kept after a failed
# one, to look into (chroot build/fresh/root). Needs root (debootstrap,
# mount, chroot); run as a user, it re-runs itself with sudo.
#
# Environment: MPROX_DEBIAN_MIRROR (default http://deb.debian.org/debian,
# what this machine's apt sources use; the security suite comes from
# debian-security beside it), MPROX_CACHE.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"

if [ "$(id -u)" != 0 ]; then
	# sudo resets the environment: pass on what this script reads.
	env_args=()
	for v in MPROX_CACHE MPROX_DEBIAN_MIRROR; do
		[ -z "${!v:-}" ] || env_args+=("$v=${!v}")
	done
	exec sudo "${env_args[@]}" "$0" "$@"
fi

out=$top/build/fresh
root=$out/root
logs=$out/logs
cache=${MPROX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mprox}/fresh
mirror=${MPROX_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# deb.debian.org serves both archives; another mirror usually does too.
security=${mirror%/debian}/debian-security
suite=bookworm
# One tarball a day: new point releases and security updates get in by the
# next day, and a day's runs start in seconds.
tarball=$cache/$suite-minbase-$(date -u +%Y%m%d).tar

die() {
	echo "fresh: $*" >&2
	exit 1
}

for tool in debootstrap git tar chroot mount; do
	command -v "$tool" >/dev/null || die "$tool missing: make deps"
done

# Mount points under the chroot, deepest first (as umount needs them).
mounts_under() {
	awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' \
		/proc/self/mountinfo | sort -r
}

# Whatever is still running inside the chroot was started by this script
# (a daemon a package's postinst left behind, say) and would keep its
# mounts busy.
kill_chroot_procs() {
	local p sig found
	for sig in TERM KILL; do
		found=0
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] || continue
			kill -s "$sig" "${p#/proc/}" 2>/dev/null && found=1
		done
		[ "$found" = 0 ] || sleep 1
	done
}

unmount_all() {
	local m
	[ -n "$(mounts_under)" ] || return 0
	kill_chroot_procs
	for m in $(mounts_under); do
		umount "$m" || umount -l "$m" || echo "fresh: cannot unmount $m" >&2
	done
}

# Never remove a tree with something mounted in it: rm would walk into
# /proc and /sys. --one-file-system is the second line of defence.
remove_root() {
	unmount_all
	[ -z "$(mounts_under)" ] || die "still mounted under $root: $(mounts_under | tr '\n' ' ')"
	rm -rf --one-file-system "$root"
}

# The logs belong to whoever ran make check-fresh, so that make clean
# works without sudo.
cleanup() {
	unmount_all
	[ -z "${SUDO_UID:-}" ] || chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$logs" 2>/dev/null || true
}
trap cleanup EXIT
# So that an interrupted run still unmounts (the EXIT trap runs on exit).
trap 'echo "fresh: interrupted" >&2; exit 130' INT TERM HUP

steps=() results=() times=()
passed=0 failed=0 skipped=0

# run_step NAME COMMAND...: run it with its output shown and logged in
# build/fresh/logs/, and record its result and wall time.
run_step() {
	local name=$1 log start rc
	shift
	log=$logs/$((${#steps[@]} + 1))-${name// /-}.log
	echo
	echo "==== $name"
	start=$(date +%s)
	set +e
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	steps+=("$name")
	times+=($(($(date +%s) - start)))
	if [ "$rc" = 0 ]; then
		results+=(ok)
		passed=$((passed + 1))
	else
		results+=(FAILED)
		failed=$((failed + 1))
		echo "fresh: step '$name' failed (status $rc, log: $log)"
	fi
	echo "fresh: $name: ${times[-1]} s"
	return "$rc"
}

skip_step() {
	steps+=("$1")
	results+=("not run")
	times+=(0)
	skipped=$((skipped + 1))
}

# The bare system: today's tarball if there is one, else debootstrap and
# keep the result as today's tarball (older ones are removed). The setup
# functions run where errexit is off (in run_step's pipeline, under an
# if), hence the explicit returns.
bare_system() {
	mkdir -p "$cache" || return
	if [ -f "$tarball" ]; then
		echo "fresh: unpacking $tarball (debootstrap --variant=minbase $suite, cached today)"
		tar -C "$root" --numeric-owner -xpf "$tarball"
		return
	fi
	debootstrap --variant=minbase "$suite" "$root" "$mirror" || return
	tar -C "$root" --numeric-owner -cpf "$tarball.tmp" . || return
	find "$cache" -maxdepth 1 -name "$suite-minbase-*.tar" ! -name "${tarball##*/}" -delete
	mv -f "$tarball.tmp" "$tarball"
}

# A Debian install's sources (the release, its updates and security, as
# this host has them; debootstrap writes only the release), and no
# services started by maintainer scripts: with no systemd running in the
# chroot, invoke-rc.d would run dante's, tinyproxy's and squid's init scripts, and
# they would listen on the host's network. Then the committed tree, in
# root's home.
setup_tree() {
	[ -d "$root/etc/apt" ] || return
	printf 'deb %s %s main\n' "$mirror" "$suite" "$mirror" "$suite-updates" \
		"$security" "$suite-security" >"$root/etc/apt/sources.list" || return
	printf '#!/bin/sh\n# check-fresh: no services in the chroot\nexit 101\n' \
		>"$root/usr/sbin/policy-rc.d" || return
	chmod 755 "$root/usr/sbin/policy-rc.d" || return
	mkdir -p "$root/root/mprox" || return
	git -C "$top" archive --format=tar HEAD | tar -C "$root/root/mprox" -xf - || return
	echo "fresh: $(git -C "$top" rev-parse --short HEAD) copied to /root/mprox (git archive HEAD)"
	if [ -n "$(git -C "$top" status --porcelain --untracked-files=no)" ]; then
		echo "fresh: note: uncommitted changes are not in the copy"
	fi
}

# proc for nearly everything (ASan reads /proc/self/maps), sys for good
# measure, a private devpts for apt's terminal. debootstrap created the
# device nodes in /dev, so the host's /dev is not bound in: nothing in the
# chroot can touch it, and removing the chroot cannot remove it.
mount_fs() {
	mount -t proc proc "$root/proc" || return
	mount -t sysfs sysfs "$root/sys" || return
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
}

# in_chroot COMMAND: run a shell command in the tree's copy with a clean
# environment (root's own HOME in the chroot, so a fresh ~/.cache/mprox;
# no MPROX_* from the host).
in_chroot() {
	chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/bash -c "cd /root/mprox && $1"
}

total_start=$(date +%s)
mkdir -p "$out"
remove_root
rm -rf "$logs"
mkdir -p "$root" "$logs"

# Setup: without it nothing else can run, so its first failure stops.
chroot_steps=("make deps" "make" "make check-unit" "make check-compat")
setup_ok=0
if run_step "debootstrap" bare_system &&
	run_step "sources and tree" setup_tree &&
	run_step "mount" mount_fs &&
	run_step "apt-get install make" in_chroot \
		'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q make'; then
	setup_ok=1
fi

for s in "${chroot_steps[@]}"; do
	if [ "$setup_ok" = 1 ]; then
		run_step "$s" in_chroot "$s" || true
	else
		skip_step "$s"
	fi
done

unmount_all

# The chroot goes after a clean run (removing it takes minutes, and is
# part of the run's time). After a failure it stays, to look into.
removed=""
if [ "$failed" = 0 ] && [ "$skipped" = 0 ]; then
	start=$(date +%s)
	remove_root
	removed=" (removing the chroot: $(($(date +%s) - start)) s)"
fi

echo
echo "==== summary"
for i in "${!steps[@]}"; do
	printf '%-8s %-22s %5d s\n' "${results[$i]}" "${steps[$i]}" "${times[$i]}"
done
total=$(($(date +%s) - total_start))
printf 'fresh: %d s in all (%dm%02ds)%s, logs in %s\n' "$total" $((total / 60)) \
	$((total % 60)) "$removed" "$logs"
if [ -z "$removed" ]; then
	bad=()
	for i in "${!steps[@]}"; do
		[ "${results[$i]}" = ok ] || bad+=("${steps[$i]}")
	done
	echo "fresh: failed or not run: $(printf '%s, ' "${bad[@]}" | sed 's/, $//')"
	echo "fresh: the chroot is kept in $root"
fi

summary="$passed passed, $failed failed"
[ "$skipped" = 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ -n "$removed" ]
