// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the packet layer, part of mprox-test.ko.
 *
 * The code is included rather than linked, as parse_test.c does with the
 * parser: this module carries its own copy. Three parts:
 *
 * - the parser's shared cases (packet_test_cases.h, which the host unit
 *   test tests/unit/test_packet.c runs too), through mprox_pkt_parse_buf()
 *   and, for whole packets, through mprox_pkt_parse_skb();
 * - parse_skb on real skbs: cut at every offset of the headers, headers
 *   split between head and page fragment;
 * - the rewrite on real skbs with correct checksums, for each ip_summed
 *   mode, checked against checksums computed from scratch; a GSO packet
 *   rewritten, then segmented by the stack and every segment checked.
 *
 * The suite is registered in kunit_suites.c.
 */
#include "packet.c"

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/if_ether.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ip6_checksum.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "compat.h"
#include "kunit_suites.h"
#include "packet_test_cases.h"

static void pkt_case_desc(const struct mprox_pkt_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pkt, mprox_pkt_cases, pkt_case_desc);

static void mprox_pkt_case_test(struct kunit *test)
{
	const struct mprox_pkt_case *c = test->param_value;
	size_t len = mprox_pkt_case_len(c), pkt_len;
	struct mprox_pkt p;
	struct sk_buff *skb;
	const char *why;
	u8 *buf, *copy;
	int ret;

	buf = kunit_kzalloc(test, T_BUF_MAX, GFP_KERNEL);
	/* Exactly the bytes parsed, so that KASAN sees a read past them. */
	copy = kunit_kmalloc(test, len ?: 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	why = mprox_pkt_case_run(c, buf, copy, &ret);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: %s (verdict %s, want %s)", c->desc, why,
			      mprox_pkt_verdict_name(ret), mprox_pkt_verdict_name(c->verdict));

	/* A whole packet: the skb parser says the same. */
	pkt_len = mprox_pkt_case_build(c, buf, &len);
	if (len != pkt_len)
		return;
	skb = alloc_skb(pkt_len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_put_data(skb, buf, pkt_len);
	skb_reset_network_header(skb);
	ret = mprox_pkt_parse_skb(skb, &p);
	why = mprox_pkt_case_check(c, ret, &p);
	KUNIT_EXPECT_TRUE_MSG(test, !why, "%s: skb: %s (verdict %s, want %s)", c->desc, why,
			      mprox_pkt_verdict_name(ret), mprox_pkt_verdict_name(c->verdict));
	kfree_skb(skb);
}

static void mprox_pkt_prefix_test(struct kunit *test)
{
	unsigned int i;
	size_t k;

	for (i = 0; i < T_TMPL_COUNT; i++) {
		for (k = 0; k <= mprox_pkt_tmpls[i].len; k++) {
			u8 *copy = kmalloc(k ?: 1, GFP_KERNEL);
			const char *why;

			KUNIT_ASSERT_NOT_NULL(test, copy);
			why = mprox_pkt_prefix_run(i, k, copy);
			kfree(copy);
			KUNIT_EXPECT_TRUE_MSG(test, !why, "%s, %zu bytes: %s",
					      mprox_pkt_tmpls[i].name, k, why);
		}
	}
}

/* ---- real packets ------------------------------------------------------ */

#define T_HEADROOM	32
#define T_PAYLOAD	37		/* odd: the checksum's last byte is alone */
#define T_GSO_SIZE	1000
#define T_GSO_PAYLOAD	(3 * T_GSO_SIZE + 123)

struct mprox_pkt_tuple {
	union mprox_addr saddr, daddr;
	__be16 sport, dport;
};

/* The application's packet A:a -> D:P ... */
static const struct mprox_pkt_tuple t_app4 = {
	.saddr.v4.s_addr = cpu_to_be32(0x0a000001), .daddr.v4.s_addr = cpu_to_be32(0xc0000207),
	.sport = cpu_to_be16(54321), .dport = cpu_to_be16(443),
};

static const struct mprox_pkt_tuple t_app6 = {
	.saddr.v6.s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	.daddr.v6.s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [13] = 2, [15] = 7 },
	.sport = cpu_to_be16(54321), .dport = cpu_to_be16(443),
};

