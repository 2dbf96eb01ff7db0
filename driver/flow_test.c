// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the flow table, part of mprox-test.ko.
 *
 * The code is included rather than linked, as the other suites do: this
 * module carries its own copy, with its own slab cache and workqueue,
 * created and destroyed around every case. Nothing sleeps to wait for
 * time: the GC is called with a made-up "now", and mprox_flow_flush()
 * waits for releases. kmemleak, KASAN and lockdep in the debug kernel
 * check what the cases cannot see (leaks, use after free, BH-unsafe
 * locking). The suite is registered in kunit_suites.c.
 */
#define MPROX_FLOW_CACHE_NAME	"mprox_flow_test"
#include "flow.c"

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/kthread.h>

#include "kunit_suites.h"

#define T_PORT_MIN	10000
#define T_PORT_MAX	60999

struct flow_test_ctx {
	struct mprox_flow_table t;
	bool table;
	/* Set before the last put of a flow by cases that check it. */
	unsigned long gp_cookie;
	bool check_gp;
	struct kunit *test;
};

/* The release callback has no context of its own: one case at a time. */
static struct flow_test_ctx *flow_test_cur;
static atomic_t flow_test_released;

static void flow_test_release(struct mprox_flow *f)
{
	struct flow_test_ctx *ctx = flow_test_cur;

	atomic_inc(&flow_test_released);
	/* Released only once unreferenced, and a grace period after. */
	KUNIT_EXPECT_EQ(ctx->test, refcount_read(&f->ref), 0U);
	if (ctx->check_gp)
		KUNIT_EXPECT_TRUE(ctx->test,
				  poll_state_synchronize_rcu(ctx->gp_cookie));
	kfree(f->priv);
}

static void flow_test_params(struct mprox_flow_table_params *p)
{
	memset(p, 0, sizeof(*p));
	p->v4.base.v4.s_addr = htonl(0x64400000);	/* 100.64.0.0 */
	p->v4.nr_addrs = 1;
	p->v4.listen_addr.v4.s_addr = htonl(0x64400001);
	p->v4.listen_port = htons(1080);
	p->v6.base.v6.s6_addr32[0] = htonl(0xfd006d70);	/* fd00:6d70:: */
	p->v6.base.v6.s6_addr32[3] = htonl(0x100);
	p->v6.nr_addrs = 1;
	p->v6.listen_addr.v6.s6_addr32[0] = htonl(0xfd006d70);
	p->v6.listen_addr.v6.s6_addr32[3] = htonl(1);
	p->v6.listen_port = htons(1081);
	p->port_min = T_PORT_MIN;
	p->port_max = T_PORT_MAX;
	p->tcp_idle = 10 * HZ;
	p->udp_idle = 100 * HZ;
	p->release = flow_test_release;
}

static struct mprox_flow_table *flow_test_table(struct kunit *test,
						const struct mprox_flow_table_params *p)
{
	struct flow_test_ctx *ctx = test->priv;

	KUNIT_ASSERT_EQ(test, mprox_flow_table_init(&ctx->t, p), 0);
	ctx->table = true;
	return &ctx->t;
}

static struct mprox_flow_table *flow_test_default_table(struct kunit *test)
{
	struct mprox_flow_table_params p;

	flow_test_params(&p);
	return flow_test_table(test, &p);
}

/* An app tuple: 10.0.0.@host:@sport -> 192.0.2.1:443, or the IPv6 twin. */
static void flow_test_key(struct mprox_flow_key *k, u16 family, u8 proto,
			  u32 host, u16 sport)
{
	union mprox_addr s = {}, d = {};

	if (family == AF_INET) {
		s.v4.s_addr = htonl(0x0a000000 | host);
		d.v4.s_addr = htonl(0xc0000201);
	} else {
		s.v6.s6_addr32[0] = htonl(0x20010db8);
		s.v6.s6_addr32[3] = htonl(host);
		d.v6.s6_addr32[0] = htonl(0x20010db8);
		d.v6.s6_addr32[1] = htonl(0xffff);
		d.v6.s6_addr32[3] = htonl(1);
	}
	mprox_flow_key_set(k, family, proto, &s, htons(sport), &d, htons(443));
}

