#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test guest and run integration cases in it, or open a shell in it.
#
#   tests/vm/run.sh [--shell] [--cases DIR] [--run NAME] [--show] FLAVOUR [CASE_PATTERNS]
#
# FLAVOUR is the kernel:
#   stock  Debian's current 6.1 kernel (bookworm), from the archive;
#   debug  our KASAN/lockdep/kmemleak/KUnit build of the same source
#          (build-debug-kernel.sh);
#   5.10   Debian bullseye's current stock kernel;
#   6.12   Debian bookworm-backports' current stock kernel;
# the Debian ones fetched by fetch-stock-kernel.sh. Cases are
# tests/integration/*.sh whose name contains one of the space-separated
# CASE_PATTERNS (shell globs; default: all); a pattern that starts with '-'
# leaves out the cases whose name contains the rest (only such patterns:
# every other case). The module is built against the
# chosen kernel in build/<flavour>/. QEMU runs with TCG only: KVM is present
# on these machines but does not work, and must never be picked up by
# accident.
#
# --cases DIR runs DIR/*.sh instead (make demo: tests/demo, make bench:
# tests/bench), judged the same way, with the run in build/<flavour>/run-<DIR
# basename>/ so that it never disturbs the suite's results. --show prints
# each case's whole output after the run (for a demo's transcript).
# --run NAME keeps the run in build/<flavour>/run-NAME/ with its own counts,
# so that a second guest of the same flavour can run other cases at the
# same time (make check splits the debug suite so).
#
# Environment: MPROX_CACHE (kernel cache), CASE_TIMEOUT (seconds per case),
# MPROX_CONNS (tcp-stress's sequential connections, passed to the guest),
# VM_TIMEOUT (seconds for the whole boot), VM_MEM (guest memory).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=run
cases_dir=$TOP_DIR/tests/integration
show=0
run_name=""
while :; do
	case ${1:-} in
	--shell) mode=shell; shift ;;
	--cases) cases_dir=$(cd "${2:?--cases DIR}" && pwd) || exit 1; shift 2 ;;
	--show) show=1; shift ;;
	--run) run_name=${2:?--run NAME}; shift 2 ;;
	*) break ;;
	esac
done
flavour=${1:?usage: run.sh [--shell] [--cases DIR] [--show] stock|debug|5.10|6.12 [CASE_PATTERNS]}
# Not word-split by the shell: a pattern must not glob against the files
# in the current directory.
read -r -a patterns <<<"${2:-}"
CASE_TIMEOUT=${CASE_TIMEOUT:-300}
VM_MEM=${VM_MEM:-3G}

build=$TOP_DIR/build/$flavour
mkdir -p "$build"

# The modules the initramfs must load before it can mount the host root
# (virtio-pci, 9p over virtio, overlay), each after the ones it depends on,
# as the kernel's own modules.dep says: the set differs between releases
# (5.10: fscache, no virtio_pci_*_dev; 6.1: netfs and fscache; 6.12: virtio
# built in, netfs only). Built-in ones are left out. Prints the module
# files' paths relative to DIR, in load order.
initramfs_modules() {
	local dir=$1 mod deps name m
	local -A dep_of path_of done_
	local -a order=()

	while IFS=: read -r mod deps; do
		name=${mod##*/}
		name=${name%%.ko*}
		name=${name//-/_}
		path_of[$name]=$mod
		dep_of[$name]=$deps
	done <"$dir/modules.dep"
	visit() {
		local n=$1 d
		[ -z "${done_[$n]:-}" ] || return 0
		done_[$n]=1
		for d in ${dep_of[$n]}; do
			d=${d##*/}
			d=${d%%.ko*}
			visit "${d//-/_}"
		done
		order+=("${path_of[$n]}")
	}
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		if [ -n "${path_of[$m]:-}" ]; then
			visit "$m"
		elif ! grep -Eq "/$m\.ko\$" "$dir/modules.builtin"; then
			die "$m: neither a module nor built into the kernel in $dir"
		fi
	done
	echo "${order[@]}"
}

case $flavour in
stock | 5.10 | 6.12)
	case $flavour in
	stock) suite=bookworm ;;
	5.10) suite=bullseye ;;
	6.12) suite=bookworm-backports ;;
	esac
	root=$("$VM_DIR/fetch-stock-kernel.sh" "$suite")
	kver=$(basename "$root")
	kdir=$root/usr/src/linux-headers-$kver
	kernel=$root/boot/vmlinuz-$kver
	modules_dir=$root/lib/modules/$kver
	# 9p and overlay are modules in Debian's kernels; the initramfs loads
	# them (vm-notes.md).
	initramfs_modules=$(initramfs_modules "$modules_dir")
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
	die "unknown kernel flavour '$flavour' (stock, debug, 5.10 or 6.12)"
	;;
esac