/* ... rewritten to F:f -> L:l. */
static const struct mprox_pkt_tuple t_nat4 = {
	.saddr.v4.s_addr = cpu_to_be32(0x64400009), .daddr.v4.s_addr = cpu_to_be32(0xc6336405),
	.sport = cpu_to_be16(40001), .dport = cpu_to_be16(8443),
};

static const struct mprox_pkt_tuple t_nat6 = {
	.saddr.v6.s6_addr = { 0xfd, 0x00, [14] = 0xff, [15] = 9 },
	.daddr.v6.s6_addr = { 0xfd, 0x00, [13] = 1, [15] = 5 },
	.sport = cpu_to_be16(40001), .dport = cpu_to_be16(8443),
};

struct mprox_pkt_spec {
	const char *desc;
	u16 family;
	u8 proto;
	u8 ip_summed;
	bool opts;		/* IPv4 options; IPv6 hop-by-hop header */
	bool no_csum;		/* UDP over IPv4 without checksum */
};

static u8 t_payload_byte(unsigned int i)
{
	return (u8)(i * 7 + 3);
}

static unsigned int t_nhlen(const struct mprox_pkt_spec *s)
{
	if (s->family == AF_INET)
		return s->opts ? 24 : 20;
	return s->opts ? 48 : 40;
}

static unsigned int t_thlen(const struct mprox_pkt_spec *s)
{
	return s->proto == IPPROTO_TCP ? 32 : 8;
}

/* The L4 checksum computed over the packet, pseudo-header included: 0 is valid. */
static __sum16 t_l4_verify(struct sk_buff *skb, const struct mprox_pkt *p)
{
	unsigned int l4len = p->len - p->thoff;
	__wsum csum = skb_checksum(skb, skb_network_offset(skb) + p->thoff, l4len, 0);

	if (p->family == AF_INET)
		return csum_tcpudp_magic(p->saddr.v4.s_addr, p->daddr.v4.s_addr, l4len,
					 p->proto, csum);
	return csum_ipv6_magic(&p->saddr.v6, &p->daddr.v6, l4len, p->proto, csum);
}

/* The pseudo-header seed the stack leaves in the field for CHECKSUM_PARTIAL. */
static __sum16 t_l4_seed(const struct mprox_pkt *p)
{
	unsigned int l4len = p->len - p->thoff;

	if (p->family == AF_INET)
		return ~csum_tcpudp_magic(p->saddr.v4.s_addr, p->daddr.v4.s_addr, l4len,
					  p->proto, 0);
	return ~csum_ipv6_magic(&p->saddr.v6, &p->daddr.v6, l4len, p->proto, 0);
}

/* One's complement has two zeroes: 0xffff and 0. */
static u16 t_norm(__sum16 sum)
{
	u16 v = (__force u16)sum;

	return v == 0xffff ? 0 : v;
}

static __sum16 *t_check(struct sk_buff *skb, const struct mprox_pkt *p)
{
	return (__sum16 *)(skb_network_header(skb) + mprox_pkt_csum_off(p));
}

/*
 * A packet of @s with @paylen bytes of payload, linear, data at the network
 * header, checksums as @s->ip_summed has them.
 */
