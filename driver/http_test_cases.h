/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP CONNECT codec's test cases, shared by the KUnit suite
 * (http_test.c) and the host unit test (tests/unit/test_http.c): one table,
 * two runners. Include after http.c or http.h (and <linux/string.h> or the
 * shim).
 *
 * The run functions work in a scratch buffer of 2 * MPROX_HTTP_TEST_SCRATCH
 * bytes that the runner allocates on the heap: a response is generated in
 * the first half, and every request is built, and every response parsed,
 * at the very end of the second, so that one byte written or read past the
 * (pointer, length) given is outside the allocation, where KASAN or ASan
 * see it.
 */
#ifndef _MPROX_HTTP_TEST_CASES_H
#define _MPROX_HTTP_TEST_CASES_H

#include "codec_test.h"

/* The longest response below (9 KiB and a few bytes), and any request. */
#define MPROX_HTTP_TEST_SCRATCH	10240

/* Inputs are string literals measured with sizeof: they may hold NUL bytes. */
#define TH_IN(s)	.in = (s), .len = sizeof(s) - 1
#define TH_USER(s)	.user = (s), .user_len = sizeof(s) - 1
#define TH_PASS(s)	.password = (s), .password_len = sizeof(s) - 1
#define TH_NAME(s)	.name = (s), .name_len = sizeof(s) - 1
/* The request a case builds: its bytes and its length. */
#define TH_WANT(s)	.ret = sizeof(s) - 1, .want = (s)
/* The length of a literal, for where a response's header block ends. */
#define TH_LEN(s)	(sizeof(s) - 1)
/* 255 bytes are TH_A255, 256 four TH_A64. */
#define TH_A64		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TH_B64		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define TH_A255 \
	TH_A64 TH_A64 TH_A64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TH_B255 \
	TH_B64 TH_B64 TH_B64 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/*
 * Base64 of TH_A255 ":" TH_B255: "aaa" is YWFh (85 times), ":bb" OmJi, "bbb"
 * YmJi (84 times) and the last "b" Yg==.
 */
#define TH_YWFH20	"YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFh"
#define TH_YMJI20	"YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJi"
#define TH_AB_BASE64 \
	TH_YWFH20 TH_YWFH20 TH_YWFH20 TH_YWFH20 "YWFhYWFhYWFhYWFhYWFhOmJi" \
	TH_YMJI20 TH_YMJI20 TH_YMJI20 TH_YMJI20 "YmJiYmJiYmJiYmJiYg=="

/* Network-order addresses. */
#define TH_V4(s)		.family = AF_INET, .addr = (s)
#define TH_V6(s)		.family = AF_INET6, .addr = (s)
#define TH_LO6			"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"
/* A domain name. */
#define TH_DNS(s)		.family = AF_UNSPEC, TH_NAME(s)

struct mprox_http_build_case {
	const char *desc;
	u16 family;			/* the destination */
	const char *addr;		/* 4 or 16 bytes, network order */
	const char *name;
	size_t name_len;
	u16 port;
	const char *user, *password;	/* the credentials */
	size_t user_len, password_len;
	/*
	 * With @sized, the buffer has @size bytes. Without, it is large, and
	 * a request that builds is also built into exactly its length and
	 * into one byte less (ENOSPC).
	 */
	bool sized;
	size_t size;
	int ret;
	const char *want;		/* @ret bytes, when @ret > 0 */
	bool max;			/* and @ret is MPROX_HTTP_REQUEST_MAX */
	/* @ret < 0 but -ENOSPC: what the codec's request() fails with. */
	enum mprox_connect_result result;
};

