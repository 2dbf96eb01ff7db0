# SPDX-License-Identifier: GPL-2.0
#
# mprox: the one entry point.
#
#   make                 module, libmprox, the mprox command
#   make deps            install every build and test dependency (apt-get)
#   make check           style, host unit tests, VM suite on Debian's stock
#                        kernel and on the debug kernel, three cases on
#                        Debian's 6.12; ends with "N passed, N failed"
#   make check-unit      host unit tests only
#   make check-compat    build the module against every supported kernel
#                        (Debian 5.10, 6.1, 6.12 headers, fetched and cached)
#   make check-syscall   the mprox_create() series (driver/patches/) applied to
#                        Debian's 6.12 source and its objects built (6.1's
#                        is the debug kernel's)
#   make check-arm64     the same for arm64 on 6.1 and 6.12, with
#                        gcc-aarch64-linux-gnu (both part of make check:
#                        a minute a target, none when nothing changed)
#   make check-fresh     in a chroot of a fresh debootstrapped bookworm, with
#                        only make installed: make deps, make, check-unit,
#                        check-compat (the committed tree; root; not part of
#                        make check)
#   make fuzz            run every fuzz target for FUZZ_TIME seconds each (60)
#   make check-vm        VM suite; CASES="pattern ..." KERNELS="stock debug"
#                        (kernels: stock debug 5.10 6.12)
#   make vm-shell        a shell in the test guest (KERNEL=stock|debug|5.10|6.12)
#   make style           checkpatch --strict on kernel code, clang-format
#   make install         honours DESTDIR and PREFIX; make uninstall
#   make demo            a page and a 100 MB file through mprox0 (stock guest)
#   make bench           per upstream protocol (BENCH_PROTOS="socks5d socks5 http
#                        socks4"), the app speaking it vs mprox0, proxychains4
#                        and redsocks; kernel memory of BENCH_IDLE="1000 10000"
#                        idle connections; BENCH_PERF=1: profiles (stock guest);
#                        BENCH_DNS=N fake-IP answers against dnsmasq (0: none);
#                        BENCH_UDP=0|1 iperf3 -u through dante's relay, and
#                        the kernel memory of BENCH_ASSOC=N UDP associations;
#                        BENCH_BASE=REV: mprox0 on REV's driver too, the two
#                        modules loaded in turn run by run

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DESTDIR ?=

MPROX_VERSION := $(shell git -C $(CURDIR) describe --always --dirty --tags 2>/dev/null || echo unknown)
export MPROX_VERSION

# The running kernel's build tree when there is one (a real machine with
# headers installed); otherwise the Debian headers the VM harness unpacks.
KDIR ?= $(shell d=/lib/modules/$$(uname -r)/build; [ -d $$d ] && echo $$d || \
	tests/vm/fetch-stock-kernel.sh --kdir)
# The release the module was built for, as modules_install names it (Debian
# headers report another one from "make kernelrelease").
KVER ?= $(shell modinfo -F vermagic driver/mprox.ko 2>/dev/null | cut -d" " -f1)

CC ?= cc
CFLAGS ?= -O2 -g
USER_CFLAGS := -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iuapi -Ilibmprox/include $(CFLAGS)

LIB_SONAME := libmprox.so.0
LIB_OBJS := libmprox/device.o libmprox/config.o libmprox/status.o libmprox/error.o \
	libmprox/version.o
LIB_HEADERS := libmprox/include/mprox.h libmprox/internal.h uapi/linux/mprox.h
HELPER_OBJS := ip-helper/mprox.o ip-helper/cli.o ip-helper/version.o ip-helper/devstate.o \
	ip-helper/device.o ip-helper/show.o ip-helper/conns.o ip-helper/monitor.o \
	ip-helper/upstream.o ip-helper/url.o ip-helper/cidr.o ip-helper/route.o ip-helper/rtnl_rules.o \
	ip-helper/nft.o ip-helper/conf.o ip-helper/conf_file.o ip-helper/driver-parse.o ip-helper/driver-dns.o \
	ip-helper/quick.o ip-helper/route_conf.o ip-helper/exec.o ip-helper/prefix_set.o \
	ip-helper/cgroup_path.o
