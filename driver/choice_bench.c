// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit microbenchmark of a new flow's choice of upstream, part of
 * mprox-test.ko: 100 rules, the last on a set of MPROX_SET_PREFIXES_MAX
 * prefixes, and the pick among four upstreams (docs/routing.md, "Choosing
 * an upstream"). It checks what each choice found and prints what one
 * cost; the cost is not a verdict (the test guests are emulated: see
 * docs/performance.md for the target and the figure).
 *
 * rule.c, parse.c and balance.c are in this module already (the rule,
 * parse and choice suites include them).
 */
#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>

#include "balance.h"
#include "kunit_suites.h"
#include "rule.h"

#define BENCH_RULES		100
#define BENCH_UPSTREAMS		4
#define BENCH_FLOWS		20000

struct choice_bench {
	struct mprox_rule rules[BENCH_RULES];
	struct mprox_rule_prefix *set;
	struct mprox_balance_item up[BENCH_UPSTREAMS];
	struct mprox_directive d;
};

static struct mprox_balance_item *choice_bench_item(void *arg, unsigned int i)
{
	return &((struct choice_bench *)arg)->up[i];
}

/*
 * The set: every other /24 from 11.0.0.0 up, 100,000 of them, so that a
 * flow to 11.x.y.z with y even is in it and one with y odd is not.
 */
static void choice_bench_set(struct mprox_rule_prefix *set)
{
	u32 i;

	for (i = 0; i < MPROX_SET_PREFIXES_MAX; i++) {
		u32 net = (11U << 24) + (i << 9);

		set[i] = (struct mprox_rule_prefix){ .family = AF_INET, .len = 24 };
		set[i].addr[0] = net >> 24;
		set[i].addr[1] = net >> 16;
		set[i].addr[2] = net >> 8;
	}
}

/*
 * 99 rules that a flow to port 443 from uid 1000 passes over, each for
 * another reason (port, destination, uid), then the set's.
 */
static int choice_bench_rules(struct kunit *test, struct choice_bench *b)
{
	char line[96];
	int i, len;

	for (i = 0; i < BENCH_RULES; i++) {
		if (i == BENCH_RULES - 1)
			len = snprintf(line, sizeof(line), "rule add to-set big upstream u");
		else if (i % 3 == 0)
			len = snprintf(line, sizeof(line), "rule add port %d upstream u",
				       1000 + i);
		else if (i % 3 == 1)
			len = snprintf(line, sizeof(line), "rule add to 10.%d.0.0/16 reject", i);
		else
			len = snprintf(line, sizeof(line), "rule add uid %d-%d priority 1",
				       2000 + i, 2000 + i);
		if (mprox_parse_line(line, len, &b->d) || b->d.op != MPROX_OP_RULE_ADD) {
			KUNIT_FAIL(test, "\"%s\" does not parse", line);
			return -EINVAL;
		}
		b->rules[i] = b->d.rule;
		b->rules[i].kuid_lo = b->rules[i].uid_lo;
		b->rules[i].kuid_hi = b->rules[i].uid_hi;
		if (b->rules[i].set[0]) {
			b->rules[i].set_prefixes = b->set;
			b->rules[i].set_len = MPROX_SET_PREFIXES_MAX;
		}
	}
	return 0;
}

static void mprox_choice_bench(struct kunit *test)
{
	u32 *daddr, i, wrong = 0, in_set = 0;
	struct choice_bench *b;
	u64 t0, ns;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	daddr = kmalloc_array(BENCH_FLOWS, sizeof(*daddr), GFP_KERNEL);
	if (b)
		b->set = kvmalloc_array(MPROX_SET_PREFIXES_MAX, sizeof(*b->set), GFP_KERNEL);
	if (!b || !daddr || !b->set) {
		KUNIT_FAIL(test, "no memory for the benchmark");
		goto out;
	}
	choice_bench_set(b->set);
	if (mprox_prefixes_sort(b->set, MPROX_SET_PREFIXES_MAX)) {
		KUNIT_FAIL(test, "the set does not sort");
		goto out;
	}
	if (choice_bench_rules(test, b))
		goto out;
	for (i = 0; i < BENCH_UPSTREAMS; i++)
		b->up[i] = (struct mprox_balance_item){ .weight = i + 1, .usable = true };
	/* Destinations spread over the set's span, drawn before the clock. */
	for (i = 0; i < BENCH_FLOWS; i++)
		daddr[i] = (11U << 24) + get_random_u32() % (MPROX_SET_PREFIXES_MAX << 9);

	t0 = ktime_get_ns();
	for (i = 0; i < BENCH_FLOWS; i++) {
		__be32 dst = cpu_to_be32(daddr[i]), src = cpu_to_be32(0x0a000001);
		struct mprox_rule_pkt pkt = {
			.family = AF_INET, .proto = IPPROTO_TCP, .dport = 443,
			.saddr = (const u8 *)&src, .daddr = (const u8 *)&dst,
			.has_uid = true, .kuid = 1000,
		};
		int r = mprox_rule_match(b->rules, BENCH_RULES, &pkt);
		bool want = !((daddr[i] >> 8) & 1);

		/* Unmatched flows take the default way: the pick. */
		if (r < 0 &&
		    mprox_balance_pick(choice_bench_item, b, BENCH_UPSTREAMS,
				       MPROX_BALANCE_WEIGHTED) < 0)
			wrong++;
		if ((r == BENCH_RULES - 1) != want || (r >= 0 && r != BENCH_RULES - 1))
			wrong++;
		in_set += want;
	}
	ns = ktime_get_ns() - t0;

	KUNIT_EXPECT_EQ_MSG(test, wrong, 0U, "flows that took the wrong way");
	kunit_info(test, "choice: %llu ns a flow (target: under 1000)\n",
		   div_u64(ns, BENCH_FLOWS));
	kunit_info(test, "of %u flows, %u matched the set's rule, %u were picked\n",
		   BENCH_FLOWS, in_set, BENCH_FLOWS - in_set);
out:
	if (b)
		kvfree(b->set);
	kfree(b);
	kfree(daddr);
}

static struct kunit_case mprox_choice_bench_cases[] = {
	KUNIT_CASE(mprox_choice_bench),
	{}
};

struct kunit_suite mprox_choice_bench_suite = {
	.name = "mprox-choice-bench",
	.test_cases = mprox_choice_bench_cases,
};
