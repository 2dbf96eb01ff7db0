/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SOCKS5 codec's test cases, shared by the KUnit suite (socks5_test.c)
 * and the host unit test (tests/unit/test_socks5.c): one table, two
 * runners. Include after socks5.c or socks5.h (and <linux/string.h> or the
 * shim).
 *
 * The run functions work in a scratch buffer of MPROX_SOCKS5_TEST_SCRATCH
 * bytes that the runner allocates on the heap. Every message is built, and
 * every reply parsed, at the very end of it, so that one byte written or
 * read past the (pointer, length) given is outside the allocation, where
 * KASAN or ASan see it.
 */
#ifndef _MPROX_SOCKS5_TEST_CASES_H
#define _MPROX_SOCKS5_TEST_CASES_H

#include "codec_test.h"

#define MPROX_SOCKS5_TEST_SCRATCH	1024

/* Inputs are string literals measured with sizeof: they may hold NUL bytes. */
#define T5_IN(s)	.in = (s), .len = sizeof(s) - 1
#define T5_USER(s)	.user = (s), .user_len = sizeof(s) - 1
#define T5_PASS(s)	.password = (s), .password_len = sizeof(s) - 1
#define T5_NAME(s)	.name = (s), .name_len = sizeof(s) - 1
/* 255 bytes are T5_A64 T5_A64 T5_A64 T5_A63, 256 four T5_A64. */
#define T5_A64		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T5_A63		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T5_B64		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define T5_B63		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* 2001:db8::1 */
#define T5_V6		"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
/* A CONNECT reply with REP @rep (a one-byte literal), bound to 10.0.0.1:1080. */
#define T5_REPLY4(rep)	"\x05" rep "\x00\x01\x0a\x00\x00\x01\x04\x38"

enum mprox_socks5_test_msg {
	T5_GREETING,		/* builders */
	T5_AUTH,
	T5_CONNECT,
	T5_UDP_ASSOCIATE,
	T5_METHOD_REPLY,	/* parsers */
	T5_AUTH_REPLY,
	T5_CONNECT_REPLY,
};

struct mprox_socks5_build_case {
	const char *desc;
	enum mprox_socks5_test_msg msg;
	bool userpass;			/* greeting */
	const char *user, *password;	/* auth */
	size_t user_len, password_len;
	u16 family;			/* connect: the destination */
	const char *addr;		/* 4 or 16 bytes, network order */
	const char *name;
	size_t name_len;
	u16 port;
	/*
	 * With @sized, the buffer has @size bytes. Without, it is large, and
	 * a message that builds is also built into exactly its length and
	 * into one byte less (ENOSPC).
	 */
	bool sized;
	size_t size;
	int ret;
	const char *want;		/* @ret bytes, when @ret > 0 */
};

