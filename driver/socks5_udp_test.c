// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the SOCKS5 UDP header (socks5_udp.c), part of
 * mprox-test.ko.
 *
 * socks5_udp.c is included rather than linked, as the codecs' suites
 * include theirs: this module carries its own copy. Its address part is
 * socks5.c's, which socks5_test.c includes into the same module. The
 * cases are in socks5_udp_test_cases.h, shared with the host unit test
 * (tests/unit/test_socks5_udp.c); this file is only the KUnit runner. The
 * suite is registered in kunit_suites.c.
 */
#include "socks5_udp.c"

#include <kunit/test.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kunit_suites.h"
#include "socks5_udp_test_cases.h"

static void build_case_desc(const struct mprox_socks5_udp_build_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

static void parse_case_desc(const struct mprox_socks5_udp_parse_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(build, mprox_socks5_udp_build_cases, build_case_desc);
KUNIT_ARRAY_PARAM(parse, mprox_socks5_udp_parse_cases, parse_case_desc);

/* On the heap, so that KASAN sees a byte read or written past the end. */
static u8 *scratch_alloc(struct kunit *test)
{
	u8 *scratch = kunit_kmalloc(test, MPROX_SOCKS5_UDP_TEST_SCRATCH, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, scratch);
	return scratch;
}

static void mprox_socks5_udp_build_test(struct kunit *test)
{
	const struct mprox_socks5_udp_build_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t size;
	int ret;

	why = mprox_socks5_udp_build_case_run(c, scratch, &ret, &size);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (into %zu bytes: returned %d)",
			      c->desc, why, size, ret);
}

static void mprox_socks5_udp_parse_test(struct kunit *test)
{
	const struct mprox_socks5_udp_parse_case *c = test->param_value;
	u8 *scratch = scratch_alloc(test);
	const char *why;
	size_t fed;
	int ret;

	why = mprox_socks5_udp_parse_case_run(c, scratch, &ret, &fed);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (%zu of %zu bytes: returned %d, want %d)",
			      c->desc, why, fed, c->len + c->payload, ret, c->ret);
}

static struct kunit_case mprox_socks5_udp_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_socks5_udp_build_test, build_gen_params),
	KUNIT_CASE_PARAM(mprox_socks5_udp_parse_test, parse_gen_params),
	{}
};

struct kunit_suite mprox_socks5_udp_test_suite = {
	.name = "mprox-socks5-udp",
	.test_cases = mprox_socks5_udp_test_cases,
};
