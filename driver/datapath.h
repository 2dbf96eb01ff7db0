/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data path of one device (design.md, "Data path"): what xmit does
 * with the packets routed into it, and the state behind that.
 *
 * It runs while the device is up. ndo_open starts it: the flow table, the
 * local-delivery routes and the in-kernel listeners. ndo_stop stops it:
 * xmit stops taking packets, every flow is killed, every connection's
 * sockets are closed (with RST where one is open) and it waits for them.
 * The counters live as long as the device.
 *
 * Internal addresses. The app's connections are rewritten to F:f -> L:l
 * and terminated by a listener at L:l bound to the device. L and F are
 * link-local addresses that never leave the host and need no route: they
 * exist only in packets between the device and the local stack, and in
 * the accepted sockets.
 *   IPv4  L 169.254.109.1,    F 169.254.109.16 .. 169.254.109.31
 *   IPv6  L fe80::6d70:0:1,   F fe80::6d70:0:10 .. fe80::6d70:0:1f
 * (0x6d70 is "mp"). Each F has the NAT ports 1024 to 65535, so a device
 * can carry a million connections per family at once.
 */
#ifndef _MPROX_DATAPATH_H
#define _MPROX_DATAPATH_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/percpu-refcount.h>
#include <linux/workqueue.h>

#include "assoc.h"
#include "compat.h"
#include "config.h"
#include "conn.h"
#include "dnscache.h"
#include "flow.h"
#include "inject.h"
#include "socks5.h"
#include "probe.h"
#include "resolver.h"
#include "spare.h"
#include "traffic.h"

struct mprox_dev;

/* Why xmit dropped a packet; the names are the JSON keys. */
enum mprox_drop {
	MPROX_DROP_MALFORMED,		/* failed parsing or validation */
	MPROX_DROP_LOOP,		/* our fwmark, or one of our sockets */
	MPROX_DROP_NO_FLOW,		/* a segment or datagram of no flow */
	MPROX_DROP_UNSUPPORTED_PROTO,	/* not TCP (answered with ICMP) */
	MPROX_DROP_FLOW_LIMIT,		/* SYN over max_flows (answered RST) */
	MPROX_DROP_NOMEM,
	MPROX_DROP_RX_BACKLOG,		/* the local stack's backlog was full */
	MPROX_DROP_DOWN,		/* the data path is stopped */
	MPROX_DROP_NO_LISTENER,		/* SYN of a family without a listener */
	/*
	 * A UDP datagram answered (ICMP, or REFUSED) instead of carried: no
	 * upstream, none with UDP, a reject rule, the proxy refused.
	 */
	MPROX_DROP_UDP_REFUSED,
	MPROX_DROP_COUNT
};

/* The in-kernel listener of one family. */
struct mprox_listener {
	struct socket *sock;
	__be16 port;
	void (*data_ready)(struct sock *sk);	/* the stack's own */
	struct mprox_datapath *dp;
	/* Connections between accept_soon() and accept_now() (listener.h). */
	atomic_t accept_soon;
};

struct mprox_datapath {
	/* The device whose packets these are; set once, at setup. */
	struct net_device *dev;
	/*
	 * The device's configuration: the control path publishes it with
	 * RCU under the device's config_lock (device.c); the data path reads
	 * it under rcu_read_lock().
	 */
	struct mprox_config __rcu *config;
	/* xmit's gate: true between start and stop (RCU-BH readers). */
	bool running;
	struct mprox_flow_table flows;
	struct mprox_inject inject;
	struct mprox_listener listener[2];	/* [0] IPv4, [1] IPv6 */
	struct work_struct accept_work;
	/* Serialises accepting with stop (the flow table goes away). */
	struct mutex accept_lock;
	/*
	 * Keeps the flow table from going away under a walk made without
	 * RTNL (mprox_datapath_walk_flows(), for the status document): stop
	 * holds it around the destroy, a walker holds it and checks running
	 * under it. Lock order: RTNL -> flows_lock (stop); nothing takes RTNL
	 * with it held.
	 */
	struct mutex flows_lock;
	/*
	 * This device's handshakes, accepts and spares: a queue of its own,
	 * so that a flood of connections on one device never queues another
	 * device's behind it. Relaying runs on mprox_relay_wq.
	 */
	struct workqueue_struct *wq;
	/*
	 * Stop closes the gate and returns; the rest runs without RTNL.
	 * kill_work kills the flows, then conns: each connection closes its
	 * sockets on its own time. conns counts the connections and
	 * associations not yet freed, live while running; the last to go
	 * queues close_work, which closes what they used (listeners,
	 * local-delivery routes) and completes stopped. Start and uninit
	 * wait for that.
	 */
	struct work_struct kill_work;
	struct percpu_ref conns;
	struct work_struct close_work;
	struct completion stopped;
	/*
	 * The upstreams' health and balancing (choice.c): taken once per
	 * new flow and once per outcome of an attempt, never per packet.
	 */
	spinlock_t upstream_lock;
	/*
	 * Something the status document shows changed (an upstream went
	 * down or came back): the device tells its watchers. Set at setup;
	 * any context but hard IRQ.
	 */
	void (*changed)(struct mprox_datapath *dp);
	/* Upstream connections negotiated ahead of need. */
	struct mprox_spares spares;
	/* Active health checks of the upstreams. */
	struct mprox_probes probes;
	/*
	 * The upstreams of rules that say "direct", IPv4 and IPv6: not
	 * proxies but the device's own connections to the destination
	 * (direct.h), with an upstream's counters. Never in a configuration,
	 * never freed: the device holds their first reference.
	 */
	struct mprox_upstream direct[2];

