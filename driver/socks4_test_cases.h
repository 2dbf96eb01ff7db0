/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SOCKS4 and SOCKS4a codecs' test cases, shared by the KUnit suite
 * (socks4_test.c) and the host unit test (tests/unit/test_socks4.c): one
 * table, two runners. Include after socks4.c or socks4.h (and
 * <linux/string.h> or the shim).
 *
 * Each case runs both through the functions of socks4.h and through the
 * codec ops (mprox_socks4_codec, mprox_socks4a_codec), as the engine calls
 * them. The run functions work in a scratch buffer of
 * MPROX_SOCKS4_TEST_SCRATCH bytes that the runner allocates on the heap.
 * Every request is built, and every reply parsed, at the very end of it,
 * so that one byte written or read past the (pointer, length) given is
 * outside the allocation, where KASAN or ASan see it.
 */
#ifndef _MPROX_SOCKS4_TEST_CASES_H
#define _MPROX_SOCKS4_TEST_CASES_H

#include "codec_test.h"

#define MPROX_SOCKS4_TEST_SCRATCH	1024

/* Inputs are string literals measured with sizeof: they may hold NUL bytes. */
#define TS4_IN(s)	.in = (s), .len = sizeof(s) - 1
#define TS4_USER(s)	.user = (s), .user_len = sizeof(s) - 1
#define TS4_NAME(s)	.name = (s), .name_len = sizeof(s) - 1
/* 255 bytes are TS4_A64 TS4_A64 TS4_A64 TS4_A63, 256 four TS4_A64. */
#define TS4_A64		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TS4_A63		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TS4_B64		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define TS4_B63		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* Addresses, network order. */
#define TS4_V4		"\xc0\x00\x02\x01"	/* 192.0.2.1 */
#define TS4_V6_LO	"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"	/* ::1 */
#define TS4_V6_DOC	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"	/* 2001:db8::1 */
/* 2001:db8:85a3:8d3:1319:8a2e:370:7348: no zero group */
#define TS4_V6_FULL	"\x20\x01\x0d\xb8\x85\xa3\x08\xd3\x13\x19\x8a\x2e\x03\x70\x73\x48"
/* ::ffff:192.0.2.1 */
#define TS4_V6_MAPPED	"\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01"
/* The start of a request: VN 4, CD 1 (CONNECT), DSTPORT (a literal). */
#define TS4_HEAD(port)	"\x04\x01" port
/* DSTIP of a SOCKS4a name request. */
#define TS4_MARK	"\0\0\0\x01"
/* The NUL after a user id, where the next byte could extend "\0" or "\x00". */
#define TS4_NUL		"\0"
/* A reply with VN @vn and CD @cd (one-byte literals), 0.0.0.0:0. */
#define TS4_REPLY(vn, cd)	vn cd "\0\0\0\0\0\0"

struct mprox_socks4_request_case {
	const char *desc;
	bool socks4a;			/* else SOCKS4 */
	u16 family;			/* the destination */
	const char *addr;		/* 4 or 16 bytes, network order */
	const char *name;
	size_t name_len;
	u16 port;
	const char *user;		/* the user id, cr->user */
	size_t user_len;
	/*
	 * With @sized, the output buffer has @size bytes. Without, it is
	 * large, and a request that builds is also built into exactly its
	 * length and into one byte less (-ENOSPC, PROXY_ERROR).
	 */
	bool sized;
	size_t size;
	/* mprox_socks4_request(): the length of @want, or a negative errno. */
	int ret;
	/* The codec's request(): SEND of @want when @ret > 0, else FAILED with @result. */
	enum mprox_connect_result result;
	const char *want;
};