static const struct mprox_socks5_build_case mprox_socks5_build_cases[] = {
	/* Greeting */
	{ "greeting, no credentials", T5_GREETING, .ret = 3, .want = "\x05\x01\x00" },
	{ "greeting, credentials", T5_GREETING, .userpass = true, .ret = 4,
	  .want = "\x05\x02\x00\x02" },
	{ "greeting into no room", T5_GREETING, .sized = true, .size = 0, .ret = -ENOSPC },

	/* RFC 1929 request */
	{ "auth, 1-byte user and password", T5_AUTH, T5_USER("u"), T5_PASS("p"), .ret = 5,
	  .want = "\x01\x01u\x01p" },
	{ "auth, bytes passed on as they are", T5_AUTH, T5_USER("caf\xc3\xa9"),
	  T5_PASS("a:b@c d"), .ret = 15,
	  .want = "\x01\005caf\xc3\xa9\007a:b@c d" },
	{ "auth, 255-byte user and password", T5_AUTH,
	  T5_USER(T5_A64 T5_A64 T5_A64 T5_A63),
	  T5_PASS(T5_B64 T5_B64 T5_B64 T5_B63), .ret = 513,
	  .want = "\x01\xff" T5_A64 T5_A64 T5_A64 T5_A63 "\xff" T5_B64 T5_B64 T5_B64 T5_B63 },
	{ "auth, 255-byte user into 512 bytes", T5_AUTH,
	  T5_USER(T5_A64 T5_A64 T5_A64 T5_A63),
	  T5_PASS(T5_B64 T5_B64 T5_B64 T5_B63),
	  .sized = true, .size = 512, .ret = -ENOSPC },
	{ "auth, 256-byte user", T5_AUTH, T5_USER(T5_A64 T5_A64 T5_A64 T5_A64), T5_PASS("p"),
	  .ret = -ENAMETOOLONG },
	{ "auth, 256-byte password", T5_AUTH, T5_USER("u"), T5_PASS(T5_B64 T5_B64 T5_B64 T5_B64),
	  .ret = -ENAMETOOLONG },
	{ "auth, empty user", T5_AUTH, T5_USER(""), T5_PASS("p"), .ret = -EINVAL },
	{ "auth, empty password", T5_AUTH, T5_USER("u"), T5_PASS(""), .ret = -EINVAL },
	{ "auth, no user", T5_AUTH, .user = NULL, .user_len = 0, T5_PASS("p"), .ret = -EINVAL },
	{ "auth, invalid user beats no room", T5_AUTH,
	  T5_USER(T5_A64 T5_A64 T5_A64 T5_A64), T5_PASS("p"),
	  .sized = true, .size = 0, .ret = -ENAMETOOLONG },

	/* CONNECT request */
	{ "connect IPv4", T5_CONNECT, .family = AF_INET, .addr = "\x7f\x00\x00\x01", .port = 80,
	  .ret = 10, .want = "\x05\x01\x00\x01\x7f\x00\x00\x01\x00\x50" },
	{ "connect IPv4, port byte order", T5_CONNECT, .family = AF_INET,
	  .addr = "\xc0\x00\x02\xff", .port = 0x1234, .ret = 10,
	  .want = "\x05\x01\x00\x01\xc0\x00\x02\xff\x12\x34" },
	{ "connect IPv4, port 0 passed on", T5_CONNECT, .family = AF_INET, .addr = "\0\0\0\0",
	  .port = 0, .ret = 10, .want = "\x05\x01\x00\x01\0\0\0\0\0\0" },
	{ "connect IPv4 into 9 bytes", T5_CONNECT, .family = AF_INET, .addr = "\x7f\0\0\x01",
	  .port = 80, .sized = true, .size = 9, .ret = -ENOSPC },
	{ "connect IPv6", T5_CONNECT, .family = AF_INET6, .addr = T5_V6, .port = 443, .ret = 22,
	  .want = "\x05\x01\x00\x04" T5_V6 "\x01\xbb" },
	{ "connect IPv6 into 21 bytes", T5_CONNECT, .family = AF_INET6, .addr = T5_V6,
	  .port = 443, .sized = true, .size = 21, .ret = -ENOSPC },
	{ "connect name", T5_CONNECT, .family = AF_UNSPEC, T5_NAME("example.com"),
	  .port = 8080, .ret = 18, .want = "\x05\x01\x00\x03\013example.com\x1f\x90" },
	{ "connect 1-byte name, port 65535", T5_CONNECT, .family = AF_UNSPEC, T5_NAME("a"),
	  .port = 65535, .ret = 8, .want = "\x05\x01\x00\x03\001a\xff\xff" },
	{ "connect name with bytes >= 0x80", T5_CONNECT, .family = AF_UNSPEC,
	  T5_NAME("\xc3\xa9"), .port = 1, .ret = 9,
	  .want = "\x05\x01\x00\x03\x02\xc3\xa9\x00\x01" },
	{ "connect 255-byte name", T5_CONNECT, .family = AF_UNSPEC,
	  T5_NAME(T5_A64 T5_A64 T5_A64 T5_A63), .port = 443, .ret = 262,
	  .want = "\x05\x01\x00\x03\xff" T5_A64 T5_A64 T5_A64 T5_A63 "\x01\xbb" },
	{ "connect 255-byte name into 261 bytes", T5_CONNECT, .family = AF_UNSPEC,
	  T5_NAME(T5_A64 T5_A64 T5_A64 T5_A63), .port = 443, .sized = true, .size = 261,
	  .ret = -ENOSPC },
	{ "connect 256-byte name", T5_CONNECT, .family = AF_UNSPEC,
	  T5_NAME(T5_A64 T5_A64 T5_A64 T5_A64),
	  .port = 443, .ret = -ENAMETOOLONG },
	{ "connect empty name", T5_CONNECT, .family = AF_UNSPEC, T5_NAME(""), .port = 443,
	  .ret = -EINVAL },
	{ "connect no name", T5_CONNECT, .family = AF_UNSPEC, .name = NULL, .name_len = 3,
	  .port = 443, .ret = -EINVAL },
	{ "connect name with a NUL", T5_CONNECT, .family = AF_UNSPEC,
	  T5_NAME("evil.example\0.good.example"), .port = 443, .ret = -EINVAL },
	{ "connect name ending in NUL", T5_CONNECT, .family = AF_UNSPEC, T5_NAME("a\0"),
	  .port = 443, .ret = -EINVAL },
	{ "connect AF_UNIX", T5_CONNECT, .family = AF_UNIX, .port = 443, .ret = -EINVAL },
	{ "connect invalid name beats no room", T5_CONNECT, .family = AF_UNSPEC,
	  T5_NAME(T5_A64 T5_A64 T5_A64 T5_A64), .port = 443, .sized = true, .size = 0,
	  .ret = -ENAMETOOLONG },

	/* UDP ASSOCIATE request: where the datagrams will come from */
	{ "udp associate from anywhere", T5_UDP_ASSOCIATE, .family = AF_INET, .addr = "\0\0\0\0",
	  .port = 0, .ret = 10, .want = "\x05\x03\x00\x01\0\0\0\0\0\0" },
	{ "udp associate from IPv4:port", T5_UDP_ASSOCIATE, .family = AF_INET,
	  .addr = "\x0a\x00\x00\x02", .port = 0x1234, .ret = 10,
	  .want = "\x05\x03\x00\x01\x0a\x00\x00\x02\x12\x34" },
	{ "udp associate from IPv6", T5_UDP_ASSOCIATE, .family = AF_INET6, .addr = T5_V6,
	  .port = 53, .ret = 22, .want = "\x05\x03\x00\x04" T5_V6 "\x00\x35" },
	{ "udp associate into 9 bytes", T5_UDP_ASSOCIATE, .family = AF_INET, .addr = "\0\0\0\0",
	  .port = 0, .sized = true, .size = 9, .ret = -ENOSPC },
	{ "udp associate from a name", T5_UDP_ASSOCIATE, .family = AF_UNSPEC,
	  T5_NAME("example.com"), .port = 1, .ret = -EINVAL },
	{ "udp associate from AF_UNIX", T5_UDP_ASSOCIATE, .family = AF_UNIX, .port = 1,
	  .ret = -EINVAL },
};

