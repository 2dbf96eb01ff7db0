// SPDX-License-Identifier: GPL-2.0
/*
 * TCP segments in xmit; see tcp.h and design.md, "Data path".
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmpv6.h>
#include <linux/tcp.h>
#include <net/icmp.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "choice.h"
#include "compat.h"
#include "conn.h"
#include "datapath.h"
#include "flow.h"
#include "listener.h"
#include "tcp.h"

/* Flows and connections come from xmit, charged (see xmit_new). */
#define MPROX_TCP_GFP		(GFP_ATOMIC | __GFP_ACCOUNT)

#define MPROX_TCP_SYN(p)	(((p)->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK | \
						    TCPHDR_RST)) == TCPHDR_SYN)

/*
 * Hand @skb to the stack, for @to: from xmit through the backlog; from a
 * connection's work (@task) also while the device goes down.
 */
static void mprox_tcp_deliver(struct mprox_datapath *dp, struct sk_buff *skb,
			      enum mprox_inject_to to, bool task)
{
	bool delivered = task ? mprox_inject_rx_task(&dp->inject, skb, to) :
				mprox_inject_rx(&dp->inject, skb, to);

	if (!delivered)
		mprox_datapath_drop(dp, MPROX_DROP_RX_BACKLOG);
}

/*
 * Answer the segment @skb with @kind, for @to: from xmit, or from a
 * connection's work (@task). An ICMP error for a local socket's SYN fails
 * its connect() directly, when nobody owns the socket (inject.h); a RST
 * waits in the socket's backlog anyway.
 */
static void __mprox_tcp_answer(struct mprox_datapath *dp,
			       const struct sk_buff *skb,
			       const struct mprox_pkt *p,
			       enum mprox_reply_kind kind,
			       enum mprox_inject_to to, bool task)
{
	struct sk_buff *reply = mprox_reply_build(skb, p, kind);
	__be32 seq;

	if (!reply)
		return;
	if (p->proto != IPPROTO_TCP || !MPROX_TCP_SYN(p) ||
	    kind == MPROX_REPLY_RST ||
	    skb_copy_bits(skb, skb_network_offset(skb) + p->thoff + 4, &seq,
			  sizeof(seq)))
		mprox_tcp_deliver(dp, reply, to, task);
	else if (!mprox_inject_connect_error(&dp->inject, reply, skb->sk,
					     ntohl(seq), to, task))
		mprox_datapath_drop(dp, MPROX_DROP_RX_BACKLOG);
}

void mprox_tcp_answer(struct mprox_datapath *dp, const struct sk_buff *skb,
		      const struct mprox_pkt *p, enum mprox_reply_kind kind)
{
	__mprox_tcp_answer(dp, skb, p, kind, mprox_inject_to_sender(skb), false);
}

/*
 * A RST sent into the stack would do only at exactly the sequence number
 * the app expects next (RFC 5961), which segments still on their way make
 * a guess; and once the device is down, the listener's own RST has no way
 * to the app. So find the app's socket, the receiver of D:P -> A:a in the
 * device's namespace, and abort it where it stands.
 */
void mprox_tcp_abort_app(struct mprox_datapath *dp,
			 const struct mprox_flow *f)
{
	struct net_device *dev = dp->dev;
	struct net *net = dev_net(dev);
	struct inet_hashinfo *hinfo = mprox_compat_tcp_hashinfo(net);
	const struct mprox_flow_key *k = &f->app;
	struct sock *sk;

	if (READ_ONCE(f->app_gone))
		return;
	rcu_read_lock();
	if (k->family == AF_INET6)
		sk = __inet6_lookup_established(net, hinfo, &k->daddr.v6,
						k->dport, &k->saddr.v6,
						ntohs(k->sport), dev->ifindex,
						0);
	else
		sk = __inet_lookup_established(net, hinfo, k->daddr.v4.s_addr,
					       k->dport, k->saddr.v4.s_addr,
					       ntohs(k->sport), dev->ifindex,
					       0);
	rcu_read_unlock();
	if (!sk)
		return;
	/* A time-wait or request socket has no app waiting on it. */
	if (sk_fullsock(sk))
		tcp_abort(sk, ECONNRESET);
	sock_gen_put(sk);
}

