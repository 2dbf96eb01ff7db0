/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The header parser's test cases, shared by the KUnit suite (packet_test.c)
 * and the host unit test (tests/unit/test_packet.c): one table, two
 * runners. Include after packet.c or packet.h (and <linux/string.h> or the
 * shim).
 *
 * A case is a template packet with a few bytes changed, the lengths it is
 * parsed with, and the verdict and fields wanted; mprox_pkt_case_run()
 * runs it and names the first difference, so that a runner only reports.
 */
#ifndef _MPROX_PACKET_TEST_CASES_H
#define _MPROX_PACKET_TEST_CASES_H

/* 10.0.0.1 -> 192.0.2.7 */
#define T4_ADDRS	"\x0a\x00\x00\x01\xc0\x00\x02\x07"
/* 2001:db8::1 -> 2001:db8::2:7 */
#define T6_ADDRS	"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" \
			"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x07"
/* Payloads */
#define T_PAY8		"ABCDEFGH"
#define T_PAY4		"WXYZ"
/* PadN filling an 8-byte option header after its first two bytes */
#define T6_PAD6		"\x01\x04\x00\x00\x00\x00"

/* Template packets: network header to end; checksums are not looked at. */
enum mprox_pkt_tmpl {
	/* 20 + TCP 20 (SYN, 54321 -> 443) + 8 */
	T4_TCP,
	/* 24 (4 bytes of options) + TCP 32 (ACK, 12 of options, 40000 -> 80) + 4 */
	T4_TCP_OPTS,
	/*
	 * 32 (NOP, record route of one slot, NOP NOP NOP, EOL) + TCP 20 (SYN,
	 * 54321 -> 443) + 8
	 */
	T4_TCP_RR,
	/* 20 + UDP 8 (12345 -> 53) + 8 */
	T4_UDP,
	/* 20 + ICMP echo 8 */
	T4_ICMP,
	/* 40 + TCP 20 (PSH ACK, 54321 -> 443) + 8 */
	T6_TCP,
	/* 40 + UDP 8 (12345 -> 53) + 8 */
	T6_UDP,
	/* 40 + hop-by-hop 8 + dest opts 8 + routing 8 (0 left) + UDP 8 + 8 */
	T6_EXT_UDP,
	/* 40 + hop-by-hop, dest, routing, dest, dest (8 each) + UDP 8 */
	T6_EXT5_UDP,
	/* 40 + ICMPv6 echo 8 */
	T6_ICMP,
	/* 40 + fragment header 8 (offset 0, M) + TCP 20 */
	T6_FRAG,
	T_TMPL_COUNT
};

struct mprox_pkt_tmpl_data {
	const char *name;
	const char *bytes;
	size_t len;
};

/* In enum mprox_pkt_tmpl order. */
#define T_TMPL(n, s)	{ #n, (s), sizeof(s) - 1 }

