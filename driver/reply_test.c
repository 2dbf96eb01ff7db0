// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the resets and ICMP errors of reply.c, built for real packets and
 * checked field by field, checksums recomputed from scratch.
 */
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/ip6_checksum.h>

#include "kunit_suites.h"
#include "reply.c"

#define T_SEQ		1000
#define T_ACK_SEQ	5000
#define T_PAYLOAD	10

/* An app's packet A:40000 -> D:80 of @family and @proto, parsed into @p. */
static struct sk_buff *t_packet(struct kunit *test, u16 family, u8 proto,
				u8 tcp_flags, u8 icmp_type, struct mprox_pkt *p)
{
	unsigned int nhlen = family == AF_INET6 ? 40 : 20;
	unsigned int thlen = proto == IPPROTO_TCP ? 20 : 8;
	unsigned int len = nhlen + thlen + T_PAYLOAD;
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);
	u8 *th;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reset_network_header(skb);
	memset(skb_put(skb, len), 0, len);
	if (family == AF_INET6) {
		struct ipv6hdr *ip6 = ipv6_hdr(skb);

		ip6->version = 6;
		ip6->payload_len = htons(thlen + T_PAYLOAD);
		ip6->nexthdr = proto;
		ip6->hop_limit = 64;
		ip6->saddr.s6_addr32[0] = htonl(0xfd000001);
		ip6->saddr.s6_addr32[3] = htonl(2);
		ip6->daddr.s6_addr32[0] = htonl(0xfd000002);
		ip6->daddr.s6_addr32[3] = htonl(2);
	} else {
		struct iphdr *iph = ip_hdr(skb);

		iph->version = 4;
		iph->ihl = 5;
		iph->tot_len = htons(len);
		iph->ttl = 64;
		iph->protocol = proto;
		iph->saddr = htonl(0x0ac80102);
		iph->daddr = htonl(0x0ac80202);
		iph->check = ip_fast_csum((u8 *)iph, 5);
	}
	th = skb_network_header(skb) + nhlen;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *t = (struct tcphdr *)th;

		t->source = htons(40000);
		t->dest = htons(80);
		t->seq = htonl(T_SEQ);
		t->ack_seq = htonl(T_ACK_SEQ);
		t->doff = 5;
		th[13] = tcp_flags;
	} else if (proto == IPPROTO_UDP) {
		put_unaligned_be16(40000, th);
		put_unaligned_be16(53, th + 2);
		put_unaligned_be16(8 + T_PAYLOAD, th + 4);
	} else {
		th[0] = icmp_type;
	}
	KUNIT_ASSERT_EQ(test, mprox_pkt_parse_skb(skb, p),
			proto == IPPROTO_TCP || proto == IPPROTO_UDP ?
			MPROX_PKT_OK : MPROX_PKT_UNSUPPORTED_PROTO);
	return skb;
}

/* The reply's IP header: from D to A, valid, carrying @proto. */
static unsigned int t_expect_ip(struct kunit *test, struct sk_buff *r,
				const struct sk_buff *in, u8 proto)
{
	if ((r->data[0] >> 4) == 6) {
		const struct ipv6hdr *q = ipv6_hdr(in), *h = ipv6_hdr(r);

		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&h->saddr, &q->daddr));
		KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&h->daddr, &q->saddr));
		KUNIT_EXPECT_EQ(test, h->nexthdr, proto);
		KUNIT_EXPECT_EQ(test, ntohs(h->payload_len) + 40, r->len);
		return 40;
	}
	KUNIT_EXPECT_EQ(test, ip_hdr(r)->saddr, ip_hdr(in)->daddr);
	KUNIT_EXPECT_EQ(test, ip_hdr(r)->daddr, ip_hdr(in)->saddr);
	KUNIT_EXPECT_EQ(test, ip_hdr(r)->protocol, proto);
	KUNIT_EXPECT_EQ(test, ntohs(ip_hdr(r)->tot_len), r->len);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(r->data, ip_hdr(r)->ihl), 0);
	return 20;
}

