// SPDX-License-Identifier: GPL-2.0
/*
 * Which upstream a new flow goes through; see choice.h.
 */

#include "choice.h"

/*
 * Weighted round robin over the upstreams the data path speaks. RCU read
 * side held; the caller takes its own reference. Also reads max_flows.
 */
struct mprox_upstream *mprox_choose_upstream(struct mprox_datapath *dp,
					     u32 *max_flows)
{
	const struct mprox_config *cfg = rcu_dereference(dp->config);
	u32 total = 0, n;
	unsigned int i;

	*max_flows = cfg->tunables[MPROX_TUNE_MAX_FLOWS];
	for (i = 0; i < cfg->nr_upstreams; i++)
		if (mprox_datapath_speaks(cfg->upstreams[i]))
			total += cfg->upstreams[i]->spec.weight;
	if (!total)
		return NULL;
	n = (u32)atomic_inc_return(&dp->next_upstream) % total;
	for (i = 0; i < cfg->nr_upstreams; i++) {
		struct mprox_upstream *up = cfg->upstreams[i];

		if (!mprox_datapath_speaks(up))
			continue;
		if (n < up->spec.weight)
			return up;
		n -= up->spec.weight;
	}
	return NULL;
}
