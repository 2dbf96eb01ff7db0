#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The module loads and unloads cleanly, twenty times over; its metadata is
# what "make" put in. The harness fails the run on any kernel report.
. "$(dirname "$0")/lib/tap.sh"

cycles=20
plan $((cycles + 2))

check "modinfo shows license GPL and a version" \
	sh -c "modinfo -F license '$MPROX_KO' | grep -qx GPL &&
		test -n \"\$(modinfo -F version '$MPROX_KO')\""

want=$(modinfo -F version "$MPROX_KO")
# Cases before this one loaded the module too: count from a mark of our own.
mark="mprox-test: module-load $$ starts"
echo "$mark" >/dev/kmsg
for i in $(seq 1 $cycles); do
	if ! out=$(insmod "$MPROX_KO" 2>&1); then
		fail "cycle $i: insmod: $out"
		continue
	fi
	got=$(cat /sys/module/mprox/version 2>/dev/null)
	if ! out=$(rmmod mprox 2>&1); then
		fail "cycle $i: rmmod: $out"
		continue
	fi
	if [ -e /sys/module/mprox ]; then
		fail "cycle $i: /sys/module/mprox still present after rmmod"
	elif [ "$got" != "$want" ]; then
		fail "cycle $i: loaded version '$got', expected '$want'"
	else
		pass "cycle $i: insmod, version $got, rmmod"
	fi
done

expect "loading announced the version once per cycle" \
	"$(dmesg | sed -n "/$mark/,\$p" | grep -c "mprox: mprox $want loaded")" $cycles

tap_exit
