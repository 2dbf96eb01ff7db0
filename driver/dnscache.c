// SPDX-License-Identifier: GPL-2.0
/*
 * The resolver's cache of forwarded answers; see dnscache.h.
 */

#include <linux/jhash.h>
#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>

#include "dnscache.h"

struct mprox_dns_cache_entry {
	struct hlist_node node;
	struct list_head lru;
	struct mprox_dns_cache_key key;
	unsigned long stored;		/* jiffies */
	unsigned long expires;		/* jiffies */
	u16 len;
	u8 msg[];
};

void mprox_dns_cache_init(struct mprox_dns_cache *c)
{
	unsigned int i;

	spin_lock_init(&c->lock);
	for (i = 0; i < MPROX_DNS_CACHE_BUCKETS; i++)
		INIT_HLIST_HEAD(&c->buckets[i]);
	INIT_LIST_HEAD(&c->lru);
	c->count = 0;
	c->seed = get_random_u32();
	memset(c->pending, 0, sizeof(c->pending));
	c->pending_next = 0;
}

static void mprox_dns_cache_unlink(struct mprox_dns_cache *c,
				   struct mprox_dns_cache_entry *e)
{
	hlist_del(&e->node);
	list_del(&e->lru);
	WRITE_ONCE(c->count, c->count - 1);
}

void mprox_dns_cache_flush(struct mprox_dns_cache *c)
{
	struct mprox_dns_cache_entry *e, *tmp;
	LIST_HEAD(dropped);

	spin_lock_bh(&c->lock);
	list_for_each_entry_safe(e, tmp, &c->lru, lru) {
		hlist_del(&e->node);
		list_move(&e->lru, &dropped);
	}
	WRITE_ONCE(c->count, 0);
	memset(c->pending, 0, sizeof(c->pending));
	spin_unlock_bh(&c->lock);
	list_for_each_entry_safe(e, tmp, &dropped, lru)
		kfree(e);
}

void mprox_dns_cache_key(struct mprox_dns_cache_key *k, u16 family, const void *addr,
			 __be16 port, const struct mprox_dns_query *q)
{
	memset(k, 0, sizeof(*k));
	k->family = family;
	k->port = port;
	memcpy(k->addr, addr, family == AF_INET6 ? 16 : 4);
	k->qtype = q->qtype;
	k->qclass = q->qclass;
	k->name_len = q->name_len;
	memcpy(k->name, q->name, q->name_len);
}

static struct hlist_head *mprox_dns_cache_bucket(struct mprox_dns_cache *c,
						 const struct mprox_dns_cache_key *k)
{
	u32 h = jhash(k, sizeof(*k), c->seed);

	return &c->buckets[h % MPROX_DNS_CACHE_BUCKETS];
}

/* What an expectation is found by: the key but for what the query said. */
static u32 mprox_dns_cache_question_hash(const struct mprox_dns_cache *c,
					 const struct mprox_dns_cache_key *k)
{
	struct mprox_dns_cache_key q;

	memcpy(&q, k, sizeof(q));
	q.direct = 0;
	q.edns = 0;
	q.cd = 0;
	return jhash(&q, sizeof(q), c->seed ^ 0x6d70);
}

void mprox_dns_cache_expect(struct mprox_dns_cache *c, const struct mprox_dns_cache_key *k,
			    u16 id, const void *app_addr, __be16 app_port)
{
	struct mprox_dns_cache_pending p = {
		.hash = mprox_dns_cache_question_hash(c, k),
		.direct = k->direct,
		.edns = k->edns,
		.cd = k->cd,
		.id = id,
		.family = k->family,
		.app_port = app_port,
		.expires = (jiffies + MPROX_DNS_CACHE_PENDING_TIME) | 1,
	};

	memcpy(p.app_addr, app_addr, k->family == AF_INET6 ? 16 : 4);
	spin_lock_bh(&c->lock);
	c->pending[c->pending_next] = p;
	c->pending_next = (c->pending_next + 1) % MPROX_DNS_CACHE_PENDING;
	spin_unlock_bh(&c->lock);
}

/*
 * The expectation the answer (@k's question, id @id, to @app_addr and
 * @app_port) fulfils, taken; NULL when none. Under the lock.
 */