static const struct mprox_socks4_request_case mprox_socks4_request_cases[] = {
	/* SOCKS4 */
	{ "socks4 IPv4, no user id", .family = AF_INET, .addr = TS4_V4, .port = 80, .ret = 9,
	  .want = TS4_HEAD("\x00\x50") TS4_V4 "\0" },
	{ "socks4 IPv4 with a user id", .family = AF_INET, .addr = TS4_V4, .port = 80,
	  TS4_USER("alice"), .ret = 14, .want = TS4_HEAD("\x00\x50") TS4_V4 "alice\0" },
	{ "socks4 IPv4, port byte order", .family = AF_INET, .addr = "\x0a\x01\x02\x03",
	  .port = 0x1234, .ret = 9, .want = TS4_HEAD("\x12\x34") "\x0a\x01\x02\x03\0" },
	{ "socks4 0.0.0.0, port 0 passed on", .family = AF_INET, .addr = "\0\0\0\0",
	  .port = 0, .ret = 9, .want = TS4_HEAD("\0\0") "\0\0\0\0\0" },
	{ "socks4 0.0.1.0 is no name request", .family = AF_INET, .addr = "\0\0\x01\0",
	  .port = 65535, .ret = 9, .want = TS4_HEAD("\xff\xff") "\0\0\x01\0\0" },
	{ "socks4 user id bytes passed on as they are", .family = AF_INET, .addr = TS4_V4,
	  .port = 80, TS4_USER("caf\xc3\xa9:a@b"), .ret = 18,
	  .want = TS4_HEAD("\x00\x50") TS4_V4 "caf\xc3\xa9:a@b\0" },
	{ "socks4 255-byte user id: out_max", .family = AF_INET, .addr = TS4_V4, .port = 80,
	  TS4_USER(TS4_A64 TS4_A64 TS4_A64 TS4_A63), .ret = 264,
	  .want = TS4_HEAD("\x00\x50") TS4_V4 TS4_A64 TS4_A64 TS4_A64 TS4_A63 "\0" },
	{ "socks4 256-byte user id", .family = AF_INET, .addr = TS4_V4, .port = 80,
	  TS4_USER(TS4_A64 TS4_A64 TS4_A64 TS4_A64), .ret = -ENAMETOOLONG,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4 user id with a NUL", .family = AF_INET, .addr = TS4_V4, .port = 80,
	  TS4_USER("root\0alice"), .ret = -EINVAL, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4 user id ending in NUL", .family = AF_INET, .addr = TS4_V4, .port = 80,
	  TS4_USER("a\0"), .ret = -EINVAL, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4 no user id but a length", .family = AF_INET, .addr = TS4_V4, .port = 80,
	  .user = NULL, .user_len = 3, .ret = -EINVAL, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4 IPv6 -> NET_UNREACH", .family = AF_INET6, .addr = TS4_V6_DOC, .port = 443,
	  .ret = -EAFNOSUPPORT, .result = MPROX_CONNECT_NET_UNREACH },
	{ "socks4 IPv4-mapped IPv6 -> NET_UNREACH", .family = AF_INET6, .addr = TS4_V6_MAPPED,
	  .port = 443, .ret = -EAFNOSUPPORT, .result = MPROX_CONNECT_NET_UNREACH },
	{ "socks4 name -> NET_UNREACH", .family = AF_UNSPEC, TS4_NAME("example.com"),
	  .port = 443, .ret = -EAFNOSUPPORT, .result = MPROX_CONNECT_NET_UNREACH },
	{ "socks4 0.0.0.1, a SOCKS4a marker -> NET_UNREACH", .family = AF_INET,
	  .addr = "\0\0\0\x01", .port = 80, .ret = -EAFNOSUPPORT,
	  .result = MPROX_CONNECT_NET_UNREACH },
	{ "socks4 0.0.0.255 -> NET_UNREACH", .family = AF_INET, .addr = "\0\0\0\xff",
	  .port = 80, .ret = -EAFNOSUPPORT, .result = MPROX_CONNECT_NET_UNREACH },
	{ "socks4 IPv6 into no room -> NET_UNREACH", .family = AF_INET6, .addr = TS4_V6_DOC,
	  .port = 443, .sized = true, .size = 0, .ret = -EAFNOSUPPORT,
	  .result = MPROX_CONNECT_NET_UNREACH },
	/* The builder looks at the destination first, the codec at the user. */
	{ "socks4 IPv6 and a user id with a NUL", .family = AF_INET6, .addr = TS4_V6_DOC,
	  .port = 443, TS4_USER("a\0b"), .ret = -EAFNOSUPPORT,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4 IPv4 into 8 bytes", .family = AF_INET, .addr = TS4_V4, .port = 80,
	  .sized = true, .size = 8, .ret = -ENOSPC, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4 255-byte user id into 263 bytes", .family = AF_INET, .addr = TS4_V4,
	  .port = 80, TS4_USER(TS4_A64 TS4_A64 TS4_A64 TS4_A63), .sized = true, .size = 263,
	  .ret = -ENOSPC, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4 AF_UNIX", .family = AF_UNIX, .port = 80, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },

	/* SOCKS4a */
	{ "socks4a IPv4 as SOCKS4", .socks4a = true, .family = AF_INET, .addr = TS4_V4,
	  .port = 80, .ret = 9, .want = TS4_HEAD("\x00\x50") TS4_V4 "\0" },
	{ "socks4a IPv4 with a user id", .socks4a = true, .family = AF_INET, .addr = TS4_V4,
	  .port = 443, TS4_USER("bob"), .ret = 12,
	  .want = TS4_HEAD("\x01\xbb") TS4_V4 "bob\0" },
	{ "socks4a 0.0.0.0 as an address", .socks4a = true, .family = AF_INET,
	  .addr = "\0\0\0\0", .port = 80, .ret = 9, .want = TS4_HEAD("\x00\x50") "\0\0\0\0\0" },
	{ "socks4a 0.0.0.1 as the name 0.0.0.1", .socks4a = true, .family = AF_INET,
	  .addr = "\0\0\0\x01", .port = 80, .ret = 17,
	  .want = TS4_HEAD("\x00\x50") TS4_MARK TS4_NUL "0.0.0.1\0" },
	{ "socks4a 0.0.0.255 as the name 0.0.0.255", .socks4a = true, .family = AF_INET,
	  .addr = "\0\0\0\xff", .port = 80, TS4_USER("u"), .ret = 20,
	  .want = TS4_HEAD("\x00\x50") TS4_MARK "u" TS4_NUL "0.0.0.255\0" },
	{ "socks4a name", .socks4a = true, .family = AF_UNSPEC, TS4_NAME("example.com"),
	  .port = 443, .ret = 21, .want = TS4_HEAD("\x01\xbb") TS4_MARK TS4_NUL "example.com\0" },
	{ "socks4a name with a user id", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME("example.com"), .port = 8080, TS4_USER("bob"), .ret = 24,
	  .want = TS4_HEAD("\x1f\x90") TS4_MARK "bob" TS4_NUL "example.com\0" },
	{ "socks4a 1-byte name", .socks4a = true, .family = AF_UNSPEC, TS4_NAME("h"),
	  .port = 1, .ret = 11, .want = TS4_HEAD("\x00\x01") TS4_MARK TS4_NUL "h\0" },
	{ "socks4a name with bytes >= 0x80", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME("\xc3\xa9"), .port = 1, .ret = 12,
	  .want = TS4_HEAD("\x00\x01") TS4_MARK TS4_NUL "\xc3\xa9\0" },
	{ "socks4a 255-byte name and user id: out_max", .socks4a = true,
	  .family = AF_UNSPEC, TS4_NAME(TS4_A64 TS4_A64 TS4_A64 TS4_A63), .port = 443,
	  TS4_USER(TS4_B64 TS4_B64 TS4_B64 TS4_B63), .ret = 520,
	  .want = TS4_HEAD("\x01\xbb") TS4_MARK TS4_B64 TS4_B64 TS4_B64 TS4_B63 "\0"
		  TS4_A64 TS4_A64 TS4_A64 TS4_A63 "\0" },
	{ "socks4a longest request into 519 bytes", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME(TS4_A64 TS4_A64 TS4_A64 TS4_A63), .port = 443,
	  TS4_USER(TS4_B64 TS4_B64 TS4_B64 TS4_B63),
	  .sized = true, .size = 519, .ret = -ENOSPC, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4a name into 20 bytes", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME("example.com"), .port = 443, .sized = true, .size = 20, .ret = -ENOSPC,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4a 256-byte name", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME(TS4_A64 TS4_A64 TS4_A64 TS4_A64), .port = 443, .ret = -ENAMETOOLONG,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "socks4a empty name", .socks4a = true, .family = AF_UNSPEC, TS4_NAME(""),
	  .port = 443, .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "socks4a no name", .socks4a = true, .family = AF_UNSPEC, .name = NULL,
	  .name_len = 3, .port = 443, .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "socks4a name with a NUL", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME("evil.example\0.good.example"), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "socks4a name ending in NUL", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME("a\0"), .port = 443, .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "socks4a invalid name beats no room", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME(TS4_A64 TS4_A64 TS4_A64 TS4_A64), .port = 443, .sized = true, .size = 0,
	  .ret = -ENAMETOOLONG, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "socks4a name and a user id with a NUL", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME("example.com"), .port = 443, TS4_USER("a\0b"), .ret = -EINVAL,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4a name and a 256-byte user id", .socks4a = true, .family = AF_UNSPEC,
	  TS4_NAME("example.com"), .port = 443, TS4_USER(TS4_A64 TS4_A64 TS4_A64 TS4_A64),
	  .ret = -ENAMETOOLONG, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "socks4a AF_UNIX", .socks4a = true, .family = AF_UNIX, .port = 80, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "socks4a IPv6 ::1 as text", .socks4a = true, .family = AF_INET6, .addr = TS4_V6_LO,
	  .port = 22, .ret = 13, .want = TS4_HEAD("\x00\x16") TS4_MARK TS4_NUL "::1\0" },
	{ "socks4a IPv6 2001:db8::1 as text", .socks4a = true, .family = AF_INET6,
	  .addr = TS4_V6_DOC, .port = 443, TS4_USER("alice"), .ret = 26,
	  .want = TS4_HEAD("\x01\xbb") TS4_MARK "alice" TS4_NUL "2001:db8::1\0" },
	{ "socks4a IPv6, no zero group, as text", .socks4a = true, .family = AF_INET6,
	  .addr = TS4_V6_FULL, .port = 443, .ret = 46,
	  .want = TS4_HEAD("\x01\xbb") TS4_MARK TS4_NUL "2001:db8:85a3:8d3:1319:8a2e:370:7348\0" },
	{ "socks4a IPv4-mapped IPv6 as text", .socks4a = true, .family = AF_INET6,
	  .addr = TS4_V6_MAPPED, .port = 80, .ret = 26,
	  .want = TS4_HEAD("\x00\x50") TS4_MARK TS4_NUL "::ffff:192.0.2.1\0" },
	{ "socks4a IPv6 into 12 bytes", .socks4a = true, .family = AF_INET6,
	  .addr = TS4_V6_LO, .port = 22, .sized = true, .size = 12, .ret = -ENOSPC,
	  .result = MPROX_CONNECT_PROXY_ERROR },
};

/* The request of case @c, as the codec or the builder is given it. */
static void mprox_socks4_case_dest(const struct mprox_socks4_request_case *c,
				   struct mprox_dest *dest, struct mprox_codec_creds *cr)
{
	mprox_test_dest(dest, c->family, c->addr, c->name, c->name_len, c->port);
	memset(cr, 0, sizeof(*cr));
	cr->user = c->user;
	cr->user_len = c->user_len;
	/* Never sent: SOCKS4 has no password. */
	cr->password = "secret";
	cr->password_len = 6;
}

/* A destination for the cases about replies: 127.0.0.1:80. */
static void mprox_socks4_test_dest(struct mprox_dest *dest)
{
	memset(dest, 0, sizeof(*dest));
	dest->family = AF_INET;
	dest->port = 80;
	memcpy(&dest->addr.v4, "\x7f\0\0\x01", 4);
}

/* NULL when nothing in @buf[@from..@size) was written, else what went wrong. */
static const char *mprox_socks4_untouched(const u8 *buf, size_t from, size_t size,
					  const char *what)
{
	return mprox_test_untouched(buf, from, size) ? NULL : what;
}

/*
 * One build of @c into @size bytes at the end of @scratch, by the builder
 * (wanting @want) and by the codec (wanting SEND, or FAILED with @result
 * when @want < 0). Returns NULL when both hold, or what went wrong.
 */
static const char *mprox_socks4_request_once(const struct mprox_socks4_request_case *c,
					     u8 *scratch, size_t size, int want,
					     enum mprox_connect_result result, int *ret)
{
	const struct mprox_codec *codec = c->socks4a ? &mprox_socks4a_codec :
						       &mprox_socks4_codec;
	u8 *buf = scratch + MPROX_SOCKS4_TEST_SCRATCH - size;
	struct mprox_codec_state st = {};
	struct mprox_codec_step step;
	struct mprox_codec_creds cr;
	struct mprox_dest dest;
	const char *why;

	mprox_socks4_case_dest(c, &dest, &cr);
	memset(scratch, 0xa5, MPROX_SOCKS4_TEST_SCRATCH);
	*ret = mprox_socks4_request(buf, size, &dest, c->user, c->user_len, c->socks4a);
	if (*ret != want)
		return "builder: return value";
	if (*ret > 0 && memcmp(buf, c->want, *ret))
		return "builder: bytes written";
	why = mprox_socks4_untouched(buf, *ret > 0 ? *ret : 0, size, *ret > 0 ?
				     "builder: wrote past the request" :
				     "builder: wrote on error");
	if (why)
		return why;

	memset(scratch, 0xa5, MPROX_SOCKS4_TEST_SCRATCH);
	codec->open(&st, &cr, buf, size, &step);
	if (step.event != MPROX_CODEC_READY || step.out_len || step.used)
		return "codec: open() not READY";
	if (mprox_socks4_untouched(buf, 0, size, "open() wrote"))
		return "codec: open() wrote";
	codec->request(&st, &cr, &dest, buf, size, &step);
	if (want > 0) {
		if (step.event != MPROX_CODEC_SEND)
			return "codec: not SEND";
		if (step.out_len != (size_t)want || step.used)
			return "codec: out_len";
		if (step.out_len > codec->out_max)
			return "codec: longer than out_max";
		if (memcmp(buf, c->want, want))
			return "codec: bytes written";
		return mprox_socks4_untouched(buf, want, size, "codec: wrote past the request");
	}
	if (step.event != MPROX_CODEC_FAILED)
		return "codec: not FAILED";
	if (step.result != result)
		return "codec: result";
	if (step.out_len || step.used)
		return "codec: out_len or used on FAILED";
	return mprox_socks4_untouched(buf, 0, size, "codec: wrote on error");
}

/*
 * Run request case @c in @scratch (MPROX_SOCKS4_TEST_SCRATCH bytes). Puts
 * the builder's return value in *@ret and the buffer size in *@size;
 * returns NULL when the case holds, otherwise what differed.
 */
static const char *mprox_socks4_request_case_run(const struct mprox_socks4_request_case *c,
						 u8 *scratch, int *ret, size_t *size)
{
	const char *why;

	*size = c->sized ? c->size : MPROX_SOCKS4_TEST_SCRATCH;
	why = mprox_socks4_request_once(c, scratch, *size, c->ret, c->result, ret);
	if (why || c->sized || c->ret <= 0)
		return why;
	*size = c->ret;
	why = mprox_socks4_request_once(c, scratch, *size, c->ret, c->result, ret);
	if (why)
		return why;
	*size = c->ret - 1;
	return mprox_socks4_request_once(c, scratch, *size, -ENOSPC, MPROX_CONNECT_PROXY_ERROR,
					 ret);
}

struct mprox_socks4_reply_case {
	const char *desc;
	const char *in;
	size_t len;
	/*
	 * mprox_socks4_parse_reply() for all @len bytes: 8 (CONNECTED, used
	 * 8), a negative errno (FAILED with @result, used 0) or 0 (MORE).
	 */
	int ret;
	/*
	 * For @ret < 0, how many bytes decide it: every shorter prefix gives
	 * 0 and MORE, every longer one the same as all @len bytes. For @ret
	 * 8 it is 8, and unused.
	 */
	size_t at;
	enum mprox_connect_result result;
};

static const struct mprox_socks4_reply_case mprox_socks4_reply_cases[] = {
	/* CD */
	{ "CD 90 granted", TS4_IN("\x00\x5a\x00\x50" TS4_V4), .ret = 8 },
	{ "CD 90 granted, VN 4 tolerated", TS4_IN("\x04\x5a\x01\xbb" TS4_V4), .ret = 8 },
	{ "CD 90, DSTPORT and DSTIP zero", TS4_IN(TS4_REPLY("\x00", "\x5a")), .ret = 8 },
	{ "CD 90 and the destination's data: used 8",
	  TS4_IN(TS4_REPLY("\x00", "\x5a") "HTTP/1.1 200 OK\r\n"), .ret = 8 },
	{ "CD 90 and data that looks like a reject: used 8",
	  TS4_IN(TS4_REPLY("\x00", "\x5a") TS4_REPLY("\x00", "\x5b")), .ret = 8 },
	{ "CD 91 rejected -> REFUSED", TS4_IN(TS4_REPLY("\x00", "\x5b")), .ret = -ECONNREFUSED,
	  .at = 2, .result = MPROX_CONNECT_REFUSED },
	{ "CD 91 with VN 4 -> REFUSED", TS4_IN(TS4_REPLY("\x04", "\x5b")),
	  .ret = -ECONNREFUSED, .at = 2, .result = MPROX_CONNECT_REFUSED },
	{ "CD 91, the rest never sent -> REFUSED", TS4_IN("\x00\x5b"), .ret = -ECONNREFUSED,
	  .at = 2, .result = MPROX_CONNECT_REFUSED },
	{ "CD 92 no identd -> AUTH_FAILED", TS4_IN(TS4_REPLY("\x00", "\x5c")), .ret = -EACCES,
	  .at = 2, .result = MPROX_CONNECT_AUTH_FAILED },
	{ "CD 93 identd user id differs -> AUTH_FAILED", TS4_IN(TS4_REPLY("\x00", "\x5d")),
	  .ret = -EACCES, .at = 2, .result = MPROX_CONNECT_AUTH_FAILED },
	{ "CD 93 with VN 4 -> AUTH_FAILED", TS4_IN(TS4_REPLY("\x04", "\x5d")), .ret = -EACCES,
	  .at = 2, .result = MPROX_CONNECT_AUTH_FAILED },
	{ "CD 0 -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x00", "\x00")), .ret = -EPROTO, .at = 2,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "CD 1 -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x00", "\x01")), .ret = -EPROTO, .at = 2,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "CD 89 -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x00", "\x59")), .ret = -EPROTO, .at = 2,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "CD 94 -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x00", "\x5e")), .ret = -EPROTO, .at = 2,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "CD FF -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x00", "\xff")), .ret = -EPROTO, .at = 2,
	  .result = MPROX_CONNECT_PROXY_ERROR },

	/* VN */
	{ "VN 5, a SOCKS5 server -> PROXY_ERROR", TS4_IN("\x05\x00"), .ret = -EPROTO, .at = 1,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "VN 5 with CD 90 -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x05", "\x5a")), .ret = -EPROTO,
	  .at = 1, .result = MPROX_CONNECT_PROXY_ERROR },
	{ "VN 1 -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x01", "\x5a")), .ret = -EPROTO, .at = 1,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "VN 3 -> PROXY_ERROR", TS4_IN(TS4_REPLY("\x03", "\x5a")), .ret = -EPROTO, .at = 1,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "VN FF -> PROXY_ERROR", TS4_IN(TS4_REPLY("\xff", "\x5a")), .ret = -EPROTO, .at = 1,
	  .result = MPROX_CONNECT_PROXY_ERROR },
	{ "an HTTP server -> PROXY_ERROR", TS4_IN("HTTP/1.0 400 Bad Request\r\n"),
	  .ret = -EPROTO, .at = 1, .result = MPROX_CONNECT_PROXY_ERROR },

	/* Not all there yet */
	{ "nothing yet", TS4_IN(""), .ret = 0 },
	{ "VN 0 only", TS4_IN("\x00"), .ret = 0 },
	{ "VN 4 only", TS4_IN("\x04"), .ret = 0 },
	{ "CD 90 short of the last byte", TS4_IN("\x00\x5a\x00\x50\xc0\x00\x02"), .ret = 0 },
	{ "CD 90 and DSTPORT only", TS4_IN("\x00\x5a\x00\x50"), .ret = 0 },
};