static const struct mprox_http_build_case mprox_http_build_cases[] = {
	/* IPv4 */
	{ "IPv4", TH_V4("\xc0\x00\x02\x01"), .port = 443,
	  TH_WANT("CONNECT 192.0.2.1:443 HTTP/1.1\r\n"
		  "Host: 192.0.2.1:443\r\n\r\n") },
	{ "IPv4 0.0.0.0, port 0 passed on", TH_V4("\0\0\0\0"), .port = 0,
	  TH_WANT("CONNECT 0.0.0.0:0 HTTP/1.1\r\n"
		  "Host: 0.0.0.0:0\r\n\r\n") },
	{ "IPv4 255.255.255.255:65535", TH_V4("\xff\xff\xff\xff"), .port = 65535,
	  TH_WANT("CONNECT 255.255.255.255:65535 HTTP/1.1\r\n"
		  "Host: 255.255.255.255:65535\r\n\r\n") },
	{ "IPv4, port byte order", TH_V4("\x0a\x01\x02\x03"), .port = 0x1234,
	  TH_WANT("CONNECT 10.1.2.3:4660 HTTP/1.1\r\n"
		  "Host: 10.1.2.3:4660\r\n\r\n") },
	{ "IPv4 with credentials", TH_V4("\x0a\x00\x00\x01"), .port = 80, TH_USER("user"),
	  TH_PASS("pass"),
	  TH_WANT("CONNECT 10.0.0.1:80 HTTP/1.1\r\n"
		  "Host: 10.0.0.1:80\r\n"
		  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n") },
	{ "IPv4 into 54 bytes", TH_V4("\xc0\x00\x02\x01"), .port = 443, .sized = true, .size = 54,
	  .ret = -ENOSPC },

	/* IPv6: RFC 5952 text */
	{ "IPv6 ::1", TH_V6(TH_LO6), .port = 443,
	  TH_WANT("CONNECT [::1]:443 HTTP/1.1\r\n"
		  "Host: [::1]:443\r\n\r\n") },
	{ "IPv6 ::", TH_V6("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), .port = 80,
	  TH_WANT("CONNECT [::]:80 HTTP/1.1\r\n"
		  "Host: [::]:80\r\n\r\n") },
	{ "IPv6 2001:db8::1", TH_V6("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"), .port = 443,
	  TH_WANT("CONNECT [2001:db8::1]:443 HTTP/1.1\r\n"
		  "Host: [2001:db8::1]:443\r\n\r\n") },
	{ "IPv6 1::", TH_V6("\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), .port = 443,
	  TH_WANT("CONNECT [1::]:443 HTTP/1.1\r\n"
		  "Host: [1::]:443\r\n\r\n") },
	{ "IPv6, the first of equal zero runs",
	  TH_V6("\x20\x01\x0d\xb8\0\0\0\0\0\x01\0\0\0\0\0\x01"), .port = 443,
	  TH_WANT("CONNECT [2001:db8::1:0:0:1]:443 HTTP/1.1\r\n"
		  "Host: [2001:db8::1:0:0:1]:443\r\n\r\n") },
	{ "IPv6, the longest zero run", TH_V6("\x20\x01\0\0\0\0\0\x01\0\0\0\0\0\0\0\x01"),
	  .port = 443,
	  TH_WANT("CONNECT [2001:0:0:1::1]:443 HTTP/1.1\r\n"
		  "Host: [2001:0:0:1::1]:443\r\n\r\n") },
	{ "IPv6, the longest run after a shorter", TH_V6("\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0"),
	  .port = 443,
	  TH_WANT("CONNECT [0:0:1::]:443 HTTP/1.1\r\n"
		  "Host: [0:0:1::]:443\r\n\r\n") },
	{ "IPv6, one zero group not compressed",
	  TH_V6("\x20\x01\x0d\xb8\0\0\0\x01\0\x01\0\x01\0\x01\0\x01"), .port = 443,
	  TH_WANT("CONNECT [2001:db8:0:1:1:1:1:1]:443 HTTP/1.1\r\n"
		  "Host: [2001:db8:0:1:1:1:1:1]:443\r\n\r\n") },
	{ "IPv6, no leading zeros, lowercase",
	  TH_V6("\x20\x01\x0d\xb8\x00\xa0\x0a\xbc\x00\x0a\xab\xcd\0\0\0\0"), .port = 443,
	  TH_WANT("CONNECT [2001:db8:a0:abc:a:abcd::]:443 HTTP/1.1\r\n"
		  "Host: [2001:db8:a0:abc:a:abcd::]:443\r\n\r\n") },
	{ "IPv6, the longest text",
	  TH_V6("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
	  .port = 65535,
	  TH_WANT("CONNECT [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535 HTTP/1.1\r\n"
		  "Host: [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535\r\n\r\n") },
	{ "IPv6 v4-mapped, in hex", TH_V6("\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01"),
	  .port = 443,
	  TH_WANT("CONNECT [::ffff:c000:201]:443 HTTP/1.1\r\n"
		  "Host: [::ffff:c000:201]:443\r\n\r\n") },
	{ "IPv6 with credentials", TH_V6(TH_LO6), .port = 443, TH_USER("Aladdin"),
	  TH_PASS("open sesame"),
	  TH_WANT("CONNECT [::1]:443 HTTP/1.1\r\n"
		  "Host: [::1]:443\r\n"
		  "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n") },

	/* Names */
	{ "name", TH_DNS("example.com"), .port = 443,
	  TH_WANT("CONNECT example.com:443 HTTP/1.1\r\n"
		  "Host: example.com:443\r\n\r\n") },
	{ "1-byte name", TH_DNS("a"), .port = 1,
	  TH_WANT("CONNECT a:1 HTTP/1.1\r\n"
		  "Host: a:1\r\n\r\n") },
	{ "name with - _ and a trailing dot", TH_DNS("my_host-1.example."), .port = 8080,
	  TH_WANT("CONNECT my_host-1.example.:8080 HTTP/1.1\r\n"
		  "Host: my_host-1.example.:8080\r\n\r\n") },
	{ "name with bytes >= 0x80", TH_DNS("caf\xc3\xa9.example"), .port = 443,
	  TH_WANT("CONNECT caf\xc3\xa9.example:443 HTTP/1.1\r\n"
		  "Host: caf\xc3\xa9.example:443\r\n\r\n") },
	{ "name with credentials", TH_DNS("example.com"), .port = 443, TH_USER("user"),
	  TH_PASS("pass"),
	  TH_WANT("CONNECT example.com:443 HTTP/1.1\r\n"
		  "Host: example.com:443\r\n"
		  "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n\r\n") },
	{ "255-byte name", TH_DNS(TH_A255), .port = 443,
	  TH_WANT("CONNECT " TH_A255 ":443 HTTP/1.1\r\n"
		  "Host: " TH_A255 ":443\r\n\r\n") },
	{ "the longest request", TH_DNS(TH_A255), .port = 65535, TH_USER(TH_A255),
	  TH_PASS(TH_B255), .max = true,
	  TH_WANT("CONNECT " TH_A255 ":65535 HTTP/1.1\r\n"
		  "Host: " TH_A255 ":65535\r\n"
		  "Proxy-Authorization: Basic " TH_AB_BASE64 "\r\n\r\n") },
	{ "the longest request into 1 byte less", TH_DNS(TH_A255), .port = 65535,
	  TH_USER(TH_A255), TH_PASS(TH_B255), .sized = true, .size = MPROX_HTTP_REQUEST_MAX - 1,
	  .ret = -ENOSPC },
	{ "256-byte name", TH_DNS(TH_A64 TH_A64 TH_A64 TH_A64),
	  .port = 443, .ret = -ENAMETOOLONG, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "empty name", TH_DNS(""), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "no name", .family = AF_UNSPEC, .name = NULL, .name_len = 3, .port = 443,
	  .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with a NUL", TH_DNS("evil.example\0.good.example"),
	  .port = 443, .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with CRLF", TH_DNS("a.example\r\nX-Evil: 1"),
	  .port = 443, .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with LF", TH_DNS("a\nb"), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with CR", TH_DNS("a\rb"), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with a space", TH_DNS("a b"), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with a tab", TH_DNS("a\tb"), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with DEL", TH_DNS("a\x7f"), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with 0x1f", TH_DNS("\037a"), .port = 443,
	  .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with ':'", TH_DNS("a.example:22"), .port = 443,
	  .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with '/'", TH_DNS("a/b"), .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name with '@'", TH_DNS("u@a.example"), .port = 443,
	  .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "name as an IPv6 literal", TH_DNS("[::1]"), .port = 443,
	  .ret = -EINVAL, .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "AF_UNIX", .family = AF_UNIX, .port = 443, .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },

	/* Credentials: Basic (RFC 7617) */
	{ "credentials, base64 without padding", TH_DNS("h"), .port = 1,
	  TH_USER("a"), TH_PASS("b"),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n"
		  "Proxy-Authorization: Basic YTpi\r\n\r\n") },
	{ "credentials, base64 with one =", TH_DNS("h"), .port = 1,
	  TH_USER("ab"), TH_PASS("cd"),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n"
		  "Proxy-Authorization: Basic YWI6Y2Q=\r\n\r\n") },
	{ "credentials, base64 with ==", TH_DNS("h"), .port = 1,
	  TH_USER("ab"), TH_PASS("c"),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n"
		  "Proxy-Authorization: Basic YWI6Yw==\r\n\r\n") },
	{ "credentials, empty password", TH_DNS("h"), .port = 1,
	  TH_USER("u"), TH_PASS(""),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n"
		  "Proxy-Authorization: Basic dTo=\r\n\r\n") },
	{ "credentials, password with CRLF", TH_DNS("h"), .port = 1,
	  TH_USER("u"), TH_PASS("p\r\nX-Evil: 1"),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n"
		  "Proxy-Authorization: Basic dTpwDQpYLUV2aWw6IDE=\r\n\r\n") },
	{ "credentials, password with ':' and '@'", TH_DNS("h"),
	  .port = 1, TH_USER("caf\xc3\xa9"), TH_PASS("p:w@d"),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n"
		  "Proxy-Authorization: Basic Y2Fmw6k6cDp3QGQ=\r\n\r\n") },
	{ "credentials, bytes 00 and ff", TH_DNS("h"), .port = 1,
	  TH_USER("\0\xff"), TH_PASS("\xfe"),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n"
		  "Proxy-Authorization: Basic AP86/g==\r\n\r\n") },
	{ "a password without a user is not sent", TH_DNS("h"),
	  .port = 1, TH_USER(""), TH_PASS("p"),
	  TH_WANT("CONNECT h:1 HTTP/1.1\r\n"
		  "Host: h:1\r\n\r\n") },
	{ "user with ':'", TH_DNS("h"), .port = 1, TH_USER("us:er"),
	  TH_PASS("p"), .ret = -EACCES, .result = MPROX_CONNECT_AUTH_FAILED },
	{ "user ending in ':'", TH_V6(TH_LO6), .port = 1, TH_USER("u:"), TH_PASS("p"),
	  .ret = -EACCES, .result = MPROX_CONNECT_AUTH_FAILED },
	{ "256-byte user", TH_DNS("h"), .port = 1,
	  TH_USER(TH_A64 TH_A64 TH_A64 TH_A64), TH_PASS("p"), .ret = -EACCES,
	  .result = MPROX_CONNECT_AUTH_FAILED },
	{ "256-byte password", TH_DNS("h"), .port = 1, TH_USER("u"),
	  TH_PASS(TH_B64 TH_B64 TH_B64 TH_B64), .ret = -EACCES,
	  .result = MPROX_CONNECT_AUTH_FAILED },
	{ "no user, with a length", TH_DNS("h"), .port = 1,
	  .user = NULL, .user_len = 1, TH_PASS("p"), .ret = -EACCES,
	  .result = MPROX_CONNECT_AUTH_FAILED },
	{ "no password, with a length", TH_DNS("h"), .port = 1,
	  TH_USER("u"), .password = NULL, .password_len = 1, .ret = -EACCES,
	  .result = MPROX_CONNECT_AUTH_FAILED },
	{ "bad name beats bad credentials", TH_DNS("a b"), .port = 1,
	  TH_USER("us:er"), TH_PASS("p"), .ret = -EINVAL,
	  .result = MPROX_CONNECT_GENERAL_FAILURE },
	{ "bad credentials beat no room", TH_DNS("h"), .port = 1,
	  TH_USER("us:er"), TH_PASS("p"), .sized = true, .size = 0, .ret = -EACCES },
	{ "bad name beats no room", TH_DNS(TH_A64 TH_A64 TH_A64 TH_A64),
	  .port = 1, .sized = true, .size = 0, .ret = -ENAMETOOLONG },
};