/* The transport checksum over the whole reply verifies to zero. */
static void t_expect_l4_csum(struct kunit *test, struct sk_buff *r,
			     unsigned int off, u8 proto)
{
	unsigned int len = r->len - off;
	__wsum sum = csum_partial(r->data + off, len, 0);

	if ((r->data[0] >> 4) == 6)
		KUNIT_EXPECT_EQ(test, csum_ipv6_magic(&ipv6_hdr(r)->saddr,
						      &ipv6_hdr(r)->daddr,
						      len, proto, sum), 0);
	else if (proto == IPPROTO_ICMP)
		KUNIT_EXPECT_EQ(test, csum_fold(sum), 0);
	else
		KUNIT_EXPECT_EQ(test, csum_tcpudp_magic(ip_hdr(r)->saddr,
							ip_hdr(r)->daddr, len,
							proto, sum), 0);
}

static void mprox_reply_rst_test(struct kunit *test)
{
	static const u16 families[] = { AF_INET, AF_INET6 };
	struct sk_buff *in, *r;
	struct mprox_pkt p;
	struct tcphdr *th;
	unsigned int i, off;

	for (i = 0; i < ARRAY_SIZE(families); i++) {
		/* To a SYN: RST|ACK acknowledging it, sequence 0. */
		in = t_packet(test, families[i], IPPROTO_TCP, TCPHDR_SYN, 0, &p);
		r = mprox_reply_build(in, &p, MPROX_REPLY_RST);
		KUNIT_ASSERT_NOT_NULL(test, r);
		off = t_expect_ip(test, r, in, IPPROTO_TCP);
		th = (struct tcphdr *)(r->data + off);
		KUNIT_EXPECT_EQ(test, ntohs(th->source), 80);
		KUNIT_EXPECT_EQ(test, ntohs(th->dest), 40000);
		KUNIT_EXPECT_TRUE(test, th->rst && th->ack && !th->syn);
		KUNIT_EXPECT_EQ(test, ntohl(th->seq), 0);
		/* The SYN and its payload. */
		KUNIT_EXPECT_EQ(test, ntohl(th->ack_seq), T_SEQ + 1 + T_PAYLOAD);
		t_expect_l4_csum(test, r, off, IPPROTO_TCP);
		kfree_skb(r);
		kfree_skb(in);

		/* To an ACK: a bare RST with the sequence it acknowledged. */
		in = t_packet(test, families[i], IPPROTO_TCP, TCPHDR_ACK, 0, &p);
		r = mprox_reply_build(in, &p, MPROX_REPLY_RST);
		KUNIT_ASSERT_NOT_NULL(test, r);
		th = (struct tcphdr *)(r->data + off);
		KUNIT_EXPECT_TRUE(test, th->rst && !th->ack);
		KUNIT_EXPECT_EQ(test, ntohl(th->seq), T_ACK_SEQ);
		t_expect_l4_csum(test, r, off, IPPROTO_TCP);
		kfree_skb(r);
		kfree_skb(in);

		/* Never a RST for a RST. */
		in = t_packet(test, families[i], IPPROTO_TCP,
			      TCPHDR_RST | TCPHDR_ACK, 0, &p);
		KUNIT_EXPECT_NULL(test, mprox_reply_build(in, &p,
							  MPROX_REPLY_RST));
		kfree_skb(in);
	}
}

struct t_icmp_case {
	const char *desc;
	u16 family;
	u8 proto;
	enum mprox_reply_kind kind;
	u8 type, code;
	u32 info;
};

