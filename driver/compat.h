/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, 5.10 to 6.12, in one place. Everything else
 * in the driver is written against the newest API and uses these.
 */
#ifndef _MPROX_COMPAT_H
#define _MPROX_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>

/* 6.12 moved LLTX and NETNS_LOCAL from feature bits to device fields. */
static inline void mprox_compat_set_lltx(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

static inline void mprox_compat_set_netns_local(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dev->netns_local = true;
#else
	dev->features |= NETIF_F_NETNS_LOCAL;
#endif
}

#endif /* _MPROX_COMPAT_H */