static void mprox_http_test_creds(const struct mprox_http_build_case *c,
				  struct mprox_codec_creds *cr)
{
	cr->user = c->user;
	cr->user_len = c->user_len;
	cr->password = c->password;
	cr->password_len = c->password_len;
}

/* The end of @scratch's second half, where requests and responses go. */
static u8 *mprox_http_test_end(u8 *scratch)
{
	return scratch + 2 * MPROX_HTTP_TEST_SCRATCH;
}

/* Returns NULL when one build of @c into @size bytes holds, or what went wrong. */
static const char *mprox_http_build_once(const struct mprox_http_build_case *c, u8 *scratch,
					 size_t size, int want, int *ret)
{
	u8 *buf = mprox_http_test_end(scratch) - size;
	struct mprox_codec_creds cr;
	struct mprox_dest dest;

	memset(buf, 0xa5, size);
	mprox_test_dest(&dest, c->family, c->addr, c->name, c->name_len, c->port);
	mprox_http_test_creds(c, &cr);
	*ret = mprox_http_connect_request(buf, size, &dest, &cr);
	return mprox_test_built(buf, size, *ret, want, c->want);
}

/* The codec's open() and request() for @c: SEND with the bytes, or FAILED. */
static const char *mprox_http_build_codec(const struct mprox_http_build_case *c, u8 *scratch)
{
	const struct mprox_codec *codec = &mprox_http_codec;
	u8 *out = mprox_http_test_end(scratch) - codec->out_max;
	struct mprox_codec_state st;
	struct mprox_codec_step step;
	struct mprox_codec_creds cr;
	struct mprox_dest dest;

	memset(&st, 0, sizeof(st));
	mprox_test_dest(&dest, c->family, c->addr, c->name, c->name_len, c->port);
	mprox_http_test_creds(c, &cr);
	codec->open(&st, &cr, out, codec->out_max, &step);
	if (step.event != MPROX_CODEC_READY || step.out_len || step.used)
		return "open(): not READY";
	codec->request(&st, &cr, &dest, out, codec->out_max, &step);
	if (c->ret > 0) {
		if (step.event != MPROX_CODEC_SEND || step.out_len != (size_t)c->ret)
			return "request(): not SEND of the request";
		if (memcmp(out, c->want, c->ret))
			return "request(): bytes";
		return NULL;
	}
	if (step.event != MPROX_CODEC_FAILED || step.result != c->result || step.out_len)
		return "request(): not FAILED with the result";
	return NULL;
}