/* One build of @c (a struct mprox_socks5_build_case): mprox_test_build_fn. */
static const char *mprox_socks5_build_once(const void *arg, u8 *scratch, size_t size, int want,
					   int *ret)
{
	const struct mprox_socks5_build_case *c = arg;
	u8 *buf = scratch + MPROX_SOCKS5_TEST_SCRATCH - size;
	struct mprox_dest dest;

	memset(scratch, 0xa5, MPROX_SOCKS5_TEST_SCRATCH);
	switch (c->msg) {
	case T5_GREETING:
		*ret = mprox_socks5_greeting(buf, size, c->userpass);
		break;
	case T5_AUTH:
		*ret = mprox_socks5_auth_request(buf, size, c->user, c->user_len, c->password,
						 c->password_len);
		break;
	case T5_CONNECT:
		mprox_test_dest(&dest, c->family, c->addr, c->name, c->name_len, c->port);
		*ret = mprox_socks5_connect_request(buf, size, &dest);
		break;
	case T5_UDP_ASSOCIATE:
		mprox_test_dest(&dest, c->family, c->addr, c->name, c->name_len, c->port);
		*ret = mprox_socks5_udp_associate_request(buf, size, &dest);
		break;
	default:
		return "not a builder case";
	}
	return mprox_test_built(buf, size, *ret, want, c->want);
}

