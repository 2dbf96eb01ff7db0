/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The address and port texts' test cases (dest.c), shared by the KUnit
 * suite (dest_test.c) and the host unit test (tests/unit/test_dest.c): one
 * table, two runners. Include after dest.c or dest.h (and
 * <linux/kernel.h> and <linux/string.h>, or the shim and <stdio.h>).
 *
 * The run function works in a scratch buffer of MPROX_DEST_TEST_SCRATCH
 * bytes that the runner allocates on the heap. Every text is written at
 * the very end of it, into the most its kind may take, so that one byte
 * written past that is outside the allocation, where KASAN or ASan see it.
 */
#ifndef _MPROX_DEST_TEST_CASES_H
#define _MPROX_DEST_TEST_CASES_H

#define MPROX_DEST_TEST_SCRATCH	64

/* Addresses, network order. */
#define TD_V6_LO	"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"	/* ::1 */
#define TD_V6_DOC	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"	/* 2001:db8::1 */
/* 2001:db8:85a3:8d3:1319:8a2e:370:7348: no zero group */
#define TD_V6_FULL	"\x20\x01\x0d\xb8\x85\xa3\x08\xd3\x13\x19\x8a\x2e\x03\x70\x73\x48"
/* ::ffff:192.0.2.1 */
#define TD_V6_MAPPED	"\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01"
#define TD_V6_ZERO	"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define TD_V6_ONES	"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"

/* What a case writes: mprox_dest_v6_text() either way, v4 or port text. */
enum mprox_dest_text {
	TD_V6_DOTTED,		/* IPv4-mapped as ::ffff:a.b.c.d (SOCKS4a) */
	TD_V6_HEX,		/* IPv4-mapped in hex (HTTP) */
	TD_V4,
	TD_PORT,
};

struct mprox_dest_text_case {
	enum mprox_dest_text text;
	const char *addr;	/* 16 or 4 bytes, network order */
	u16 port;
	const char *want;	/* and the description */
};

#define TD_DOTTED(a, w)	{ TD_V6_DOTTED, .addr = (a), .want = (w) }
#define TD_HEX(a, w)	{ TD_V6_HEX, .addr = (a), .want = (w) }