/*
 * Run builder case @c in @scratch (2 * MPROX_HTTP_TEST_SCRATCH bytes). Puts
 * the return value in *@ret and the buffer size in *@size; returns NULL
 * when the case holds, otherwise what differed.
 */
static const char *mprox_http_build_case_run(const struct mprox_http_build_case *c,
					     u8 *scratch, int *ret, size_t *size)
{
	const char *why;

	*size = c->sized ? c->size : MPROX_HTTP_TEST_SCRATCH;
	*ret = 0;
	if (*size > MPROX_HTTP_TEST_SCRATCH || c->ret > (int)MPROX_HTTP_REQUEST_MAX)
		return "bad case";
	if (c->max && c->ret != (int)MPROX_HTTP_REQUEST_MAX)
		return "not the longest request";
	why = mprox_http_build_once(c, scratch, *size, c->ret, ret);
	if (why || c->sized)
		return why;
	why = mprox_http_build_codec(c, scratch);
	if (why || c->ret <= 0)
		return why;
	*size = c->ret;
	why = mprox_http_build_once(c, scratch, *size, c->ret, ret);
	if (why)
		return why;
	*size = c->ret - 1;
	return mprox_http_build_once(c, scratch, *size, -ENOSPC, ret);
}

/* When reply() is called. */
enum mprox_http_test_stage {
	TH_REQUESTED,		/* after open() and request(), as it should be */
	TH_OPENED,		/* after open() only */
	TH_FRESH,		/* on a zeroed state */
};

/*
 * A response: @in, then @line @lines times, then @pad_len bytes @pad, then
 * @tail. Fed as it would arrive one byte at a time, from none to all of it,
 * to the one state; and whole, to another.
 */
struct mprox_http_reply_case {
	const char *desc;
	const char *in;
	size_t len;
	const char *line;
	unsigned int lines;
	char pad;
	size_t pad_len;
	const char *tail;
	enum mprox_http_test_stage stage;
	/* What reply() comes to: MORE when the response ends before. */
	enum mprox_codec_event event;
	enum mprox_connect_result result;	/* FAILED */
	/*
	 * Not MORE: the prefix that first gives @event; every shorter one
	 * gives MORE. For a status (CONNECTED, or FAILED other than
	 * PROXY_ERROR) the end of the header block, and so step->used.
	 */
	size_t at;
	u16 status;				/* st->status at the end */
};

#define TH_OK		"HTTP/1.1 200 Connection established\r\n\r\n"
#define TH_OK_LF	"HTTP/1.1 200 Connection established\n\n"
#define TH_OK_HDRS	"HTTP/1.1 200 Connection established\r\nProxy-Agent: p/1.0\r\n\r\n"
#define TH_407		"HTTP/1.1 407 Proxy Authentication Required\r\n" \
			"Proxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 5\r\n\r\n"
