/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handing packets to the local stack as if they had arrived on the device.
 *
 * Both halves of the TCP data path end here: the app's packets rewritten
 * for the in-kernel listener (F:f -> L:l), and the listener's replies
 * rewritten back for the app (D:P -> A:a); so do the answers the driver
 * makes itself (UDP, DNS, refusals). L is internal, and the source may
 * fail reverse-path filtering, so what is for this machine does not go
 * through input routing: it gets a route of our own that delivers
 * locally, as loopback's packets keep the output route that sent them to
 * lo. What is for a host the machine forwards for (its packets came
 * routed into the device, from no local socket) goes in with no route, and
 * the stack routes it on as any packet received on the device.
 */
#ifndef _MPROX_INJECT_H
#define _MPROX_INJECT_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>

struct dst_entry;
struct sock;

/* A CPU's own copies of the routes, made at its first packet. */
struct mprox_inject_cpu {
	struct dst_entry *dst[2];	/* IPv4, IPv6 */
};

/*
 * The local-delivery routes of one device, one per family, and the
 * connect() errors that wait for their socket (mprox_inject_connect_error()).
 * Every packet takes a reference on its route: the device-wide routes are
 * copied per CPU, so that no count bounces between the CPUs that inject,
 * and stay as the fallback when a copy cannot be made.
 */
struct mprox_inject {
	struct net_device *dev;
	struct dst_entry *dst4;
	struct dst_entry *dst6;		/* NULL without IPv6 on the device */
	struct mprox_inject_cpu __percpu *cpu;
	struct workqueue_struct *wq;
	struct sk_buff_head waiting;
	struct delayed_work waiting_work;
	atomic64_t waiting_dropped;	/* errors that waited in vain */
};

/*
 * Process context. 0, or -ENOMEM. Waiting answers are delivered from work
 * items on @wq, which must outlive the destroy.
 */
int mprox_inject_init(struct mprox_inject *inj, struct net_device *dev,
		      struct workqueue_struct *wq);
/* Process context; delivers what still waits, then drops the routes. */
void mprox_inject_destroy(struct mprox_inject *inj);

/* Where an injected packet is for. */
enum mprox_inject_to {
	/* This machine: the driver's listener, or an app's local socket. */
	MPROX_INJECT_LOCAL,
	/* A host the machine forwards for: the stack routes it on. */
	MPROX_INJECT_ROUTED,
};

/*
 * Where the answer to @skb, a packet that came through xmit, is for: its
 * sender's socket is local, or it was forwarded (no socket at all).
 */
static inline enum mprox_inject_to mprox_inject_to_sender(const struct sk_buff *skb)
{
	return skb->sk ? MPROX_INJECT_LOCAL : MPROX_INJECT_ROUTED;
}

/*
 * Deliver the IPv4 or IPv6 packet at @skb->data (its network header) to
 * the stack as received on the device, for @to, consuming @skb, through
 * the backlog. Any context but hard IRQ, xmit included. Counts
 * rx_packets/rx_bytes and returns true if the stack took it; false if
 * its backlog was full or the device is going down (the caller counts the
 * drop).
 */
bool mprox_inject_rx(struct mprox_inject *inj, struct sk_buff *skb,
		     enum mprox_inject_to to);

/*
 * The same from process context outside xmit (a connection's work): while
 * the device is going down, delivered at once instead of refused.
 */
bool mprox_inject_rx_task(struct mprox_inject *inj, struct sk_buff *skb,
			  enum mprox_inject_to to);

/*
 * Straight into the stack, never through the backlog, which may be full:
 * for the one segment nothing sends again when it is lost, the app's RST.
 * Process context outside xmit (a connection's work).
 */
bool mprox_inject_rx_now(struct mprox_inject *inj, struct sk_buff *skb,
			 enum mprox_inject_to to);

/*
 * @skb is an ICMP error answering the SYN (sequence number @seq) that the
 * local TCP socket @sk sent, from xmit or (@task) from process context as
 * mprox_inject_rx_task(). Consumes @skb; returns false if it was dropped,
 * which the caller counts.
 *
 * Such an error is not sent into the stack: TCP takes one that finds its
 * socket owned (connect() still sending the SYN, or any socket call) for a
 * soft error, and 6.1 queues it on the socket's error queue first, which
 * wakes poll() with POLLERR while SO_ERROR is still 0; the app then
 * "connects" on a socket still in SYN_SENT, or fails with no errno. No
 * look at the owner before sending can rule that out: the owner may come
 * in between. So @sk's connect() fails here, with the errno TCP would have
 * taken from @skb, under the socket's spinlock and only if nobody owns it,
 * as tcp_v4_err() fails a socket nobody owns. An owned socket waits on the
 * device's work until the owner lets go (MPROX_INJECT_WAIT at most; then
 * the SYN's retransmission gets an answer of its own). Without a local
 * socket, @skb goes into the stack, for @to (routed on for a forwarded
 * SYN, locally for a raw socket's).
 */
/* Whether @sk (a packet's owner, or NULL) is a local TCP socket's. */
bool mprox_inject_local_tcp(const struct sock *sk);

bool mprox_inject_connect_error(struct mprox_inject *inj, struct sk_buff *skb,
				struct sock *sk, u32 seq, enum mprox_inject_to to,
				bool task);

#endif /* _MPROX_INJECT_H */
