/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the app gets when its connection cannot be made: the answer a
 * direct connection would have got from the destination or a router on
 * the way (docs/upstreams.md, "What your application sees").
 */
#ifndef _MPROX_REPLY_H
#define _MPROX_REPLY_H

#include <linux/skbuff.h>

#include "packet.h"

enum mprox_reply_kind {
	MPROX_REPLY_RST,		/* TCP RST|ACK from D:P */
	MPROX_REPLY_NET_UNREACH,	/* ICMP(v6) destination unreachable */
	MPROX_REPLY_HOST_UNREACH,
	MPROX_REPLY_ADMIN_PROHIBITED,
	MPROX_REPLY_PORT_UNREACH,
	MPROX_REPLY_PROTO_UNREACH,	/* ICMPv6: parameter problem, next header */
	MPROX_REPLY_TIME_EXCEEDED,	/* ICMP(v6) time exceeded in transit */
};

/*
 * Build the reply of @kind to the app's packet @skb, parsed into @p
 * (MPROX_PKT_OK, or MPROX_PKT_UNSUPPORTED_PROTO for ICMP kinds), as an IP
 * packet from the packet's destination to its source, with every checksum
 * computed. @skb is not changed. Returns the new skb (network header at
 * data) or NULL: out of memory, or nothing to answer (a RST is never
 * answered with a RST, nor an ICMP error with an ICMP error, nor a packet
 * to a group or broadcast address or from none of one host). Any context
 * but hard IRQ.
 */
struct sk_buff *mprox_reply_build(const struct sk_buff *skb,
				  const struct mprox_pkt *p,
				  enum mprox_reply_kind kind);

/*
 * A UDP datagram from the destination of the app's datagram @p to its
 * source (ports swapped), with room for @room bytes of payload at
 * *@payload, which the caller writes, then seals with
 * mprox_reply_udp_seal(). NULL when out of memory. Any context but hard
 * IRQ.
 */
struct sk_buff *mprox_reply_udp(const struct mprox_pkt *p, unsigned int room, u8 **payload);

/* The payload is @len bytes (at most the room): lengths and checksums. */
void mprox_reply_udp_seal(struct sk_buff *skb, const struct mprox_pkt *p, unsigned int len);

#endif /* _MPROX_REPLY_H */