static const struct mprox_dest_text_case mprox_dest_text_cases[] = {
	/* IPv6, IPv4-mapped dotted (SOCKS4a) */
	TD_DOTTED(TD_V6_LO, "::1"),
	TD_DOTTED(TD_V6_DOC, "2001:db8::1"),
	TD_DOTTED(TD_V6_FULL, "2001:db8:85a3:8d3:1319:8a2e:370:7348"),
	TD_DOTTED(TD_V6_ZERO, "::"),
	TD_DOTTED("\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "1::"),
	TD_DOTTED(TD_V6_ONES, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	TD_DOTTED("\xab\xcd\0\0\0\0\0\0\0\0\0\0\0\0\x0a\xbc", "abcd::abc"),
	/* One zero group is not compressed (4.2.2). */
	TD_DOTTED("\x20\x01\x0d\xb8\0\0\0\x01\0\x01\0\x01\0\x01\0\x01", "2001:db8:0:1:1:1:1:1"),
	TD_DOTTED("\0\0\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0\x07", "0:1:2:3:4:5:6:7"),
	TD_DOTTED("\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0\x07\0\0", "1:2:3:4:5:6:7:0"),
	/* The longest run (4.2.3). */
	TD_DOTTED("\x20\x01\0\0\0\0\0\x01\0\0\0\0\0\0\0\x01", "2001:0:0:1::1"),
	/* The first of equal runs (4.2.3). */
	TD_DOTTED("\x20\x01\x0d\xb8\0\0\0\0\0\x01\0\0\0\0\0\x01", "2001:db8::1:0:0:1"),
	TD_DOTTED("\0\0\0\0\0\x01\0\0\0\0\0\x01\0\0\0\0", "::1:0:0:1:0:0"),
	/* Leading zeros dropped (4.1), lower case (4.3). */
	TD_DOTTED("\x00\x01\x00\x10\x01\x00\x10\x00\0\0\0\0\0\0\x0a\x0b", "1:10:100:1000::a0b"),
	TD_DOTTED("\xfe\x80\0\0\0\0\0\0\x02\x1b\x21\xff\xfe\xab\xcd\xef",
		  "fe80::21b:21ff:feab:cdef"),
	/* IPv4-mapped in mixed notation (5); other prefixes in hex. */
	TD_DOTTED(TD_V6_MAPPED, "::ffff:192.0.2.1"),
	TD_DOTTED("\0\0\0\0\0\0\0\0\0\0\xff\xff\0\0\0\0", "::ffff:0.0.0.0"),
	TD_DOTTED("\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff", "::ffff:255.255.255.255"),
	TD_DOTTED("\0\0\0\0\0\0\0\0\0\0\0\0\xc0\x00\x02\x01", "::c000:201"),
	TD_DOTTED("\0\0\0\0\0\0\0\0\xff\xff\0\0\xc0\x00\x02\x01", "::ffff:0:c000:201"),
	TD_DOTTED("\0\x64\xff\x9b\0\0\0\0\0\0\0\0\xc0\x00\x02\x01", "64:ff9b::c000:201"),
	TD_DOTTED("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\xff\xff", "::ffff"),

	/* IPv6, all in hex (HTTP) */
	TD_HEX(TD_V6_LO, "::1"),
	TD_HEX(TD_V6_ZERO, "::"),
	TD_HEX(TD_V6_DOC, "2001:db8::1"),
	TD_HEX("\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0", "1::"),
	TD_HEX("\x20\x01\x0d\xb8\0\0\0\0\0\x01\0\0\0\0\0\x01", "2001:db8::1:0:0:1"),
	TD_HEX("\x20\x01\0\0\0\0\0\x01\0\0\0\0\0\0\0\x01", "2001:0:0:1::1"),
	TD_HEX("\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0", "0:0:1::"),
	TD_HEX("\x20\x01\x0d\xb8\0\0\0\x01\0\x01\0\x01\0\x01\0\x01", "2001:db8:0:1:1:1:1:1"),
	TD_HEX("\x20\x01\x0d\xb8\x00\xa0\x0a\xbc\x00\x0a\xab\xcd\0\0\0\0",
	       "2001:db8:a0:abc:a:abcd::"),
	TD_HEX(TD_V6_FULL, "2001:db8:85a3:8d3:1319:8a2e:370:7348"),
	TD_HEX(TD_V6_ONES, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	TD_HEX(TD_V6_MAPPED, "::ffff:c000:201"),
	TD_HEX("\0\0\0\0\0\0\0\0\0\0\xff\xff\0\0\0\0", "::ffff:0:0"),
	TD_HEX("\0\0\0\0\0\0\0\0\0\0\xff\xff\xff\xff\xff\xff", "::ffff:ffff:ffff"),
	TD_HEX("\0\0\0\0\0\0\0\0\0\0\0\0\xc0\x00\x02\x01", "::c000:201"),

	/* IPv4 */
	{ TD_V4, .addr = "\xc0\x00\x02\x01", .want = "192.0.2.1" },
	{ TD_V4, .addr = "\0\0\0\0", .want = "0.0.0.0" },
	{ TD_V4, .addr = "\0\0\0\x01", .want = "0.0.0.1" },
	{ TD_V4, .addr = "\xff\xff\xff\xff", .want = "255.255.255.255" },
	{ TD_V4, .addr = "\x0a\x01\x02\x03", .want = "10.1.2.3" },
	{ TD_V4, .addr = "\x64\x0a\x01\x00", .want = "100.10.1.0" },

	/* Ports */
	{ TD_PORT, .port = 0, .want = "0" },
	{ TD_PORT, .port = 1, .want = "1" },
	{ TD_PORT, .port = 80, .want = "80" },
	{ TD_PORT, .port = 443, .want = "443" },
	{ TD_PORT, .port = 0x1234, .want = "4660" },
	{ TD_PORT, .port = 10000, .want = "10000" },
	{ TD_PORT, .port = 65535, .want = "65535" },
};

/* @c's description, at @desc of @size bytes. */
static void mprox_dest_text_case_desc(const struct mprox_dest_text_case *c, char *desc,
				      size_t size)
{
	static const char *const kind[] = {
		[TD_V6_DOTTED] = "IPv6 text", [TD_V6_HEX] = "IPv6 text, mapped in hex,",
		[TD_V4] = "IPv4 text", [TD_PORT] = "port text",
	};

	snprintf(desc, size, "%s %s", kind[c->text], c->want);
}

/*
 * Run @c in @scratch (MPROX_DEST_TEST_SCRATCH bytes): NULL when the text
 * is @want and nothing else was written, else what went wrong.
 */
static const char *mprox_dest_text_case_run(const struct mprox_dest_text_case *c,
					    u8 *scratch)
{
	size_t max = c->text == TD_V4 ? MPROX_DEST_V4_TEXT_MAX :
		     c->text == TD_PORT ? MPROX_DEST_PORT_TEXT_MAX : MPROX_DEST_V6_TEXT_MAX;
	char *buf = (char *)scratch + MPROX_DEST_TEST_SCRATCH - max;
	size_t want = strlen(c->want), n, i;
	struct in6_addr a6;
	struct in_addr a4;

	memset(scratch, 0xa5, MPROX_DEST_TEST_SCRATCH);
	switch (c->text) {
	case TD_V6_DOTTED:
	case TD_V6_HEX:
		memcpy(&a6, c->addr, 16);
		n = mprox_dest_v6_text(buf, &a6, c->text == TD_V6_DOTTED);
		break;
	case TD_V4:
		memcpy(&a4, c->addr, 4);
		n = mprox_dest_v4_text(buf, &a4);
		break;
	case TD_PORT:
		n = mprox_dest_port_text(buf, c->port);
		break;
	default:
		return "bad case";
	}
	if (n != want)
		return "length";
	if (memcmp(buf, c->want, n))
		return "text";
	for (i = 0; i < MPROX_DEST_TEST_SCRATCH; i++)
		if (((char *)scratch + i < buf || (char *)scratch + i >= buf + n) &&
		    scratch[i] != 0xa5)
			return "wrote outside the text";
	return NULL;
}

#endif /* _MPROX_DEST_TEST_CASES_H */
