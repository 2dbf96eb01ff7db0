// SPDX-License-Identifier: GPL-2.0
/*
 * TCP resets and ICMP errors for the app; see reply.h.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>

#include "reply.h"

/* How much of the offending packet an ICMP error quotes (RFC 1812, 4443). */
#define MPROX_ICMP_QUOTE_MAX	(576 - 20 - 8)
#define MPROX_ICMPV6_QUOTE_MAX	(1280 - 40 - 8)
#define MPROX_REPLY_TTL		64

/* A fresh packet from the app's destination back to the app. */
static struct sk_buff *mprox_reply_alloc(const struct mprox_pkt *p, u8 proto,
					 unsigned int thlen)
{
	unsigned int nhlen = p->family == AF_INET6 ? sizeof(struct ipv6hdr) :
						     sizeof(struct iphdr);
	struct sk_buff *skb;

	skb = alloc_skb(LL_MAX_HEADER + nhlen + thlen, GFP_ATOMIC);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	skb_put(skb, nhlen + thlen);
	skb_set_transport_header(skb, nhlen);
	skb->ip_summed = CHECKSUM_NONE;

	if (p->family == AF_INET6) {
		struct ipv6hdr *ip6 = ipv6_hdr(skb);

		ip6_flow_hdr(ip6, 0, 0);
		ip6->payload_len = htons(thlen);
		ip6->nexthdr = proto;
		ip6->hop_limit = MPROX_REPLY_TTL;
		ip6->saddr = p->daddr.v6;
		ip6->daddr = p->saddr.v6;
	} else {
		struct iphdr *iph = ip_hdr(skb);

		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->tos = 0;
		iph->tot_len = htons(nhlen + thlen);
		iph->id = 0;
		iph->frag_off = htons(IP_DF);
		iph->ttl = MPROX_REPLY_TTL;
		iph->protocol = proto;
		iph->saddr = p->daddr.v4.s_addr;
		iph->daddr = p->saddr.v4.s_addr;
		iph->check = 0;
		iph->check = ip_fast_csum((u8 *)iph, iph->ihl);
	}
	return skb;
}

static __sum16 mprox_reply_l4_csum(const struct mprox_pkt *p, u8 proto,
				   const void *th, unsigned int len)
{
	__wsum sum = csum_partial(th, len, 0);

	if (p->family == AF_INET6)
		return csum_ipv6_magic(&p->daddr.v6, &p->saddr.v6, len, proto,
				       sum);
	return csum_tcpudp_magic(p->daddr.v4.s_addr, p->saddr.v4.s_addr, len,
				 proto, sum);
}

/* A RST from @p's destination to its source: @seq, and @ack_seq if @ack. */
static struct sk_buff *mprox_reply_tcp_rst(const struct mprox_pkt *p, u32 seq,
					   bool ack, u32 ack_seq)
{
	struct sk_buff *skb = mprox_reply_alloc(p, IPPROTO_TCP,
						sizeof(struct tcphdr));
	struct tcphdr *th;

	if (!skb)
		return NULL;
	th = tcp_hdr(skb);
	memset(th, 0, sizeof(*th));
	th->source = p->dport;
	th->dest = p->sport;
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	th->seq = htonl(seq);
	th->ack = ack;
	th->ack_seq = htonl(ack_seq);
	th->check = mprox_reply_l4_csum(p, IPPROTO_TCP, th, sizeof(*th));
	return skb;
}

struct sk_buff *mprox_reply_udp(const struct mprox_pkt *p, unsigned int room, u8 **payload)
{
	struct sk_buff *skb = mprox_reply_alloc(p, IPPROTO_UDP, sizeof(struct udphdr) + room);
	struct udphdr *uh;