static int flow_test_init(struct kunit *test)
{
	struct flow_test_ctx *ctx;
	int err;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->test = test;
	test->priv = ctx;
	flow_test_cur = ctx;
	atomic_set(&flow_test_released, 0);
	err = mprox_flow_init();
	return err;
}

static void flow_test_exit(struct kunit *test)
{
	struct flow_test_ctx *ctx = test->priv;

	if (ctx->table)
		mprox_flow_table_destroy(&ctx->t);
	mprox_flow_exit();
	flow_test_cur = NULL;
}

static void flow_test_create_lookup(struct kunit *test, u16 family, u8 proto)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	const struct mprox_flow_nat_pool *pool = &t->pool[family == AF_INET6];
	struct mprox_flow_key app, reply, k;
	struct mprox_flow *f, *g;
	struct mprox_flow_stats s;
	u16 port;

	flow_test_key(&app, family, proto, 2, 40000);
	f = mprox_flow_create(t, &app, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	KUNIT_EXPECT_EQ(test, mprox_flow_state(f), MPROX_FLOW_SYN_HELD);
	KUNIT_EXPECT_EQ(test, refcount_read(&f->ref), 2U);

	/* The nat tuple: F from the pool, f in range, L:l the listener. */
	KUNIT_EXPECT_EQ(test, f->nat.family, family);
	KUNIT_EXPECT_EQ(test, f->nat.proto, proto);
	port = ntohs(f->nat.sport);
	KUNIT_EXPECT_GE(test, port, T_PORT_MIN);
	KUNIT_EXPECT_LE(test, port, T_PORT_MAX);
	KUNIT_EXPECT_EQ(test, memcmp(&f->nat.saddr, &pool->base,
				     sizeof(pool->base)), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&f->nat.daddr, &pool->listen_addr,
				     sizeof(pool->listen_addr)), 0);
	KUNIT_EXPECT_EQ(test, f->nat.dport, pool->listen_port);

	g = mprox_flow_lookup_app(t, &app);
	KUNIT_EXPECT_PTR_EQ(test, g, f);
	if (g)
		mprox_flow_put(g);

	/* A reply L:l -> F:f, reversed, finds it by the nat table. */
	mprox_flow_key_reverse(&reply, &f->nat);
	KUNIT_EXPECT_EQ(test, reply.sport, pool->listen_port);
	mprox_flow_key_reverse(&k, &reply);
	g = mprox_flow_lookup_nat(t, &k);
	KUNIT_EXPECT_PTR_EQ(test, g, f);
	if (g)
		mprox_flow_put(g);
	/* Neither table knows the other's key or the reply itself. */
	KUNIT_EXPECT_NULL(test, mprox_flow_lookup_nat(t, &app));
	KUNIT_EXPECT_NULL(test, mprox_flow_lookup_app(t, &f->nat));
	KUNIT_EXPECT_NULL(test, mprox_flow_lookup_nat(t, &reply));

	/* One create per app tuple. */
	g = mprox_flow_create(t, &app, 16, NULL, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(g), -EEXIST);

	mprox_flow_table_stats(t, &s);
	KUNIT_EXPECT_EQ(test, s.active, 1U);
	KUNIT_EXPECT_EQ(test, s.created, 1ULL);
	KUNIT_EXPECT_EQ(test, refcount_read(&f->ref), 2U);
	mprox_flow_put(f);
}

static void mprox_flow_v4_test(struct kunit *test)
{
	flow_test_create_lookup(test, AF_INET, IPPROTO_TCP);
}

static void mprox_flow_v6_test(struct kunit *test)
{
	flow_test_create_lookup(test, AF_INET6, IPPROTO_TCP);
}

static void mprox_flow_udp_test(struct kunit *test)
{
	flow_test_create_lookup(test, AF_INET, IPPROTO_UDP);
}

