// SPDX-License-Identifier: GPL-2.0
/*
 * Rules and routes of "mprox route" through libnl-route-3 (rtnl_rules.h).
 *
 * libnl 3.7 has no setter for uidrange, suppress_prefixlength or the
 * "not" flag: the request rtnl_rule_build_add_request() makes is completed
 * with those attributes before it is sent.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include "rtnl_rules.h"

/* libnl's error codes back to errno, for the ones a kernel answer gives. */
static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_EXIST:
		return EEXIST;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_PERM:
	case NLE_NOACCESS:
		return EPERM;
	case NLE_NODEV:
		return ENODEV;
	case NLE_INVAL:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_BUSY:
		return EBUSY;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_INTR:
		return EINTR;
	default:
		return EIO;
	}
}

static int fail_nl(int nlerr)
{
	errno = nl_errno(nlerr);
	return -1;
}

/*
 * The removals go on past a failure: count what went, keep the first
 * error for the end (finish()).
 */
static void tally(int nlerr, int *first, unsigned int *count)
{
	if (nlerr >= 0)
		(*count)++;
	else if (!*first)
		*first = nl_errno(nlerr);
}

static int finish(int first)
{
	if (!first)
		return 0;
	errno = first;
	return -1;
}

struct nl_sock *rr_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		errno = ENOMEM;
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		nl_socket_free(sk);
		fail_nl(err);
		return NULL;
	}
	return sk;
}

void rr_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int rr_link(struct nl_sock *sk, const char *name, int *ifindex, bool *up)
{
	struct rtnl_link *link = NULL;
	int err = rtnl_link_get_kernel(sk, 0, name, &link);

	if (err < 0)
		return fail_nl(err == -NLE_OBJ_NOTFOUND ? -NLE_NODEV : err);
	*ifindex = rtnl_link_get_ifindex(link);
	*up = rtnl_link_get_flags(link) & IFF_UP;
	rtnl_link_put(link);
	return 0;
}

static struct rtnl_rule *rule_object(const struct rr_rule *r)
{
	struct rtnl_rule *rule = rtnl_rule_alloc();

	if (!rule) {
		errno = ENOMEM;
		return NULL;
	}
	rtnl_rule_set_family(rule, r->family);
	rtnl_rule_set_prio(rule, r->prio);
	rtnl_rule_set_table(rule, r->table);
	rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
	rtnl_rule_set_protocol(rule, RR_PROTO);
	if (r->has_mark) {
		rtnl_rule_set_mark(rule, r->mark);
		rtnl_rule_set_mask(rule, r->mask);
	}
	if (r->has_dst) {
		struct nl_addr *a =
			nl_addr_build(r->family, &r->dst, r->family == AF_INET ? 4 : 16);
		int err;

		if (!a) {
			rtnl_rule_put(rule);
			errno = ENOMEM;
			return NULL;
		}
		nl_addr_set_prefixlen(a, r->dst_len);
		err = rtnl_rule_set_dst(rule, a);
		nl_addr_put(a);
		if (err < 0) {
			rtnl_rule_put(rule);
			fail_nl(err);
			return NULL;
		}
	}
	return rule;
}

/* Send @msg, completed with what libnl cannot say, and wait for the ack. */
static int send_rule(struct nl_sock *sk, struct nl_msg *msg, const struct rr_rule *r)
{
	struct fib_rule_hdr *frh = nlmsg_data(nlmsg_hdr(msg));
	int err;

	if (r->invert)
		frh->flags |= FIB_RULE_INVERT;
	if (r->has_uid) {
		struct fib_rule_uid_range range = { .start = r->uid_lo, .end = r->uid_hi };

		if (nla_put(msg, FRA_UID_RANGE, sizeof(range), &range) < 0)
			return fail_nl(-NLE_NOMEM);
	}
	if (r->suppress_prefixlen >= 0 &&
	    nla_put_u32(msg, FRA_SUPPRESS_PREFIXLEN, (uint32_t)r->suppress_prefixlen) < 0)
		return fail_nl(-NLE_NOMEM);
	err = nl_send_auto_complete(sk, msg);
	if (err >= 0)
		err = nl_wait_for_ack(sk);
	return err < 0 ? fail_nl(err) : 0;
}

