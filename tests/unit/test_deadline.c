// SPDX-License-Identifier: GPL-2.0
/*
 * mprox_deadline_earliest() (driver/deadline.h), built for the host with
 * tests/shim/kernel_shim.h. Prints TAP.
 */
#include <stdio.h>

#include "deadline.h"
#include "unit_tap.h"

static const struct deadline_case {
	const char *desc;
	unsigned long next, when, want;
} cases[] = {
	{ "none yet: the deadline", 0, 500, 500 },
	{ "an earlier one wins", 500, 400, 400 },
	{ "a later one does not", 400, 500, 400 },
	{ "equal: the same", 400, 400, 400 },
	{ "none yet, one at 0: a jiffy later, not none", 0, 0, 1 },
	{ "one at 0 after one at -5: -5 stays", -5UL, 0, -5UL },
	{ "one at 0 before one at 7: a jiffy later", 7, 0, 1 },
	{ "across the wrap: -3 is before 2", 2, -3UL, -3UL },
	{ "across the wrap: 2 is after -3", -3UL, 2, -3UL },
};

int main(void)
{
	char why[96];
	size_t i;

	printf("1..%zu\n", ARRAY_SIZE(cases));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct deadline_case *c = &cases[i];
		unsigned long got = mprox_deadline_earliest(c->next, c->when);

		snprintf(why, sizeof(why), "got %lu, want %lu", got, c->want);
		result(got == c->want ? NULL : why, c->desc);
	}
	return failed ? 1 : 0;
}