static struct sk_buff *t_build(struct kunit *test, const struct mprox_pkt_spec *s,
			       unsigned int paylen)
{
	const struct mprox_pkt_tuple *t = s->family == AF_INET ? &t_app4 : &t_app6;
	unsigned int nhlen = t_nhlen(s), thlen = t_thlen(s), l4len = thlen + paylen, i;
	struct sk_buff *skb;
	struct mprox_pkt p;
	__sum16 *check;
	u8 *nh, *th;

	skb = alloc_skb(T_HEADROOM + nhlen + l4len, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, T_HEADROOM);
	nh = skb_put_zero(skb, nhlen + l4len);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, nhlen);
	th = nh + nhlen;

	if (s->family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)nh;

		skb->protocol = htons(ETH_P_IP);
		iph->version = 4;
		iph->ihl = nhlen / 4;
		iph->tot_len = htons(nhlen + l4len);
		iph->id = htons(0x1234);
		iph->frag_off = htons(IP_DF);
		iph->ttl = 64;
		iph->protocol = s->proto;
		iph->saddr = t->saddr.v4.s_addr;
		iph->daddr = t->daddr.v4.s_addr;
		if (s->opts)
			memcpy(iph + 1, "\x01\x01\x01\x00", 4);
		ip_send_check(iph);
	} else {
		struct ipv6hdr *ip6h = (struct ipv6hdr *)nh;

		skb->protocol = htons(ETH_P_IPV6);
		ip6h->version = 6;
		ip6h->payload_len = htons(nhlen - 40 + l4len);
		ip6h->nexthdr = s->opts ? NEXTHDR_HOP : s->proto;
		ip6h->hop_limit = 64;
		ip6h->saddr = t->saddr.v6;
		ip6h->daddr = t->daddr.v6;
		if (s->opts) {
			memcpy(ip6h + 1, "\x00\x00\x01\x04\x00\x00\x00\x00", 8);
			nh[40] = s->proto;
		}
	}

	if (s->proto == IPPROTO_TCP) {
		struct tcphdr *tcp = (struct tcphdr *)th;

		tcp->seq = htonl(1);
		tcp->ack_seq = htonl(1);
		tcp->doff = thlen / 4;
		tcp->ack = 1;
		tcp->psh = 1;
		tcp->window = htons(65535);
		/* MSS, SACK permitted, NOPs */
		memcpy(tcp + 1, "\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x01\x01\x01", 12);
	} else {
		((struct udphdr *)th)->len = htons(l4len);
	}
	memcpy(th, &t->sport, 2);
	memcpy(th + 2, &t->dport, 2);
	for (i = 0; i < paylen; i++)
		th[thlen + i] = t_payload_byte(i);

	if (mprox_pkt_parse_buf(nh, skb->len, skb->len, &p) != MPROX_PKT_OK) {
		kfree_skb(skb);
		return NULL;
	}
	check = t_check(skb, &p);
	switch (s->ip_summed) {
	case CHECKSUM_PARTIAL:
		/* As tcp_v4_send_check() and udp4_hwcsum() leave it. */
		*check = t_l4_seed(&p);
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = mprox_pkt_csum_off(&p) - p.thoff;
		break;
	default:
		if (!s->no_csum) {
			*check = t_l4_verify(skb, &p);
			if (s->proto == IPPROTO_UDP && !*check)
				*check = CSUM_MANGLED_0;
		}
		skb->ip_summed = s->ip_summed;
		/* What a NIC reports: the sum of all from the network header. */
		if (s->ip_summed == CHECKSUM_COMPLETE)
			skb->csum = skb_checksum(skb, 0, skb->len, 0);
		break;
	}
	return skb;
}

/* The same packet with only @head bytes in the head, the rest in a page. */
static struct sk_buff *t_nonlinear(struct sk_buff *skb, unsigned int head)
{
	unsigned int rest = skb->len - head;
	struct sk_buff *nskb;
	struct page *page;

	nskb = alloc_skb(T_HEADROOM + head, GFP_KERNEL);
	page = alloc_page(GFP_KERNEL);
	if (!nskb || !page || WARN_ON(rest > PAGE_SIZE)) {
		kfree_skb(nskb);
		if (page)
			__free_page(page);
		kfree_skb(skb);
		return NULL;
	}
	skb_reserve(nskb, T_HEADROOM);
	skb_put_data(nskb, skb->data, head);
	memcpy(page_address(page), skb->data + head, rest);
	skb_fill_page_desc(nskb, 0, page, 0, rest);
	nskb->len += rest;
	nskb->data_len += rest;
	nskb->truesize += PAGE_SIZE;
	skb_reset_network_header(nskb);
	skb_set_transport_header(nskb, skb_transport_offset(skb));
	nskb->protocol = skb->protocol;
	nskb->ip_summed = skb->ip_summed;
	nskb->csum = skb->csum;
	/* Relative to the head, which may hold less than the headers yet. */
	nskb->csum_start = skb_headroom(nskb) + skb_checksum_start_offset(skb);
	nskb->csum_offset = skb->csum_offset;
	kfree_skb(skb);
	return nskb;
}

