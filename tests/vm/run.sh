#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test guest and run integration cases in it, or open a shell in it.
#
#   tests/vm/run.sh [--shell] [--cases DIR] [--show] stock|debug [CASE_PATTERN]
#
# stock: Debian's current 6.1 kernel from the archive. debug: our KASAN/
# lockdep/kmemleak/KUnit build of the same source (build-debug-kernel.sh).
# Cases are tests/integration/*.sh whose name contains CASE_PATTERN (a shell
# glob; default: all). The module is built against the chosen kernel in
# build/<flavour>/. QEMU runs with TCG only: KVM is present on these machines
# but does not work, and must never be picked up by accident.
#
# --cases DIR runs DIR/*.sh instead (make demo: tests/demo, make bench:
# tests/bench), judged the same way, with the run in build/<flavour>/run-<DIR
# basename>/ so that it never disturbs the suite's results. --show prints
# each case's whole output after the run (for a demo's transcript).
#
# Environment: MPROX_CACHE (kernel cache), CASE_TIMEOUT (seconds per case),
# MPROX_CONNS (tcp-stress's sequential connections, passed to the guest),
# VM_TIMEOUT (seconds for the whole boot), VM_MEM (guest memory).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=run
cases_dir=$TOP_DIR/tests/integration
show=0
while :; do
	case ${1:-} in
	--shell) mode=shell; shift ;;
	--cases) cases_dir=$(cd "${2:?--cases DIR}" && pwd) || exit 1; shift 2 ;;
	--show) show=1; shift ;;
	*) break ;;
	esac
done
flavour=${1:?usage: run.sh [--shell] [--cases DIR] [--show] stock|debug [CASE_PATTERN]}
pattern=${2:-}
CASE_TIMEOUT=${CASE_TIMEOUT:-300}
VM_MEM=${VM_MEM:-3G}

build=$TOP_DIR/build/$flavour
mkdir -p "$build"

case $flavour in
stock)
	root=$("$VM_DIR/fetch-stock-kernel.sh")
	kver=$(basename "$root")
	kdir=$root/usr/src/linux-headers-$kver
	kernel=$root/boot/vmlinuz-$kver
	modules_dir=$root/lib/modules/$kver
	# 9p and overlay are modules in Debian's kernel; the initramfs loads
	# them in this order (vm-notes.md).
	initramfs_modules="virtio_ring virtio virtio_pci_legacy_dev
		virtio_pci_modern_dev virtio_pci netfs fscache 9pnet
		9pnet_virtio 9p overlay"
	extra_append=""
	;;
debug)
	kdir=$("$VM_DIR/build-debug-kernel.sh")
	kver=$(make -s -C "$kdir" kernelrelease)
	kernel=$kdir/arch/x86/boot/bzImage
	modules_dir=""
	initramfs_modules=""
	# A WARN must stop the run where it happened, with its trace.
	extra_append="panic_on_warn=1"
	;;
*)
	die "unknown kernel flavour '$flavour' (stock or debug)"
	;;
esac

# The module, built against exactly this kernel, and the test programs.
make -s -C "$TOP_DIR" kmod KDIR="$kdir" KMOD_BUILD="$build/kmod" >&2
make -s -C "$TOP_DIR" progs >&2
mprox_ko=$build/kmod/driver/mprox.ko
mprox_test_ko=$build/kmod/driver/mprox-test.ko
[ -f "$mprox_test_ko" ] || mprox_test_ko=""

# The initramfs only mounts the host root: it changes when the init script
# or the kernel does.
init_hash=$(sha256sum "$VM_DIR/initramfs-init" | cut -c1-12)
initramfs=$MPROX_CACHE/initramfs/$kver-$init_hash.cpio.gz
if [ ! -f "$initramfs" ]; then
	staging=$(mktemp -d)
	mkdir -p "$staging"/{bin,modules,proc,sys,dev} "$(dirname "$initramfs")"
	cp /bin/busybox "$staging/bin/busybox"
	cp "$VM_DIR/initramfs-init" "$staging/init"
	chmod 755 "$staging/init"
	if [ -n "$initramfs_modules" ]; then
		for m in $initramfs_modules; do
			ko=$(find "$modules_dir/kernel" -name "$m.ko" | head -n 1)
			[ -n "$ko" ] || die "module $m not found in $modules_dir"
			cp "$ko" "$staging/modules/"
			echo "$m" >>"$staging/modules/order"
		done
	fi
	(cd "$staging" && find . | cpio -o -H newc --quiet | gzip -1) >"$initramfs.tmp"
	mv "$initramfs.tmp" "$initramfs"
	rm -rf "$staging"
fi

cases=""
for c in "$cases_dir"/*.sh; do
	case $(basename "$c" .sh) in
	*$pattern*) cases="$cases $c" ;;
	esac
done
[ "$mode" = shell ] || [ -n "$cases" ] || die "no case matches '$pattern'"
ncases=$(wc -w <<<"$cases")
# Every case's limit (the larger of "# case-timeout: N" in it and
# CASE_TIMEOUT), and the boot on top.
budget=180
for c in $cases; do
	t=$(sed -n 's/^# case-timeout: \([0-9][0-9]*\)$/\1/p' "$c" | head -n 1)
	budget=$((budget + (${t:-0} > CASE_TIMEOUT ? ${t:-0} : CASE_TIMEOUT)))
done
VM_TIMEOUT=${VM_TIMEOUT:-$budget}

run=$build/run
counts=$build/counts
if [ "$cases_dir" != "$TOP_DIR/tests/integration" ]; then
	run=$build/run-$(basename "$cases_dir")
	counts=$run/counts
fi
rm -rf "$run"
mkdir -p "$run"
ln -s "$VM_DIR/guest-run.sh" "$run/guest-run.sh"
cat >"$run/job" <<JOB
MODE=$mode
MPROX_TOP=$TOP_DIR
MPROX_KERNEL_FLAVOUR=$flavour
MPROX_CONNS=${MPROX_CONNS:-}
MPROX_KO=$mprox_ko
MPROX_TEST_KO=$mprox_test_ko
MPROX_PROGS=$TOP_DIR/build/progs
MODULES_DIR=$modules_dir
CASES="$cases"
CASE_TIMEOUT=$CASE_TIMEOUT
JOB

qemu=(timeout --foreground "$VM_TIMEOUT" qemu-system-x86_64
	-accel tcg -cpu max -smp 2 -m "$VM_MEM"
	-nodefaults -no-user-config -no-reboot -display none -nic none
	-kernel "$kernel" -initrd "$initramfs"
	-append "console=ttyS0 panic=-1 oops=panic log_buf_len=16M $extra_append ${VM_APPEND:-} MPROX_JOB=$run/job"
	-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	-device virtio-rng-pci)

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio -serial null
fi

log "$flavour kernel $kver: $ncases case(s); console log in $run/console.log"
rc=0
"${qemu[@]}" -serial "file:$run/console.log" -serial "file:$run/report.log" || rc=$?
[ "$rc" = 0 ] || log "qemu exited with status $rc (124: timed out after ${VM_TIMEOUT}s)"

if [ "$show" = 1 ]; then
	awk '/^@@mprox case /{on=1; next} /^@@mprox end /{on=0; next} on' "$run/report.log" 2>/dev/null
	echo
fi

names=""
for c in $cases; do
	names="$names $(basename "$c" .sh)"
done
# shellcheck disable=SC2086
python3 "$VM_DIR/results.py" --flavour "$flavour" --report "$run/report.log" \
	--console "$run/console.log" --counts "$counts" $names
