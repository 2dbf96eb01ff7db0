/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's configuration: upstreams, fwmark, persistence and tunables.
 *
 * A published configuration is immutable. Writers (one at a time, under the
 * device's config mutex) build a draft from the current one, apply a whole
 * write() of directives to it and either publish it with RCU or throw it
 * away, so a failed write leaves no trace. Readers on the fast path only
 * need rcu_read_lock().
 */
#ifndef _MPROX_CONFIG_H
#define _MPROX_CONFIG_H

#include <linux/kref.h>
#include <linux/rcupdate.h>

#include "balance.h"
#include "fakeip.h"
#include "health.h"
#include "parse.h"
#include "rule.h"
#include "traffic.h"

/* Mark of the driver's own sockets until "fwmark" says otherwise: "mp". */
#define MPROX_DEFAULT_FWMARK	0x6d70

/*
 * An upstream is shared by every configuration that lists it; readers reach
 * it only through a configuration, under RCU or a reference of their own.
 */
struct mprox_upstream {
	struct kref ref;
	struct mprox_upstream_spec spec;
	/*
	 * Not a proxy: the device's own for rules that say "direct"
	 * (datapath.h), never in a configuration. The engine connects to
	 * the destination itself (direct.h).
	 */
	bool direct;
	/* Connects this upstream refused for bad credentials. */
	atomic64_t auth_failed;
	/* jiffies when a flow last asked for it (spare.c); 0: never. */
	unsigned long spares_wanted;
	/* jiffies when a spare for it last failed to open; 0: never. */
	unsigned long spares_failed;
	/*
	 * jiffies (made odd, never 0) when the proxy last answered UDP
	 * ASSOCIATE "command not supported" (assoc.c); 0: never.
	 */
	unsigned long udp_unsupported;
	/*
	 * DNS over TCP through the proxy (assoc.c): the server it last
	 * refused to connect to, and when (jiffies made odd; 0: never).
	 * Under dns_refused_lock; see mprox_upstream_dns_refused().
	 */
	spinlock_t dns_refused_lock;
	struct mprox_probe_target dns_refused_to;
	unsigned long dns_refused;
	/*
	 * The choice of upstream for new flows (choice.c): its health as
	 * the engine reported it, its place in the balancing, and the
	 * handshake's average time (microseconds, EWMA of 1/8). Under the
	 * device's upstream_lock (datapath.h).
	 */
	struct mprox_health health;
	struct mprox_balance_item balance;
	u32 handshake_us;
	/* Connections holding it now, and what their attempts came to. */
	atomic_t active;
	atomic64_t connects[MPROX_CONNECT_RESULT_COUNT];
	/* Bytes relayed through it, per CPU (traffic.h). */
	struct mprox_traffic_cpu __percpu *traffic;
	/*
	 * Active probes (probe.c): their counts, and the last one's outcome
	 * and end (jiffies; 0: none yet).
	 */
	atomic64_t probes_ok;
	atomic64_t probes_failed;
	enum mprox_connect_result probe_last;
	unsigned long probe_at;
};

static inline struct mprox_upstream *mprox_upstream_get(struct mprox_upstream *up)
{
	kref_get(&up->ref);
	return up;
}

void mprox_upstream_put(struct mprox_upstream *up);

/* "dns ...": the resolver in the kernel (resolver.h). */
struct mprox_dns_config {
	/* "dns fake-ip": [0] IPv4, [1] IPv6, held; NULL: none of the family. */
	struct mprox_fakeip_pool *pool[2];
	/* "dns server": family 0 when none. */
	struct mprox_probe_target server;
	bool hijack;			/* "dns hijack on" */
};

/* The fake-IP pool of @family that @addr is an address of, or NULL. */
static inline struct mprox_fakeip_pool *
mprox_dns_pool_of(const struct mprox_dns_config *dns, u16 family, const void *addr)
{
	struct mprox_fakeip_pool *pool = dns->pool[family == AF_INET6];

	return pool && mprox_fakeip_contains(pool, family, addr) ? pool : NULL;
}

struct mprox_config {
	struct rcu_head rcu;
	u32 fwmark;
	bool persist;
	u64 tunables[MPROX_TUNE_COUNT];
	/* Where active probes CONNECT to; family 0: no CONNECT (probe.h). */
	struct mprox_probe_target probe_target;
	struct mprox_dns_config dns;
	unsigned int nr_upstreams;
	struct mprox_upstream *upstreams[MPROX_UPSTREAMS_MAX];
	/*
	 * "rule add" in order (rule.h), owned by this configuration; NULL
	 * when there are none.
	 */
	unsigned int nr_rules;
	struct mprox_rule *rules;
	/* Prefix sets by name, shared between configurations like upstreams. */
	unsigned int nr_sets;
	struct mprox_prefix_set *sets[MPROX_SETS_MAX];
	/* During a write: the sets this draft made or copied, by index. */
	u32 sets_own;
	/*
	 * During a write: the pools "dns off" or another prefix let go of,
	 * held to its end, so that a write that names a prefix again
	 * ("mprox reload": "dns off", then the file's lines) gets its pool
	 * back with every name's address. NULL outside a write.
	 */
	struct mprox_fakeip_pool *dns_dropped[2];
};

/*
 * "set add SET CIDR...": immutable once published. A write that adds to a
 * set works on a copy of its own, sorted and checked at the write's end.
 */
struct mprox_prefix_set {
	struct kref ref;
	char name[MPROX_UPSTREAM_NAME_MAX];
	u32 len, cap;
	struct mprox_rule_prefix *prefixes;	/* kvmalloc()ed, sorted */
};

/*
 * Prefix set @name of @cfg, held (a reference of its own, so that it can
 * be read after the RCU read side that found @cfg), or NULL.
 */
struct mprox_prefix_set *mprox_config_get_set(const struct mprox_config *cfg,
					      const char *name);
void mprox_prefix_set_put(struct mprox_prefix_set *set);

/*
 * Whether @cfg runs active probes, and *@full whether they are whole
 * CONNECTs to a target: what decides if a down upstream waits for a
 * probe rather than a trial (health.h). The choice and the document
 * both ask here.
 */
static inline bool mprox_config_probing(const struct mprox_config *cfg,
					bool *full)
{
	*full = cfg->probe_target.family != 0;
	return cfg->tunables[MPROX_TUNE_PROBE_INTERVAL_S] > 0;
}

struct mprox_config *mprox_config_new_default(bool persist);
struct mprox_config *mprox_config_clone(const struct mprox_config *cfg);
void mprox_config_free(struct mprox_config *cfg);
void mprox_config_free_rcu(struct mprox_config *cfg);

/*
 * Apply every directive in buf[0..len) to @draft. Returns 0, or the
 * negative errno of the first bad line; @draft is then garbage and must be
 * freed, never published.
 */
int mprox_config_apply_text(struct mprox_config *draft, const char *buf,
			    size_t len);

/* Add an upstream parsed elsewhere (ioctl); the same checks as the text. */
int mprox_config_add_upstream(struct mprox_config *draft,
			      const struct mprox_upstream_spec *spec);
int mprox_config_del_upstream(struct mprox_config *draft, const char *name);

#endif /* _MPROX_CONFIG_H */