/* Keys that differ in one field are different flows. */
static void mprox_flow_key_fields_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct mprox_flow_key keys[8];
	union mprox_addr a = {};
	struct mprox_flow *f[8], *g;
	unsigned int i, j;

	flow_test_key(&keys[0], AF_INET, IPPROTO_TCP, 2, 40000);
	keys[1] = keys[0];
	keys[1].saddr.v4.s_addr ^= htonl(1);
	keys[2] = keys[0];
	keys[2].daddr.v4.s_addr ^= htonl(0x100);
	keys[3] = keys[0];
	keys[3].sport = htons(40001);
	keys[4] = keys[0];
	keys[4].dport = htons(444);
	keys[5] = keys[0];
	keys[5].proto = IPPROTO_UDP;
	/* IPv6 ::a.b.c.d style: the same 4 bytes, another family. */
	keys[6] = keys[0];
	keys[6].family = AF_INET6;
	/* Ports swapped, addresses swapped: the reverse direction. */
	mprox_flow_key_reverse(&keys[7], &keys[0]);

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		f[i] = mprox_flow_create(t, &keys[i], 64, NULL, GFP_KERNEL);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(f[i]), "key %u: %ld", i,
				       PTR_ERR(f[i]));
	}
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		g = mprox_flow_lookup_app(t, &keys[i]);
		KUNIT_EXPECT_PTR_EQ_MSG(test, g, f[i], "key %u", i);
		if (g)
			mprox_flow_put(g);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, memcmp(&f[i]->nat, &f[j]->nat,
						     sizeof(f[i]->nat)), 0);
	}

	/* mprox_flow_key_set() zeroes what an IPv4 address leaves over. */
	memset(&a, 0xa5, sizeof(a));
	a.v4 = keys[0].saddr.v4;
	mprox_flow_key_set(&keys[1], AF_INET, IPPROTO_TCP, &a, keys[0].sport,
			   &keys[0].daddr, keys[0].dport);
	KUNIT_EXPECT_EQ(test, memcmp(&keys[1], &keys[0], sizeof(keys[0])), 0);
	g = mprox_flow_lookup_app(t, &keys[1]);
	KUNIT_EXPECT_PTR_EQ(test, g, f[0]);
	if (g)
		mprox_flow_put(g);

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		mprox_flow_put(f[i]);
}

static void mprox_flow_limit_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct mprox_flow_stats s;
	struct mprox_flow_key k;
	struct mprox_flow *f[4];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		flow_test_key(&k, AF_INET, IPPROTO_TCP, 2, 40000 + i);
		f[i] = mprox_flow_create(t, &k, 3, NULL, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f[i]));
	}
	flow_test_key(&k, AF_INET6, IPPROTO_TCP, 2, 40003);
	f[3] = mprox_flow_create(t, &k, 3, NULL, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(f[3]), -ENOSPC);
	mprox_flow_table_stats(t, &s);
	KUNIT_EXPECT_EQ(test, s.active, 3U);
	KUNIT_EXPECT_EQ(test, s.refused_limit, 1ULL);
	KUNIT_EXPECT_EQ(test, s.port_exhausted, 0ULL);

	/* A kill makes room; a bigger limit (a new configuration) too. */
	mprox_flow_kill(t, f[0]);
	f[3] = mprox_flow_create(t, &k, 3, NULL, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(f[3]));
	if (!IS_ERR(f[3]))
		mprox_flow_put(f[3]);
	flow_test_key(&k, AF_INET6, IPPROTO_TCP, 2, 40004);
	f[3] = mprox_flow_create(t, &k, 4, NULL, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(f[3]));
	if (!IS_ERR(f[3]))
		mprox_flow_put(f[3]);
	for (i = 0; i < 3; i++)
		mprox_flow_put(f[i]);
}

#define T_MANY	1000

static void mprox_flow_ports_unique_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	unsigned long *used;
	struct mprox_flow_key k;
	struct mprox_flow *f;
	unsigned int i;
	u16 port;

	used = kunit_kzalloc(test, BITS_TO_LONGS(65536) * sizeof(long),
			     GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, used);
	for (i = 0; i < T_MANY; i++) {
		flow_test_key(&k, AF_INET, IPPROTO_TCP, i, 30000 + i);
		f = mprox_flow_create(t, &k, T_MANY, NULL, GFP_KERNEL);
		KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(f), "flow %u: %ld", i,
				       PTR_ERR(f));
		port = ntohs(f->nat.sport);
		KUNIT_EXPECT_GE(test, port, T_PORT_MIN);
		KUNIT_EXPECT_LE(test, port, T_PORT_MAX);
		KUNIT_EXPECT_FALSE_MSG(test, test_bit(port, used),
				       "port %u twice", port);
		__set_bit(port, used);
		mprox_flow_put(f);
	}
	KUNIT_EXPECT_EQ(test, bitmap_weight(used, 65536), T_MANY);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), T_MANY);
}

