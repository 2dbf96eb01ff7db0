// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the directive and URL parser, built as mprox-test.ko.
 *
 * The parser is included rather than linked: this module carries its own
 * copy, so mprox.ko exports nothing for it. The cases themselves are in
 * parse_test_cases.h, shared with the host unit test
 * (tests/unit/test_parse.c); this file is only the KUnit runner. The
 * suite is registered in kunit_suites.c.
 */
#include "parse.c"

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "parse_test_cases.h"

static void parse_case_desc(const struct mprox_parse_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void split_case_desc(const struct mprox_split_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(parse, mprox_parse_cases, parse_case_desc);
KUNIT_ARRAY_PARAM(split, mprox_split_cases, split_case_desc);

static void mprox_parse_case_test(struct kunit *test)
{
	const struct mprox_parse_case *c = test->param_value;
	struct mprox_directive *d;
	const char *why;
	int ret;

	/* Too big for a kernel stack frame; KASAN also catches overruns here. */
	d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	why = mprox_parse_case_run(c, d, &ret);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (returned %d, want %d)",
			      c->desc, why, ret, c->ret);
}

static void mprox_split_case_test(struct kunit *test)
{
	const struct mprox_split_case *c = test->param_value;
	const char *why = mprox_split_case_run(c);

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static void mprox_tunables_test(struct kunit *test)
{
	const char *why = mprox_tunables_check();

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s", why);
}

static struct kunit_case mprox_parse_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_parse_case_test, parse_gen_params),
	KUNIT_CASE_PARAM(mprox_split_case_test, split_gen_params),
	KUNIT_CASE(mprox_tunables_test),
	{}
};

struct kunit_suite mprox_parse_test_suite = {
	.name = "mprox-parse",
	.test_cases = mprox_parse_test_cases,
};
