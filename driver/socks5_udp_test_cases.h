/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SOCKS5 UDP header's test cases (socks5_udp.c), shared by the KUnit
 * suite (socks5_udp_test.c) and the host unit test
 * (tests/unit/test_socks5_udp.c): one table, two runners. Include after
 * socks5_udp.c or socks5_udp.h (and <linux/string.h> or the shim).
 *
 * The run functions work in a scratch buffer of
 * MPROX_SOCKS5_UDP_TEST_SCRATCH bytes that the runner allocates on the
 * heap. Every header is built, and every datagram parsed, at the very end
 * of it, so that one byte written or read past the (pointer, length) given
 * is outside the allocation, where KASAN or ASan see it. A datagram with a
 * payload of 65000 bytes is its header at the end of the scratch buffer and
 * a length that says 65000 more: the parser reads the header only, and a
 * read of the payload would be outside the allocation too.
 */
#ifndef _MPROX_SOCKS5_UDP_TEST_CASES_H
#define _MPROX_SOCKS5_UDP_TEST_CASES_H

#include "codec_test.h"

#define MPROX_SOCKS5_UDP_TEST_SCRATCH	1024

/* Inputs are string literals measured with sizeof: they may hold NUL bytes. */
#define TU_IN(s)	.in = (s), .len = sizeof(s) - 1
#define TU_NAME(s)	.name = (s), .name_len = sizeof(s) - 1
/* 255 bytes are TU_A64 TU_A64 TU_A64 TU_A63, 256 four TU_A64. */
#define TU_A64		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TU_A63		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
/* 192.0.2.1 and 2001:db8::1 */
#define TU_V4		"\xc0\x00\x02\x01"
#define TU_V6		"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
/* Headers of each kind: 192.0.2.1:53, [2001:db8::1]:443, example.com:8080 */
#define TU_HDR4		"\0\0\0\x01" TU_V4 "\x00\x35"
#define TU_HDR6		"\0\0\0\x04" TU_V6 "\x01\xbb"
#define TU_HDRN		"\0\0\0\x03\013example.com\x1f\x90"
#define TU_HDR255	"\0\0\0\x03\xff" TU_A64 TU_A64 TU_A64 TU_A63 "\x00\x35"
/* A destination of a case, as its fields. */
#define TU_DEST4	.family = AF_INET, .addr = TU_V4, .port = 53
#define TU_DEST6	.family = AF_INET6, .addr = TU_V6, .port = 443
#define TU_DESTN	.family = AF_UNSPEC, TU_NAME("example.com"), .port = 8080

struct mprox_socks5_udp_build_case {
	const char *desc;
	u16 family;			/* the destination */
	const char *addr;		/* 4 or 16 bytes, network order */
	const char *name;
	size_t name_len;
	u16 port;
	/*
	 * With @sized, the buffer has @size bytes. Without, it is large, and
	 * a header that builds is also built into exactly its length and
	 * into one byte less (ENOSPC).
	 */
	bool sized;
	size_t size;
	int ret;
	const char *want;		/* @ret bytes, when @ret > 0 */
};

static const struct mprox_socks5_udp_build_case mprox_socks5_udp_build_cases[] = {
	{ "header IPv4", TU_DEST4, .ret = 10, .want = TU_HDR4 },
	{ "header IPv4, port byte order", .family = AF_INET, .addr = "\x0a\x00\x00\x01",
	  .port = 0x1234, .ret = 10, .want = "\0\0\0\x01\x0a\x00\x00\x01\x12\x34" },
	{ "header IPv4, port 0 passed on", .family = AF_INET, .addr = "\0\0\0\0", .port = 0,
	  .ret = 10, .want = "\0\0\0\x01\0\0\0\0\0\0" },
	{ "header IPv4 into 9 bytes", TU_DEST4, .sized = true, .size = 9, .ret = -ENOSPC },
	{ "header IPv4 into no room", TU_DEST4, .sized = true, .size = 0, .ret = -ENOSPC },
	{ "header IPv6", TU_DEST6, .ret = 22, .want = TU_HDR6 },
	{ "header IPv6 into 21 bytes", TU_DEST6, .sized = true, .size = 21, .ret = -ENOSPC },
	{ "header name", TU_DESTN, .ret = 18, .want = TU_HDRN },
	{ "header 1-byte name, port 65535", .family = AF_UNSPEC, TU_NAME("a"), .port = 65535,
	  .ret = 8, .want = "\0\0\0\x03\001a\xff\xff" },
	{ "header 255-byte name", .family = AF_UNSPEC,
	  TU_NAME(TU_A64 TU_A64 TU_A64 TU_A63), .port = 53, .ret = 262, .want = TU_HDR255 },
	{ "header 255-byte name into 261 bytes", .family = AF_UNSPEC,
	  TU_NAME(TU_A64 TU_A64 TU_A64 TU_A63), .port = 53, .sized = true, .size = 261,
	  .ret = -ENOSPC },
	{ "header 256-byte name", .family = AF_UNSPEC, TU_NAME(TU_A64 TU_A64 TU_A64 TU_A64),
	  .port = 53, .ret = -EINVAL },
	{ "header empty name", .family = AF_UNSPEC, TU_NAME(""), .port = 53, .ret = -EINVAL },
	{ "header no name", .family = AF_UNSPEC, .name = NULL, .name_len = 3, .port = 53,
	  .ret = -EINVAL },
	{ "header name with a NUL", .family = AF_UNSPEC, TU_NAME("evil.example\0.good.example"),
	  .port = 53, .ret = -EINVAL },
	{ "header AF_UNIX", .family = AF_UNIX, .port = 53, .ret = -EINVAL },
	{ "header AF_INET6 + 1", .family = AF_INET6 + 1, .port = 53, .ret = -EINVAL },
	{ "header invalid name beats no room", .family = AF_UNSPEC,
	  TU_NAME(TU_A64 TU_A64 TU_A64 TU_A64), .port = 53, .sized = true, .size = 0,
	  .ret = -EINVAL },
};