	if (!skb)
		return NULL;
	/*
	 * The driver is this datagram's source: a forwarder may cut it to
	 * its next link's MTU, as the stack cuts a UDP socket's datagram,
	 * instead of dropping it (a 2 KB DNS answer to a host on a 1500
	 * byte LAN). IPv4 says so with DF clear; IPv6 has no such bit,
	 * ignore_df is what its forwarder honours (inject.c keeps it).
	 */
	skb->ignore_df = 1;
	if (p->family == AF_INET)
		ip_hdr(skb)->frag_off = 0;
	uh = udp_hdr(skb);
	uh->source = p->dport;
	uh->dest = p->sport;
	*payload = (u8 *)(uh + 1);
	return skb;
}

void mprox_reply_udp_seal(struct sk_buff *skb, const struct mprox_pkt *p, unsigned int len)
{
	unsigned int ulen = sizeof(struct udphdr) + len;
	struct udphdr *uh = udp_hdr(skb);

	skb_trim(skb, skb_transport_offset(skb) + ulen);
	if (p->family == AF_INET6) {
		ipv6_hdr(skb)->payload_len = htons(ulen);
	} else {
		struct iphdr *iph = ip_hdr(skb);

		iph->tot_len = htons(skb->len);
		iph->check = 0;
		iph->check = ip_fast_csum((u8 *)iph, iph->ihl);
	}
	uh->len = htons(ulen);
	uh->check = 0;
	uh->check = mprox_reply_l4_csum(p, IPPROTO_UDP, uh, ulen);
	/* 0 says "no checksum", which IPv6 does not allow (RFC 8200 8.1). */
	if (!uh->check)
		uh->check = CSUM_MANGLED_0;
}

/* RFC 9293 3.10.7.1: the reset a closed port sends. */
static struct sk_buff *mprox_reply_rst(const struct sk_buff *in,
				       const struct mprox_pkt *p)
{
	unsigned int off = skb_network_offset(in) + p->thoff;
	const struct tcphdr *oth;
	struct tcphdr _th;

	oth = skb_header_pointer(in, off, sizeof(_th), &_th);
	if (!oth || oth->rst)
		return NULL;
	if (oth->ack)
		return mprox_reply_tcp_rst(p, ntohl(oth->ack_seq), false, 0);
	return mprox_reply_tcp_rst(p, 0, true, ntohl(oth->seq) + p->payload_len +
				   oth->syn + oth->fin);
}

static bool mprox_reply_is_icmp_error(const struct sk_buff *in,
				      const struct mprox_pkt *p)
{
	unsigned int off = skb_network_offset(in) + p->thoff;
	u8 _type;
	const u8 *type;

	if (p->proto != (p->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP))
		return false;
	type = skb_header_pointer(in, off, 1, &_type);
	if (!type)
		return true;	/* cannot tell: do not answer */
	if (p->family == AF_INET6)
		return !(*type & ICMPV6_INFOMSG_MASK);
	return *type != ICMP_ECHO && *type != ICMP_TIMESTAMP;
}

static void mprox_reply_icmp_code(const struct mprox_pkt *p,
				  enum mprox_reply_kind kind, u8 *type,
				  u8 *code, u32 *info)
{
	bool v6 = p->family == AF_INET6;

	*info = 0;
	switch (kind) {
	case MPROX_REPLY_NET_UNREACH:
		*type = v6 ? ICMPV6_DEST_UNREACH : ICMP_DEST_UNREACH;
		*code = v6 ? ICMPV6_NOROUTE : ICMP_NET_UNREACH;
		break;
	case MPROX_REPLY_ADMIN_PROHIBITED:
		*type = v6 ? ICMPV6_DEST_UNREACH : ICMP_DEST_UNREACH;
		*code = v6 ? ICMPV6_ADM_PROHIBITED : ICMP_PKT_FILTERED;
		break;
	case MPROX_REPLY_PORT_UNREACH:
		*type = v6 ? ICMPV6_DEST_UNREACH : ICMP_DEST_UNREACH;
		*code = v6 ? ICMPV6_PORT_UNREACH : ICMP_PORT_UNREACH;
		break;
	case MPROX_REPLY_PROTO_UNREACH:
		if (v6) {
			/*
			 * The pointer names the Next Header field that holds
			 * the protocol: the last extension header's, if any.
			 */
			*type = ICMPV6_PARAMPROB;
			*code = ICMPV6_UNK_NEXTHDR;
			*info = p->nhoff;
		} else {
			*type = ICMP_DEST_UNREACH;
			*code = ICMP_PROT_UNREACH;
		}
		break;
	case MPROX_REPLY_TIME_EXCEEDED:
		*type = v6 ? ICMPV6_TIME_EXCEED : ICMP_TIME_EXCEEDED;
		*code = v6 ? ICMPV6_EXC_HOPLIMIT : ICMP_EXC_TTL;
		break;
	case MPROX_REPLY_HOST_UNREACH:
	default:
		*type = v6 ? ICMPV6_DEST_UNREACH : ICMP_DEST_UNREACH;
		*code = v6 ? ICMPV6_ADDR_UNREACH : ICMP_HOST_UNREACH;
		break;
	}
}

