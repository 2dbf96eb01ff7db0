/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A datagram of the app's turned, in place, into one from a UDP socket of
 * the driver's own: the app's IP and UDP headers off, the caller's header
 * (SOCKS5's, RFC 1928 section 7) and the socket's UDP and IP headers on,
 * out through the route a connected socket has cached (to a proxy's
 * relay), or one looked up for the datagram's destination (direct). It runs
 * from xmit, so a datagram costs neither a copy nor a trip through a
 * worker. What it cannot do at once (no cached route, a GSO packet) it
 * leaves to the caller, whose slow path sends through the socket and so
 * also refreshes the route.
 *
 * The datagram is charged to the socket (its sndbuf bounds what waits in
 * the stack) and carries the socket's mark, priority and TOS, as one sent
 * through the socket would: the driver's loop checks (datapath.c) know it
 * as the driver's own.
 */
#ifndef _MPROX_ENCAP_H
#define _MPROX_ENCAP_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct sock;
union mprox_addr;

/*
 * @skb's first @strip bytes (the app's IP and UDP headers) replaced by the
 * @hlen bytes at @hdr, sent to @sk's peer from @sk's address. @sk is a
 * connected UDP socket, held by the caller. Returns -EAGAIN with @skb
 * untouched when only the slow path can send it; otherwise @skb is
 * consumed: 0 when it went to the IP layer, -ENOBUFS when @sk's sndbuf is
 * full, -EMSGSIZE when it would not fit one datagram, another negative
 * errno when it was dropped on the way out.
 */
int mprox_encap_xmit(struct sock *sk, struct sk_buff *skb, unsigned int strip,
		     const u8 *hdr, unsigned int hlen);

/*
 * The same with no header of the caller's, from an unconnected (but
 * bound) UDP socket @sk to @daddr (of @sk's family) port @dport: the route
 * is looked up for each datagram, as udp_sendmsg() does for such a
 * socket. Returns as mprox_encap_xmit(); the route lookup's error, with
 * @skb consumed, when there is no route.
 */
int mprox_encap_xmit_to(struct sock *sk, struct sk_buff *skb,
			unsigned int strip, const union mprox_addr *daddr,
			__be16 dport);

#endif /* _MPROX_ENCAP_H */