/* Whether @d is the destination @c names, its name at @name. */
static bool mprox_socks5_udp_dest_is(const struct mprox_dest *d, u16 family, const char *addr,
				     const char *name, size_t name_len, u16 port)
{
	if (d->family != family || d->port != port)
		return false;
	if (family == AF_INET)
		return !memcmp(&d->addr.v4, addr, 4);
	if (family == AF_INET6)
		return !memcmp(&d->addr.v6, addr, 16);
	return d->name == name && d->name_len == name_len;
}

/* One build of @c (a struct mprox_socks5_udp_build_case): mprox_test_build_fn. */
static const char *mprox_socks5_udp_build_once(const void *arg, u8 *scratch, size_t size,
					       int want, int *ret)
{
	const struct mprox_socks5_udp_build_case *c = arg;
	u8 *buf = scratch + MPROX_SOCKS5_UDP_TEST_SCRATCH - size;
	struct mprox_dest dest, back;
	const char *why;

	memset(scratch, 0xa5, MPROX_SOCKS5_UDP_TEST_SCRATCH);
	mprox_test_dest(&dest, c->family, c->addr, c->name, c->name_len, c->port);
	*ret = mprox_socks5_udp_header(&dest, buf, size);
	why = mprox_test_built(buf, size, *ret, want, c->want);
	if (why || *ret <= 0)
		return why;
	/* Round trip: the header parses back to @dest, its name in the header. */
	if (mprox_socks5_udp_parse(buf, *ret, &back) != *ret ||
	    !mprox_socks5_udp_dest_is(&back, c->family, c->addr, (const char *)buf + 5,
				      c->name_len, c->port))
		return "does not parse back";
	return NULL;
}

/*
 * Run builder case @c in @scratch (MPROX_SOCKS5_UDP_TEST_SCRATCH bytes).
 * Puts the return value in *@ret and the buffer size in *@size; returns
 * NULL when the case holds, otherwise what differed.
 */
static const char *mprox_socks5_udp_build_case_run(const struct mprox_socks5_udp_build_case *c,
						   u8 *scratch, int *ret, size_t *size)
{
	const struct mprox_test_build b = {
		.sized = c->sized, .size = c->size, .large = MPROX_SOCKS5_UDP_TEST_SCRATCH,
		.ret = c->ret,
	};

	return mprox_test_build_sizes(mprox_socks5_udp_build_once, c, &b, scratch, ret, size);
}

/* The outcomes, negated as the parser returns them. */
#define TU_TRUNCATED	(-MPROX_SOCKS5_UDP_TRUNCATED)
#define TU_BAD_RSV	(-MPROX_SOCKS5_UDP_BAD_RSV)
#define TU_FRAGMENT	(-MPROX_SOCKS5_UDP_FRAGMENT)
#define TU_BAD_ATYP	(-MPROX_SOCKS5_UDP_BAD_ATYP)
#define TU_EMPTY_NAME	(-MPROX_SOCKS5_UDP_EMPTY_NAME)