/*
 * Run builder case @c in @scratch (MPROX_SOCKS5_TEST_SCRATCH bytes). Puts
 * the return value in *@ret and the buffer size in *@size; returns NULL
 * when the case holds, otherwise what differed.
 */
static const char *mprox_socks5_build_case_run(const struct mprox_socks5_build_case *c,
					       u8 *scratch, int *ret, size_t *size)
{
	const struct mprox_test_build b = {
		.sized = c->sized, .size = c->size, .large = MPROX_SOCKS5_TEST_SCRATCH,
		.ret = c->ret,
	};

	return mprox_test_build_sizes(mprox_socks5_build_once, c, &b, scratch, ret, size);
}

struct mprox_socks5_reply_case {
	const char *desc;
	enum mprox_socks5_test_msg msg;
	const char *in;
	size_t len;
	bool userpass;		/* method reply: USERNAME/PASSWORD was offered */
	int ret;		/* for all @len bytes */
	/*
	 * For @ret < 0, how many bytes show the violation: every shorter
	 * prefix must give 0 and every longer one @ret. For @ret > 0 this is
	 * @ret itself, and unused.
	 */
	size_t at;
	u8 method;		/* method reply */
	u8 rep;			/* connect reply: REP and the bound address */
	u16 family;
	const char *addr;	/* 4 or 16 bytes */
	const char *name;	/* name_len bytes */
	size_t name_len;
	u16 port;
};

