/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Spare upstream connections (docs/upstreams.md, "Spare connections"):
 * connected to the proxy and past everything of its handshake that does
 * not depend on the destination, ahead of need, so that a new flow's
 * handshake is the request alone. For SOCKS5 that is the method and
 * password negotiation (two round trips and the proxy's per-connection
 * setup off every connect); for SOCKS4 and HTTP CONNECT, which say nothing
 * before the request, the TCP connection itself (one round trip).
 *
 * Off unless "set spare_conns N" asks for N per upstream. Spares follow
 * demand: one is opened only for an upstream a flow asked for within the
 * last spare_idle_s seconds, and a spare unused for that long is closed,
 * so an idle device holds no connections nobody asked for and a spare
 * never waits long enough for a proxy to drop it (dante gives up on a
 * connection that sends no request after timeout.negotiate, 30 s).
 *
 * One work per device decides how many to open, expires them, and
 * advances each spare being opened, a handshake of the engine
 * (handshake.h), whenever a spare's socket has news or a deadline passes:
 * a slow proxy holds up nothing. Flows take them from process context.
 */
#ifndef _MPROX_SPARE_H
#define _MPROX_SPARE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/net.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "handshake.h"
#include "upstream.h"

struct mprox_datapath;

struct mprox_spares {
	spinlock_t lock;		/* the lists and stopping */
	struct list_head ready;		/* struct mprox_spare, oldest first */
	struct list_head opening;	/* handshakes under way */
	bool stopping;			/* under lock: take nothing, open nothing */
	struct delayed_work work;

	/* Counters: the device's lifetime. */
	atomic64_t opened;		/* negotiated and put aside */
	atomic64_t used;		/* taken by a flow */
	atomic64_t expired;		/* closed unused: idle, stale or dead */
	atomic64_t failed;		/* could not be opened (not: aborted by stop) */
};

/* ndo_init. */
void mprox_spares_setup(struct mprox_spares *sp);
/*
 * ndo_open and ndo_stop: stop closes every spare and waits for the work;
 * start forgets the upstreams' failures, so spares open at the next flow.
 */
void mprox_spares_start(struct mprox_spares *sp);
void mprox_spares_stop(struct mprox_spares *sp);
/* The configuration changed: drop what no longer fits it. */
void mprox_spares_reconfigure(struct mprox_spares *sp);

/*
 * A ready connection to @up for a new flow, or NULL: then the flow opens
 * its own. Either way, @up was asked for: spares for it are (re)opened.
 * The caller owns the socket, with the stack's own callbacks, and @hs,
 * the handshake prepared on it (it needs a destination and deadlines).
 */
struct socket *mprox_spares_take(struct mprox_spares *sp,
				 struct mprox_upstream *up,
				 struct mprox_handshake *hs);

unsigned int mprox_spares_ready(struct mprox_spares *sp);

#endif /* _MPROX_SPARE_H */
