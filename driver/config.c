// SPDX-License-Identifier: GPL-2.0
/*
 * Building and applying configurations (see config.h for the model).
 */

#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uidgid.h>

#include "config.h"

static void upstream_release(struct kref *ref)
{
	struct mprox_upstream *up = container_of(ref, struct mprox_upstream, ref);

	/*
	 * No reader can still see it: the last reference belonged to a
	 * configuration that was freed after an RCU grace period, to a draft
	 * that was never published, or to a device being destroyed. Freeing
	 * here rather than from another RCU callback also means rcu_barrier()
	 * at module exit catches everything. The spec holds the proxy
	 * password: wipe it with the memory.
	 */
	free_percpu(up->traffic);
	kfree_sensitive(up);
}

void mprox_upstream_put(struct mprox_upstream *up)
{
	kref_put(&up->ref, upstream_release);
}

static void pset_release(struct kref *ref)
{
	struct mprox_prefix_set *set = container_of(ref, struct mprox_prefix_set, ref);

	kvfree(set->prefixes);
	kfree(set);
}

static void pset_put(struct mprox_prefix_set *set)
{
	kref_put(&set->ref, pset_release);
}

struct mprox_config *mprox_config_new_default(bool persist)
{
	struct mprox_config *cfg;
	int i;

	cfg = kzalloc(sizeof(*cfg), GFP_KERNEL_ACCOUNT);
	if (!cfg)
		return NULL;
	cfg->fwmark = MPROX_DEFAULT_FWMARK;
	cfg->persist = persist;
	for (i = 0; i < MPROX_TUNE_COUNT; i++)
		cfg->tunables[i] = mprox_tunables[i].def;
	return cfg;
}

struct mprox_config *mprox_config_clone(const struct mprox_config *cfg)
{
	struct mprox_config *copy;
	unsigned int i;

	copy = kmemdup(cfg, sizeof(*cfg), GFP_KERNEL_ACCOUNT);
	if (!copy)
		return NULL;
	/* Never the original's array: each configuration frees its own. */
	copy->rules = NULL;
	if (cfg->nr_rules) {
		copy->rules = kvmalloc_array(cfg->nr_rules, sizeof(*cfg->rules),
					     GFP_KERNEL_ACCOUNT);
		if (!copy->rules) {
			kfree(copy);
			return NULL;
		}
		memcpy(copy->rules, cfg->rules,
		       cfg->nr_rules * sizeof(*cfg->rules));
	}
	for (i = 0; i < copy->nr_upstreams; i++)
		kref_get(&copy->upstreams[i]->ref);
	for (i = 0; i < copy->nr_sets; i++)
		kref_get(&copy->sets[i]->ref);
	for (i = 0; i < ARRAY_SIZE(copy->dns.pool); i++)
		if (copy->dns.pool[i])
			mprox_fakeip_pool_get(copy->dns.pool[i]);
	copy->sets_own = 0;
	memset(copy->dns_dropped, 0, sizeof(copy->dns_dropped));
	return copy;
}

void mprox_config_free(struct mprox_config *cfg)
{
	unsigned int i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nr_upstreams; i++)
		mprox_upstream_put(cfg->upstreams[i]);
	for (i = 0; i < cfg->nr_sets; i++)
		pset_put(cfg->sets[i]);
	for (i = 0; i < ARRAY_SIZE(cfg->dns.pool); i++)
		mprox_fakeip_pool_put(cfg->dns.pool[i]);
	kvfree(cfg->rules);
	kfree(cfg);
}

static void config_free_rcu(struct rcu_head *rcu)
{
	mprox_config_free(container_of(rcu, struct mprox_config, rcu));
}

void mprox_config_free_rcu(struct mprox_config *cfg)
{
	if (cfg)
		call_rcu(&cfg->rcu, config_free_rcu);
}

static int find_upstream(const struct mprox_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_upstreams; i++)
		if (!strcmp(cfg->upstreams[i]->spec.name, name))
			return i;
	return -ENOENT;
}

