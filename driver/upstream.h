/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection to an upstream proxy: a kernel TCP socket that carries the
 * device's fwmark, and the proxy handshake on it (design.md, "Deferred
 * connect"). It runs in process context, in the connection's work, and
 * waits for the socket without ever blocking in a socket call, so that the
 * connection can be aborted at any point by a wake-up.
 */
#ifndef _MPROX_UPSTREAM_H
#define _MPROX_UPSTREAM_H

#include <linux/net.h>
#include <linux/wait.h>

#include "config.h"
#include "socks5.h"

/* How a handshake waits: woken by the socket's callbacks and by aborts. */
struct mprox_waiter {
	wait_queue_head_t wq;
	unsigned long deadline;		/* jiffies: then MPROX_CONNECT_TIMEOUT */
	bool aborted;			/* READ_ONCE: then ..._ABORTED */
};

/*
 * Create the socket for @up in @net: non-blocking use only, marked @mark,
 * no Nagle, keepalive on, closing with RST (never an orphan that outlives
 * the namespace), bound to the upstream's "dev" if it names one. 0 or a
 * negative errno: -EAFNOSUPPORT for an upstream given by host name (no
 * resolver in the kernel yet), -ENODEV when its "dev" does not exist.
 */
int mprox_upstream_socket(struct net *net, const struct mprox_upstream *up,
			  u32 mark, struct socket **sockp);

/* Close a socket of mprox_upstream_socket(); see ownsock.h. */
void mprox_upstream_release(struct socket *sock);

/*
 * The handshake in two halves, so that the first can run ahead of need
 * (spare.h): connect @sock to @up and negotiate the method (and password),
 * everything but the request; then the request for @dest and its reply.
 */
enum mprox_connect_result mprox_upstream_prepare(struct socket *sock,
						 struct mprox_upstream *up,
						 struct mprox_waiter *w);
enum mprox_connect_result mprox_upstream_request(struct socket *sock,
						 struct mprox_upstream *up,
						 const struct mprox_dest *dest,
						 struct mprox_waiter *w);

/*
 * Both halves: connect @sock to @up and have the proxy connect to @dest. Returns
 * MPROX_CONNECT_OK with the socket ready to relay (nothing of the
 * destination's data consumed), or why not.
 */
enum mprox_connect_result mprox_upstream_handshake(struct socket *sock,
						   struct mprox_upstream *up,
						   const struct mprox_dest *dest,
						   struct mprox_waiter *w);

#endif /* _MPROX_UPSTREAM_H */