/*
 * One codec and reply case @c: the bytes fed as they arrive, one more at a
 * time from none, on one state, until the codec decides; then all of them
 * at once on a fresh state. The codec must answer MORE before the deciding
 * byte, and then the same as for all of them.
 */
static const char *mprox_socks4_reply_codec(const struct mprox_socks4_reply_case *c,
					    const struct mprox_codec *codec, u8 *scratch,
					    size_t at, size_t *fed)
{
	struct mprox_dest dest;
	static const struct mprox_codec_creds cr = {};
	/* The out buffer reply() is given, never written: before the input. */
	u8 *out = scratch, *buf;
	struct mprox_codec_state st;
	struct mprox_codec_step step;
	size_t k, out_size = 64;
	bool whole;

	mprox_socks4_test_dest(&dest);

	for (whole = false; ; whole = true) {
		memset(&st, 0, sizeof(st));
		codec->open(&st, &cr, out, out_size, &step);
		if (step.event != MPROX_CODEC_READY)
			return "open() not READY";
		codec->request(&st, &cr, &dest, out, out_size, &step);
		if (step.event != MPROX_CODEC_SEND)
			return "request() not SEND";
		memset(out, 0xa5, out_size);
		for (k = whole ? c->len : 0; k <= c->len; k++) {
			buf = scratch + MPROX_SOCKS4_TEST_SCRATCH - k;
			memcpy(buf, c->in, k);
			*fed = k;
			codec->reply(&st, &cr, buf, k, out, out_size, &step);
			if (mprox_socks4_untouched(out, 0, out_size, "wrote"))
				return "reply() wrote to out";
			if (step.out_len)
				return "reply() out_len";
			if (!c->ret || k < at) {
				if (step.event != MPROX_CODEC_MORE)
					return k < c->len ? "not MORE for a prefix" : "not MORE";
				if (step.used)
					return "used on MORE";
				continue;
			}
			if (c->ret > 0) {
				if (step.event != MPROX_CODEC_CONNECTED)
					return "not CONNECTED";
				if (step.result != MPROX_CONNECT_OK)
					return "result on CONNECTED";
				if (step.used != (size_t)c->ret)
					return "used";
			} else {
				if (step.event != MPROX_CODEC_FAILED)
					return whole ? "not FAILED" : "not FAILED for a prefix";
				if (step.result != c->result)
					return whole ? "result" : "result for a prefix";
				if (step.used)
					return "used on FAILED";
			}
			/* Not called again after CONNECTED or FAILED (codec.h). */
			break;
		}
		if (whole)
			return NULL;
	}
}

