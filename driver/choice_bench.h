/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The body of the microbenchmark of a new flow's choice of upstream: 100
 * rules, the last on a set of MPROX_SET_PREFIXES_MAX prefixes, and the pick
 * among four upstreams (docs/routing.md, "Choosing an upstream"). Pure:
 * the KUnit suite (choice_bench.c) runs it in the test guests, and
 * tests/bench/choicebench.c builds it for the host, whose CPU is not
 * emulated. Each prints what a choice cost; neither makes it a verdict.
 */
#ifndef MPROX_CHOICE_BENCH_H
#define MPROX_CHOICE_BENCH_H

#include "balance.h"
#include "rule.h"

#define CHOICE_BENCH_RULES	100
#define CHOICE_BENCH_UPSTREAMS	4
#define CHOICE_BENCH_FLOWS	20000

struct choice_bench {
	struct mprox_rule rules[CHOICE_BENCH_RULES];
	struct mprox_rule_prefix *set;	/* MPROX_SET_PREFIXES_MAX, the caller's */
	struct mprox_balance_item up[CHOICE_BENCH_UPSTREAMS];
	struct mprox_directive d;
};

static struct mprox_balance_item *choice_bench_item(void *arg, unsigned int i)
{
	return &((struct choice_bench *)arg)->up[i];
}

/*
 * The set: every other /24 from 11.0.0.0 up, 100,000 of them, so that a
 * flow to 11.x.y.z with y even is in it and one with y odd is not.
 * Returns what sorting it returns (0).
 */
static int choice_bench_set(struct mprox_rule_prefix *set)
{
	u32 i;

	for (i = 0; i < MPROX_SET_PREFIXES_MAX; i++) {
		u32 net = (11U << 24) + (i << 9);

		set[i] = (struct mprox_rule_prefix){ .family = AF_INET, .len = 24 };
		set[i].addr[0] = net >> 24;
		set[i].addr[1] = net >> 16;
		set[i].addr[2] = net >> 8;
	}
	return mprox_prefixes_sort(set, MPROX_SET_PREFIXES_MAX);
}

/*
 * 99 rules that a flow to port 443 from uid 1000 passes over, each for
 * another reason (port, destination, uid), then the set's; and four
 * upstreams of weights 1 to 4. Returns -1, or the number of the rule that
 * did not parse.
 */
static int choice_bench_setup(struct choice_bench *b)
{
	char line[96];
	int i, len;

	for (i = 0; i < CHOICE_BENCH_RULES; i++) {
		if (i == CHOICE_BENCH_RULES - 1)
			len = snprintf(line, sizeof(line), "rule add to-set big upstream u");
		else if (i % 3 == 0)
			len = snprintf(line, sizeof(line), "rule add port %d upstream u",
				       1000 + i);
		else if (i % 3 == 1)
			len = snprintf(line, sizeof(line), "rule add to 10.%d.0.0/16 reject", i);
		else
			len = snprintf(line, sizeof(line), "rule add uid %d-%d priority 1",
				       2000 + i, 2000 + i);
		if (mprox_parse_line(line, len, &b->d) || b->d.op != MPROX_OP_RULE_ADD)
			return i;
		b->rules[i] = b->d.rule;
		b->rules[i].kuid_lo = b->rules[i].uid_lo;
		b->rules[i].kuid_hi = b->rules[i].uid_hi;
		if (b->rules[i].set[0]) {
			b->rules[i].set_prefixes = b->set;
			b->rules[i].set_len = MPROX_SET_PREFIXES_MAX;
		}
	}
	for (i = 0; i < CHOICE_BENCH_UPSTREAMS; i++)
		b->up[i] = (struct mprox_balance_item){ .weight = i + 1, .usable = true };
	return -1;
}

/* A destination spread over the set's span, from a random @r. */
static inline u32 choice_bench_daddr(u32 r)
{
	return (11U << 24) + r % (MPROX_SET_PREFIXES_MAX << 9);
}

/*
 * The timed part: the choice for a flow to each of @daddr's @n addresses
 * (host order). Returns how many took the wrong way; *@in_set, how many
 * matched the set's rule.
 */
static u32 choice_bench_run(struct choice_bench *b, const u32 *daddr, u32 n,
			    u32 *in_set)
{
	static const u8 src[4] = { 10, 0, 0, 1 };
	u32 i, wrong = 0;

	*in_set = 0;
	for (i = 0; i < n; i++) {
		u8 dst[4] = { daddr[i] >> 24, daddr[i] >> 16, daddr[i] >> 8, daddr[i] };
		struct mprox_rule_pkt pkt = {
			.family = AF_INET, .proto = IPPROTO_TCP, .dport = 443,
			.saddr = src, .daddr = dst, .has_uid = true, .kuid = 1000,
		};
		int r = mprox_rule_match(b->rules, CHOICE_BENCH_RULES, &pkt);
		bool want = !((daddr[i] >> 8) & 1);

		/* Unmatched flows take the default way: the pick. */
		if (r < 0 &&
		    mprox_balance_pick(choice_bench_item, b, CHOICE_BENCH_UPSTREAMS,
				       MPROX_BALANCE_WEIGHTED) < 0)
			wrong++;
		if ((r == CHOICE_BENCH_RULES - 1) != want ||
		    (r >= 0 && r != CHOICE_BENCH_RULES - 1))
			wrong++;
		*in_set += want;
	}
	return wrong;
}

#endif /* MPROX_CHOICE_BENCH_H */