/* Two addresses of 4 ports each: 8 flows, then no (F, f) is left. */
static void mprox_flow_ports_exhausted_test(struct kunit *test)
{
	struct mprox_flow_table_params p;
	struct mprox_flow_table *t;
	struct mprox_flow *f[9], *g;
	struct mprox_flow_stats s;
	struct mprox_flow_key k;
	unsigned int i, j;

	flow_test_params(&p);
	p.v4.nr_addrs = 2;
	p.port_min = 50000;
	p.port_max = 50003;
	t = flow_test_table(test, &p);

	for (i = 0; i < 8; i++) {
		flow_test_key(&k, AF_INET, IPPROTO_TCP, 2, 40000 + i);
		f[i] = mprox_flow_create(t, &k, 100, NULL, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f[i]));
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_FALSE(test, f[i]->nat.saddr.v4.s_addr ==
					   f[j]->nat.saddr.v4.s_addr &&
					   f[i]->nat.sport == f[j]->nat.sport);
	}
	flow_test_key(&k, AF_INET, IPPROTO_TCP, 2, 40008);
	g = mprox_flow_create(t, &k, 100, NULL, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(g), -ENOSPC);
	/* UDP has a port space of its own; IPv6 a pool of its own. */
	flow_test_key(&k, AF_INET, IPPROTO_UDP, 2, 40008);
	g = mprox_flow_create(t, &k, 100, NULL, GFP_KERNEL);
	KUNIT_EXPECT_FALSE(test, IS_ERR(g));
	if (!IS_ERR(g))
		mprox_flow_put(g);
	mprox_flow_table_stats(t, &s);
	KUNIT_EXPECT_EQ(test, s.port_exhausted, 1ULL);
	KUNIT_EXPECT_EQ(test, s.refused_limit, 0ULL);

	/* A freed (F, f) is found again. */
	mprox_flow_kill(t, f[5]);
	flow_test_key(&k, AF_INET, IPPROTO_TCP, 2, 40008);
	f[8] = mprox_flow_create(t, &k, 100, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f[8]));
	KUNIT_EXPECT_EQ(test, memcmp(&f[8]->nat, &f[5]->nat, sizeof(f[8]->nat)), 0);
	for (i = 0; i < 9; i++)
		mprox_flow_put(f[i]);
}

static void mprox_flow_kill_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct mprox_flow_key app, nat;
	struct mprox_flow *f, *g;

	flow_test_key(&app, AF_INET6, IPPROTO_TCP, 7, 40000);
	f = mprox_flow_create(t, &app, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	nat = f->nat;
	mprox_flow_kill(t, f);
	KUNIT_EXPECT_EQ(test, mprox_flow_state(f), MPROX_FLOW_DEAD);
	KUNIT_EXPECT_FALSE(test, mprox_flow_set_state(f, MPROX_FLOW_ESTABLISHED));
	KUNIT_EXPECT_NULL(test, mprox_flow_lookup_app(t, &app));
	KUNIT_EXPECT_NULL(test, mprox_flow_lookup_nat(t, &nat));
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), 0);
	/* Idempotent. */
	mprox_flow_kill(t, f);
	KUNIT_EXPECT_EQ(test, refcount_read(&f->ref), 1U);

	/* The app tuple can start a new flow (a reused source port). */
	g = mprox_flow_create(t, &app, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(g));
	KUNIT_EXPECT_PTR_NE(test, g, f);
	mprox_flow_put(g);
	mprox_flow_put(f);
}

