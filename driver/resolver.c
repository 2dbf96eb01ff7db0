// SPDX-License-Identifier: GPL-2.0
/*
 * The resolver in the kernel; see resolver.h.
 */

#include <linux/slab.h>
#include <net/ipv6.h>
#include <linux/udp.h>

#include "datapath.h"
#include "dns.h"
#include "fakeip.h"
#include "reply.h"
#include "resolver.h"

/*
 * What a query is read into: its header and question at most, which is
 * all mprox_dns_parse_query() looks at. Allocated per query, not on the
 * stack of xmit, which may be deep already.
 */
/* What the answer comes to when the query goes on to its server. */
#define MPROX_RESOLVER_FORWARD	(-EXDEV)

struct mprox_resolver_scratch {
	struct mprox_dns_query q;
	u8 msg[MPROX_DNS_HDR_LEN + MPROX_DNS_WIRE_NAME_MAX + 4];
	u8 addr[16];
};

/* Multicast and broadcast: no server's address, not even a hijacked one. */
static bool mprox_resolver_group(const struct mprox_pkt *p)
{
	if (p->family == AF_INET6)
		return ipv6_addr_is_multicast(&p->daddr.v6);
	return ipv4_is_multicast(p->daddr.v4.s_addr) ||
	       ipv4_is_lbcast(p->daddr.v4.s_addr);
}

/* Whether @p is a query for the resolver of @dns. */
static bool mprox_resolver_wants(const struct mprox_dns_config *dns,
				 const struct mprox_pkt *p)
{
	u16 port = dns->server.family ? dns->server.port : MPROX_DNS_PORT;

	if (!dns->pool[0] && !dns->pool[1])
		return false;
	if (p->proto != IPPROTO_UDP || ntohs(p->dport) != port)
		return false;
	if (dns->hijack)
		return !mprox_resolver_group(p);
	return dns->server.family == p->family &&
	       !memcmp(dns->server.addr, &p->daddr, p->family == AF_INET6 ? 16 : 4);
}

/*
 * The answer to the query in @s: its length in @out, or a negative errno
 * from the builders. Counts the query and its outcome.
 */
static int mprox_resolver_answer(struct mprox_datapath *dp,
				 const struct mprox_dns_config *dns, u32 ttl,
				 struct mprox_resolver_scratch *s, int verdict,
				 bool refuse, u8 *out, size_t size)
{
	const struct mprox_dns_query *q = &s->q;
	struct mprox_fakeip_pool *pool;
	bool six;
	int err;

	if (verdict == MPROX_DNS_FORMERR) {
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_FORMERR]);
		return mprox_dns_build_error(q, q->end != 0, MPROX_DNS_RCODE_FORMERR, out, size);
	}
	if (verdict == MPROX_DNS_NOTIMP) {
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_NOTIMP]);
		return mprox_dns_build_error(q, false, MPROX_DNS_RCODE_NOTIMP, out, size);
	}
	six = q->qtype == MPROX_DNS_TYPE_AAAA;
	if (q->qclass == MPROX_DNS_CLASS_IN && q->name_len &&
	    (q->qtype == MPROX_DNS_TYPE_HTTPS || q->qtype == MPROX_DNS_TYPE_SVCB)) {
		/* No service binding: the client goes by A and AAAA. */
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_QUERY_OTHER]);
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_NODATA]);
		return mprox_dns_build_answer(q, NULL, 0, ttl, out, size);
	}
	if (q->qclass != MPROX_DNS_CLASS_IN || !q->name_len ||
	    (q->qtype != MPROX_DNS_TYPE_A && !six)) {
		/*
		 * The root has no address; the rest is for the server the
		 * query is to, through the proxy, unless the proxy cannot
		 * carry it (@refuse).
		 */
		if (!refuse) {
			atomic64_inc(&dp->dns[MPROX_DNS_STAT_QUERY_OTHER]);
			atomic64_inc(&dp->dns[MPROX_DNS_STAT_FORWARDED]);
			return MPROX_RESOLVER_FORWARD;
		}
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_REFUSED]);
		return mprox_dns_build_error(q, true, MPROX_DNS_RCODE_REFUSED, out, size);
	}
	atomic64_inc(&dp->dns[six ? MPROX_DNS_STAT_QUERY_AAAA : MPROX_DNS_STAT_QUERY_A]);
	pool = dns->pool[six];
	if (!pool) {
		/* The name has addresses, none of this family. */
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_NODATA]);
		return mprox_dns_build_answer(q, NULL, 0, ttl, out, size);
	}
	err = mprox_fakeip_assign(pool, q->name, q->name_len, 2UL * ttl * HZ, s->addr);
	if (err) {
		atomic64_inc(&dp->dns[err == -EBUSY ? MPROX_DNS_STAT_POOL_FULL :
				      MPROX_DNS_STAT_SERVFAIL]);
		return mprox_dns_build_error(q, true, MPROX_DNS_RCODE_SERVFAIL, out, size);
	}
	atomic64_inc(&dp->dns[MPROX_DNS_STAT_FAKE_ANSWERS]);
	return mprox_dns_build_answer(q, s->addr, six ? AF_INET6 : AF_INET, ttl, out, size);
}

