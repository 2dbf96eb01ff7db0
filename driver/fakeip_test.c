// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the fake-IP pools, part of mprox-test.ko. The code is
 * included rather than linked, as the other suites do. The cases use the
 * smallest pools, where every address is handed out after two names and
 * the least recently used one can be named exactly. The suite is
 * registered in kunit_suites.c.
 */
#include "fakeip.c"

#include <kunit/test.h>
#include <linux/inet.h>

#include "kunit_suites.h"

static struct mprox_fakeip_pool *t_pool(struct kunit *test, u16 family, const char *addr,
					u8 len)
{
	struct mprox_rule_prefix p = { .family = family, .len = len };
	struct mprox_fakeip_pool *pool;

	if (family == AF_INET6)
		KUNIT_ASSERT_EQ(test, in6_pton(addr, -1, p.addr, -1, NULL), 1);
	else
		KUNIT_ASSERT_EQ(test, in4_pton(addr, -1, p.addr, -1, NULL), 1);
	pool = mprox_fakeip_pool_new(&p);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	return pool;
}

/* The last byte of the address @name gets (IPv4 pools). */
static int t_assign(struct kunit *test, struct mprox_fakeip_pool *pool, const char *name)
{
	u8 addr[16];

	KUNIT_ASSERT_EQ(test, mprox_fakeip_assign(pool, name, strlen(name), 0, addr), 0);
	return addr[3];
}

/* The name of 10.0.0.@last, or "" when it has none. */
static void t_expect_name(struct kunit *test, struct mprox_fakeip_pool *pool, u8 last,
			  const char *want)
{
	u8 addr[4] = { 10, 0, 0, last }, len = 0;
	char *name = mprox_fakeip_name(pool, addr, GFP_KERNEL, &len);

	if (!*want) {
		KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(name), -ENOENT);
		return;
	}
	KUNIT_ASSERT_FALSE(test, IS_ERR(name));
	KUNIT_EXPECT_STREQ(test, name, want);
	KUNIT_EXPECT_EQ(test, len, strlen(want));
	kfree(name);
}

static void mprox_fakeip_size_test(struct kunit *test)
{
	static const struct {
		u16 family;
		const char *addr;
		u8 len;
		u32 size;
	} cases[] = {
		{ AF_INET, "10.0.0.0", 30, 2 },		/* not .0, not .3 */
		{ AF_INET, "10.0.0.0", 29, 6 },
		{ AF_INET, "10.0.0.0", 24, 254 },
		{ AF_INET, "198.18.0.0", 16, 65534 },
		{ AF_INET, "10.0.0.0", 15, MPROX_FAKEIP_SIZE_MAX },
		{ AF_INET, "10.0.0.0", 8, MPROX_FAKEIP_SIZE_MAX },
		{ AF_INET6, "fd00::", 126, 3 },		/* no broadcast in IPv6 */
		{ AF_INET6, "fd00::", 112, 65535 },
		{ AF_INET6, "fd00::", 32, MPROX_FAKEIP_SIZE_MAX },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mprox_fakeip_pool *pool = t_pool(test, cases[i].family, cases[i].addr,
							cases[i].len);

		KUNIT_EXPECT_EQ_MSG(test, pool->size, cases[i].size, "case %u", i);
		mprox_fakeip_pool_put(pool);
	}
}

static void mprox_fakeip_stable_test(struct kunit *test)
{
	struct mprox_fakeip_pool *pool = t_pool(test, AF_INET, "10.0.0.0", 24);
	u8 addr[16];

	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "a.test"), 1);
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "b.test"), 2);
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "a.test"), 1);
	/* A name is its bytes: no prefix or suffix of one is the same name. */
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "a.tes"), 3);
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "a.test.x"), 4);
	KUNIT_EXPECT_EQ(test, mprox_fakeip_named(pool), 4);
	t_expect_name(test, pool, 1, "a.test");
	t_expect_name(test, pool, 4, "a.test.x");
	/* Never handed out, the network's address, beyond the pool. */
	t_expect_name(test, pool, 5, "");
	t_expect_name(test, pool, 0, "");
	t_expect_name(test, pool, 255, "");
	KUNIT_EXPECT_EQ(test, mprox_fakeip_assign(pool, "", 0, 0, addr), -EINVAL);
	mprox_fakeip_pool_put(pool);
}

