#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the driver's KUnit suites (mprox-test.ko) and print their KTAP results,
# which the harness counts test by test. The stock Debian kernel is built
# without KUnit, so there the suites cannot run: the case says so.
. "$(dirname "$0")/lib/tap.sh"

if [ -z "${MPROX_TEST_KO:-}" ]; then
	echo "1..0 # SKIP kernel built without CONFIG_KUNIT"
	exit 0
fi

# KUnit prints to the kernel log as the module loads; keep what comes after
# the current end of the log. A module's suites print no top-level header:
# their KTAP starts indented ("    KTAP version 1").
before=$(dmesg | wc -l)
if ! out=$(insmod "$MPROX_TEST_KO" 2>&1); then
	echo "1..1"
	echo "not ok 1 - insmod mprox-test.ko: $out"
	exit 1
fi
rmmod mprox_test
dmesg --notime | tail -n +$((before + 1)) |
	sed -n '/^[[:space:]]*KTAP version/,$p' | grep -E '^\s*(KTAP|1\.\.|ok |not ok |#)'
