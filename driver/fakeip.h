/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake-IP pool ("dns fake-ip CIDR"): the addresses the resolver in the
 * kernel (resolver.h) answers A or AAAA queries with, one per name, so
 * that a connection to one of them can go to the proxy with the name it
 * stands for and the proxy resolves it: nothing is resolved locally.
 *
 * A name keeps its address while it is in use: every answer and every new
 * connection makes it the most recently used, and when the pool is full
 * the least recently used name gives its address up to the new one, if
 * it was not used within the time an application may still hold its
 * answer (else the new name gets no address). The
 * pool's memory is bounded by its size, fixed when it is made: at most
 * MPROX_FAKEIP_SIZE_MAX addresses of a prefix are handed out, and each
 * holds one name of at most MPROX_DNS_NAME_MAX bytes.
 *
 * A pool belongs to the configurations that name its prefix and is shared
 * between them like an upstream (config.c), so that a write that changes
 * something else keeps every name's address. A reader under
 * rcu_read_lock() uses the pools of the configuration it found without a
 * reference: the configuration is freed after a grace period, and its
 * references with it. Any context but hard IRQ;
 * its lock is only ever held for a lookup, never across an allocation
 * that may sleep.
 */
#ifndef _MPROX_FAKEIP_H
#define _MPROX_FAKEIP_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/spinlock.h>

#include "parse.h"

/* Addresses of one pool handed out at most: a /16's worth. */
#define MPROX_FAKEIP_SIZE_MAX	65536

struct mprox_fakeip_entry;

struct mprox_fakeip_pool {
	struct kref ref;
	/* The prefix, as "dns fake-ip" gave it: host bits zero. */
	struct mprox_rule_prefix prefix;
	/*
	 * Addresses handed out: the prefix's address plus 1 .. size, so that
	 * the network's own address (and IPv4's broadcast) is never one.
	 */
	u32 size;
	u32 hash_seed;
	unsigned int hash_bits;
	spinlock_t lock;		/* named, lru, buckets, entries */
	/* Named: how many entries hold a name. Under lock. */
	u32 named;
	/* Every entry, the least recently used first. Under lock. */
	struct list_head lru;
	/* Named entries by name. Under lock. */
	struct hlist_head *buckets;
	/* Entry i stands for the address at offset i + 1. */
	struct mprox_fakeip_entry *entries;
};

/*
 * A pool for @prefix (IPv4 or IPv6, host bits zero, of a length parse.c
 * takes), charged to the caller's memory cgroup (its names are charged
 * to the cgroup active where they are assigned). Process context. NULL
 * when out of memory.
 */
struct mprox_fakeip_pool *mprox_fakeip_pool_new(const struct mprox_rule_prefix *prefix);

static inline struct mprox_fakeip_pool *mprox_fakeip_pool_get(struct mprox_fakeip_pool *pool)
{
	kref_get(&pool->ref);
	return pool;
}

/* Drop a reference; the last frees the pool. Any context but hard IRQ. */
void mprox_fakeip_pool_put(struct mprox_fakeip_pool *pool);

/*
 * The address for @name (@len bytes, 1..MPROX_DNS_NAME_MAX, in the form
 * dns.h keeps names), written to @addr (4 or 16 bytes, network order): the
 * one it has, or the least recently used one, taken from its name unless
 * that name was used less than @keep jiffies ago (it may still be in an
 * application's cache). 0, or with nothing changed -EBUSY (every address
 * in use), -ENOMEM or -EINVAL (@len).
 */
int mprox_fakeip_assign(struct mprox_fakeip_pool *pool, const char *name, size_t len,
			unsigned long keep, u8 *addr);

/* Whether the address @addr of @family is in @pool's prefix. */
bool mprox_fakeip_contains(const struct mprox_fakeip_pool *pool, u16 family, const u8 *addr);

/*
 * The name whose address @addr (in @pool's prefix) is, as a NUL-terminated
 * copy allocated with @gfp for the caller to kfree(), and *@len its
 * length; the name becomes the most recently used. ERR_PTR(-ENOENT) when
 * no name has the address (it was never handed out: made up, or kept from
 * an earlier pool of the same prefix), or ERR_PTR(-ENOMEM).
 */
char *mprox_fakeip_name(struct mprox_fakeip_pool *pool, const u8 *addr, gfp_t gfp, u8 *len);

/*
 * The same into @buf, of MPROX_DNS_NAME_MAX + 1 bytes, for a caller that
 * needs the name only for a moment (a datagram's header): its length, or
 * -ENOENT. Any context but hard IRQ.
 */
int mprox_fakeip_name_copy(struct mprox_fakeip_pool *pool, const u8 *addr, char *buf);

/* How many addresses hold a name now. */
u32 mprox_fakeip_named(struct mprox_fakeip_pool *pool);

#endif /* _MPROX_FAKEIP_H */
