// SPDX-License-Identifier: GPL-2.0
/*
 * Which upstream a new flow goes through; see choice.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cgroup.h>

#include "choice.h"

struct mprox_choice_pass {
	const struct mprox_config *cfg;
};

static struct mprox_balance_item *mprox_choice_item(void *arg, unsigned int i)
{
	const struct mprox_choice_pass *pass = arg;

	return &pass->cfg->upstreams[i]->balance;
}

/*
 * As xt_cgroup's path match: the socket's cgroup v2 (where its creator
 * was), or one below it. The skb holds the socket and the socket its
 * cgroup, so no reference is taken.
 */
static bool mprox_choice_in_cgroup(const struct mprox_rule_pkt *pkt, u64 id,
				   u16 level)
{
#if IS_ENABLED(CONFIG_SOCK_CGROUP_DATA)
	struct sock *sk = (struct sock *)pkt->sk;
	struct cgroup *cgrp;

	cgrp = cgroup_ancestor(sock_cgroup_ptr(&sk->sk_cgrp_data), level);
	return cgrp && cgroup_id(cgrp) == id;
#else
	return false;
#endif
}

void mprox_choice_sender(struct mprox_rule_pkt *pkt, const struct sk_buff *skb)
{
	struct sock *sk = skb_to_full_sk(skb);

	if (!sk || !sk_fullsock(sk))
		return;
	pkt->has_uid = true;
	pkt->kuid = __kuid_val(sk->sk_uid);
	pkt->in_cgroup = mprox_choice_in_cgroup;
	pkt->sk = sk;
}

void mprox_choice_pkt(struct mprox_rule_pkt *pkt, const struct sk_buff *skb,
		      const struct mprox_pkt *p)
{
	*pkt = (struct mprox_rule_pkt){
		.family = p->family,
		.proto = p->proto,
		.dport = ntohs(p->dport),
		.saddr = (const u8 *)&p->saddr,
		.daddr = (const u8 *)&p->daddr,
	};
	mprox_choice_sender(pkt, skb);
}

int mprox_choice_rules(struct mprox_datapath *dp,
		       const struct mprox_config *cfg,
		       const struct mprox_rule_pkt *pkt,
		       struct mprox_choice_scope *scope)
{
	const struct mprox_rule *r;
	int i;

	*scope = (struct mprox_choice_scope){ MPROX_CHOICE_ANY };
	i = mprox_rule_match(cfg->rules, cfg->nr_rules, pkt);
	if (i < 0)
		return 0;
	r = &cfg->rules[i];
	switch (r->action) {
	case MPROX_RULE_UPSTREAM:
		scope->kind = MPROX_CHOICE_UPSTREAM;
		scope->up = cfg->upstreams[r->up_index];
		return 0;
	case MPROX_RULE_PRIORITY:
		scope->kind = MPROX_CHOICE_PRIORITY;
		scope->priority = r->priority;
		return 0;
	case MPROX_RULE_DIRECT:
		scope->kind = MPROX_CHOICE_DIRECT;
		scope->up = mprox_datapath_direct(dp, pkt->family);
		return 0;
	case MPROX_RULE_REJECT:
		break;
	}
	return -ECONNREFUSED;
}

static bool mprox_choice_in_scope(const struct mprox_choice_scope *scope,
				  const struct mprox_upstream *up)
{
	switch (scope->kind) {
	case MPROX_CHOICE_ANY:
		break;
	case MPROX_CHOICE_PRIORITY:
		return up->spec.priority == scope->priority;
	case MPROX_CHOICE_UPSTREAM:
		return up == scope->up;
	case MPROX_CHOICE_DIRECT:
		return false;
	}
	return true;
}

struct mprox_upstream *mprox_choose_upstream(struct mprox_datapath *dp,
					     const struct mprox_config *cfg,
					     const struct mprox_choice_scope *scope,
					     const struct mprox_upstream *exclude,
					     u32 *max_flows,
					     enum mprox_connect_result *why,
					     struct mprox_trial *trial)
{
	struct mprox_choice_pass pass = { cfg };
	unsigned long now = jiffies;
	bool any = false, probed, full;
	unsigned int i;
	int k;

