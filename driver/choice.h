/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The choice of upstream, once per flow, at its SYN, before the engine
 * opens anything (docs/design.md, "The connection engine" in "Data path"). Today a weighted
 * round robin over the upstreams whose protocol the engine speaks.
 */
#ifndef _MPROX_CHOICE_H
#define _MPROX_CHOICE_H

#include "datapath.h"

/*
 * The upstream for a new flow, or NULL when there is none. RCU read side
 * held; the caller takes its own reference. Also reads max_flows.
 */
struct mprox_upstream *mprox_choose_upstream(struct mprox_datapath *dp,
					     u32 *max_flows);

#endif /* _MPROX_CHOICE_H */
