/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's cache of DNS answers (docs/dns.md, "Cache"): the answers
 * that came back through the proxy to queries the resolver sent on
 * (resolver.h), and those to the direct lookups' own queries (lookup.h),
 * kept for their TTL so that the same question to the same server is
 * answered in the kernel, without the proxy, with its TTLs aged. Keyed by
 * the server (address and port) and the question (name, type, class):
 * another server may answer otherwise.
 *
 * Only an answer the cache was told to expect is kept: the resolver, when
 * it sends a question on, says which (its key, id and the asking socket;
 * a lookup's is no address and its own socket's port),
 * and only a response from that server to that socket with that id and
 * question fills the entry, once, within MPROX_DNS_CACHE_PENDING_TIME. A
 * datagram forged to the socket's port poisons nothing more than it
 * would without the cache.
 *
 * Bounded: at most "dns_cache_size" answers of a device, each at most
 * MPROX_DNS_CACHE_MSG_MAX bytes, the least recently stored one dropped
 * for a new one; an answer is kept no longer than MPROX_DNS_CACHE_TTL_MAX.
 * What it holds is charged to the caller's memory cgroup. Any context but
 * hard IRQ; its lock is held only for a lookup or a link, never across an
 * allocation.
 */
#ifndef _MPROX_DNSCACHE_H
#define _MPROX_DNSCACHE_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "dns.h"

/* EDNS's safe UDP size (DNS Flag Day 2020): a larger answer is not kept. */
#define MPROX_DNS_CACHE_MSG_MAX		1232
/* Seconds: a day, whatever the server said. */
#define MPROX_DNS_CACHE_TTL_MAX		86400
#define MPROX_DNS_CACHE_BUCKETS		256
/* Questions sent on whose answers may be kept, and for how long. */
#define MPROX_DNS_CACHE_PENDING		64
#define MPROX_DNS_CACHE_PENDING_TIME	(10 * HZ)

/* What the query said of EDNS (the key's edns). */
#define MPROX_DNS_CACHE_EDNS		0x01	/* an OPT record */
#define MPROX_DNS_CACHE_EDNS_DO		0x02	/* with DNSSEC OK */

/*
 * A cached answer's key: the server, the way to it, the question, and
 * what in the query shapes the answer. No padding: keys compare as bytes.
 */
struct mprox_dns_cache_key {
	u16 family;
	__be16 port;
	u8 addr[16];		/* 4 bytes of IPv4, the rest zero */
	u16 qtype;
	u16 qclass;
	u8 direct;		/* through a "direct" rule, not a proxy */
	u8 edns;		/* MPROX_DNS_CACHE_EDNS* */
	u8 cd;			/* the query's CD (checking disabled) */
	u8 name_len;
	char name[MPROX_DNS_NAME_MAX + 1];	/* zero after the name */
	u8 pad[2];
};

/* A question sent on (mprox_dns_cache_expect()). */
struct mprox_dns_cache_pending {
	u32 hash;		/* of the key, direct, edns and cd zero */
	u8 direct, edns, cd;
	u16 id;
	u16 family;
	__be16 app_port;
	u8 app_addr[16];
	unsigned long expires;	/* jiffies; 0: none */
};

struct mprox_dns_cache {
	spinlock_t lock;		/* buckets, lru, count */
	/* Entries by key; every entry on lru, the oldest first. */
	struct hlist_head buckets[MPROX_DNS_CACHE_BUCKETS];
	struct list_head lru;
	u32 count;
	u32 seed;
	/* A ring: the oldest question is forgotten for a new one. */
	struct mprox_dns_cache_pending pending[MPROX_DNS_CACHE_PENDING];
	unsigned int pending_next;
};

void mprox_dns_cache_init(struct mprox_dns_cache *c);
/* Drop every answer, and forget every question sent on. */
void mprox_dns_cache_flush(struct mprox_dns_cache *c);

/*
 * @k for @family's server @addr (network order) and @port and the question
 * of @q. Zeroes the rest, so that keys compare as bytes.
 */
void mprox_dns_cache_key(struct mprox_dns_cache_key *k, u16 family, const void *addr,
			 __be16 port, const struct mprox_dns_query *q);

/*
 * The question of @k went on to its server with id @id, from the app's
 * socket @app_addr (of @k's family, network order) and @app_port: its
 * answer may be kept.
 */
void mprox_dns_cache_expect(struct mprox_dns_cache *c, const struct mprox_dns_cache_key *k,
			    u16 id, const void *app_addr, __be16 app_port);

/*
 * Keep the answer @msg of @len bytes (at most MPROX_DNS_CACHE_MSG_MAX),
 * id @id, to the app's socket @app_addr and @app_port, for @k (direct,
 * edns and cd left zero: the question's expectation says them), @ttl
 * seconds (capped at MPROX_DNS_CACHE_TTL_MAX), replacing what that key
 * had; @max: how many answers the cache may hold. May sleep for memory
 * when @gfp says so. 0, -ENOENT (not expected, or expected already
 * answered), -ENOMEM, or -EINVAL (too long, TTL 0, @max 0).
 */
int mprox_dns_cache_store(struct mprox_dns_cache *c, const struct mprox_dns_cache_key *k,
			  u16 id, const void *app_addr, __be16 app_port,
			  const u8 *msg, size_t len, u32 ttl, u32 max, gfp_t gfp);

/*
 * The answer for @k, to the question @q, copied to @out (@size bytes) with
 * its TTLs lowered by its age (mprox_dns_response_age()): its length, or
 * -ENOENT (none, or expired: then dropped), -ENOSPC (@size too small) or
 * -EBADMSG (not an answer to @q after all).
 */
int mprox_dns_cache_fetch(struct mprox_dns_cache *c, const struct mprox_dns_cache_key *k,
			  const struct mprox_dns_query *q, u8 *out, size_t size);

/* How many answers are kept now. */
u32 mprox_dns_cache_count(struct mprox_dns_cache *c);

#endif /* _MPROX_DNSCACHE_H */
