// SPDX-License-Identifier: GPL-2.0
/*
 * Active health checks; see probe.h.
 */

#include <linux/minmax.h>
#include <linux/slab.h>

#include "choice.h"
#include "datapath.h"
#include "deadline.h"
#include "probe.h"
#include "sockwatch.h"
#include "upstream.h"

struct mprox_probe {
	struct list_head node;
	struct mprox_probes *pr;
	struct mprox_upstream *up;	/* a reference */
	struct socket *sock;		/* NULL until its first step */
	struct mprox_handshake hs;
	struct mprox_sockwatch watch;
	bool full;			/* a whole CONNECT to probe_target */
	/*
	 * When its round began: its deadlines run from there, so that one
	 * that never ends is over by the next round, which then probes its
	 * upstream again instead of finding it still out.
	 */
	unsigned long start;
};

/* What the work reads of the configuration, once per pass. */
struct mprox_probe_params {
	unsigned long interval;		/* probe_interval_s, in jiffies; 0: off */
	/* The timeouts, never longer than the interval. */
	unsigned long connect_timeout;
	unsigned long handshake_timeout;
	u32 mark;
	struct mprox_dest target;	/* family 0: none */
};

static struct mprox_datapath *mprox_probes_dp(struct mprox_probes *pr)
{
	return container_of(pr, struct mprox_datapath, probes);
}

static void mprox_probe_target(const struct mprox_probe_target *t,
			       struct mprox_dest *dest)
{
	memset(dest, 0, sizeof(*dest));
	dest->family = t->family;
	dest->port = t->port;
	if (t->family == AF_INET)
		memcpy(&dest->addr.v4, t->addr, sizeof(dest->addr.v4));
	else if (t->family == AF_INET6)
		memcpy(&dest->addr.v6, t->addr, sizeof(dest->addr.v6));
}

static void mprox_probe_params(struct mprox_datapath *dp,
			       struct mprox_probe_params *p)
{
	const struct mprox_config *cfg;
	unsigned long connect, handshake;

	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	p->interval = cfg->tunables[MPROX_TUNE_PROBE_INTERVAL_S] * HZ;
	connect = msecs_to_jiffies(cfg->tunables[MPROX_TUNE_CONNECT_TIMEOUT_MS]);
	handshake =
		msecs_to_jiffies(cfg->tunables[MPROX_TUNE_HANDSHAKE_TIMEOUT_MS]);
	p->mark = cfg->fwmark;
	mprox_probe_target(&cfg->probe_target, &p->target);
	rcu_read_unlock();
	p->connect_timeout = min(connect, p->interval);
	p->handshake_timeout = min(handshake, p->interval);
}

static void mprox_probe_free(struct mprox_probe *pb)
{
	if (pb->sock) {
		mprox_sockwatch_stop(&pb->watch);
		mprox_upstream_release(pb->sock);
	}
	mprox_handshake_reset(&pb->hs);
	mprox_upstream_put(pb->up);
	kfree(pb);
}

static void mprox_probe_free_list(struct list_head *list)
{
	struct mprox_probe *pb, *tmp;

	list_for_each_entry_safe(pb, tmp, list, node)
		mprox_probe_free(pb);
}

static void mprox_probes_kick(struct mprox_probes *pr, unsigned long delay)
{
	lockdep_assert_held(&pr->lock);
	mprox_sockwatch_kick(mprox_probes_dp(pr)->wq, &pr->work, delay);
}

/* News of a probe's socket: the work looks at it now. */
static void mprox_probe_news(struct mprox_sockwatch *w)
{
	struct mprox_probes *pr = container_of(w, struct mprox_probe, watch)->pr;

	spin_lock_bh(&pr->lock);
	mprox_probes_kick(pr, 0);
	spin_unlock_bh(&pr->lock);
}