int mprox_config_add_upstream(struct mprox_config *draft,
			      const struct mprox_upstream_spec *spec)
{
	struct mprox_upstream *up;

	if (find_upstream(draft, spec->name) >= 0)
		return -EEXIST;
	if (draft->nr_upstreams >= MPROX_UPSTREAMS_MAX)
		return -E2BIG;
	up = kzalloc(sizeof(*up), GFP_KERNEL_ACCOUNT);
	if (!up)
		return -ENOMEM;
	up->traffic = mprox_traffic_alloc();
	if (!up->traffic) {
		kfree(up);
		return -ENOMEM;
	}
	kref_init(&up->ref);
	spin_lock_init(&up->dns_refused_lock);
	up->spec = *spec;
	up->balance.weight = spec->weight;
	up->balance.priority = spec->priority;
	draft->upstreams[draft->nr_upstreams++] = up;
	return 0;
}

int mprox_config_del_upstream(struct mprox_config *draft, const char *name)
{
	int i = find_upstream(draft, name);

	if (i < 0)
		return i;
	mprox_upstream_put(draft->upstreams[i]);
	/* Keep the order upstreams were added in: it is what users see. */
	memmove(&draft->upstreams[i], &draft->upstreams[i + 1],
		(draft->nr_upstreams - i - 1) * sizeof(draft->upstreams[0]));
	draft->upstreams[--draft->nr_upstreams] = NULL;
	return 0;
}

static void flush_upstreams(struct mprox_config *draft)
{
	while (draft->nr_upstreams)
		mprox_upstream_put(draft->upstreams[--draft->nr_upstreams]);
}

/*
 * The uids of "uid N-M" as the kernel's, read in the writer's user
 * namespace as ip-rule(8)'s uidrange is: both ends must be mapped there,
 * and as far apart as written. That refuses a range across a gap in the
 * namespace's uid map, not one across two extents that are each mapped
 * but not next to each other in the kernel's uids and happen to end the
 * same distance apart; fib rules check less (mapped ends only).
 */
static int rule_kuids(struct mprox_rule *r)
{
	kuid_t lo, hi;

	if (!r->has_uid)
		return 0;
	lo = make_kuid(current_user_ns(), r->uid_lo);
	hi = make_kuid(current_user_ns(), r->uid_hi);
	if (!uid_valid(lo) || !uid_valid(hi) ||
	    __kuid_val(hi) - __kuid_val(lo) != r->uid_hi - r->uid_lo)
		return -EINVAL;
	r->kuid_lo = __kuid_val(lo);
	r->kuid_hi = __kuid_val(hi);
	return 0;
}

/*
 * The cgroup of "cgroup PATH", looked up as xt_cgroup's path match does,
 * in the writer's cgroup namespace (on 5.10, from the root of the whole
 * hierarchy): ENOENT if there is none, ENOTDIR if the path is a file.
 * The rule keeps its id and depth, not a reference: a removed cgroup
 * matches nothing and holds nothing.
 */
static int rule_cgroup(struct mprox_rule *r)
{
#if IS_ENABLED(CONFIG_SOCK_CGROUP_DATA)
	struct cgroup *cgrp;

	if (!r->cgroup[0])
		return 0;
	cgrp = cgroup_get_from_path(r->cgroup);
	if (IS_ERR(cgrp))
		return PTR_ERR(cgrp);
	r->cgroup_id = cgroup_id(cgrp);
	r->cgroup_level = cgrp->level;
	cgroup_put(cgrp);
	return 0;
#else
	return r->cgroup[0] ? -EOPNOTSUPP : 0;
#endif
}

static int find_set(const struct mprox_config *cfg, const char *name)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_sets; i++)
		if (!strcmp(cfg->sets[i]->name, name))
			return i;
	return -ENOENT;
}