/*
 * @skb carries @t with valid checksums for its ip_summed. For
 * CHECKSUM_PARTIAL, the seed in the field, and what skb_checksum_help()
 * makes of a copy (not of a GSO packet: that is segmentation's job).
 */
static void t_expect_valid(struct kunit *test, struct sk_buff *skb,
			   const struct mprox_pkt_tuple *t, bool no_csum)
{
	struct sk_buff *copy;
	struct mprox_pkt p;
	int ret;

	ret = mprox_pkt_parse_skb(skb, &p);
	KUNIT_ASSERT_EQ_MSG(test, ret, MPROX_PKT_OK, "verdict %s", mprox_pkt_verdict_name(ret));
	if (p.family == AF_INET) {
		KUNIT_EXPECT_EQ(test, p.saddr.v4.s_addr, t->saddr.v4.s_addr);
		KUNIT_EXPECT_EQ(test, p.daddr.v4.s_addr, t->daddr.v4.s_addr);
		KUNIT_EXPECT_EQ(test, (u16)ip_fast_csum(skb_network_header(skb), p.nhlen / 4),
				(u16)0);
	} else {
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&p.saddr.v6, &t->saddr.v6));
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&p.daddr.v6, &t->daddr.v6));
	}
	KUNIT_EXPECT_EQ(test, p.sport, t->sport);
	KUNIT_EXPECT_EQ(test, p.dport, t->dport);

	if (no_csum) {
		KUNIT_EXPECT_EQ(test, (__force u16)*t_check(skb, &p), (u16)0);
	} else if (skb->ip_summed == CHECKSUM_PARTIAL) {
		KUNIT_EXPECT_EQ_MSG(test, t_norm(*t_check(skb, &p)), t_norm(t_l4_seed(&p)),
				    "pseudo-header seed");
		if (skb_is_gso(skb))
			return;
		copy = skb_copy(skb, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, copy);
		KUNIT_EXPECT_EQ(test, skb_checksum_help(copy), 0);
		KUNIT_EXPECT_EQ(test, (int)copy->ip_summed, CHECKSUM_NONE);
		KUNIT_EXPECT_EQ_MSG(test, (__force u16)t_l4_verify(copy, &p), (u16)0,
				    "checksum after skb_checksum_help()");
		kfree_skb(copy);
	} else {
		KUNIT_EXPECT_EQ_MSG(test, (__force u16)t_l4_verify(skb, &p), (u16)0,
				    "transport checksum");
	}
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		KUNIT_EXPECT_EQ_MSG(test, t_norm(csum_fold(skb->csum)),
				    t_norm(csum_fold(skb_checksum(skb, 0, skb->len, 0))),
				    "skb->csum");
}

static void t_expect_payload(struct kunit *test, struct sk_buff *skb, unsigned int off,
			     unsigned int paylen)
{
	unsigned int i, bad = 0;
	u8 b;

	for (i = 0; i < paylen; i++) {
		if (skb_copy_bits(skb, off + i, &b, 1) || b != t_payload_byte(i))
			bad++;
	}
	KUNIT_EXPECT_EQ_MSG(test, bad, 0U, "payload bytes changed");
}

#define T_SPEC(f, pr, sum, o, nc) { \
	.desc = #f "/" #pr "/" #sum "/opts=" #o "/nocsum=" #nc, \
	.family = (f), .proto = (pr), .ip_summed = (sum), .opts = (o), .no_csum = (nc) }

/* Every family, protocol, ip_summed mode, with and without options. */
static const struct mprox_pkt_spec mprox_pkt_rewrite_specs[] = {
	T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_NONE, false, false),
	T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_PARTIAL, false, false),
	T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_COMPLETE, false, false),
	T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_NONE, true, false),
	T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_PARTIAL, true, false),
	T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_COMPLETE, true, false),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_NONE, false, false),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_PARTIAL, false, false),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_COMPLETE, false, false),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_NONE, true, false),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_PARTIAL, true, false),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_COMPLETE, true, false),
	T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_NONE, false, false),
	T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_PARTIAL, false, false),
	T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_COMPLETE, false, false),
	T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_NONE, true, false),
	T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_PARTIAL, true, false),
	T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_COMPLETE, true, false),
	T_SPEC(AF_INET6, IPPROTO_UDP, CHECKSUM_NONE, false, false),
	T_SPEC(AF_INET6, IPPROTO_UDP, CHECKSUM_PARTIAL, false, false),
	T_SPEC(AF_INET6, IPPROTO_UDP, CHECKSUM_COMPLETE, false, false),
	T_SPEC(AF_INET6, IPPROTO_UDP, CHECKSUM_NONE, true, false),
	T_SPEC(AF_INET6, IPPROTO_UDP, CHECKSUM_PARTIAL, true, false),
	T_SPEC(AF_INET6, IPPROTO_UDP, CHECKSUM_COMPLETE, true, false),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_NONE, false, true),
	T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_COMPLETE, false, true),
	T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_UNNECESSARY, false, false),
};

