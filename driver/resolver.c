// SPDX-License-Identifier: GPL-2.0
/*
 * The resolver in the kernel; see resolver.h.
 */

#include <linux/slab.h>
#include <net/ipv6.h>
#include <linux/udp.h>

#include "choice.h"
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
	/* Header, question, and an EDNS OPT record's fixed part. */
	u8 msg[MPROX_DNS_HDR_LEN + MPROX_DNS_WIRE_NAME_MAX + 4 + 11];
	/* How many bytes of the query are in msg. */
	unsigned int len;
	u8 addr[16];
	struct mprox_dns_cache_key key;
	/* An answer from the cache, before it is known to fit. */
	u8 answer[MPROX_DNS_CACHE_MSG_MAX];
};

/* Multicast and broadcast: no server's address, not even a hijacked one. */
static bool mprox_resolver_group(const struct mprox_pkt *p)
{
	if (p->family == AF_INET6)
		return ipv6_addr_is_multicast(&p->daddr.v6);
	return ipv4_is_multicast(p->daddr.v4.s_addr) ||
	       ipv4_is_lbcast(p->daddr.v4.s_addr);
}

/* Whether @p is a query to the server of @dns ("dns server", "dns hijack"). */
static bool mprox_resolver_to_server(const struct mprox_dns_config *dns,
				     const struct mprox_pkt *p)
{
	u16 port = dns->server.family ? dns->server.port : MPROX_DNS_PORT;

	if (p->proto != IPPROTO_UDP || ntohs(p->dport) != port)
		return false;
	if (dns->hijack)
		return !mprox_resolver_group(p);
	return dns->server.family == p->family &&
	       !memcmp(dns->server.addr, &p->daddr, p->family == AF_INET6 ? 16 : 4);
}

/* Whether @dns has a fake-IP pool, so that the resolver answers itself. */
static bool mprox_resolver_pooled(const struct mprox_dns_config *dns)
{
	return dns->pool[0] || dns->pool[1];
}

/*
 * Whether a resolver with pools sends @q on to its server rather than
 * answer it: the root, another class, or another type than A, AAAA, HTTPS
 * and SVCB (see the top of resolver.h).
 */
static bool mprox_resolver_forwards(const struct mprox_dns_query *q)
{
	if (q->qclass != MPROX_DNS_CLASS_IN || !q->name_len)
		return true;
	return q->qtype != MPROX_DNS_TYPE_A && q->qtype != MPROX_DNS_TYPE_AAAA &&
	       q->qtype != MPROX_DNS_TYPE_HTTPS && q->qtype != MPROX_DNS_TYPE_SVCB;
}

/*
 * The key of the query in @s to @p's destination, sent by @skb's socket:
 * the way the rules send it (a "direct" server may answer otherwise than
 * one reached through a proxy) and what the query says of EDNS and CD.
 * 0, or -EPERM when a rule rejects it (only the UDP path may answer it
 * then) or -EBADMSG for an additional record that is not OPT. Under
 * rcu_read_lock().
 */
static int mprox_resolver_key(struct mprox_datapath *dp, const struct mprox_config *cfg,
			      const struct sk_buff *skb,
			      const struct mprox_pkt *p, struct mprox_resolver_scratch *s,
			      u16 *udp_size)
{
	struct mprox_choice_scope scope;
	struct mprox_rule_pkt rp;
	bool dnssec_ok = false;
	int opt;

	opt = mprox_dns_query_opt(s->msg, s->len, &s->q, udp_size, &dnssec_ok);
	if (opt < 0)
		return opt;
	mprox_choice_pkt(&rp, skb, p);
	if (mprox_choice_rules(dp, cfg, &rp, &scope))
		return -EPERM;
	mprox_dns_cache_key(&s->key, p->family, &p->daddr, p->dport, &s->q);
	s->key.direct = scope.kind == MPROX_CHOICE_DIRECT;
	s->key.edns = opt ? MPROX_DNS_CACHE_EDNS | (dnssec_ok ? MPROX_DNS_CACHE_EDNS_DO : 0) : 0;
	s->key.cd = !!(s->q.flags & MPROX_DNS_CD);
	/* RFC 6891 6.2.5: without OPT, or below it, 512 bytes. */
	*udp_size = opt ? max_t(u16, *udp_size, 512) : 512;
	return 0;
}

