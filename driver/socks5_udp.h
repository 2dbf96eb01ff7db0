/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SOCKS5 UDP request header (RFC 1928 section 7), for the UDP half of
 * the data path: every datagram to and from the relay that a UDP
 * ASSOCIATE gave carries one in front of its payload.
 *
 *   +-----+------+------+----------+----------+----------+
 *   | RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
 *   +-----+------+------+----------+----------+----------+
 *   |  2  |  1   |  1   | Variable |    2     | Variable |
 *   +-----+------+------+----------+----------+----------+
 *
 * RSV is 0, FRAG 0 for a datagram of its own, and ATYP DST.ADDR DST.PORT
 * the part every SOCKS5 message that names an address shares (socks5.h,
 * mprox_socks5_get_addr()). To the relay it names the destination; from
 * it, the source of the reply.
 *
 * Pure, like the codecs (codec.h): no allocation, no locks, no global
 * state, nothing read or written outside the (pointer, length) given; every
 * byte from the relay is hostile. Unlike a TCP reply, a datagram is whole
 * when it comes: a header it does not hold is a broken datagram, not one to
 * wait for. The same file builds into mprox.ko, into the KUnit suite and,
 * with tests/shim/kernel_shim.h, into the host unit test and the libFuzzer
 * target.
 */
#ifndef _MPROX_SOCKS5_UDP_H
#define _MPROX_SOCKS5_UDP_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "kernel_shim.h"
#endif
#include "codec.h"
#include "socks5.h"

/* The shortest header (a name of 1 byte) and the longest (of 255). */
#define MPROX_SOCKS5_UDP_HDR_MIN	(3 + 2 + 1 + 2)
#define MPROX_SOCKS5_UDP_HDR_MAX	(3 + MPROX_SOCKS5_ADDR_MAX)

/*
 * Why a datagram from the relay is dropped: mprox_socks5_udp_parse()
 * returns one of these negated. Each is counted on its own; none is an
 * errno.
 */
enum mprox_socks5_udp_drop {
	/* Shorter than the header its first bytes announce. */
	MPROX_SOCKS5_UDP_TRUNCATED = 1,
	/* RSV not 0: not a header mprox knows how to read. */
	MPROX_SOCKS5_UDP_BAD_RSV,
	/*
	 * FRAG not 0: part of a fragmented datagram. Reassembly is optional
	 * (section 7) and mprox does none: the application's own protocol
	 * resends, as it would for a lost datagram.
	 */
	MPROX_SOCKS5_UDP_FRAGMENT,
	/* ATYP other than 1, 3 or 4. */
	MPROX_SOCKS5_UDP_BAD_ATYP,
	/* ATYP 3 with a name of length 0. */
	MPROX_SOCKS5_UDP_EMPTY_NAME,
	MPROX_SOCKS5_UDP_DROP_COUNT
};

/*
 * The header for a datagram to @dest at the start of @buf, which has @size
 * bytes: 00 00 00 ATYP DST.ADDR DST.PORT, with ATYP 1 (AF_INET), 4
 * (AF_INET6) or 3 (AF_UNSPEC: the name, 1..255 bytes, no NUL byte in it).
 * Returns its length, 8..262, or, with @buf untouched, -EINVAL for a @dest
 * it cannot name (another family, a name empty, over 255 bytes or with a
 * NUL) and then -ENOSPC when @size is too small.
 */
int mprox_socks5_udp_header(const struct mprox_dest *dest, u8 *buf, size_t size);

/*
 * The header of the datagram from the relay at @buf, @len bytes. Returns
 * its length, 8..262 and never more than @len: the payload is the rest,
 * possibly empty, and @dest is its source (a name points into @buf). Or
 * returns -enum mprox_socks5_udp_drop with @dest untouched: the fields are
 * looked at in wire order and the first that is wrong, or missing, says
 * why, so that a datagram cut short of the header is TRUNCATED, or what
 * the bytes it holds already show.
 */
int mprox_socks5_udp_parse(const u8 *buf, size_t len, struct mprox_dest *dest);

#endif /* _MPROX_SOCKS5_UDP_H */
