// SPDX-License-Identifier: GPL-2.0
/*
 * The packet layer of the data path: header parser, 4-tuple rewrite,
 * incremental checksums. The contract is in packet.h.
 *
 * The parser reads the headers in wire order and checks, before each read,
 * that the bytes are inside the IP packet (else TRUNCATED), then that they
 * are in the buffer (else NEED_MORE with the length it needs). Parsing a
 * prefix therefore gives NEED_MORE or the result for the whole packet,
 * which is how mprox_pkt_parse_skb() pulls exactly the headers and no
 * payload. No checksum is verified: the stack built the packets the device
 * is handed, and the rewrite keeps whatever checksum they carry.
 *
 * The parser builds in the kernel and, with tests/shim/kernel_shim.h, in
 * userspace; the skb functions at the end are kernel only.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kernel.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#else
#include "kernel_shim.h"
#endif
#include "packet.h"

/* IPv6 next header values the parser walks or stops at (RFC 8200). */
#define MPROX_NEXTHDR_HOP	0
#define MPROX_NEXTHDR_ROUTING	43
#define MPROX_NEXTHDR_FRAGMENT	44
#define MPROX_NEXTHDR_DEST	60

/* IPv4 options the parser tells apart (RFC 791). */
#define MPROX_IPOPT_END		0
#define MPROX_IPOPT_NOOP	1
#define MPROX_IPOPT_LSRR	131
#define MPROX_IPOPT_SSRR	137

#define MPROX_IPV4_HDR_MIN	20
#define MPROX_IPV6_HDR_LEN	40
#define MPROX_TCP_HDR_MIN	20
#define MPROX_UDP_HDR_LEN	8
/* IPv4 flags and fragment offset field: MF and the offset. */
#define MPROX_IPV4_MF_OFFSET	0x3fff

static const char * const mprox_pkt_verdict_names[MPROX_PKT_VERDICT_COUNT] = {
	[MPROX_PKT_OK] = "ok",
	[MPROX_PKT_NEED_MORE] = "need more",
	[MPROX_PKT_TRUNCATED] = "truncated",
	[MPROX_PKT_BAD_VERSION] = "bad version",
	[MPROX_PKT_BAD_IHL] = "bad IHL",
	[MPROX_PKT_BAD_IP_OPTION] = "bad IPv4 option",
	[MPROX_PKT_SOURCE_ROUTE] = "IPv4 source route",
	[MPROX_PKT_BAD_LENGTH] = "bad length",
	[MPROX_PKT_FRAGMENT] = "fragment",
	[MPROX_PKT_BAD_EXT_HDR] = "bad extension header",
	[MPROX_PKT_EXT_HDR_LIMIT] = "extension header limit",
	[MPROX_PKT_BAD_TCP_DOFF] = "bad TCP data offset",
	[MPROX_PKT_BAD_UDP_LEN] = "bad UDP length",
	[MPROX_PKT_UNSUPPORTED_PROTO] = "unsupported protocol",
};

const char *mprox_pkt_verdict_name(int verdict)
{
	if (verdict < 0 || verdict >= MPROX_PKT_VERDICT_COUNT)
		return "?";
	return mprox_pkt_verdict_names[verdict];
}

static u16 get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

/*
 * May the parser read bytes [0, @end)? Not when the packet ends before
 * (@limit: the data, or the IP packet once its length is known), nor yet
 * when the buffer (@len) does.
 */
static int mprox_pkt_want(struct mprox_pkt *p, size_t end, size_t limit, size_t len)
{
	if (end > limit)
		return MPROX_PKT_TRUNCATED;
	if (end > len) {
		p->need = end;
		return MPROX_PKT_NEED_MORE;
	}
	return MPROX_PKT_OK;
}