static void spec_desc(const struct mprox_pkt_spec *s, char *desc)
{
	strscpy(desc, s->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(rewrite, mprox_pkt_rewrite_specs, spec_desc);

static void mprox_pkt_rewrite_test(struct kunit *test)
{
	const struct mprox_pkt_spec *s = test->param_value;
	const struct mprox_pkt_tuple *app = s->family == AF_INET ? &t_app4 : &t_app6;
	const struct mprox_pkt_tuple *nat = s->family == AF_INET ? &t_nat4 : &t_nat6;
	struct sk_buff *skb;
	struct mprox_pkt p;
	int ret;

	skb = t_build(test, s, T_PAYLOAD);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	t_expect_valid(test, skb, app, s->no_csum);

	ret = mprox_pkt_parse_skb(skb, &p);
	KUNIT_EXPECT_EQ(test, ret, MPROX_PKT_OK);
	if (ret == MPROX_PKT_OK) {
		KUNIT_EXPECT_EQ(test, p.thoff, t_nhlen(s));
		KUNIT_EXPECT_EQ(test, p.payload_len, (u32)T_PAYLOAD);
		KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(skb, &p, &nat->saddr, nat->sport,
							&nat->daddr, nat->dport), 0);
		t_expect_valid(test, skb, nat, s->no_csum);
		t_expect_payload(test, skb, p.thoff + p.thlen, T_PAYLOAD);
		/* And back: the reply direction is the same operation. */
		KUNIT_EXPECT_EQ(test, mprox_pkt_parse_skb(skb, &p), MPROX_PKT_OK);
		KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(skb, &p, &app->saddr, app->sport,
							&app->daddr, app->dport), 0);
		t_expect_valid(test, skb, app, s->no_csum);
	}
	kfree_skb(skb);
}

/* A cloned skb shares its data: the rewrite must copy, not write through. */
static void mprox_pkt_rewrite_clone_test(struct kunit *test)
{
	static const struct mprox_pkt_spec s = T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_NONE,
						      false, false);
	struct sk_buff *skb, *clone;
	struct mprox_pkt p;

	skb = t_build(test, &s, T_PAYLOAD);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	clone = skb_clone(skb, GFP_KERNEL);
	if (clone) {
		KUNIT_EXPECT_EQ(test, mprox_pkt_parse_skb(clone, &p), MPROX_PKT_OK);
		KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(clone, &p, &t_nat4.saddr, t_nat4.sport,
							&t_nat4.daddr, t_nat4.dport), 0);
		t_expect_valid(test, clone, &t_nat4, false);
		t_expect_valid(test, skb, &t_app4, false);
		kfree_skb(clone);
	}
	KUNIT_EXPECT_NOT_NULL(test, clone);
	kfree_skb(skb);
}

/* Rewriting what was not parsed into @p, or not TCP/UDP, is refused. */
static void mprox_pkt_rewrite_einval_test(struct kunit *test)
{
	static const struct mprox_pkt_spec s = T_SPEC(AF_INET, IPPROTO_UDP, CHECKSUM_NONE,
						      false, false);
	struct sk_buff *skb;
	struct mprox_pkt p, bad;

	skb = t_build(test, &s, T_PAYLOAD);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, mprox_pkt_parse_skb(skb, &p), MPROX_PKT_OK);
	bad = p;
	bad.proto = IPPROTO_ICMP;
	KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(skb, &bad, &t_nat4.saddr, 1, &t_nat4.daddr, 2),
			-EINVAL);
	bad = p;
	bad.family = AF_INET6;
	KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(skb, &bad, &t_nat4.saddr, 1, &t_nat4.daddr, 2),
			-EINVAL);
	bad = p;
	bad.len = skb->len + 1;
	KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(skb, &bad, &t_nat4.saddr, 1, &t_nat4.daddr, 2),
			-EINVAL);
	t_expect_valid(test, skb, &t_app4, false);
	kfree_skb(skb);
}