/* One step of @pb: its socket and connect at first, then what its news allow. */
static enum mprox_handshake_status
mprox_probe_step(struct mprox_probe *pb, const struct mprox_probe_params *p)
{
	struct mprox_datapath *dp = mprox_probes_dp(pb->pr);

	if (pb->sock)
		return mprox_handshake_advance(&pb->hs, pb->sock);
	if (mprox_handshake_socket(&pb->hs, dev_net(dp->dev), pb->up, p->mark,
				   &pb->sock))
		return MPROX_HS_FINISHED;
	mprox_sockwatch_start(&pb->watch, pb->sock->sk, mprox_probe_news, NULL);
	pb->full = p->target.family;
	if (pb->full)
		mprox_handshake_set_dest(&pb->hs, &p->target);
	return mprox_handshake_begin(&pb->hs, pb->sock, pb->up, pb->start,
				     p->connect_timeout, p->handshake_timeout);
}

/* Whether a probe of @up is out. */
static bool mprox_probes_running(struct mprox_probes *pr,
				 const struct mprox_upstream *up)
{
	struct mprox_probe *pb;

	lockdep_assert_held(&pr->lock);
	list_for_each_entry(pb, &pr->running, node)
		if (pb->up == up)
			return true;
	return false;
}

/* A round begun at @start: a probe for each upstream spoken that has none out. */
static void mprox_probes_round(struct mprox_probes *pr, unsigned long start)
{
	struct mprox_datapath *dp = mprox_probes_dp(pr);
	struct mprox_upstream *ups[MPROX_UPSTREAMS_MAX];
	const struct mprox_config *cfg;
	struct mprox_probe *pb;
	unsigned int i, n = 0;
	bool keep;

	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	for (i = 0; i < cfg->nr_upstreams; i++)
		if (mprox_datapath_speaks(cfg->upstreams[i]))
			ups[n++] = mprox_upstream_get(cfg->upstreams[i]);
	rcu_read_unlock();

	for (i = 0; i < n; i++) {
		pb = kzalloc(sizeof(*pb), GFP_KERNEL_ACCOUNT);
		if (!pb) {
			mprox_upstream_put(ups[i]);
			continue;
		}
		pb->pr = pr;
		pb->up = ups[i];	/* the reference taken above */
		pb->start = start;
		spin_lock_bh(&pr->lock);
		keep = !pr->stopping && !mprox_probes_running(pr, pb->up);
		if (keep)
			list_add_tail(&pb->node, &pr->running);
		spin_unlock_bh(&pr->lock);
		if (!keep)
			mprox_probe_free(pb);
	}
}

/* What a probe came to, for its upstream. */
static void mprox_probe_report(struct mprox_probe *pb,
			       enum mprox_handshake_status status)
{
	struct mprox_datapath *dp = mprox_probes_dp(pb->pr);
	enum mprox_connect_result res;

	/* Without a target, prepared is all a probe asks. */
	res = status == MPROX_HS_PREPARED ? MPROX_CONNECT_OK : pb->hs.result;
	if (res == MPROX_CONNECT_ABORTED)
		return;
	if (mprox_health_probe_verdict(res, pb->full) == MPROX_HEALTH_ANSWERED)
		atomic64_inc(&pb->up->probes_ok);
	else
		atomic64_inc(&pb->up->probes_failed);
	WRITE_ONCE(pb->up->probe_last, res);
	/* Never 0, which means none yet. */
	WRITE_ONCE(pb->up->probe_at, jiffies | 1);
	mprox_choice_report_probe(dp, pb->up, res, pb->full);
}

/*
 * Step every probe out; report and close those that came to an end.
 * Returns the earliest deadline of those still out, or 0 for none.
 */