int rr_rule_add(struct nl_sock *sk, const struct rr_rule *r)
{
	struct rtnl_rule *rule = rule_object(r);
	struct nl_msg *msg = NULL;
	int err, ret;

	if (!rule)
		return -1;
	err = rtnl_rule_build_add_request(rule, NLM_F_CREATE | NLM_F_EXCL, &msg);
	rtnl_rule_put(rule);
	if (err < 0)
		return fail_nl(err);
	ret = send_rule(sk, msg, r);
	nlmsg_free(msg);
	return ret;
}

int rr_rule_del(struct nl_sock *sk, const struct rr_rule *r)
{
	struct rtnl_rule *rule = rule_object(r);
	struct nl_msg *msg = NULL;
	int err, ret;

	if (!rule)
		return -1;
	err = rtnl_rule_build_delete_request(rule, 0, &msg);
	rtnl_rule_put(rule);
	if (err < 0)
		return fail_nl(err);
	ret = send_rule(sk, msg, r);
	nlmsg_free(msg);
	return ret;
}

/* A route of ours to the default destination of @family in @table. */
static struct rtnl_route *route_to_default(int family, uint32_t table, uint8_t type)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct nl_addr *dst;
	char any[16] = { 0 };

	if (!route)
		return NULL;
	dst = nl_addr_build(family, any, family == AF_INET ? 4 : 16);
	if (!dst) {
		rtnl_route_put(route);
		return NULL;
	}
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(route, family);
	rtnl_route_set_table(route, table);
	rtnl_route_set_protocol(route, RR_PROTO);
	rtnl_route_set_type(route, type);
	rtnl_route_set_dst(route, dst);
	nl_addr_put(dst);
	return route;
}

static struct rtnl_route *default_route(int family, uint32_t table, int ifindex)
{
	struct rtnl_route *route = route_to_default(family, table, RTN_UNICAST);
	struct rtnl_nexthop *nh;

	if (!route)
		return NULL;
	nh = rtnl_route_nh_alloc();
	if (!nh) {
		rtnl_route_put(route);
		return NULL;
	}
	rtnl_route_set_scope(route, family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(route, nh);
	return route;
}

static struct rtnl_route *unreachable_route(int family, uint32_t table, uint32_t metric)
{
	struct rtnl_route *route = route_to_default(family, table, RTN_UNREACHABLE);

	if (!route)
		return NULL;
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_priority(route, metric);
	return route;
}

/* Add (exclusively) or delete @route, and put it; NULL is out of memory. */
static int route_change(struct nl_sock *sk, struct rtnl_route *route, bool add)
{
	int err;

	if (!route) {
		errno = ENOMEM;
		return -1;
	}
	err = add ? rtnl_route_add(sk, route, NLM_F_EXCL) : rtnl_route_delete(sk, route, 0);
	rtnl_route_put(route);
	return err < 0 ? fail_nl(err) : 0;
}

int rr_default_add(struct nl_sock *sk, int family, uint32_t table, int ifindex)
{
	return route_change(sk, default_route(family, table, ifindex), true);
}

int rr_default_del(struct nl_sock *sk, int family, uint32_t table, int ifindex)
{
	return route_change(sk, default_route(family, table, ifindex), false);
}

int rr_unreachable_add(struct nl_sock *sk, int family, uint32_t table, uint32_t metric)
{
	return route_change(sk, unreachable_route(family, table, metric), true);
}

int rr_unreachable_del(struct nl_sock *sk, int family, uint32_t table, uint32_t metric)
{
	return route_change(sk, unreachable_route(family, table, metric), false);
}

static bool rule_is_ours(struct rtnl_rule *rule)
{
	uint8_t proto = 0;

	return rtnl_rule_get_protocol(rule, &proto) == 0 && proto == RR_PROTO;
}

/* Does @rule look up @table or carry fwmark @table or @mark? */
static bool rule_uses(struct rtnl_rule *rule, uint32_t table, uint32_t mark)
{
	uint32_t m = rtnl_rule_get_mark(rule);

	return rtnl_rule_get_table(rule) == table || m == table || m == mark;
}

/* Is @rule one of ours for @table (see rtnl_rules.h)? */
static bool rule_belongs(struct rtnl_rule *rule, uint32_t table)
{
	if (!rule_is_ours(rule))
		return false;
	if (rtnl_rule_get_table(rule) == table)
		return true;
	return rtnl_rule_get_mark(rule) == table && rtnl_rule_get_mask(rule) == 0;
}

static bool route_is_ours(struct rtnl_route *route)
{
	return rtnl_route_get_protocol(route) == RR_PROTO;
}

int rr_usage(struct nl_sock *sk, uint32_t table, uint32_t mark, struct rr_usage *u)
{
	struct nl_cache *rules = NULL, *routes = NULL;
	struct nl_object *o;
	int err;

	memset(u, 0, sizeof(*u));
	err = rtnl_rule_alloc_cache(sk, AF_UNSPEC, &rules);
	if (err < 0)
		return fail_nl(err);
	err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes);
	if (err < 0) {
		nl_cache_free(rules);
		return fail_nl(err);
	}
	for (o = nl_cache_get_first(rules); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *rule = (struct rtnl_rule *)o;

		if (rule_belongs(rule, table))
			u->our_rules++;
		else if (rule_uses(rule, table, mark))
			u->their_rules++;
	}
	for (o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *route = (struct rtnl_route *)o;

		if (rtnl_route_get_table(route) != table)
			continue;
		if (route_is_ours(route))
			u->our_routes++;
		else
			u->their_routes++;
	}
	nl_cache_free(routes);
	nl_cache_free(rules);
	return 0;
}