	/* With active probes, a probe brings back what it can see. */
	probed = mprox_config_probing(cfg, &full);
	if (max_flows)
		*max_flows = cfg->tunables[MPROX_TUNE_MAX_FLOWS];
	if (scope->kind == MPROX_CHOICE_DIRECT) {
		struct mprox_upstream *direct =
			mprox_datapath_direct(dp, scope->up->spec.family);

		/* Its failure is the destination's: there is no other. */
		trial->held = false;
		trial->token = now;
		if (direct == exclude) {
			*why = MPROX_CONNECT_NO_UPSTREAM;
			return NULL;
		}
		return direct;
	}
	spin_lock_bh(&dp->upstream_lock);
	for (i = 0; i < cfg->nr_upstreams; i++) {
		struct mprox_upstream *up = cfg->upstreams[i];
		bool candidate = up != exclude && mprox_datapath_speaks(up) &&
				 mprox_choice_in_scope(scope, up);

		any |= candidate;
		up->balance.usable = candidate &&
				     (probed ? mprox_health_usable_probed(&up->health,
									  now, full) :
					       mprox_health_usable(&up->health, now));
		up->balance.active = atomic_read(&up->active);
	}
	k = mprox_balance_pick(mprox_choice_item, &pass, cfg->nr_upstreams,
			       cfg->tunables[MPROX_TUNE_BALANCE]);
	if (k >= 0) {
		trial->held = mprox_health_take(&cfg->upstreams[k]->health, now);
		trial->token = now;
	}
	spin_unlock_bh(&dp->upstream_lock);
	if (k < 0) {
		*why = any ? MPROX_CONNECT_ALL_DOWN : MPROX_CONNECT_NO_UPSTREAM;
		return NULL;
	}
	return cfg->upstreams[k];
}

void mprox_choice_drop_trial(struct mprox_datapath *dp,
			     struct mprox_upstream *up,
			     struct mprox_trial *trial)
{
	if (!trial->held)
		return;
	spin_lock_bh(&dp->upstream_lock);
	mprox_health_drop_trial(&up->health, trial->token);
	spin_unlock_bh(&dp->upstream_lock);
	trial->held = false;
}

/* Say so when @up went down (for @res) or came back. */
static void mprox_choice_changed(struct mprox_datapath *dp,
				 struct mprox_upstream *up, bool down,
				 enum mprox_connect_result res)
{
	if (down)
		pr_info_ratelimited("%s: upstream %s is down (%s); new flows go to the others\n",
				    dp->dev->name, up->spec.name,
				    mprox_connect_result_name(res));
	else
		pr_info_ratelimited("%s: upstream %s is up again\n",
				    dp->dev->name, up->spec.name);
	dp->changed(dp);
}

void mprox_choice_report(struct mprox_datapath *dp, struct mprox_upstream *up,
			 enum mprox_connect_result res, bool requested,
			 struct mprox_trial *trial)
{
	unsigned long now = jiffies;
	bool changed, down;
	u32 us;

	atomic64_inc(&up->connects[res]);
	/* A direct connection's failure is the destination's answer. */
	if (up->direct) {
		trial->held = false;
		return;
	}
	spin_lock_bh(&dp->upstream_lock);
	changed = mprox_health_report(&up->health, res, requested, trial->held,
				      trial->token, now);
	trial->held = false;
	if (res == MPROX_CONNECT_OK) {
		us = jiffies_to_usecs(now - trial->token);
		up->handshake_us = up->handshake_us ?
				   up->handshake_us - up->handshake_us / 8 + us / 8 :
				   us;
	}
	down = up->health.down;
	spin_unlock_bh(&dp->upstream_lock);
	if (changed)
		mprox_choice_changed(dp, up, down, res);
}

void mprox_choice_report_health(struct mprox_datapath *dp,
				struct mprox_upstream *up,
				enum mprox_connect_result res, bool requested,
				struct mprox_trial *trial)
{
	bool held = trial && trial->held;
	bool changed, down;

	spin_lock_bh(&dp->upstream_lock);
	changed = mprox_health_report(&up->health, res, requested, held,
				      held ? trial->token : 0, jiffies);
	if (trial)
		trial->held = false;
	down = up->health.down;
	spin_unlock_bh(&dp->upstream_lock);
	if (changed)
		mprox_choice_changed(dp, up, down, res);
}

void mprox_choice_report_probe(struct mprox_datapath *dp,
			       struct mprox_upstream *up,
			       enum mprox_connect_result res, bool full)
{
	bool changed, down;

	spin_lock_bh(&dp->upstream_lock);
	changed = mprox_health_report_probe(&up->health, res, full, jiffies);
	down = up->health.down;
	spin_unlock_bh(&dp->upstream_lock);
	if (changed)
		mprox_choice_changed(dp, up, down, res);
}