HELPER_HEADERS := ip-helper/cli.h ip-helper/commands.h ip-helper/devstate.h ip-helper/url.h \
	ip-helper/rtnl_rules.h ip-helper/nft.h ip-helper/conf.h ip-helper/route.h ip-helper/cgroup_path.h \
	ip-helper/cidr.h
# The configuration files are checked with the driver's own URL parser and
# tunables table (driver/parse.c), built for userspace with the shim the
# host tests use, so that file and device accept the same.
DRIVER_PARSE_CFLAGS := -Itests/shim -Idriver
DRIVER_PARSE_HEADERS := driver/parse.h driver/dns.h tests/shim/kernel_shim.h
# The mprox command uses the libraries of its field: json-c for JSON,
# libnl-route-3 for routing, libnftables for its nftables table.
HELPER_PKGS := json-c libnl-route-3.0 libnftables
HELPER_CFLAGS = $(shell pkg-config --cflags $(HELPER_PKGS))
HELPER_LIBS = $(shell pkg-config --libs $(HELPER_PKGS))

CASES ?=
FUZZ_TIME ?= 60
KERNELS ?= stock debug
KERNEL ?= stock

.PHONY: all kmod lib helper examples progs progs-syscall bench-progs deps check check-unit check-compat check-syscall check-arm64 check-fresh check-vm vm-shell \
	style fuzz \
	install uninstall demo bench clean

all: kmod lib helper examples

# ---- kernel module -------------------------------------------------------
# Built in driver/ by default. KMOD_BUILD=DIR builds a copy in DIR instead,
# so one tree can hold modules for several kernels (the VM harness does).
KMOD_BUILD ?=
KBUILD_ARGS = MPROX_VERSION=$(MPROX_VERSION) W=1 KCFLAGS=-Werror

kmod:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "no kernel build tree: set KDIR" >&2; exit 1; }
ifeq ($(KMOD_BUILD),)
	$(MAKE) -C $(KDIR) M=$(CURDIR)/driver $(KBUILD_ARGS) modules
else
	@mkdir -p $(KMOD_BUILD)
	@rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude '*.mod*' --exclude modules.order --exclude Module.symvers \
		driver uapi $(KMOD_BUILD)/
	$(MAKE) -C $(KDIR) M=$(abspath $(KMOD_BUILD))/driver $(KBUILD_ARGS) modules
endif

# ---- libmprox and the mprox command -------------------------------------
lib: libmprox/libmprox.so libmprox/libmprox.a libmprox/mprox.pc

libmprox/libmprox.so: libmprox/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

# Rewritten only when "git describe" changes, so version.o is rebuilt then.
libmprox/.version: FORCE
	@echo '$(MPROX_VERSION)' >$@.tmp && (cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@)

libmprox/version.o: libmprox/.version

libmprox/%.o: libmprox/%.c $(LIB_HEADERS)
	$(CC) $(USER_CFLAGS) -fPIC -fvisibility=hidden -DMPROX_VERSION='"$(MPROX_VERSION)"' -c -o $@ $<

