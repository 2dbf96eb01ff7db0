// SPDX-License-Identifier: GPL-2.0
/*
 * The app's datagram as the relay socket's, from xmit; see encap.h.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/udp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/udp.h>

#include "encap.h"

/* The largest UDP length; the IPv4 header must fit beside it in 64 KiB. */
static unsigned int mprox_encap_udp_max(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? 65535 : 65535 - sizeof(struct iphdr);
}

static int mprox_encap_out4(struct sock *sk, struct sk_buff *skb,
			    struct dst_entry *dst)
{
	struct inet_sock *inet = inet_sk(sk);
	int ttl = READ_ONCE(inet->uc_ttl);
	struct iphdr *iph;

	udp_set_csum(sk->sk_no_check_tx, skb, inet->inet_saddr,
		     inet->inet_daddr, skb->len);
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = READ_ONCE(inet->tos);
	iph->ttl = ttl < 0 ? ip4_dst_hoplimit(dst) : ttl;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = inet->inet_saddr;
	iph->daddr = inet->inet_daddr;
	/*
	 * As udp_sendmsg() would: DF while the datagram fits the path, so
	 * that the socket learns the path's MTU; fragments when it does not.
	 */
	if (ip_dont_fragment(sk, dst) && skb->len <= dst_mtu(dst)) {
		iph->frag_off = htons(IP_DF);
	} else {
		iph->frag_off = 0;
		skb->ignore_df = 1;
	}
	ip_select_ident(sock_net(sk), skb, sk);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	/* Length, header checksum and protocol: __ip_local_out(). */
	return ip_local_out(sock_net(sk), sk, skb);
}

static int mprox_encap_out6(struct sock *sk, struct sk_buff *skb,
			    struct dst_entry *dst)
{
	struct ipv6_pinfo *np = inet6_sk(sk);
	int hop = np->hop_limit;
	struct ipv6hdr *ip6h;

	udp6_set_csum(udp_get_no_check6_tx(sk), skb, &sk->sk_v6_rcv_saddr,
		      &sk->sk_v6_daddr, skb->len);
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, np->tclass, 0);
	ip6h->nexthdr = IPPROTO_UDP;
	ip6h->hop_limit = hop < 0 ? ip6_dst_hoplimit(dst) : hop;
	ip6h->saddr = sk->sk_v6_rcv_saddr;
	ip6h->daddr = sk->sk_v6_daddr;
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	/* A datagram bigger than the path leaves in fragments, as udpv6's. */
	skb->ignore_df = 1;
	/* Payload length and protocol: __ip6_local_out(). */
	return ip6_local_out(sock_net(sk), sk, skb);
}

int mprox_encap_xmit(struct sock *sk, struct sk_buff *skb, unsigned int strip,
		     const u8 *hdr, unsigned int hlen)
{
	unsigned int len, room;
	struct dst_entry *dst;
	struct udphdr *uh;
	u32 cookie = 0;
	int err;

	if (skb_is_gso(skb) || skb->len < strip)
		return -EAGAIN;
	if (sk->sk_family == AF_INET6)
		cookie = inet6_sk(sk)->dst_cookie;
	dst = sk_dst_check(sk, cookie);
	if (!dst)
		return -EAGAIN;

	len = skb->len - strip + hlen + sizeof(*uh);
	if (len > mprox_encap_udp_max(sk)) {
		err = -EMSGSIZE;
		goto drop;
	}
	if (refcount_read(&sk->sk_wmem_alloc) > READ_ONCE(sk->sk_sndbuf)) {
		err = -ENOBUFS;
		goto drop;
	}
	room = LL_RESERVED_SPACE(dst->dev) + dst->header_len + hlen +
	       sizeof(*uh) + (sk->sk_family == AF_INET6 ?
			      sizeof(struct ipv6hdr) : sizeof(struct iphdr));
	/*
	 * The app's checksum state is about the UDP header that goes: the
	 * new one's is set up below, over everything after it.
	 */
	skb->ip_summed = CHECKSUM_NONE;
	__skb_pull(skb, strip);
	err = skb_cow_head(skb, room);
	if (err)
		goto drop;
	memcpy(skb_push(skb, hlen), hdr, hlen);
	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = inet_sk(sk)->inet_sport;
	uh->dest = inet_sk(sk)->inet_dport;
	uh->len = htons(len);
	uh->check = 0;

	/* Nothing of the app's path stays: its route, conntrack, owner. */
	skb_scrub_packet(skb, true);
	skb_orphan(skb);
	skb_set_owner_w(skb, sk);
	skb->mark = READ_ONCE(sk->sk_mark);
	skb->priority = READ_ONCE(sk->sk_priority);
	skb->encapsulation = 0;
	skb_dst_set(skb, dst);

	if (sk->sk_family == AF_INET6)
		err = mprox_encap_out6(sk, skb, dst);
	else
		err = mprox_encap_out4(sk, skb, dst);
	return net_xmit_eval(err) ? -ENOBUFS : 0;

drop:
	dst_release(dst);
	kfree_skb(skb);
	return err;
}
