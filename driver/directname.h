/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The names a "direct" UDP association sends to. An app's datagram to a
 * fake-IP pool address (fakeip.h) stands for a name, and direct has no
 * proxy to resolve it: the association asks "dns server" for the name's
 * address of the app's family (lookup.h), as a direct TCP connection
 * does, and sends there from then on. The relay's answers from that
 * address go to the app as from the pool address.
 *
 * A table of MPROX_DIRECTNAME_MAX names per association, each known
 * (pool address and the address it came to) or being asked for, with the
 * datagrams that wait for it (MPROX_DIRECTNAME_HELD in all). One lookup
 * at a time, on its own socket, which the association's work drives
 * (mprox_directname_run()) like its other sockets: nothing here waits. A
 * name that came to no address (NXDOMAIN, no answer within
 * connect_timeout_ms, no "dns server") leaves the table; its datagrams go
 * back to the owner to be refused, and the next datagram to the name asks
 * again (the device's DNS cache keeps negative answers). A known name is
 * kept while the association lives, as a connected UDP socket keeps the
 * address it was given; a new name pushes out the one used least lately.
 *
 * A pool address goes to another name once its old one has been unused
 * long enough (fakeip.h), and this association may outlive that: a name
 * is known by its pool address and a hash of the name, so that the new
 * name is asked for, never sent to the old one's host.
 *
 * The addresses are read from xmit (mprox_directname_addr()); the rest
 * is the association's work's, never concurrent with itself.
 */
#ifndef _MPROX_DIRECTNAME_H
#define _MPROX_DIRECTNAME_H

#include <linux/skbuff.h>
#include <linux/types.h>

#include "packet.h"

struct mprox_datapath;
struct mprox_directname;

/* Names one association keeps, and datagrams it holds for them. */
#define MPROX_DIRECTNAME_MAX	8
#define MPROX_DIRECTNAME_HELD	64

/*
 * The table of an association of the app's @family on @dp, whose work
 * @kick runs (with @owner), called from the lookup socket's callbacks.
 * Process context; NULL without memory.
 */
struct mprox_directname *mprox_directname_alloc(struct mprox_datapath *dp, u16 family,
						void (*kick)(void *owner), void *owner);

/* The lookup's socket closed and the held datagrams dropped: for a closing owner. */
void mprox_directname_stop(struct mprox_directname *n);
/* After stop(), once nothing can read it (the owner's flow is gone). */
void mprox_directname_free(struct mprox_directname *n);

/* The hash a name of @len bytes at @name is known by. */
u32 mprox_directname_hash(const char *name, unsigned int len);

/*
 * Into @addr the address the name of pool address @pool came to: true
 * when it is known, and (@hash not NULL) by *@hash. Any context.
 */
bool mprox_directname_addr(struct mprox_directname *n, const union mprox_addr *pool,
			   const u32 *hash, union mprox_addr *addr);

/*
 * Hold the app's datagram @skb, to pool address @pool, which stands for
 * the name of @hash now, until that name's address is known, and have it
 * asked for. Consumes @skb; false when it was dropped for want of room
 * (the owner counts it).
 */
bool mprox_directname_hold(struct mprox_directname *n, struct sk_buff *skb,
			   const union mprox_addr *pool, u32 hash);

/*
 * What the lookup's socket brought, and the time: when a name's lookup
 * ends, its datagrams go into @ready (its address is known now: send
 * them again) or into @failed (it has none). Then the next name waiting
 * is asked for. Returns whether there is more to do at once;
 * else, while a lookup is on, *@next is when to call again (jiffies),
 * 0 when nothing is.
 */
bool mprox_directname_run(struct mprox_directname *n, struct sk_buff_head *ready,
			  struct sk_buff_head *failed, unsigned long *next);

#endif /* _MPROX_DIRECTNAME_H */
