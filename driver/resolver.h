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
 * data, so that they go by the address; every other question is REFUSED,
 * since forwarding to "dns server" through the proxy is not there yet; a
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
	MPROX_DNS_STAT_QUERY_OTHER,	/* another type or class: REFUSED */
	MPROX_DNS_STAT_FAKE_ANSWERS,	/* answered with a pool's address */
	MPROX_DNS_STAT_NODATA,		/* no pool of the question's family */
	MPROX_DNS_STAT_REFUSED,
	MPROX_DNS_STAT_FORMERR,
	MPROX_DNS_STAT_NOTIMP,
	MPROX_DNS_STAT_SERVFAIL,	/* out of memory for a new name */
	/* SERVFAIL too: every address of the pool used within 2 TTLs. */
	MPROX_DNS_STAT_POOL_FULL,
	MPROX_DNS_STAT_DROPPED,		/* no header, or a response */
	/* A connection to a pool address that no name has: host unreachable. */
	MPROX_DNS_STAT_UNKNOWN_ADDR,
	MPROX_DNS_STAT_COUNT
};

/*
 * From xmit, for the app's UDP datagram @skb parsed into @p: when it is a
 * query for the resolver, answer it and consume @skb (true); else leave
 * it (false).
 */
bool mprox_resolver_xmit(struct mprox_datapath *dp, struct sk_buff *skb,
			 const struct mprox_pkt *p);

#endif /* _MPROX_RESOLVER_H */
