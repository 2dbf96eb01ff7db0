// SPDX-License-Identifier: GPL-2.0
/*
 * The directive and URL parser (driver/parse.c), built for the host with
 * tests/shim/kernel_shim.h. The cases are driver/parse_test_cases.h, which
 * the KUnit suite runs too; this is only the runner. Prints TAP.
 */
#include <stdio.h>

#include "parse.h"
#include "parse_test_cases.h"
#include "unit_tap.h"

int main(void)
{
	size_t i;

	printf("1..%zu\n", ARRAY_SIZE(mprox_parse_cases) + ARRAY_SIZE(mprox_split_cases) + 1);
	for (i = 0; i < ARRAY_SIZE(mprox_parse_cases); i++) {
		const struct mprox_parse_case *c = &mprox_parse_cases[i];
		struct mprox_directive d;
		const char *why;
		char msg[64];
		int ret;

		why = mprox_parse_case_run(c, &d, &ret);
		if (why) {
			snprintf(msg, sizeof(msg), "%s (returned %d, want %d)", why, ret, c->ret);
			why = msg;
		}
		result(why, c->desc);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_split_cases); i++)
		result(mprox_split_case_run(&mprox_split_cases[i]), mprox_split_cases[i].desc);
	result(mprox_tunables_check(), "tunables: defaults within their ranges");
	return failed ? 1 : 0;
}