static struct sk_buff *mprox_reply_icmp(const struct sk_buff *in,
					const struct mprox_pkt *p,
					enum mprox_reply_kind kind)
{
	bool v6 = p->family == AF_INET6;
	unsigned int quote, hlen = sizeof(struct icmphdr);
	struct sk_buff *skb;
	u8 type, code, proto;
	u32 info;
	u8 *h;

	if (mprox_reply_is_icmp_error(in, p))
		return NULL;
	quote = min_t(unsigned int, p->len,
		      v6 ? MPROX_ICMPV6_QUOTE_MAX : MPROX_ICMP_QUOTE_MAX);
	quote = min_t(unsigned int, quote, in->len - skb_network_offset(in));
	proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	skb = mprox_reply_alloc(p, proto, hlen + quote);
	if (!skb)
		return NULL;
	h = skb_transport_header(skb);
	if (skb_copy_bits(in, skb_network_offset(in), h + hlen, quote)) {
		kfree_skb(skb);
		return NULL;
	}
	mprox_reply_icmp_code(p, kind, &type, &code, &info);
	/* ICMP and ICMPv6 share this layout: type, code, checksum, 4 bytes. */
	h[0] = type;
	h[1] = code;
	put_unaligned_be16(0, h + 2);
	put_unaligned_be32(info, h + 4);
	if (v6) {
		put_unaligned((__force u16)mprox_reply_l4_csum(p, proto, h,
							       hlen + quote),
			      (u16 *)(h + 2));
	} else {
		put_unaligned((__force u16)csum_fold(csum_partial(h,
								  hlen + quote,
								  0)),
			      (u16 *)(h + 2));
	}
	return skb;
}

/*
 * RFC 1122 3.2.2 and 4.2.2.13, RFC 4443 2.4 (e): nothing answers a packet
 * sent to a multicast or broadcast address, or from an address that is no
 * one host's. Such an answer would come from a group (the IPv6 stack
 * drops that, a router's solicitation going out on the device is one), or
 * go to a group or to nobody.
 */
static bool mprox_reply_not_to_one_host(const struct mprox_pkt *p)
{
	__be32 s4 = p->saddr.v4.s_addr, d4 = p->daddr.v4.s_addr;

	if (p->family == AF_INET6)
		return ipv6_addr_is_multicast(&p->daddr.v6) ||
		       ipv6_addr_is_multicast(&p->saddr.v6) ||
		       ipv6_addr_any(&p->saddr.v6);
	return ipv4_is_multicast(d4) || ipv4_is_lbcast(d4) ||
	       ipv4_is_multicast(s4) || ipv4_is_lbcast(s4) ||
	       ipv4_is_zeronet(s4);
}

struct sk_buff *mprox_reply_build(const struct sk_buff *skb,
				  const struct mprox_pkt *p,
				  enum mprox_reply_kind kind)
{
	if (mprox_reply_not_to_one_host(p))
		return NULL;
	if (kind == MPROX_REPLY_RST)
		return p->proto == IPPROTO_TCP ? mprox_reply_rst(skb, p) : NULL;
	return mprox_reply_icmp(skb, p, kind);
}
