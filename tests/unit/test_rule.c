// SPDX-License-Identifier: GPL-2.0
/*
 * Rules: parsed by driver/parse.c, matched and written back by
 * driver/rule.c, built for the host with tests/shim/kernel_shim.h. The
 * cases are driver/rule_test_cases.h, which the KUnit suite runs too;
 * this is only the runner. Prints TAP.
 */
#include <stdio.h>

#include "rule.h"
#include "rule_test_cases.h"
#include "unit_tap.h"

int main(void)
{
	char buf[256];
	size_t i;

	printf("1..%zu\n", ARRAY_SIZE(mprox_rule_parse_cases) + ARRAY_SIZE(mprox_rule_match_cases) +
				   ARRAY_SIZE(mprox_rule_cgroup_cases) +
				   ARRAY_SIZE(mprox_rule_domain_cases) +
				   ARRAY_SIZE(mprox_prefix_set_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_rule_parse_cases); i++)
		result(mprox_rule_parse_case_run(&mprox_rule_parse_cases[i], buf, sizeof(buf)),
		       mprox_rule_parse_cases[i].line);
	for (i = 0; i < ARRAY_SIZE(mprox_rule_match_cases); i++)
		result(mprox_rule_match_case_run(&mprox_rule_match_cases[i], buf, sizeof(buf)),
		       mprox_rule_match_cases[i].desc);
	for (i = 0; i < ARRAY_SIZE(mprox_rule_cgroup_cases); i++)
		result(mprox_rule_cgroup_case_run(&mprox_rule_cgroup_cases[i], buf, sizeof(buf)),
		       mprox_rule_cgroup_cases[i].desc);
	for (i = 0; i < ARRAY_SIZE(mprox_rule_domain_cases); i++)
		result(mprox_rule_domain_case_run(&mprox_rule_domain_cases[i], buf, sizeof(buf)),
		       mprox_rule_domain_cases[i].desc);
	for (i = 0; i < ARRAY_SIZE(mprox_prefix_set_cases); i++)
		result(mprox_prefix_set_case_run(&mprox_prefix_set_cases[i], buf, sizeof(buf)),
		       mprox_prefix_set_cases[i].desc);
	return failed ? 1 : 0;
}