static unsigned long mprox_probes_advance(struct mprox_probes *pr,
					  const struct mprox_probe_params *p)
{
	enum mprox_handshake_status status;
	struct mprox_probe *pb, *tmp;
	unsigned long next = 0, when;
	LIST_HEAD(work);
	LIST_HEAD(gone);

	spin_lock_bh(&pr->lock);
	list_splice_init(&pr->running, &work);
	spin_unlock_bh(&pr->lock);

	list_for_each_entry_safe(pb, tmp, &work, node) {
		status = mprox_probe_step(pb, p);
		if (status == MPROX_HS_PENDING) {
			when = mprox_handshake_next_deadline(&pb->hs);
			next = mprox_deadline_earliest(next, when);
			continue;
		}
		mprox_probe_report(pb, status);
		list_move_tail(&pb->node, &gone);
	}

	spin_lock_bh(&pr->lock);
	if (pr->stopping)
		list_splice_init(&work, &gone);
	else
		list_splice_tail_init(&work, &pr->running);
	spin_unlock_bh(&pr->lock);
	mprox_probe_free_list(&gone);
	return next;
}

/* Probes turned off: those out go, reporting nothing. */
static void mprox_probes_drop(struct mprox_probes *pr)
{
	LIST_HEAD(gone);

	spin_lock_bh(&pr->lock);
	list_splice_init(&pr->running, &gone);
	pr->next_round = 0;
	spin_unlock_bh(&pr->lock);
	mprox_probe_free_list(&gone);
}

static void mprox_probes_work(struct work_struct *work)
{
	struct mprox_probes *pr = container_of(to_delayed_work(work),
					       struct mprox_probes, work);
	struct mprox_datapath *dp = mprox_probes_dp(pr);
	struct mprox_probe_params p;
	unsigned long next, round, now = jiffies;
	struct mem_cgroup *old;
	bool due;

	mprox_probe_params(dp, &p);
	if (!p.interval) {
		mprox_probes_drop(pr);
		return;
	}
	spin_lock_bh(&pr->lock);
	round = pr->next_round;
	due = !round || !time_before(now, round);
	if (due)
		pr->next_round = (now + p.interval) | 1;	/* 0 is "none" */
	round = pr->next_round;
	spin_unlock_bh(&pr->lock);

	/* The sockets and their state, as a connection's: the creator's. */
	old = mprox_datapath_charge_begin(dp);
	/* The last round's probes end first, those out for an interval too. */
	if (due) {
		mprox_probes_advance(pr, &p);
		mprox_probes_round(pr, now);
	}
	next = mprox_probes_advance(pr, &p);
	mprox_datapath_charge_end(old);

	next = mprox_deadline_earliest(next, round);
	spin_lock_bh(&pr->lock);
	if (!pr->stopping)
		mprox_probes_kick(pr, max_t(long, (long)(next - jiffies), 0));
	spin_unlock_bh(&pr->lock);
}

void mprox_probes_setup(struct mprox_probes *pr)
{
	spin_lock_init(&pr->lock);
	INIT_LIST_HEAD(&pr->running);
	pr->stopping = true;
	pr->next_round = 0;
	INIT_DELAYED_WORK(&pr->work, mprox_probes_work);
}

void mprox_probes_start(struct mprox_probes *pr)
{
	spin_lock_bh(&pr->lock);
	pr->stopping = false;
	pr->next_round = 0;
	mprox_probes_kick(pr, 0);
	spin_unlock_bh(&pr->lock);
}

void mprox_probes_stop(struct mprox_probes *pr)
{
	LIST_HEAD(all);

	spin_lock_bh(&pr->lock);
	pr->stopping = true;
	list_splice_init(&pr->running, &all);
	spin_unlock_bh(&pr->lock);
	/* A running work puts what it holds on no list: it frees it. */
	cancel_delayed_work_sync(&pr->work);
	mprox_probe_free_list(&all);
	/* A callback may have queued it before the sockets were closed. */
	cancel_delayed_work_sync(&pr->work);
}

void mprox_probes_reconfigure(struct mprox_probes *pr)
{
	spin_lock_bh(&pr->lock);
	if (!pr->stopping) {
		pr->next_round = 0;
		mprox_probes_kick(pr, 0);
	}
	spin_unlock_bh(&pr->lock);
}