/* Cut at every offset of the headers, with and without the IP length following. */
static void mprox_pkt_cut_test(struct kunit *test)
{
	static const struct mprox_pkt_spec specs[] = {
		T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_NONE, true, false),
		T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_NONE, true, false),
		T_SPEC(AF_INET6, IPPROTO_UDP, CHECKSUM_NONE, true, false),
	};
	unsigned int i, k, hdr, fixed, want;
	struct sk_buff *skb, *copy;
	struct mprox_pkt p;
	int ret;

	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		skb = t_build(test, &specs[i], T_PAYLOAD);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		hdr = t_nhlen(&specs[i]) + t_thlen(&specs[i]);
		for (k = 0; k < hdr; k++) {
			copy = skb_copy(skb, GFP_KERNEL);
			if (!copy)
				break;
			skb_trim(copy, k);
			/*
			 * The IP length says more than there is, once the IP
			 * header (not its IPv6 extensions) is there.
			 */
			fixed = specs[i].family == AF_INET ? t_nhlen(&specs[i]) : 40;
			want = k < fixed ? MPROX_PKT_TRUNCATED : MPROX_PKT_BAD_LENGTH;
			ret = mprox_pkt_parse_skb(copy, &p);
			KUNIT_EXPECT_EQ_MSG(test, ret, want, "%s cut to %u: %s", specs[i].desc, k,
					    mprox_pkt_verdict_name(ret));
			/* The IP length says k: a header does not fit in the packet. */
			want = MPROX_PKT_TRUNCATED;
			if (k >= t_nhlen(&specs[i]) && specs[i].family == AF_INET) {
				ip_hdr(copy)->tot_len = htons(k);
			} else if (k >= 40) {
				ipv6_hdr(copy)->payload_len = htons(k - 40);
				if (k == 40)
					want = MPROX_PKT_BAD_LENGTH;
			}
			ret = mprox_pkt_parse_skb(copy, &p);
			KUNIT_EXPECT_EQ_MSG(test, ret, want, "%s with IP length %u: %s",
					    specs[i].desc, k, mprox_pkt_verdict_name(ret));
			kfree_skb(copy);
		}
		KUNIT_EXPECT_EQ(test, k, hdr);
		kfree_skb(skb);
	}
}

/* Headers split between the head and a page: pulled, exactly. */
static void mprox_pkt_nonlinear_test(struct kunit *test)
{
	static const struct mprox_pkt_spec s = T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_PARTIAL,
						      true, false);
	unsigned int hdr = t_nhlen(&s) + t_thlen(&s), head;
	struct mprox_pkt whole, p;
	struct sk_buff *skb;

	for (head = 0; head <= hdr; head += 5) {
		skb = t_build(test, &s, T_PAYLOAD);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, mprox_pkt_parse_skb(skb, &whole), MPROX_PKT_OK);
		skb = t_nonlinear(skb, head);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_EXPECT_EQ(test, mprox_pkt_parse_skb(skb, &p), MPROX_PKT_OK);
		KUNIT_EXPECT_EQ(test, memcmp(&p, &whole, sizeof(p)), 0);
		/* The parser asked for the headers and nothing after them. */
		KUNIT_EXPECT_EQ_MSG(test, skb_headlen(skb), hdr, "head of %u", head);
		KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(skb, &p, &t_nat6.saddr, t_nat6.sport,
							&t_nat6.daddr, t_nat6.dport), 0);
		t_expect_valid(test, skb, &t_nat6, false);
		t_expect_payload(test, skb, hdr, T_PAYLOAD);
		kfree_skb(skb);
	}
}

/*
 * A TCP GSO super-packet, payload in a page: parsed and rewritten in its
 * headers alone, then segmented in software the way the stack would for a
 * device without offloads; every segment carries the new tuple and valid
 * checksums.
 */
