// SPDX-License-Identifier: GPL-2.0
/*
 * The per-device flow table: two rhashtables over one set of flows, by app
 * tuple and by nat tuple, with the NAT port allocator and the idle GC.
 * The rules (contexts, locking, lifetime) are in flow.h.
 *
 * Locking. t->lock (BH-safe: create runs in xmit) serialises every insert
 * and removal in both tables, so a flow is in both or in neither, and
 * makes "look the app tuple up, then insert" atomic against other
 * creators. f->lock (BH-safe) protects a flow's mutable state; the two are
 * never held together. Lookups take neither: RCU and
 * refcount_inc_not_zero().
 */
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "flow.h"

/* The KUnit module includes this file: its copy gets its own cache name. */
#ifndef MPROX_FLOW_CACHE_NAME
#define MPROX_FLOW_CACHE_NAME	"mprox_flow"
#endif

/*
 * Most candidate (F, f) a create probes, under t->lock with BH off. A
 * range no bigger is searched whole, so "none found" is then -ENOSPC.
 */
#define MPROX_FLOW_NAT_TRIES	256

static struct kmem_cache *mprox_flow_cache;
/* Runs the release of flows, an RCU grace period after their last put. */
static struct workqueue_struct *mprox_flow_wq;

/*
 * Hashed with jhash2 (rhashtable's default for a key length that is a
 * multiple of 4) and compared with memcmp: the key has no padding.
 */
static const struct rhashtable_params mprox_flow_app_params = {
	.head_offset = offsetof(struct mprox_flow, app_node),
	.key_offset = offsetof(struct mprox_flow, app),
	.key_len = sizeof(struct mprox_flow_key),
	.automatic_shrinking = true,
};

static const struct rhashtable_params mprox_flow_nat_params = {
	.head_offset = offsetof(struct mprox_flow, nat_node),
	.key_offset = offsetof(struct mprox_flow, nat),
	.key_len = sizeof(struct mprox_flow_key),
	.automatic_shrinking = true,
};

void mprox_flow_key_set(struct mprox_flow_key *k, u16 family, u8 proto,
			const union mprox_addr *saddr, __be16 sport,
			const union mprox_addr *daddr, __be16 dport)
{
	memset(k, 0, sizeof(*k));
	if (family == AF_INET) {
		k->saddr.v4 = saddr->v4;
		k->daddr.v4 = daddr->v4;
	} else {
		k->saddr.v6 = saddr->v6;
		k->daddr.v6 = daddr->v6;
	}
	k->sport = sport;
	k->dport = dport;
	k->family = family;
	k->proto = proto;
}

void mprox_flow_key_from_pkt(struct mprox_flow_key *k,
			     const struct mprox_pkt *p)
{
	mprox_flow_key_set(k, p->family, p->proto, &p->saddr, p->sport,
			   &p->daddr, p->dport);
}

void mprox_flow_key_reverse(struct mprox_flow_key *dst,
			    const struct mprox_flow_key *src)
{
	struct mprox_flow_key k;

	mprox_flow_key_set(&k, src->family, src->proto, &src->daddr,
			   src->dport, &src->saddr, src->sport);
	*dst = k;
}

static void mprox_flow_free_work(struct work_struct *work)
{
	struct mprox_flow *f = container_of(to_rcu_work(work),
					    struct mprox_flow, free_work);

	/* The release lets stop and rmmod go on: nothing of ours after it. */
	kfree_skb(f->held_syn);
	kfree_skb(f->held_rst);
	if (f->release)
		f->release(f);
	kmem_cache_free(mprox_flow_cache, f);
}

void mprox_flow_put(struct mprox_flow *f)
{
	if (refcount_dec_and_test(&f->ref))
		queue_rcu_work(mprox_flow_wq, &f->free_work);
}

bool mprox_flow_tryget(struct mprox_flow *f)
{
	return refcount_inc_not_zero(&f->ref);
}

struct mprox_flow *mprox_flow_find_app(struct mprox_flow_table *t,
				       const struct mprox_flow_key *k)
{
	return rhashtable_lookup(&t->app, k, mprox_flow_app_params);
}

struct mprox_flow *mprox_flow_find_nat(struct mprox_flow_table *t,
				       const struct mprox_flow_key *k)
{
	return rhashtable_lookup(&t->nat, k, mprox_flow_nat_params);
}

