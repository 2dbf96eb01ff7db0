/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket of a connection to an upstream proxy: a kernel TCP socket
 * that carries the device's fwmark and is registered as the driver's own
 * (ownsock.h). The connect and the handshake on it are the engine's
 * (handshake.h). And what the engine remembers of an upstream's refusals.
 */
#ifndef _MPROX_UPSTREAM_H
#define _MPROX_UPSTREAM_H

#include <linux/net.h>

#include "config.h"

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
 * DNS over TCP through @up (assoc.h): the proxy refused to connect to the
 * server at @addr (network order, of @family) port @port (a port it does
 * not allow, a server without TCP). For
 * MPROX_UPSTREAM_DNS_REFUSED_KEEP, or until another server is refused,
 * mprox_upstream_dns_refused() says so for it, and the next queries are
 * answered REFUSED without asking the proxy again, as they would be.
 */
#define MPROX_UPSTREAM_DNS_REFUSED_KEEP	(60 * HZ)

void mprox_upstream_set_dns_refused(struct mprox_upstream *up, u16 family,
				    const void *addr, __be16 port);
bool mprox_upstream_dns_refused(struct mprox_upstream *up, u16 family,
				const void *addr, __be16 port);

#endif /* _MPROX_UPSTREAM_H */