#define TH_STATUS(s)	"HTTP/1.1 " s "\r\nContent-Length: 0\r\n\r\n"
/* 17 bytes, and lines of 8 bytes: 100 of them end at 817. */
#define TH_HEAD		"HTTP/1.1 200 OK\r\n"
#define TH_LINE		"X-H: v\r\n"
/* 24 bytes before the pad, and 4 after it. */
#define TH_PAD_HEAD	"HTTP/1.1 200 OK\r\nX-Pad: "

#define TH_CONNECTED(n, s)	.event = MPROX_CODEC_CONNECTED, .at = (n), .status = (s)
#define TH_FAILED(r, n, s)	.event = MPROX_CODEC_FAILED, .result = MPROX_CONNECT_##r, \
				.at = (n), .status = (s)

static const struct mprox_http_reply_case mprox_http_reply_cases[] = {
	/* 2xx */
	{ "200 with CRLF", TH_IN(TH_OK), TH_CONNECTED(TH_LEN(TH_OK), 200) },
	{ "200 with LF only", TH_IN(TH_OK_LF), TH_CONNECTED(TH_LEN(TH_OK_LF), 200) },
	{ "200, then the destination's bytes", TH_IN(TH_OK "SSH-2.0-OpenSSH_9.2\r\n"),
	  TH_CONNECTED(TH_LEN(TH_OK), 200) },
	{ "200 with a header, then the destination's bytes",
	  TH_IN(TH_OK_HDRS "\r\n\r\nHTTP/1.1 200 OK\r\n"),
	  TH_CONNECTED(TH_LEN(TH_OK_HDRS), 200) },
	{ "200, then a 407 from the destination", TH_IN(TH_OK "HTTP/1.1 407 x\r\n\r\n"),
	  TH_CONNECTED(TH_LEN(TH_OK), 200) },
	{ "HTTP/1.0 200", TH_IN("HTTP/1.0 200 Connection established\r\n\r\n"),
	  TH_CONNECTED(39, 200) },
	{ "200 without a reason", TH_IN("HTTP/1.1 200\r\n\r\n"), TH_CONNECTED(16, 200) },
	{ "200 without a reason, LF only", TH_IN("HTTP/1.1 200\n\nx"), TH_CONNECTED(14, 200) },
	{ "200 with an empty reason", TH_IN("HTTP/1.1 200 \r\n\r\n"), TH_CONNECTED(17, 200) },
	{ "200 with a reason of any bytes", TH_IN("HTTP/1.1 200 \x01\xff\0\rok\r\n\r\n"),
	  TH_CONNECTED(23, 200) },
	{ "200, status line in LF, blank line in CRLF", TH_IN("HTTP/1.1 200 OK\n\r\n"),
	  TH_CONNECTED(18, 200) },
	{ "200, mixed line ends", TH_IN("HTTP/1.1 200 OK\r\nVia: 1.1 p\nX: y\r\n\nz"),
	  TH_CONNECTED(35, 200) },
	{ "200, a header with a bare CR", TH_IN("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"),
	  TH_CONNECTED(27, 200) },
	{ "200, a line of CR CR LF is not blank", TH_IN("HTTP/1.1 200 OK\r\n\r\r\n\r\n"),
	  TH_CONNECTED(22, 200) },
	{ "201", TH_IN(TH_STATUS("201 Created")),
	  TH_CONNECTED(TH_LEN(TH_STATUS("201 Created")), 201) },
	{ "299", TH_IN(TH_STATUS("299 x")), TH_CONNECTED(TH_LEN(TH_STATUS("299 x")), 299) },

	/* Other statuses: failed at the end of the header block */
	{ "407, body not looked at", TH_IN(TH_407 "nope!"),
	  TH_FAILED(AUTH_FAILED, TH_LEN(TH_407), 407) },
	{ "407 over HTTP/1.0, LF only", TH_IN("HTTP/1.0 407 Auth\n\n"),
	  TH_FAILED(AUTH_FAILED, 19, 407) },
	{ "403", TH_IN(TH_STATUS("403 Forbidden")),
	  TH_FAILED(REFUSED, TH_LEN(TH_STATUS("403 Forbidden")), 403) },
	{ "405", TH_IN(TH_STATUS("405 Method Not Allowed")),
	  TH_FAILED(REFUSED, TH_LEN(TH_STATUS("405 Method Not Allowed")), 405) },
	{ "502", TH_IN(TH_STATUS("502 Bad Gateway")),
	  TH_FAILED(HOST_UNREACH, TH_LEN(TH_STATUS("502 Bad Gateway")), 502) },
	{ "503", TH_IN(TH_STATUS("503 Service Unavailable")),
	  TH_FAILED(HOST_UNREACH, TH_LEN(TH_STATUS("503 Service Unavailable")), 503) },
	{ "504", TH_IN(TH_STATUS("504 Gateway Timeout")),
	  TH_FAILED(HOST_UNREACH, TH_LEN(TH_STATUS("504 Gateway Timeout")), 504) },
	{ "500", TH_IN(TH_STATUS("500 Internal Server Error")),
	  TH_FAILED(GENERAL_FAILURE, TH_LEN(TH_STATUS("500 Internal Server Error")), 500) },
	{ "599", TH_IN(TH_STATUS("599 x")),
	  TH_FAILED(GENERAL_FAILURE, TH_LEN(TH_STATUS("599 x")), 599) },
	{ "301", TH_IN("HTTP/1.1 301 Moved\r\nLocation: http://x/\r\n\r\n"),
	  TH_FAILED(GENERAL_FAILURE, 43, 301) },
	{ "401, tinyproxy's answer to a wrong password", TH_IN(TH_STATUS("401 Unauthorized")),
	  TH_FAILED(AUTH_FAILED, TH_LEN(TH_STATUS("401 Unauthorized")), 401) },
	{ "404", TH_IN(TH_STATUS("404 Not Found")),
	  TH_FAILED(GENERAL_FAILURE, TH_LEN(TH_STATUS("404 Not Found")), 404) },
	{ "100, an interim response is not skipped",
	  TH_IN("HTTP/1.1 100 Continue\r\n\r\n" TH_OK), TH_FAILED(GENERAL_FAILURE, 25, 100) },
	{ "101", TH_IN("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"),
	  TH_FAILED(GENERAL_FAILURE, 48, 101) },

	/* Malformed: failed at the first byte that shows it */
	{ "status 2x0", TH_IN("HTTP/1.1 2x0 OK\r\n\r\n"), TH_FAILED(PROXY_ERROR, 11, 0) },
	{ "an SSH server", TH_IN("SSH-2.0-OpenSSH_9.2\r\n"), TH_FAILED(PROXY_ERROR, 1, 0) },
	{ "HTTP/2", TH_IN("HTTP/2 200\r\n\r\n"), TH_FAILED(PROXY_ERROR, 6, 0) },
	{ "HTTP/1.2", TH_IN("HTTP/1.2 200 OK\r\n\r\n"), TH_FAILED(PROXY_ERROR, 8, 0) },
	{ "HTTP/0.9", TH_IN("HTTP/0.9 200 OK\r\n\r\n"), TH_FAILED(PROXY_ERROR, 6, 0) },
	{ "lowercase http", TH_IN("http/1.1 200 OK\r\n\r\n"), TH_FAILED(PROXY_ERROR, 1, 0) },
	{ "a SOCKS5 reply", TH_IN("\x05\x00"), TH_FAILED(PROXY_ERROR, 1, 0) },
	{ "a blank line first", TH_IN("\r\nHTTP/1.1 200 OK\r\n\r\n"),
	  TH_FAILED(PROXY_ERROR, 1, 0) },
	{ "a space first", TH_IN(" HTTP/1.1 200 OK\r\n\r\n"), TH_FAILED(PROXY_ERROR, 1, 0) },
	{ "no status code", TH_IN("HTTP/1.1 \r\n\r\n"), TH_FAILED(PROXY_ERROR, 10, 0) },
	{ "no status code nor space", TH_IN("HTTP/1.1\r\n\r\n"), TH_FAILED(PROXY_ERROR, 9, 0) },
	{ "two spaces before the status", TH_IN("HTTP/1.1  200 OK\r\n\r\n"),
	  TH_FAILED(PROXY_ERROR, 10, 0) },
	{ "a tab before the status", TH_IN("HTTP/1.1\t200 OK\r\n\r\n"),
	  TH_FAILED(PROXY_ERROR, 9, 0) },
	{ "2-digit status", TH_IN("HTTP/1.1 20 OK\r\n\r\n"), TH_FAILED(PROXY_ERROR, 12, 0) },
	{ "4-digit status", TH_IN("HTTP/1.1 2000 OK\r\n\r\n"), TH_FAILED(PROXY_ERROR, 13, 0) },
	{ "status 099", TH_IN("HTTP/1.1 099 x\r\n\r\n"), TH_FAILED(PROXY_ERROR, 10, 0) },
	{ "status 600", TH_IN("HTTP/1.1 600 x\r\n\r\n"), TH_FAILED(PROXY_ERROR, 10, 0) },
	{ "status then a letter", TH_IN("HTTP/1.1 200OK\r\n\r\n"),
	  TH_FAILED(PROXY_ERROR, 13, 0) },
	{ "status then CR, not LF", TH_IN("HTTP/1.1 200\rX\r\n\r\n"),
	  TH_FAILED(PROXY_ERROR, 14, 0) },
	{ "status then CR CR LF", TH_IN("HTTP/1.1 200\r\r\n\r\n"), TH_FAILED(PROXY_ERROR, 14, 0) },

	/* Not complete yet */
	{ "nothing", TH_IN(""), .event = MPROX_CODEC_MORE },
	{ "the status line only", TH_IN("HTTP/1.1 200 OK\r\n"), .event = MPROX_CODEC_MORE,
	  .status = 200 },
	{ "short of the last LF", TH_IN("HTTP/1.1 200 OK\r\n\r"), .event = MPROX_CODEC_MORE,
	  .status = 200 },
	{ "a header, no blank line", TH_IN("HTTP/1.1 407 x\r\nVia: p\r\n"),
	  .event = MPROX_CODEC_MORE, .status = 407 },
	{ "the start of a status line", TH_IN("HTTP/1.1 20"), .event = MPROX_CODEC_MORE },

	/* Limits */
	{ "a header block of exactly 8192 bytes", TH_IN(TH_PAD_HEAD), .pad = 'a',
	  .pad_len = 8192 - 24 - 4, .tail = "\r\n\r\nxyz", TH_CONNECTED(8192, 200) },
	{ "a header block of exactly 8192 bytes, LF only", TH_IN("HTTP/1.1 200 OK\nX-Pad: "),
	  .pad = 'a', .pad_len = 8192 - 23 - 2, .tail = "\n\n", TH_CONNECTED(8192, 200) },
	{ "a 407 of exactly 8192 bytes", TH_IN("HTTP/1.1 407 x\r\n"), .pad = 'a',
	  .pad_len = 8192 - 16 - 4, .tail = "\r\n\r\n", TH_FAILED(AUTH_FAILED, 8192, 407) },
	{ "a header block of 8193 bytes", TH_IN(TH_PAD_HEAD), .pad = 'a',
	  .pad_len = 8193 - 24 - 4, .tail = "\r\n\r\n", TH_FAILED(PROXY_ERROR, 8192, 200) },
	{ "8193 bytes without the blank line", TH_IN(TH_PAD_HEAD), .pad = 'a',
	  .pad_len = 8193 - 24, TH_FAILED(PROXY_ERROR, 8192, 200) },
	{ "8191 bytes without the blank line", TH_IN(TH_PAD_HEAD), .pad = 'a',
	  .pad_len = 8191 - 24, .event = MPROX_CODEC_MORE, .status = 200 },
	{ "a 9 KiB status line", TH_IN("HTTP/1.1 200 "), .pad = 'a', .pad_len = 9216 - 13 - 2,
	  .tail = "\r\n\r\n", TH_FAILED(PROXY_ERROR, 8192, 0) },
	{ "100 header lines", TH_IN(TH_HEAD), .line = TH_LINE, .lines = 100, .tail = "\r\n",
	  TH_CONNECTED(17 + 800 + 2, 200) },
	{ "100 header lines, LF only", TH_IN("HTTP/1.1 200 OK\n"), .line = "X: v\n",
	  .lines = 100, .tail = "\nabc", TH_CONNECTED(16 + 500 + 1, 200) },
	{ "101 header lines", TH_IN(TH_HEAD), .line = TH_LINE, .lines = 101, .tail = "\r\n",
	  TH_FAILED(PROXY_ERROR, 17 + 800 + 1, 200) },
	{ "100 header lines, then CR CR LF", TH_IN(TH_HEAD), .line = TH_LINE,
	  .lines = 100, .tail = "\r\r\n\r\n", TH_FAILED(PROXY_ERROR, 17 + 800 + 2, 200) },
	{ "100 header lines of a 503", TH_IN("HTTP/1.1 503 x\r\n"), .line = TH_LINE,
	  .lines = 100, .tail = "\r\n", TH_FAILED(HOST_UNREACH, 16 + 800 + 2, 503) },

	/* Out of turn */
	{ "reply() before request()", TH_IN(TH_OK), .stage = TH_OPENED,
	  TH_FAILED(PROXY_ERROR, 0, 0) },
	{ "reply() before open()", TH_IN(TH_OK), .stage = TH_FRESH,
	  TH_FAILED(PROXY_ERROR, 0, 0) },
};