/* A looked-up flow outlives its kill; release runs once, after a GP. */
static void mprox_flow_refcount_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct flow_test_ctx *ctx = test->priv;
	struct mprox_flow *f, *g;
	struct mprox_flow_key k;

	flow_test_key(&k, AF_INET, IPPROTO_TCP, 3, 40000);
	f = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	f->priv = kzalloc(64, GFP_KERNEL);	/* freed by the release */
	g = mprox_flow_lookup_app(t, &k);
	KUNIT_ASSERT_PTR_EQ(test, g, f);
	KUNIT_EXPECT_EQ(test, refcount_read(&f->ref), 3U);

	mprox_flow_kill(t, f);
	mprox_flow_put(f);
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 0);
	/* Still there for its last holder (KASAN would see otherwise). */
	KUNIT_EXPECT_EQ(test, mprox_flow_state(g), MPROX_FLOW_DEAD);
	KUNIT_EXPECT_EQ(test, memcmp(&g->app, &k, sizeof(k)), 0);
	mprox_flow_touch(g);
	mprox_flow_add_bytes(g, 10, 20);
	KUNIT_EXPECT_EQ(test, atomic64_read(&g->bytes_up), 10LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&g->bytes_down), 20LL);

	ctx->gp_cookie = get_state_synchronize_rcu();
	ctx->check_gp = true;
	mprox_flow_put(g);
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 1);
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 1);
}

/*
 * The packet path's finds take no reference: the flow stays valid to the
 * end of the RCU read-side section even when its last reference goes
 * inside it, and a reference can no longer be taken then.
 */
static void mprox_flow_find_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct mprox_flow *f, *found;
	struct mprox_flow_key k, nat;

	flow_test_key(&k, AF_INET, IPPROTO_UDP, 5, 40001);
	f = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	nat = f->nat;

	rcu_read_lock();
	KUNIT_EXPECT_PTR_EQ(test, mprox_flow_find_app(t, &k), f);
	KUNIT_EXPECT_PTR_EQ(test, mprox_flow_find_nat(t, &nat), f);
	/* The table's and the create's: the finds added none. */
	KUNIT_EXPECT_EQ(test, refcount_read(&f->ref), 2U);

	found = mprox_flow_find_app(t, &k);
	mprox_flow_kill(t, found);
	mprox_flow_put(f);
	/* The last reference is gone, the free waits for this section. */
	KUNIT_EXPECT_EQ(test, refcount_read(&found->ref), 0U);
	KUNIT_EXPECT_FALSE(test, mprox_flow_tryget(found));
	KUNIT_EXPECT_EQ(test, memcmp(&found->app, &k, sizeof(k)), 0);
	KUNIT_EXPECT_NULL(test, mprox_flow_find_app(t, &k));
	KUNIT_EXPECT_NULL(test, mprox_flow_find_nat(t, &nat));
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 0);
	rcu_read_unlock();

	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 1);
}

static void mprox_flow_syn_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct sk_buff *a, *b, *c, *d;
	struct mprox_flow *f, *g;
	struct mprox_flow_key k;

	flow_test_key(&k, AF_INET, IPPROTO_TCP, 3, 40000);
	f = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	a = alloc_skb(64, GFP_KERNEL);
	b = alloc_skb(64, GFP_KERNEL);
	c = alloc_skb(64, GFP_KERNEL);
	d = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b && c && d);
	KUNIT_EXPECT_TRUE(test, mprox_flow_hold_syn(f, a));
	KUNIT_EXPECT_FALSE(test, mprox_flow_hold_syn(f, b));
	KUNIT_EXPECT_EQ(test, f->syn_absorbed, 1U);
	KUNIT_EXPECT_PTR_EQ(test, mprox_flow_take_syn(f), a);
	KUNIT_EXPECT_NULL(test, mprox_flow_take_syn(f));
	kfree_skb(a);
	/* One left held: freed with the flow. */
	KUNIT_EXPECT_TRUE(test, mprox_flow_hold_syn(f, c));
	mprox_flow_kill(t, f);
	mprox_flow_put(f);

	/*
	 * Up, its SYN released: a retransmit that raced the release is
	 * absorbed, not held for the connection's life.
	 */
	flow_test_key(&k, AF_INET, IPPROTO_TCP, 3, 40002);
	g = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(g));
	KUNIT_EXPECT_TRUE(test, mprox_flow_set_state(g, MPROX_FLOW_ESTABLISHED));
	KUNIT_EXPECT_FALSE(test, mprox_flow_hold_syn(g, d));
	KUNIT_EXPECT_EQ(test, g->syn_absorbed, 1U);
	KUNIT_EXPECT_NULL(test, mprox_flow_take_syn(g));
	mprox_flow_kill(t, g);
	mprox_flow_put(g);
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 2);
}