static const struct mprox_socks5_reply_case mprox_socks5_reply_cases[] = {
	/* Method selection */
	{ "method NONE", T5_METHOD_REPLY, T5_IN("\x05\x00"), .ret = 2, .method = 0 },
	{ "method NONE, next byte not consumed", T5_METHOD_REPLY, T5_IN("\x05\x00\x01"),
	  .ret = 2, .method = 0 },
	{ "method NONE when USERPASS was offered", T5_METHOD_REPLY, T5_IN("\x05\x00"),
	  .userpass = true, .ret = 2, .method = 0 },
	{ "method USERPASS, offered", T5_METHOD_REPLY, T5_IN("\x05\x02"), .userpass = true,
	  .ret = 2, .method = 2 },
	{ "method USERPASS, not offered", T5_METHOD_REPLY, T5_IN("\x05\x02"), .ret = -EPROTO,
	  .at = 2 },
	{ "method FF: no acceptable method", T5_METHOD_REPLY, T5_IN("\x05\xff"), .ret = -EACCES,
	  .at = 2 },
	{ "method FF with USERPASS offered", T5_METHOD_REPLY, T5_IN("\x05\xff"),
	  .userpass = true, .ret = -EACCES, .at = 2 },
	{ "method GSSAPI, not offered", T5_METHOD_REPLY, T5_IN("\x05\x01"), .userpass = true,
	  .ret = -EPROTO, .at = 2 },
	{ "method 03", T5_METHOD_REPLY, T5_IN("\x05\x03"), .ret = -EPROTO, .at = 2 },
	{ "method 80, private", T5_METHOD_REPLY, T5_IN("\x05\x80"), .ret = -EPROTO, .at = 2 },
	{ "method FE", T5_METHOD_REPLY, T5_IN("\x05\xfe"), .ret = -EPROTO, .at = 2 },
	{ "method reply VER 4", T5_METHOD_REPLY, T5_IN("\x04\x00"), .ret = -EPROTO, .at = 1 },
	{ "method reply VER 0", T5_METHOD_REPLY, T5_IN("\x00\x5a"), .ret = -EPROTO, .at = 1 },
	{ "method reply VER 1", T5_METHOD_REPLY, T5_IN("\x01\x00"), .ret = -EPROTO, .at = 1 },
	{ "method reply from an HTTP server", T5_METHOD_REPLY, T5_IN("HTTP/1.1 400 Bad"),
	  .ret = -EPROTO, .at = 1 },
	{ "method reply, nothing yet", T5_METHOD_REPLY, T5_IN(""), .ret = 0 },
	{ "method reply, VER only", T5_METHOD_REPLY, T5_IN("\x05"), .ret = 0 },

	/* RFC 1929 status */
	{ "auth success", T5_AUTH_REPLY, T5_IN("\x01\x00"), .ret = 2 },
	{ "auth success, next bytes not consumed", T5_AUTH_REPLY, T5_IN("\x01\x00\x05\x00"),
	  .ret = 2 },
	{ "auth failure 1", T5_AUTH_REPLY, T5_IN("\x01\x01"), .ret = -EACCES, .at = 2 },
	{ "auth failure FF", T5_AUTH_REPLY, T5_IN("\x01\xff"), .ret = -EACCES, .at = 2 },
	{ "auth reply VER 5 tolerated", T5_AUTH_REPLY, T5_IN("\x05\x00"), .ret = 2 },
	{ "auth reply VER 5, failure", T5_AUTH_REPLY, T5_IN("\x05\x01"), .ret = -EACCES,
	  .at = 2 },
	{ "auth reply VER 2", T5_AUTH_REPLY, T5_IN("\x02\x00"), .ret = -EPROTO, .at = 1 },
	{ "auth reply VER 0", T5_AUTH_REPLY, T5_IN("\x00\x00"), .ret = -EPROTO, .at = 1 },
	{ "auth reply, nothing yet", T5_AUTH_REPLY, T5_IN(""), .ret = 0 },
	{ "auth reply, VER only", T5_AUTH_REPLY, T5_IN("\x01"), .ret = 0 },

	/* CONNECT reply: every REP, each a well-formed reply */
	{ "REP 0 succeeded", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x00")), .ret = 10,
	  .rep = 0, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 1 general failure", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x01")), .ret = 10,
	  .rep = 1, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 2 not allowed", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x02")), .ret = 10,
	  .rep = 2, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 3 network unreachable", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x03")), .ret = 10,
	  .rep = 3, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 4 host unreachable", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x04")), .ret = 10,
	  .rep = 4, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 5 connection refused", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x05")), .ret = 10,
	  .rep = 5, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 6 TTL expired", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x06")), .ret = 10,
	  .rep = 6, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 7 command not supported", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x07")),
	  .ret = 10, .rep = 7, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 8 address type not supported", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x08")),
	  .ret = 10, .rep = 8, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP 9 unassigned", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\x09")), .ret = 10,
	  .rep = 9, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "REP FF unassigned", T5_CONNECT_REPLY, T5_IN(T5_REPLY4("\xff")), .ret = 10,
	  .rep = 0xff, .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },

	/* CONNECT reply: address types, lengths, pipelined data */
	{ "reply IPv4, all zero", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x01\0\0\0\0\0\0"),
	  .ret = 10, .family = AF_INET, .addr = "\0\0\0\0", .port = 0 },
	{ "reply IPv4, port byte order", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x01\xc0\x00\x02\xff\x12\x34"), .ret = 10,
	  .family = AF_INET, .addr = "\xc0\x00\x02\xff", .port = 0x1234 },
	{ "reply IPv4, pipelined data not consumed", T5_CONNECT_REPLY,
	  T5_IN(T5_REPLY4("\x00") "HTTP/1.1 200 OK\r\n"), .ret = 10, .family = AF_INET,
	  .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "reply IPv6", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x04" T5_V6 "\xff\xfe"),
	  .ret = 22, .family = AF_INET6, .addr = T5_V6, .port = 0xfffe },
	{ "reply IPv6, pipelined data not consumed", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x04" T5_V6 "\x00\x50\x05\x00\x00\x04"), .ret = 22,
	  .family = AF_INET6, .addr = T5_V6, .port = 80 },
	{ "reply name", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x03\013example.com\x00\x50"), .ret = 18,
	  .family = AF_UNSPEC, T5_NAME("example.com"), .port = 80 },
	{ "reply name, pipelined data not consumed", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x03\001h\x00\x50SSH-2.0-x\r\n"), .ret = 8,
	  .family = AF_UNSPEC, T5_NAME("h"), .port = 80 },
	{ "reply name of any bytes", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x03\x03\0\xff\n\x00\x50"), .ret = 10,
	  .family = AF_UNSPEC, T5_NAME("\0\xff\n"), .port = 80 },
	{ "reply 255-byte name", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x03\xff" T5_A64 T5_A64 T5_A64 T5_A63 "\x01\xbbx"), .ret = 262,
	  .family = AF_UNSPEC, T5_NAME(T5_A64 T5_A64 T5_A64 T5_A63), .port = 443 },
	{ "reply RSV 01 tolerated", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x01\x01\x0a\x00\x00\x01\x04\x38"), .ret = 10,
	  .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },
	{ "reply RSV FF tolerated", T5_CONNECT_REPLY,
	  T5_IN("\x05\x05\xff\x01\x0a\x00\x00\x01\x04\x38"), .ret = 10, .rep = 5,
	  .family = AF_INET, .addr = "\x0a\x00\x00\x01", .port = 1080 },

	/* CONNECT reply: violations */
	{ "reply VER 4", T5_CONNECT_REPLY, T5_IN("\x04\x00\x00\x01\0\0\0\0\0\0"),
	  .ret = -EPROTO, .at = 1 },
	{ "reply VER 0, a SOCKS4 reply", T5_CONNECT_REPLY, T5_IN("\x00\x5a\x00\x50\0\0\0\0"),
	  .ret = -EPROTO, .at = 1 },
	{ "reply VER 1", T5_CONNECT_REPLY, T5_IN("\x01\x00"), .ret = -EPROTO, .at = 1 },
	{ "reply ATYP 0", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x00\0\0\0\0\0\0"),
	  .ret = -EPROTO, .at = 4 },
	{ "reply ATYP 2", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x02\0\0\0\0\0\0"),
	  .ret = -EPROTO, .at = 4 },
	{ "reply ATYP 5", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x05\0\0\0\0\0\0"),
	  .ret = -EPROTO, .at = 4 },
	{ "reply ATYP FF", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\xff"), .ret = -EPROTO,
	  .at = 4 },
	{ "reply REP 5 with bad ATYP", T5_CONNECT_REPLY, T5_IN("\x05\x05\x00\x07\0\0"),
	  .ret = -EPROTO, .at = 4 },
	{ "reply name of length 0", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x03\x00\x00\x50"),
	  .ret = -EPROTO, .at = 5 },

	/* CONNECT reply: not all there yet */
	{ "reply, nothing yet", T5_CONNECT_REPLY, T5_IN(""), .ret = 0 },
	{ "reply IPv4 short of the last byte", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x01\x0a\x00\x00\x01\x04"), .ret = 0 },
	{ "reply IPv6 short of the port", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x04" T5_V6),
	  .ret = 0 },
	{ "reply 255-byte name short of one byte", T5_CONNECT_REPLY,
	  T5_IN("\x05\x00\x00\x03\xff" T5_A64 T5_A64 T5_A64 T5_A63 "\x01"), .ret = 0 },
	{ "reply name length only", T5_CONNECT_REPLY, T5_IN("\x05\x00\x00\x03\x05"), .ret = 0 },
};

