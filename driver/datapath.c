// SPDX-License-Identifier: GPL-2.0
/*
 * The data path of a device: xmit's dispatch, start and stop, counters;
 * see datapath.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/memcontrol.h>

#include "assoc.h"
#include "conn.h"
#include "datapath.h"
#include "listener.h"
#include "ownsock.h"
#include "tcp.h"
#include "udp.h"

/*
 * The NAT ports f. F is no local address, so these are a remote peer's
 * ports and clash with nothing; the privileged ones are left out only so
 * that nothing treats our connections specially.
 */
#define MPROX_NAT_PORT_MIN	1024
#define MPROX_NAT_PORT_MAX	65535
#define MPROX_NAT_ADDRS		16
#define MPROX_GC_INTERVAL	(5 * HZ)

static const char *const mprox_drop_names[MPROX_DROP_COUNT] = {
	[MPROX_DROP_MALFORMED] = "malformed",
	[MPROX_DROP_LOOP] = "loop",
	[MPROX_DROP_NO_FLOW] = "no_flow",
	[MPROX_DROP_UNSUPPORTED_PROTO] = "unsupported_proto",
	[MPROX_DROP_FLOW_LIMIT] = "flow_limit",
	[MPROX_DROP_NOMEM] = "nomem",
	[MPROX_DROP_RX_BACKLOG] = "rx_backlog",
	[MPROX_DROP_DOWN] = "down",
	[MPROX_DROP_NO_LISTENER] = "no_listener",
	[MPROX_DROP_UDP_REFUSED] = "udp_refused",
};

static const char *const mprox_connect_names[MPROX_CONNECT_RESULT_COUNT] = {
	[MPROX_CONNECT_OK] = "ok",
	[MPROX_CONNECT_GENERAL_FAILURE] = "general_failure",
	[MPROX_CONNECT_NOT_ALLOWED] = "not_allowed",
	[MPROX_CONNECT_NET_UNREACH] = "net_unreach",
	[MPROX_CONNECT_HOST_UNREACH] = "host_unreach",
	[MPROX_CONNECT_REFUSED] = "refused",
	[MPROX_CONNECT_TTL_EXPIRED] = "ttl_expired",
	[MPROX_CONNECT_CMD_UNSUPPORTED] = "cmd_unsupported",
	[MPROX_CONNECT_ATYP_UNSUPPORTED] = "atyp_unsupported",
	[MPROX_CONNECT_AUTH_FAILED] = "auth_failed",
	[MPROX_CONNECT_PROXY_ERROR] = "proxy_error",
	[MPROX_CONNECT_TIMEOUT] = "timeout",
	[MPROX_CONNECT_UPSTREAM_DOWN] = "upstream_down",
	[MPROX_CONNECT_LOOP] = "loop",
	[MPROX_CONNECT_NO_UPSTREAM] = "no_upstream",
	[MPROX_CONNECT_ALL_DOWN] = "all_down",
	[MPROX_CONNECT_REJECTED] = "rejected",
	[MPROX_CONNECT_ABORTED] = "aborted",
};

const char *mprox_drop_name(enum mprox_drop why)
{
	return mprox_drop_names[why];
}

const char *mprox_connect_result_name(enum mprox_connect_result res)
{
	return mprox_connect_names[res];
}

static void mprox_datapath_kill_work(struct work_struct *work);
static void mprox_datapath_close_work(struct work_struct *work);