struct mprox_prefix_set *mprox_config_get_set(const struct mprox_config *cfg,
					      const char *name)
{
	int i = find_set(cfg, name);

	if (i < 0)
		return NULL;
	kref_get(&cfg->sets[i]->ref);
	return cfg->sets[i];
}

void mprox_prefix_set_put(struct mprox_prefix_set *set)
{
	pset_put(set);
}

/* Room for @more prefixes in set @i, which becomes the draft's own. */
static int pset_make_room(struct mprox_config *draft, unsigned int i, u32 more)
{
	struct mprox_prefix_set *old = draft->sets[i], *set;
	u32 cap = old->cap;

	if ((draft->sets_own & BIT(i)) && old->len + more <= cap)
		return 0;
	while (cap < old->len + more)
		cap = max_t(u32, 64, cap * 2);
	cap = min_t(u32, cap, MPROX_SET_PREFIXES_MAX);
	set = kzalloc(sizeof(*set), GFP_KERNEL_ACCOUNT);
	if (!set)
		return -ENOMEM;
	set->prefixes = kvmalloc_array(cap, sizeof(*set->prefixes), GFP_KERNEL_ACCOUNT);
	if (!set->prefixes) {
		kfree(set);
		return -ENOMEM;
	}
	kref_init(&set->ref);
	strscpy(set->name, old->name, sizeof(set->name));
	set->cap = cap;
	set->len = old->len;
	if (old->len)
		memcpy(set->prefixes, old->prefixes, old->len * sizeof(*set->prefixes));
	draft->sets[i] = set;
	draft->sets_own |= BIT(i);
	pset_put(old);
	return 0;
}

static u32 pset_total(const struct mprox_config *cfg)
{
	unsigned int i;
	u32 n = 0;

	for (i = 0; i < cfg->nr_sets; i++)
		n += cfg->sets[i]->len;
	return n;
}

static int pset_add(struct mprox_config *draft, const char *name,
		    const struct mprox_rule_prefix *p, u32 n)
{
	struct mprox_prefix_set *set;
	int i = find_set(draft, name), err;

	if (pset_total(draft) + n > MPROX_SET_PREFIXES_MAX)
		return -E2BIG;
	if (i < 0) {
		if (draft->nr_sets >= MPROX_SETS_MAX)
			return -E2BIG;
		set = kzalloc(sizeof(*set), GFP_KERNEL_ACCOUNT);
		if (!set)
			return -ENOMEM;
		kref_init(&set->ref);
		strscpy(set->name, name, sizeof(set->name));
		i = draft->nr_sets++;
		draft->sets[i] = set;
	}
	err = pset_make_room(draft, i, n);
	if (err)
		return err;
	set = draft->sets[i];
	memcpy(&set->prefixes[set->len], p, n * sizeof(*p));
	set->len += n;
	return 0;
}

static int pset_flush(struct mprox_config *draft, const char *name)
{
	int i = find_set(draft, name);
	u32 low;

	if (i < 0)
		return i;
	pset_put(draft->sets[i]);
	memmove(&draft->sets[i], &draft->sets[i + 1],
		(draft->nr_sets - i - 1) * sizeof(draft->sets[0]));
	draft->sets[--draft->nr_sets] = NULL;
	/* The own-bits above @i move down with their sets. */
	low = draft->sets_own & (BIT(i) - 1);
	draft->sets_own = low | ((draft->sets_own >> 1) & ~(BIT(i) - 1));
	return 0;
}