static void mprox_flow_rst_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct sk_buff *a, *b, *c, *d;
	struct mprox_flow_key k;
	struct mprox_flow *f;

	flow_test_key(&k, AF_INET, IPPROTO_TCP, 3, 40001);
	f = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(f));
	a = alloc_skb(64, GFP_KERNEL);
	b = alloc_skb(64, GFP_KERNEL);
	c = alloc_skb(64, GFP_KERNEL);
	d = alloc_skb(64, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b && c && d);
	KUNIT_EXPECT_NULL(test, mprox_flow_take_rst(f));
	KUNIT_EXPECT_TRUE(test, mprox_flow_hold_rst(f, a));
	/* The newest is kept, the one before freed (kmemleak). */
	KUNIT_EXPECT_TRUE(test, mprox_flow_hold_rst(f, b));
	KUNIT_EXPECT_PTR_EQ(test, mprox_flow_take_rst(f), b);
	KUNIT_EXPECT_NULL(test, mprox_flow_take_rst(f));
	kfree_skb(b);
	/* One left held: freed with the flow. */
	KUNIT_EXPECT_TRUE(test, mprox_flow_hold_rst(f, c));
	mprox_flow_kill(t, f);
	/* Dead: nobody would deliver it, so it is not held. */
	KUNIT_EXPECT_FALSE(test, mprox_flow_hold_rst(f, d));
	mprox_flow_put(f);
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 1);
}

static void mprox_flow_gc_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	unsigned long base = jiffies;
	struct mprox_flow *tcp, *udp, *dead;
	struct mprox_flow_stats s;
	struct mprox_flow_key k;

	flow_test_key(&k, AF_INET, IPPROTO_TCP, 1, 40000);
	tcp = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	flow_test_key(&k, AF_INET6, IPPROTO_UDP, 1, 40000);
	udp = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	flow_test_key(&k, AF_INET, IPPROTO_TCP, 1, 40001);
	dead = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(tcp) || IS_ERR(udp) || IS_ERR(dead));

	/* DEAD but linked: the next pass unlinks it, idle or not. */
	KUNIT_EXPECT_TRUE(test, mprox_flow_set_state(dead, MPROX_FLOW_DEAD));
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base), 1U);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(dead->unlinked));
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base), 0U);

	/*
	 * A flow whose handshake is under way is not idle, however long the
	 * proxy takes: the handshake's deadlines bound it.
	 */
	mprox_flow_table_set_timeouts(t, 10 * HZ, 100 * HZ);
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base + 500 * HZ), 0U);
	KUNIT_EXPECT_TRUE(test, mprox_flow_set_state(tcp, MPROX_FLOW_CONNECTING));
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base + 500 * HZ), 0U);
	KUNIT_EXPECT_TRUE(test, mprox_flow_set_state(tcp, MPROX_FLOW_ESTABLISHED));
	KUNIT_EXPECT_TRUE(test, mprox_flow_set_state(udp, MPROX_FLOW_CONNECTING));
	KUNIT_EXPECT_TRUE(test, mprox_flow_set_state(udp, MPROX_FLOW_ESTABLISHED));

	/* tcp idle 10 s, udp idle 100 s (flow_test_params()). */
	mprox_flow_table_set_timeouts(t, 1000 * HZ, 100 * HZ);
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base + 50 * HZ), 0U);
	mprox_flow_table_set_timeouts(t, 10 * HZ, 100 * HZ);
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base + 50 * HZ), 1U);
	KUNIT_EXPECT_EQ(test, mprox_flow_state(tcp), MPROX_FLOW_DEAD);
	KUNIT_EXPECT_EQ(test, mprox_flow_state(udp), MPROX_FLOW_ESTABLISHED);

	/* Activity moves the deadline. */
	WRITE_ONCE(udp->last_active, base + 150 * HZ);
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base + 200 * HZ), 0U);
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, base + 251 * HZ), 1U);
	KUNIT_EXPECT_NULL(test, mprox_flow_lookup_app(t, &udp->app));

	mprox_flow_table_stats(t, &s);
	KUNIT_EXPECT_EQ(test, s.active, 0U);
	KUNIT_EXPECT_EQ(test, s.expired, 3ULL);
	mprox_flow_put(tcp);
	mprox_flow_put(udp);
	mprox_flow_put(dead);
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 3);
}

#define T_THREADS	8
#define T_KEYS		64