void mprox_datapath_setup(struct mprox_datapath *dp, struct net_device *dev,
			  void (*changed)(struct mprox_datapath *dp))
{
	int i;

	dp->dev = dev;
	dp->changed = changed;
	dp->running = false;
	INIT_WORK(&dp->kill_work, mprox_datapath_kill_work);
	INIT_WORK(&dp->close_work, mprox_datapath_close_work);
	/* Never started counts as stopped. */
	init_completion(&dp->stopped);
	complete_all(&dp->stopped);
	spin_lock_init(&dp->upstream_lock);
	for (i = 0; i < MPROX_DROP_COUNT; i++)
		atomic64_set(&dp->drops[i], 0);
	for (i = 0; i < MPROX_CONNECT_RESULT_COUNT; i++)
		atomic64_set(&dp->connects[i], 0);
	for (i = 0; i < MPROX_CONN_CLOSE_COUNT; i++)
		atomic64_set(&dp->closes[i], 0);
	for (i = 0; i < MPROX_UDP_STAT_COUNT; i++)
		atomic64_set(&dp->udp[i], 0);
	mprox_dns_cache_init(&dp->dns_cache);
	atomic64_set(&dp->retries, 0);
	memset(&dp->old_flows, 0, sizeof(dp->old_flows));
	INIT_WORK(&dp->accept_work, mprox_listener_accept_work);
	mutex_init(&dp->accept_lock);
	mutex_init(&dp->flows_lock);
	mprox_spares_setup(&dp->spares);
	mprox_probes_setup(&dp->probes);
	for (i = 0; i < (int)ARRAY_SIZE(dp->direct); i++) {
		struct mprox_upstream *up = &dp->direct[i];

		kref_init(&up->ref);
		spin_lock_init(&up->dns_refused_lock);
		up->direct = true;
		strscpy(up->spec.name, "direct", sizeof(up->spec.name));
		up->spec.family = i ? AF_INET6 : AF_INET;
		up->spec.weight = 1;
	}
}

/*
 * The last connection of a stopped data path is gone (or there was none):
 * any context, from its free or from an RCU callback.
 */
static void mprox_datapath_conns_gone(struct percpu_ref *ref)
{
	struct mprox_datapath *dp = container_of(ref, struct mprox_datapath,
						 conns);

	queue_work(dp->wq, &dp->close_work);
}

int mprox_datapath_prepare(struct mprox_datapath *dp)
{
	unsigned int i;

	dp->memcg = get_mem_cgroup_from_mm(current->mm);
	/*
	 * Unbound, normal priority, like the relay's (conn.c): every item is
	 * a short step of a state machine, never a wait for the network.
	 * High priority (WQ_HIGHPRI) measured no faster.
	 */
	dp->wq = alloc_workqueue("mprox_conn", WQ_UNBOUND, 0);
	dp->traffic = mprox_traffic_alloc();
	for (i = 0; i < ARRAY_SIZE(dp->direct); i++)
		dp->direct[i].traffic = mprox_traffic_alloc();
	if (!dp->wq || !dp->traffic || !dp->direct[0].traffic ||
	    !dp->direct[1].traffic)
		return -ENOMEM;
	/* Dead until start: no connection before it. */
	return percpu_ref_init(&dp->conns, mprox_datapath_conns_gone,
			       PERCPU_REF_INIT_DEAD | PERCPU_REF_ALLOW_REINIT,
			       GFP_KERNEL);
}

void mprox_datapath_release(struct mprox_datapath *dp)
{
	unsigned int i;

	mprox_datapath_wait_stopped(dp);
	percpu_ref_exit(&dp->conns);
	mprox_dns_cache_flush(&dp->dns_cache);
	if (dp->wq) {
		destroy_workqueue(dp->wq);
		dp->wq = NULL;
	}
	for (i = 0; i < ARRAY_SIZE(dp->direct); i++) {
		free_percpu(dp->direct[i].traffic);
		dp->direct[i].traffic = NULL;
	}
	free_percpu(dp->traffic);
	dp->traffic = NULL;
	mem_cgroup_put(dp->memcg);
	dp->memcg = NULL;
}

static void mprox_datapath_pools(struct mprox_flow_table_params *p)
{
	p->v4.base.v4.s_addr = htonl(0xa9fe6d10);	/* 169.254.109.16 */
	p->v4.nr_addrs = MPROX_NAT_ADDRS;
	p->v4.listen_addr.v4.s_addr = htonl(0xa9fe6d01);	/* .1 */
	/* fe80::6d70:0:10 and fe80::6d70:0:1 */
	p->v6.base.v6.s6_addr32[0] = htonl(0xfe800000);
	p->v6.base.v6.s6_addr32[2] = htonl(0x6d70);
	p->v6.listen_addr.v6 = p->v6.base.v6;
	p->v6.base.v6.s6_addr32[3] = htonl(0x10);
	p->v6.listen_addr.v6.s6_addr32[3] = htonl(0x1);
	p->v6.nr_addrs = MPROX_NAT_ADDRS;
}

