// SPDX-License-Identifier: GPL-2.0
/*
 * Spare upstream connections; see spare.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "datapath.h"
#include "device.h"
#include "spare.h"

/*
 * A spare taken is replaced this much later, not at once: opening one
 * costs the proxy and us CPU, which the connection that took it needs
 * now for its own request and first bytes.
 */
#define MPROX_SPARE_REFILL_DELAY_MS	4

struct mprox_spare {
	struct list_head node;
	struct mprox_upstream *up;	/* a reference */
	struct socket *sock;
	u32 mark;			/* the fwmark it was opened with */
	unsigned long since;		/* jiffies: ready since */
};

/* What the work reads of the configuration, once per pass. */
struct mprox_spare_params {
	unsigned int want;		/* spare_conns: per upstream */
	unsigned long idle;		/* spare_idle_s, in jiffies */
	unsigned long timeout;		/* connect_timeout_ms, in jiffies */
	u32 mark;
};

/* While a spare is being negotiated, its socket wakes the work. */
struct mprox_spare_watch {
	struct mprox_waiter *waiter;
	void (*data_ready)(struct sock *sk);
	void (*state_change)(struct sock *sk);
};

static struct mprox_datapath *mprox_spares_dp(struct mprox_spares *sp)
{
	return container_of(sp, struct mprox_datapath, spares);
}

static void mprox_spare_params(struct mprox_datapath *dp,
			       struct mprox_spare_params *p)
{
	const struct mprox_config *cfg;

	rcu_read_lock();
	cfg = rcu_dereference(dp->md->config);
	p->want = cfg->tunables[MPROX_TUNE_SPARE_CONNS];
	p->idle = cfg->tunables[MPROX_TUNE_SPARE_IDLE_S] * HZ;
	p->timeout = msecs_to_jiffies(cfg->tunables[MPROX_TUNE_CONNECT_TIMEOUT_MS]);
	p->mark = cfg->fwmark;
	rcu_read_unlock();
}

static void mprox_spare_free(struct mprox_spare *s)
{
	mprox_upstream_release(s->sock);
	mprox_upstream_put(s->up);
	kfree(s);
}

static void mprox_spare_free_list(struct list_head *list)
{
	struct mprox_spare *s, *tmp;

	list_for_each_entry_safe(s, tmp, list, node)
		mprox_spare_free(s);
}

/*
 * Still good for a request: the proxy has neither closed it nor said a
 * word since the negotiation (anything it sent would be a protocol error).
 */
static bool mprox_spare_alive(const struct mprox_spare *s)
{
	struct sock *sk = s->sock->sk;

	return READ_ONCE(sk->sk_state) == TCP_ESTABLISHED &&
	       !READ_ONCE(sk->sk_err) &&
	       skb_queue_empty_lockless(&sk->sk_receive_queue);
}

static bool mprox_spare_fits(const struct mprox_spare *s,
			     const struct mprox_spare_params *p)
{
	return s->mark == p->mark && time_before(jiffies, s->since + p->idle) &&
	       mprox_spare_alive(s);
}

/* The stack's own callback, then a wake-up, as in conn.c. */
static struct mprox_spare_watch *mprox_spare_watch_get(struct sock *sk)
{
	read_lock_bh(&sk->sk_callback_lock);
	return sk->sk_user_data;
}

