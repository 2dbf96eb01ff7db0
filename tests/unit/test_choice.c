// SPDX-License-Identifier: GPL-2.0
/*
 * The choice of upstream: passive health (driver/health.c) and the pick
 * (driver/balance.c), built for the host with tests/shim/kernel_shim.h.
 * The cases are driver/choice_test_cases.h, which the KUnit suite runs
 * too; this is only the runner. Prints TAP.
 */
#include <stdio.h>

#include "balance.h"
#include "health.h"
#include "choice_test_cases.h"
#include "unit_tap.h"

int main(void)
{
	char buf[160];
	size_t i;

	printf("1..%zu\n", ARRAY_SIZE(mprox_health_cases) + ARRAY_SIZE(mprox_probe_cases) +
				   ARRAY_SIZE(mprox_balance_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_health_cases); i++)
		result(mprox_health_case_run(&mprox_health_cases[i], buf, sizeof(buf)),
		       mprox_health_cases[i].desc);
	for (i = 0; i < ARRAY_SIZE(mprox_probe_cases); i++)
		result(mprox_probe_case_run(&mprox_probe_cases[i], buf, sizeof(buf)),
		       mprox_probe_cases[i].desc);
	for (i = 0; i < ARRAY_SIZE(mprox_balance_cases); i++)
		result(mprox_balance_case_run(&mprox_balance_cases[i], buf, sizeof(buf)),
		       mprox_balance_cases[i].desc);
	return failed ? 1 : 0;
}