/*
 * Run reply case @c in @scratch (MPROX_SOCKS4_TEST_SCRATCH bytes): the
 * parser on every prefix of the bytes, then both codecs fed byte by byte
 * and whole. Puts the parser's last result in *@ret and the bytes last
 * given in *@fed; returns NULL when the case holds, otherwise what differed.
 */
static const char *mprox_socks4_reply_case_run(const struct mprox_socks4_reply_case *c,
					       u8 *scratch, int *ret, size_t *fed)
{
	size_t at = c->ret > 0 ? (size_t)c->ret : c->at;
	const char *why;
	size_t k;
	int want;

	*ret = 0;
	*fed = 0;
	if (c->len > MPROX_SOCKS4_TEST_SCRATCH - 64 || (c->ret && (at < 1 || at > c->len)))
		return "bad case";
	for (k = 0; k <= c->len; k++) {
		u8 *buf = scratch + MPROX_SOCKS4_TEST_SCRATCH - k;

		memcpy(buf, c->in, k);
		want = c->ret && k >= at ? c->ret : 0;
		*fed = k;
		*ret = mprox_socks4_parse_reply(buf, k);
		if (*ret != want)
			return k < c->len ? "return value for a prefix" : "return value";
	}
	why = mprox_socks4_reply_codec(c, &mprox_socks4_codec, scratch, at, fed);
	if (why)
		return why;
	return mprox_socks4_reply_codec(c, &mprox_socks4a_codec, scratch, at, fed);
}

