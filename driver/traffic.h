/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Bytes relayed and relay passes, counted per CPU: every pass of every
 * connection adds to its device's and its upstream's totals, and shared
 * atomics there would bounce one cache line between the CPUs that relay.
 * Readers (status.c) sum over the CPUs.
 */
#ifndef _MPROX_TRAFFIC_H
#define _MPROX_TRAFFIC_H

#include <linux/bottom_half.h>
#include <linux/percpu.h>
#include <linux/u64_stats_sync.h>

/* What moved the bytes: a relay pass, and which kind (relay.h), or not. */
enum mprox_traffic_pass {
	MPROX_TRAFFIC_NO_PASS,
	MPROX_TRAFFIC_PASS_WORK,
	MPROX_TRAFFIC_PASS_INLINE,
};

struct mprox_traffic_cpu {
	u64_stats_t bytes_up;
	u64_stats_t bytes_down;
	u64_stats_t passes_work;
	u64_stats_t passes_inline;
	struct u64_stats_sync syncp;
};

struct mprox_traffic {
	u64 bytes_up;
	u64 bytes_down;
	u64 passes_work;
	u64 passes_inline;
};

static inline struct mprox_traffic_cpu __percpu *mprox_traffic_alloc(void)
{
	struct mprox_traffic_cpu __percpu *t;
	int cpu;

	t = alloc_percpu_gfp(struct mprox_traffic_cpu, GFP_KERNEL_ACCOUNT);
	if (t)
		for_each_possible_cpu(cpu)
			u64_stats_init(&per_cpu_ptr(t, cpu)->syncp);
	return t;
}

/* Any context but hard IRQ: the writer of a CPU's counters is alone. */
static inline void mprox_traffic_add(struct mprox_traffic_cpu __percpu *t,
				     u64 up, u64 down,
				     enum mprox_traffic_pass pass)
{
	struct mprox_traffic_cpu *c;

	local_bh_disable();
	c = this_cpu_ptr(t);
	u64_stats_update_begin(&c->syncp);
	u64_stats_add(&c->bytes_up, up);
	u64_stats_add(&c->bytes_down, down);
	if (pass == MPROX_TRAFFIC_PASS_WORK)
		u64_stats_inc(&c->passes_work);
	else if (pass == MPROX_TRAFFIC_PASS_INLINE)
		u64_stats_inc(&c->passes_inline);
	u64_stats_update_end(&c->syncp);
	local_bh_enable();
}

/* The totals over all CPUs, added to @sum. */
static inline void mprox_traffic_read(struct mprox_traffic_cpu __percpu *t,
				      struct mprox_traffic *sum)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct mprox_traffic_cpu *c = per_cpu_ptr(t, cpu);
		struct mprox_traffic one;
		unsigned int seq;

		do {
			seq = u64_stats_fetch_begin(&c->syncp);
			one.bytes_up = u64_stats_read(&c->bytes_up);
			one.bytes_down = u64_stats_read(&c->bytes_down);
			one.passes_work = u64_stats_read(&c->passes_work);
			one.passes_inline = u64_stats_read(&c->passes_inline);
		} while (u64_stats_fetch_retry(&c->syncp, seq));
		sum->bytes_up += one.bytes_up;
		sum->bytes_down += one.bytes_down;
		sum->passes_work += one.passes_work;
		sum->passes_inline += one.passes_inline;
	}
}

#endif /* _MPROX_TRAFFIC_H */