/* The length of @c's response. */
static size_t mprox_http_reply_len(const struct mprox_http_reply_case *c)
{
	size_t line = c->line ? strlen(c->line) : 0, tail = c->tail ? strlen(c->tail) : 0;

	return c->len + c->lines * line + c->pad_len + tail;
}

/* @c's response at @buf, which has room for mprox_http_reply_len() bytes. */
static void mprox_http_reply_make(const struct mprox_http_reply_case *c, u8 *buf)
{
	size_t line = c->line ? strlen(c->line) : 0;
	unsigned int i;

	memcpy(buf, c->in, c->len);
	buf += c->len;
	for (i = 0; i < c->lines; i++, buf += line)
		memcpy(buf, c->line, line);
	memset(buf, c->pad, c->pad_len);
	buf += c->pad_len;
	if (c->tail)
		memcpy(buf, c->tail, strlen(c->tail));
}

/* A state at @c's stage: open() and request() for example.com:443. */
static const char *mprox_http_reply_start(const struct mprox_http_reply_case *c,
					  u8 *scratch, struct mprox_codec_state *st)
{
	static const struct mprox_dest dest = {
		.family = AF_UNSPEC, .port = 443, .name = "example.com", .name_len = 11,
	};
	static const char want[] = "CONNECT example.com:443 HTTP/1.1\r\n"
				   "Host: example.com:443\r\n\r\n";
	static const struct mprox_codec_creds cr;
	const struct mprox_codec *codec = &mprox_http_codec;
	u8 *out = mprox_http_test_end(scratch) - codec->out_max;
	struct mprox_codec_step step;

	memset(st, 0, sizeof(*st));
	if (c->stage == TH_FRESH)
		return NULL;
	codec->open(st, &cr, out, codec->out_max, &step);
	if (step.event != MPROX_CODEC_READY)
		return "open(): not READY";
	if (c->stage == TH_OPENED)
		return NULL;
	codec->request(st, &cr, &dest, out, codec->out_max, &step);
	if (step.event != MPROX_CODEC_SEND || step.out_len != sizeof(want) - 1 ||
	    memcmp(out, want, sizeof(want) - 1))
		return "request(): not SEND of the request";
	return NULL;
}

