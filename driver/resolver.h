/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The resolver in the kernel (docs/dns.md): DNS queries that policy
 * routing sends into the device are answered in xmit, from the device's
 * fake-IP pools (fakeip.h), and never leave the host. Which queries are
 * its: UDP to the port of "dns server" (53 without one), and to its
 * address unless "dns hijack on" takes them to any address.
 *
 * A and AAAA questions of class IN get an address of the pool of their
 * family (NOERROR without data when the device has no pool of it); HTTPS
 * and SVCB, which browsers ask next to every A and AAAA, NOERROR without
 * data, so that they go by the address; every other question goes on to
 * the server it was sent to, as any UDP datagram of the app's, through the
 * proxy's UDP relay (udp.h), or over TCP through the proxy when the
 * upstream has no UDP (mprox_resolver_over_tcp()), and is answered REFUSED
 * when that fails too; a
 * malformed query gets FORMERR, another OPCODE NOTIMP, and what is not
 * even a query is dropped (dns.h). A name keeps its address for twice
 * the answers' TTL at least after its last use: a pool with no address
 * free for that long answers a new name SERVFAIL.
 */
#ifndef _MPROX_RESOLVER_H
#define _MPROX_RESOLVER_H

#include <linux/skbuff.h>

#include "packet.h"

struct mprox_datapath;

/* The resolver's counters; the names are the JSON keys (status.c). */
enum mprox_dns_stat {
	MPROX_DNS_STAT_QUERY_A,
	MPROX_DNS_STAT_QUERY_AAAA,
	MPROX_DNS_STAT_QUERY_OTHER,	/* another type or class: forwarded */
	MPROX_DNS_STAT_FAKE_ANSWERS,	/* answered with a pool's address */
	MPROX_DNS_STAT_NODATA,		/* no pool of the question's family */
	/* Forwarded, then answered: the upstream could not carry it. */
	MPROX_DNS_STAT_REFUSED,
	MPROX_DNS_STAT_FORMERR,
	MPROX_DNS_STAT_NOTIMP,
	MPROX_DNS_STAT_SERVFAIL,	/* out of memory for a new name */
	/* SERVFAIL too: every address of the pool used within 2 TTLs. */
	MPROX_DNS_STAT_POOL_FULL,
	MPROX_DNS_STAT_DROPPED,		/* no header, or a response */
	/* A connection to a pool address that no name has: host unreachable. */
	MPROX_DNS_STAT_UNKNOWN_ADDR,
	/* Went on to its server through the proxy's UDP relay. */
	MPROX_DNS_STAT_FORWARDED,
	/* Answered from the cache of forwarded answers (dnscache.h). */
	MPROX_DNS_STAT_CACHE_HITS,
	/* Forwarded answers kept in it. */
	MPROX_DNS_STAT_CACHE_STORED,
	/* Names of direct connections asked of "dns server" (lookup.h)... */
	MPROX_DNS_STAT_LOOKUPS,
	/* ...and those that came to no address (or could not be asked). */
	MPROX_DNS_STAT_LOOKUP_FAILED,
	MPROX_DNS_STAT_COUNT
};

/*
 * From xmit, for the app's UDP datagram @skb parsed into @p: when it is a
 * query for the resolver, answer it and consume @skb (true); else leave
 * it (false).
 */
bool mprox_resolver_xmit(struct mprox_datapath *dp, struct sk_buff *skb,
			 const struct mprox_pkt *p);

/*
 * Whether the app's UDP datagram @p is a query to the DNS server: to
 * "dns server" (its port, 53 without one), or to any address's port 53
 * with "dns hijack on". Through an upstream without UDP such a query is
 * not refused but goes over TCP (assoc.h), whether or not the device has
 * pools. Under rcu_read_lock().
 */
bool mprox_resolver_over_tcp(struct mprox_datapath *dp, const struct mprox_pkt *p);

/*
 * A datagram to the app from @p's destination (@p as the app's datagram to
 * it would be), @len bytes at @msg, about to be delivered: when it is the
 * DNS server's answer to a question the resolver lets through, keep it in
 * the cache (dnscache.h) for the next to ask. Process context.
 */
void mprox_resolver_learn(struct mprox_datapath *dp, const struct mprox_pkt *p,
			  const u8 *msg, size_t len);

/*
 * The app's UDP datagram @skb (parsed into @p, not consumed) could not go
 * through the proxy: when it is one of the resolver's queries that went
 * on to its server, answer it REFUSED, as a server that does not recurse
 * would, and return true; false when it is not the resolver's (the caller
 * answers with ICMP). @task: from process context rather than xmit.
 */
bool mprox_resolver_refuse(struct mprox_datapath *dp, const struct sk_buff *skb,
			   const struct mprox_pkt *p, bool task);

#endif /* _MPROX_RESOLVER_H */
