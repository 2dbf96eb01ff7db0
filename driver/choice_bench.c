// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit microbenchmark of a new flow's choice of upstream (choice_bench.h),
 * part of mprox-test.ko. It checks what each choice found and prints what
 * one cost; the cost is not a verdict (the test guests are emulated: see
 * docs/performance.md for the target and the figures).
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

#include "choice_bench.h"
#include "kunit_suites.h"

static void mprox_choice_bench(struct kunit *test)
{
	u32 *daddr, i, wrong, in_set;
	struct choice_bench *b;
	u64 t0, ns;
	int bad;

	b = kzalloc(sizeof(*b), GFP_KERNEL);
	daddr = kmalloc_array(CHOICE_BENCH_FLOWS, sizeof(*daddr), GFP_KERNEL);
	if (b)
		b->set = kvmalloc_array(MPROX_SET_PREFIXES_MAX, sizeof(*b->set), GFP_KERNEL);
	if (!b || !daddr || !b->set) {
		KUNIT_FAIL(test, "no memory for the benchmark");
		goto out;
	}
	if (choice_bench_set(b->set)) {
		KUNIT_FAIL(test, "the set does not sort");
		goto out;
	}
	bad = choice_bench_setup(b);
	if (bad >= 0) {
		KUNIT_FAIL(test, "rule %d does not parse", bad);
		goto out;
	}
	/* Drawn before the clock. */
	for (i = 0; i < CHOICE_BENCH_FLOWS; i++)
		daddr[i] = choice_bench_daddr(get_random_u32());

	t0 = ktime_get_ns();
	wrong = choice_bench_run(b, daddr, CHOICE_BENCH_FLOWS, &in_set);
	ns = ktime_get_ns() - t0;

	KUNIT_EXPECT_EQ_MSG(test, wrong, 0U, "flows that took the wrong way");
	kunit_info(test, "choice: %llu ns a flow (target: under 1000)\n",
		   div_u64(ns, CHOICE_BENCH_FLOWS));
	kunit_info(test, "of %u flows, %u matched the set's rule, %u were picked\n",
		   CHOICE_BENCH_FLOWS, in_set, CHOICE_BENCH_FLOWS - in_set);
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
