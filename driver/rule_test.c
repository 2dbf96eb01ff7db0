// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the rules: "rule ..." lines read by parse.c (linked from
 * parse_test.c, which includes it) and matched and written back by rule.c,
 * included here. The cases are in rule_test_cases.h, shared with the host
 * unit test (tests/unit/test_rule.c); this file is only the KUnit runner.
 */
#include "rule.c"

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "rule_test_cases.h"

static void rule_parse_case_desc(const struct mprox_rule_parse_case *c, char *desc)
{
	strscpy(desc, c->line, KUNIT_PARAM_DESC_SIZE);
}

static void rule_match_case_desc(const struct mprox_rule_match_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rule_parse, mprox_rule_parse_cases, rule_parse_case_desc);
KUNIT_ARRAY_PARAM(rule_match, mprox_rule_match_cases, rule_match_case_desc);

static void rule_cgroup_case_desc(const struct mprox_rule_cgroup_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rule_cgroup, mprox_rule_cgroup_cases, rule_cgroup_case_desc);

static void rule_domain_case_desc(const struct mprox_rule_domain_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rule_domain, mprox_rule_domain_cases, rule_domain_case_desc);

static void prefix_set_case_desc(const struct mprox_prefix_set_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(prefix_set, mprox_prefix_set_cases, prefix_set_case_desc);

static void mprox_rule_parse_test(struct kunit *test)
{
	const struct mprox_rule_parse_case *c = test->param_value;
	char buf[256];
	const char *why = mprox_rule_parse_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->line, why);
}

static void mprox_rule_match_test(struct kunit *test)
{
	const struct mprox_rule_match_case *c = test->param_value;
	char buf[256];
	const char *why = mprox_rule_match_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static void mprox_rule_cgroup_test(struct kunit *test)
{
	const struct mprox_rule_cgroup_case *c = test->param_value;
	char buf[256];
	const char *why = mprox_rule_cgroup_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static void mprox_rule_domain_test(struct kunit *test)
{
	const struct mprox_rule_domain_case *c = test->param_value;
	char buf[256];
	const char *why = mprox_rule_domain_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static void mprox_prefix_set_test(struct kunit *test)
{
	const struct mprox_prefix_set_case *c = test->param_value;
	char buf[256];
	const char *why = mprox_prefix_set_case_run(c, buf, sizeof(buf));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static struct kunit_case mprox_rule_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_rule_parse_test, rule_parse_gen_params),
	KUNIT_CASE_PARAM(mprox_rule_match_test, rule_match_gen_params),
	KUNIT_CASE_PARAM(mprox_rule_cgroup_test, rule_cgroup_gen_params),
	KUNIT_CASE_PARAM(mprox_rule_domain_test, rule_domain_gen_params),
	KUNIT_CASE_PARAM(mprox_prefix_set_test, prefix_set_gen_params),
	{}
};

struct kunit_suite mprox_rule_test_suite = {
	.name = "mprox-rule",
	.test_cases = mprox_rule_test_cases,
};