/*
 * The answer to the query @skb (which the caller frees) in *@replyp: 1
 * when there is one, 0 when it gets none, as a drop, or
 * MPROX_RESOLVER_FORWARD. With @refuse, a query that would be forwarded is
 * REFUSED instead.
 */
static int mprox_resolver_query(struct mprox_datapath *dp, const struct mprox_config *cfg,
				const struct sk_buff *skb, const struct mprox_pkt *p,
				bool refuse, struct sk_buff **replyp)
{
	struct mprox_resolver_scratch *s;
	struct sk_buff *reply;
	unsigned int n;
	int verdict, len;
	u8 *out;

	s = kmalloc(sizeof(*s), GFP_ATOMIC | __GFP_NOWARN);
	if (!s) {
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		return 0;
	}
	/* The packet parser checked the UDP length against the packet. */
	n = min_t(unsigned int, p->payload_len, sizeof(s->msg));
	if (skb_copy_bits(skb, skb_network_offset(skb) + p->thoff + sizeof(struct udphdr),
			  s->msg, n)) {
		mprox_datapath_drop(dp, MPROX_DROP_MALFORMED);
		goto drop;
	}
	verdict = mprox_dns_parse_query(s->msg, n, &s->q);
	if (verdict == MPROX_DNS_DROP) {
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_DROPPED]);
		goto drop;
	}
	reply = mprox_reply_udp(p, MPROX_DNS_ANSWER_MAX, &out);
	if (!reply) {
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		goto drop;
	}
	len = mprox_resolver_answer(dp, &cfg->dns, cfg->tunables[MPROX_TUNE_DNS_TTL_S],
				    s, verdict, refuse, out, MPROX_DNS_ANSWER_MAX);
	kfree(s);
	if (len == MPROX_RESOLVER_FORWARD) {
		kfree_skb(reply);
		return len;
	}
	if (len < 0) {
		/* A question the builders cannot write back: say nothing. */
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_DROPPED]);
		kfree_skb(reply);
		return 0;
	}
	mprox_reply_udp_seal(reply, p, len);
	*replyp = reply;
	return 1;

drop:
	kfree(s);
	return 0;
}

bool mprox_resolver_xmit(struct mprox_datapath *dp, struct sk_buff *skb,
			 const struct mprox_pkt *p)
{
	const struct mprox_config *cfg;
	struct sk_buff *reply = NULL;
	struct mem_cgroup *old;
	int ret;

	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	if (!mprox_resolver_wants(&cfg->dns, p)) {
		rcu_read_unlock();
		return false;
	}
	/* A new name is the device's, not the asking task's. */
	old = mprox_datapath_charge_begin(dp);
	ret = mprox_resolver_query(dp, cfg, skb, p, false, &reply);
	mprox_datapath_charge_end(old);
	rcu_read_unlock();
	if (ret == MPROX_RESOLVER_FORWARD)
		return false;
	if (reply && !mprox_inject_rx(&dp->inject, reply))
		mprox_datapath_drop(dp, MPROX_DROP_RX_BACKLOG);
	if (ret)
		consume_skb(skb);
	else
		kfree_skb(skb);
	return true;
}

bool mprox_resolver_refuse(struct mprox_datapath *dp, const struct sk_buff *skb,
			   const struct mprox_pkt *p, bool task)
{
	const struct mprox_config *cfg;
	struct sk_buff *reply = NULL;
	bool mine, delivered;

	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	mine = mprox_resolver_wants(&cfg->dns, p);
	if (mine)
		mprox_resolver_query(dp, cfg, skb, p, true, &reply);
	rcu_read_unlock();
	if (reply) {
		/* Delivering from a task may wait: outside the RCU section. */
		delivered = task ? mprox_inject_rx_task(&dp->inject, reply) :
				   mprox_inject_rx(&dp->inject, reply);
		if (!delivered)
			mprox_datapath_drop(dp, MPROX_DROP_RX_BACKLOG);
	}
	return mine;
}