struct flow_test_racer {
	struct mprox_flow_table *t;
	struct completion *go;
	struct completion done;
	atomic_t *wins;
	unsigned int eexist, other;
};

static int flow_test_racer_fn(void *arg)
{
	struct flow_test_racer *r = arg;
	struct mprox_flow_key k;
	struct mprox_flow *f;
	unsigned int i;

	wait_for_completion(r->go);
	for (i = 0; i < T_KEYS; i++) {
		flow_test_key(&k, AF_INET, IPPROTO_TCP, 5, 20000 + i);
		/* As xmit does. */
		local_bh_disable();
		f = mprox_flow_create(r->t, &k, 1000, NULL, GFP_ATOMIC);
		local_bh_enable();
		if (!IS_ERR(f)) {
			atomic_inc(&r->wins[i]);
			mprox_flow_put(f);
		} else if (PTR_ERR(f) == -EEXIST) {
			r->eexist++;
		} else {
			r->other++;
		}
		cond_resched();
	}
	complete(&r->done);
	return 0;
}

/* Racing creates of the same app tuple: exactly one flow each. */
static void mprox_flow_race_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct flow_test_racer *r;
	struct task_struct *task;
	struct completion go;
	unsigned int i, started, eexist = 0, other = 0;
	atomic_t *wins;

	r = kunit_kcalloc(test, T_THREADS, sizeof(*r), GFP_KERNEL);
	wins = kunit_kcalloc(test, T_KEYS, sizeof(*wins), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, r && wins);
	init_completion(&go);
	for (started = 0; started < T_THREADS; started++) {
		r[started].t = t;
		r[started].go = &go;
		r[started].wins = wins;
		init_completion(&r[started].done);
		task = kthread_run(flow_test_racer_fn, &r[started],
				   "mprox-flow-%u", started);
		if (IS_ERR(task))
			break;
	}
	/* Let go of those started even if not all were: go is on the stack. */
	complete_all(&go);
	for (i = 0; i < started; i++) {
		wait_for_completion(&r[i].done);
		eexist += r[i].eexist;
		other += r[i].other;
	}
	KUNIT_ASSERT_EQ(test, started, T_THREADS);
	for (i = 0; i < T_KEYS; i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&wins[i]), 1, "key %u", i);
	KUNIT_EXPECT_EQ(test, eexist, (T_THREADS - 1) * T_KEYS);
	KUNIT_EXPECT_EQ(test, other, 0U);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->count), T_KEYS);
}

/* Destroy with live flows, some still referenced: all released. */
static void mprox_flow_destroy_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct flow_test_ctx *ctx = test->priv;
	struct mprox_flow *held[4];
	struct mprox_flow_key k;
	struct mprox_flow *f;
	unsigned int i;

	for (i = 0; i < 100; i++) {
		flow_test_key(&k, i % 2 ? AF_INET6 : AF_INET,
			      i % 3 ? IPPROTO_TCP : IPPROTO_UDP, i, 40000);
		f = mprox_flow_create(t, &k, 100, NULL, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f));
		f->priv = kzalloc(32, GFP_KERNEL);
		if (i < ARRAY_SIZE(held))
			held[i] = f;
		else
			mprox_flow_put(f);
	}
	mprox_flow_table_destroy(t);
	ctx->table = false;
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 96);
	for (i = 0; i < ARRAY_SIZE(held); i++) {
		KUNIT_EXPECT_EQ(test, mprox_flow_state(held[i]), MPROX_FLOW_DEAD);
		/* A late kill is a no-op that does not touch the table. */
		mprox_flow_kill(NULL, held[i]);
		mprox_flow_put(held[i]);
	}
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 100);
}

static atomic_t flow_test_killed;

static void flow_test_killed_cb(struct mprox_flow *f)
{
	/* The killer holds a reference through the callback. */
	KUNIT_EXPECT_GT(flow_test_cur->test, refcount_read(&f->ref), 0U);
	KUNIT_EXPECT_TRUE(flow_test_cur->test, READ_ONCE(f->unlinked));
	atomic_inc(&flow_test_killed);
}