static int mprox_socks5_reply_parse(const struct mprox_socks5_reply_case *c, const u8 *buf,
				    size_t len, u8 *method, struct mprox_socks5_reply *r)
{
	switch (c->msg) {
	case T5_METHOD_REPLY:
		return mprox_socks5_parse_method(buf, len, c->userpass, method);
	case T5_AUTH_REPLY:
		return mprox_socks5_parse_auth_reply(buf, len);
	case T5_CONNECT_REPLY:
		return mprox_socks5_parse_connect_reply(buf, len, r);
	default:
		return 1;	/* no parser returns 1: the case fails */
	}
}

static const char *mprox_socks5_reply_check(const struct mprox_socks5_reply_case *c,
					    const u8 *buf, u8 method,
					    const struct mprox_socks5_reply *r)
{
	const struct mprox_dest *b = &r->bnd;

	if (c->msg == T5_METHOD_REPLY)
		return method == c->method ? NULL : "method";
	if (c->msg != T5_CONNECT_REPLY)
		return NULL;
	if (r->rep != c->rep)
		return "rep";
	if (b->family != c->family)
		return "family";
	if (b->port != c->port)
		return "port";
	if (c->family == AF_INET && memcmp(&b->addr.v4, c->addr, 4))
		return "address";
	if (c->family == AF_INET6 && memcmp(&b->addr.v6, c->addr, 16))
		return "address";
	if (c->family == AF_UNSPEC) {
		if (b->name != (const char *)buf + 5 || b->name_len != c->name_len)
			return "name";
		if (memcmp(b->name, c->name, c->name_len))
			return "name bytes";
	}
	return NULL;
}