/* Rewrite @skb (parsed into @p) to @k's tuple; false: dropped and freed. */
static bool mprox_tcp_rewrite(struct mprox_datapath *dp, struct sk_buff *skb,
			      const struct mprox_pkt *p,
			      const struct mprox_flow_key *k)
{
	if (likely(!mprox_pkt_rewrite(skb, p, &k->saddr, k->sport, &k->daddr,
				      k->dport)))
		return true;
	mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
	kfree_skb(skb);
	return false;
}

/* Rewrite @skb (parsed into @p) to @k's tuple and deliver it for @to. */
static void mprox_tcp_forward(struct mprox_datapath *dp, struct sk_buff *skb,
			      const struct mprox_pkt *p,
			      const struct mprox_flow_key *k,
			      enum mprox_inject_to to, bool task)
{
	if (mprox_tcp_rewrite(dp, skb, p, k))
		mprox_tcp_deliver(dp, skb, to, task);
}

void mprox_tcp_release_syn(struct mprox_datapath *dp, struct mprox_flow *f)
{
	struct sk_buff *skb = mprox_flow_take_syn(f);
	struct mprox_pkt p;

	if (!skb)
		return;
	/* Parsed again: parsing may have moved the head, and it is cheap. */
	if (mprox_pkt_parse_skb(skb, &p) != MPROX_PKT_OK) {
		mprox_datapath_drop(dp, MPROX_DROP_MALFORMED);
		kfree_skb(skb);
		return;
	}
	mprox_tcp_forward(dp, skb, &p, &f->nat, MPROX_INJECT_LOCAL, true);
}

void mprox_tcp_refuse_syn(struct mprox_datapath *dp, struct mprox_flow *f,
			  enum mprox_reply_kind kind)
{
	struct sk_buff *skb = mprox_flow_take_syn(f);
	struct mprox_pkt p;

	if (!skb)
		return;
	if (mprox_pkt_parse_skb(skb, &p) == MPROX_PKT_OK)
		__mprox_tcp_answer(dp, skb, &p, kind,
				   mprox_inject_to_sender(skb), true);
	kfree_skb(skb);
}

/* The listener's segment L:l -> F:f: back to the app as D:P -> A:a. */
static void mprox_tcp_xmit_reply(struct mprox_datapath *dp,
				 struct sk_buff *skb,
				 const struct mprox_pkt *p)
{
	struct mprox_flow_key k, app_reply;
	enum mprox_inject_to to;
	struct mprox_flow *f;

	mprox_flow_key_from_pkt(&k, p);
	mprox_flow_key_reverse(&k, &k);
	/* Every packet of a connection: no reference, RCU is enough. */
	rcu_read_lock();
	f = mprox_flow_find_nat(&dp->flows, &k);
	if (f) {
		mprox_flow_key_reverse(&app_reply, &f->app);
		to = READ_ONCE(f->app_forwarded) ? MPROX_INJECT_ROUTED :
						   MPROX_INJECT_LOCAL;
		mprox_flow_touch(f);
	}
	rcu_read_unlock();
	if (!f) {
		/*
		 * Tell the listener's socket its peer is gone: always here,
		 * though a SYN-ACK sent with a syncookie has no owner.
		 */
		mprox_datapath_drop(dp, MPROX_DROP_NO_FLOW);
		__mprox_tcp_answer(dp, skb, p, MPROX_REPLY_RST,
				   MPROX_INJECT_LOCAL, false);
		kfree_skb(skb);
		return;
	}
	mprox_tcp_forward(dp, skb, p, &app_reply, to, false);
}

/*
 * A SYN of a family the data path has no listener for: IPv6, when the
 * device had no IPv6 as it came up (an MTU below IPV6_MIN_MTU then) and
 * got it later, or when the listener failed to open. The app gets "network
 * unreachable", as from a router without a route: a local socket's
 * connect() fails at once (inject.h). Without IPv6 at start there is no
 * route to deliver our own answer into the stack (inject.h), so a
 * forwarded SYN gets the stack's ICMP error, routed back like any local
 * one, as WireGuard answers a packet for which it has no peer.
 */
static void mprox_tcp_no_listener(struct mprox_datapath *dp,
				  struct sk_buff *skb,
				  const struct mprox_pkt *p)
{
	bool v6 = p->family == AF_INET6;

	net_warn_ratelimited("%s: refused an IPv%d connection: the device has had no listener for that family since it came up; bring it down and up\n",
			     skb->dev->name, v6 ? 6 : 4);
	mprox_datapath_drop(dp, MPROX_DROP_NO_LISTENER);
	if (mprox_inject_local_tcp(skb->sk))
		__mprox_tcp_answer(dp, skb, p, MPROX_REPLY_NET_UNREACH,
				   MPROX_INJECT_LOCAL, false);
	else if (v6)
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, ICMPV6_NOROUTE, 0);
	else
		icmp_ndo_send(skb, ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0);
}