struct mprox_flow *mprox_flow_lookup_app(struct mprox_flow_table *t,
					 const struct mprox_flow_key *k)
{
	struct mprox_flow *f;

	rcu_read_lock();
	f = mprox_flow_find_app(t, k);
	if (f && !mprox_flow_tryget(f))
		f = NULL;
	rcu_read_unlock();
	return f;
}

struct mprox_flow *mprox_flow_lookup_nat(struct mprox_flow_table *t,
					 const struct mprox_flow_key *k)
{
	struct mprox_flow *f;

	rcu_read_lock();
	f = mprox_flow_find_nat(t, k);
	if (f && !mprox_flow_tryget(f))
		f = NULL;
	rcu_read_unlock();
	return f;
}

void *mprox_flow_priv_linked(struct mprox_flow_table *t, struct mprox_flow *f)
{
	void *priv;

	/*
	 * Under the lock that create holds from the first insert to the
	 * last: a failing create's priv is never seen here, as its caller
	 * frees it.
	 */
	spin_lock_bh(&t->lock);
	priv = f->unlinked ? NULL : f->priv;
	spin_unlock_bh(&t->lock);
	return priv;
}

bool mprox_flow_set_state(struct mprox_flow *f, enum mprox_flow_state state)
{
	bool ok;

	spin_lock_bh(&f->lock);
	ok = f->state != MPROX_FLOW_DEAD;
	if (ok)
		WRITE_ONCE(f->state, state);
	spin_unlock_bh(&f->lock);
	return ok;
}

bool mprox_flow_hold_syn(struct mprox_flow *f, struct sk_buff *skb)
{
	bool held;

	spin_lock_bh(&f->lock);
	/*
	 * Once the connection is up, the held SYN is the listener's and no
	 * other is taken: a retransmit that races the release would stay
	 * here, charged to the app's socket, for the connection's life.
	 */
	held = !f->held_syn && f->state < MPROX_FLOW_ESTABLISHED;
	if (held)
		f->held_syn = skb;
	else
		f->syn_absorbed++;
	spin_unlock_bh(&f->lock);
	if (!held)
		consume_skb(skb);
	return held;
}

struct sk_buff *mprox_flow_take_syn(struct mprox_flow *f)
{
	struct sk_buff *skb;

	spin_lock_bh(&f->lock);
	skb = f->held_syn;
	f->held_syn = NULL;
	spin_unlock_bh(&f->lock);
	return skb;
}

bool mprox_flow_hold_rst(struct mprox_flow *f, struct sk_buff *skb)
{
	struct sk_buff *old;
	bool held;

	spin_lock_bh(&f->lock);
	held = f->state != MPROX_FLOW_DEAD;
	old = held ? f->held_rst : skb;
	if (held)
		WRITE_ONCE(f->held_rst, skb);
	spin_unlock_bh(&f->lock);
	kfree_skb(old);
	return held;
}

struct sk_buff *mprox_flow_take_rst(struct mprox_flow *f)
{
	struct sk_buff *skb;

	spin_lock_bh(&f->lock);
	skb = f->held_rst;
	WRITE_ONCE(f->held_rst, NULL);
	spin_unlock_bh(&f->lock);
	return skb;
}

void mprox_flow_add_bytes(struct mprox_flow *f, u64 up, u64 down)
{
	if (up)
		atomic64_add(up, &f->bytes_up);
	if (down)
		atomic64_add(down, &f->bytes_down);
}

/* Candidate @addr_i, @port_i of @pool as the nat tuple of @f. */
static void mprox_flow_nat_key(const struct mprox_flow_nat_pool *pool,
			       struct mprox_flow *f, u32 addr_i, u16 port)
{
	union mprox_addr a = pool->base;

	if (f->app.family == AF_INET)
		a.v4.s_addr = htonl(ntohl(a.v4.s_addr) + addr_i);
	else
		a.v6.s6_addr32[3] = htonl(ntohl(a.v6.s6_addr32[3]) + addr_i);
	mprox_flow_key_set(&f->nat, f->app.family, f->app.proto, &a,
			   htons(port), &pool->listen_addr, pool->listen_port);
}

/*
 * t->lock held. Find a free (F, f): the pairs of (address, port) in order
 * from where the last search of the family ended, MPROX_FLOW_NAT_TRIES at
 * most. Going round the whole space before reusing a pair keeps a new
 * connection off a tuple whose old one may linger in TIME_WAIT at the
 * listener. Fills f->nat.
 */