static void mprox_pkt_gso_test(struct kunit *test)
{
	static const struct mprox_pkt_spec specs[] = {
		T_SPEC(AF_INET, IPPROTO_TCP, CHECKSUM_PARTIAL, false, false),
		T_SPEC(AF_INET6, IPPROTO_TCP, CHECKSUM_PARTIAL, true, false),
	};
	unsigned int i, hdr, nsegs, seen;
	struct sk_buff *skb, *segs, *seg, *next;
	const struct mprox_pkt_tuple *nat;
	struct mprox_pkt p;
	u8 *before;

	before = kunit_kmalloc(test, T_GSO_PAYLOAD, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	for (i = 0; i < ARRAY_SIZE(specs); i++) {
		nat = specs[i].family == AF_INET ? &t_nat4 : &t_nat6;
		hdr = t_nhlen(&specs[i]) + t_thlen(&specs[i]);
		skb = t_build(test, &specs[i], T_GSO_PAYLOAD);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		skb = t_nonlinear(skb, hdr);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		skb_shinfo(skb)->gso_size = T_GSO_SIZE;
		skb_shinfo(skb)->gso_type = specs[i].family == AF_INET ? SKB_GSO_TCPV4 :
									  SKB_GSO_TCPV6;
		skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(T_GSO_PAYLOAD, T_GSO_SIZE);
		skb_copy_bits(skb, hdr, before, T_GSO_PAYLOAD);

		KUNIT_EXPECT_EQ(test, mprox_pkt_parse_skb(skb, &p), MPROX_PKT_OK);
		KUNIT_EXPECT_EQ(test, p.payload_len, (u32)T_GSO_PAYLOAD);
		KUNIT_EXPECT_EQ(test, mprox_pkt_rewrite(skb, &p, &nat->saddr, nat->sport,
							&nat->daddr, nat->dport), 0);
		KUNIT_EXPECT_EQ(test, skb_headlen(skb), hdr);
		KUNIT_EXPECT_TRUE(test, skb_is_gso(skb));
		t_expect_valid(test, skb, nat, false);
		t_expect_payload(test, skb, hdr, T_GSO_PAYLOAD);

		segs = mprox_compat_skb_gso_segment(skb, 0);
		KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(segs));
		if (IS_ERR_OR_NULL(segs)) {
			kfree_skb(skb);
			continue;
		}
		nsegs = 0;
		seen = 0;
		skb_list_walk_safe(segs, seg, next) {
			skb_mark_not_on_list(seg);
			t_expect_valid(test, seg, nat, false);
			KUNIT_EXPECT_EQ(test, mprox_pkt_parse_skb(seg, &p), MPROX_PKT_OK);
			KUNIT_EXPECT_EQ(test, skb_headlen(seg) >= hdr, true);
			KUNIT_EXPECT_EQ(test, memcmp(seg->data + hdr, before + seen,
						     p.payload_len), 0);
			seen += p.payload_len;
			nsegs++;
			kfree_skb(seg);
		}
		KUNIT_EXPECT_EQ(test, nsegs, DIV_ROUND_UP(T_GSO_PAYLOAD, T_GSO_SIZE));
		KUNIT_EXPECT_EQ(test, seen, (unsigned int)T_GSO_PAYLOAD);
		kfree_skb(skb);
	}
}

static struct kunit_case mprox_packet_test_cases[] = {
	KUNIT_CASE_PARAM(mprox_pkt_case_test, pkt_gen_params),
	KUNIT_CASE(mprox_pkt_prefix_test),
	KUNIT_CASE_PARAM(mprox_pkt_rewrite_test, rewrite_gen_params),
	KUNIT_CASE(mprox_pkt_rewrite_clone_test),
	KUNIT_CASE(mprox_pkt_rewrite_einval_test),
	KUNIT_CASE(mprox_pkt_cut_test),
	KUNIT_CASE(mprox_pkt_nonlinear_test),
	KUNIT_CASE(mprox_pkt_gso_test),
	{}
};

struct kunit_suite mprox_packet_test_suite = {
	.name = "mprox-packet",
	.test_cases = mprox_packet_test_cases,
};