libmprox/$(LIB_SONAME): $(LIB_OBJS) libmprox/libmprox.map
	$(CC) $(USER_CFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script,libmprox/libmprox.map -o $@ $(LIB_OBJS)

libmprox/libmprox.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

libmprox/mprox.pc: libmprox/mprox.pc.in FORCE
	@sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(MPROX_VERSION)|' \
		$< >$@.tmp && (cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@)

helper: ip-helper/mprox ip-helper/systemd/mprox@.service

# The unit names the command where install puts it.
ip-helper/systemd/mprox@.service: ip-helper/systemd/mprox@.service.in FORCE
	@sed 's|@BINDIR@|$(BINDIR)|g' $< >$@.tmp && (cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@)

ip-helper/%.o: ip-helper/%.c $(LIB_HEADERS) $(HELPER_HEADERS)
	$(CC) $(USER_CFLAGS) $(HELPER_CFLAGS) -c -o $@ $<

ip-helper/conf.o ip-helper/quick.o ip-helper/device.o ip-helper/prefix_set.o ip-helper/upstream.o: \
	HELPER_CFLAGS += $(DRIVER_PARSE_CFLAGS)
ip-helper/conf.o ip-helper/quick.o ip-helper/device.o ip-helper/prefix_set.o ip-helper/upstream.o: $(DRIVER_PARSE_HEADERS)

ip-helper/driver-parse.o: driver/parse.c $(DRIVER_PARSE_HEADERS) uapi/linux/mprox.h
	$(CC) $(USER_CFLAGS) $(DRIVER_PARSE_CFLAGS) -c -o $@ $<

# parse.c checks "domain" names with dns.c's mprox_dns_name_valid().
ip-helper/driver-dns.o: driver/dns.c $(DRIVER_PARSE_HEADERS)
	$(CC) $(USER_CFLAGS) $(DRIVER_PARSE_CFLAGS) -c -o $@ $<

ip-helper/mprox: $(HELPER_OBJS) libmprox/libmprox.a
	$(CC) $(USER_CFLAGS) -o $@ $(HELPER_OBJS) libmprox/libmprox.a $(HELPER_LIBS)

# The example programs users copy: built so they never rot.
EXAMPLES := $(patsubst %.c,%,$(wildcard libmprox/examples/*.c))
examples: $(EXAMPLES)

# As a user would build them: strict C11, no _GNU_SOURCE, so the public
# header cannot come to rely on feature-test macros.
libmprox/examples/%: libmprox/examples/%.c libmprox/libmprox.a $(LIB_HEADERS)
	$(CC) -std=c11 -Wall -Wextra -Werror -pedantic -Iuapi -Ilibmprox/include $(CFLAGS) -o $@ $< libmprox/libmprox.a

# C programs the integration cases run inside the test guest.
PROGS := $(patsubst tests/integration/progs/%.c,build/progs/%,$(wildcard tests/integration/progs/*.c))
progs: $(PROGS)

# fd-api and mprox-syscall again, with a libmprox of their own, built
# against the uapi headers of a kernel that has the mprox_create() system
# call (SYSCALL_HDRS: the debug kernel's usr/include, from
# tests/vm/run.sh), so that mprox_create() takes it there.
SYSCALL_HDRS ?=
SYSCALL_PROGS := build/progs-syscall/fd-api build/progs-syscall/mprox-syscall
progs-syscall: $(SYSCALL_PROGS)

build/progs-syscall/%: tests/integration/progs/%.c tests/integration/progs/tap.h \
		$(LIB_OBJS:.o=.c) $(LIB_HEADERS) FORCE
	@test -r "$(SYSCALL_HDRS)/asm/unistd_64.h" && grep -q __NR_mprox_create "$(SYSCALL_HDRS)/asm/unistd_64.h" || \
		{ echo "progs-syscall: SYSCALL_HDRS=$(SYSCALL_HDRS) has no __NR_mprox_create" >&2; exit 1; }
	@mkdir -p build/progs-syscall
	$(CC) $(USER_CFLAGS) -pthread -isystem $(SYSCALL_HDRS) -DMPROX_VERSION='"$(MPROX_VERSION)"' -o $@ $< \
		$(LIB_OBJS:.o=.c)

build/progs/%: tests/integration/progs/%.c tests/integration/progs/tap.h libmprox/libmprox.a $(LIB_HEADERS)
	@mkdir -p build/progs
	$(CC) $(USER_CFLAGS) -pthread -o $@ $< libmprox/libmprox.a

# The benchmark's application and the control tool of the demo and the
# benchmark (tests/bench/), run inside the test guest, and the upstream
# choice's microbenchmark, run on the host (driver/choice_bench.h).
BENCH_PROGS := build/bench/tcpbench build/bench/mprox-ctl build/bench/choicebench
bench-progs: $(BENCH_PROGS)

build/bench/tcpbench: tests/bench/tcpbench.c
	@mkdir -p build/bench
	$(CC) -std=c11 -Wall -Wextra -Werror $(CFLAGS) -pthread -o $@ $<

build/bench/choicebench: tests/bench/choicebench.c driver/choice_bench.h driver/rule.c \
		driver/rule.h driver/parse.c driver/parse.h driver/dns.c driver/dns.h \
		driver/balance.c driver/balance.h
	@mkdir -p build/bench
	$(CC) -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE $(CFLAGS) -Iuapi -Itests/shim -Idriver \
		-o $@ $< driver/rule.c driver/parse.c driver/dns.c driver/balance.c

build/bench/mprox-ctl: tests/bench/mprox-ctl.c libmprox/libmprox.a $(LIB_HEADERS)
	@mkdir -p build/bench
	$(CC) $(USER_CFLAGS) -o $@ $< libmprox/libmprox.a

FORCE:

# ---- dependencies ---------------------------------------------------------
deps:
	@tests/deps.sh

# ---- tests ----------------------------------------------------------------
check: deps
	@tests/check.sh

check-unit: lib helper
	@tests/unit/run.sh

check-compat:
	@tests/compat/run.sh

# The mprox_create() series (driver/patches/) compiled where the VM suite
# does not boot it: 6.12 on x86_64; arm64, 6.1 and 6.12 (make check runs both).
check-syscall:
	@tests/syscall/run.sh x86_64-6.12

check-arm64:
	@tests/syscall/run.sh arm64-6.1 arm64-6.12

check-fresh:
	@tests/fresh/run.sh

fuzz:
	@tests/fuzz/run.sh $(FUZZ_TIME)s

check-vm:
	@rc=0; for k in $(KERNELS); do tests/vm/run.sh $$k '$(CASES)' || rc=1; done; exit $$rc

vm-shell:
	tests/vm/run.sh --shell $(KERNEL)

style:
	@tests/style.sh

# ---- install ----------------------------------------------------------------
install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR)/driver INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=extra modules_install
	# A staging DESTDIR (packaging) gets no depmod indexes: the package does it.
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/linux
	install -m 0755 ip-helper/mprox $(DESTDIR)$(BINDIR)/mprox
	install -m 0755 libmprox/$(LIB_SONAME) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libmprox.so
	install -m 0644 libmprox/libmprox.a $(DESTDIR)$(LIBDIR)/libmprox.a
	install -m 0644 libmprox/mprox.pc $(DESTDIR)$(PKGCONFIGDIR)/mprox.pc
	install -m 0644 libmprox/include/mprox.h $(DESTDIR)$(INCLUDEDIR)/mprox.h
	install -m 0644 uapi/linux/mprox.h $(DESTDIR)$(INCLUDEDIR)/linux/mprox.h
	install -d $(DESTDIR)$(MANDIR)/man2 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 0644 docs/man/mprox_create.2 $(DESTDIR)$(MANDIR)/man2/mprox_create.2
	install -m 0644 docs/man/libmprox.3 $(DESTDIR)$(MANDIR)/man3/libmprox.3
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(BASHCOMPDIR)
	install -m 0644 ip-helper/systemd/mprox@.service ip-helper/systemd/mprox.target \
		$(DESTDIR)$(SYSTEMDUNITDIR)/
	install -m 0644 ip-helper/completion/mprox $(DESTDIR)$(BASHCOMPDIR)/mprox
	install -m 0644 docs/man/mprox.conf.5 $(DESTDIR)$(MANDIR)/man5/mprox.conf.5
	install -m 0644 docs/man/mprox.8 $(DESTDIR)$(MANDIR)/man8/mprox.8
	# Without it a program linked with -lmprox does not start until the
	# next ldconfig; a staging DESTDIR leaves that to the package.
	if [ -z "$(DESTDIR)" ]; then ldconfig; fi

uninstall:
	@test -n "$(KVER)" || { echo "uninstall: build first or set KVER=" >&2; exit 1; }
	rm -f $(DESTDIR)/lib/modules/$(KVER)/extra/mprox.ko
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi
	rm -f $(DESTDIR)$(BINDIR)/mprox $(DESTDIR)$(LIBDIR)/$(LIB_SONAME) \
		$(DESTDIR)$(LIBDIR)/libmprox.so $(DESTDIR)$(LIBDIR)/libmprox.a \
		$(DESTDIR)$(PKGCONFIGDIR)/mprox.pc $(DESTDIR)$(INCLUDEDIR)/mprox.h \
		$(DESTDIR)$(INCLUDEDIR)/linux/mprox.h $(DESTDIR)$(MANDIR)/man2/mprox_create.2 \
		$(DESTDIR)$(MANDIR)/man3/libmprox.3 \
		$(DESTDIR)$(MANDIR)/man5/mprox.conf.5 $(DESTDIR)$(MANDIR)/man8/mprox.8 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/mprox@.service $(DESTDIR)$(SYSTEMDUNITDIR)/mprox.target \
		$(DESTDIR)$(BASHCOMPDIR)/mprox
	if [ -z "$(DESTDIR)" ]; then ldconfig; fi

# ---- demo and benchmark (stock kernel guest) --------------------------------
# tests/demo/demo.sh and tests/bench/bench.sh run in one stock guest each,
# through the VM harness; their transcript is printed after the run.
# deps first, then the build, even under make -j.
demo: deps
	@$(MAKE) -s helper
	@CASE_TIMEOUT=600 tests/vm/run.sh --cases tests/demo --show stock

BENCH_BYTES ?= 100000000
BENCH_CONNS ?= 500
BENCH_CPS ?= 500
BENCH_PROTOS ?= socks5d socks5 http socks4
BENCH_IDLE ?= 1000 10000
BENCH_PERF ?= 0
BENCH_DNS ?= 1000
BENCH_UDP ?= 1
BENCH_ASSOC ?= 1000
BENCH_BASE ?=
BENCH_BASE_KO := $(if $(BENCH_BASE),$(CURDIR)/build/bench/base.ko)
bench: deps
	@$(MAKE) -s bench-progs
	@$(if $(BENCH_BASE),tests/vm/build-bench-base.sh '$(BENCH_BASE)' '$(BENCH_BASE_KO)')
	@printf "BENCH_BYTES=%s\nBENCH_CONNS=%s\nBENCH_CPS=%s\nBENCH_PROTOS='%s'\nBENCH_IDLE='%s'\nBENCH_PERF=%s\nBENCH_DNS=%s\nBENCH_UDP=%s\nBENCH_ASSOC=%s\nBENCH_BASE_KO='%s'\n" \
		'$(BENCH_BYTES)' '$(BENCH_CONNS)' '$(BENCH_CPS)' '$(BENCH_PROTOS)' '$(BENCH_IDLE)' \
		'$(BENCH_PERF)' '$(BENCH_DNS)' '$(BENCH_UDP)' '$(BENCH_ASSOC)' '$(BENCH_BASE_KO)' >build/bench/params
	@echo "bench: host: $$(nproc) CPUs, load average $$(cut -d' ' -f1-3 /proc/loadavg)," \
		"$$(pgrep -c qemu-system || true) other QEMU guest(s) running" \
		"(TCG: compare runs on an idle host only)"
	@build/bench/choicebench
	@# A run that fails writes no report: the last one must not pass for it.
	@rm -f build/bench/results.json build/bench/results.md build/bench/*.png
	@VM_MEM=$${VM_MEM:-6G} CASE_TIMEOUT=3600 tests/vm/run.sh --cases tests/bench --show stock
	@tests/bench/report.py build/stock/run-bench/report.log build/bench

clean:
	rm -rf build
	rm -f driver/*.o driver/*.ko driver/.*.cmd driver/*.mod driver/*.mod.c \
		driver/modules.order driver/Module.symvers
	rm -f $(EXAMPLES) libmprox/*.o libmprox/*.so libmprox/*.so.* libmprox/*.a libmprox/.version libmprox/mprox.pc ip-helper/*.o ip-helper/mprox ip-helper/systemd/mprox@.service
