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
#   expect DESC GOT WANT        pass if GOT is WANT, else fail saying both
#                               (and return 1)
# A case exits non-zero if any result failed. A command that does not
# exist (a helper another case defines, a tool not installed) is a failed
# result too, counted at the plan: otherwise it would be a line on stderr
# and a check that never ran.

set -u
tap_n=0
tap_failed=0
tap_t=$SECONDS
tap_missing=$(mktemp)

# Bash runs it in a subshell of its own: it can only leave a mark.
command_not_found_handle() {
	echo "$1" >>"$tap_missing"
	echo "$0: $1: command not found" >&2
	return 127
}

# Commands not found so far, as one failed result, once.
tap_missing_check() {
	[ -s "$tap_missing" ] || return 0
	fail "commands not found: $(sort -u "$tap_missing" | paste -sd ' ')"
	: >"$tap_missing"
}

plan() {
	local n=$1

	# "plan $tap_n" at the end counts the result it adds.
	if [ "$n" = "$tap_n" ] && [ -s "$tap_missing" ]; then
		tap_missing_check
		n=$tap_n
	fi
	echo "1..$n"
}

# Where a case's time goes (tests/check.sh balances the CI lanes by it):
# a result that came 10 s or more after the one before says how long.
tap_took() {
	local s=$((SECONDS - tap_t))

	tap_t=$SECONDS
	[ "$s" -lt 10 ] || echo "# took ${s} s"
}

pass() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $*"
	tap_took
}

fail() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $*"
	tap_took
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

expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: $2, want $3"; return 1; fi
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
	tap_missing_check
	rm -f "$tap_missing"
	[ "$tap_failed" = 0 ]
	exit
}
