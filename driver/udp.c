// SPDX-License-Identifier: GPL-2.0
/*
 * The UDP half of the packet path; see udp.h.
 */

#include "assoc.h"
#include "choice.h"
#include "datapath.h"
#include "fakeip.h"
#include "flow.h"
#include "handshake.h"
#include "resolver.h"
#include "tcp.h"
#include "udp.h"
#include "upstream.h"

#define MPROX_UDP_GFP		(GFP_ATOMIC | __GFP_ACCOUNT)

/* The association's key: the socket's, to no destination. */
static void mprox_udp_key(struct mprox_flow_key *k, const struct mprox_pkt *p)
{
	static const union mprox_addr none;

	mprox_flow_key_set(k, p->family, IPPROTO_UDP, &p->saddr, p->sport,
			   &none, 0);
}

static void mprox_udp_refuse(struct mprox_datapath *dp, struct sk_buff *skb,
			     enum mprox_reply_kind kind)
{
	struct sk_buff *reply;
	struct mprox_pkt p;

	mprox_datapath_drop(dp, MPROX_DROP_UDP_REFUSED);
	if (mprox_pkt_parse_skb(skb, &p) != MPROX_PKT_OK ||
	    mprox_resolver_refuse(dp, skb, &p, true))
		return;
	reply = mprox_reply_build(skb, &p, kind);
	if (reply && !mprox_inject_rx_task(&dp->inject, reply,
					   mprox_inject_to_sender(skb)))
		mprox_datapath_drop(dp, MPROX_DROP_RX_BACKLOG);
}

/*
 * How long a proxy that said it has no UDP is taken at its word: its
 * sockets are refused without asking again, until a reconfiguration (a
 * new upstream) or this has passed.
 */
#define MPROX_UDP_UNSUPPORTED_KEEP	(60 * HZ)

/*
 * Whether @up carries UDP: a SOCKS5 proxy, which may still refuse it, or
 * "direct", whose socket sends it itself.
 */
static bool mprox_udp_carries(const struct mprox_upstream *up)
{
	unsigned long refused = READ_ONCE(up->udp_unsupported);

	if (up->direct)
		return true;
	if (refused && time_before(jiffies, refused + MPROX_UDP_UNSUPPORTED_KEEP))
		return false;
	return mprox_udp_codec_for(up->spec.proto);
}

/* A pool address stands for a name (fakeip.h), which no DNS server has. */
static bool mprox_udp_to_pool(struct mprox_datapath *dp, const struct mprox_pkt *p)
{
	return mprox_dns_pool_of(&rcu_dereference(dp->config)->dns, p->family, &p->daddr);
}

/* DNS has TCP to fall back on (RFC 7766), through any proxy or direct. */
static bool mprox_udp_over_tcp(struct mprox_datapath *dp, const struct mprox_pkt *p)
{
	bool yes;

	rcu_read_lock();
	yes = !mprox_udp_to_pool(dp, p) && mprox_resolver_over_tcp(dp, p);
	rcu_read_unlock();
	return yes;
}

static const struct mprox_assoc_ops mprox_udp_assoc_ops = {
	.refuse = mprox_udp_refuse,
	.over_tcp = mprox_udp_over_tcp,
	.answer = mprox_resolver_learn,
};