int rr_remove(struct nl_sock *sk, uint32_t table, unsigned int *nrules, unsigned int *nroutes)
{
	struct nl_cache *rules = NULL, *routes = NULL;
	struct nl_object *o;
	int err, first = 0;

	*nrules = *nroutes = 0;
	err = rtnl_rule_alloc_cache(sk, AF_UNSPEC, &rules);
	if (err < 0)
		return fail_nl(err);
	for (o = nl_cache_get_first(rules); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *rule = (struct rtnl_rule *)o;

		if (!rule_belongs(rule, table))
			continue;
		tally(rtnl_rule_delete(sk, rule, 0), &first, nrules);
	}
	nl_cache_free(rules);
	err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes);
	if (err < 0) {
		errno = first ? first : nl_errno(err);
		return -1;
	}
	for (o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *route = (struct rtnl_route *)o;

		if (rtnl_route_get_table(route) != table || !route_is_ours(route))
			continue;
		tally(rtnl_route_delete(sk, route, 0), &first, nroutes);
	}
	nl_cache_free(routes);
	return finish(first);
}

static void add_table(uint32_t t, uint32_t *tables, size_t max, size_t *n)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (tables[i] == t)
			return;
	if (*n < max)
		tables[(*n)++] = t;
}

int rr_tables(struct nl_sock *sk, uint32_t lo, uint32_t hi, uint32_t *tables, size_t max, size_t *n)
{
	struct nl_cache *rules = NULL, *routes = NULL;
	struct nl_object *o;
	int err;

	*n = 0;
	err = rtnl_rule_alloc_cache(sk, AF_UNSPEC, &rules);
	if (err < 0)
		return fail_nl(err);
	err = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &routes);
	if (err < 0) {
		nl_cache_free(rules);
		return fail_nl(err);
	}
	for (o = nl_cache_get_first(rules); o; o = nl_cache_get_next(o)) {
		struct rtnl_rule *rule = (struct rtnl_rule *)o;
		uint32_t t = rtnl_rule_get_table(rule);

		/* A rule that looks up main carries its table as a label. */
		if (t < lo || t > hi)
			t = rtnl_rule_get_mask(rule) == 0 ? rtnl_rule_get_mark(rule) : 0;
		if (rule_is_ours(rule) && t >= lo && t <= hi)
			add_table(t, tables, max, n);
	}
	for (o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *route = (struct rtnl_route *)o;
		uint32_t t = rtnl_route_get_table(route);

		if (route_is_ours(route) && t >= lo && t <= hi)
			add_table(t, tables, max, n);
	}
	nl_cache_free(routes);
	nl_cache_free(rules);
	return 0;
}
