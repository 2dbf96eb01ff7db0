/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The earliest of several deadlines (jiffies), for the works that wait on
 * more than one and keep it with 0 for "none yet" (spare.c, probe.c).
 */
#ifndef MPROX_DEADLINE_H
#define MPROX_DEADLINE_H

#ifdef __KERNEL__
#include <linux/jiffies.h>
#else
#include "kernel_shim.h"
#endif

/*
 * The earlier of @next (0: none) and @when. Where unsigned long is 32
 * bits, jiffies passes 0 five minutes after boot (INITIAL_JIFFIES) and
 * every 49.7 days at HZ=1000: a deadline that falls on it is taken one
 * jiffy later rather than read as none and lost.
 */
static inline unsigned long mprox_deadline_earliest(unsigned long next,
						    unsigned long when)
{
	when = when ?: 1;
	return !next || time_before(when, next) ? when : next;
}

#endif /* MPROX_DEADLINE_H */