/*
 * The upstream said yes: the SYN goes in, and the listener's socket for
 * it, usually there at once, is paired without waiting for the accept
 * work.
 */
static void mprox_tcp_conn_release_syn(struct mprox_datapath *dp,
				       struct mprox_flow *f)
{
	mprox_listener_accept_soon(dp, f->app.family);
	mprox_tcp_release_syn(dp, f);
	mprox_listener_accept_now(dp, f->app.family);
}

/*
 * The app's RST for the listener's socket. Nothing sends a RST again, and
 * xmit's way into the stack is the backlog, which a burst of aborts fills
 * (an application that resets thousands of connections at once): one it
 * refused left the listener's socket idle and its flow held until
 * tcp_idle_timeout_s. A RST the backlog refuses waits on its flow for the
 * connection's work, which hands it to the stack directly. Through the
 * backlog first: there it stays behind the app's segments before it (its
 * handshake's ACK, data, a FIN). The listener's socket judges it by its
 * sequence number (RFC 5961) either way.
 */
static void mprox_tcp_forward_rst(struct mprox_datapath *dp,
				  struct sk_buff *skb,
				  const struct mprox_pkt *p, struct mprox_flow *f)
{
	struct sk_buff *held;

	if (!mprox_tcp_rewrite(dp, skb, p, &f->nat))
		return;
	/*
	 * A clone to keep, since the backlog frees what it refuses. Not a
	 * second reference: with RPS another CPU may receive the RST before
	 * this one lets go, and a shared skb in the stack trips
	 * pskb_expand_head()'s BUG_ON (generic XDP, a tc action). The clone
	 * owns no socket and, without its dst, pins no route.
	 */
	held = skb_clone(skb, GFP_ATOMIC);
	if (held)
		skb_dst_drop(held);
	if (mprox_inject_rx(&dp->inject, skb, MPROX_INJECT_LOCAL)) {
		consume_skb(held);
		return;
	}
	if (!held)
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
	else if (mprox_flow_hold_rst(f, held))
		mprox_conn_app_rst_held(f);
	else
		mprox_datapath_drop(dp, MPROX_DROP_NO_FLOW);
}

static void mprox_tcp_deliver_rst(struct mprox_datapath *dp,
				  struct mprox_flow *f)
{
	struct sk_buff *skb = mprox_flow_take_rst(f);

	if (skb && !mprox_inject_rx_now(&dp->inject, skb, MPROX_INJECT_LOCAL))
		mprox_datapath_drop(dp, MPROX_DROP_RX_BACKLOG);
}

static const struct mprox_conn_ops mprox_tcp_conn_ops = {
	.release_syn = mprox_tcp_conn_release_syn,
	.refuse_syn = mprox_tcp_refuse_syn,
	.abort_app = mprox_tcp_abort_app,
	.deliver_rst = mprox_tcp_deliver_rst,
};

char *mprox_tcp_fake_name(struct mprox_datapath *dp, const struct mprox_pkt *p,
			  u8 *len)
{
	struct mprox_fakeip_pool *pool;

	pool = mprox_dns_pool_of(&rcu_dereference(dp->config)->dns, p->family, &p->daddr);
	return pool ? mprox_fakeip_name(pool, (const u8 *)&p->daddr, MPROX_TCP_GFP, len) : NULL;
}

