/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Active health checks (docs/routing.md, "Choosing an upstream"): off unless
 * "set probe_interval_s N". Then every N seconds each upstream the engine
 * speaks gets a probe, a connection of the engine's own: the TCP connect
 * and what its protocol says before a request (SOCKS5's method and
 * password negotiation; SOCKS4 and HTTP CONNECT say nothing before the
 * request, so for them the connect), or, with "set probe_target
 * ADDR:PORT", a whole CONNECT to that destination.
 *
 * A probe's outcome goes to the upstream's health (health.h,
 * mprox_health_report_probe()) without counting as a connect: one that
 * fails marks it down before a flow meets it; one that gets an answer
 * brings it back at once if it can see what took it down. While probes
 * cover a down upstream, it gets no trial flow, so no application waits
 * on a proxy that may still be dead.
 *
 * One work per device starts each round and advances each probe, a
 * handshake of the engine, whenever its socket has news or a deadline
 * passes. A probe never outlives the interval: at most one per upstream
 * is out at a time.
 */
#ifndef _MPROX_PROBE_H
#define _MPROX_PROBE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

struct mprox_probes {
	spinlock_t lock;		/* running and stopping */
	struct list_head running;	/* struct mprox_probe */
	bool stopping;			/* under lock: start nothing */
	/* jiffies: when the next round starts; 0: at the next pass. */
	unsigned long next_round;
	struct delayed_work work;
};

/* ndo_init. */
void mprox_probes_setup(struct mprox_probes *pr);
/*
 * ndo_open and ndo_stop: start runs the first round at once; stop closes
 * every probe out, reporting nothing, and waits for the work.
 */
void mprox_probes_start(struct mprox_probes *pr);
void mprox_probes_stop(struct mprox_probes *pr);
/* The configuration changed: a new interval or target starts a round now. */
void mprox_probes_reconfigure(struct mprox_probes *pr);

#endif /* _MPROX_PROBE_H */