struct mprox_socks5_udp_parse_case {
	const char *desc;
	const char *in;
	size_t len;
	/* Payload bytes after @in, said by the length only (none are there). */
	size_t payload;
	int ret;		/* for all @len + @payload bytes */
	/*
	 * For @ret < 0, how many bytes show it: every shorter prefix must be
	 * TRUNCATED and every longer one @ret (0: every prefix is @ret). For
	 * @ret > 0 this is @ret itself, and unused.
	 */
	size_t at;
	u16 family;		/* the source, when @ret > 0 */
	const char *addr;	/* 4 or 16 bytes */
	size_t name_len;	/* the name is @in + 5 */
	u16 port;
};

static const struct mprox_socks5_udp_parse_case mprox_socks5_udp_parse_cases[] = {
	/* Round trips of each kind, with and without a payload */
	{ "IPv4, no payload", TU_IN(TU_HDR4), .ret = 10, TU_DEST4 },
	{ "IPv4, payload", TU_IN(TU_HDR4 "\x12\x34\x01\x00"), .ret = 10, TU_DEST4 },
	{ "IPv4, payload of 65000 bytes", TU_IN(TU_HDR4), .payload = 65000, .ret = 10,
	  TU_DEST4 },
	{ "IPv4, payload that looks like a header", TU_IN(TU_HDR4 TU_HDR6), .ret = 10,
	  TU_DEST4 },
	{ "IPv4, all zero", TU_IN("\0\0\0\x01\0\0\0\0\0\0"), .ret = 10, .family = AF_INET,
	  .addr = "\0\0\0\0", .port = 0 },
	{ "IPv6, no payload", TU_IN(TU_HDR6), .ret = 22, TU_DEST6 },
	{ "IPv6, payload of 65000 bytes", TU_IN(TU_HDR6), .payload = 65000, .ret = 22,
	  TU_DEST6 },
	{ "name, no payload", TU_IN(TU_HDRN), .ret = 18, .family = AF_UNSPEC, .name_len = 11,
	  .port = 8080 },
	{ "1-byte name, payload", TU_IN("\0\0\0\x03\001a\377\377DATA"), .ret = 8,
	  .family = AF_UNSPEC, .name_len = 1, .port = 65535 },
	{ "255-byte name, no payload", TU_IN(TU_HDR255), .ret = 262, .family = AF_UNSPEC,
	  .name_len = 255, .port = 53 },
	{ "255-byte name, payload of 65000 bytes", TU_IN(TU_HDR255), .payload = 65000,
	  .ret = 262, .family = AF_UNSPEC, .name_len = 255, .port = 53 },
	/* Any byte, as in a CONNECT reply; it does not build again (a NUL). */
	{ "name of any bytes", TU_IN("\0\0\0\x03\x03\0\xff\n\x00\x50"), .ret = 10,
	  .family = AF_UNSPEC, .name_len = 3, .port = 80 },

	/* Cut short: every prefix of the cases above is too */
	{ "nothing", TU_IN(""), .ret = TU_TRUNCATED },
	{ "IPv4 short of the last byte", TU_IN("\0\0\0\x01" TU_V4 "\x00"), .ret = TU_TRUNCATED },
	{ "IPv6 short of the port", TU_IN("\0\0\0\x04" TU_V6), .ret = TU_TRUNCATED },
	{ "name length only", TU_IN("\0\0\0\x03\x05"), .ret = TU_TRUNCATED },
	{ "255-byte name short of one byte",
	  TU_IN("\0\0\0\x03\xff" TU_A64 TU_A64 TU_A64 TU_A63 "\x00"), .ret = TU_TRUNCATED },

	/* RSV */
	{ "RSV 01 00", TU_IN("\x01\0\0\x01" TU_V4 "\x00\x35"), .ret = TU_BAD_RSV, .at = 1 },
	{ "RSV 00 01", TU_IN("\0\x01\0\x01" TU_V4 "\x00\x35"), .ret = TU_BAD_RSV, .at = 2 },
	{ "RSV FF FF", TU_IN("\xff\xff\0\x01" TU_V4 "\x00\x35"), .ret = TU_BAD_RSV, .at = 1 },
	{ "RSV 05 00: a SOCKS5 reply on the UDP socket",
	  TU_IN("\x05\x00\x00\x01" TU_V4 "\x00\x35"), .ret = TU_BAD_RSV, .at = 1 },
	{ "RSV wrong beats FRAG", TU_IN("\0\x01\x01\x01" TU_V4 "\x00\x35"), .ret = TU_BAD_RSV,
	  .at = 2 },

	/* FRAG */
	{ "FRAG 1", TU_IN("\0\0\x01\x01" TU_V4 "\x00\x35\x12\x34"), .ret = TU_FRAGMENT, .at = 3 },
	{ "FRAG 0x81, last fragment", TU_IN("\0\0\x81\x01" TU_V4 "\x00\x35"), .ret = TU_FRAGMENT,
	  .at = 3 },
	{ "FRAG FF", TU_IN("\0\0\xff\x01" TU_V4 "\x00\x35"), .ret = TU_FRAGMENT, .at = 3 },
	{ "FRAG wrong beats ATYP", TU_IN("\0\0\x01\x07"), .ret = TU_FRAGMENT, .at = 3 },

	/* ATYP */
	{ "ATYP 0", TU_IN("\0\0\0\x00" TU_V4 "\x00\x35"), .ret = TU_BAD_ATYP, .at = 4 },
	{ "ATYP 2", TU_IN("\0\0\0\x02" TU_V4 "\x00\x35"), .ret = TU_BAD_ATYP, .at = 4 },
	{ "ATYP 5", TU_IN("\0\0\0\x05" TU_V4 "\x00\x35"), .ret = TU_BAD_ATYP, .at = 4 },
	{ "ATYP FF, nothing after it", TU_IN("\0\0\0\xff"), .ret = TU_BAD_ATYP, .at = 4 },
	{ "ATYP 0, 65000 bytes said", TU_IN("\0\0\0\x00"), .payload = 65000, .ret = TU_BAD_ATYP,
	  .at = 4 },

	/* Name */
	{ "name of length 0", TU_IN("\0\0\0\x03\x00\x00\x35"), .ret = TU_EMPTY_NAME, .at = 5 },
	{ "name of length 0, nothing after it", TU_IN("\0\0\0\x03\x00"), .ret = TU_EMPTY_NAME,
	  .at = 5 },
};

