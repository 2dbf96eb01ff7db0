// SPDX-License-Identifier: GPL-2.0
/*
 * Fake-IP pools; see fakeip.h.
 */

#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dns.h"
#include "fakeip.h"
#include "rule.h"

struct mprox_fakeip_entry {
	struct list_head lru;
	struct hlist_node node;		/* in buckets when named */
	char *name;			/* NUL terminated; NULL: never handed out */
	unsigned long used;		/* jiffies: the last answer or connection */
	u8 len;
};

/* The last four bytes of an address: where the offsets are added. */
static u32 fakeip_low(const struct mprox_rule_prefix *prefix, const u8 *addr)
{
	unsigned int n = prefix->family == AF_INET6 ? 16 : 4;
	__be32 low;

	memcpy(&low, addr + n - 4, 4);
	return be32_to_cpu(low);
}

static void fakeip_addr(const struct mprox_fakeip_pool *pool, u32 offset, u8 *addr)
{
	unsigned int n = pool->prefix.family == AF_INET6 ? 16 : 4;
	__be32 low = cpu_to_be32(fakeip_low(&pool->prefix, pool->prefix.addr) + offset);

	memcpy(addr, pool->prefix.addr, n - 4);
	memcpy(addr + n - 4, &low, 4);
}

/* Addresses to hand out: all but the first (and IPv4's last), at most the cap. */
static u32 fakeip_size(const struct mprox_rule_prefix *prefix)
{
	unsigned int host = (prefix->family == AF_INET6 ? 128 : 32) - prefix->len;

	if (host > 16)
		return MPROX_FAKEIP_SIZE_MAX;
	return (1U << host) - (prefix->family == AF_INET6 ? 1 : 2);
}

struct mprox_fakeip_pool *mprox_fakeip_pool_new(const struct mprox_rule_prefix *prefix)
{
	struct mprox_fakeip_pool *pool;
	u32 i, nb;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return NULL;
	pool->prefix = *prefix;
	pool->size = fakeip_size(prefix);
	/* About two entries a bucket when full; two at least (hash_32() needs a bit). */
	nb = roundup_pow_of_two(max_t(u32, pool->size / 2, 2));
	pool->hash_bits = ilog2(nb);
	pool->hash_seed = get_random_u32();
	pool->buckets = kvcalloc(nb, sizeof(*pool->buckets), GFP_KERNEL_ACCOUNT);
	pool->entries = kvcalloc(pool->size, sizeof(*pool->entries), GFP_KERNEL_ACCOUNT);
	if (!pool->buckets || !pool->entries) {
		kvfree(pool->buckets);
		kvfree(pool->entries);
		kfree(pool);
		return NULL;
	}
	kref_init(&pool->ref);
	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->lru);
	/* In address order, so that the first names get the first addresses. */
	for (i = 0; i < pool->size; i++)
		list_add_tail(&pool->entries[i].lru, &pool->lru);
	return pool;
}

static void fakeip_release(struct kref *ref)
{
	struct mprox_fakeip_pool *pool = container_of(ref, struct mprox_fakeip_pool, ref);
	u32 i;

	for (i = 0; i < pool->size; i++)
		kfree(pool->entries[i].name);
	kvfree(pool->buckets);
	kvfree(pool->entries);
	kfree(pool);
}

void mprox_fakeip_pool_put(struct mprox_fakeip_pool *pool)
{
	if (pool)
		kref_put(&pool->ref, fakeip_release);
}

static struct hlist_head *fakeip_bucket(struct mprox_fakeip_pool *pool, const char *name,
					size_t len)
{
	u32 h = jhash(name, len, pool->hash_seed);

	return &pool->buckets[hash_32(h, pool->hash_bits)];
}

static struct mprox_fakeip_entry *fakeip_find(struct mprox_fakeip_pool *pool,
					      struct hlist_head *bucket,
					      const char *name, size_t len)
{
	struct mprox_fakeip_entry *e;

	hlist_for_each_entry(e, bucket, node)
		if (e->len == len && !memcmp(e->name, name, len))
			return e;
	return NULL;
}