static void mprox_spare_watch_put(struct sock *sk,
				  struct mprox_spare_watch *sw)
{
	if (sw)
		wake_up(&sw->waiter->wq);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void mprox_spare_data_ready(struct sock *sk)
{
	struct mprox_spare_watch *sw = mprox_spare_watch_get(sk);

	if (sw)
		sw->data_ready(sk);
	mprox_spare_watch_put(sk, sw);
}

static void mprox_spare_state_change(struct sock *sk)
{
	struct mprox_spare_watch *sw = mprox_spare_watch_get(sk);

	if (sw)
		sw->state_change(sk);
	mprox_spare_watch_put(sk, sw);
}

static void mprox_spare_watch(struct sock *sk, struct mprox_spare_watch *sw)
{
	write_lock_bh(&sk->sk_callback_lock);
	sw->data_ready = sk->sk_data_ready;
	sw->state_change = sk->sk_state_change;
	sk->sk_user_data = sw;
	sk->sk_data_ready = mprox_spare_data_ready;
	sk->sk_state_change = mprox_spare_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void mprox_spare_unwatch(struct sock *sk, struct mprox_spare_watch *sw)
{
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = sw->data_ready;
	sk->sk_state_change = sw->state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Connect to @up and negotiate, up to the request. Returns the spare or an
 * ERR_PTR: -ECANCELED when stop aborted it, which says nothing about the
 * upstream; otherwise the upstream failed us: -ETIMEDOUT, -ECONNREFUSED
 * (down, our password refused, a broken reply), or why the socket could
 * not be created.
 */
static struct mprox_spare *mprox_spare_open(struct mprox_spares *sp,
					    struct mprox_upstream *up,
					    const struct mprox_spare_params *p)
{
	struct mprox_datapath *dp = mprox_spares_dp(sp);
	struct mprox_spare_watch sw = { .waiter = &sp->waiter };
	enum mprox_connect_result res;
	struct mprox_spare *s;
	struct socket *sock;
	int err;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	err = mprox_upstream_socket(dev_net(dp->md->dev), up, p->mark, &sock);
	if (err) {
		kfree(s);
		return ERR_PTR(err);
	}
	sp->waiter.deadline = jiffies + p->timeout;
	mprox_spare_watch(sock->sk, &sw);
	res = mprox_upstream_prepare(sock, up, &sp->waiter);
	mprox_spare_unwatch(sock->sk, &sw);
	if (res != MPROX_CONNECT_OK) {
		mprox_upstream_release(sock);
		kfree(s);
		if (res == MPROX_CONNECT_ABORTED)
			return ERR_PTR(-ECANCELED);
		return ERR_PTR(res == MPROX_CONNECT_TIMEOUT ? -ETIMEDOUT :
							      -ECONNREFUSED);
	}
	s->up = mprox_upstream_get(up);
	s->sock = sock;
	s->mark = p->mark;
	s->since = jiffies;
	return s;
}

static unsigned int mprox_spares_count(struct mprox_spares *sp,
				       const struct mprox_upstream *up)
{
	struct mprox_spare *s;
	unsigned int n = 0;

	lockdep_assert_held(&sp->lock);
	list_for_each_entry(s, &sp->ready, node)
		n += s->up == up;
	return n;
}

static bool mprox_spares_listed(const struct mprox_upstream *up,
				struct mprox_upstream *const *ups,
				unsigned int n)
{
	while (n--)
		if (ups[n] == up)
			return true;
	return false;
}

/*
 * Close the spares that no longer fit: idle too long, dead, opened with
 * another fwmark, for an upstream no longer configured, or more than
 * spare_conns for theirs (the oldest go).
 */
static void mprox_spares_expire(struct mprox_spares *sp,
				struct mprox_upstream *const *ups,
				unsigned int n,
				const struct mprox_spare_params *p)
{
	struct mprox_spare *s, *tmp;
	LIST_HEAD(gone);
	u64 nr_gone = 0;

	spin_lock_bh(&sp->lock);
	list_for_each_entry_safe(s, tmp, &sp->ready, node) {
		if (mprox_spares_listed(s->up, ups, n) &&
		    mprox_spare_fits(s, p) &&
		    mprox_spares_count(sp, s->up) <= p->want)
			continue;
		list_move_tail(&s->node, &gone);
		nr_gone++;
	}
	spin_unlock_bh(&sp->lock);
	atomic64_add(nr_gone, &sp->expired);
	mprox_spare_free_list(&gone);
}

/*
 * Was @up asked for within the idle time, and has no spare for it failed
 * within that time (since the device last came up)? A proxy that is down,
 * or refuses our password, is then asked once per connection, not once
 * more per spare.
 */
static bool mprox_spares_wanted(const struct mprox_upstream *up,
				const struct mprox_spare_params *p)
{
	unsigned long wanted = READ_ONCE(up->spares_wanted);
	unsigned long failed = READ_ONCE(up->spares_failed);

	return wanted && time_before(jiffies, wanted + p->idle) &&
	       !(failed && time_before(jiffies, failed + p->idle));
}

/* Open spares for @up until it has spare_conns of them. */
static void mprox_spares_fill(struct mprox_spares *sp,
			      struct mprox_upstream *up,
			      const struct mprox_spare_params *p)
{
	struct mprox_spare *s;
	bool keep;

	for (;;) {
		spin_lock_bh(&sp->lock);
		keep = !sp->stopping && mprox_spares_count(sp, up) < p->want;
		spin_unlock_bh(&sp->lock);
		if (!keep || !mprox_spares_wanted(up, p))
			return;
		s = mprox_spare_open(sp, up, p);
		/* Aborted by stop: no failure, and nothing to hold back. */
		if (s == ERR_PTR(-ECANCELED))
			return;
		if (IS_ERR(s)) {
			/* Never 0, which means never failed. */
			WRITE_ONCE(up->spares_failed, jiffies | 1);
			atomic64_inc(&sp->failed);
			return;
		}
		spin_lock_bh(&sp->lock);
		keep = !sp->stopping;
		if (keep)
			list_add_tail(&s->node, &sp->ready);
		spin_unlock_bh(&sp->lock);
		if (!keep) {
			mprox_spare_free(s);
			return;
		}
		atomic64_inc(&sp->opened);
	}
}

static void mprox_spares_work(struct work_struct *work)
{
	struct mprox_spares *sp = container_of(to_delayed_work(work),
					       struct mprox_spares, work);
	struct mprox_datapath *dp = mprox_spares_dp(sp);
	struct mprox_upstream *ups[MPROX_UPSTREAMS_MAX];
	const struct mprox_config *cfg;
	struct mprox_spare_params p;
	struct mprox_spare *oldest;
	struct mem_cgroup *old;
	unsigned int i, n = 0;

	mprox_spare_params(dp, &p);
	rcu_read_lock();
	cfg = rcu_dereference(dp->md->config);
	for (i = 0; p.want && i < cfg->nr_upstreams; i++)
		if (mprox_datapath_speaks(cfg->upstreams[i]))
			ups[n++] = mprox_upstream_get(cfg->upstreams[i]);
	rcu_read_unlock();

	mprox_spares_expire(sp, ups, n, &p);
	/* The sockets and their state, as a connection's: the creator's. */
	old = mprox_datapath_charge_begin(dp);
	for (i = 0; i < n; i++)
		mprox_spares_fill(sp, ups[i], &p);
	mprox_datapath_charge_end(old);
	for (i = 0; i < n; i++)
		mprox_upstream_put(ups[i]);

	/* Come back when the oldest spare is due, unless kicked before. */
	spin_lock_bh(&sp->lock);
	oldest = list_first_entry_or_null(&sp->ready, struct mprox_spare,
					  node);
	if (oldest && !sp->stopping)
		queue_delayed_work(mprox_conn_wq, &sp->work,
				   max_t(long, oldest->since + p.idle - jiffies,
					 1));
	spin_unlock_bh(&sp->lock);
}

/*
 * Run the work within @delay: sooner if it is due sooner, but never later
 * (every take kicks, and a steady stream of them must not keep pushing
 * the refill back).
 */
static void mprox_spares_kick(struct mprox_spares *sp, unsigned long delay)
{
	lockdep_assert_held(&sp->lock);
	if (!delayed_work_pending(&sp->work) ||
	    time_after(READ_ONCE(sp->work.timer.expires), jiffies + delay))
		mod_delayed_work(mprox_conn_wq, &sp->work, delay);
}

struct socket *mprox_spares_take(struct mprox_spares *sp,
				 struct mprox_upstream *up)
{
	struct mprox_spare_params p;
	struct mprox_spare *s, *tmp, *found = NULL;
	struct socket *sock;
	LIST_HEAD(gone);
	u64 nr_gone = 0;

	mprox_spare_params(mprox_spares_dp(sp), &p);
	if (!p.want)
		return NULL;
	/* Never 0, which means never asked. */
	WRITE_ONCE(up->spares_wanted, jiffies | 1);

	spin_lock_bh(&sp->lock);
	if (sp->stopping) {
		spin_unlock_bh(&sp->lock);
		return NULL;
	}
	list_for_each_entry_safe(s, tmp, &sp->ready, node) {
		if (s->up != up)
			continue;
		list_del(&s->node);
		if (mprox_spare_fits(s, &p)) {
			found = s;
			break;
		}
		list_add_tail(&s->node, &gone);
		nr_gone++;
	}
	/* Open its replacement, or the first. */
	mprox_spares_kick(sp, msecs_to_jiffies(MPROX_SPARE_REFILL_DELAY_MS));
	spin_unlock_bh(&sp->lock);

	atomic64_add(nr_gone, &sp->expired);
	mprox_spare_free_list(&gone);
	if (!found)
		return NULL;
	atomic64_inc(&sp->used);
	sock = found->sock;
	mprox_upstream_put(found->up);
	kfree(found);
	return sock;
}

unsigned int mprox_spares_ready(struct mprox_spares *sp)
{
	struct mprox_spare *s;
	unsigned int n = 0;

	spin_lock_bh(&sp->lock);
	list_for_each_entry(s, &sp->ready, node)
		n++;
	spin_unlock_bh(&sp->lock);
	return n;
}

void mprox_spares_setup(struct mprox_spares *sp)
{
	spin_lock_init(&sp->lock);
	INIT_LIST_HEAD(&sp->ready);
	sp->stopping = true;
	INIT_DELAYED_WORK(&sp->work, mprox_spares_work);
	init_waitqueue_head(&sp->waiter.wq);
	sp->waiter.aborted = false;
	atomic64_set(&sp->opened, 0);
	atomic64_set(&sp->used, 0);
	atomic64_set(&sp->expired, 0);
	atomic64_set(&sp->failed, 0);
}

void mprox_spares_start(struct mprox_spares *sp)
{
	struct mprox_datapath *dp = mprox_spares_dp(sp);
	const struct mprox_config *cfg;
	unsigned int i;

	/*
	 * A spare that failed before the device went down says nothing about
	 * the upstream now (it may have been fixed meanwhile): the first flow
	 * that asks for it has spares opened at once, not spare_idle_s later.
	 */
	rcu_read_lock();
	cfg = rcu_dereference(dp->md->config);
	for (i = 0; i < cfg->nr_upstreams; i++)
		WRITE_ONCE(cfg->upstreams[i]->spares_failed, 0);
	rcu_read_unlock();

	spin_lock_bh(&sp->lock);
	WRITE_ONCE(sp->waiter.aborted, false);
	sp->stopping = false;
	spin_unlock_bh(&sp->lock);
}

void mprox_spares_stop(struct mprox_spares *sp)
{
	LIST_HEAD(all);

	spin_lock_bh(&sp->lock);
	sp->stopping = true;
	list_splice_init(&sp->ready, &all);
	spin_unlock_bh(&sp->lock);
	/* A spare being opened gives up at once. */
	WRITE_ONCE(sp->waiter.aborted, true);
	wake_up(&sp->waiter.wq);
	cancel_delayed_work_sync(&sp->work);
	mprox_spare_free_list(&all);
}

void mprox_spares_reconfigure(struct mprox_spares *sp)
{
	spin_lock_bh(&sp->lock);
	if (!sp->stopping)
		mprox_spares_kick(sp, 0);
	spin_unlock_bh(&sp->lock);
}