/*
 * Run parser case @c in @scratch (MPROX_SOCKS5_UDP_TEST_SCRATCH bytes):
 * every prefix of @in, from none of it to all, each at the very end of the
 * scratch buffer, the last one with the payload said after it. Each must
 * be TRUNCATED until the header is whole (or what is wrong shows) and the
 * final result from then on; a header is re-encoded from what was parsed,
 * to the same bytes (but a name with a NUL, refused). Puts the last result
 * in *@ret and the bytes given in *@fed; returns NULL when the case holds,
 * otherwise what differed.
 */
static const char *mprox_socks5_udp_parse_case_run(const struct mprox_socks5_udp_parse_case *c,
						   u8 *scratch, int *ret, size_t *fed)
{
	size_t at = c->ret > 0 ? (size_t)c->ret : c->at;
	struct mprox_dest d, poison;
	size_t k;
	int want, n;

	*ret = 0;
	*fed = 0;
	/* Room for the input at the end and a header at the start. */
	if (c->len + MPROX_SOCKS5_UDP_HDR_MAX > MPROX_SOCKS5_UDP_TEST_SCRATCH || at > c->len)
		return "bad case";
	memset(&poison, 0xa5, sizeof(poison));
	for (k = 0; k <= c->len; k++) {
		u8 *buf = scratch + MPROX_SOCKS5_UDP_TEST_SCRATCH - k;

		memset(scratch, 0xa5, MPROX_SOCKS5_UDP_TEST_SCRATCH);
		memcpy(buf, c->in, k);
		memcpy(&d, &poison, sizeof(d));
		*fed = k < c->len ? k : k + c->payload;
		want = k >= at || (c->ret < 0 && !c->at) ? c->ret : TU_TRUNCATED;
		*ret = mprox_socks5_udp_parse(buf, *fed, &d);
		if (*ret != want)
			return k < c->len ? "return value for a prefix" : "return value";
		if (*ret < 0) {
			if (memcmp(&d, &poison, sizeof(d)))
				return "source written on a drop";
			continue;
		}
		if (!mprox_socks5_udp_dest_is(&d, c->family, c->addr, (const char *)buf + 5,
					      c->name_len, c->port))
			return "source";
		/* Re-encoded to the same bytes, at the start of the scratch buffer. */
		n = mprox_socks5_udp_header(&d, scratch, *ret);
		if (d.family == AF_UNSPEC && memchr(d.name, '\0', d.name_len)) {
			if (n != -EINVAL)
				return "a name with a NUL encoded";
		} else if (n != *ret || memcmp(scratch, buf, n)) {
			return "does not encode back";
		}
	}
	return NULL;
}

#endif /* _MPROX_SOCKS5_UDP_TEST_CASES_H */
