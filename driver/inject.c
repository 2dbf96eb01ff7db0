// SPDX-License-Identifier: GPL-2.0
/*
 * Local delivery of rewritten packets; see inject.h.
 */

#include <linux/bottom_half.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/if_ether.h>
#include <net/addrconf.h>
#include <net/dst.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "inject.h"

/*
 * How long an error waits for its socket: connect() lets go within
 * microseconds unless it is preempted; the SYN's retransmission a second
 * later gets an answer of its own.
 */
#define MPROX_INJECT_WAIT		(HZ / 2)
/* Beyond this many waiting, an error is dropped for the retransmission's. */
#define MPROX_INJECT_WAITING_MAX	128

struct mprox_inject_cb {
	struct sock *sk;
	unsigned long deadline;
	u32 seq;
	int err;
};

static struct mprox_inject_cb *mprox_inject_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct mprox_inject_cb) > sizeof(skb->cb));
	return (struct mprox_inject_cb *)skb->cb;
}

static void mprox_inject_waiting_work(struct work_struct *work);

/*
 * The routes hang off the namespace's loopback device, like the kernel's
 * own local routes: a socket may cache one as its rx_dst for as long as it
 * lives, and lo outlives every socket of its namespace, where our device
 * does not.
 */
/* Any context but hard IRQ (dst_alloc() does not sleep). */
static struct dst_entry *mprox_inject_route4(struct net_device *dev)
{
	struct rtable *rt;

	rt = mprox_compat_rt_dst_alloc(dev_net(dev)->loopback_dev,
				       RTCF_LOCAL, RTN_LOCAL);
	/* rt_dst_alloc() set dst.input to ip_local_deliver for RTCF_LOCAL. */
	return rt ? &rt->dst : NULL;
}

/*
 * IPv6 takes the input interface of a packet with a route from the
 * route's inet6_dev (IP6CB()->iif), so that one must be the device's;
 * without IPv6 on the device there is no IPv6 route. Any context but
 * hard IRQ.
 */
static struct dst_entry *mprox_inject_route6(struct net_device *dev)
{
	struct net *net = dev_net(dev);
	struct inet6_dev *idev;
	struct rt6_info *rt6;

	idev = in6_dev_get(dev);
	if (!idev)
		return NULL;
	rt6 = ip6_dst_alloc(net, net->loopback_dev, 0);
	if (!rt6) {
		in6_dev_put(idev);
		return NULL;
	}
	/* TCP's SYN handling checks RTF_LOCAL: "to one of our addresses". */
	rt6->rt6i_flags = RTF_LOCAL | RTF_UP;
	rt6->rt6i_idev = idev;
	/* Input only: the output stays dst_alloc()'s discard. */
	rt6->dst.input = ip6_input;
	return &rt6->dst;
}

