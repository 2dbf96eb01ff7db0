/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket of a connection to an upstream proxy: a kernel TCP socket
 * that carries the device's fwmark and is registered as the driver's own
 * (ownsock.h). The connect and the handshake on it are the engine's
 * (handshake.h).
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

#endif /* _MPROX_UPSTREAM_H */