/* The transport header at p->thoff, inside the IP packet (p->len). */
static int mprox_pkt_parse_l4(const u8 *buf, size_t len, struct mprox_pkt *p)
{
	const u8 *th = buf + p->thoff;
	unsigned int ulen, doff;
	int ret;

	switch (p->proto) {
	case IPPROTO_TCP:
		ret = mprox_pkt_want(p, p->thoff + MPROX_TCP_HDR_MIN, p->len, len);
		if (ret)
			return ret;
		doff = (th[12] >> 4) * 4;
		if (doff < MPROX_TCP_HDR_MIN)
			return MPROX_PKT_BAD_TCP_DOFF;
		ret = mprox_pkt_want(p, p->thoff + doff, p->len, len);
		if (ret)
			return ret;
		p->thlen = doff;
		p->tcp_flags = th[13];
		p->payload_len = p->len - p->thoff - doff;
		break;
	case IPPROTO_UDP:
		ret = mprox_pkt_want(p, p->thoff + MPROX_UDP_HDR_LEN, p->len, len);
		if (ret)
			return ret;
		ulen = get16(th + 4);
		if (ulen < MPROX_UDP_HDR_LEN || ulen > p->len - p->thoff)
			return MPROX_PKT_BAD_UDP_LEN;
		p->thlen = MPROX_UDP_HDR_LEN;
		p->payload_len = ulen - MPROX_UDP_HDR_LEN;
		break;
	default:
		return MPROX_PKT_UNSUPPORTED_PROTO;
	}
	memcpy(&p->sport, th, sizeof(p->sport));
	memcpy(&p->dport, th + 2, sizeof(p->dport));
	return MPROX_PKT_OK;
}

/*
 * The options of the IPv4 header at @buf, bytes 20 to @ihl, all in the
 * buffer. EOL ends the list and NOP is one byte; every other option has a
 * length byte, counting the type and itself, that must keep it inside the
 * header. A source route makes the destination address the first hop:
 * the proxy would be asked for that hop, not for the destination, so the
 * packet is refused whatever else it carries.
 */
static int mprox_pkt_parse_v4_opts(const u8 *buf, unsigned int ihl)
{
	unsigned int off = MPROX_IPV4_HDR_MIN, olen;

	while (off < ihl) {
		if (buf[off] == MPROX_IPOPT_END)
			break;
		if (buf[off] == MPROX_IPOPT_NOOP) {
			off++;
			continue;
		}
		if (off + 2 > ihl)
			return MPROX_PKT_BAD_IP_OPTION;
		olen = buf[off + 1];
		if (olen < 2 || off + olen > ihl)
			return MPROX_PKT_BAD_IP_OPTION;
		if (buf[off] == MPROX_IPOPT_LSRR || buf[off] == MPROX_IPOPT_SSRR)
			return MPROX_PKT_SOURCE_ROUTE;
		off += olen;
	}
	return MPROX_PKT_OK;
}

static int mprox_pkt_parse_v4(const u8 *buf, size_t len, size_t pkt_len, struct mprox_pkt *p)
{
	unsigned int ihl, tot_len;
	int ret;

	ret = mprox_pkt_want(p, MPROX_IPV4_HDR_MIN, pkt_len, len);
	if (ret)
		return ret;
	ihl = (buf[0] & 0xf) * 4;
	if (ihl < MPROX_IPV4_HDR_MIN)
		return MPROX_PKT_BAD_IHL;
	ret = mprox_pkt_want(p, ihl, pkt_len, len);
	if (ret)
		return ret;
	tot_len = get16(buf + 2);
	if (tot_len > pkt_len)
		return MPROX_PKT_BAD_LENGTH;
	if (tot_len < ihl)
		return MPROX_PKT_TRUNCATED;
	ret = mprox_pkt_parse_v4_opts(buf, ihl);
	if (ret)
		return ret;

	p->family = AF_INET;
	p->nhlen = ihl;
	p->thoff = ihl;
	p->len = tot_len;
	p->proto = buf[9];
	memcpy(&p->saddr.v4, buf + 12, sizeof(p->saddr.v4));
	memcpy(&p->daddr.v4, buf + 16, sizeof(p->daddr.v4));
	if (get16(buf + 6) & MPROX_IPV4_MF_OFFSET)
		return MPROX_PKT_FRAGMENT;
	return mprox_pkt_parse_l4(buf, len, p);
}

