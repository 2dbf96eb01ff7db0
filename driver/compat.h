/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel version differences, 5.10 to 6.12, in one place. Everything else
 * in the driver is written against the newest API and uses these.
 */
#ifndef _MPROX_COMPAT_H
#define _MPROX_COMPAT_H

#include <linux/version.h>
#include <linux/netdevice.h>
#include <linux/sched/mm.h>
#include <linux/timer.h>
#include <net/route.h>
#include <net/sock.h>

/*
 * The mprox_create() system call is in kernels built with the series of
 * driver/patches/ only (CONFIG_MPROX_SYSCALL): its stub in the core kernel
 * calls the module's @create once registered. Elsewhere there is nothing
 * to register with.
 */
#if IS_ENABLED(CONFIG_MPROX_SYSCALL)
#include <linux/mprox_syscall.h>

static inline int
mprox_compat_syscall_register(long (*create)(const char __user *name,
					     unsigned int flags))
{
	return mprox_syscall_register(THIS_MODULE, create);
}

static inline void mprox_compat_syscall_unregister(void)
{
	mprox_syscall_unregister(THIS_MODULE);
}
#else
static inline int
mprox_compat_syscall_register(long (*create)(const char __user *name,
					     unsigned int flags))
{
	return 0;
}

static inline void mprox_compat_syscall_unregister(void)
{
}
#endif

/* 6.12 moved LLTX and NETNS_LOCAL from feature bits to device fields. */
static inline void mprox_compat_set_lltx(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/*
 * 6.15 renamed netns_local to netns_immutable, and 6.12's stable series
 * took the rename later on (6.12.117 has it, 6.12.95 not): no version
 * tells, so Kbuild looks at the header (MPROX_HAVE_NETNS_IMMUTABLE).
 */
static inline void mprox_compat_set_netns_local(struct net_device *dev)
{
#if defined(MPROX_HAVE_NETNS_IMMUTABLE)
	dev->netns_immutable = true;
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dev->netns_local = true;
#else
	dev->features |= NETIF_F_NETNS_LOCAL;
#endif
}

/*
 * register_netdevice() failing after ndo_init succeeded must free what
 * ndo_init allocated. Its own unwind calls priv_destructor; a
 * NETDEV_REGISTER notifier refusing the device leads there too, from
 * netdev_run_todo(), since "net: make free_netdev() more lenient with
 * unregistering devices" (mainline after 5.10, stable 5.10.134). Before,
 * that one path (rollback_registered()) never called it: the caller has
 * to. @free_state must be idempotent: the other paths have run the
 * destructor already.
 */
static inline void mprox_compat_register_failed(struct net_device *dev,
						void (*free_state)(struct net_device *))
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 134)
	free_state(dev);
#endif
}

/*
 * skb_gso_segment() moved from netdevice.h to net/gso.h in 6.5 ("net:
 * move gso declarations and functions to their own files"). Only the
 * KUnit suite segments packets.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <net/gso.h>
#endif

static inline struct sk_buff *mprox_compat_skb_gso_segment(struct sk_buff *skb,
							   netdev_features_t features)
{
	return skb_gso_segment(skb, features);
}

/* rt_dst_alloc() lost its "nopolicy" argument in 5.19. */
static inline struct rtable *mprox_compat_rt_dst_alloc(struct net_device *dev,
						       unsigned int flags,
						       u16 type)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 19, 0)
	return rt_dst_alloc(dev, flags, type, false);
#else
	return rt_dst_alloc(dev, flags, type, false, false);
#endif
}

/*
 * set_active_memcg() from softirq, or with BH off, sets int_active_memcg,
 * which 5.10 does not export: there only process context is charged.
 */
static inline struct mem_cgroup *
mprox_compat_set_active_memcg(struct mem_cgroup *memcg)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0) || !defined(CONFIG_MEMCG)
	return set_active_memcg(memcg);
#else
	struct mem_cgroup *old;

	if (in_interrupt())
		return NULL;
	old = current->active_memcg;
	current->active_memcg = memcg;
	return old;
#endif
}

/* dev_sw_netstats_tx_add() came in 5.11. */
static inline void mprox_compat_sw_netstats_tx_add(struct net_device *dev,
						   unsigned int len)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
	dev_sw_netstats_tx_add(dev, 1, len);
#else
	struct pcpu_sw_netstats *tstats = this_cpu_ptr(dev->tstats);

	u64_stats_update_begin(&tstats->syncp);
	tstats->tx_bytes += len;
	tstats->tx_packets++;
	u64_stats_update_end(&tstats->syncp);
#endif
}

/*
 * The TCP socket hash of a namespace: tcp_death_row became a pointer in
 * 5.17 and embedded again in 6.1; every version has its hashinfo.
 */
static inline struct inet_hashinfo *mprox_compat_tcp_hashinfo(struct net *net)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 17, 0) && \
	LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
	return net->ipv4.tcp_death_row->hashinfo;
#else
	return net->ipv4.tcp_death_row.hashinfo;
#endif
}

/* sk_error_report() came in 5.12; before, the callback was called directly. */
static inline void mprox_compat_sk_error_report(struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 12, 0)
	sk_error_report(sk);
#else
	sk->sk_error_report(sk);
#endif
}

/* del_timer_sync() became timer_delete_sync() in 6.2. */
static inline int mprox_compat_timer_delete_sync(struct timer_list *timer)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	return timer_delete_sync(timer);
#else
	return del_timer_sync(timer);
#endif
}

/*
 * Whether @sk's sends may copy into current->task_frag; sets it to @on and
 * returns what it was. Before 6.2, sk_page_frag() also requires an
 * sk_allocation that may sleep, and a pass in softirq clears that.
 */
static inline bool mprox_compat_sk_use_task_frag(struct sock *sk, bool on)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
	bool was = sk->sk_use_task_frag;

	sk->sk_use_task_frag = on;
	return was;
#else
	return on;
#endif
}

#endif /* _MPROX_COMPAT_H */