/* reply() with the first @k bytes of @in, copied to the end of @scratch. */
static const char *mprox_http_reply_once(const struct mprox_http_reply_case *c, u8 *scratch,
					 const u8 *in, size_t k, struct mprox_codec_state *st,
					 struct mprox_codec_step *step)
{
	const struct mprox_codec *codec = &mprox_http_codec;
	u8 *buf = mprox_http_test_end(scratch) - k;
	bool final = c->event != MPROX_CODEC_MORE && k >= c->at;
	size_t used = 0;

	memmove(buf, in, k);
	memset(step, 0xa5, sizeof(*step));
	codec->reply(st, NULL, buf, k, NULL, 0, step);
	if (step->out_len)
		return "reply() has something to send";
	if (!final) {
		if (step->event != MPROX_CODEC_MORE || step->used)
			return "not MORE for a prefix";
		if (st->scanned > k)
			return "scanned past the bytes";
		if (k == mprox_http_reply_len(c) && st->status != c->status)
			return "status";
		return NULL;
	}
	if (step->event != c->event)
		return k > c->at ? "event" : "event, for the first prefix";
	if (step->event == MPROX_CODEC_FAILED && step->result != c->result)
		return "result";
	if (step->event == MPROX_CODEC_CONNECTED && step->result != MPROX_CONNECT_OK)
		return "CONNECTED but not OK";
	if (c->event == MPROX_CODEC_CONNECTED || c->result != MPROX_CONNECT_PROXY_ERROR)
		used = c->at;
	if (step->used != used)
		return "used";
	if (st->status != c->status)
		return "status";
	return NULL;
}

