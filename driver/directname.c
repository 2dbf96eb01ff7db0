// SPDX-License-Identifier: GPL-2.0
/*
 * The names a direct UDP association sends to; see directname.h.
 */

#include <linux/jhash.h>
#include <linux/slab.h>
#include <net/sock.h>

#include "config.h"
#include "datapath.h"
#include "directname.h"
#include "fakeip.h"
#include "lookup.h"
#include "ownsock.h"
#include "resolver.h"
#include "sockwatch.h"

enum mprox_directname_state {
	MPROX_DIRECTNAME_FREE,
	MPROX_DIRECTNAME_WAITING,	/* datagrams held, not asked for yet */
	MPROX_DIRECTNAME_ASKING,	/* the lookup in flight is its */
	MPROX_DIRECTNAME_KNOWN,		/* ->addr is the name's */
};

struct mprox_directname_entry {
	union mprox_addr pool;
	/* KNOWN: of the name ->addr is for (mprox_directname_hash()). */
	u32 hash;
	union mprox_addr addr;
	enum mprox_directname_state state;
	/* jiffies: the last datagram to it, for pushing out the oldest. */
	unsigned long used;
	/* The work's own, as everything below ->lock's fields. */
	struct sk_buff_head held;
};

struct mprox_directname {
	struct mprox_datapath *dp;
	u16 family;
	void (*kick)(void *owner);
	void *owner;
	/* Protects the names' pool, addr, state and used against xmit. */
	spinlock_t lock;
	struct mprox_directname_entry names[MPROX_DIRECTNAME_MAX];
	unsigned int nr_held;
	/* The name being asked for; its lookup and socket. */
	struct mprox_directname_entry *asking;
	struct mprox_lookup lookup;
	struct socket *sock;
	struct mprox_sockwatch watch;
};

static unsigned int mprox_directname_alen(const struct mprox_directname *n)
{
	return n->family == AF_INET6 ? 16 : 4;
}

static void mprox_directname_news(struct mprox_sockwatch *w)
{
	struct mprox_directname *n = container_of(w, struct mprox_directname, watch);

	n->kick(n->owner);
}

struct mprox_directname *mprox_directname_alloc(struct mprox_datapath *dp, u16 family,
						void (*kick)(void *owner), void *owner)
{
	struct mprox_directname *n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	unsigned int i;

	if (!n)
		return NULL;
	n->dp = dp;
	n->family = family;
	n->kick = kick;
	n->owner = owner;
	spin_lock_init(&n->lock);
	for (i = 0; i < MPROX_DIRECTNAME_MAX; i++)
		skb_queue_head_init(&n->names[i].held);
	return n;
}

static void mprox_directname_sock_release(struct mprox_directname *n)
{
	if (!n->sock)
		return;
	mprox_sockwatch_stop(&n->watch);
	mprox_ownsock_del(n->sock->sk);
	sock_release(n->sock);
	n->sock = NULL;
}

void mprox_directname_stop(struct mprox_directname *n)
{
	unsigned int i;

	mprox_directname_sock_release(n);
	n->asking = NULL;
	for (i = 0; i < MPROX_DIRECTNAME_MAX; i++)
		__skb_queue_purge(&n->names[i].held);
	n->nr_held = 0;
}

void mprox_directname_free(struct mprox_directname *n)
{
	kfree(n);
}

/* The entry of @pool, in any state but FREE, or NULL. Under n->lock. */
static struct mprox_directname_entry *
mprox_directname_find(struct mprox_directname *n, const union mprox_addr *pool)
{
	unsigned int i;

	for (i = 0; i < MPROX_DIRECTNAME_MAX; i++)
		if (n->names[i].state != MPROX_DIRECTNAME_FREE &&
		    !memcmp(&n->names[i].pool, pool, mprox_directname_alen(n)))
			return &n->names[i];
	return NULL;
}

u32 mprox_directname_hash(const char *name, unsigned int len)
{
	return jhash(name, len, 0);
}

bool mprox_directname_addr(struct mprox_directname *n, const union mprox_addr *pool,
			   const u32 *hash, union mprox_addr *addr)
{
	struct mprox_directname_entry *e;
	bool known = false;

	spin_lock_bh(&n->lock);
	e = mprox_directname_find(n, pool);
	if (e && e->state == MPROX_DIRECTNAME_KNOWN && (!hash || e->hash == *hash)) {
		*addr = e->addr;
		e->used = jiffies;
		known = true;
	}
	spin_unlock_bh(&n->lock);
	return known;
}

/*
 * A place for a new name: a free one, else the known name with nothing
 * held that was used least lately. NULL when every name is being asked
 * for or waits to be. Under n->lock.
 */
static struct mprox_directname_entry *mprox_directname_slot(struct mprox_directname *n)
{
	struct mprox_directname_entry *e, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < MPROX_DIRECTNAME_MAX; i++) {
		e = &n->names[i];
		if (e->state == MPROX_DIRECTNAME_FREE)
			return e;
		if (e->state == MPROX_DIRECTNAME_KNOWN && skb_queue_empty(&e->held) &&
		    (!oldest || time_before(e->used, oldest->used)))
			oldest = e;
	}
	return oldest;
}

