// SPDX-License-Identifier: GPL-2.0
/*
 * Matching and writing rules; see rule.h.
 */

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/sort.h>
#include <linux/string.h>
#else
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#endif

#include "rule.h"

static bool prefix_match(const struct mprox_rule_prefix *p, u16 family,
			 const u8 *addr)
{
	unsigned int full = p->len / 8, rest = p->len % 8;
	u8 mask = 0xff00 >> rest;

	if (p->family == AF_UNSPEC)
		return true;
	if (p->family != family || memcmp(p->addr, addr, full))
		return false;
	return !rest || !((p->addr[full] ^ addr[full]) & mask);
}

/* Set order: by family, then start address, then length. */
static int prefix_cmp(const void *a, const void *b)
{
	const struct mprox_rule_prefix *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

int mprox_prefixes_sort(struct mprox_rule_prefix *p, u32 n)
{
	u32 i;

#ifdef __KERNEL__
	sort(p, n, sizeof(*p), prefix_cmp, NULL);
#else
	qsort(p, n, sizeof(*p), prefix_cmp);
#endif
	/*
	 * Prefixes are aligned: two overlap only when one holds the other,
	 * and then the wider sorts first, right before it or before a run
	 * of prefixes it holds too. Neighbours are enough.
	 */
	for (i = 1; i < n; i++)
		if (prefix_match(&p[i - 1], p[i].family, p[i].addr))
			return -EEXIST;
	return 0;
}

bool mprox_prefixes_contain(const struct mprox_rule_prefix *p, u32 n,
			    u16 family, const u8 *addr)
{
	struct mprox_rule_prefix key = { .family = family, .len = 128 };
	u32 lo = 0, hi = n;

	memcpy(key.addr, addr, family == AF_INET6 ? 16 : 4);
	/* The first prefix that sorts after the address... */
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (prefix_cmp(&p[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* ...and the one before it, the only one that may hold it. */
	return lo && prefix_match(&p[lo - 1], family, addr);
}

/*
 * "domain example.com" holds example.com and the names below it
 * (www.example.com), on a label boundary: not badexample.com.
 */
static bool domain_match(const struct mprox_rule *r,
			 const struct mprox_rule_pkt *pkt)
{
	size_t len = strlen(r->domain);
	const char *tail;

	if (!pkt->name || pkt->name_len < len)
		return false;
	tail = pkt->name + pkt->name_len - len;
	if (memcmp(tail, r->domain, len))
		return false;
	if (pkt->name_len == len)
		return true;
	return !r->domain_exact && tail[-1] == '.';
}

static bool rule_match(const struct mprox_rule *r,
		       const struct mprox_rule_pkt *pkt)
{
	if (r->set[0] && !mprox_prefixes_contain(r->set_prefixes, r->set_len,
						 pkt->family, pkt->daddr))
		return false;
	if (!prefix_match(&r->to, pkt->family, pkt->daddr) ||
	    !prefix_match(&r->from, pkt->family, pkt->saddr))
		return false;
	if (r->port_lo && (pkt->dport < r->port_lo || pkt->dport > r->port_hi))
		return false;
	if (r->proto && r->proto != pkt->proto)
		return false;
	if (r->has_uid && (!pkt->has_uid || pkt->kuid < r->kuid_lo ||
			   pkt->kuid > r->kuid_hi))
		return false;
	if (r->cgroup[0] && (!pkt->in_cgroup ||
			     !pkt->in_cgroup(pkt, r->cgroup_id, r->cgroup_level)))
		return false;
	if (r->domain[0] && !domain_match(r, pkt))
		return false;
	return true;
}

int mprox_rule_match(const struct mprox_rule *rules, unsigned int n,
		     const struct mprox_rule_pkt *pkt)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (rule_match(&rules[i], pkt))
			return i;
	return -1;
}

static bool prefix_same(const struct mprox_rule_prefix *a,
			const struct mprox_rule_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

bool mprox_rule_same_match(const struct mprox_rule *a,
			   const struct mprox_rule *b)
{
	return prefix_same(&a->to, &b->to) && prefix_same(&a->from, &b->from) &&
	       !strcmp(a->set, b->set) &&
	       a->port_lo == b->port_lo && a->port_hi == b->port_hi &&
	       a->proto == b->proto && a->has_uid == b->has_uid &&
	       (!a->has_uid || (a->uid_lo == b->uid_lo && a->uid_hi == b->uid_hi)) &&
	       !strcmp(a->cgroup, b->cgroup) &&
	       !strcmp(a->domain, b->domain) &&
	       a->domain_exact == b->domain_exact;
}

/* A bounded appender: @used counts what was wanted, as snprintf() does. */
struct rule_out {
	char *buf;
	size_t size, used;
};

static __printf(2, 3) void out_add(struct rule_out *o, const char *fmt, ...)
{
	size_t room = o->used < o->size ? o->size - o->used : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf + (room ? o->used : 0), room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used += n;
}

/*
 * RFC 5952: lower-case hex without leading zeros, the longest run of two or
 * more zero groups (the first of equal ones) as "::".
 */
static void out_in6(struct rule_out *o, const u8 *a)
{
	int best = -1, best_len = 1, i, j;
	u16 g[8];

	for (i = 0; i < 8; i++)
		g[i] = a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < 8; i = j + 1) {
		for (j = i; j < 8 && !g[j]; j++)
			;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
	}
	for (i = 0; i < 8; i++) {
		if (i == best) {
			out_add(o, "::");
			i += best_len - 1;
			continue;
		}
		out_add(o, "%s%x", i && i != best + best_len ? ":" : "", g[i]);
	}
}

static void out_prefix(struct rule_out *o, const char *key,
		       const struct mprox_rule_prefix *p)
{
	if (p->family == AF_UNSPEC)
		return;
	out_add(o, "%s ", key);
	if (p->family == AF_INET)
		out_add(o, "%u.%u.%u.%u", p->addr[0], p->addr[1], p->addr[2], p->addr[3]);
	else
		out_in6(o, p->addr);
	out_add(o, "/%u ", p->len);
}

static void out_range(struct rule_out *o, const char *key, u32 lo, u32 hi)
{
	if (lo == hi)
		out_add(o, "%s %u ", key, lo);
	else
		out_add(o, "%s %u-%u ", key, lo, hi);
}

int mprox_rule_format(const struct mprox_rule *r, char *buf, size_t size)
{
	struct rule_out o = { buf, size, 0 };

	if (size)
		buf[0] = '\0';
	out_prefix(&o, "to", &r->to);
	if (r->set[0])
		out_add(&o, "to-set %s ", r->set);
	out_prefix(&o, "from", &r->from);
	if (r->port_lo)
		out_range(&o, "port", r->port_lo, r->port_hi);
	if (r->proto)
		out_add(&o, "proto %s ", r->proto == IPPROTO_TCP ? "tcp" : "udp");
	if (r->has_uid)
		out_range(&o, "uid", r->uid_lo, r->uid_hi);
	if (r->cgroup[0])
		out_add(&o, "cgroup %s ", r->cgroup);
	if (r->domain[0])
		out_add(&o, "%s %s ", r->domain_exact ? "domain-exact" : "domain",
			r->domain);
	switch (r->action) {
	case MPROX_RULE_UPSTREAM:
		out_add(&o, "upstream %s", r->upstream);
		break;
	case MPROX_RULE_PRIORITY:
		out_add(&o, "priority %u", r->priority);
		break;
	case MPROX_RULE_REJECT:
		out_add(&o, "reject");
		break;
	case MPROX_RULE_DIRECT:
		out_add(&o, "direct");
		break;
	}
	return o.used;
}