static const struct t_icmp_case t_icmp_cases[] = {
	{ "v4 net unreachable", AF_INET, IPPROTO_TCP, MPROX_REPLY_NET_UNREACH,
	  ICMP_DEST_UNREACH, ICMP_NET_UNREACH, 0 },
	{ "v4 host unreachable", AF_INET, IPPROTO_TCP, MPROX_REPLY_HOST_UNREACH,
	  ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0 },
	{ "v4 prohibited", AF_INET, IPPROTO_UDP, MPROX_REPLY_ADMIN_PROHIBITED,
	  ICMP_DEST_UNREACH, ICMP_PKT_FILTERED, 0 },
	{ "v4 time exceeded", AF_INET, IPPROTO_TCP, MPROX_REPLY_TIME_EXCEEDED,
	  ICMP_TIME_EXCEEDED, ICMP_EXC_TTL, 0 },
	{ "v4 protocol unreachable", AF_INET, IPPROTO_SCTP,
	  MPROX_REPLY_PROTO_UNREACH, ICMP_DEST_UNREACH, ICMP_PROT_UNREACH, 0 },
	{ "v6 no route", AF_INET6, IPPROTO_TCP, MPROX_REPLY_NET_UNREACH,
	  ICMPV6_DEST_UNREACH, ICMPV6_NOROUTE, 0 },
	{ "v6 address unreachable", AF_INET6, IPPROTO_TCP,
	  MPROX_REPLY_HOST_UNREACH, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0 },
	{ "v6 prohibited", AF_INET6, IPPROTO_UDP, MPROX_REPLY_ADMIN_PROHIBITED,
	  ICMPV6_DEST_UNREACH, ICMPV6_ADM_PROHIBITED, 0 },
	{ "v6 hop limit", AF_INET6, IPPROTO_TCP, MPROX_REPLY_TIME_EXCEEDED,
	  ICMPV6_TIME_EXCEED, ICMPV6_EXC_HOPLIMIT, 0 },
	{ "v6 next header", AF_INET6, IPPROTO_SCTP, MPROX_REPLY_PROTO_UNREACH,
	  ICMPV6_PARAMPROB, ICMPV6_UNK_NEXTHDR, 6 },
};