/* "killed" runs once per linked flow, whoever unlinks it. */
static void mprox_flow_killed_test(struct kunit *test)
{
	struct flow_test_ctx *ctx = test->priv;
	struct mprox_flow_table_params p;
	struct mprox_flow_table *t;
	struct mprox_flow_key k;
	struct mprox_flow *f[3];
	void *priv;
	int i;

	flow_test_params(&p);
	p.killed = flow_test_killed_cb;
	t = flow_test_table(test, &p);
	atomic_set(&flow_test_killed, 0);
	priv = kzalloc(8, GFP_KERNEL);	/* freed by flow_test_release */
	KUNIT_ASSERT_NOT_NULL(test, priv);
	for (i = 0; i < 3; i++) {
		flow_test_key(&k, AF_INET, IPPROTO_TCP, 1, 1000 + i);
		f[i] = mprox_flow_create(t, &k, 16, i ? NULL : priv, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f[i]));
	}
	KUNIT_EXPECT_PTR_EQ(test, f[0]->priv, priv);
	KUNIT_EXPECT_PTR_EQ(test, mprox_flow_priv_linked(t, f[0]), priv);

	KUNIT_EXPECT_TRUE(test, mprox_flow_kill(t, f[0]));
	KUNIT_EXPECT_FALSE(test, mprox_flow_kill(t, f[0]));
	/* A nat reader gets nothing to attach to; the release still does. */
	KUNIT_EXPECT_PTR_EQ(test, mprox_flow_priv_linked(t, f[0]), NULL);
	KUNIT_EXPECT_PTR_EQ(test, f[0]->priv, priv);
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_killed), 1);
	mprox_flow_set_state(f[1], MPROX_FLOW_DEAD);
	KUNIT_EXPECT_EQ(test, mprox_flow_table_gc(t, jiffies), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_killed), 2);
	mprox_flow_table_destroy(t);
	ctx->table = false;
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_killed), 3);
	for (i = 0; i < 3; i++)
		mprox_flow_put(f[i]);
	mprox_flow_flush();
	KUNIT_EXPECT_EQ(test, atomic_read(&flow_test_released), 3);
}

/*
 * (F, f) pairs are handed out in order: the pair of a connection just
 * closed (maybe in TIME_WAIT at the listener) is not the next one's.
 */
static void mprox_flow_nat_order_test(struct kunit *test)
{
	struct mprox_flow_table *t = flow_test_default_table(test);
	struct mprox_flow_key k;
	struct mprox_flow *f;
	__be16 last = 0;
	int i;

	for (i = 0; i < 50; i++) {
		flow_test_key(&k, AF_INET, IPPROTO_TCP, 1, 2000 + i);
		f = mprox_flow_create(t, &k, 16, NULL, GFP_KERNEL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(f));
		KUNIT_EXPECT_NE(test, f->nat.sport, last);
		if (i && ntohs(last) != T_PORT_MAX)
			KUNIT_EXPECT_EQ(test, ntohs(f->nat.sport),
					ntohs(last) + 1);
		last = f->nat.sport;
		mprox_flow_kill(t, f);
		mprox_flow_put(f);
	}
}

static struct kunit_case mprox_flow_test_cases[] = {
	KUNIT_CASE(mprox_flow_v4_test),
	KUNIT_CASE(mprox_flow_v6_test),
	KUNIT_CASE(mprox_flow_udp_test),
	KUNIT_CASE(mprox_flow_key_fields_test),
	KUNIT_CASE(mprox_flow_limit_test),
	KUNIT_CASE(mprox_flow_ports_unique_test),
	KUNIT_CASE(mprox_flow_ports_exhausted_test),
	KUNIT_CASE(mprox_flow_kill_test),
	KUNIT_CASE(mprox_flow_refcount_test),
	KUNIT_CASE(mprox_flow_find_test),
	KUNIT_CASE(mprox_flow_syn_test),
	KUNIT_CASE(mprox_flow_rst_test),
	KUNIT_CASE(mprox_flow_gc_test),
	KUNIT_CASE(mprox_flow_race_test),
	KUNIT_CASE(mprox_flow_destroy_test),
	KUNIT_CASE(mprox_flow_killed_test),
	KUNIT_CASE(mprox_flow_nat_order_test),
	{}
};

struct kunit_suite mprox_flow_test_suite = {
	.name = "mprox_flow",
	.init = flow_test_init,
	.exit = flow_test_exit,
	.test_cases = mprox_flow_test_cases,
};
