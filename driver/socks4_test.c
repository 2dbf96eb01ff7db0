// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the SOCKS4 and SOCKS4a codecs, part of mprox-test.ko.
 *
 * The codec is included rather than linked, as socks5_test.c does: this
 * module carries its own copy. The cases are in socks4_test_cases.h,
 * shared with the host unit test (tests/unit/test_socks4.c); this file is
 * only the KUnit runner. The suite is registered in kunit_suites.c.
 */
#include "socks4.c"

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "socks4_test_cases.h"

static void request_case_desc(const struct mprox_socks4_request_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void reply_case_desc(const struct mprox_socks4_reply_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void seq_case_desc(const struct mprox_socks4_seq_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(request, mprox_socks4_request_cases, request_case_desc);
KUNIT_ARRAY_PARAM(reply, mprox_socks4_reply_cases, reply_case_desc);
KUNIT_ARRAY_PARAM(seq, mprox_socks4_seq_cases, seq_case_desc);

/* On the heap, so that KASAN sees a byte read or written past the end. */
static u8 *scratch_alloc(struct kunit *test)
{
	u8 *scratch = kunit_kmalloc(test, MPROX_SOCKS4_TEST_SCRATCH, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, scratch);
	return scratch;
}

static void mprox_socks4_request_test(struct kunit *test)
{
	const struct mprox_socks4_request_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t size;
	int ret;

	why = mprox_socks4_request_case_run(c, scratch, &ret, &size);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (into %zu bytes: returned %d)",
			      c->desc, why, size, ret);
}

static void mprox_socks4_reply_test(struct kunit *test)
{
	const struct mprox_socks4_reply_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t fed;
	int ret;

	why = mprox_socks4_reply_case_run(c, scratch, &ret, &fed);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (%zu of %zu bytes: returned %d, want %d)",
			      c->desc, why, fed, c->len, ret, c->ret);
}

static void mprox_socks4_seq_test(struct kunit *test)
{
	const struct mprox_socks4_seq_case *c = test->param_value;
	const char *why = mprox_socks4_seq_case_run(c, scratch_alloc(test));

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static struct kunit_case mprox_socks4_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_socks4_request_test, request_gen_params),
	KUNIT_CASE_PARAM(mprox_socks4_reply_test, reply_gen_params),
	KUNIT_CASE_PARAM(mprox_socks4_seq_test, seq_gen_params),
	{}
};

struct kunit_suite mprox_socks4_test_suite = {
	.name = "mprox-socks4",
	.test_cases = mprox_socks4_test_cases,
};