static void mprox_datapath_timeouts(struct mprox_datapath *dp,
				    unsigned long *tcp, unsigned long *udp)
{
	const struct mprox_config *cfg;

	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	*tcp = cfg->tunables[MPROX_TUNE_TCP_IDLE_TIMEOUT_S] * HZ;
	*udp = cfg->tunables[MPROX_TUNE_UDP_IDLE_TIMEOUT_S] * HZ;
	rcu_read_unlock();
}

/* A TCP flow is a connection's (conn.h), a UDP flow an association's. */
static void mprox_datapath_flow_release(struct mprox_flow *f)
{
	if (f->app.proto == IPPROTO_UDP)
		mprox_assoc_flow_release(f);
	else
		mprox_conn_flow_release(f);
}

static void mprox_datapath_flow_killed(struct mprox_flow *f)
{
	if (f->app.proto == IPPROTO_UDP)
		mprox_assoc_flow_killed(f);
	else
		mprox_conn_flow_killed(f);
}

const char *mprox_datapath_flow_upstream(struct mprox_flow *f)
{
	if (f->app.proto == IPPROTO_UDP)
		return mprox_assoc_upstream_name(f);
	return mprox_conn_upstream_name(f);
}

int mprox_datapath_start(struct mprox_datapath *dp)
{
	struct mprox_flow_table_params p = {
		.port_min = MPROX_NAT_PORT_MIN,
		.port_max = MPROX_NAT_PORT_MAX,
		.gc_interval = MPROX_GC_INTERVAL,
		.release = mprox_datapath_flow_release,
		.killed = mprox_datapath_flow_killed,
	};
	int err;

	ASSERT_RTNL();
	/* The connections of the last run use what this one replaces. */
	mprox_datapath_wait_stopped(dp);
	mprox_datapath_pools(&p);
	mprox_datapath_timeouts(dp, &p.tcp_idle, &p.udp_idle);
	err = mprox_inject_init(&dp->inject, dp->dev, dp->wq);
	if (err)
		return err;
	err = mprox_listener_open(dp, &dp->listener[0], AF_INET,
				  &p.v4.listen_addr);
	if (err)
		goto err_inject;
	p.v4.listen_port = dp->listener[0].port;
	/* Without IPv6 on the device, IPv6 flows are refused. */
	if (!dp->inject.dst6 ||
	    mprox_listener_open(dp, &dp->listener[1], AF_INET6,
				&p.v6.listen_addr))
		p.v6.nr_addrs = 0;
	p.v6.listen_port = dp->listener[1].port;
	err = mprox_flow_table_init(&dp->flows, &p);
	if (err)
		goto err_listeners;
	percpu_ref_reinit(&dp->conns);
	mprox_spares_start(&dp->spares);
	mprox_probes_start(&dp->probes);
	/* Pairs with the acquire in xmit: everything above is seen there. */
	smp_store_release(&dp->running, true);
	return 0;

err_listeners:
	mprox_listener_close(&dp->listener[1]);
	mprox_listener_close(&dp->listener[0]);
err_inject:
	mprox_inject_destroy(&dp->inject);
	return err;
}

void mprox_datapath_stop(struct mprox_datapath *dp)
{
	struct mprox_flow_stats s;

	ASSERT_RTNL();
	if (!dp->running)
		return;
	WRITE_ONCE(dp->running, false);
	reinit_completion(&dp->stopped);
	/* No xmit sees the data path running from here on. */
	synchronize_net();
	/* Connections still handshaking open their own upstream sockets. */
	mprox_spares_stop(&dp->spares);
	mprox_probes_stop(&dp->probes);

	mprox_listener_quiesce(&dp->listener[0]);
	mprox_listener_quiesce(&dp->listener[1]);
	cancel_work_sync(&dp->accept_work);
	/* Accepts under way finish; later ones see the data path stopped. */
	mutex_lock(&dp->accept_lock);
	mutex_unlock(&dp->accept_lock);

	mprox_flow_table_stats(&dp->flows, &s);
	dp->old_flows.created += s.created;
	dp->old_flows.refused_limit += s.refused_limit;
	dp->old_flows.port_exhausted += s.port_exhausted;
	dp->old_flows.expired += s.expired;
	/* The GC runs on until kill_work stops it: see there. */
	dp->expired_at_stop = s.expired;
	/*
	 * Killing 10,000 flows and closing their sockets takes seconds of
	 * CPU: not under RTNL, which every device needs, and on one worker
	 * at a time, so that the teardown of a device nobody uses any more
	 * never takes every CPU from what runs beside it; until someone
	 * waits for it (mprox_datapath_wait_stopped()).
	 */
	workqueue_set_max_active(dp->wq, 1);
	queue_work(dp->wq, &dp->kill_work);
}

