// SPDX-License-Identifier: GPL-2.0
/*
 * Spare upstream connections; see spare.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/slab.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "choice.h"
#include "datapath.h"
#include "deadline.h"
#include "sockwatch.h"
#include "spare.h"

struct mprox_spare {
	struct list_head node;
	struct mprox_spares *sp;
	struct mprox_upstream *up;	/* a reference */
	struct socket *sock;		/* NULL until the work opens it */
	u32 mark;			/* the fwmark it was opened with */
	unsigned long since;		/* jiffies: ready since */
	/* While it is being opened: its handshake, and its socket's news. */
	struct mprox_handshake hs;
	struct mprox_sockwatch watch;
};

/* What the work reads of the configuration, once per pass. */
struct mprox_spare_params {
	unsigned int want;		/* spare_conns: per upstream */
	unsigned long idle;		/* spare_idle_s, in jiffies */
	unsigned long connect_timeout;	/* connect_timeout_ms, in jiffies */
	unsigned long handshake_timeout;
	u32 mark;
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
	cfg = rcu_dereference(dp->config);
	p->want = cfg->tunables[MPROX_TUNE_SPARE_CONNS];
	p->idle = cfg->tunables[MPROX_TUNE_SPARE_IDLE_S] * HZ;
	p->connect_timeout =
		msecs_to_jiffies(cfg->tunables[MPROX_TUNE_CONNECT_TIMEOUT_MS]);
	p->handshake_timeout =
		msecs_to_jiffies(cfg->tunables[MPROX_TUNE_HANDSHAKE_TIMEOUT_MS]);
	p->mark = cfg->fwmark;
	rcu_read_unlock();
}