/*
 * Run reply case @c in @scratch (MPROX_SOCKS5_TEST_SCRATCH bytes): the
 * bytes are fed as they would arrive one at a time, from none to all of
 * them, and every prefix must give 0 until the reply is complete (or the
 * violation shows) and the final result from then on. Puts the last result
 * in *@ret and the bytes it was given in *@fed; returns NULL when the case
 * holds, otherwise what differed.
 */
static const char *mprox_socks5_reply_case_run(const struct mprox_socks5_reply_case *c,
					       u8 *scratch, int *ret, size_t *fed)
{
	size_t at = c->ret > 0 ? (size_t)c->ret : c->at;
	struct mprox_socks5_reply r, poison;
	const char *why;
	size_t k;
	u8 method;
	int want;

	if (c->len > MPROX_SOCKS5_TEST_SCRATCH || (c->ret && (at < 1 || at > c->len))) {
		*ret = 0;
		*fed = 0;
		return "bad case";
	}
	memset(&poison, 0xa5, sizeof(poison));
	for (k = 0; k <= c->len; k++) {
		u8 *buf = scratch + MPROX_SOCKS5_TEST_SCRATCH - k;

		memcpy(buf, c->in, k);
		memcpy(&r, &poison, sizeof(r));
		method = 0xa5;
		want = c->ret && k >= at ? c->ret : 0;
		*fed = k;
		*ret = mprox_socks5_reply_parse(c, buf, k, &method, &r);
		if (*ret != want)
			return k < c->len ? "return value for a prefix" : "return value";
		if (*ret > 0) {
			why = mprox_socks5_reply_check(c, buf, method, &r);
			if (why)
				return why;
		} else if (method != 0xa5 || memcmp(&r, &poison, sizeof(r))) {
			return "output written without a complete reply";
		}
	}
	return NULL;
}

/* mprox_socks5_result(): REP and what the application gets for it. */
struct mprox_socks5_result_case {
	const char *desc;
	u8 rep;
	enum mprox_connect_result result;
};

static const struct mprox_socks5_result_case mprox_socks5_result_cases[] = {
	{ "REP 0 -> OK", 0, MPROX_CONNECT_OK },
	{ "REP 1 -> GENERAL_FAILURE", 1, MPROX_CONNECT_GENERAL_FAILURE },
	{ "REP 2 -> NOT_ALLOWED", 2, MPROX_CONNECT_NOT_ALLOWED },
	{ "REP 3 -> NET_UNREACH", 3, MPROX_CONNECT_NET_UNREACH },
	{ "REP 4 -> HOST_UNREACH", 4, MPROX_CONNECT_HOST_UNREACH },
	{ "REP 5 -> REFUSED", 5, MPROX_CONNECT_REFUSED },
	{ "REP 6 -> TTL_EXPIRED", 6, MPROX_CONNECT_TTL_EXPIRED },
	{ "REP 7 -> CMD_UNSUPPORTED", 7, MPROX_CONNECT_CMD_UNSUPPORTED },
	{ "REP 8 -> ATYP_UNSUPPORTED", 8, MPROX_CONNECT_ATYP_UNSUPPORTED },
	{ "REP 9 -> GENERAL_FAILURE", 9, MPROX_CONNECT_GENERAL_FAILURE },
	{ "REP 80 -> GENERAL_FAILURE", 0x80, MPROX_CONNECT_GENERAL_FAILURE },
	{ "REP FF -> GENERAL_FAILURE", 0xff, MPROX_CONNECT_GENERAL_FAILURE },
};

static const char *mprox_socks5_result_case_run(const struct mprox_socks5_result_case *c)
{
	return mprox_socks5_result(c->rep) == c->result ? NULL : "result";
}

#endif /* _MPROX_SOCKS5_TEST_CASES_H */