/*
 * Run response case @c in @scratch (2 * MPROX_HTTP_TEST_SCRATCH bytes): its
 * bytes are fed as they would arrive one at a time, from none to all of
 * them, to one state until reply() comes to more than MORE (the engine
 * calls it no more then), which must be at @at and what the case says;
 * then all of them at once to a fresh state, for the same. Puts what the
 * last reply() said in *@step and the bytes it was given in *@fed;
 * returns NULL when the case holds, otherwise what differed.
 */
static const char *mprox_http_reply_case_run(const struct mprox_http_reply_case *c,
					     u8 *scratch, struct mprox_codec_step *step,
					     size_t *fed)
{
	size_t len = mprox_http_reply_len(c), k, scanned = 0;
	struct mprox_codec_state st;
	const char *why;

	memset(step, 0, sizeof(*step));
	*fed = 0;
	if (len > MPROX_HTTP_TEST_SCRATCH ||
	    (c->event != MPROX_CODEC_MORE && c->at > len))
		return "bad case";
	mprox_http_reply_make(c, scratch);

	why = mprox_http_reply_start(c, scratch, &st);
	for (k = 0; !why && k <= len; k++) {
		*fed = k;
		why = mprox_http_reply_once(c, scratch, scratch, k, &st, step);
		if (why || step->event != MPROX_CODEC_MORE)
			break;
		if (st.scanned < scanned)
			return "scanned went back";
		scanned = st.scanned;
	}
	if (why)
		return why;

	why = mprox_http_reply_start(c, scratch, &st);
	if (why)
		return why;
	*fed = len;
	return mprox_http_reply_once(c, scratch, scratch, len, &st, step);
}

/* mprox_http_result(): a status and what the application gets for it. */
struct mprox_http_result_case {
	const char *desc;
	u16 status;
	enum mprox_connect_result result;
};

static const struct mprox_http_result_case mprox_http_result_cases[] = {
	{ "100 -> GENERAL_FAILURE", 100, MPROX_CONNECT_GENERAL_FAILURE },
	{ "199 -> GENERAL_FAILURE", 199, MPROX_CONNECT_GENERAL_FAILURE },
	{ "200 -> OK", 200, MPROX_CONNECT_OK },
	{ "204 -> OK", 204, MPROX_CONNECT_OK },
	{ "299 -> OK", 299, MPROX_CONNECT_OK },
	{ "300 -> GENERAL_FAILURE", 300, MPROX_CONNECT_GENERAL_FAILURE },
	{ "400 -> GENERAL_FAILURE", 400, MPROX_CONNECT_GENERAL_FAILURE },
	{ "401 -> AUTH_FAILED", 401, MPROX_CONNECT_AUTH_FAILED },
	{ "403 -> REFUSED", 403, MPROX_CONNECT_REFUSED },
	{ "404 -> GENERAL_FAILURE", 404, MPROX_CONNECT_GENERAL_FAILURE },
	{ "405 -> REFUSED", 405, MPROX_CONNECT_REFUSED },
	{ "406 -> GENERAL_FAILURE", 406, MPROX_CONNECT_GENERAL_FAILURE },
	{ "407 -> AUTH_FAILED", 407, MPROX_CONNECT_AUTH_FAILED },
	{ "500 -> GENERAL_FAILURE", 500, MPROX_CONNECT_GENERAL_FAILURE },
	{ "501 -> GENERAL_FAILURE", 501, MPROX_CONNECT_GENERAL_FAILURE },
	{ "502 -> HOST_UNREACH", 502, MPROX_CONNECT_HOST_UNREACH },
	{ "503 -> HOST_UNREACH", 503, MPROX_CONNECT_HOST_UNREACH },
	{ "504 -> HOST_UNREACH", 504, MPROX_CONNECT_HOST_UNREACH },
	{ "505 -> GENERAL_FAILURE", 505, MPROX_CONNECT_GENERAL_FAILURE },
	{ "599 -> GENERAL_FAILURE", 599, MPROX_CONNECT_GENERAL_FAILURE },
};

static const char *mprox_http_result_case_run(const struct mprox_http_result_case *c)
{
	return mprox_http_result(c->status) == c->result ? NULL : "result";
}

#endif /* _MPROX_HTTP_TEST_CASES_H */