static void mprox_spare_free(struct mprox_spare *s)
{
	if (s->sock) {
		mprox_sockwatch_stop(&s->watch);
		mprox_upstream_release(s->sock);
	}
	mprox_handshake_reset(&s->hs);
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

static void mprox_spares_kick(struct mprox_spares *sp, unsigned long delay);

/*
 * News of a spare being opened: its work looks at it now. Under the lock,
 * so that the work's own rescheduling as it ends cannot push this back.
 */
static void mprox_spare_news(struct mprox_sockwatch *w)
{
	struct mprox_spares *sp = container_of(w, struct mprox_spare, watch)->sp;

	spin_lock_bh(&sp->lock);
	mprox_spares_kick(sp, 0);
	spin_unlock_bh(&sp->lock);
}

/*
 * One step of opening @s: its socket and connect at first, then whatever
 * the socket's news allow. Never waits. Process context, in the work.
 */
static enum mprox_handshake_status
mprox_spare_step(struct mprox_spare *s, const struct mprox_spare_params *p)
{
	struct mprox_datapath *dp = mprox_spares_dp(s->sp);

	if (s->sock)
		return mprox_handshake_advance(&s->hs, s->sock);
	if (mprox_handshake_socket(&s->hs, dev_net(dp->dev), s->up, s->mark,
				   &s->sock))
		return MPROX_HS_FINISHED;
	mprox_sockwatch_start(&s->watch, s->sock->sk, mprox_spare_news, NULL);
	return mprox_handshake_begin(&s->hs, s->sock, s->up, jiffies,
				     p->connect_timeout, p->handshake_timeout);
}

/*
 * Step every spare being opened: the ready ones join the ready list, the
 * failed ones go (and hold their upstream's spares back for a while).
 * Returns the earliest deadline of those still opening, or 0 for none;
 * now, when one became ready (its upstream may have more opened).
 */
static unsigned long mprox_spares_advance(struct mprox_spares *sp,
					  const struct mprox_spare_params *p)
{
	struct mprox_spare *s, *tmp;
	unsigned long next = 0, when;
	enum mprox_handshake_status status;
	LIST_HEAD(work);
	LIST_HEAD(gone);
	u64 opened = 0, failed = 0;

	spin_lock_bh(&sp->lock);
	list_splice_init(&sp->opening, &work);
	spin_unlock_bh(&sp->lock);

	list_for_each_entry_safe(s, tmp, &work, node) {
		status = mprox_spare_step(s, p);
		if (status == MPROX_HS_PENDING) {
			when = mprox_handshake_next_deadline(&s->hs);
			next = mprox_deadline_earliest(next, when);
			continue;
		}
		if (status == MPROX_HS_PREPARED) {
			/* The stack's callbacks back: the flow sets its own. */
			mprox_sockwatch_stop(&s->watch);
			s->since = jiffies;
			opened++;
			/*
			 * Not reported: a spare says nothing of the request,
			 * which may be what failed (a flow's trial decides).
			 */
			continue;
		}
		/* Never 0, which means never failed. */
		WRITE_ONCE(s->up->spares_failed, jiffies | 1);
		failed++;
		/* A proxy that fails a spare would fail a flow: it is down. */
		mprox_choice_report_health(mprox_spares_dp(sp), s->up,
					   s->hs.result, s->hs.requested, NULL);
		list_move_tail(&s->node, &gone);
	}

	spin_lock_bh(&sp->lock);
	list_for_each_entry_safe(s, tmp, &work, node) {
		if (sp->stopping)
			list_move_tail(&s->node, &gone);
		else if (s->hs.phase == MPROX_HS_READY)
			list_move_tail(&s->node, &sp->ready);
		else
			list_move_tail(&s->node, &sp->opening);
	}
	spin_unlock_bh(&sp->lock);
	atomic64_add(opened, &sp->opened);
	atomic64_add(failed, &sp->failed);
	mprox_spare_free_list(&gone);
	return opened ? mprox_deadline_earliest(0, jiffies) : next;
}

/* @up's spares, ready or being opened; *@opening, if given, the latter. */
static unsigned int mprox_spares_count(struct mprox_spares *sp,
				       const struct mprox_upstream *up,
				       unsigned int *opening)
{
	struct mprox_spare *s;
	unsigned int n = 0, o = 0;

	lockdep_assert_held(&sp->lock);
	list_for_each_entry(s, &sp->ready, node)
		n += s->up == up;
	list_for_each_entry(s, &sp->opening, node)
		o += s->up == up;
	if (opening)
		*opening = o;
	return n + o;
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
		    mprox_spares_count(sp, s->up, NULL) <= p->want)
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

/*
 * Start opening spares for @up until it has spare_conns of them, ready or
 * under way; mprox_spares_advance() opens their sockets. While @up has
 * none ready, one at a time: a proxy that is down, or refuses our
 * password, then costs one failed spare, not spare_conns of them.
 */
static void mprox_spares_fill(struct mprox_spares *sp,
			      struct mprox_upstream *up,
			      const struct mprox_spare_params *p)
{
	struct mprox_spare *s;
	unsigned int n, opening;
	bool keep;

	if (!mprox_spares_wanted(up, p))
		return;
	for (;;) {
		s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
		if (!s)
			return;
		s->sp = sp;
		s->up = mprox_upstream_get(up);
		s->mark = p->mark;
		spin_lock_bh(&sp->lock);
		n = mprox_spares_count(sp, up, &opening);
		keep = !sp->stopping && n < p->want && !(opening && n == opening);
		if (keep)
			list_add_tail(&s->node, &sp->opening);
		spin_unlock_bh(&sp->lock);
		if (!keep) {
			mprox_spare_free(s);
			return;
		}
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
	unsigned long next;
	struct mem_cgroup *old;
	unsigned int i, n = 0;

	mprox_spare_params(dp, &p);
	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	for (i = 0; p.want && i < cfg->nr_upstreams; i++)
		if (mprox_datapath_speaks(cfg->upstreams[i]))
			ups[n++] = mprox_upstream_get(cfg->upstreams[i]);
	rcu_read_unlock();

	mprox_spares_expire(sp, ups, n, &p);
	/* The sockets and their state, as a connection's: the creator's. */
	old = mprox_datapath_charge_begin(dp);
	for (i = 0; i < n; i++)
		mprox_spares_fill(sp, ups[i], &p);
	next = mprox_spares_advance(sp, &p);
	mprox_datapath_charge_end(old);
	for (i = 0; i < n; i++)
		mprox_upstream_put(ups[i]);

	/*
	 * Come back at the first deadline of a spare being opened or when
	 * the oldest ready one is due, unless kicked before.
	 */
	spin_lock_bh(&sp->lock);
	oldest = list_first_entry_or_null(&sp->ready, struct mprox_spare,
					  node);
	if (oldest)
		next = mprox_deadline_earliest(next, oldest->since + p.idle);
	if (next && !sp->stopping)
		mprox_spares_kick(sp, max_t(long, (long)(next - jiffies), 0));
	spin_unlock_bh(&sp->lock);
}

/*
 * Run the work within @delay: sooner if it is due sooner, but never later
 * (a socket's news that came while the work ran must not wait for the
 * deadline the work sets as it ends).
 */
static void mprox_spares_kick(struct mprox_spares *sp, unsigned long delay)
{
	lockdep_assert_held(&sp->lock);
	mprox_sockwatch_kick(mprox_spares_dp(sp)->wq, &sp->work, delay);
}

struct socket *mprox_spares_take(struct mprox_spares *sp,
				 struct mprox_upstream *up,
				 struct mprox_handshake *hs)
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
	/*
	 * Open its replacement, or the first, at once: while the proxy
	 * connects to the destination of the connection that took it,
	 * which is most of that connection's handshake. Opened later, it
	 * took the proxy's CPU during the connection's first exchange.
	 */
	mprox_spares_kick(sp, 0);
	spin_unlock_bh(&sp->lock);

	atomic64_add(nr_gone, &sp->expired);
	mprox_spare_free_list(&gone);
	if (!found)
		return NULL;
	atomic64_inc(&sp->used);
	sock = found->sock;
	/* Its buffers go with it; the flow's reference to @up stays. */
	*hs = found->hs;
	hs->up = up;
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
	INIT_LIST_HEAD(&sp->opening);
	sp->stopping = true;
	INIT_DELAYED_WORK(&sp->work, mprox_spares_work);
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
	cfg = rcu_dereference(dp->config);
	for (i = 0; i < cfg->nr_upstreams; i++)
		WRITE_ONCE(cfg->upstreams[i]->spares_failed, 0);
	rcu_read_unlock();

	spin_lock_bh(&sp->lock);
	sp->stopping = false;
	spin_unlock_bh(&sp->lock);
}

void mprox_spares_stop(struct mprox_spares *sp)
{
	LIST_HEAD(all);

	spin_lock_bh(&sp->lock);
	sp->stopping = true;
	list_splice_init(&sp->ready, &all);
	/* Spares being opened give up at once. */
	list_splice_init(&sp->opening, &all);
	spin_unlock_bh(&sp->lock);
	/* A running work puts what it holds on no list: it frees it. */
	cancel_delayed_work_sync(&sp->work);
	mprox_spare_free_list(&all);
	/* A callback may have queued it before the sockets were closed. */
	cancel_delayed_work_sync(&sp->work);
}

void mprox_spares_reconfigure(struct mprox_spares *sp)
{
	spin_lock_bh(&sp->lock);
	if (!sp->stopping)
		mprox_spares_kick(sp, 0);
	spin_unlock_bh(&sp->lock);
}
