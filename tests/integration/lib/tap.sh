# SPDX-License-Identifier: GPL-2.0
# TAP output for integration cases, which run as root inside the test guest
# (tests/vm/guest-run.sh). Sourced by every case.
#
#   plan N                      print the plan
#   pass DESC / fail DESC       one result
#   check DESC CMD...           run CMD; pass if it succeeds, else fail
#                               with its output as TAP diagnostics
#   step DESC CMD...            pass or fail DESC by the exit status of CMD,
#                               whose output is its own
#   wait_for SECONDS CMD...     poll CMD until it succeeds (a condition,
#                               not a sleep); non-zero on timeout
# A case exits non-zero if any result failed.

set -u
tap_n=0
tap_failed=0

plan() {
	echo "1..$1"
}

pass() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
}

fail() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
}

diag() {
	sed 's/^/# /'
}

check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc"
		printf '%s\n' "$out" | diag
	fi
}

step() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

wait_for() {
	local timeout=$1 end
	shift
	end=$((SECONDS + timeout))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
}

tap_exit() {
	[ "$tap_failed" = 0 ]
	exit
}