/*
 * The cached answer to the query in @s (of @skb, parsed into @p), in
 * s->answer as the answer to this query: its id, RD and question as the
 * asker wrote them (letter case included), its TTLs aged. Its length, 0
 * on a miss; then the answer that comes back may fill the entry.
 */
static int mprox_resolver_cached(struct mprox_datapath *dp, const struct mprox_config *cfg,
				 const struct sk_buff *skb, const struct mprox_pkt *p,
				 struct mprox_resolver_scratch *s)
{
	const struct mprox_dns_query *q = &s->q;
	u16 udp_size;
	int len;

	if (mprox_resolver_key(dp, cfg, skb, p, s, &udp_size))
		return 0;
	len = mprox_dns_cache_fetch(&dp->dns_cache, &s->key, q, s->answer,
				    min_t(size_t, udp_size, sizeof(s->answer)));
	/* The same question, so the same length of it (no pointer in either). */
	if (len < (int)q->end) {
		mprox_dns_cache_expect(&dp->dns_cache, &s->key, q->id, &p->saddr, p->sport);
		return 0;
	}
	memcpy(s->answer, s->msg, 2);
	s->answer[2] = (s->answer[2] & ~(MPROX_DNS_RD >> 8)) | (s->msg[2] & (MPROX_DNS_RD >> 8));
	memcpy(s->answer + MPROX_DNS_HDR_LEN, s->msg + MPROX_DNS_HDR_LEN,
	       q->end - MPROX_DNS_HDR_LEN);
	atomic64_inc(&dp->dns[MPROX_DNS_STAT_CACHE_HITS]);
	return len;
}

/* Whether @p is a query for the resolver of @dns: it has a pool. */
static bool mprox_resolver_wants(const struct mprox_dns_config *dns,
				 const struct mprox_pkt *p)
{
	return mprox_resolver_pooled(dns) && mprox_resolver_to_server(dns, p);
}

bool mprox_resolver_over_tcp(struct mprox_datapath *dp, const struct mprox_pkt *p)
{
	const struct mprox_config *cfg = rcu_dereference(dp->config);

	return mprox_resolver_to_server(&cfg->dns, p);
}

/*
 * The answer to the query in @s: its length in @out, or a negative errno
 * from the builders. Counts the query and its outcome.
 */
static int mprox_resolver_answer(struct mprox_datapath *dp, const struct mprox_config *cfg,
				 struct mprox_resolver_scratch *s, int verdict, bool refuse,
				 u8 *out, size_t size)
{
	const struct mprox_dns_config *dns = &cfg->dns;
	u32 ttl = cfg->tunables[MPROX_TUNE_DNS_TTL_S];
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
 * REFUSED instead. Without a pool, only the cache answers: whatever it
 * does not goes on, as it would without the resolver.
 */
static int mprox_resolver_query(struct mprox_datapath *dp, const struct mprox_config *cfg,
				const struct sk_buff *skb, const struct mprox_pkt *p,
				bool refuse, struct sk_buff **replyp)
{
	bool pooled = mprox_resolver_pooled(&cfg->dns);
	/* Without a pool, what the cache does not answer goes on unharmed. */
	int fail = pooled ? 0 : MPROX_RESOLVER_FORWARD;
	struct mprox_resolver_scratch *s;
	struct sk_buff *reply;
	int verdict, len;
	u8 *out;

	s = kmalloc(sizeof(*s), GFP_ATOMIC | __GFP_NOWARN);
	if (!s) {
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		return fail;
	}
	/* The packet parser checked the UDP length against the packet. */
	s->len = min_t(unsigned int, p->payload_len, sizeof(s->msg));
	if (skb_copy_bits(skb, skb_network_offset(skb) + p->thoff + sizeof(struct udphdr),
			  s->msg, s->len)) {
		mprox_datapath_drop(dp, MPROX_DROP_MALFORMED);
		goto drop;
	}
	verdict = mprox_dns_parse_query(s->msg, s->len, &s->q);
	if (verdict == MPROX_DNS_OK && !refuse && cfg->tunables[MPROX_TUNE_DNS_CACHE_SIZE] &&
	    (!pooled || mprox_resolver_forwards(&s->q))) {
		len = mprox_resolver_cached(dp, cfg, skb, p, s);
		if (len > 0) {
			if (pooled)
				atomic64_inc(&dp->dns[MPROX_DNS_STAT_QUERY_OTHER]);
			reply = mprox_reply_udp(p, len, &out);
			if (!reply) {
				mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
				goto drop;
			}
			memcpy(out, s->answer, len);
			kfree(s);
			goto sealed;
		}
	}
	if (!pooled) {
		kfree(s);
		return MPROX_RESOLVER_FORWARD;
	}
	if (verdict == MPROX_DNS_DROP) {
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_DROPPED]);
		goto drop;
	}
	reply = mprox_reply_udp(p, MPROX_DNS_ANSWER_MAX, &out);
	if (!reply) {
		mprox_datapath_drop(dp, MPROX_DROP_NOMEM);
		goto drop;
	}
	len = mprox_resolver_answer(dp, cfg, s, verdict, refuse, out, MPROX_DNS_ANSWER_MAX);
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
sealed:
	mprox_reply_udp_seal(reply, p, len);
	*replyp = reply;
	return 1;