# The module, built against exactly this kernel, and the test programs.
# Debian's 5.10 headers name gcc-10, which bookworm lacks (pick_cc).
cc=$(pick_cc "$kdir")
make -s -C "$TOP_DIR" kmod KDIR="$kdir" KMOD_BUILD="$build/kmod" ${cc:+CC="$cc"} >&2
make -s -C "$TOP_DIR" progs helper >&2
# The debug kernel has the mprox_create() system call (driver/patches/):
# device-fd runs the C API tests through it.
if [ "$flavour" = debug ]; then
	make -s -C "$TOP_DIR" progs-syscall SYSCALL_HDRS="$kdir/usr/include" >&2
fi
mprox_ko=$build/kmod/driver/mprox.ko
mprox_test_ko=$build/kmod/driver/mprox-test.ko
# The KUnit case skips only where the kernel has no KUnit to run it
# (driver/Kbuild's condition): on one that has, a missing mprox-test.ko
# is a broken build, not a skip.
if [ ! -f "$mprox_test_ko" ]; then
	# Debian's headers keep include/ in the -common tree (Kbuild's srctree).
	if grep -qs '^CONFIG_KUNIT=[ym]' "$kdir/.config" &&
		cat "$kdir/include/kunit/test.h" "${kdir%-*}-common/include/kunit/test.h" 2>/dev/null |
		grep -q KUNIT_ARRAY_PARAM; then
		die "$kver has KUnit, but mprox-test.ko was not built"
	fi
	mprox_test_ko=""
fi

# The initramfs only mounts the host root: it changes when the init script,
# the kernel or its module list does.
init_hash=$({ cat "$VM_DIR/initramfs-init"; echo "$initramfs_modules"; } |
	sha256sum | cut -c1-12)
initramfs=$MPROX_CACHE/initramfs/$kver-$init_hash.cpio.gz
if [ ! -f "$initramfs" ]; then
	staging=$(mktemp -d)
	mkdir -p "$staging"/{bin,modules,proc,sys,dev} "$(dirname "$initramfs")"
	cp /bin/busybox "$staging/bin/busybox"
	cp "$VM_DIR/initramfs-init" "$staging/init"
	chmod 755 "$staging/init"
	# busybox's insmod is given plain .ko files, whatever its build can
	# decompress: 6.12's modules come as .ko.xz.
	for ko in $initramfs_modules; do
		m=${ko##*/}
		m=${m%%.ko*}
		case $ko in
		*.ko) cp "$modules_dir/$ko" "$staging/modules/$m.ko" ;;
		*.ko.xz) xz -dc "$modules_dir/$ko" >"$staging/modules/$m.ko" ;;
		*.ko.zst) zstd -qdc "$modules_dir/$ko" >"$staging/modules/$m.ko" ;;
		*) die "$ko: unknown module compression" ;;
		esac
		echo "$m" >>"$staging/modules/order"
	done
	(cd "$staging" && find . | cpio -o -H newc --quiet | gzip -1) >"$initramfs.tmp"
	mv "$initramfs.tmp" "$initramfs"
	rm -rf "$staging"
fi

include=() exclude=()
for p in "${patterns[@]}"; do
	if [ "${p:0:1}" = - ]; then exclude+=("${p:1}"); else include+=("$p"); fi
done
[ ${#include[@]} -gt 0 ] || include=("")
cases=""
for c in "$cases_dir"/*.sh; do
	name=$(basename "$c" .sh)
	for p in "${exclude[@]}"; do
		case $name in
		*$p*) continue 2 ;;
		esac
	done
	for p in "${include[@]}"; do
		case $name in
		*$p*) cases="$cases $c" && break ;;
		esac
	done
done
[ "$mode" = shell ] || [ -n "$cases" ] || die "no case matches '${patterns[*]}'"
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
if [ -n "$run_name" ]; then
	run=$build/run-$run_name
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

# TCG's max CPU without AVX and AVX2: QEMU 7.2 emulates them, and
# glibc's string functions pick them; emulated, they cost the stock
# guest 12% to 15% more CPU time (tcp-socks5: 99 against 88 s, cli-conf
# 101 against 88 s), and every host core is spoken for while make check
# runs. The rest of max stays (SMAP and SMEP, as a modern machine has).
qemu=(timeout --foreground "$VM_TIMEOUT" qemu-system-x86_64
	-accel tcg -cpu max,avx=off,avx2=off -smp 2 -m "$VM_MEM"
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
boot() {
	rc=0
	"${qemu[@]}" -serial "file:$run/console.log" -serial "file:$run/report.log" || rc=$?
	[ "$rc" = 0 ] || log "qemu exited with status $rc (124: timed out after ${VM_TIMEOUT}s)"
}

# Died in the kernel's own boot, before it ran /init: nothing of ours
# had run yet, not even a module. Debian's 6.12 does this now and then
# under TCG (an int3 oops in sched_clock_cpu while the boot patches a
# static key), so such a guest is booted once more; its console log is
# kept beside the new one, and the line below says it happened.
died_before_init() {
	! grep -aq 'Run /init as init process' "$run/console.log" &&
		grep -aq 'Kernel panic' "$run/console.log"
}

boot
if died_before_init; then
	mv "$run/console.log" "$run/console-boot1.log"
	log "$flavour kernel $kver panicked before /init (console log in $run/console-boot1.log); booting it once more"
	boot
fi

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
