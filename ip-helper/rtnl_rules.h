/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy routing rules and routes of "mprox route", through libnl-route-3
 * only (rtnl_rule_*, rtnl_route_*, rtnl_link_*).
 *
 * Everything this file adds carries the routing protocol RR_PROTO (109,
 * "mprox"), and belongs to one device by its table number: a rule that
 * looks the device's table up, or one that looks up main and carries the
 * label "fwmark TABLE/0" (mask 0 matches every packet: it selects nothing,
 * it only says whose rule it is), and routes in the device's table. That
 * is how "mprox route NAME --off" finds them again from the kernel alone.
 *
 * Functions return 0, or -1 with errno set (like libc).
 */
#ifndef MPROX_RTNL_RULES_H
#define MPROX_RTNL_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct nl_sock;

#define RR_PROTO 109 /* rtm_protocol / FRA_PROTOCOL of everything added */
#define RR_METRIC_LAST 0xffffffffu /* a route every other one of its table wins over */

struct rr_rule {
	int family; /* AF_INET or AF_INET6 */
	uint32_t prio;
	uint32_t table; /* lookup TABLE */
	bool invert; /* "not" */
	bool has_mark;
	uint32_t mark, mask; /* fwmark MARK/MASK (mask 0: a label) */
	bool has_uid;
	uint32_t uid_lo, uid_hi; /* uidrange */
	int suppress_prefixlen; /* -1: none */
	bool has_dst;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} dst; /* to DST/DST_LEN */
	unsigned int dst_len;
};

/* A rtnetlink socket, connected; NULL with errno on failure. */
struct nl_sock *rr_open(void);
void rr_close(struct nl_sock *sk);

/* Interface index and whether the link is up; ENODEV if none. */
int rr_link(struct nl_sock *sk, const char *name, int *ifindex, bool *up);

int rr_rule_add(struct nl_sock *sk, const struct rr_rule *r);
int rr_rule_del(struct nl_sock *sk, const struct rr_rule *r);

/* "default dev IFINDEX table TABLE proto mprox" of @family. */
int rr_default_add(struct nl_sock *sk, int family, uint32_t table, int ifindex);
int rr_default_del(struct nl_sock *sk, int family, uint32_t table, int ifindex);

/*
 * "unreachable default table TABLE metric METRIC proto mprox" of @family:
 * what the table answers once its other routes are gone.
 */
int rr_unreachable_add(struct nl_sock *sk, int family, uint32_t table, uint32_t metric);
int rr_unreachable_del(struct nl_sock *sk, int family, uint32_t table, uint32_t metric);

/*
 * What the kernel holds of @table: rules (any family) that look it up,
 * carry fwmark @table or @mark; routes in it. "ours" counts those with
 * protocol RR_PROTO, "theirs" everything else (someone else's use of the
 * numbers).
 */
struct rr_usage {
	unsigned int our_rules, their_rules;
	unsigned int our_routes, their_routes;
};
int rr_usage(struct nl_sock *sk, uint32_t table, uint32_t mark, struct rr_usage *u);

/*
 * Delete every rule and route of protocol RR_PROTO belonging to @table
 * (as described at the top). Counts what went; on failure it goes on
 * with the rest, then returns -1 with the first errno.
 */
int rr_remove(struct nl_sock *sk, uint32_t table, unsigned int *rules, unsigned int *routes);

/*
 * The tables in [lo, hi] that rules (by their table or their label) or
 * routes of protocol RR_PROTO use, each once, at most @max into @tables;
 * *n: how many.
 */
int rr_tables(struct nl_sock *sk, uint32_t lo, uint32_t hi, uint32_t *tables, size_t max,
	      size_t *n);

#endif /* MPROX_RTNL_RULES_H */
