/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which of a device's upstreams a new flow goes to, as DNS SRV records
 * choose a server: the usable upstreams of the lowest priority number, and
 * among them a smooth weighted round robin (nginx's): each pick adds every
 * candidate's weight to its running weight, takes the highest (the first
 * on a tie) and takes the sum of the weights off it. Deterministic, so
 * tests can count: weights 3 and 1 give A A B A, A A B A, ...
 *
 * Pure: the caller serialises the calls (the running weights are its),
 * so the rules run unchanged in the host unit test.
 */
#ifndef _MPROX_BALANCE_H
#define _MPROX_BALANCE_H

#include "parse.h"

struct mprox_balance_item {
	u32 weight;		/* 1-1000 */
	u8 priority;		/* lower first */
	/* Set by the caller before each pick: */
	bool usable;
	u32 active;		/* connections through it now */
	int running;		/* the running weight; starts at 0 */
};

/*
 * Pick among @n items, item(@arg, i) the i-th, by @mode ("set balance"):
 *   weighted           the smooth weighted round robin above;
 *   round-robin        the same with every weight 1: in turn;
 *   least-connections  the fewest active connections for its weight
 *                      (active / weight), ties by the weighted round robin.
 * Returns the index, or -1 when none is usable.
 */
int mprox_balance_pick(struct mprox_balance_item *(*item)(void *arg,
							  unsigned int i),
		       void *arg, unsigned int n, enum mprox_balance_mode mode);

#endif /* _MPROX_BALANCE_H */