static struct mprox_dns_cache_pending *
mprox_dns_cache_take(struct mprox_dns_cache *c, const struct mprox_dns_cache_key *k,
		     u16 id, const void *app_addr, __be16 app_port)
{
	u32 hash = mprox_dns_cache_question_hash(c, k);
	size_t alen = k->family == AF_INET6 ? 16 : 4;
	unsigned long now = jiffies;
	unsigned int i;

	for (i = 0; i < MPROX_DNS_CACHE_PENDING; i++) {
		struct mprox_dns_cache_pending *p = &c->pending[i];

		if (p->expires && time_before(now, p->expires) && p->hash == hash &&
		    p->id == id && p->family == k->family && p->app_port == app_port &&
		    !memcmp(p->app_addr, app_addr, alen)) {
			p->expires = 0;
			return p;
		}
	}
	return NULL;
}

static struct mprox_dns_cache_entry *
mprox_dns_cache_find(struct hlist_head *bucket, const struct mprox_dns_cache_key *k)
{
	struct mprox_dns_cache_entry *e;

	hlist_for_each_entry(e, bucket, node)
		if (!memcmp(&e->key, k, sizeof(*k)))
			return e;
	return NULL;
}

int mprox_dns_cache_store(struct mprox_dns_cache *c, const struct mprox_dns_cache_key *k,
			  u16 id, const void *app_addr, __be16 app_port,
			  const u8 *msg, size_t len, u32 ttl, u32 max, gfp_t gfp)
{
	struct mprox_dns_cache_entry *e, *old, *tmp;
	struct mprox_dns_cache_pending *p;
	struct hlist_head *bucket;
	LIST_HEAD(evicted);

	if (!len || len > MPROX_DNS_CACHE_MSG_MAX || !ttl || !max)
		return -EINVAL;
	e = kmalloc(struct_size(e, msg, len), gfp | __GFP_NOWARN);
	if (!e)
		return -ENOMEM;
	memcpy(&e->key, k, sizeof(*k));
	e->len = len;
	memcpy(e->msg, msg, len);
	e->stored = jiffies;
	e->expires = e->stored + (unsigned long)min_t(u32, ttl, MPROX_DNS_CACHE_TTL_MAX) * HZ;

	spin_lock_bh(&c->lock);
	p = mprox_dns_cache_take(c, k, id, app_addr, app_port);
	if (!p) {
		spin_unlock_bh(&c->lock);
		kfree(e);
		return -ENOENT;
	}
	e->key.direct = p->direct;
	e->key.edns = p->edns;
	e->key.cd = p->cd;
	bucket = mprox_dns_cache_bucket(c, &e->key);
	old = mprox_dns_cache_find(bucket, &e->key);
	if (old) {
		hlist_del(&old->node);
		list_move(&old->lru, &evicted);
		WRITE_ONCE(c->count, c->count - 1);
	}
	/* The oldest make room; all that are over a @max made smaller since. */
	while (c->count >= max) {
		old = list_first_entry(&c->lru, struct mprox_dns_cache_entry, lru);
		hlist_del(&old->node);
		list_move(&old->lru, &evicted);
		WRITE_ONCE(c->count, c->count - 1);
	}
	hlist_add_head(&e->node, bucket);
	list_add_tail(&e->lru, &c->lru);
	WRITE_ONCE(c->count, c->count + 1);
	spin_unlock_bh(&c->lock);
	list_for_each_entry_safe(old, tmp, &evicted, lru)
		kfree(old);
	return 0;
}

int mprox_dns_cache_fetch(struct mprox_dns_cache *c, const struct mprox_dns_cache_key *k,
			  const struct mprox_dns_query *q, u8 *out, size_t size)
{
	struct mprox_dns_cache_entry *e;
	unsigned long now;
	int ret;

	spin_lock_bh(&c->lock);
	/*
	 * Under the lock: an entry stored while we waited for it must not
	 * be younger than now, or its age wraps and every TTL served is 0.
	 */
	now = jiffies;
	e = mprox_dns_cache_find(mprox_dns_cache_bucket(c, k), k);
	if (e && !time_before(now, e->expires)) {
		mprox_dns_cache_unlink(c, e);
		spin_unlock_bh(&c->lock);
		kfree(e);
		return -ENOENT;
	}
	if (!e) {
		ret = -ENOENT;
	} else if (e->len > size) {
		ret = -ENOSPC;
	} else {
		memcpy(out, e->msg, e->len);
		ret = mprox_dns_response_age(e->msg, e->len, q, (now - e->stored) / HZ, out) ?:
		      e->len;
	}
	spin_unlock_bh(&c->lock);
	return ret;
}

u32 mprox_dns_cache_count(struct mprox_dns_cache *c)
{
	return READ_ONCE(c->count);
}
