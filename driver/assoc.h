/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One UDP association: the datagrams of one application socket (its
 * family, source address and port) through a SOCKS5 proxy's UDP relay
 * (RFC 1928 section 7), to any number of destinations.
 *
 *   app's datagrams  --xmit-->  as the kernel UDP socket's, in place
 *                                   --> the proxy's relay
 *                    (held, or with no route cached: txq --work--> socket)
 *   the relay's      --work-->  decapsulated, checked, injected as
 *                               IP/UDP from the destination to the app
 *
 * For DNS through an upstream without UDP, an association can be a
 * stream instead (mprox_assoc_use_stream()): no relay, its one TCP
 * connection goes through the proxy to the DNS server and carries the
 * queries and answers.
 *
 * The association's TCP control connection to the proxy is opened and
 * negotiated by the connection engine (handshake.h, UDP ASSOCIATE) and
 * held: its close ends the association. Until the proxy grants it, the
 * first datagrams wait in txq (at most MPROX_ASSOC_HELD); a refusal
 * answers each with the owner's refuse() (ICMP port unreachable).
 *
 * Everything but the queueing runs in the association's work on the
 * device's queue, so socket calls on one association are never
 * concurrent; the sockets' callbacks, xmit and the flow table's kill only
 * kick it. Like a connection (conn.h), an association is the @priv of
 * its flow, holds one reference to it until teardown, and is freed by the
 * flow table's release callback.
 */
#ifndef _MPROX_ASSOC_H
#define _MPROX_ASSOC_H

#include <linux/skbuff.h>
#include <linux/types.h>

#include "reply.h"

struct mprox_assoc;
struct mprox_datapath;
struct mprox_trial;
struct mprox_flow;
struct mprox_pkt;
struct mprox_upstream;

/* Datagrams held while the proxy has not answered yet. */
#define MPROX_ASSOC_HELD	64
/* Datagrams queued for the relay once it has: the rest are dropped. */
#define MPROX_ASSOC_QUEUED	512

/* Why a datagram of an association was dropped; the names are JSON keys. */
enum mprox_udp_stat {
	MPROX_UDP_ASSOCIATIONS,		/* granted by the proxy */
	MPROX_UDP_REFUSED,		/* refused, or failed before granted */
	MPROX_UDP_NO_UDP,		/* the upstream has no UDP: port unreachable */
	MPROX_UDP_DATAGRAMS_UP,
	MPROX_UDP_DATAGRAMS_DOWN,
	/*
	 * Of datagrams_up, those that waited for the work (held before the
	 * grant, behind others, or with no route cached) instead of going
	 * from xmit at once.
	 */
	MPROX_UDP_DATAGRAMS_QUEUED,
	MPROX_UDP_BYTES_UP,
	MPROX_UDP_BYTES_DOWN,
	MPROX_UDP_DROPPED_FRAGMENT,	/* from the relay with FRAG != 0 */
	MPROX_UDP_DROPPED_MALFORMED,	/* from the relay, a header that is not one */
	MPROX_UDP_DROPPED_FOREIGN,	/* from a source the app never sent to */
	MPROX_UDP_DROPPED_QUEUE,	/* held or queued over the bound */
	MPROX_UDP_DROPPED_TOO_BIG,	/* no room for the header in 64 KiB */
	MPROX_UDP_DROPPED_SEND,		/* the relay socket refused it */
	/* To a fake-IP pool address that stands for no name (any more). */
	MPROX_UDP_DROPPED_NO_NAME,
	/* DNS over TCP connections made for sockets (mprox_assoc_use_stream()). */
	MPROX_UDP_DNS_STREAMS,
	/* ICMP errors that datagrams sent direct met, passed on to the app. */
	MPROX_UDP_ICMP_ERRORS,
	MPROX_UDP_STAT_COUNT
};

const char *mprox_udp_stat_name(enum mprox_udp_stat s);

/*
 * What an association tells the packet path that made it (udp.c): the
 * engine reports up through this, it never calls into the layers above.
 */
struct mprox_assoc_ops {
	/*
	 * The proxy refused the association, or it failed before the proxy
	 * granted it: answer the app's datagram @skb (which this does not
	 * consume) with @kind. Process context.
	 */
	void (*refuse)(struct mprox_datapath *dp, struct sk_buff *skb,
		       enum mprox_reply_kind kind);
	/*
	 * The proxy turned the association down as having no UDP: whether
	 * the datagram @p, held first, may go over TCP instead (a DNS
	 * query; mprox_assoc_use_stream()). Process context.
	 */
	bool (*over_tcp)(struct mprox_datapath *dp, const struct mprox_pkt *p);
	/*
	 * A datagram for the app from @p's destination (@p as the app's
	 * datagram to it would be), @len bytes at @payload, about to be
	 * delivered: the owner may look (a DNS answer to cache). Process
	 * context.
	 */
	void (*answer)(struct mprox_datapath *dp, const struct mprox_pkt *p,
		       const u8 *payload, size_t len);
};

/*
 * From xmit (GFP_ATOMIC): an association through @up, a reference taken,
 * and over @trial, the trial of a down @up it may hold (choice.h).
 */
struct mprox_assoc *mprox_assoc_alloc(struct mprox_datapath *dp,
				      struct mprox_upstream *up,
				      const struct mprox_trial *trial,
				      const struct mprox_assoc_ops *ops,
				      gfp_t gfp);
/*
 * Before start, for an upstream without UDP: @a carries the app's DNS
 * queries (its first datagram parsed into @p) over TCP instead, RFC 1035
 * section 4.2.2's framing on a connection through the proxy to @p's
 * destination; the answers come back as datagrams from there. Datagrams
 * to any other destination are refused. The server's close ends it.
 */
void mprox_assoc_use_stream(struct mprox_assoc *a, const struct mprox_pkt *p);

/* The flow could not be made: free @a, which was never started. */
void mprox_assoc_free_unused(struct mprox_assoc *a);
/*
 * @f (whose app key is the socket's, destination zero) was made for @a,
 * with the create's reference, which @a keeps: negotiate with the proxy.
 */
void mprox_assoc_start(struct mprox_assoc *a, struct mprox_flow *f);

/*
 * From xmit: the app's datagram @skb (network header at data, parsed into
 * @p: UDP), to go to the relay. Once the association is open and nothing
 * waits before it, it goes at once (encap.h); else it waits in txq for
 * the work. Consumes @skb; false when it was dropped (counted).
 */
bool mprox_assoc_queue(struct mprox_assoc *a, struct sk_buff *skb,
		       const struct mprox_pkt *p);

/* The flow table's callbacks (flow.h) for a UDP flow. */
void mprox_assoc_flow_killed(struct mprox_flow *f);
void mprox_assoc_flow_release(struct mprox_flow *f);
const char *mprox_assoc_upstream_name(struct mprox_flow *f);

#endif /* _MPROX_ASSOC_H */