static const struct mprox_pkt_tmpl_data mprox_pkt_tmpls[T_TMPL_COUNT] = {
	T_TMPL(T4_TCP,
	       "\x45\x00\x00\x30\x12\x34\x40\x00\x40\x06\x00\x00" T4_ADDRS
	       "\xd4\x31\x01\xbb\x00\x00\x00\x01\x00\x00\x00\x00\x50\x02\xff\xff\x00\x00\x00\x00"
	       T_PAY8),
	T_TMPL(T4_TCP_OPTS,
	       "\x46\x00\x00\x3c\x12\x34\x40\x00\x40\x06\x00\x00" T4_ADDRS "\x01\x01\x01\x00"
	       "\x9c\x40\x00\x50\x00\x00\x00\x01\x00\x00\x00\x02\x80\x10\xff\xff\x00\x00\x00\x00"
	       "\x02\x04\x05\xb4\x01\x01\x04\x02\x01\x01\x01\x01"
	       T_PAY4),
	T_TMPL(T4_TCP_RR,
	       "\x48\x00\x00\x3c\x12\x34\x40\x00\x40\x06\x00\x00" T4_ADDRS
	       "\x01\x07\x07\x04\x00\x00\x00\x00\x01\x01\x01\x00"
	       "\xd4\x31\x01\xbb\x00\x00\x00\x01\x00\x00\x00\x00\x50\x02\xff\xff\x00\x00\x00\x00"
	       T_PAY8),
	T_TMPL(T4_UDP,
	       "\x45\x00\x00\x24\x12\x34\x00\x00\x40\x11\x00\x00" T4_ADDRS
	       "\x30\x39\x00\x35\x00\x10\x00\x00"
	       T_PAY8),
	T_TMPL(T4_ICMP,
	       "\x45\x00\x00\x1c\x12\x34\x00\x00\x40\x01\x00\x00" T4_ADDRS
	       "\x08\x00\x00\x00\x00\x01\x00\x01"),
	T_TMPL(T6_TCP,
	       "\x60\x00\x00\x00\x00\x1c\x06\x40" T6_ADDRS
	       "\xd4\x31\x01\xbb\x00\x00\x00\x01\x00\x00\x00\x01\x50\x18\xff\xff\x00\x00\x00\x00"
	       T_PAY8),
	T_TMPL(T6_UDP,
	       "\x60\x00\x00\x00\x00\x10\x11\x40" T6_ADDRS
	       "\x30\x39\x00\x35\x00\x10\x00\x00"
	       T_PAY8),
	T_TMPL(T6_EXT_UDP,
	       "\x60\x00\x00\x00\x00\x28\x00\x40" T6_ADDRS
	       "\x3c\x00" T6_PAD6
	       "\x2b\x00" T6_PAD6
	       "\x11\x00\x04\x00\x00\x00\x00\x00"
	       "\x30\x39\x00\x35\x00\x10\x00\x00"
	       T_PAY8),
	T_TMPL(T6_EXT5_UDP,
	       "\x60\x00\x00\x00\x00\x30\x00\x40" T6_ADDRS
	       "\x3c\x00" T6_PAD6
	       "\x2b\x00" T6_PAD6
	       "\x3c\x00\x04\x00\x00\x00\x00\x00"
	       "\x3c\x00" T6_PAD6
	       "\x11\x00" T6_PAD6
	       "\x30\x39\x00\x35\x00\x08\x00\x00"),
	T_TMPL(T6_ICMP,
	       "\x60\x00\x00\x00\x00\x08\x3a\x40" T6_ADDRS
	       "\x80\x00\x00\x00\x00\x01\x00\x01"),
	T_TMPL(T6_FRAG,
	       "\x60\x00\x00\x00\x00\x1c\x2c\x40" T6_ADDRS
	       "\x06\x00\x00\x01\x00\x00\x00\x2a"
	       "\xd4\x31\x01\xbb\x00\x00\x00\x01\x00\x00\x00\x00\x50\x02\xff\xff\x00\x00\x00\x00"),
};

/* Largest template, with room for padding cases. */
#define T_BUF_MAX	128

struct mprox_pkt_set {
	u16 off;
	u8 val;
};

#define T_SET(o, v)	{ .off = (o), .val = (v) }
/* Parse with @l bytes in the buffer of a @pl byte packet (else the template's). */
#define T_LEN(l, pl)	.lens = true, .len = (l), .pkt_len = (pl)

struct mprox_pkt_case {
	const char *desc;
	enum mprox_pkt_tmpl tmpl;
	struct mprox_pkt_set set[4];	/* bytes changed; off 0 ends unless first */
	unsigned int nset;
	bool lens;
	size_t len, pkt_len;		/* pkt_len beyond the template: zero padding */
	int verdict;
	/*
	 * Wanted for OK; proto and thoff for UNSUPPORTED_PROTO and FRAGMENT
	 * (and nhoff for IPv6's UNSUPPORTED_PROTO), need for NEED_MORE.
	 */
	u8 proto;
	u16 thoff, thlen, nhoff;
	u16 sport, dport;		/* host byte order */
	u32 len_ip, payload_len;
	u8 tcp_flags;
	u16 need;
};