int mprox_inject_init(struct mprox_inject *inj, struct net_device *dev,
		      struct workqueue_struct *wq)
{
	inj->dev = dev;
	inj->wq = wq;
	atomic64_set(&inj->waiting_dropped, 0);
	skb_queue_head_init(&inj->waiting);
	INIT_DELAYED_WORK(&inj->waiting_work, mprox_inject_waiting_work);
	inj->cpu = alloc_percpu(struct mprox_inject_cpu);
	inj->dst4 = mprox_inject_route4(dev);
	if (!inj->cpu || !inj->dst4) {
		mprox_inject_destroy(inj);
		return -ENOMEM;
	}
	inj->dst6 = mprox_inject_route6(dev);
	if (!inj->dst6 && __in6_dev_get(dev)) {
		mprox_inject_destroy(inj);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Sockets keep the route of the last packet they received (sk_rx_dst):
 * kill ours, as the kernel kills the routes of a device going away, so
 * that they drop it at their next packet and nothing keeps the device's
 * inet6_dev alive.
 */
static void mprox_inject_dst_put(struct dst_entry **dstp)
{
	if (!*dstp)
		return;
	dst_dev_put(*dstp);
	dst_release(*dstp);
	*dstp = NULL;
}

/* The waiting error @skb is done with, or (@given_up) waited in vain. */
static void mprox_inject_waiting_done(struct mprox_inject *inj,
				      struct sk_buff *skb, bool given_up)
{
	sock_put(mprox_inject_cb(skb)->sk);
	if (given_up)
		atomic64_inc(&inj->waiting_dropped);
	consume_skb(skb);
}

void mprox_inject_destroy(struct mprox_inject *inj)
{
	struct sk_buff *skb;

	/* xmit has stopped: nothing queues or requeues the work any more. */
	cancel_delayed_work_sync(&inj->waiting_work);
	while ((skb = skb_dequeue(&inj->waiting)))
		mprox_inject_waiting_done(inj, skb, true);
	if (inj->cpu) {
		int cpu;

		for_each_possible_cpu(cpu) {
			struct mprox_inject_cpu *c = per_cpu_ptr(inj->cpu, cpu);

			mprox_inject_dst_put(&c->dst[0]);
			mprox_inject_dst_put(&c->dst[1]);
		}
		free_percpu(inj->cpu);
		inj->cpu = NULL;
	}
	mprox_inject_dst_put(&inj->dst4);
	mprox_inject_dst_put(&inj->dst6);
}

/*
 * Make @skb a packet received on the device, with the kernel's own scrub
 * of a packet crossing from one device to another (__dev_forward_skb()):
 * nothing of its way out (owner, conntrack, tc redirect, IPVS, trace,
 * extensions, mark, priority) is seen on its way in. Returns its route.
 */
/*
 * The route of this CPU for family @v6, made at its first packet; the
 * device-wide one if it cannot be made. Whichever CPU's copy the caller
 * gets, when preempted, is as good: the copies only spread the counts.
 */
static struct dst_entry *mprox_inject_route(struct mprox_inject *inj, bool v6)
{
	struct dst_entry *shared = v6 ? inj->dst6 : inj->dst4;
	struct dst_entry **slot, *dst, *old;

	if (unlikely(!shared))
		return NULL;
	slot = &raw_cpu_ptr(inj->cpu)->dst[v6];
	dst = READ_ONCE(*slot);
	if (likely(dst))
		return dst;
	dst = v6 ? mprox_inject_route6(inj->dev) : mprox_inject_route4(inj->dev);
	if (!dst)
		return shared;
	/* A task preempted on this CPU may have made one too: one stays. */
	old = cmpxchg(slot, NULL, dst);
	if (old) {
		dst_release(dst);
		return old;
	}
	return dst;
}

/*
 * @skb made a packet received on the device: with our local route, or,
 * for a host the machine forwards for, with none, for the stack to route
 * on as any packet received. False when there is no route to give it.
 */
static bool mprox_inject_prepare(struct mprox_inject *inj,
				 struct sk_buff *skb, enum mprox_inject_to to)
{
	bool v6 = (skb->data[0] >> 4) == 6;
	bool may_fragment = skb->ignore_df;
	struct net_device *dev = inj->dev;
	struct dst_entry *dst = NULL;

	if (to == MPROX_INJECT_LOCAL) {
		dst = mprox_inject_route(inj, v6);
		if (unlikely(!dst))
			return false;
	}
	skb_orphan(skb);
	skb_scrub_packet(skb, true);
	skb_reset_redirect(skb);
	skb->priority = 0;
	skb->dev = dev;
	skb->skb_iif = dev->ifindex;
	skb->protocol = v6 ? htons(ETH_P_IPV6) : htons(ETH_P_IP);
	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	/*
	 * A datagram the driver wrote may be fragmented on its way to a
	 * host behind us (reply.c): the scrub must not take that back, and
	 * IPv4's fragments need an ID (the header's is 0) that the next
	 * datagram's will not share.
	 */
	if (may_fragment && to == MPROX_INJECT_ROUTED) {
		skb->ignore_df = 1;
		if (!v6) {
			__ip_select_ident(dev_net(dev), ip_hdr(skb), 1);
			ip_send_check(ip_hdr(skb));
		}
	}
	if (dst)
		skb_dst_set(skb, dst_clone(dst));
	return true;
}

bool mprox_inject_rx(struct mprox_inject *inj, struct sk_buff *skb,
		     enum mprox_inject_to to)
{
	struct net_device *dev = inj->dev;
	unsigned int len = skb->len;
	bool delivered;

	if (unlikely(!mprox_inject_prepare(inj, skb, to))) {
		kfree_skb(skb);
		return false;
	}
	/*
	 * Always through the backlog: inside xmit, receiving at once would
	 * run the stack under the transmit path (and its locks). It refuses
	 * a device that is going down.
	 */
	local_bh_disable();
	delivered = netif_rx(skb) == NET_RX_SUCCESS;
	if (likely(delivered))
		dev_sw_netstats_rx_add(dev, len);
	local_bh_enable();
	return delivered;
}

bool mprox_inject_rx_task(struct mprox_inject *inj, struct sk_buff *skb,
			  enum mprox_inject_to to)
{
	struct net_device *dev = inj->dev;

	might_sleep();
	if (likely(netif_running(dev)))
		return mprox_inject_rx(inj, skb, to);
	/*
	 * The device is going down and its backlog refuses packets; the
	 * answers that fail a connect at once (a RST, an error to a
	 * forwarded SYN) still go, straight into the stack: this is a
	 * connection's work, not xmit.
	 */
	return mprox_inject_rx_now(inj, skb, to);
}

bool mprox_inject_rx_now(struct mprox_inject *inj, struct sk_buff *skb,
			 enum mprox_inject_to to)
{
	struct net_device *dev = inj->dev;
	unsigned int len = skb->len;
	bool delivered;

	might_sleep();
	if (unlikely(!mprox_inject_prepare(inj, skb, to))) {
		kfree_skb(skb);
		return false;
	}
	/*
	 * Not netif_receive_skb(): with RPS on the device it queues to
	 * another CPU's backlog, which may refuse it too.
	 */
	local_bh_disable();
	delivered = netif_receive_skb_core(skb) == NET_RX_SUCCESS;
	if (likely(delivered))
		dev_sw_netstats_rx_add(dev, len);
	local_bh_enable();
	return delivered;
}

/*
 * The error TCP takes from the ICMP error @skb (tcp_v4_err(),
 * tcp_v6_err()), as a negative errno; 0 for one it would not fail a
 * connect() with.
 */
static int mprox_inject_icmp_errno(const struct sk_buff *skb)
{
	bool v6 = (skb->data[0] >> 4) == 6;
	unsigned int off = v6 ? sizeof(struct ipv6hdr) : ip_hdrlen(skb);
	u8 tc[2];
	int err;

	if (skb_copy_bits(skb, off, tc, sizeof(tc)))
		return 0;
	if (v6) {
		if (tc[0] >= ICMPV6_INFOMSG_MASK)
			return 0;
		icmpv6_err_convert(tc[0], tc[1], &err);
		return -err;
	}
	if (tc[0] == ICMP_TIME_EXCEEDED)
		return -EHOSTUNREACH;
	if (tc[0] != ICMP_DEST_UNREACH || tc[1] > NR_ICMP_UNREACH ||
	    tc[1] == ICMP_FRAG_NEEDED)
		return 0;
	return -icmp_err_convert[tc[1]].errno;
}

enum mprox_inject_fail {
	MPROX_INJECT_FAILED,	/* connect() fails with the error */
	MPROX_INJECT_STALE,	/* @sk has moved on: nothing to fail */
	MPROX_INJECT_OWNED,	/* try again once the owner lets go */
};

/*
 * tcp_v4_err() and tcp_v6_err() on a SYN_SENT socket nobody owns, for the
 * SYN @seq, with @err (negative): the errno first, then the close, which
 * wakes connect() and poll(), then the error report. Any context; takes
 * the socket's spinlock.
 */
static enum mprox_inject_fail mprox_inject_fail_connect(struct sock *sk,
							u32 seq, int err)
{
	enum mprox_inject_fail ret = MPROX_INJECT_OWNED;

	local_bh_disable();
	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		goto out;
	ret = MPROX_INJECT_STALE;
	if (sk->sk_state != TCP_SYN_SENT || sock_flag(sk, SOCK_DEAD) ||
	    tcp_sk(sk)->snd_una != seq)
		goto out;
	WRITE_ONCE(sk->sk_err, -err);
	/* Coupled with the smp_rmb() in tcp_poll(), as tcp_reset()'s. */
	smp_wmb();
	tcp_done(sk);
	mprox_compat_sk_error_report(sk);
	ret = MPROX_INJECT_FAILED;
out:
	bh_unlock_sock(sk);
	local_bh_enable();
	return ret;
}

/*
 * The errors whose socket is free now are applied; those past their
 * deadline are given up; the others are looked at again a jiffy later. An
 * owner that holds on (preempted) costs a look every jiffy for
 * MPROX_INJECT_WAIT at most. The socket's lock is taken outside the
 * queue's: xmit queues under a socket's lock (a SYN retransmitted from
 * its timer).
 */
static void mprox_inject_waiting_work(struct work_struct *work)
{
	struct mprox_inject *inj = container_of(to_delayed_work(work),
						struct mprox_inject,
						waiting_work);
	struct sk_buff_head batch, again;
	struct sk_buff *skb;
	bool more;

	__skb_queue_head_init(&batch);
	__skb_queue_head_init(&again);
	spin_lock_bh(&inj->waiting.lock);
	skb_queue_splice_init(&inj->waiting, &batch);
	spin_unlock_bh(&inj->waiting.lock);

	while ((skb = __skb_dequeue(&batch))) {
		struct mprox_inject_cb *cb = mprox_inject_cb(skb);
		enum mprox_inject_fail ret;

		ret = mprox_inject_fail_connect(cb->sk, cb->seq, cb->err);
		if (ret == MPROX_INJECT_OWNED &&
		    time_before(jiffies, cb->deadline))
			__skb_queue_tail(&again, skb);
		else
			mprox_inject_waiting_done(inj, skb,
						  ret == MPROX_INJECT_OWNED);
	}

	spin_lock_bh(&inj->waiting.lock);
	skb_queue_splice(&again, &inj->waiting);
	more = !skb_queue_empty(&inj->waiting);
	spin_unlock_bh(&inj->waiting.lock);
	if (more)
		queue_delayed_work(inj->wq, &inj->waiting_work, 1);
}

bool mprox_inject_local_tcp(const struct sock *sk)
{
	/* A raw socket of IPPROTO_TCP sends SYNs too, but connects nothing. */
	return sk && sk_fullsock(sk) && sk->sk_type == SOCK_STREAM &&
	       sk->sk_protocol == IPPROTO_TCP;
}

bool mprox_inject_connect_error(struct mprox_inject *inj, struct sk_buff *skb,
				struct sock *sk, u32 seq, enum mprox_inject_to to,
				bool task)
{
	struct mprox_inject_cb *cb;
	bool queued = false;
	int err;

	if (!mprox_inject_local_tcp(sk))
		goto stack;
	err = mprox_inject_icmp_errno(skb);
	if (!err)
		goto stack;
	/*
	 * From xmit, the socket may be owned by the connect() sending the
	 * SYN, or locked by the timer retransmitting it: always the work.
	 */
	if (task && mprox_inject_fail_connect(sk, seq, err) !=
		    MPROX_INJECT_OWNED) {
		consume_skb(skb);
		return true;
	}
	if (!refcount_inc_not_zero(&sk->sk_refcnt))
		goto drop;
	spin_lock_bh(&inj->waiting.lock);
	if (skb_queue_len(&inj->waiting) < MPROX_INJECT_WAITING_MAX) {
		cb = mprox_inject_cb(skb);
		cb->sk = sk;
		cb->deadline = jiffies + MPROX_INJECT_WAIT;
		cb->seq = seq;
		cb->err = err;
		__skb_queue_tail(&inj->waiting, skb);
		queued = true;
	}
	spin_unlock_bh(&inj->waiting.lock);
	if (!queued) {
		sock_put(sk);
		goto drop;
	}
	/* A jiffy: connect() is done with the socket by then, as a rule. */
	queue_delayed_work(inj->wq, &inj->waiting_work, 1);
	return true;

drop:
	kfree_skb(skb);
	return false;
stack:
	return task ? mprox_inject_rx_task(inj, skb, to) :
		      mprox_inject_rx(inj, skb, to);
}