static int mprox_flow_alloc_nat(struct mprox_flow_table *t,
				struct mprox_flow *f)
{
	const struct mprox_flow_nat_pool *pool =
		&t->pool[f->app.family == AF_INET6];
	u32 nr_ports = t->port_max - t->port_min + 1;
	u64 space = (u64)pool->nr_addrs * nr_ports;
	u32 tries = min_t(u64, space, MPROX_FLOW_NAT_TRIES);
	u64 *cursor = &t->nat_cursor[f->app.family == AF_INET6];
	u32 addr_i, port_i, i;
	u64 start;

	if (!space)
		return -ENOSPC;
	div64_u64_rem(*cursor, space, &start);
	addr_i = div_u64_rem(start, nr_ports, &port_i);

	for (i = 0; i < tries; i++) {
		mprox_flow_nat_key(pool, f, addr_i, t->port_min + port_i);
		if (!rhashtable_lookup_fast(&t->nat, &f->nat,
					    mprox_flow_nat_params)) {
			*cursor = (u64)addr_i * nr_ports + port_i + 1;
			return 0;
		}
		if (++port_i == nr_ports) {
			port_i = 0;
			if (++addr_i == pool->nr_addrs)
				addr_i = 0;
		}
	}
	return tries == space ? -ENOSPC : -EADDRINUSE;
}

struct mprox_flow *mprox_flow_create(struct mprox_flow_table *t,
				     const struct mprox_flow_key *app,
				     u32 max_flows, void *priv, gfp_t gfp)
{
	struct mprox_flow *f;
	int err;

	if (app->proto != IPPROTO_TCP && app->proto != IPPROTO_UDP)
		return ERR_PTR(-EINVAL);
	if (app->family != AF_INET && app->family != AF_INET6)
		return ERR_PTR(-EAFNOSUPPORT);
	if (!t->pool[app->family == AF_INET6].nr_addrs)
		return ERR_PTR(-EAFNOSUPPORT);

	f = kmem_cache_zalloc(mprox_flow_cache, gfp);
	if (!f)
		return ERR_PTR(-ENOMEM);
	f->app = *app;
	/* One for being linked, one for the caller. */
	refcount_set(&f->ref, 2);
	f->state = MPROX_FLOW_SYN_HELD;
	f->created = jiffies;
	f->last_active = f->created;
	spin_lock_init(&f->lock);
	f->release = t->release;
	f->priv = priv;
	f->killed = t->killed;
	INIT_RCU_WORK(&f->free_work, mprox_flow_free_work);

	spin_lock_bh(&t->lock);
	if (t->dying) {
		err = -ENODEV;
		goto err_unpublished;
	}
	if (rhashtable_lookup_fast(&t->app, app, mprox_flow_app_params)) {
		err = -EEXIST;
		goto err_unpublished;
	}
	if (atomic_read(&t->count) >= max_flows) {
		atomic64_inc(&t->refused_limit);
		err = -ENOSPC;
		goto err_unpublished;
	}
	err = mprox_flow_alloc_nat(t, f);
	if (err) {
		atomic64_inc(&t->port_exhausted);
		goto err_unpublished;
	}
	err = rhashtable_insert_fast(&t->nat, &f->nat_node,
				     mprox_flow_nat_params);
	if (err)
		goto err_unpublished;
	err = rhashtable_insert_fast(&t->app, &f->app_node,
				     mprox_flow_app_params);
	if (err) {
		rhashtable_remove_fast(&t->nat, &f->nat_node,
				       mprox_flow_nat_params);
		goto err_published;
	}
	atomic_inc(&t->count);
	atomic64_inc(&t->created);
	spin_unlock_bh(&t->lock);
	return f;

err_published:
	/*
	 * A reader may have found it in the nat table and holds a
	 * reference: it goes the way of every flow, after a grace period.
	 */
	f->unlinked = true;
	WRITE_ONCE(f->state, MPROX_FLOW_DEAD);
	/* The caller keeps @priv: the release callback must not see it. */
	f->priv = NULL;
	spin_unlock_bh(&t->lock);
	mprox_flow_put(f);
	mprox_flow_put(f);
	return ERR_PTR(err);

err_unpublished:
	spin_unlock_bh(&t->lock);
	kmem_cache_free(mprox_flow_cache, f);
	return ERR_PTR(err);
}