	/* Counters: the device's lifetime, across stops. */
	atomic64_t drops[MPROX_DROP_COUNT];
	atomic64_t connects[MPROX_CONNECT_RESULT_COUNT];
	/* The resolver's (resolver.h). */
	atomic64_t dns[MPROX_DNS_STAT_COUNT];
	/*
	 * Its cache of forwarded answers: emptied by every configuration
	 * write (the answers may have come through another upstream or
	 * server) and when the device stops.
	 */
	struct mprox_dns_cache dns_cache;
	/* UDP associations' (assoc.h). */
	atomic64_t udp[MPROX_UDP_STAT_COUNT];
	/* Attempts moved to another upstream after the proxy failed. */
	atomic64_t retries;
	/* How the connections the proxy accepted ended (conn.h). */
	atomic64_t closes[MPROX_CONN_CLOSE_COUNT];
	/*
	 * Bytes relayed, and the relay passes that moved them: by the work,
	 * and from a socket's data_ready (relay.h). Per CPU (traffic.h).
	 */
	struct mprox_traffic_cpu __percpu *traffic;
	/* Flow table counters of earlier runs, folded in at stop. */
	struct mprox_flow_stats old_flows;
	/* The run's flows.expired when it stopped (mprox_datapath_stop()). */
	u64 expired_at_stop;
	/*
	 * The memory cgroup of the device's creator, held: flows,
	 * connections and their buffers are charged to it, so that a
	 * container spends what it was given (NULL: no memory cgroups).
	 */
	struct mem_cgroup *memcg;
};

int mprox_datapath_init(void);
void mprox_datapath_exit(void);

/* ndo_init: the counters; @changed: see struct mprox_datapath. */
void mprox_datapath_setup(struct mprox_datapath *dp, struct net_device *dev,
			  void (*changed)(struct mprox_datapath *dp));
/*
 * ndo_init, in the creator's context: charge to the creator's memory
 * cgroup from now on, and the device's own queue of connection work;
 * until mprox_datapath_release(), at the destructor, which may run more
 * than once. 0 or -ENOMEM.
 */
int mprox_datapath_prepare(struct mprox_datapath *dp);
void mprox_datapath_release(struct mprox_datapath *dp);

/*
 * Around allocations made on the data path's behalf, with __GFP_ACCOUNT:
 * charged to the creator whatever task or softirq runs them.
 */
static inline struct mem_cgroup *
mprox_datapath_charge_begin(struct mprox_datapath *dp)
{
	return mprox_compat_set_active_memcg(dp->memcg);
}

static inline void mprox_datapath_charge_end(struct mem_cgroup *old)
{
	mprox_compat_set_active_memcg(old);
}

/* ndo_open and ndo_stop; RTNL held. */
int mprox_datapath_start(struct mprox_datapath *dp);
void mprox_datapath_stop(struct mprox_datapath *dp);
void mprox_datapath_wait_stopped(struct mprox_datapath *dp);
/* The configuration changed (timeouts); RTNL held. */
void mprox_datapath_reconfigure(struct mprox_datapath *dp);

/* A flow's upstream's name, for the status document. */
const char *mprox_datapath_flow_upstream(struct mprox_flow *f);

/* ndo_start_xmit. */
netdev_tx_t mprox_datapath_xmit(struct mprox_datapath *dp,
				struct sk_buff *skb);

static inline void mprox_datapath_drop(struct mprox_datapath *dp,
				       enum mprox_drop why)
{
	atomic64_inc(&dp->drops[why]);
}

/* How many were dropped for @why, the answers that waited included. */
static inline s64 mprox_datapath_drops(const struct mprox_datapath *dp,
				       enum mprox_drop why)
{
	s64 n = atomic64_read(&dp->drops[why]);

	if (why == MPROX_DROP_RX_BACKLOG)
		n += atomic64_read(&dp->inject.waiting_dropped);
	return n;
}

/* The device's direct upstream for @family (AF_INET or AF_INET6). */
static inline struct mprox_upstream *
mprox_datapath_direct(struct mprox_datapath *dp, u16 family)
{
	return &dp->direct[family == AF_INET6];
}

/* The upstreams the data path can talk to (the others are for later). */
static inline bool mprox_datapath_speaks(const struct mprox_upstream *up)
{
	return mprox_codec_for(up->spec.proto);
}

const char *mprox_drop_name(enum mprox_drop why);
const char *mprox_connect_result_name(enum mprox_connect_result res);
void mprox_datapath_flow_stats(struct mprox_datapath *dp,
			       struct mprox_flow_stats *s);
/*
 * Calls @fn for each flow while the data path runs, until it returns
 * false; none while it is stopped, and no more once a stop has begun.
 * Sleeps; no RTNL needed. @fn runs under RCU and must not sleep.
 */
void mprox_datapath_walk_flows(struct mprox_datapath *dp,
			       bool (*fn)(struct mprox_flow *f, void *arg),
			       void *arg);

/* The connections' workqueue (tcp.c). */
extern struct workqueue_struct *mprox_relay_wq;

#endif /* _MPROX_DATAPATH_H */