/* The first half of a stop, after mprox_datapath_stop(). */
static void mprox_datapath_kill_work(struct work_struct *work)
{
	struct mprox_datapath *dp = container_of(work, struct mprox_datapath,
						 kill_work);
	struct mprox_flow_stats s;

	/* Each connection closes its sockets and goes. */
	mutex_lock(&dp->flows_lock);
	mprox_flow_table_destroy(&dp->flows);
	mutex_unlock(&dp->flows_lock);
	/*
	 * What the GC expired between stop's copy of the counts and its end
	 * in destroy; nothing else counts once the data path stopped. Not
	 * stopped in stop itself: a GC pass may take long, and stop holds
	 * RTNL.
	 */
	mprox_flow_table_stats(&dp->flows, &s);
	dp->old_flows.expired += s.expired - dp->expired_at_stop;
	/* The last one to go queues close_work. */
	percpu_ref_kill(&dp->conns);
}

/*
 * The second half: every connection of the stopped run is gone, and what
 * they used goes too. Start and uninit wait for it, holding RTNL: it
 * takes none.
 */
static void mprox_datapath_close_work(struct work_struct *work)
{
	struct mprox_datapath *dp = container_of(work, struct mprox_datapath,
						 close_work);

	/* Connections accept from them (mprox_listener_accept_now()). */
	mprox_listener_close(&dp->listener[0]);
	mprox_listener_close(&dp->listener[1]);
	/* Associations are gone: nothing stores answers any more. */
	mprox_dns_cache_flush(&dp->dns_cache);
	mprox_inject_destroy(&dp->inject);
	atomic64_add(atomic64_xchg(&dp->inject.waiting_dropped, 0),
		     &dp->drops[MPROX_DROP_RX_BACKLOG]);
	complete_all(&dp->stopped);
}

/*
 * Until the connections of the last run, if any, are all gone. Whoever
 * waits for the teardown wants it done: every worker takes part again.
 */
void mprox_datapath_wait_stopped(struct mprox_datapath *dp)
{
	if (dp->wq)
		workqueue_set_max_active(dp->wq, WQ_DFL_ACTIVE);
	wait_for_completion(&dp->stopped);
}

void mprox_datapath_reconfigure(struct mprox_datapath *dp)
{
	unsigned long tcp, udp;

	ASSERT_RTNL();
	mprox_dns_cache_flush(&dp->dns_cache);
	if (!dp->running)
		return;
	mprox_datapath_timeouts(dp, &tcp, &udp);
	mprox_flow_table_set_timeouts(&dp->flows, tcp, udp);
	mprox_spares_reconfigure(&dp->spares);
	mprox_probes_reconfigure(&dp->probes);
}

/* RTNL held, or called from the status reader under its own rules. */
void mprox_datapath_flow_stats(struct mprox_datapath *dp,
			       struct mprox_flow_stats *s)
{
	*s = dp->old_flows;
	s->active = 0;
	/* Pairs with the release in start: the flow table is set up. */
	if (smp_load_acquire(&dp->running)) {
		struct mprox_flow_stats now;

		mprox_flow_table_stats(&dp->flows, &now);
		s->active = now.active;
		s->created += now.created;
		s->refused_limit += now.refused_limit;
		s->port_exhausted += now.port_exhausted;
		s->expired += now.expired;
	}
}

struct mprox_walk {
	struct mprox_datapath *dp;
	bool (*fn)(struct mprox_flow *f, void *arg);
	void *arg;
};

static bool mprox_walk_one(struct mprox_flow *f, void *arg)
{
	struct mprox_walk *w = arg;

	/* A stop waiting for the lock need not wait for the rest. */
	return READ_ONCE(w->dp->running) && w->fn(f, w->arg);
}

