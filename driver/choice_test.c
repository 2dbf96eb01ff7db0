// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the choice of upstream: passive health (health.c) and
 * the pick (balance.c), part of mprox-test.ko. Both are included rather
 * than linked, like the codecs in their suites. The cases are in
 * choice_test_cases.h, shared with the host unit test
 * (tests/unit/test_choice.c); this file is only the KUnit runner.
 */
#include "health.c"
#include "balance.c"

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "choice_test_cases.h"

static void health_case_desc(const struct mprox_health_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void probe_case_desc(const struct mprox_probe_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void balance_case_desc(const struct mprox_balance_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(health, mprox_health_cases, health_case_desc);
KUNIT_ARRAY_PARAM(probe, mprox_probe_cases, probe_case_desc);
KUNIT_ARRAY_PARAM(balance, mprox_balance_cases, balance_case_desc);

static void mprox_health_test(struct kunit *test)
{
	const struct mprox_health_case *c = test->param_value;
	char buf[160];
	const char *why = mprox_health_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static void mprox_probe_test(struct kunit *test)
{
	const struct mprox_probe_case *c = test->param_value;
	char buf[160];
	const char *why = mprox_probe_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static void mprox_balance_test(struct kunit *test)
{
	const struct mprox_balance_case *c = test->param_value;
	char buf[160];
	const char *why = mprox_balance_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static struct kunit_case mprox_choice_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_health_test, health_gen_params),
	KUNIT_CASE_PARAM(mprox_probe_test, probe_gen_params),
	KUNIT_CASE_PARAM(mprox_balance_test, balance_gen_params),
	{}
};

struct kunit_suite mprox_choice_test_suite = {
	.name = "mprox-choice",
	.test_cases = mprox_choice_test_cases,
};
