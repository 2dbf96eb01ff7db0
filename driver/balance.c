// SPDX-License-Identifier: GPL-2.0
/*
 * The pick among a device's upstreams; see balance.h.
 */

#include "balance.h"

/* Whether @a has fewer connections for its weight than @b. */
static bool mprox_balance_less_loaded(const struct mprox_balance_item *a,
				      const struct mprox_balance_item *b)
{
	return (u64)a->active * b->weight < (u64)b->active * a->weight;
}

int mprox_balance_pick(struct mprox_balance_item *(*item)(void *arg,
							  unsigned int i),
		       void *arg, unsigned int n, enum mprox_balance_mode mode)
{
	struct mprox_balance_item *it, *best = NULL, *least = NULL;
	unsigned int i, prio = 256;
	int total = 0, best_i = -1;
	u32 w;

	for (i = 0; i < n; i++) {
		it = item(arg, i);
		if (it->usable && it->priority < prio)
			prio = it->priority;
	}
	if (mode == MPROX_BALANCE_LEAST_CONNECTIONS) {
		for (i = 0; i < n; i++) {
			it = item(arg, i);
			if (it->usable && it->priority == prio &&
			    (!least || mprox_balance_less_loaded(it, least)))
				least = it;
		}
	}
	for (i = 0; i < n; i++) {
		it = item(arg, i);
		if (!it->usable || it->priority != prio)
			continue;
		/* Only the least loaded take part in this round. */
		if (least && mprox_balance_less_loaded(least, it))
			continue;
		w = mode == MPROX_BALANCE_ROUND_ROBIN ? 1 : it->weight;
		it->running += w;
		total += w;
		if (!best || it->running > best->running) {
			best = it;
			best_i = i;
		}
	}
	if (best)
		best->running -= total;
	return best_i;
}