bool mprox_directname_hold(struct mprox_directname *n, struct sk_buff *skb,
			   const union mprox_addr *pool, u32 hash)
{
	struct mprox_directname_entry *e = NULL;

	if (n->nr_held < MPROX_DIRECTNAME_HELD) {
		spin_lock_bh(&n->lock);
		e = mprox_directname_find(n, pool);
		/* The pool address went to another name: ask for that one. */
		if (e && e->state == MPROX_DIRECTNAME_KNOWN && e->hash != hash)
			e->state = MPROX_DIRECTNAME_WAITING;
		if (!e) {
			e = mprox_directname_slot(n);
			if (e) {
				e->pool = *pool;
				e->state = MPROX_DIRECTNAME_WAITING;
			}
		}
		if (e)
			e->used = jiffies;
		spin_unlock_bh(&n->lock);
	}
	if (!e) {
		kfree_skb(skb);
		return false;
	}
	__skb_queue_tail(&e->held, skb);
	n->nr_held++;
	/* A name known since its datagram was queued: run() sends it. */
	n->kick(n->owner);
	return true;
}

/* @e's datagrams into @to. */
static void mprox_directname_release(struct mprox_directname *n,
				     struct mprox_directname_entry *e,
				     struct sk_buff_head *to)
{
	n->nr_held -= skb_queue_len(&e->held);
	skb_queue_splice_tail_init(&e->held, to);
}

/* The lookup of n->asking is over with @status: FOUND or FAILED. */
static void mprox_directname_end(struct mprox_directname *n,
				 enum mprox_lookup_status status,
				 struct sk_buff_head *ready, struct sk_buff_head *failed)
{
	struct mprox_directname_entry *e = n->asking;
	struct mprox_lookup *l = &n->lookup;

	mprox_directname_sock_release(n);
	n->asking = NULL;
	if (l->stored)
		atomic64_inc(&n->dp->dns[MPROX_DNS_STAT_CACHE_STORED]);
	if (status == MPROX_LOOKUP_FOUND) {
		spin_lock_bh(&n->lock);
		memcpy(&e->addr, l->addr, mprox_directname_alen(n));
		e->state = MPROX_DIRECTNAME_KNOWN;
		e->used = jiffies;
		spin_unlock_bh(&n->lock);
		mprox_directname_release(n, e, ready);
		return;
	}
	atomic64_inc(&n->dp->dns[MPROX_DNS_STAT_LOOKUP_FAILED]);
	mprox_directname_release(n, e, failed);
	spin_lock_bh(&n->lock);
	e->state = MPROX_DIRECTNAME_FREE;
	spin_unlock_bh(&n->lock);
}

/*
 * Ask "dns server" for @e's name, within connect_timeout_ms as a direct
 * TCP connection's. Its end may come at once (the cache, no server).
 */
static enum mprox_lookup_status
mprox_directname_begin(struct mprox_directname *n, struct mprox_directname_entry *e)
{
	char name[MPROX_DNS_NAME_MAX + 1];
	struct mprox_datapath *dp = n->dp;
	enum mprox_lookup_status status;
	const struct mprox_config *cfg;
	struct mprox_fakeip_pool *pool;
	unsigned long timeout;
	int len = -ENOENT;
	u32 mark;

	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	pool = mprox_dns_pool_of(&cfg->dns, n->family, &e->pool);
	if (pool)
		len = mprox_fakeip_name_copy(pool, (const u8 *)&e->pool, name);
	timeout = msecs_to_jiffies(cfg->tunables[MPROX_TUNE_CONNECT_TIMEOUT_MS]);
	mark = cfg->fwmark;
	rcu_read_unlock();

	spin_lock_bh(&n->lock);
	e->state = MPROX_DIRECTNAME_ASKING;
	/* The name asked for, whichever the pool address stands for now. */
	if (len > 0)
		e->hash = mprox_directname_hash(name, len);
	spin_unlock_bh(&n->lock);
	n->asking = e;
	/* The pool address stands for no name any more: as TCP to it (udp.c). */
	if (len <= 0) {
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_LOOKUPS]);
		n->lookup.result = MPROX_CONNECT_HOST_UNREACH;
		n->lookup.stored = false;
		return MPROX_LOOKUP_FAILED;
	}
	status = mprox_lookup_start(&n->lookup, dp, name, len, n->family,
				    jiffies + timeout, mark, &n->sock);
	if (status != MPROX_LOOKUP_PENDING)
		return status;
	mprox_sockwatch_start(&n->watch, n->sock->sk, mprox_directname_news, NULL);
	return mprox_lookup_advance(&n->lookup, n->sock);
}

bool mprox_directname_run(struct mprox_directname *n, struct sk_buff_head *ready,
			  struct sk_buff_head *failed, unsigned long *next)
{
	struct mprox_directname_entry *e, *waiting = NULL;
	enum mprox_lookup_status status;
	unsigned int i;

	*next = 0;
	for (i = 0; i < MPROX_DIRECTNAME_MAX; i++) {
		e = &n->names[i];
		if (e->state == MPROX_DIRECTNAME_KNOWN)
			mprox_directname_release(n, e, ready);
		else if (e->state == MPROX_DIRECTNAME_WAITING && !waiting)
			waiting = e;
	}
	if (n->asking)
		status = mprox_lookup_advance(&n->lookup, n->sock);
	else if (waiting)
		status = mprox_directname_begin(n, waiting);
	else
		return false;
	if (status == MPROX_LOOKUP_PENDING) {
		*next = mprox_lookup_next_deadline(&n->lookup);
		return false;
	}
	/* One name's end a call: the next begins on the next. */
	mprox_directname_end(n, status, ready, failed);
	return true;
}
