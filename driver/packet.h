/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The packet layer of the data path: parse and validate the IPv4/IPv6 and
 * TCP/UDP headers of a packet the device was handed, and rewrite its
 * 4-tuple with incremental checksum updates (design.md, "Data path").
 *
 * mprox_pkt_parse_buf() is pure: it reads at most @len bytes of a linear
 * buffer and nothing else, so it builds with tests/shim/kernel_shim.h into
 * the host unit test and the libFuzzer target. The skb functions exist in
 * the kernel only.
 *
 * Offsets in struct mprox_pkt are from the start of the network header.
 * Which fields a verdict fills in:
 *
 *   OK                    all of them
 *   UNSUPPORTED_PROTO     family, proto, saddr, daddr, nhlen, thoff, len:
 *                         enough to answer with ICMP (proto is the first
 *                         header that is neither a walked IPv6 extension
 *                         header nor TCP/UDP, e.g. ICMP, ICMPv6, ESP, AH)
 *   FRAGMENT              family, proto (IPv4; IPv6: NEXTHDR_FRAGMENT),
 *                         saddr, daddr, nhlen, len
 *   NEED_MORE             need: the buffer holds only part of the headers,
 *                         parse again with at least @need bytes
 *   any other             nothing reliable
 */
#ifndef _MPROX_PACKET_H
#define _MPROX_PACKET_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#else
#include "kernel_shim.h"
#include <linux/types.h> /* __be16, __be32 */
#endif

/* At most this many IPv6 extension headers before the transport header. */
#define MPROX_PKT_EXT_MAX	4
/* ... and at most this many bytes of them. */
#define MPROX_PKT_EXT_BYTES_MAX	256
/* TCP header with the most options. */
#define MPROX_PKT_TCP_MAX	60
/*
 * The most header bytes a packet that parses can have (IPv6 + extension
 * headers + TCP with options; IPv4 with options + TCP is less): what
 * mprox_pkt_parse_skb() makes linear at most. The payload is never pulled.
 */
#define MPROX_PKT_HDR_MAX	(40 + MPROX_PKT_EXT_BYTES_MAX + MPROX_PKT_TCP_MAX)

enum mprox_pkt_verdict {
	MPROX_PKT_OK = 0,
	/* Only from _parse_buf() when @len < @pkt_len; see need. */
	MPROX_PKT_NEED_MORE,
	/* A header runs past the end of the data or of the IP packet. */
	MPROX_PKT_TRUNCATED,
	/* First nibble neither 4 nor 6. */
	MPROX_PKT_BAD_VERSION,
	/* IPv4 IHL below 5. */
	MPROX_PKT_BAD_IHL,
	/*
	 * IPv4: an option other than EOL or NOP without a length byte, or
	 * whose length is below 2 or runs past the IHL.
	 */
	MPROX_PKT_BAD_IP_OPTION,
	/*
	 * IPv4: a loose or strict source route option (LSRR, SSRR), which any
	 * application may set with IP_OPTIONS: the destination address is
	 * only the first hop, not the destination (as a routing header with
	 * segments left in IPv6, BAD_EXT_HDR).
	 */
	MPROX_PKT_SOURCE_ROUTE,
	/*
	 * The IP length field claims more bytes than there are, or IPv6
	 * payload length 0 (jumbogram: the device has no BIG TCP).
	 */
	MPROX_PKT_BAD_LENGTH,
	/* IPv4 MF or fragment offset set; any IPv6 fragment header. */
	MPROX_PKT_FRAGMENT,
	/*
	 * IPv6: hop-by-hop options not first, or a routing header with
	 * segments left (the destination address is not the final one).
	 */
	MPROX_PKT_BAD_EXT_HDR,
	/* More than MPROX_PKT_EXT_MAX or MPROX_PKT_EXT_BYTES_MAX. */
	MPROX_PKT_EXT_HDR_LIMIT,
	/* TCP data offset below 5. */
	MPROX_PKT_BAD_TCP_DOFF,
	/* UDP length below 8 or beyond the IP payload. */
	MPROX_PKT_BAD_UDP_LEN,
	/* Neither TCP nor UDP: proto says what (see above). */
	MPROX_PKT_UNSUPPORTED_PROTO,
	MPROX_PKT_VERDICT_COUNT
};

union mprox_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

struct mprox_pkt {
	union mprox_addr saddr;		/* network byte order */
	union mprox_addr daddr;
	/* The IP packet: header to end of payload (bytes after it are padding). */
	u32 len;
	/* TCP: bytes after the header; UDP: UDP length less 8. */
	u32 payload_len;
	u16 family;			/* AF_INET or AF_INET6 */
	u16 nhlen;			/* IPv4 IHL * 4; IPv6 40 */
	u16 thoff;			/* nhlen + IPv6 extension headers */
	u16 nhoff;			/* IPv6: the Next Header naming proto */
	u16 thlen;			/* 8, or TCP data offset * 4 */
	u16 need;			/* NEED_MORE only */
	__be16 sport;
	__be16 dport;
	u8 proto;			/* IPPROTO_TCP, IPPROTO_UDP, or see above */
	u8 tcp_flags;			/* TCP: byte 13, CWR..FIN; else 0 */
};

/* Offset of the transport checksum field from the network header. */
static inline unsigned int mprox_pkt_csum_off(const struct mprox_pkt *p)
{
	return p->thoff + (p->proto == IPPROTO_TCP ? 16 : 6);
}

const char *mprox_pkt_verdict_name(int verdict);

/*
 * Parse the headers of the packet at @buf, of which @len bytes are there to
 * read, out of @pkt_len bytes from the network header to the end of the
 * packet (len <= pkt_len). Returns an enum mprox_pkt_verdict.
 */
int mprox_pkt_parse_buf(const u8 *buf, size_t len, size_t pkt_len, struct mprox_pkt *p);

#ifdef __KERNEL__
struct sk_buff;

/*
 * The same for the packet at skb_network_header(@skb) to the end of @skb:
 * makes the headers linear (at most MPROX_PKT_HDR_MAX bytes, never the
 * payload of a GSO packet), which may move the head. Returns an enum
 * mprox_pkt_verdict other than NEED_MORE, or -ENOMEM.
 */
int mprox_pkt_parse_skb(struct sk_buff *skb, struct mprox_pkt *p);

/*
 * Rewrite the addresses and ports of the TCP or UDP packet @skb, parsed
 * into @p (MPROX_PKT_OK) and not changed since, to @saddr:@sport ->
 * @daddr:@dport (of @p->family, network byte order), updating the IPv4
 * header checksum and the transport checksum incrementally for any
 * ip_summed, and skb->csum for CHECKSUM_COMPLETE. GSO packets are
 * rewritten once, in the headers that segmentation copies. Returns 0,
 * -EINVAL when @p does not fit @skb, or -ENOMEM.
 */
int mprox_pkt_rewrite(struct sk_buff *skb, const struct mprox_pkt *p,
		      const union mprox_addr *saddr, __be16 sport,
		      const union mprox_addr *daddr, __be16 dport);
#endif

#endif /* _MPROX_PACKET_H */
