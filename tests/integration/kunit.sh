#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the driver's KUnit suites (mprox-test.ko) and print their KTAP results,
# which the harness counts test by test. The stock Debian kernel is built
# without KUnit, so there the suites cannot run: the case says so.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/mprox.sh"

if [ -z "${MPROX_TEST_KO:-}" ]; then
	echo "1..0 # SKIP kernel built without CONFIG_KUNIT"
	exit 0
fi

# KUnit prints to the kernel log as the module loads; keep what comes after
# a mark of our own (a count of lines would stop moving once the ring
# buffer is full). A module's suites print no top-level header: their
# KTAP starts indented ("    KTAP version 1").
mprox_dmesg_mark
if ! out=$(insmod "$MPROX_TEST_KO" 2>&1); then
	echo "1..1"
	echo "not ok 1 - insmod mprox-test.ko: $out"
	exit 1
fi
rc=0
rmmod mprox_test || {
	echo "# rmmod mprox_test failed"
	rc=1
}
ktap=$(mprox_dmesg_new --notime |
	sed -n '/^[[:space:]]*KTAP version/,$p' | grep -E '^\s*(KTAP|1\.\.|ok |not ok |#)')
[ -z "$ktap" ] || printf '%s\n' "$ktap"
# A suite cut short (the module died in it, or the log lost lines) has
# fewer results than its plan and no "not ok": each "1..N" must get N
# results at its own indent before a shallower result, the next plan at
# its indent, or the end closes it. The harness fails a case that exits
# non-zero.
short=$(printf '%s\n' "$ktap" | awk '
function shut(d,  k) {
	for (k in plan)
		if (k + 0 >= d && plan[k] >= 0) {
			if (seen[k] < plan[k])
				bad = bad " " name[k] " " seen[k] "/" plan[k]
			plan[k] = -1
		}
}
{ match($0, /^[ \t]*/); d = RLENGTH; s = substr($0, d + 1) }
s ~ /^# Subtest: / { name[d] = substr(s, 12) }
s ~ /^1\.\.[0-9]/ { shut(d); plan[d] = substr(s, 4) + 0; seen[d] = 0 }
s ~ /^(not )?ok / { shut(d + 1); seen[d]++ }
END { shut(0); print bad }')
if [ -n "$short" ]; then
	echo "# results short of their plan:$short"
	rc=1
fi
exit $rc