/* The codecs out of order, and their constants. */
enum mprox_socks4_seq {
	TS4_SEQ_TABLE,			/* names, reply_max, out_max */
	TS4_SEQ_REPLY_BEFORE_REQUEST,	/* after open(): FAILED PROXY_ERROR */
	TS4_SEQ_REPLY_BEFORE_OPEN,	/* FAILED PROXY_ERROR */
	TS4_SEQ_REQUEST_BEFORE_OPEN,	/* FAILED PROXY_ERROR */
	TS4_SEQ_REQUEST_TWICE,		/* the second: FAILED PROXY_ERROR */
};

struct mprox_socks4_seq_case {
	const char *desc;
	bool socks4a;
	enum mprox_socks4_seq seq;
};

static const struct mprox_socks4_seq_case mprox_socks4_seq_cases[] = {
	{ "socks4 codec: name, reply_max, out_max", false, TS4_SEQ_TABLE },
	{ "socks4a codec: name, reply_max, out_max", true, TS4_SEQ_TABLE },
	{ "socks4 reply before request -> PROXY_ERROR", false, TS4_SEQ_REPLY_BEFORE_REQUEST },
	{ "socks4a reply before request -> PROXY_ERROR", true, TS4_SEQ_REPLY_BEFORE_REQUEST },
	{ "socks4 reply before open -> PROXY_ERROR", false, TS4_SEQ_REPLY_BEFORE_OPEN },
	{ "socks4a reply before open -> PROXY_ERROR", true, TS4_SEQ_REPLY_BEFORE_OPEN },
	{ "socks4 request before open -> PROXY_ERROR", false, TS4_SEQ_REQUEST_BEFORE_OPEN },
	{ "socks4a request before open -> PROXY_ERROR", true, TS4_SEQ_REQUEST_BEFORE_OPEN },
	{ "socks4 second request -> PROXY_ERROR", false, TS4_SEQ_REQUEST_TWICE },
	{ "socks4a second request -> PROXY_ERROR", true, TS4_SEQ_REQUEST_TWICE },
};