/* A SYN with no flow: a new connection, through one of the upstreams. */
static void mprox_tcp_xmit_syn(struct mprox_datapath *dp, struct sk_buff *skb,
			       const struct mprox_pkt *p,
			       const struct mprox_flow_key *k)
{
	struct mprox_choice_scope scope;
	const struct mprox_config *cfg;
	enum mprox_connect_result why;
	struct mprox_upstream *up = NULL;
	struct mprox_rule_pkt rp;
	struct mprox_trial trial;
	struct mprox_flow *f;
	struct mprox_conn *c;
	u32 max_flows;
	char *name;
	u8 name_len = 0;

	mprox_choice_pkt(&rp, skb, p);
	rcu_read_lock();
	/* First the name: "domain" rules match on it. */
	name = mprox_tcp_fake_name(dp, p, &name_len);
	if (IS_ERR(name)) {
		rcu_read_unlock();
		/*
		 * No name has the address: nothing to ask the proxy for. An
		 * address nobody has, as a router would say.
		 */
		if (PTR_ERR(name) == -ENOENT) {
			atomic64_inc(&dp->dns[MPROX_DNS_STAT_UNKNOWN_ADDR]);
			mprox_tcp_answer(dp, skb, p, MPROX_REPLY_HOST_UNREACH);
		} else {
			mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		}
		kfree_skb(skb);
		return;
	}
	rp.name = name;
	rp.name_len = name_len;
	/* One configuration for the rules and the choice (choice.h). */
	cfg = rcu_dereference(dp->config);
	if (mprox_choice_rules(dp, cfg, &rp, &scope)) {
		rcu_read_unlock();
		kfree(name);
		atomic64_inc(&dp->connects[MPROX_CONNECT_REJECTED]);
		mprox_tcp_answer(dp, skb, p, MPROX_REPLY_RST);
		kfree_skb(skb);
		return;
	}
	up = mprox_choose_upstream(dp, cfg, &scope, NULL, &max_flows, &why, &trial);
	c = up ? mprox_conn_alloc(dp, up, &scope, &trial, &mprox_tcp_conn_ops,
				  MPROX_TCP_GFP) : NULL;
	if (up && !c)
		mprox_choice_drop_trial(dp, up, &trial);
	rcu_read_unlock();
	if (c)
		mprox_conn_set_dest_name(c, name, name_len);
	else
		kfree(name);
	if (!up) {
		atomic64_inc(&dp->connects[why]);
		mprox_tcp_answer(dp, skb, p, why == MPROX_CONNECT_ALL_DOWN ?
				 MPROX_REPLY_HOST_UNREACH :
				 MPROX_REPLY_NET_UNREACH);
		kfree_skb(skb);
		return;
	}
	if (!c) {
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		kfree_skb(skb);
		return;
	}
	f = mprox_flow_create(&dp->flows, k, max_flows, c, MPROX_TCP_GFP);
	if (IS_ERR(f)) {
		mprox_conn_free_unused(c);
		if (PTR_ERR(f) == -EEXIST) {
			/* Its twin on another CPU won: a retransmit. */
			struct mprox_flow *twin = mprox_flow_lookup_app(&dp->flows, k);

			if (twin) {
				mprox_flow_hold_syn(twin, skb);
				mprox_flow_put(twin);
			} else {
				/* ... and is gone already: the next SYN starts afresh. */
				mprox_datapath_drop(dp, MPROX_DROP_NO_FLOW);
				kfree_skb(skb);
			}
			return;
		}
		if (PTR_ERR(f) == -ENOSPC || PTR_ERR(f) == -EADDRINUSE) {
			mprox_datapath_drop(dp, MPROX_DROP_FLOW_LIMIT);
			mprox_tcp_answer(dp, skb, p, MPROX_REPLY_RST);
		} else if (PTR_ERR(f) == -EAFNOSUPPORT) {
			mprox_tcp_no_listener(dp, skb, p);
		} else {
			mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		}
		kfree_skb(skb);
		return;
	}
	WRITE_ONCE(f->app_forwarded, !skb->sk);
	mprox_flow_hold_syn(f, skb);
	/* The create's reference is the connection's from now on. */
	mprox_conn_start(c, f);
}

/* A new connection's flow and state, charged to the device's creator. */
static void mprox_tcp_xmit_new(struct mprox_datapath *dp, struct sk_buff *skb,
			       const struct mprox_pkt *p,
			       const struct mprox_flow_key *k)
{
	struct mem_cgroup *old = mprox_datapath_charge_begin(dp);

	mprox_tcp_xmit_syn(dp, skb, p, k);
	mprox_datapath_charge_end(old);
}

/*
 * A pure SYN for the tuple of a flow that is closing or dead: the app's
 * old socket is gone (only TIME_WAIT lets a tuple be connected again), so
 * this is a new connection, as conntrack takes it. The old flow ends
 * without touching the new socket; the SYN gets a flow, and a NAT tuple,
 * of its own.
 */