static void mprox_udp_xmit_new(struct mprox_datapath *dp, struct sk_buff *skb,
			       const struct mprox_pkt *p,
			       const struct mprox_flow_key *k)
{
	struct mprox_choice_scope scope;
	const struct mprox_config *cfg;
	enum mprox_connect_result why;
	struct mprox_upstream *up;
	struct mprox_rule_pkt rp;
	struct mprox_assoc *a = NULL;
	enum mprox_reply_kind kind;
	struct mprox_trial trial;
	bool carries = false, stream = false;
	struct mprox_flow *f;
	u32 max_flows;
	char *name;
	u8 name_len = 0;

	mprox_choice_pkt(&rp, skb, p);
	rcu_read_lock();
	/*
	 * A pool address goes to the proxy by its name, which "domain"
	 * rules match on, as a TCP connection's does. The rules decide for
	 * the association, on its first datagram, by name as by address.
	 */
	name = mprox_tcp_fake_name(dp, p, &name_len);
	if (IS_ERR(name)) {
		rcu_read_unlock();
		if (PTR_ERR(name) != -ENOENT) {
			mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
			goto drop;
		}
		/*
		 * An address nobody has. Not host unreachable, a SYN's
		 * answer: a connected UDP socket takes that for a passing
		 * trouble (RFC 1122 4.1.3.3) and waits out its own timeout.
		 */
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_UNKNOWN_ADDR]);
		kind = MPROX_REPLY_PORT_UNREACH;
		goto answer;
	}
	rp.name = name;
	rp.name_len = name_len;
	/* One configuration for the rules and the choice (choice.h). */
	cfg = rcu_dereference(dp->config);
	if (mprox_choice_rules(dp, cfg, &rp, &scope)) {
		rcu_read_unlock();
		kfree(name);
		atomic64_inc(&dp->udp[MPROX_UDP_REFUSED]);
		kind = MPROX_REPLY_PORT_UNREACH;
		goto refuse;
	}
	kfree(name);
	up = mprox_choose_upstream(dp, cfg, &scope, NULL, &max_flows, &why, &trial);
	if (up) {
		/* A name sent "direct" is asked of "dns server" (directname.h). */
		carries = mprox_udp_carries(up);
		/* A server the proxy would not connect to: REFUSED at once. */
		stream = !carries && mprox_udp_over_tcp(dp, p) &&
			 !mprox_upstream_dns_refused(up, p->family, &p->daddr, p->dport);
		if (carries || stream)
			a = mprox_assoc_alloc(dp, up, &trial, &mprox_udp_assoc_ops,
					      MPROX_UDP_GFP);
		if (a && stream)
			mprox_assoc_use_stream(a, p);
		/* Without an association, nothing reports to the trial. */
		if (!a)
			mprox_choice_drop_trial(dp, up, &trial);
	}
	rcu_read_unlock();
	if (!up) {
		/*
		 * No upstream, or all of them down: port unreachable too, not
		 * the host or net unreachable a SYN gets, which a connected
		 * UDP socket takes for a passing trouble and ignores.
		 */
		kind = MPROX_REPLY_PORT_UNREACH;
		goto refuse;
	}
	if (!carries && !stream) {
		atomic64_inc(&dp->udp[MPROX_UDP_NO_UDP]);
		kind = MPROX_REPLY_PORT_UNREACH;
		goto refuse;
	}
	if (!a) {
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		goto drop;
	}
	f = mprox_flow_create(&dp->flows, k, max_flows, a, MPROX_UDP_GFP);
	if (IS_ERR(f)) {
		mprox_assoc_free_unused(a);
		if (PTR_ERR(f) == -EEXIST) {
			/* Another CPU's datagram of the socket made it first. */
			f = mprox_flow_lookup_app(&dp->flows, k);
			if (f) {
				mprox_assoc_queue(f->priv, skb, p);
				mprox_flow_put(f);
				return;
			}
			/* ... and its association has closed already. */
			mprox_datapath_drop(dp, MPROX_DROP_NO_FLOW);
			goto drop;
		}
		if (PTR_ERR(f) == -ENOSPC || PTR_ERR(f) == -EADDRINUSE) {
			/* As TCP's RST over max_flows: fail now, not on a timeout. */
			mprox_datapath_drop(dp, MPROX_DROP_FLOW_LIMIT);
			kind = MPROX_REPLY_PORT_UNREACH;
			goto answer;
		}
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		goto drop;
	}
	WRITE_ONCE(f->app_forwarded, !skb->sk);
	mprox_assoc_queue(a, skb, p);
	/* The create's reference is the association's from now on. */
	mprox_assoc_start(a, f);
	return;

refuse:
	mprox_datapath_drop(dp, MPROX_DROP_UDP_REFUSED);
answer:
	if (!mprox_resolver_refuse(dp, skb, p, false))
		mprox_tcp_answer(dp, skb, p, kind);
drop:
	kfree_skb(skb);
}

void mprox_udp_xmit(struct mprox_datapath *dp, struct sk_buff *skb,
		    const struct mprox_pkt *p)
{
	struct mprox_flow_key k;
	struct mprox_flow *f;

	mprox_udp_key(&k, p);
	/* Every datagram: no reference, RCU is enough. */
	rcu_read_lock();
	f = mprox_flow_find_app(&dp->flows, &k);
	if (f && mprox_assoc_queue(f->priv, skb, p))
		mprox_flow_touch(f);
	rcu_read_unlock();
	if (!f) {
		/* The flow and association are the device's, not the app's. */
		struct mem_cgroup *old = mprox_datapath_charge_begin(dp);

		mprox_udp_xmit_new(dp, skb, p, &k);
		mprox_datapath_charge_end(old);
	}
}