bool mprox_flow_kill(struct mprox_flow_table *t, struct mprox_flow *f)
{
	if (READ_ONCE(f->unlinked))
		return false;
	/* Readers that find it from now on see it DEAD. */
	mprox_flow_set_state(f, MPROX_FLOW_DEAD);

	spin_lock_bh(&t->lock);
	if (f->unlinked) {
		spin_unlock_bh(&t->lock);
		return false;
	}
	rhashtable_remove_fast(&t->app, &f->app_node, mprox_flow_app_params);
	rhashtable_remove_fast(&t->nat, &f->nat_node, mprox_flow_nat_params);
	WRITE_ONCE(f->unlinked, true);
	atomic_dec(&t->count);
	/* Nothing touches @t after this: destroy may free it. */
	spin_unlock_bh(&t->lock);
	if (f->killed)
		f->killed(f);
	/* The table's reference. */
	mprox_flow_put(f);
	return true;
}

static bool mprox_flow_expired(const struct mprox_flow *f, unsigned long now,
			       unsigned long tcp_idle, unsigned long udp_idle)
{
	unsigned long idle = f->app.proto == IPPROTO_TCP ? tcp_idle : udp_idle;

	switch (mprox_flow_state(f)) {
	case MPROX_FLOW_DEAD:
		return true;
	case MPROX_FLOW_SYN_HELD:
	case MPROX_FLOW_CONNECTING:
		/* The handshake's own deadlines bound it, not idleness. */
		return false;
	default:
		break;
	}
	return time_after(now, READ_ONCE(f->last_active) + idle);
}