drop:
	kfree(s);
	return fail;
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
	/* Without a pool, the cache may still answer. */
	if (!mprox_resolver_to_server(&cfg->dns, p) ||
	    (!mprox_resolver_pooled(&cfg->dns) && !cfg->tunables[MPROX_TUNE_DNS_CACHE_SIZE])) {
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
	if (reply && !mprox_inject_rx(&dp->inject, reply,
				      mprox_inject_to_sender(skb)))
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
	enum mprox_inject_to to;
	bool mine, delivered;

	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	mine = mprox_resolver_wants(&cfg->dns, p);
	if (mine)
		mprox_resolver_query(dp, cfg, skb, p, true, &reply);
	rcu_read_unlock();
	if (reply) {
		/* Delivering from a task may wait: outside the RCU section. */
		to = mprox_inject_to_sender(skb);
		delivered = task ? mprox_inject_rx_task(&dp->inject, reply, to) :
				   mprox_inject_rx(&dp->inject, reply, to);
		if (!delivered)
			mprox_datapath_drop(dp, MPROX_DROP_RX_BACKLOG);
	}
	return mine;
}

void mprox_resolver_learn(struct mprox_datapath *dp, const struct mprox_pkt *p,
			  const u8 *msg, size_t len)
{
	const struct mprox_config *cfg;
	struct mprox_resolver_scratch *s;
	bool mine, pooled;
	u32 max, ttl;
	int rcode;

	if (len < MPROX_DNS_HDR_LEN || len > MPROX_DNS_CACHE_MSG_MAX)
		return;
	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	max = cfg->tunables[MPROX_TUNE_DNS_CACHE_SIZE];
	pooled = mprox_resolver_pooled(&cfg->dns);
	mine = max && mprox_resolver_to_server(&cfg->dns, p);
	rcu_read_unlock();
	if (!mine)
		return;
	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return;
	/*
	 * Only what the resolver would ask for again: a well-formed answer,
	 * not cut short (TC), NOERROR with records, or a negative one
	 * (NXDOMAIN, NODATA) with the SOA that says for how long (RFC 2308).
	 * A server's failure is never kept.
	 */
	if (mprox_dns_response_question(msg, len, &s->q) ||
	    (pooled && !mprox_resolver_forwards(&s->q)))
		goto out;
	rcode = mprox_dns_parse_response(msg, len, &s->q, &ttl);
	if ((rcode != MPROX_DNS_RCODE_NOERROR && rcode != MPROX_DNS_RCODE_NXDOMAIN) || !ttl)
		goto out;
	/* Only what a query of this socket's asked for: see dnscache.h. */
	mprox_dns_cache_key(&s->key, p->family, &p->daddr, p->dport, &s->q);
	if (!mprox_dns_cache_store(&dp->dns_cache, &s->key, s->q.id, &p->saddr, p->sport,
				   msg, len, ttl, max, GFP_KERNEL_ACCOUNT))
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_CACHE_STORED]);
out:
	kfree(s);
}
