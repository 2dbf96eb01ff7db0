/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel listeners at L:l, one per family and device, that terminate
 * the app's connections (design.md, "Data path", step 3). They are bound
 * to the device and transparent (L is not an address of any interface), so
 * their replies to F leave through the device, where xmit takes them back.
 */
#ifndef _MPROX_LISTENER_H
#define _MPROX_LISTENER_H

#include "datapath.h"

/*
 * Open the listener of @family at @addr on @dp's device; fills @l->port.
 * Process context, RTNL held, the device registered.
 */
int mprox_listener_open(struct mprox_datapath *dp, struct mprox_listener *l,
			u16 family, const union mprox_addr *addr);
/* Stop queueing the accept work; the socket stays open. Idempotent. */
void mprox_listener_quiesce(struct mprox_listener *l);
/* Close it; its pending connections are reset. Idempotent. */
void mprox_listener_close(struct mprox_listener *l);

/*
 * Accept and pair what the listener of @family has, from a connection's
 * work: right after its SYN went in, its own socket is usually there
 * already, and this saves waking the accept work. Only while the data
 * path runs (mprox_datapath_stop() closes the listeners after the last
 * connection is gone).
 *
 * mprox_listener_accept_soon() before the SYN goes in says that this
 * accept follows: sockets the listener gets meanwhile, the connection's
 * own as a rule (the handshake with a local app completes in the SYN's
 * softirq), do not wake the accept work, whose run would find nothing
 * left. Each accept_soon() is paired with one accept_now().
 */
void mprox_listener_accept_soon(struct mprox_datapath *dp, u16 family);
void mprox_listener_accept_now(struct mprox_datapath *dp, u16 family);

/* The accept work of @dp: pair every accepted socket with its flow. */
void mprox_listener_accept_work(struct work_struct *work);

#endif /* _MPROX_LISTENER_H */