static void t_icmp_desc(const struct t_icmp_case *c, char *desc)
{
	strscpy(desc, c->desc, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(icmp, t_icmp_cases, t_icmp_desc);

static void mprox_reply_icmp_test(struct kunit *test)
{
	const struct t_icmp_case *c = test->param_value;
	u8 proto = c->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	struct sk_buff *in, *r;
	struct mprox_pkt p;
	unsigned int off;
	u8 *h;

	in = t_packet(test, c->family, c->proto, TCPHDR_SYN, 0, &p);
	r = mprox_reply_build(in, &p, c->kind);
	KUNIT_ASSERT_NOT_NULL(test, r);
	off = t_expect_ip(test, r, in, proto);
	h = r->data + off;
	KUNIT_EXPECT_EQ(test, h[0], c->type);
	KUNIT_EXPECT_EQ(test, h[1], c->code);
	KUNIT_EXPECT_EQ(test, get_unaligned_be32(h + 4), c->info);
	/* The whole offending packet is quoted: it is small. */
	KUNIT_ASSERT_EQ(test, r->len - off - 8, in->len);
	KUNIT_EXPECT_EQ(test, memcmp(h + 8, in->data, in->len), 0);
	t_expect_l4_csum(test, r, off, proto);
	kfree_skb(r);
	kfree_skb(in);
}

/* ICMP errors are never answered; echo requests are. */
static void mprox_reply_icmp_loop_test(struct kunit *test)
{
	struct sk_buff *in, *r;
	struct mprox_pkt p;

	in = t_packet(test, AF_INET, IPPROTO_ICMP, 0, ICMP_DEST_UNREACH, &p);
	KUNIT_EXPECT_NULL(test, mprox_reply_build(in, &p,
						  MPROX_REPLY_ADMIN_PROHIBITED));
	kfree_skb(in);
	in = t_packet(test, AF_INET6, IPPROTO_ICMPV6, 0, ICMPV6_PKT_TOOBIG, &p);
	KUNIT_EXPECT_NULL(test, mprox_reply_build(in, &p,
						  MPROX_REPLY_ADMIN_PROHIBITED));
	kfree_skb(in);
	in = t_packet(test, AF_INET6, IPPROTO_ICMPV6, 0, ICMPV6_ECHO_REQUEST, &p);
	r = mprox_reply_build(in, &p, MPROX_REPLY_ADMIN_PROHIBITED);
	KUNIT_EXPECT_NOT_NULL(test, r);
	kfree_skb(r);
	kfree_skb(in);
	/* And a RST only ever answers TCP. */
	in = t_packet(test, AF_INET, IPPROTO_UDP, 0, 0, &p);
	KUNIT_EXPECT_NULL(test, mprox_reply_build(in, &p, MPROX_REPLY_RST));
	kfree_skb(in);
}

/*
 * Nothing answers a packet to a group or broadcast address, or from no
 * one host's: not a router solicitation to ff02::2 going out on the
 * device, not an mDNS query, not a SYN with a source of 0.0.0.0.
 */
static void mprox_reply_not_to_one_host_test(struct kunit *test)
{
	static const struct {
		const char *desc;
		u16 family;
		bool to;	/* the destination changes, else the source */
		__be32 w0, w3;	/* IPv4: w0 is the address */
	} cases[] = {
		{ "v4 to 224.0.0.251", AF_INET, true, htonl(0xe00000fb) },
		{ "v4 to 255.255.255.255", AF_INET, true, htonl(0xffffffff) },
		{ "v4 from 0.0.0.0", AF_INET, false, 0 },
		{ "v4 from 224.0.0.1", AF_INET, false, htonl(0xe0000001) },
		{ "v4 from 255.255.255.255", AF_INET, false, htonl(0xffffffff) },
		{ "v6 to ff02::2", AF_INET6, true, htonl(0xff020000), htonl(2) },
		{ "v6 from ::", AF_INET6, false, 0, 0 },
		{ "v6 from ff02::1", AF_INET6, false, htonl(0xff020000), htonl(1) },
	};
	static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP };
	struct sk_buff *in, *r;
	struct mprox_pkt p;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		for (j = 0; j < ARRAY_SIZE(protos); j++) {
			bool v6 = cases[i].family == AF_INET6;
			u8 proto = protos[j], echo = ICMP_ECHO;
			union mprox_addr *a;

			if (v6)
				echo = ICMPV6_ECHO_REQUEST;
			if (proto == IPPROTO_ICMP && v6)
				proto = IPPROTO_ICMPV6;
			in = t_packet(test, cases[i].family, proto, TCPHDR_SYN,
				      echo, &p);
			/* Answered as it is: the case below is what changes. */
			r = mprox_reply_build(in, &p, MPROX_REPLY_HOST_UNREACH);
			KUNIT_EXPECT_NOT_NULL_MSG(test, r, "%s, proto %u: ICMP, unchanged",
						  cases[i].desc, proto);
			kfree_skb(r);
			if (proto == IPPROTO_TCP) {
				r = mprox_reply_build(in, &p, MPROX_REPLY_RST);
				KUNIT_EXPECT_NOT_NULL_MSG(test, r, "%s: RST, unchanged",
							  cases[i].desc);
				kfree_skb(r);
			}
			a = &p.saddr;
			if (cases[i].to)
				a = &p.daddr;
			if (v6) {
				memset(&a->v6, 0, sizeof(a->v6));
				a->v6.s6_addr32[0] = cases[i].w0;
				a->v6.s6_addr32[3] = cases[i].w3;
			} else {
				a->v4.s_addr = cases[i].w0;
			}
			r = mprox_reply_build(in, &p, MPROX_REPLY_HOST_UNREACH);
			KUNIT_EXPECT_NULL_MSG(test, r, "%s, proto %u: ICMP", cases[i].desc, proto);
			kfree_skb(r);
			if (proto == IPPROTO_TCP) {
				r = mprox_reply_build(in, &p, MPROX_REPLY_RST);
				KUNIT_EXPECT_NULL_MSG(test, r, "%s: RST", cases[i].desc);
				kfree_skb(r);
			}
			kfree_skb(in);
		}
	}
}

static struct kunit_case mprox_reply_test_cases[] = {
	KUNIT_CASE(mprox_reply_rst_test),
	KUNIT_CASE(mprox_reply_not_to_one_host_test),
	KUNIT_CASE_PARAM(mprox_reply_icmp_test, icmp_gen_params),
	KUNIT_CASE(mprox_reply_icmp_loop_test),
	{}
};

struct kunit_suite mprox_reply_test_suite = {
	.name = "mprox_reply",
	.test_cases = mprox_reply_test_cases,
};