static int add_rule(struct mprox_config *draft, const struct mprox_rule *rule)
{
	struct mprox_rule *rules;
	unsigned int i;
	int err;

	if (draft->nr_rules >= MPROX_RULES_MAX)
		return -E2BIG;
	if (rule->action == MPROX_RULE_UPSTREAM &&
	    find_upstream(draft, rule->upstream) < 0)
		return -ENOENT;
	if (rule->set[0] && find_set(draft, rule->set) < 0)
		return -ENOENT;
	/* The later of two rules with the same match could never match. */
	for (i = 0; i < draft->nr_rules; i++)
		if (mprox_rule_same_match(&draft->rules[i], rule))
			return -EEXIST;
	/*
	 * A rule is over 400 bytes (its cgroup path): 256 of them need not
	 * be contiguous pages. 5.10 has no kvrealloc().
	 */
	rules = kvmalloc_array(draft->nr_rules + 1, sizeof(*rules), GFP_KERNEL_ACCOUNT);
	if (!rules)
		return -ENOMEM;
	if (draft->nr_rules)
		memcpy(rules, draft->rules, draft->nr_rules * sizeof(*rules));
	kvfree(draft->rules);
	draft->rules = rules;
	rules[draft->nr_rules] = *rule;
	err = rule_kuids(&rules[draft->nr_rules]);
	if (!err)
		err = rule_cgroup(&rules[draft->nr_rules]);
	if (err)
		return err;
	draft->nr_rules++;
	return 0;
}

static void flush_rules(struct mprox_config *draft)
{
	kvfree(draft->rules);
	draft->rules = NULL;
	draft->nr_rules = 0;
}

static int del_rule(struct mprox_config *draft, u32 index)
{
	if (index < 1 || index > draft->nr_rules)
		return -ENOENT;
	memmove(&draft->rules[index - 1], &draft->rules[index],
		(draft->nr_rules - index) * sizeof(draft->rules[0]));
	if (!--draft->nr_rules)
		flush_rules(draft);
	return 0;
}

/*
 * After a whole write: every rule's upstream is still there (a write may
 * delete an upstream and add it again, as "mprox reload" does), and found
 * where this configuration has it.
 */
static int check_rules(struct mprox_config *draft)
{
	unsigned int i;
	int k, err;

	/* The sets this write added to: sorted, and no prefix twice. */
	for (i = 0; i < draft->nr_sets; i++) {
		struct mprox_prefix_set *set = draft->sets[i];

		if (!(draft->sets_own & BIT(i)))
			continue;
		err = mprox_prefixes_sort(set->prefixes, set->len);
		if (err)
			return err;
	}
	for (i = 0; i < draft->nr_rules; i++) {
		struct mprox_rule *r = &draft->rules[i];

		if (r->set[0]) {
			k = find_set(draft, r->set);
			if (k < 0)
				return -EBUSY;
			r->set_prefixes = draft->sets[k]->prefixes;
			r->set_len = draft->sets[k]->len;
		}
		if (r->action != MPROX_RULE_UPSTREAM)
			continue;
		k = find_upstream(draft, r->upstream);
		if (k < 0)
			return -EBUSY;
		r->up_index = k;
	}
	return 0;
}

static bool dns_pool_is(const struct mprox_fakeip_pool *pool,
			const struct mprox_rule_prefix *prefix)
{
	return pool && pool->prefix.len == prefix->len &&
	       !memcmp(pool->prefix.addr, prefix->addr, sizeof(prefix->addr));
}

/* The draft lets go of its pool of family @i, until the write's end. */
static void dns_drop(struct mprox_config *draft, unsigned int i)
{
	if (!draft->dns.pool[i])
		return;
	mprox_fakeip_pool_put(draft->dns_dropped[i]);
	draft->dns_dropped[i] = draft->dns.pool[i];
	draft->dns.pool[i] = NULL;
}

/*
 * "dns fake-ip": a pool for each prefix given, the one the draft has (or
 * had earlier in the write) when the prefix is the same, so that every
 * name keeps its address.
 */
