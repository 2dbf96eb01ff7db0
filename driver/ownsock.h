/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The driver's own sockets to its upstreams, in every namespace and for
 * every device: xmit refuses a packet of one of them whatever its mark, so
 * that no route, fwmark rule or firewall rewrite can send the driver's
 * traffic back into a device (design.md, "Loop safety").
 *
 * Kernel sockets only: a socket an application made holds a reference to
 * its namespace (sk_net_refcnt), ours do not, so the lookup costs nothing
 * for the application's own packets.
 */
#ifndef _MPROX_OWNSOCK_H
#define _MPROX_OWNSOCK_H

#include <linux/netdevice.h>
#include <linux/string.h>
#include <net/rtnetlink.h>
#include <net/sock.h>
#include <linux/mprox.h>

int mprox_ownsock_init(void);
void mprox_ownsock_exit(void);

/*
 * Register @sk, before it sends anything; process context. 0 or -ENOMEM.
 * Unregister it before it is released; unregistering a socket that is not
 * registered does nothing.
 */
int mprox_ownsock_add(struct sock *sk);
void mprox_ownsock_del(struct sock *sk);

bool __mprox_ownsock_is_ours(const struct sock *sk);

/* Is @sk (an skb's owner, maybe NULL) one of ours? Any context. */
static inline bool mprox_ownsock_is_ours(const struct sock *sk)
{
	if (!sk || !sk_fullsock(sk) || sk->sk_net_refcnt)
		return false;
	return __mprox_ownsock_is_ours(sk);
}

/*
 * Is @dev an mprox device, of any namespace? Every one has the driver's
 * link ops (device.c), whose kind is the driver's name: asked by what name
 * rather than by which ops, so that the engine needs nothing of device.c.
 */
static inline bool mprox_netdev_is_mprox(const struct net_device *dev)
{
	return dev->rtnl_link_ops &&
	       !strcmp(dev->rtnl_link_ops->kind, MPROX_DRIVER_NAME);
}

#endif /* _MPROX_OWNSOCK_H */