void mprox_datapath_walk_flows(struct mprox_datapath *dp,
			       bool (*fn)(struct mprox_flow *f, void *arg),
			       void *arg)
{
	struct mprox_walk w = { .dp = dp, .fn = fn, .arg = arg };

	mutex_lock(&dp->flows_lock);
	/*
	 * Stop clears running before it takes the lock to destroy the table:
	 * running seen here means the table stays until we unlock. Pairs
	 * with the release in start: the table is set up.
	 */
	if (smp_load_acquire(&dp->running))
		mprox_flow_table_walk(&dp->flows, mprox_walk_one, &w);
	mutex_unlock(&dp->flows_lock);
}

/* Neither TCP nor UDP: what a host that forwards only those would answer. */
static void mprox_datapath_refuse(struct mprox_datapath *dp,
				  struct sk_buff *skb,
				  const struct mprox_pkt *p)
{
	enum mprox_reply_kind kind;

	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
		/* Echo cannot go through a proxy; errors are not answered. */
		kind = MPROX_REPLY_ADMIN_PROHIBITED;
	} else {
		kind = MPROX_REPLY_PROTO_UNREACH;
	}
	mprox_datapath_drop(dp, MPROX_DROP_UNSUPPORTED_PROTO);
	mprox_tcp_answer(dp, skb, p, kind);
}

/*
 * One of the driver's own sockets, of any device: whatever its mark, a
 * route or a firewall rewrite sent it here, and passing it on would open
 * the next connection, and that one the next. Its connect fails at once.
 */
static void mprox_datapath_refuse_own(struct mprox_datapath *dp,
				      struct sk_buff *skb,
				      const struct mprox_pkt *p)
{
	net_warn_ratelimited("%s: dropped a packet of the driver's own connection to a proxy: a route or firewall rule sends it into an mprox device\n",
			     skb->dev->name);
	mprox_datapath_drop(dp, MPROX_DROP_LOOP);
	if (p->proto == IPPROTO_TCP)
		mprox_tcp_answer(dp, skb, p, MPROX_REPLY_NET_UNREACH);
}

netdev_tx_t mprox_datapath_xmit(struct mprox_datapath *dp,
				struct sk_buff *skb)
{
	const struct mprox_config *cfg;
	struct mprox_pkt p;
	u32 fwmark;
	int verdict;

	/* Pairs with the release in start: the data path is set up. */
	if (unlikely(!smp_load_acquire(&dp->running))) {
		mprox_datapath_drop(dp, MPROX_DROP_DOWN);
		goto drop;
	}
	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	fwmark = cfg->fwmark;
	rcu_read_unlock();
	if (unlikely(fwmark && skb->mark == fwmark)) {
		/* One of our own sockets routed into a device: a loop. */
		net_warn_ratelimited("%s: dropped a packet carrying the driver's fwmark 0x%x: a route sends the proxy's traffic into an mprox device\n",
				     skb->dev->name, fwmark);
		mprox_datapath_drop(dp, MPROX_DROP_LOOP);
		goto drop;
	}

	verdict = mprox_pkt_parse_skb(skb, &p);
	if (unlikely(verdict != MPROX_PKT_OK)) {
		if (verdict == MPROX_PKT_UNSUPPORTED_PROTO)
			mprox_datapath_refuse(dp, skb, &p);
		else
			mprox_datapath_drop(dp, verdict == -ENOMEM ?
					    MPROX_DROP_NOMEM :
					    MPROX_DROP_MALFORMED);
		goto drop;
	}
	if (unlikely(mprox_ownsock_is_ours(skb->sk))) {
		mprox_datapath_refuse_own(dp, skb, &p);
		goto drop;
	}
	if (p.proto == IPPROTO_UDP && mprox_resolver_xmit(dp, skb, &p))
		return NETDEV_TX_OK;
	if (p.proto == IPPROTO_UDP) {
		mprox_udp_xmit(dp, skb, &p);
		return NETDEV_TX_OK;
	}
	if (p.proto != IPPROTO_TCP) {
		mprox_datapath_refuse(dp, skb, &p);
		goto drop;
	}
	mprox_tcp_xmit(dp, skb, &p);
	return NETDEV_TX_OK;

drop:
	kfree_skb(skb);
	return NETDEV_TX_OK;
}

int mprox_datapath_init(void)
{
	return mprox_conn_init();
}

void mprox_datapath_exit(void)
{
	mprox_conn_exit();
}
