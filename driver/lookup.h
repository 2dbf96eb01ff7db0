/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A name's address, asked of "dns server" straight from the kernel: for a
 * connection that a rule sends "direct" to a destination known only by
 * name (a fake-IP pool's address, fakeip.h), which has no proxy to
 * resolve it.
 *
 * Like the handshake (handshake.h), a state machine that never waits: the
 * owner (conn.c) makes the socket, takes over its callbacks and runs
 * mprox_lookup_advance() from its work whenever the socket has news or the
 * time mprox_lookup_next_deadline() gives comes. Each call reads what
 * arrived and sends the query again when it is due, as a stub resolver
 * does (once a second, then every two, then four), until the deadline.
 *
 * Only the response to the query asked is taken (its id and question,
 * dns.h), from the one address the socket is connected to; anything else
 * that reaches the socket is passed over, so that a late or malformed
 * answer cannot end the lookup, only make it wait, and a forged one must
 * guess the socket's port and the query's id. An ICMP port unreachable
 * (the socket's port to guess) ends it, as it does a stub resolver's
 * query. The address is the first of the query's type along the answer's
 * CNAME chain.
 *
 * Answers are kept in the device's DNS cache (dnscache.h) for their TTL,
 * keyed by the server and the question as direct ones: the next lookup
 * of the name asks no one until then. The cache's own rules hold: only
 * an answer it was told to expect (the query's id, to the socket's port)
 * within MPROX_DNS_CACHE_PENDING_TIME of the first send is kept (a later
 * one is still taken, not kept), "dns_cache_size" bounds it, a TTL of 0
 * keeps nothing, and NXDOMAIN or NODATA are not kept.
 */
#ifndef _MPROX_LOOKUP_H
#define _MPROX_LOOKUP_H

#include <linux/net.h>
#include <linux/types.h>

#include "codec.h"
#include "dns.h"
#include "dnscache.h"
#include "parse.h"

/* UDP without EDNS: a server cuts its response to 512 bytes (RFC 1035 4.2.1). */
#define MPROX_LOOKUP_MSG_MAX	512

enum mprox_lookup_status {
	MPROX_LOOKUP_PENDING,	/* waiting for the socket or the next send */
	MPROX_LOOKUP_FOUND,	/* the address is in ->addr */
	MPROX_LOOKUP_FAILED,	/* ->result says why */
};

struct mprox_lookup {
	struct mprox_dns_query q;
	/* jiffies: give up then; send the query again then. */
	unsigned long deadline;
	unsigned long resend;
	unsigned int sent;
	/* The last advance() left datagrams unread: run it again at once. */
	bool more;
	/* FOUND: 4 bytes (an A query) or 16 (AAAA), network byte order. */
	u8 addr[16];
	enum mprox_connect_result result;
	/* NULL: no caching (dns_cache_size 0); else its bound and our key. */
	struct mprox_dns_cache *cache;
	u32 cache_max;
	/* FOUND: the answer was kept in the cache. */
	bool stored;
	struct mprox_dns_cache_key key;
	u8 buf[MPROX_LOOKUP_MSG_MAX];
};

/*
 * A UDP socket in @net connected to @server (a "dns server"), carrying
 * @mark like the engine's other sockets and registered as the driver's
 * own (ownsock.h), in *@sockp. 0, or a negative errno with *@sockp NULL:
 *   -EDESTADDRREQ  no server is configured (@server->family 0)
 *   -ELOOP         the route to it goes through an mprox device
 *   another        the socket or its connect failed (no route among them)
 */
int mprox_lookup_socket(struct net *net, const struct mprox_probe_target *server,
			u32 mark, struct socket **sockp);

/*
 * Ready @l to ask for @name (@len bytes) of @qtype (A or AAAA) until
 * @deadline (jiffies); the first advance() sends the query.
 */
void mprox_lookup_begin(struct mprox_lookup *l, const char *name, u8 len,
			u16 qtype, unsigned long deadline);

/*
 * After begin(): the answer for @server in @cache (at most @max answers;
 * 0 or a NULL @cache: none is kept), which later advance() calls store
 * their answer in, negative ones (NXDOMAIN, NODATA) for their SOA's
 * time. FOUND (->addr set) or FAILED (->result set) when the cache had
 * the answer, and no socket is needed; PENDING when the server is to be
 * asked.
 */
enum mprox_lookup_status mprox_lookup_cached(struct mprox_lookup *l,
					     struct mprox_dns_cache *cache,
					     const struct mprox_probe_target *server,
					     u32 max);

struct mprox_datapath;

/*
 * What a direct flow of @dp does to look up @name (@len bytes), of the
 * app's @family (A for IPv4, AAAA for IPv6), until @deadline: begin(),
 * then the device's cache, then a socket marked @mark to its "dns server"
 * in *@sockp, for the owner to watch and advance() on (PENDING). FOUND
 * or FAILED (->result set, *@sockp NULL) when the cache had the answer or
 * no socket could be made: no server (NET_UNREACH, a line in the log), a
 * route to it through an mprox device (LOOP, logged). Counted in the
 * device's lookups and cache_hits. Process context.
 */
enum mprox_lookup_status mprox_lookup_start(struct mprox_lookup *l,
					    struct mprox_datapath *dp,
					    const char *name, u8 len, u16 family,
					    unsigned long deadline, u32 mark,
					    struct socket **sockp);

/* Do what can be done now on @sock; see above. Process context. */
enum mprox_lookup_status mprox_lookup_advance(struct mprox_lookup *l,
					      struct socket *sock);

/* When to call advance() again if the socket says nothing (jiffies). */
unsigned long mprox_lookup_next_deadline(const struct mprox_lookup *l);

#endif /* _MPROX_LOOKUP_H */
