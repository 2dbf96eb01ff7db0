// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the address and port texts (dest.c), part of
 * mprox-test.ko.
 *
 * dest.c is included rather than linked, as the codecs' suites include
 * theirs: this module carries its own copy, which the SOCKS4 and HTTP
 * codecs included by socks4_test.c and http_test.c use too. The cases are
 * in dest_test_cases.h, shared with the host unit test
 * (tests/unit/test_dest.c); this file is only the KUnit runner. The suite
 * is registered in kunit_suites.c.
 */
#include "dest.c"

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "dest_test_cases.h"

static void text_case_desc(const struct mprox_dest_text_case *c, char *desc)
{
	mprox_dest_text_case_desc(c, desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(text, mprox_dest_text_cases, text_case_desc);

static void mprox_dest_text_test(struct kunit *test)
{
	const struct mprox_dest_text_case *c = test->param_value;
	/* On the heap, so that KASAN sees a byte written past the end. */
	u8 *scratch = kunit_kmalloc(test, MPROX_DEST_TEST_SCRATCH, GFP_KERNEL);
	const char *why;

	KUNIT_ASSERT_NOT_NULL(test, scratch);
	why = mprox_dest_text_case_run(c, scratch);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->want, why);
}

static struct kunit_case mprox_dest_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_dest_text_test, text_gen_params),
	{}
};

struct kunit_suite mprox_dest_test_suite = {
	.name = "mprox-dest",
	.test_cases = mprox_dest_test_cases,
};