static const char *mprox_socks4_seq_case_run(const struct mprox_socks4_seq_case *c,
					     u8 *scratch)
{
	const struct mprox_codec *codec = c->socks4a ? &mprox_socks4a_codec :
						       &mprox_socks4_codec;
	struct mprox_dest dest;
	static const struct mprox_codec_creds cr = {};
	/* A whole CD 90 reply, at the end of @scratch. */
	u8 *buf = scratch + MPROX_SOCKS4_TEST_SCRATCH - MPROX_SOCKS4_REPLY_LEN;
	struct mprox_codec_state st = {};
	struct mprox_codec_step step;
	size_t size = 600;

	mprox_socks4_test_dest(&dest);
	memset(scratch, 0xa5, MPROX_SOCKS4_TEST_SCRATCH);
	memcpy(buf, "\x00\x5a\x00\x50\x7f\x00\x00\x01", MPROX_SOCKS4_REPLY_LEN);
	switch (c->seq) {
	case TS4_SEQ_TABLE:
		if (strcmp(codec->name, c->socks4a ? "socks4a" : "socks4"))
			return "name";
		if (codec->reply_max != 8)
			return "reply_max";
		if (codec->out_max != (c->socks4a ? 8 + (MPROX_CRED_MAX - 1) + 1 + 255 + 1 :
				       8 + (MPROX_CRED_MAX - 1) + 1))
			return "out_max";
		if (!codec->open || !codec->request || !codec->reply)
			return "ops";
		return NULL;
	case TS4_SEQ_REPLY_BEFORE_REQUEST:
		codec->open(&st, &cr, scratch, size, &step);
		if (step.event != MPROX_CODEC_READY)
			return "open() not READY";
		break;
	case TS4_SEQ_REPLY_BEFORE_OPEN:
		break;
	case TS4_SEQ_REQUEST_BEFORE_OPEN:
		codec->request(&st, &cr, &dest, scratch, size, &step);
		if (step.event != MPROX_CODEC_FAILED || step.result != MPROX_CONNECT_PROXY_ERROR)
			return "request() not FAILED PROXY_ERROR";
		return mprox_socks4_untouched(scratch, 0, size, "request() wrote");
	case TS4_SEQ_REQUEST_TWICE:
		codec->open(&st, &cr, scratch, size, &step);
		codec->request(&st, &cr, &dest, scratch, size, &step);
		if (step.event != MPROX_CODEC_SEND)
			return "first request() not SEND";
		memset(scratch, 0xa5, size);
		codec->request(&st, &cr, &dest, scratch, size, &step);
		if (step.event != MPROX_CODEC_FAILED || step.result != MPROX_CONNECT_PROXY_ERROR)
			return "second request() not FAILED PROXY_ERROR";
		return mprox_socks4_untouched(scratch, 0, size, "second request() wrote");
	default:
		return "bad case";
	}
	codec->reply(&st, &cr, buf, MPROX_SOCKS4_REPLY_LEN, scratch, size, &step);
	if (step.event != MPROX_CODEC_FAILED || step.result != MPROX_CONNECT_PROXY_ERROR)
		return "reply() not FAILED PROXY_ERROR";
	if (step.used || step.out_len)
		return "reply() used or out_len";
	return mprox_socks4_untouched(scratch, 0, size, "reply() wrote");
}

#endif /* _MPROX_SOCKS4_TEST_CASES_H */