static int mprox_pkt_parse_v6(const u8 *buf, size_t len, size_t pkt_len, struct mprox_pkt *p)
{
	unsigned int off = MPROX_IPV6_HDR_LEN, nhoff = 6, hlen, count = 0;
	u8 nexthdr;
	int ret;

	ret = mprox_pkt_want(p, MPROX_IPV6_HDR_LEN, pkt_len, len);
	if (ret)
		return ret;
	hlen = get16(buf + 4);
	if (!hlen || MPROX_IPV6_HDR_LEN + hlen > pkt_len)
		return MPROX_PKT_BAD_LENGTH;

	p->family = AF_INET6;
	p->nhlen = MPROX_IPV6_HDR_LEN;
	p->len = MPROX_IPV6_HDR_LEN + hlen;
	memcpy(&p->saddr.v6, buf + 8, sizeof(p->saddr.v6));
	memcpy(&p->daddr.v6, buf + 24, sizeof(p->daddr.v6));

	/* The extension headers that may come before TCP or UDP. */
	nexthdr = buf[6];
	while (nexthdr == MPROX_NEXTHDR_HOP || nexthdr == MPROX_NEXTHDR_ROUTING ||
	       nexthdr == MPROX_NEXTHDR_DEST || nexthdr == MPROX_NEXTHDR_FRAGMENT) {
		if (nexthdr == MPROX_NEXTHDR_FRAGMENT) {
			p->proto = nexthdr;
			return MPROX_PKT_FRAGMENT;
		}
		/* Hop-by-hop options only right after the IPv6 header. */
		if (nexthdr == MPROX_NEXTHDR_HOP && off != MPROX_IPV6_HDR_LEN)
			return MPROX_PKT_BAD_EXT_HDR;
		if (++count > MPROX_PKT_EXT_MAX)
			return MPROX_PKT_EXT_HDR_LIMIT;
		ret = mprox_pkt_want(p, off + 2, p->len, len);
		if (ret)
			return ret;
		hlen = (buf[off + 1] + 1) * 8;
		if (off + hlen - MPROX_IPV6_HDR_LEN > MPROX_PKT_EXT_BYTES_MAX)
			return MPROX_PKT_EXT_HDR_LIMIT;
		ret = mprox_pkt_want(p, off + hlen, p->len, len);
		if (ret)
			return ret;
		/* Segments left: the destination is only the next hop. */
		if (nexthdr == MPROX_NEXTHDR_ROUTING && buf[off + 3])
			return MPROX_PKT_BAD_EXT_HDR;
		nexthdr = buf[off];
		nhoff = off;
		off += hlen;
	}
	p->proto = nexthdr;
	p->thoff = off;
	p->nhoff = nhoff;
	return mprox_pkt_parse_l4(buf, len, p);
}

int mprox_pkt_parse_buf(const u8 *buf, size_t len, size_t pkt_len, struct mprox_pkt *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	if (len > pkt_len)
		len = pkt_len;
	ret = mprox_pkt_want(p, 1, pkt_len, len);
	if (ret)
		return ret;
	switch (buf[0] >> 4) {
	case 4:
		return mprox_pkt_parse_v4(buf, len, pkt_len, p);
	case 6:
		return mprox_pkt_parse_v6(buf, len, pkt_len, p);
	default:
		return MPROX_PKT_BAD_VERSION;
	}
}

#ifdef __KERNEL__
int mprox_pkt_parse_skb(struct sk_buff *skb, struct mprox_pkt *p)
{
	int off = skb_network_offset(skb);
	unsigned int pkt_len, len;
	int ret;

	if (off < 0 || (unsigned int)off > skb_headlen(skb)) {
		memset(p, 0, sizeof(*p));
		return MPROX_PKT_TRUNCATED;
	}
	pkt_len = skb->len - off;
	/*
	 * Start from what is linear already; pull only when the parser asks,
	 * and only what it asks: it never asks for payload.
	 */
	len = min(pkt_len, max(skb_headlen(skb) - off, 1U));
	for (;;) {
		if (!pskb_may_pull(skb, off + len))
			return -ENOMEM;
		ret = mprox_pkt_parse_buf(skb_network_header(skb), len, pkt_len, p);
		if (ret != MPROX_PKT_NEED_MORE)
			return ret;
		/* The parser asks for more than it has, within the packet. */
		if (WARN_ON_ONCE(p->need <= len || p->need > pkt_len))
			return MPROX_PKT_TRUNCATED;
		len = p->need;
	}
}

/*
 * A port of a UDP packet without checksum: nothing in the packet follows
 * the change, so CHECKSUM_COMPLETE's sum has to.
 */
static void mprox_pkt_csum_complete_replace2(struct sk_buff *skb, __be16 from, __be16 to)
{
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->csum = csum_add(csum_sub(skb->csum, (__force __wsum)(__force u16)from),
				     (__force __wsum)(__force u16)to);
}