int mprox_fakeip_assign(struct mprox_fakeip_pool *pool, const char *name, size_t len,
			unsigned long keep, u8 *addr)
{
	struct mprox_fakeip_entry *e;
	struct hlist_head *bucket;
	char *copy = NULL;
	int err = 0;

	if (!len || len > MPROX_DNS_NAME_MAX)
		return -EINVAL;
	bucket = fakeip_bucket(pool, name, len);
	for (;;) {
		spin_lock_bh(&pool->lock);
		e = fakeip_find(pool, bucket, name, len);
		if (e || copy)
			break;
		/* New: its copy is made outside the lock, and looked for again. */
		spin_unlock_bh(&pool->lock);
		copy = kmemdup_nul(name, len, GFP_ATOMIC | __GFP_ACCOUNT | __GFP_NOWARN);
		if (!copy)
			return -ENOMEM;
	}
	if (!e) {
		/* The least recently used address: a free one, or the oldest name's. */
		e = list_first_entry(&pool->lru, struct mprox_fakeip_entry, lru);
		if (e->name && time_before(jiffies, e->used + keep)) {
			/* Still in some application's cache, maybe: not taken. */
			err = -EBUSY;
			goto out;
		}
		if (e->name) {
			hlist_del(&e->node);
			swap(e->name, copy);
		} else {
			e->name = copy;
			copy = NULL;
			WRITE_ONCE(pool->named, pool->named + 1);
		}
		e->len = len;
		hlist_add_head(&e->node, bucket);
	}
	e->used = jiffies;
	list_move_tail(&e->lru, &pool->lru);
	fakeip_addr(pool, e - pool->entries + 1, addr);
out:
	spin_unlock_bh(&pool->lock);
	/* The recycled name's, or ours when another assign made it first. */
	kfree(copy);
	return err;
}

bool mprox_fakeip_contains(const struct mprox_fakeip_pool *pool, u16 family, const u8 *addr)
{
	/* The pool's prefix as a set of one, as rules match them. */
	return mprox_prefixes_contain(&pool->prefix, 1, family, addr);
}

int mprox_fakeip_name_copy(struct mprox_fakeip_pool *pool, const u8 *addr, char *buf)
{
	unsigned int n = pool->prefix.family == AF_INET6 ? 16 : 4;
	struct mprox_fakeip_entry *e;
	u32 off;
	int len;

	/* Offsets reach the last four bytes only: the rest is the prefix's. */
	if (memcmp(addr, pool->prefix.addr, n - 4))
		return -ENOENT;
	off = fakeip_low(&pool->prefix, addr) - fakeip_low(&pool->prefix, pool->prefix.addr);
	if (!off || off > pool->size)
		return -ENOENT;
	e = &pool->entries[off - 1];
	spin_lock_bh(&pool->lock);
	len = e->name ? e->len : -ENOENT;
	if (e->name) {
		memcpy(buf, e->name, e->len + 1);
		e->used = jiffies;
		list_move_tail(&e->lru, &pool->lru);
	}
	spin_unlock_bh(&pool->lock);
	return len;
}

char *mprox_fakeip_name(struct mprox_fakeip_pool *pool, const u8 *addr, gfp_t gfp, u8 *len)
{
	char *buf, *name;
	int n;

	/*
	 * Copied under the lock into a buffer for the longest name, which
	 * is never allocated under it; then kept at its own size, since the
	 * connection keeps it for its life.
	 */
	buf = kmalloc(MPROX_DNS_NAME_MAX + 1, gfp);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	n = mprox_fakeip_name_copy(pool, addr, buf);
	name = n > 0 ? kmemdup(buf, n + 1, gfp) : ERR_PTR(-ENOENT);
	kfree(buf);
	if (n > 0)
		*len = n;
	return name ?: ERR_PTR(-ENOMEM);
}

u32 mprox_fakeip_named(struct mprox_fakeip_pool *pool)
{
	return READ_ONCE(pool->named);
}