static void mprox_tcp_xmit_reused(struct mprox_datapath *dp,
				  struct sk_buff *skb,
				  const struct mprox_pkt *p,
				  const struct mprox_flow_key *k,
				  struct mprox_flow *f)
{
	/* NULL: its last reference went, and it was unlinked before that. */
	if (f) {
		WRITE_ONCE(f->app_gone, true);
		mprox_flow_kill(&dp->flows, f);
		mprox_flow_put(f);
	}
	mprox_tcp_xmit_new(dp, skb, p, k);
}

/* The app's segment A:a -> D:P. */
static void mprox_tcp_xmit_app(struct mprox_datapath *dp, struct sk_buff *skb,
			       const struct mprox_pkt *p)
{
	enum mprox_flow_state state;
	struct mprox_flow_key k;
	struct mprox_flow *f;

	mprox_flow_key_from_pkt(&k, p);
	/* Every packet of a connection: no reference, RCU is enough. */
	rcu_read_lock();
	f = mprox_flow_find_app(&dp->flows, &k);
	if (!f) {
		rcu_read_unlock();
		if (MPROX_TCP_SYN(p)) {
			mprox_tcp_xmit_new(dp, skb, p, &k);
			return;
		}
		/* As a host without this connection would: RST. */
		mprox_datapath_drop(dp, MPROX_DROP_NO_FLOW);
		mprox_tcp_answer(dp, skb, p, MPROX_REPLY_RST);
		kfree_skb(skb);
		return;
	}
	state = mprox_flow_state(f);
	if (MPROX_TCP_SYN(p) &&
	    (state == MPROX_FLOW_CLOSING || state == MPROX_FLOW_DEAD)) {
		if (!mprox_flow_tryget(f))
			f = NULL;
		rcu_read_unlock();
		mprox_tcp_xmit_reused(dp, skb, p, &k, f);
		return;
	}
	switch (state) {
	case MPROX_FLOW_SYN_HELD:
	case MPROX_FLOW_CONNECTING:
		/* Still asking the proxy: a retransmitted SYN is absorbed. */
		if (MPROX_TCP_SYN(p)) {
			mprox_flow_hold_syn(f, skb);
		} else {
			mprox_datapath_drop(dp, MPROX_DROP_NO_FLOW);
			kfree_skb(skb);
		}
		break;
	case MPROX_FLOW_ESTABLISHED:
	case MPROX_FLOW_CLOSING:
		/*
		 * Linux's and BSD's own abort carries an ACK. A bare RST
		 * answers a segment the app's host did not take: from no
		 * socket at all, or from the tuple's new socket in SYN_SENT,
		 * which lives on, when a late segment of the tuple's last
		 * connection reaches it. The listener's socket judges a bare
		 * RST by its sequence number: it goes on, and if the socket
		 * takes it the relay sees the reset.
		 */
		if ((p->tcp_flags & (TCPHDR_RST | TCPHDR_ACK)) ==
		    (TCPHDR_RST | TCPHDR_ACK))
			mprox_conn_app_reset(f);
		mprox_flow_touch(f);
		if (p->tcp_flags & TCPHDR_RST)
			mprox_tcp_forward_rst(dp, skb, p, f);
		else
			mprox_tcp_forward(dp, skb, p, &f->nat,
					  MPROX_INJECT_LOCAL, false);
		break;
	default:
		/* Being torn down: the app gets the RST a dead peer sends. */
		mprox_datapath_drop(dp, MPROX_DROP_NO_FLOW);
		mprox_tcp_answer(dp, skb, p, MPROX_REPLY_RST);
		kfree_skb(skb);
		break;
	}
	rcu_read_unlock();
}

static bool mprox_tcp_from_listener(struct mprox_datapath *dp,
				    const struct mprox_pkt *p)
{
	const struct mprox_flow_nat_pool *pool =
		&dp->flows.pool[p->family == AF_INET6];

	if (p->sport != pool->listen_port)
		return false;
	if (p->family == AF_INET6)
		return ipv6_addr_equal(&p->saddr.v6, &pool->listen_addr.v6);
	return p->saddr.v4.s_addr == pool->listen_addr.v4.s_addr;
}

void mprox_tcp_xmit(struct mprox_datapath *dp, struct sk_buff *skb,
		    const struct mprox_pkt *p)
{
	if (mprox_tcp_from_listener(dp, p))
		mprox_tcp_xmit_reply(dp, skb, p);
	else
		mprox_tcp_xmit_app(dp, skb, p);
}
