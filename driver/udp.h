/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The UDP half of the packet path: the app's datagrams that xmit got and
 * the resolver did not answer, each to the association of its socket
 * (assoc.h), made on the first datagram.
 *
 * An association is a flow whose app key is the socket's (family,
 * source address and port) with the destination zero: one per socket,
 * whatever it sends to, as the proxy's relay sees it. The rules and the
 * choice of upstream are made for the first datagram's destination; the
 * socket's later destinations go the same way. An upstream without UDP
 * (HTTP CONNECT, SOCKS4, direct) gets ICMP port unreachable at once, so
 * that QUIC and other UDP clients fall back to TCP.
 */
#ifndef _MPROX_UDP_H
#define _MPROX_UDP_H

#include <linux/skbuff.h>

#include "packet.h"

struct mprox_datapath;

/* xmit, with @skb parsed into @p (UDP, MPROX_PKT_OK). Consumes @skb. */
void mprox_udp_xmit(struct mprox_datapath *dp, struct sk_buff *skb,
		    const struct mprox_pkt *p);

#endif /* _MPROX_UDP_H */