static void mprox_fakeip_lru_test(struct kunit *test)
{
	struct mprox_fakeip_pool *pool = t_pool(test, AF_INET, "10.0.0.0", 30);

	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "a.test"), 1);
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "b.test"), 2);
	/* Full: the least recently used, a, gives its address up. */
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "c.test"), 1);
	t_expect_name(test, pool, 1, "c.test");
	/* Looking b up (a new connection to it) uses it: c goes next. */
	t_expect_name(test, pool, 2, "b.test");
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "d.test"), 1);
	t_expect_name(test, pool, 1, "d.test");
	/* And so does an answer: d goes next. */
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "b.test"), 2);
	KUNIT_EXPECT_EQ(test, t_assign(test, pool, "e.test"), 1);
	t_expect_name(test, pool, 1, "e.test");
	t_expect_name(test, pool, 2, "b.test");
	KUNIT_EXPECT_EQ(test, mprox_fakeip_named(pool), 2);
	mprox_fakeip_pool_put(pool);
}

/* A name used within @keep keeps its address, even in a full pool. */
static void mprox_fakeip_keep_test(struct kunit *test)
{
	struct mprox_fakeip_pool *pool = t_pool(test, AF_INET6, "fd00::", 126);
	u8 addr[16];

	KUNIT_ASSERT_EQ(test, mprox_fakeip_assign(pool, "a.test", 6, 0, addr), 0);
	KUNIT_EXPECT_EQ(test, addr[15], 1);
	KUNIT_ASSERT_EQ(test, mprox_fakeip_assign(pool, "b.test", 6, 0, addr), 0);
	KUNIT_ASSERT_EQ(test, mprox_fakeip_assign(pool, "c.test", 6, 0, addr), 0);
	KUNIT_EXPECT_EQ(test, addr[15], 3);
	/* Full, and a was used just now: no address for d. */
	KUNIT_EXPECT_EQ(test, mprox_fakeip_assign(pool, "d.test", 6, 3600 * HZ, addr), -EBUSY);
	KUNIT_EXPECT_EQ(test, mprox_fakeip_named(pool), 3);
	/* A name that has one gets it whatever @keep says. */
	KUNIT_ASSERT_EQ(test, mprox_fakeip_assign(pool, "b.test", 6, 3600 * HZ, addr), 0);
	KUNIT_EXPECT_EQ(test, addr[15], 2);
	/* Past @keep (0 here), a goes. */
	KUNIT_ASSERT_EQ(test, mprox_fakeip_assign(pool, "d.test", 6, 0, addr), 0);
	KUNIT_EXPECT_EQ(test, addr[15], 1);
	mprox_fakeip_pool_put(pool);
}

static void mprox_fakeip_contains_test(struct kunit *test)
{
	struct mprox_fakeip_pool *p4 = t_pool(test, AF_INET, "198.16.0.0", 12);
	struct mprox_fakeip_pool *p6 = t_pool(test, AF_INET6, "fd00:198::", 32);
	u8 a6[16] = { 0xfd, 0x00, 0x01, 0x98, [4] = 1, [15] = 1 }, len;

	KUNIT_EXPECT_TRUE(test, mprox_fakeip_contains(p4, AF_INET, (u8 []){ 198, 31, 255, 255 }));
	KUNIT_EXPECT_TRUE(test, mprox_fakeip_contains(p4, AF_INET, (u8 []){ 198, 16, 0, 0 }));
	KUNIT_EXPECT_FALSE(test, mprox_fakeip_contains(p4, AF_INET, (u8 []){ 198, 32, 0, 1 }));
	KUNIT_EXPECT_FALSE(test, mprox_fakeip_contains(p4, AF_INET, (u8 []){ 198, 15, 0, 1 }));
	KUNIT_EXPECT_FALSE(test, mprox_fakeip_contains(p4, AF_INET6, a6));
	KUNIT_EXPECT_TRUE(test, mprox_fakeip_contains(p6, AF_INET6, a6));
	/* In the prefix, but beyond the offsets: no name can have it. */
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(mprox_fakeip_name(p6, a6, GFP_KERNEL, &len)),
			-ENOENT);
	a6[4] = 0;
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(mprox_fakeip_name(p6, a6, GFP_KERNEL, &len)),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, mprox_fakeip_assign(p6, "a.test", 6, 0, a6), 0);
	KUNIT_EXPECT_EQ(test, a6[15], 1);
	KUNIT_EXPECT_EQ(test, a6[4], 0);
	mprox_fakeip_pool_put(p4);
	mprox_fakeip_pool_put(p6);
}

static struct kunit_case mprox_fakeip_test_cases[] = {
	KUNIT_CASE(mprox_fakeip_size_test),
	KUNIT_CASE(mprox_fakeip_stable_test),
	KUNIT_CASE(mprox_fakeip_lru_test),
	KUNIT_CASE(mprox_fakeip_keep_test),
	KUNIT_CASE(mprox_fakeip_contains_test),
	{}
};

struct kunit_suite mprox_fakeip_test_suite = {
	.name = "mprox_fakeip",
	.test_cases = mprox_fakeip_test_cases,
};