/* Kill the flows that are expired as of @now, or all of them. */
static unsigned int mprox_flow_walk_kill(struct mprox_flow_table *t,
					 unsigned long now, bool all)
{
	unsigned long tcp_idle = READ_ONCE(t->tcp_idle);
	unsigned long udp_idle = READ_ONCE(t->udp_idle);
	struct rhashtable_iter iter;
	unsigned int killed = 0;
	struct mprox_flow *f;

	rhashtable_walk_enter(&t->app, &iter);
	rhashtable_walk_start(&iter);
	while ((f = rhashtable_walk_next(&iter))) {
		if (IS_ERR(f)) {
			/* -EAGAIN: resized under us; go on, maybe twice. */
			if (PTR_ERR(f) == -EAGAIN)
				continue;
			break;
		}
		if ((all || mprox_flow_expired(f, now, tcp_idle, udp_idle)) &&
		    refcount_inc_not_zero(&f->ref)) {
			/*
			 * Not ours to count if another killer came first,
			 * or the walk meets it again after a resize.
			 */
			if (mprox_flow_kill(t, f))
				killed++;
			mprox_flow_put(f);
		}
		/*
		 * Between flows, not every so many: a grace period waits for
		 * the walk's RCU read side, and "ip link set down" waits for
		 * several while this kills the flows of the device.
		 */
		if (need_resched()) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	return killed;
}

void mprox_flow_table_walk(struct mprox_flow_table *t,
			   bool (*fn)(struct mprox_flow *f, void *arg),
			   void *arg)
{
	struct rhashtable_iter iter;
	struct mprox_flow *f;

	rhashtable_walk_enter(&t->app, &iter);
	rhashtable_walk_start(&iter);
	while ((f = rhashtable_walk_next(&iter))) {
		if (IS_ERR(f))
			continue;	/* -EAGAIN: resized; go on */
		if (!fn(f, arg))
			break;
		/* A long walk lets others have the CPU between flows. */
		if (need_resched()) {
			rhashtable_walk_stop(&iter);
			cond_resched();
			rhashtable_walk_start(&iter);
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

unsigned int mprox_flow_table_gc(struct mprox_flow_table *t,
				 unsigned long now)
{
	unsigned int killed = mprox_flow_walk_kill(t, now, false);

	atomic64_add(killed, &t->expired);
	return killed;
}

static void mprox_flow_gc_work(struct work_struct *work)
{
	struct mprox_flow_table *t = container_of(to_delayed_work(work),
						  struct mprox_flow_table,
						  gc_work);

	mprox_flow_table_gc(t, jiffies);
	queue_delayed_work(system_power_efficient_wq, &t->gc_work,
			   t->gc_interval);
}

int mprox_flow_table_init(struct mprox_flow_table *t,
			  const struct mprox_flow_table_params *p)
{
	int err;

	if (!p->port_min || p->port_min > p->port_max)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	spin_lock_init(&t->lock);
	atomic_set(&t->count, 0);
	t->pool[0] = p->v4;
	t->pool[1] = p->v6;
	t->port_min = p->port_min;
	t->port_max = p->port_max;
	t->tcp_idle = p->tcp_idle;
	t->udp_idle = p->udp_idle;
	t->gc_interval = p->gc_interval;
	t->release = p->release;
	t->killed = p->killed;
	/* Where (F, f) allocation starts: anywhere, as ephemeral ports. */
	t->nat_cursor[0] = get_random_u32();
	t->nat_cursor[1] = get_random_u32();
	atomic64_set(&t->created, 0);
	atomic64_set(&t->refused_limit, 0);
	atomic64_set(&t->port_exhausted, 0);
	atomic64_set(&t->expired, 0);
	INIT_DELAYED_WORK(&t->gc_work, mprox_flow_gc_work);

	err = rhashtable_init(&t->app, &mprox_flow_app_params);
	if (err)
		return err;
	err = rhashtable_init(&t->nat, &mprox_flow_nat_params);
	if (err) {
		rhashtable_destroy(&t->app);
		return err;
	}
	if (t->gc_interval)
		queue_delayed_work(system_power_efficient_wq, &t->gc_work,
				   t->gc_interval);
	return 0;
}

void mprox_flow_table_destroy(struct mprox_flow_table *t)
{
	spin_lock_bh(&t->lock);
	t->dying = true;
	spin_unlock_bh(&t->lock);
	/* Works for a work that queues itself again. */
	cancel_delayed_work_sync(&t->gc_work);

	/* A walk may miss flows moved by a resize: walk until none is left. */
	while (atomic_read(&t->count)) {
		mprox_flow_walk_kill(t, 0, true);
		cond_resched();
	}
	/* Let a concurrent kill that unlinked the last one unlock. */
	spin_lock_bh(&t->lock);
	spin_unlock_bh(&t->lock);

	rhashtable_destroy(&t->app);
	rhashtable_destroy(&t->nat);
}

void mprox_flow_table_set_timeouts(struct mprox_flow_table *t,
				   unsigned long tcp_idle,
				   unsigned long udp_idle)
{
	WRITE_ONCE(t->tcp_idle, tcp_idle);
	WRITE_ONCE(t->udp_idle, udp_idle);
}

void mprox_flow_table_stats(struct mprox_flow_table *t,
			    struct mprox_flow_stats *s)
{
	s->active = atomic_read(&t->count);
	s->created = atomic64_read(&t->created);
	s->refused_limit = atomic64_read(&t->refused_limit);
	s->port_exhausted = atomic64_read(&t->port_exhausted);
	s->expired = atomic64_read(&t->expired);
}

void mprox_flow_flush(void)
{
	/* The last puts' grace periods, then the releases they queued. */
	rcu_barrier();
	flush_workqueue(mprox_flow_wq);
}

int mprox_flow_init(void)
{
	/* memcmp and jhash2 see every byte: no padding, 4-byte multiple. */
	BUILD_BUG_ON(sizeof(struct mprox_flow_key) !=
		     2 * sizeof(union mprox_addr) + 2 * sizeof(__be16) +
		     sizeof(u16) + 2 * sizeof(u8));
	BUILD_BUG_ON(sizeof(struct mprox_flow_key) % sizeof(u32));

	mprox_flow_cache = kmem_cache_create(MPROX_FLOW_CACHE_NAME,
					     sizeof(struct mprox_flow), 0,
					     SLAB_HWCACHE_ALIGN, NULL);
	if (!mprox_flow_cache)
		return -ENOMEM;
	mprox_flow_wq = alloc_workqueue("mprox_flow", 0, 0);
	if (!mprox_flow_wq) {
		kmem_cache_destroy(mprox_flow_cache);
		return -ENOMEM;
	}
	return 0;
}

void mprox_flow_exit(void)
{
	/* Every table is gone; flows whose last put was queued are freed. */
	rcu_barrier();
	destroy_workqueue(mprox_flow_wq);
	kmem_cache_destroy(mprox_flow_cache);
}
