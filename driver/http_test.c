// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the HTTP CONNECT codec, part of mprox-test.ko.
 *
 * The codec is included rather than linked, as socks5_test.c does with its
 * codec: this module carries its own copy. The cases are in
 * http_test_cases.h, shared with the host unit test
 * (tests/unit/test_http.c); this file is only the KUnit runner. The suite
 * is registered in kunit_suites.c.
 */
#include "http.c"

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "http_test_cases.h"

static void build_case_desc(const struct mprox_http_build_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void reply_case_desc(const struct mprox_http_reply_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void result_case_desc(const struct mprox_http_result_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(build, mprox_http_build_cases, build_case_desc);
KUNIT_ARRAY_PARAM(reply, mprox_http_reply_cases, reply_case_desc);
KUNIT_ARRAY_PARAM(result, mprox_http_result_cases, result_case_desc);

/* On the heap, so that KASAN sees a byte read or written past the end. */
static u8 *scratch_alloc(struct kunit *test)
{
	u8 *scratch = kunit_kmalloc(test, 2 * MPROX_HTTP_TEST_SCRATCH, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, scratch);
	return scratch;
}

static void mprox_http_build_test(struct kunit *test)
{
	const struct mprox_http_build_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t size;
	int ret;

	why = mprox_http_build_case_run(c, scratch, &ret, &size);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (into %zu bytes: returned %d)",
			      c->desc, why, size, ret);
}

static void mprox_http_reply_test(struct kunit *test)
{
	const struct mprox_http_reply_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	struct mprox_codec_step step;
	const char *why;
	size_t fed;

	why = mprox_http_reply_case_run(c, scratch, &step, &fed);
	KUNIT_EXPECT_TRUE_MSG(test, !why,
			      "%s: %s (%zu of %zu bytes: event %d result %d used %zu, want %d %d at %zu)",
			      c->desc, why, fed, mprox_http_reply_len(c), step.event, step.result,
			      step.used, c->event, c->result, c->at);
}

static void mprox_http_result_test(struct kunit *test)
{
	const struct mprox_http_result_case *c = test->param_value;
	const char *why = mprox_http_result_case_run(c);

	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s", c->desc, why);
}

static struct kunit_case mprox_http_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_http_build_test, build_gen_params),
	KUNIT_CASE_PARAM(mprox_http_reply_test, reply_gen_params),
	KUNIT_CASE_PARAM(mprox_http_result_test, result_gen_params),
	{}
};

struct kunit_suite mprox_http_test_suite = {
	.name = "mprox-http",
	.test_cases = mprox_http_test_cases,
};