static int dns_fake_ip(struct mprox_config *draft, const struct mprox_dns_directive *d)
{
	const struct mprox_rule_prefix *want[2] = { &d->pool4, &d->pool6 };
	struct mprox_fakeip_pool *pool[2] = { NULL, NULL };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pool); i++) {
		if (!want[i]->family)
			continue;
		if (dns_pool_is(draft->dns.pool[i], want[i]))
			pool[i] = mprox_fakeip_pool_get(draft->dns.pool[i]);
		else if (dns_pool_is(draft->dns_dropped[i], want[i]))
			pool[i] = mprox_fakeip_pool_get(draft->dns_dropped[i]);
		else
			pool[i] = mprox_fakeip_pool_new(want[i]);
		if (!pool[i]) {
			mprox_fakeip_pool_put(pool[0]);
			return -ENOMEM;
		}
	}
	for (i = 0; i < ARRAY_SIZE(pool); i++) {
		dns_drop(draft, i);
		draft->dns.pool[i] = pool[i];
	}
	return 0;
}

static int apply_dns(struct mprox_config *draft, const struct mprox_dns_directive *d)
{
	unsigned int i;

	switch (d->op) {
	case MPROX_DNS_FAKE_IP:
		return dns_fake_ip(draft, d);
	case MPROX_DNS_SERVER:
		draft->dns.server = d->server;
		return 0;
	case MPROX_DNS_HIJACK:
		draft->dns.hijack = d->hijack;
		return 0;
	case MPROX_DNS_OFF:
		for (i = 0; i < ARRAY_SIZE(draft->dns.pool); i++)
			dns_drop(draft, i);
		memset(&draft->dns, 0, sizeof(draft->dns));
		return 0;
	}
	return -EINVAL;
}

static int apply_directive(struct mprox_config *draft,
			   const struct mprox_directive *d)
{
	switch (d->op) {
	case MPROX_OP_UPSTREAM_ADD:
		return mprox_config_add_upstream(draft, &d->upstream);
	case MPROX_OP_UPSTREAM_DEL:
		return mprox_config_del_upstream(draft, d->name);
	case MPROX_OP_UPSTREAM_FLUSH:
		flush_upstreams(draft);
		return 0;
	case MPROX_OP_PERSIST:
		draft->persist = d->persist;
		return 0;
	case MPROX_OP_FWMARK:
		draft->fwmark = d->fwmark;
		return 0;
	case MPROX_OP_SET:
		draft->tunables[d->set.key] = d->set.value;
		return 0;
	case MPROX_OP_PROBE_TARGET:
		draft->probe_target = d->probe_target;
		return 0;
	case MPROX_OP_RULE_ADD:
		return add_rule(draft, &d->rule);
	case MPROX_OP_RULE_DEL:
		return del_rule(draft, d->index);
	case MPROX_OP_RULE_FLUSH:
		flush_rules(draft);
		return 0;
	case MPROX_OP_PSET_ADD:
		return pset_add(draft, d->pset.name, d->pset.prefix, d->pset.n);
	case MPROX_OP_PSET_FLUSH:
		return pset_flush(draft, d->pset.name);
	case MPROX_OP_DNS:
		return apply_dns(draft, &d->dns);
	}
	return -EINVAL;
}

int mprox_config_apply_text(struct mprox_config *draft, const char *buf,
			    size_t len)
{
	struct mprox_directive *d;
	const char *line;
	size_t line_len, pos = 0;
	int err = 0;

	if (len > MPROX_WRITE_MAX)
		return -E2BIG;
	/* A NUL cannot be in any line, comment or not. */
	if (memchr(buf, '\0', len))
		return -EINVAL;

	/* A directive holds a whole upstream (~800 bytes): not on the stack. */
	d = kmalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		return -ENOMEM;
	while ((pos = mprox_next_line(buf, len, pos, &line, &line_len))) {
		err = mprox_parse_line(line, line_len, d);
		if (err > 0)
			continue;	/* blank or comment */
		if (!err)
			err = apply_directive(draft, d);
		if (err)
			break;
	}
	kfree_sensitive(d);
	for (pos = 0; pos < ARRAY_SIZE(draft->dns_dropped); pos++) {
		mprox_fakeip_pool_put(draft->dns_dropped[pos]);
		draft->dns_dropped[pos] = NULL;
	}
	if (err < 0)
		return err;
	return check_rules(draft);
}
