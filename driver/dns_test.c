// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the DNS messages (dns.c), part of mprox-test.ko.
 *
 * dns.c is included rather than linked, as the codecs' suites include
 * theirs: this module carries its own copy. The cases are in
 * dns_test_cases.h, shared with the host unit test (tests/unit/test_dns.c);
 * this file is only the KUnit runner. The suite is registered in
 * kunit_suites.c.
 */
#include "dns.c"

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "dns_test_cases.h"

static void query_case_desc(const struct mprox_dns_query_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "query: %s", c->desc);
}

static void build_case_desc(const struct mprox_dns_build_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void response_case_desc(const struct mprox_dns_response_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "response: %s", c->desc);
}

static void name_case_desc(const struct mprox_dns_name_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "name of %zu bytes \"%.40s\" %s", c->len, c->name,
		 c->valid ? "valid" : "invalid");
}

KUNIT_ARRAY_PARAM(query, mprox_dns_query_cases, query_case_desc);
KUNIT_ARRAY_PARAM(build, mprox_dns_build_cases, build_case_desc);
KUNIT_ARRAY_PARAM(response, mprox_dns_response_cases, response_case_desc);

static void cache_case_desc(const struct mprox_dns_cache_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "cached response: %s", c->desc);
}

KUNIT_ARRAY_PARAM(cache, mprox_dns_cache_cases, cache_case_desc);

static void opt_case_desc(const struct mprox_dns_opt_case *c, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "query OPT: %s", c->desc);
}

KUNIT_ARRAY_PARAM(opt, mprox_dns_opt_cases, opt_case_desc);
KUNIT_ARRAY_PARAM(name, mprox_dns_name_cases, name_case_desc);

/* On the heap, so that KASAN sees a byte read or written past the end. */
static u8 *scratch_alloc(struct kunit *test)
{
	u8 *scratch = kunit_kmalloc(test, MPROX_DNS_TEST_SCRATCH, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, scratch);
	return scratch;
}

static void mprox_dns_query_test(struct kunit *test)
{
	const struct mprox_dns_query_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t fed;
	int ret;

	why = mprox_dns_query_case_run(c, scratch, &ret, &fed);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (%zu of %zu bytes: %s, want %s)", c->desc, why,
			      fed, c->len, mprox_dns_verdict_name(ret),
			      mprox_dns_verdict_name(c->verdict));
}

static void mprox_dns_build_test(struct kunit *test)
{
	const struct mprox_dns_build_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t size;
	int ret;

	why = mprox_dns_build_case_run(c, scratch, &ret, &size);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (into %zu bytes: returned %d)",
			      c->desc, why, size, ret);
}

static void mprox_dns_response_test(struct kunit *test)
{
	const struct mprox_dns_response_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t fed;
	int ret;

	why = mprox_dns_response_case_run(c, scratch, &ret, &fed);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (%zu of %zu bytes: returned %d, want %d)",
			      c->desc, why, fed, c->len, ret, c->ret);
}

static void mprox_dns_cache_test(struct kunit *test)
{
	const struct mprox_dns_cache_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	int ret;

	why = mprox_dns_cache_case_run(c, scratch, &ret);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (returned %d, want %d)", c->desc, why, ret,
			      c->ret);
}

static void mprox_dns_opt_test(struct kunit *test)
{
	const struct mprox_dns_opt_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	int ret = 0;

	why = mprox_dns_opt_case_run(c, scratch, &ret);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (returned %d, want %d)", c->desc, why, ret,
			      c->ret);
}

static void mprox_dns_name_test(struct kunit *test)
{
	const struct mprox_dns_name_case *c = test->param_value;

	KUNIT_EXPECT_TRUE_MSG(test, !mprox_dns_name_case_run(c), "name of %zu bytes: want %s",
			      c->len, c->valid ? "valid" : "invalid");
}

static struct kunit_case mprox_dns_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_dns_query_test, query_gen_params),
	KUNIT_CASE_PARAM(mprox_dns_build_test, build_gen_params),
	KUNIT_CASE_PARAM(mprox_dns_response_test, response_gen_params),
	KUNIT_CASE_PARAM(mprox_dns_cache_test, cache_gen_params),
	KUNIT_CASE_PARAM(mprox_dns_opt_test, opt_gen_params),
	KUNIT_CASE_PARAM(mprox_dns_name_test, name_gen_params),
	{}
};

struct kunit_suite mprox_dns_test_suite = {
	.name = "mprox-dns",
	.test_cases = mprox_dns_test_cases,
};