/*
 * As nf_nat_ipv4_manip_pkt() and l4proto_manip_pkt() (nf_nat_proto.c) do,
 * with the helpers of net/core/utils.c that act_nat uses too:
 *
 * - addresses: inet_proto_csum_replace4/16(pseudohdr = true). Not
 *   CHECKSUM_PARTIAL: the whole checksum is in the field, it takes the
 *   change. CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum
 *   that skb_checksum_help() or the NIC starts from, which takes the change
 *   too. CHECKSUM_COMPLETE: skb->csum covers the packet from the network
 *   header; the IPv4 header sums to zero before and after (its checksum
 *   is fixed alongside), so only the L4 field's change counts, and
 *   _replace4 applies it; in IPv6 the address change and the field's
 *   change cancel out, so _replace16 leaves skb->csum alone.
 * - ports: inet_proto_csum_replace2(pseudohdr = false): the field takes
 *   the change unless CHECKSUM_PARTIAL (the ports are in the range summed
 *   later); in skb->csum the port and the field cancel out.
 * - IPv4 header checksum: csum_replace4, always computed in software.
 * - UDP over IPv4 with checksum 0 (none) keeps 0; a computed checksum of
 *   0 is sent as CSUM_MANGLED_0 (RFC 768). CHECKSUM_PARTIAL is exempt
 *   from both: its field is a seed, and skb_checksum_help() mangles.
 *
 * GSO packets are CHECKSUM_PARTIAL: segmentation copies these headers to
 * every segment and finishes each checksum from the seed.
 */
int mprox_pkt_rewrite(struct sk_buff *skb, const struct mprox_pkt *p,
		      const union mprox_addr *saddr, __be16 sport,
		      const union mprox_addr *daddr, __be16 dport)
{
	int off = skb_network_offset(skb);
	unsigned int end;
	bool l4csum, udp;
	__sum16 *check;
	__be16 *ports;
	u8 *nh;

	if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return -EINVAL;
	udp = p->proto == IPPROTO_UDP;
	end = mprox_pkt_csum_off(p) + sizeof(*check);
	if (off < 0 || p->thoff + p->thlen < end || (unsigned int)off + p->len > skb->len)
		return -EINVAL;
	if (skb_ensure_writable(skb, off + end))
		return -ENOMEM;
	nh = skb_network_header(skb);
	if (nh[0] >> 4 != (p->family == AF_INET ? 4 : 6))
		return -EINVAL;
	ports = (__be16 *)(nh + p->thoff);
	check = (__sum16 *)(nh + mprox_pkt_csum_off(p));
	l4csum = !(udp && p->family == AF_INET && !*check &&
		   skb->ip_summed != CHECKSUM_PARTIAL);

	if (p->family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)nh;

		if (l4csum) {
			inet_proto_csum_replace4(check, skb, iph->saddr, saddr->v4.s_addr, true);
			inet_proto_csum_replace4(check, skb, iph->daddr, daddr->v4.s_addr, true);
		}
		csum_replace4(&iph->check, iph->saddr, saddr->v4.s_addr);
		csum_replace4(&iph->check, iph->daddr, daddr->v4.s_addr);
		iph->saddr = saddr->v4.s_addr;
		iph->daddr = daddr->v4.s_addr;
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)nh;

		if (l4csum) {
			inet_proto_csum_replace16(check, skb, ip6h->saddr.s6_addr32,
						  saddr->v6.s6_addr32, true);
			inet_proto_csum_replace16(check, skb, ip6h->daddr.s6_addr32,
						  daddr->v6.s6_addr32, true);
		}
		ip6h->saddr = saddr->v6;
		ip6h->daddr = daddr->v6;
	}

	if (l4csum) {
		inet_proto_csum_replace2(check, skb, ports[0], sport, false);
		inet_proto_csum_replace2(check, skb, ports[1], dport, false);
		if (udp && !*check && skb->ip_summed != CHECKSUM_PARTIAL)
			*check = CSUM_MANGLED_0;
	} else {
		mprox_pkt_csum_complete_replace2(skb, ports[0], sport);
		mprox_pkt_csum_complete_replace2(skb, ports[1], dport);
	}
	ports[0] = sport;
	ports[1] = dport;
	return 0;
}
#endif /* __KERNEL__ */