#define T_OK_TCP(th, tl, sp, dp, l, pl, fl) \
	.verdict = MPROX_PKT_OK, .proto = IPPROTO_TCP, .thoff = (th), .thlen = (tl), \
	.sport = (sp), .dport = (dp), .len_ip = (l), .payload_len = (pl), .tcp_flags = (fl)
#define T_OK_UDP(th, l, pl) \
	.verdict = MPROX_PKT_OK, .proto = IPPROTO_UDP, .thoff = (th), .thlen = 8, \
	.sport = 12345, .dport = 53, .len_ip = (l), .payload_len = (pl)

static const struct mprox_pkt_case mprox_pkt_cases[] = {
	/* Packets that parse */
	{ "IPv4 TCP SYN", T4_TCP, T_OK_TCP(20, 20, 54321, 443, 48, 8, 0x02) },
	{ "IPv4 options, TCP options", T4_TCP_OPTS, T_OK_TCP(24, 32, 40000, 80, 60, 4, 0x10) },
	{ "IPv4 NOP, record route, NOPs, EOL", T4_TCP_RR,
	  T_OK_TCP(32, 20, 54321, 443, 60, 8, 0x02) },
	{ "IPv4 timestamp option", T4_TCP_RR,
	  { T_SET(21, 68), T_SET(22, 8), T_SET(23, 5) }, 3,
	  T_OK_TCP(32, 20, 54321, 443, 60, 8, 0x02) },
	{ "IPv4 option up to the last byte of the header", T4_TCP_RR, { T_SET(22, 11) }, 1,
	  T_OK_TCP(32, 20, 54321, 443, 60, 8, 0x02) },
	{ "IPv4 NOPs to the end of the header, no EOL", T4_TCP_RR, { T_SET(31, 1) }, 1,
	  T_OK_TCP(32, 20, 54321, 443, 60, 8, 0x02) },
	{ "IPv4 EOL, then garbage (LSRR of length 0) is not looked at", T4_TCP_RR,
	  { T_SET(20, 0), T_SET(21, 131), T_SET(22, 0) }, 3,
	  T_OK_TCP(32, 20, 54321, 443, 60, 8, 0x02) },
	{ "IPv4 UDP", T4_UDP, T_OK_UDP(20, 36, 8) },
	{ "IPv4 UDP, bytes after the IP packet are padding", T4_UDP, T_LEN(46, 46),
	  T_OK_UDP(20, 36, 8) },
	{ "IPv4 UDP length below the IP payload", T4_UDP, { T_SET(25, 12) }, 1,
	  T_OK_UDP(20, 36, 4) },
	{ "IPv4 TCP, ECN bits and reserved bit are not fragments", T4_TCP,
	  { T_SET(1, 0x03), T_SET(6, 0xc0) }, 2, T_OK_TCP(20, 20, 54321, 443, 48, 8, 0x02) },
	{ "IPv6 TCP", T6_TCP, T_OK_TCP(40, 20, 54321, 443, 68, 8, 0x18) },
	{ "IPv6 UDP", T6_UDP, T_OK_UDP(40, 56, 8) },
	{ "IPv6 hop-by-hop, dest opts, routing (0 left), UDP", T6_EXT_UDP,
	  T_OK_UDP(64, 80, 8) },
	{ "IPv6 bytes after the payload are padding", T6_TCP, T_LEN(80, 80),
	  T_OK_TCP(40, 20, 54321, 443, 68, 8, 0x18) },

	/* Part of the headers in the buffer */
	{ "IPv4 TCP, empty buffer", T4_TCP, T_LEN(0, 48), .verdict = MPROX_PKT_NEED_MORE,
	  .need = 1 },
	{ "IPv4 TCP, 1 byte", T4_TCP, T_LEN(1, 48), .verdict = MPROX_PKT_NEED_MORE, .need = 20 },
	{ "IPv4 options, 20 bytes", T4_TCP_OPTS, T_LEN(20, 60), .verdict = MPROX_PKT_NEED_MORE,
	  .need = 24 },
	{ "IPv4 TCP options, 44 bytes", T4_TCP_OPTS, T_LEN(44, 60),
	  .verdict = MPROX_PKT_NEED_MORE, .need = 56 },
	{ "IPv4 record route, 24 bytes", T4_TCP_RR, T_LEN(24, 60),
	  .verdict = MPROX_PKT_NEED_MORE, .need = 32 },
	{ "IPv4 LSRR, 24 bytes: the options are read whole", T4_TCP_RR, { T_SET(21, 131) }, 1,
	  T_LEN(24, 60), .verdict = MPROX_PKT_NEED_MORE, .need = 32 },
	{ "IPv4 TCP, headers only", T4_TCP, T_LEN(40, 48),
	  T_OK_TCP(20, 20, 54321, 443, 48, 8, 0x02) },
	{ "IPv6 TCP, 30 bytes", T6_TCP, T_LEN(30, 68), .verdict = MPROX_PKT_NEED_MORE,
	  .need = 40 },
	{ "IPv6 extension headers, 41 bytes", T6_EXT_UDP, T_LEN(41, 80),
	  .verdict = MPROX_PKT_NEED_MORE, .need = 42 },
	{ "IPv6 extension headers, 42 bytes", T6_EXT_UDP, T_LEN(42, 80),
	  .verdict = MPROX_PKT_NEED_MORE, .need = 48 },
	{ "IPv6 extension headers, 64 bytes", T6_EXT_UDP, T_LEN(64, 80),
	  .verdict = MPROX_PKT_NEED_MORE, .need = 72 },

	/* IPv4 rejected */
	{ "empty packet", T4_TCP, T_LEN(0, 0), .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv4 19 bytes", T4_TCP, T_LEN(19, 19), .verdict = MPROX_PKT_TRUNCATED },
	{ "version 5", T4_TCP, { T_SET(0, 0x55) }, 1, .verdict = MPROX_PKT_BAD_VERSION },
	{ "version 0", T4_TCP, { T_SET(0, 0x05) }, 1, .verdict = MPROX_PKT_BAD_VERSION },
	{ "IHL 4", T4_TCP, { T_SET(0, 0x44) }, 1, .verdict = MPROX_PKT_BAD_IHL },
	{ "IHL 0", T4_TCP, { T_SET(0, 0x40) }, 1, .verdict = MPROX_PKT_BAD_IHL },
	{ "IHL 15, beyond the packet", T4_TCP, { T_SET(0, 0x4f) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv4 total length beyond the data", T4_TCP, { T_SET(3, 49) }, 1,
	  .verdict = MPROX_PKT_BAD_LENGTH },
	{ "IPv4 total length 65535", T4_TCP, { T_SET(2, 0xff), T_SET(3, 0xff) }, 2,
	  .verdict = MPROX_PKT_BAD_LENGTH },
	{ "IPv4 total length below IHL", T4_TCP, { T_SET(3, 19) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv4 total length cuts the TCP header", T4_TCP, { T_SET(3, 39) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv4 total length cuts the TCP options", T4_TCP_OPTS, { T_SET(3, 55) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv4 loose source route (LSRR)", T4_TCP_RR, { T_SET(21, 131) }, 1,
	  .verdict = MPROX_PKT_SOURCE_ROUTE },
	{ "IPv4 strict source route (SSRR)", T4_TCP_RR, { T_SET(21, 137) }, 1,
	  .verdict = MPROX_PKT_SOURCE_ROUTE },
	{ "IPv4 LSRR after record route", T4_TCP_RR,
	  { T_SET(28, 131), T_SET(29, 3), T_SET(30, 4) }, 3,
	  .verdict = MPROX_PKT_SOURCE_ROUTE },
	{ "IPv4 LSRR in ICMP", T4_TCP_RR, { T_SET(9, 1), T_SET(21, 131) }, 2,
	  .verdict = MPROX_PKT_SOURCE_ROUTE },
	{ "IPv4 option length 0", T4_TCP_RR, { T_SET(22, 0) }, 1,
	  .verdict = MPROX_PKT_BAD_IP_OPTION },
	{ "IPv4 option length 1", T4_TCP_RR, { T_SET(22, 1) }, 1,
	  .verdict = MPROX_PKT_BAD_IP_OPTION },
	{ "IPv4 option past the header by one byte", T4_TCP_RR, { T_SET(22, 12) }, 1,
	  .verdict = MPROX_PKT_BAD_IP_OPTION },
	{ "IPv4 option length 255", T4_TCP_RR, { T_SET(22, 255) }, 1,
	  .verdict = MPROX_PKT_BAD_IP_OPTION },
	{ "IPv4 LSRR of length 1: malformed first", T4_TCP_RR,
	  { T_SET(21, 131), T_SET(22, 1) }, 2, .verdict = MPROX_PKT_BAD_IP_OPTION },
	{ "IPv4 option type in the header's last byte, no length", T4_TCP_RR,
	  { T_SET(31, 7) }, 1, .verdict = MPROX_PKT_BAD_IP_OPTION },
	{ "IPv4 LSRR type in the header's last byte, no length", T4_TCP_RR,
	  { T_SET(31, 131) }, 1, .verdict = MPROX_PKT_BAD_IP_OPTION },
	{ "IPv4 more fragments", T4_TCP, { T_SET(6, 0x20) }, 1, .verdict = MPROX_PKT_FRAGMENT,
	  .proto = IPPROTO_TCP, .thoff = 20 },
	{ "IPv4 fragment offset 1, DF", T4_UDP, { T_SET(6, 0x40), T_SET(7, 0x01) }, 2,
	  .verdict = MPROX_PKT_FRAGMENT, .proto = IPPROTO_UDP, .thoff = 20 },
	{ "IPv4 last fragment of ICMP", T4_ICMP, { T_SET(7, 0x10) }, 1,
	  .verdict = MPROX_PKT_FRAGMENT, .proto = 1, .thoff = 20 },
	{ "TCP data offset 4", T4_TCP, { T_SET(32, 0x40) }, 1,
	  .verdict = MPROX_PKT_BAD_TCP_DOFF },
	{ "TCP data offset 0", T4_TCP, { T_SET(32, 0x02) }, 1,
	  .verdict = MPROX_PKT_BAD_TCP_DOFF },
	{ "TCP data offset 15, beyond the packet", T4_TCP, { T_SET(32, 0xf0) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "UDP length 7", T4_UDP, { T_SET(25, 7) }, 1, .verdict = MPROX_PKT_BAD_UDP_LEN },
	{ "UDP length beyond the IP payload", T4_UDP, { T_SET(25, 17) }, 1,
	  .verdict = MPROX_PKT_BAD_UDP_LEN },
	{ "IPv4 total length cuts the UDP header", T4_UDP, { T_SET(3, 27) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv4 ICMP", T4_ICMP, .verdict = MPROX_PKT_UNSUPPORTED_PROTO, .proto = 1,
	  .thoff = 20 },
	{ "IPv4 GRE", T4_TCP, { T_SET(9, 47) }, 1, .verdict = MPROX_PKT_UNSUPPORTED_PROTO,
	  .proto = 47, .thoff = 20 },

	/* IPv6 rejected */
	{ "IPv6 39 bytes", T6_TCP, T_LEN(39, 39), .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv6 payload length 0 (jumbogram)", T6_TCP, { T_SET(5, 0) }, 1,
	  .verdict = MPROX_PKT_BAD_LENGTH },
	{ "IPv6 payload length beyond the data", T6_TCP, { T_SET(5, 29) }, 1,
	  .verdict = MPROX_PKT_BAD_LENGTH },
	{ "IPv6 payload length cuts the TCP header", T6_TCP, { T_SET(5, 19) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv6 fragment header", T6_FRAG, .verdict = MPROX_PKT_FRAGMENT,
	  .proto = 44 },
	{ "IPv6 fragment header after hop-by-hop", T6_EXT_UDP, { T_SET(40, 44) }, 1,
	  .verdict = MPROX_PKT_FRAGMENT, .proto = 44 },
	{ "IPv6 five extension headers", T6_EXT5_UDP, .verdict = MPROX_PKT_EXT_HDR_LIMIT },
	{ "IPv6 extension headers over 256 bytes", T6_EXT_UDP, { T_SET(41, 32) }, 1,
	  .verdict = MPROX_PKT_EXT_HDR_LIMIT },
	{ "IPv6 extension headers of 256 bytes, beyond the packet", T6_EXT_UDP,
	  { T_SET(41, 31) }, 1, .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv6 hop-by-hop not first", T6_EXT_UDP, { T_SET(48, 0) }, 1,
	  .verdict = MPROX_PKT_BAD_EXT_HDR },
	{ "IPv6 routing header, 1 segment left", T6_EXT_UDP, { T_SET(59, 1) }, 1,
	  .verdict = MPROX_PKT_BAD_EXT_HDR },
	{ "IPv6 payload length cuts an extension header", T6_EXT_UDP, { T_SET(5, 20) }, 1,
	  .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv6 payload length cuts an extension header's length", T6_EXT_UDP,
	  { T_SET(5, 1) }, 1, .verdict = MPROX_PKT_TRUNCATED },
	{ "IPv6 ICMPv6", T6_ICMP, .verdict = MPROX_PKT_UNSUPPORTED_PROTO, .proto = 58,
	  .thoff = 40, .nhoff = 6 },
	{ "IPv6 no next header", T6_TCP, { T_SET(6, 59) }, 1,
	  .verdict = MPROX_PKT_UNSUPPORTED_PROTO, .proto = 59, .thoff = 40, .nhoff = 6 },
	{ "IPv6 ESP after hop-by-hop", T6_EXT_UDP, { T_SET(40, 50) }, 1,
	  .verdict = MPROX_PKT_UNSUPPORTED_PROTO, .proto = 50, .thoff = 48, .nhoff = 40 },
	{ "IPv6 ESP after hop-by-hop and destination options", T6_EXT_UDP, { T_SET(48, 50) }, 1,
	  .verdict = MPROX_PKT_UNSUPPORTED_PROTO, .proto = 50, .thoff = 56, .nhoff = 48 },
	{ "IPv6 TCP data offset 4", T6_TCP, { T_SET(52, 0x40) }, 1,
	  .verdict = MPROX_PKT_BAD_TCP_DOFF },
	{ "IPv6 UDP length beyond the payload", T6_UDP, { T_SET(45, 17) }, 1,
	  .verdict = MPROX_PKT_BAD_UDP_LEN },
};

static u16 mprox_pkt_case_port(__be16 port)
{
	const u8 *b = (const u8 *)&port;

	return (u16)(b[0] << 8 | b[1]);
}

/*
 * Build the case's packet in @buf (T_BUF_MAX bytes) and return its length;
 * *@len is how much of it to parse.
 */
static size_t mprox_pkt_case_build(const struct mprox_pkt_case *c, u8 *buf, size_t *len)
{
	const struct mprox_pkt_tmpl_data *t = &mprox_pkt_tmpls[c->tmpl];
	size_t pkt_len = c->lens ? c->pkt_len : t->len;
	unsigned int i;

	memset(buf, 0, T_BUF_MAX);
	memcpy(buf, t->bytes, t->len);
	for (i = 0; i < c->nset; i++)
		buf[c->set[i].off] = c->set[i].val;
	*len = c->lens ? c->len : pkt_len;
	return pkt_len;
}

/* Whether the parse of @c into @p (returning @ret) is as wanted; else why not. */
static const char *mprox_pkt_case_check(const struct mprox_pkt_case *c, int ret,
					const struct mprox_pkt *p)
{
	if (ret != c->verdict)
		return "verdict";
	switch (ret) {
	case MPROX_PKT_NEED_MORE:
		if (p->need != c->need)
			return "need";
		return NULL;
	case MPROX_PKT_OK:
	case MPROX_PKT_UNSUPPORTED_PROTO:
	case MPROX_PKT_FRAGMENT:
		break;
	default:
		return NULL;
	}
	if (p->proto != c->proto)
		return "proto";
	if (p->family != (mprox_pkt_tmpls[c->tmpl].bytes[0] == 0x60 ? AF_INET6 : AF_INET))
		return "family";
	if (p->family == AF_INET ?
	    memcmp(&p->saddr.v4, T4_ADDRS, 4) || memcmp(&p->daddr.v4, T4_ADDRS + 4, 4) :
	    memcmp(&p->saddr.v6, T6_ADDRS, 16) || memcmp(&p->daddr.v6, T6_ADDRS + 16, 16))
		return "addresses";
	if (p->nhlen != (p->family == AF_INET ? (mprox_pkt_tmpls[c->tmpl].bytes[0] & 0xf) * 4 : 40))
		return "nhlen";
	if (ret == MPROX_PKT_FRAGMENT)
		return NULL;
	if (p->thoff != c->thoff)
		return "thoff";
	if (ret == MPROX_PKT_UNSUPPORTED_PROTO)
		return p->family == AF_INET6 && p->nhoff != c->nhoff ? "nhoff" : NULL;
	if (p->thlen != c->thlen)
		return "thlen";
	if (mprox_pkt_case_port(p->sport) != c->sport)
		return "sport";
	if (mprox_pkt_case_port(p->dport) != c->dport)
		return "dport";
	if (p->len != c->len_ip)
		return "len";
	if (p->payload_len != c->payload_len)
		return "payload_len";
	if (p->tcp_flags != c->tcp_flags)
		return "tcp_flags";
	return NULL;
}

/*
 * Parse @c from a copy in @copy, which holds exactly the bytes parsed (so
 * that a read past them is an out-of-bounds access); @buf is T_BUF_MAX.
 */
static const char *mprox_pkt_case_run(const struct mprox_pkt_case *c, u8 *buf, u8 *copy,
				      int *ret)
{
	struct mprox_pkt p;
	size_t len, pkt_len = mprox_pkt_case_build(c, buf, &len);

	memcpy(copy, buf, len);
	*ret = mprox_pkt_parse_buf(copy, len, pkt_len, &p);
	return mprox_pkt_case_check(c, *ret, &p);
}

/* Bytes the case parses: what a runner allocates for mprox_pkt_case_run()'s @copy. */
static size_t mprox_pkt_case_len(const struct mprox_pkt_case *c)
{
	return c->lens ? c->len : mprox_pkt_tmpls[c->tmpl].len;
}

/*
 * Every template parsed from its first @k bytes (in @copy, exactly @k
 * bytes): as a whole packet of @k bytes nothing shorter than the template
 * parses; as the start of the template the parser asks for more, within the
 * packet, or gives the result for the whole of it (which is how
 * mprox_pkt_parse_skb() pulls).
 */
static const char *mprox_pkt_prefix_run(enum mprox_pkt_tmpl tmpl, size_t k, u8 *copy)
{
	const struct mprox_pkt_tmpl_data *t = &mprox_pkt_tmpls[tmpl];
	struct mprox_pkt whole, p;
	int want, ret;

	want = mprox_pkt_parse_buf((const u8 *)t->bytes, t->len, t->len, &whole);
	memcpy(copy, t->bytes, k);
	ret = mprox_pkt_parse_buf(copy, k, k, &p);
	if (k < t->len && (ret == MPROX_PKT_OK || ret == MPROX_PKT_NEED_MORE))
		return "a cut packet parses";
	ret = mprox_pkt_parse_buf(copy, k, t->len, &p);
	if (ret == MPROX_PKT_NEED_MORE)
		return p.need > k && p.need <= t->len ? NULL : "need out of range";
	if (ret != want)
		return "verdict differs from the whole packet's";
	if (memcmp(&p, &whole, sizeof(p)))
		return "fields differ from the whole packet's";
	return NULL;
}

#endif /* _MPROX_PACKET_TEST_CASES_H */
