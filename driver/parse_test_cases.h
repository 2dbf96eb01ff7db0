/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parser's test cases, shared by the KUnit suite (parse_test.c) and the
 * host unit test (tests/unit/test_parse.c): one table, two runners. Include
 * after parse.c or parse.h (and <linux/string.h> or the shim).
 *
 * A case gives an input, the return value wanted and, when that is 0, the
 * fields wanted; mprox_parse_case_run() runs it and names the first field
 * that differs, so that a runner only reports.
 */
#ifndef _MPROX_PARSE_TEST_CASES_H
#define _MPROX_PARSE_TEST_CASES_H

/*
 * Inputs are string literals measured with sizeof, so that they may hold
 * NUL bytes. Long ones are built from these pieces at the point of use.
 */
#define T_LINE(s)	.in = (s), .len = sizeof(s) - 1
#define T_URL(s)	.in = (s), .len = sizeof(s) - 1, .url = true
#define T_A63		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T_A64		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define T_B57		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define T_B61		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
/* 15 escaped 'a': 45 bytes of URL, 15 of user name */
#define T_PCT15		"%61%61%61%61%61%61%61%61%61%61%61%61%61%61%61"
/* 31 characters, every kind a name may hold */
#define T_NAME31	"abcdefghijklmnopqrstuvwxyz-_.09"

struct mprox_parse_case {
	const char *desc;
	const char *in;
	size_t len;
	bool url;		/* mprox_parse_url() rather than _line() */
	int ret;
	/* Wanted when ret is 0; a NULL string means "". */
	enum mprox_op op;
	const char *name;
	enum mprox_proto proto;
	u16 family;
	u16 port;
	const char *addr;	/* 4 or 16 bytes, network order */
	const char *host;
	const char *user;
	const char *password;
	u32 weight;
	u8 priority;
	const char *dev;	/* upstream add: "dev IFNAME" */
	enum mprox_tunable key;
	u64 value;		/* persist, dns hijack (0 or 1), fwmark, set value */
	/*
	 * dns: the op, and fake-ip's pools, each 4 or 16 bytes with its length
	 * (NULL: absent). server is family, port and addr, as probe_target.
	 */
	enum mprox_dns_op dns_op;
	const char *pool4, *pool6;
	u8 pool4_len, pool6_len;
};

/* Addresses of the dns cases, network order. */
#define T_V4_198_18	"\xc6\x12\x00\x00"
#define T_V4_DNS	"\xc0\x00\x02\x35"				/* 192.0.2.53 */
#define T_V6_FC00	"\xfc\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
#define T_V6_DNS	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x53"	/* 2001:db8::53 */

static const struct mprox_parse_case mprox_parse_cases[] = {
	/* URLs that parse, one of each scheme and host kind */
	{ "socks5 IPv4 with port", T_URL("socks5://127.0.0.1:9050"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET, .port = 9050,
	  .addr = "\x7f\x00\x00\x01", .host = "127.0.0.1" },
	{ "socks5h name, default port, lower-cased",
	  T_URL("socks5h://Proxy-1.Example.COM"),
	  .proto = MPROX_PROTO_SOCKS5H, .family = AF_UNSPEC, .port = 1080,
	  .host = "proxy-1.example.com" },
	{ "socks4 port 1", T_URL("socks4://10.0.0.1:1"),
	  .proto = MPROX_PROTO_SOCKS4, .family = AF_INET, .port = 1,
	  .addr = "\x0a\x00\x00\x01", .host = "10.0.0.1" },
	{ "socks4a port 65535", T_URL("socks4a://h:65535"),
	  .proto = MPROX_PROTO_SOCKS4A, .port = 65535, .host = "h" },
	{ "http user and password", T_URL("http://alice:s3cret@proxy.example:3128"),
	  .proto = MPROX_PROTO_HTTP, .port = 3128, .host = "proxy.example",
	  .user = "alice", .password = "s3cret" },
	{ "scheme is case-insensitive", T_URL("HtTp://h"),
	  .proto = MPROX_PROTO_HTTP, .port = 1080, .host = "h" },
	{ "upper-case SOCKS5H", T_URL("SOCKS5H://h"),
	  .proto = MPROX_PROTO_SOCKS5H, .port = 1080, .host = "h" },
	{ "IPv4 extremes", T_URL("socks5://255.255.255.255"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET, .port = 1080,
	  .addr = "\xff\xff\xff\xff", .host = "255.255.255.255" },
	{ "IPv4 zero", T_URL("socks5://0.0.0.0:1"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET, .port = 1,
	  .addr = "\0\0\0\0", .host = "0.0.0.0" },
	{ "IPv6 with port, lower-cased", T_URL("socks5://[2001:DB8::1]:1081"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 1081,
	  .addr = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", .host = "2001:db8::1" },
	{ "IPv6 unspecified", T_URL("socks5://[::]"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 1080,
	  .addr = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", .host = "::" },
	{ "IPv6 loopback", T_URL("socks5://[::1]"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 1080,
	  .addr = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", .host = "::1" },
	{ "IPv6 eight groups", T_URL("socks5://[1:2:3:4:5:6:7:ffff]"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 1080,
	  .addr = "\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0\x07\xff\xff",
	  .host = "1:2:3:4:5:6:7:ffff" },
	{ "IPv6 :: for one group at the end", T_URL("socks5://[1:2:3:4:5:6:7::]"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 1080,
	  .addr = "\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0\x07\0\0",
	  .host = "1:2:3:4:5:6:7::" },
	{ "IPv6 :: in the middle", T_URL("socks5://[1::0002:3]"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 1080,
	  .addr = "\0\x01\0\0\0\0\0\0\0\0\0\0\0\x02\0\x03", .host = "1::0002:3" },
	{ "IPv6 with IPv4 tail", T_URL("socks5://[::FFFF:192.0.2.1]:80"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 80,
	  .addr = "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01", .host = "::ffff:192.0.2.1" },
	{ "IPv6 six groups and IPv4 tail", T_URL("socks5://[1:2:3:4:5:6:1.2.3.4]"),
	  .proto = MPROX_PROTO_SOCKS5, .family = AF_INET6, .port = 1080,
	  .addr = "\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\x01\x02\x03\x04",
	  .host = "1:2:3:4:5:6:1.2.3.4" },
	{ "trailing slash", T_URL("socks5://h:1/"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1, .host = "h" },
	{ "trailing slash, default port", T_URL("socks5://h/"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "user without password", T_URL("socks5://bob@h"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h", .user = "bob" },
	{ "escapes in user and password", T_URL("socks5://a%3Ab%40c%25:p%3a%2F@h"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h",
	  .user = "a:b@c%", .password = "p:/" },
	{ "raw ':' and sub-delims in password", T_URL("socks5://u:p:q!$&'()*+,;=~@h"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h",
	  .user = "u", .password = "p:q!$&'()*+,;=~" },
	{ "escaped UTF-8 kept as bytes", T_URL("socks5://%C3%A9@h"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h", .user = "\xc3\xa9" },
	{ "port with leading zeros is decimal", T_URL("socks5://h:01080"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "name whose last label is not all digits", T_URL("socks5://1.2.3.4a"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "1.2.3.4a" },
	{ "63-character label", T_URL("socks5://" T_A63 ".b"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = T_A63 ".b" },
	{ "253-character host", T_URL("socks5://" T_A63 "." T_A63 "." T_A63 "." T_B61),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080,
	  .host = T_A63 "." T_A63 "." T_A63 "." T_B61 },
	{ "255-byte user and password",
	  T_URL("socks5://" T_A64 T_A64 T_A64 T_A63 ":" T_A64 T_A64 T_A64 T_A63 "@h"),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h",
	  .user = T_A64 T_A64 T_A64 T_A63, .password = T_A64 T_A64 T_A64 T_A63 },
	{ "1024-byte URL",
	  T_URL("socks5://" T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15
		T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15
		T_PCT15 T_PCT15 "@" T_A63 "." T_A63 "." T_A63 "." T_B57),
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080,
	  .host = T_A63 "." T_A63 "." T_A63 "." T_B57, .user = T_A64 T_A64 T_A64 T_A63 },

	/* URLs that do not */
	{ "empty URL", T_URL(""), .ret = -EINVAL },
	{ "no scheme", T_URL("h:1080"), .ret = -EINVAL },
	{ "empty scheme", T_URL("://h"), .ret = -EINVAL },
	{ "unknown scheme", T_URL("socks6://h"), .ret = -EINVAL },
	{ "scheme prefix only", T_URL("sock://h"), .ret = -EINVAL },
	{ "https is not a scheme here", T_URL("https://h"), .ret = -EINVAL },
	{ "one slash", T_URL("socks5:/h"), .ret = -EINVAL },
	{ "no host", T_URL("socks5://"), .ret = -EINVAL },
	{ "no host before port", T_URL("socks5://:1080"), .ret = -EINVAL },
	{ "no host after userinfo", T_URL("socks5://u:p@"), .ret = -EINVAL },
	{ "port 0", T_URL("socks5://h:0"), .ret = -ERANGE },
	{ "port 65536", T_URL("socks5://h:65536"), .ret = -ERANGE },
	{ "port past 2^64", T_URL("socks5://h:99999999999999999999999"), .ret = -ERANGE },
	{ "empty port", T_URL("socks5://h:"), .ret = -EINVAL },
	{ "port with a letter", T_URL("socks5://h:12a"), .ret = -EINVAL },
	{ "port with a sign", T_URL("socks5://h:+1"), .ret = -EINVAL },
	{ "negative port", T_URL("socks5://h:-1"), .ret = -EINVAL },
	{ "hex port", T_URL("socks5://h:0x50"), .ret = -EINVAL },
	{ "malformed beats out of range", T_URL("socks5://h:99999999999999999999x"),
	  .ret = -EINVAL },
	{ "path", T_URL("socks5://h/x"), .ret = -EINVAL },
	{ "two slashes", T_URL("socks5://h:1//"), .ret = -EINVAL },
	{ "query", T_URL("socks5://h?q"), .ret = -EINVAL },
	{ "fragment", T_URL("socks5://h#f"), .ret = -EINVAL },
	{ "empty user", T_URL("socks5://@h"), .ret = -EINVAL },
	{ "empty user with password", T_URL("socks5://:p@h"), .ret = -EINVAL },
	{ "empty password", T_URL("socks5://u:@h"), .ret = -EINVAL },
	{ "two @", T_URL("socks5://a@b@h"), .ret = -EINVAL },
	{ "truncated escape", T_URL("socks5://u%4@h"), .ret = -EINVAL },
	{ "escape at the end", T_URL("socks5://u%@h"), .ret = -EINVAL },
	{ "non-hex escape", T_URL("socks5://u%zz@h"), .ret = -EINVAL },
	{ "escaped NUL", T_URL("socks5://u%00@h"), .ret = -EINVAL },
	{ "escaped newline", T_URL("socks5://u:p%0a@h"), .ret = -EINVAL },
	{ "escaped DEL", T_URL("socks5://u%7F@h"), .ret = -EINVAL },
	{ "unescaped quote in user", T_URL("socks5://u\"@h"), .ret = -EINVAL },
	{ "unescaped bracket in password", T_URL("socks5://u:[@h"), .ret = -EINVAL },
	{ "bare IPv6", T_URL("socks5://::1"), .ret = -EINVAL },
	{ "bare IPv6 with groups", T_URL("socks5://2001:db8::1"), .ret = -EINVAL },
	{ "IPv6 zone id", T_URL("socks5://[fe80::1%eth0]"), .ret = -EINVAL },
	{ "IPv6 escaped zone id", T_URL("socks5://[fe80::1%25eth0]:1"), .ret = -EINVAL },
	{ "IPv6 nine groups", T_URL("socks5://[1:2:3:4:5:6:7:8:9]"), .ret = -EINVAL },
	{ "IPv6 seven groups", T_URL("socks5://[1:2:3:4:5:6:7]"), .ret = -EINVAL },
	{ "IPv6 :: with eight groups", T_URL("socks5://[1:2:3:4:5:6:7:8::]"), .ret = -EINVAL },
	{ "IPv6 :: before eight groups", T_URL("socks5://[::1:2:3:4:5:6:7:8]"), .ret = -EINVAL },
	{ "IPv6 two ::", T_URL("socks5://[1::2::3]"), .ret = -EINVAL },
	{ "IPv6 :::", T_URL("socks5://[:::]"), .ret = -EINVAL },
	{ "IPv6 leading single colon", T_URL("socks5://[:1::]"), .ret = -EINVAL },
	{ "IPv6 trailing single colon", T_URL("socks5://[1::2:]"), .ret = -EINVAL },
	{ "IPv6 five hex digits", T_URL("socks5://[12345::]"), .ret = -EINVAL },
	{ "IPv6 bad hex", T_URL("socks5://[g::]"), .ret = -EINVAL },
	{ "IPv6 short IPv4 tail", T_URL("socks5://[::1.2.3]"), .ret = -EINVAL },
	{ "IPv6 IPv4 tail not last", T_URL("socks5://[::1.2.3.4:1]"), .ret = -EINVAL },
	{ "IPv6 IPv4 tail with no room", T_URL("socks5://[1:2:3:4:5:6:7:1.2.3.4]"),
	  .ret = -EINVAL },
	{ "IPv4 alone in brackets", T_URL("socks5://[1.2.3.4]"), .ret = -EINVAL },
	{ "empty brackets", T_URL("socks5://[]"), .ret = -EINVAL },
	{ "unclosed bracket", T_URL("socks5://[::1"), .ret = -EINVAL },
	{ "junk after bracket", T_URL("socks5://[::1]x"), .ret = -EINVAL },
	{ "empty port after bracket", T_URL("socks5://[::1]:"), .ret = -EINVAL },
	{ "bracket inside a name", T_URL("socks5://a]b"), .ret = -EINVAL },
	{ "three-part IPv4", T_URL("socks5://1.2.3"), .ret = -EINVAL },
	{ "five-part IPv4", T_URL("socks5://1.2.3.4.5"), .ret = -EINVAL },
	{ "IPv4 part 256", T_URL("socks5://256.1.1.1"), .ret = -EINVAL },
	{ "IPv4 leading zero", T_URL("socks5://01.2.3.4"), .ret = -EINVAL },
	{ "IPv4 empty part", T_URL("socks5://1..3.4"), .ret = -EINVAL },
	{ "all-digit name", T_URL("socks5://1234"), .ret = -EINVAL },
	{ "label starts with -", T_URL("socks5://-h"), .ret = -EINVAL },
	{ "label ends with -", T_URL("socks5://h-.x"), .ret = -EINVAL },
	{ "empty label", T_URL("socks5://a..b"), .ret = -EINVAL },
	{ "trailing dot", T_URL("socks5://h."), .ret = -EINVAL },
	{ "leading dot", T_URL("socks5://.h"), .ret = -EINVAL },
	{ "underscore in a name", T_URL("socks5://h_x"), .ret = -EINVAL },
	{ "64-character label", T_URL("socks5://" T_A63 "a.b"), .ret = -ENAMETOOLONG },
	{ "254-character host",
	  T_URL("socks5://" T_A63 "." T_A63 "." T_A63 "." T_B61 "b"), .ret = -ENAMETOOLONG },
	{ "256-byte user", T_URL("socks5://" T_A64 T_A64 T_A64 T_A64 "@h"),
	  .ret = -ENAMETOOLONG },
	{ "256-byte password", T_URL("socks5://u:" T_A64 T_A64 T_A64 T_A64 "@h"),
	  .ret = -ENAMETOOLONG },
	{ "1025-byte URL",
	  T_URL("socks5://" T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15
		T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15 T_PCT15
		T_PCT15 T_PCT15 "@" T_A63 "." T_A63 "." T_A63 "." T_B57 "b"),
	  .ret = -ENAMETOOLONG },
	{ "space in URL", T_URL("socks5://h 1"), .ret = -EINVAL },
	{ "tab in URL", T_URL("socks5://h\t"), .ret = -EINVAL },
	{ "NUL in URL", T_URL("socks5://h\0"), .ret = -EINVAL },
	{ "byte 0x80 in URL", T_URL("socks5://h\x80"), .ret = -EINVAL },
	{ "DEL in URL", T_URL("socks5://h\x7f"), .ret = -EINVAL },

	/* Lines that are ignored */
	{ "empty line", T_LINE(""), .ret = 1 },
	{ "blank line", T_LINE(" \t \t"), .ret = 1 },
	{ "comment", T_LINE("# upstream add x socks5://h"), .ret = 1 },
	{ "lone #", T_LINE("#"), .ret = 1 },
	{ "indented comment", T_LINE(" \t# x"), .ret = 1 },
	{ "comment with any byte but NUL", T_LINE("#\x01\x1b\x7f\x80\xff\r"), .ret = 1 },
	{ "2048-byte comment",
	  T_LINE("#" T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64
		 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64
		 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A63),
	  .ret = 1 },

	/* Whole-line faults */
	{ "2049-byte comment",
	  T_LINE("#" T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64
		 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64
		 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A63 "a"),
	  .ret = -E2BIG },
	{ "1024-byte URL in a line is ENAMETOOLONG, not a long line",
	  T_LINE("upstream add a socks5://" T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64 T_A64
		 T_A64 T_A64 T_A64 T_A64 T_A64),
	  .ret = -ENAMETOOLONG },
	{ "NUL in a comment", T_LINE("# a\0b"), .ret = -EINVAL },
	{ "NUL alone", T_LINE("\0"), .ret = -EINVAL },
	{ "NUL after a directive", T_LINE("persist on\0"), .ret = -EINVAL },
	{ "control character", T_LINE("persist\x01on"), .ret = -EINVAL },
	{ "carriage return", T_LINE("persist on\r"), .ret = -EINVAL },
	{ "byte 0x80", T_LINE("persist on\x80"), .ret = -EINVAL },
	{ "UTF-8 word", T_LINE("upstream del caf\xc3\xa9"), .ret = -EINVAL },
	{ "DEL", T_LINE("upstream del a\x7f"), .ret = -EINVAL },
	{ "32 words",
	  T_LINE("fwmark 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"),
	  .ret = -EINVAL },
	{ "33 words",
	  T_LINE("fwmark 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"),
	  .ret = -E2BIG },
	{ "trailing comment is not one", T_LINE("persist on # c"), .ret = -EINVAL },
	{ "unknown directive", T_LINE("frobnicate"), .ret = -EINVAL },
	{ "directives are lower case", T_LINE("Persist on"), .ret = -EINVAL },

	/* upstream add */
	{ "upstream add", T_LINE("upstream add tor socks5h://127.0.0.1:9050"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "tor", .weight = 1,
	  .proto = MPROX_PROTO_SOCKS5H, .family = AF_INET, .port = 9050,
	  .addr = "\x7f\x00\x00\x01", .host = "127.0.0.1" },
	{ "upstream add, weight, tabs, 31-character name",
	  T_LINE("\tupstream  add\t" T_NAME31 " http://u:p@H:3128 \t weight 1000 "),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = T_NAME31, .weight = 1000,
	  .proto = MPROX_PROTO_HTTP, .port = 3128, .host = "h", .user = "u", .password = "p" },
	{ "upstream add, weight 1", T_LINE("upstream add A socks4://[::1] weight 1"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "A", .weight = 1,
	  .proto = MPROX_PROTO_SOCKS4, .family = AF_INET6, .port = 1080,
	  .addr = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", .host = "::1" },
	{ "upstream add, 255-byte user",
	  T_LINE("upstream add n socks5://" T_A64 T_A64 T_A64 T_A63 "@h"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "n", .weight = 1,
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h",
	  .user = T_A64 T_A64 T_A64 T_A63 },
	{ "upstream add, 256-byte user",
	  T_LINE("upstream add n socks5://" T_A64 T_A64 T_A64 T_A64 "@h"),
	  .ret = -ENAMETOOLONG },
	{ "upstream add, 32-character name",
	  T_LINE("upstream add " T_NAME31 "Z socks5://h"), .ret = -ENAMETOOLONG },
	{ "upstream add, '/' in name", T_LINE("upstream add a/b socks5://h"), .ret = -EINVAL },
	{ "upstream add, '@' in name", T_LINE("upstream add a@ socks5://h"), .ret = -EINVAL },
	{ "upstream add, bad URL", T_LINE("upstream add n socks6://h"), .ret = -EINVAL },
	{ "upstream add, port 0", T_LINE("upstream add n socks5://h:0"), .ret = -ERANGE },
	{ "upstream add, no name", T_LINE("upstream add"), .ret = -EINVAL },
	{ "upstream add, no URL", T_LINE("upstream add n"), .ret = -EINVAL },
	{ "upstream add, stray word", T_LINE("upstream add n socks5://h x"), .ret = -EINVAL },
	{ "upstream add, weight without value",
	  T_LINE("upstream add n socks5://h weight"), .ret = -EINVAL },
	{ "upstream add, word after weight",
	  T_LINE("upstream add n socks5://h weight 2 x"), .ret = -EINVAL },
	{ "upstream add, Weight", T_LINE("upstream add n socks5://h Weight 2"), .ret = -EINVAL },
	{ "upstream add, dev", T_LINE("upstream add n socks5://h dev eth0"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "n", .weight = 1, .dev = "eth0",
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "upstream add, dev then weight, 15-character dev",
	  T_LINE("upstream add n socks5://h dev abcdefghijklmno weight 3"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "n", .weight = 3, .dev = "abcdefghijklmno",
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "upstream add, weight then dev",
	  T_LINE("upstream add n socks5://h weight 2 dev wg-0.1"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "n", .weight = 2, .dev = "wg-0.1",
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "upstream add, 16-character dev",
	  T_LINE("upstream add n socks5://h dev abcdefghijklmnop"), .ret = -ENAMETOOLONG },
	{ "upstream add, dev with '/'", T_LINE("upstream add n socks5://h dev a/b"), .ret = -EINVAL },
	{ "upstream add, dev with ':'", T_LINE("upstream add n socks5://h dev eth0:1"),
	  .ret = -EINVAL },
	{ "upstream add, dev ..", T_LINE("upstream add n socks5://h dev .."), .ret = -EINVAL },
	{ "upstream add, dev twice",
	  T_LINE("upstream add n socks5://h dev a dev b"), .ret = -EINVAL },
	{ "upstream add, weight twice",
	  T_LINE("upstream add n socks5://h weight 1 weight 2"), .ret = -EINVAL },
	{ "upstream add, dev without name", T_LINE("upstream add n socks5://h dev"), .ret = -EINVAL },
	{ "upstream add, other key", T_LINE("upstream add n socks5://h prio 2"), .ret = -EINVAL },
	{ "upstream add, weight 0", T_LINE("upstream add n socks5://h weight 0"), .ret = -ERANGE },
	{ "upstream add, weight 1001", T_LINE("upstream add n socks5://h weight 1001"),
	  .ret = -ERANGE },
	{ "upstream add, weight past 2^64",
	  T_LINE("upstream add n socks5://h weight 99999999999999999999999"), .ret = -ERANGE },
	{ "upstream add, hex weight", T_LINE("upstream add n socks5://h weight 0x10"),
	  .ret = -EINVAL },
	{ "upstream add, priority", T_LINE("upstream add n socks5://h priority 7"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "n", .weight = 1, .priority = 7,
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "upstream add, priority 0 and 255 bounds, all options",
	  T_LINE("upstream add n socks5://h weight 5 dev e0 priority 255"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "n", .weight = 5, .priority = 255, .dev = "e0",
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "upstream add, priority 0", T_LINE("upstream add n socks5://h priority 0 weight 2"),
	  .op = MPROX_OP_UPSTREAM_ADD, .name = "n", .weight = 2, .priority = 0,
	  .proto = MPROX_PROTO_SOCKS5, .port = 1080, .host = "h" },
	{ "upstream add, priority 256", T_LINE("upstream add n socks5://h priority 256"),
	  .ret = -ERANGE },
	{ "upstream add, priority twice",
	  T_LINE("upstream add n socks5://h priority 1 priority 1"), .ret = -EINVAL },
	{ "upstream add, priority without value",
	  T_LINE("upstream add n socks5://h weight 1 priority"), .ret = -EINVAL },
	{ "upstream add, negative priority", T_LINE("upstream add n socks5://h priority -1"),
	  .ret = -EINVAL },
	{ "upstream add, Priority", T_LINE("upstream add n socks5://h Priority 1"),
	  .ret = -EINVAL },
	{ "upstream add, negative weight", T_LINE("upstream add n socks5://h weight -1"),
	  .ret = -EINVAL },

	/* upstream del, flush */
	{ "upstream del", T_LINE("upstream del " T_NAME31),
	  .op = MPROX_OP_UPSTREAM_DEL, .name = T_NAME31 },
	{ "upstream del, 32-character name", T_LINE("upstream del " T_NAME31 "Z"),
	  .ret = -ENAMETOOLONG },
	{ "upstream del, bad name", T_LINE("upstream del a:b"), .ret = -EINVAL },
	{ "upstream del, no name", T_LINE("upstream del"), .ret = -EINVAL },
	{ "upstream del, two names", T_LINE("upstream del a b"), .ret = -EINVAL },
	{ "upstream flush", T_LINE("upstream flush"), .op = MPROX_OP_UPSTREAM_FLUSH },
	{ "upstream flush, stray word", T_LINE("upstream flush all"), .ret = -EINVAL },
	{ "upstream alone", T_LINE("upstream"), .ret = -EINVAL },
	{ "upstream, unknown verb", T_LINE("upstream list"), .ret = -EINVAL },
	{ "upstream, verb upper case", T_LINE("upstream ADD n socks5://h"), .ret = -EINVAL },

	/* persist */
	{ "persist on", T_LINE("persist on"), .op = MPROX_OP_PERSIST, .value = 1 },
	{ "persist off", T_LINE("  persist\toff\t"), .op = MPROX_OP_PERSIST, .value = 0 },
	{ "persist alone", T_LINE("persist"), .ret = -EINVAL },
	{ "persist ON", T_LINE("persist ON"), .ret = -EINVAL },
	{ "persist 1", T_LINE("persist 1"), .ret = -EINVAL },
	{ "persist on off", T_LINE("persist on off"), .ret = -EINVAL },

	/* fwmark */
	{ "fwmark 1", T_LINE("fwmark 1"), .op = MPROX_OP_FWMARK, .value = 1 },
	{ "fwmark decimal max", T_LINE("fwmark 4294967295"), .op = MPROX_OP_FWMARK,
	  .value = 0xffffffff },
	{ "fwmark hex max", T_LINE("fwmark 0xffffffff"), .op = MPROX_OP_FWMARK,
	  .value = 0xffffffff },
	{ "fwmark 0X1F", T_LINE("fwmark 0X1F"), .op = MPROX_OP_FWMARK, .value = 0x1f },
	{ "fwmark 010 is decimal", T_LINE("fwmark 010"), .op = MPROX_OP_FWMARK, .value = 10 },
	{ "fwmark 0", T_LINE("fwmark 0"), .ret = -ERANGE },
	{ "fwmark 0x0", T_LINE("fwmark 0x0"), .ret = -ERANGE },
	{ "fwmark 2^32", T_LINE("fwmark 4294967296"), .ret = -ERANGE },
	{ "fwmark 0x100000000", T_LINE("fwmark 0x100000000"), .ret = -ERANGE },
	{ "fwmark 2^64", T_LINE("fwmark 18446744073709551616"), .ret = -ERANGE },
	{ "fwmark 2^64 in hex", T_LINE("fwmark 0x10000000000000000"), .ret = -ERANGE },
	{ "fwmark 0x", T_LINE("fwmark 0x"), .ret = -EINVAL },
	{ "fwmark 0xg", T_LINE("fwmark 0xg"), .ret = -EINVAL },
	{ "fwmark +1", T_LINE("fwmark +1"), .ret = -EINVAL },
	{ "fwmark -1", T_LINE("fwmark -1"), .ret = -EINVAL },
	{ "fwmark 1a", T_LINE("fwmark 1a"), .ret = -EINVAL },
	{ "fwmark alone", T_LINE("fwmark"), .ret = -EINVAL },
	{ "fwmark two values", T_LINE("fwmark 1 2"), .ret = -EINVAL },

	/* set: every key at and past both ends */
	{ "set connect_timeout_ms min", T_LINE("set connect_timeout_ms 100"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_CONNECT_TIMEOUT_MS, .value = 100 },
	{ "set connect_timeout_ms max", T_LINE("set connect_timeout_ms 300000"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_CONNECT_TIMEOUT_MS, .value = 300000 },
	{ "set connect_timeout_ms below", T_LINE("set connect_timeout_ms 99"), .ret = -ERANGE },
	{ "set connect_timeout_ms above", T_LINE("set connect_timeout_ms 300001"),
	  .ret = -ERANGE },
	{ "set tcp_idle_timeout_s min", T_LINE("set tcp_idle_timeout_s 10"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_TCP_IDLE_TIMEOUT_S, .value = 10 },
	{ "set tcp_idle_timeout_s max", T_LINE("set tcp_idle_timeout_s 604800"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_TCP_IDLE_TIMEOUT_S, .value = 604800 },
	{ "set tcp_idle_timeout_s below", T_LINE("set tcp_idle_timeout_s 9"), .ret = -ERANGE },
	{ "set tcp_idle_timeout_s above", T_LINE("set tcp_idle_timeout_s 604801"),
	  .ret = -ERANGE },
	{ "set udp_idle_timeout_s min", T_LINE("set udp_idle_timeout_s 5"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_UDP_IDLE_TIMEOUT_S, .value = 5 },
	{ "set udp_idle_timeout_s max", T_LINE("set udp_idle_timeout_s 86400"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_UDP_IDLE_TIMEOUT_S, .value = 86400 },
	{ "set udp_idle_timeout_s below", T_LINE("set udp_idle_timeout_s 4"), .ret = -ERANGE },
	{ "set udp_idle_timeout_s above", T_LINE("set udp_idle_timeout_s 86401"),
	  .ret = -ERANGE },
	{ "set max_flows min", T_LINE("set max_flows 1"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_MAX_FLOWS, .value = 1 },
	{ "set max_flows max", T_LINE("set max_flows 1048576"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_MAX_FLOWS, .value = 1048576 },
	{ "set max_flows below", T_LINE("set max_flows 0"), .ret = -ERANGE },
	{ "set max_flows above", T_LINE("set max_flows 1048577"), .ret = -ERANGE },
	{ "set spare_conns min", T_LINE("set spare_conns 0"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_SPARE_CONNS, .value = 0 },
	{ "set spare_conns max", T_LINE("set spare_conns 16"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_SPARE_CONNS, .value = 16 },
	{ "set spare_conns above", T_LINE("set spare_conns 17"), .ret = -ERANGE },
	{ "set spare_idle_s min", T_LINE("set spare_idle_s 1"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_SPARE_IDLE_S, .value = 1 },
	{ "set spare_idle_s max", T_LINE("set spare_idle_s 3600"), .op = MPROX_OP_SET,
	  .key = MPROX_TUNE_SPARE_IDLE_S, .value = 3600 },
	{ "set spare_idle_s below", T_LINE("set spare_idle_s 0"), .ret = -ERANGE },
	{ "set spare_idle_s above", T_LINE("set spare_idle_s 3601"), .ret = -ERANGE },
	{ "set handshake_timeout_ms min", T_LINE("set handshake_timeout_ms 100"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_HANDSHAKE_TIMEOUT_MS, .value = 100 },
	{ "set handshake_timeout_ms max", T_LINE("set handshake_timeout_ms 300000"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_HANDSHAKE_TIMEOUT_MS, .value = 300000 },
	{ "set handshake_timeout_ms below", T_LINE("set handshake_timeout_ms 99"), .ret = -ERANGE },
	{ "set balance weighted", T_LINE("set balance weighted"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_BALANCE, .value = MPROX_BALANCE_WEIGHTED },
	{ "set balance round-robin", T_LINE("set balance round-robin"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_BALANCE, .value = MPROX_BALANCE_ROUND_ROBIN },
	{ "set balance least-connections", T_LINE("set  balance\tleast-connections"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_BALANCE,
	  .value = MPROX_BALANCE_LEAST_CONNECTIONS },
	{ "set balance as a number", T_LINE("set balance 1"), .ret = -EINVAL },
	{ "set balance, capitals", T_LINE("set balance Weighted"), .ret = -EINVAL },
	{ "set balance, a prefix", T_LINE("set balance round"), .ret = -EINVAL },
	{ "set balance, longer", T_LINE("set balance weighted2"), .ret = -EINVAL },
	{ "set balance, no value", T_LINE("set balance"), .ret = -EINVAL },
	{ "set max_flows to a word", T_LINE("set max_flows weighted"), .ret = -EINVAL },
	{ "set past 2^64", T_LINE("set max_flows 99999999999999999999999"), .ret = -ERANGE },
	{ "set hex value", T_LINE("set max_flows 0x10"), .ret = -EINVAL },
	{ "set negative value", T_LINE("set max_flows -1"), .ret = -EINVAL },
	{ "set unknown key", T_LINE("set frobs 1"), .ret = -EINVAL },
	{ "set key is case-sensitive", T_LINE("set MAX_FLOWS 10"), .ret = -EINVAL },
	{ "set without value", T_LINE("set max_flows"), .ret = -EINVAL },
	{ "set two values", T_LINE("set max_flows 1 2"), .ret = -EINVAL },
	{ "set alone", T_LINE("set"), .ret = -EINVAL },
	{ "set probe_interval_s off", T_LINE("set probe_interval_s 0"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_PROBE_INTERVAL_S, .value = 0 },
	{ "set probe_interval_s max", T_LINE("set probe_interval_s 3600"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_PROBE_INTERVAL_S, .value = 3600 },
	{ "set probe_interval_s above", T_LINE("set probe_interval_s 3601"), .ret = -ERANGE },

	/* set probe_target: an address and a port, or none */
	{ "probe_target IPv4", T_LINE("set probe_target 10.0.0.1:80"),
	  .op = MPROX_OP_PROBE_TARGET, .family = AF_INET, .port = 80,
	  .addr = "\x0a\x00\x00\x01" },
	{ "probe_target IPv6", T_LINE("set probe_target [fd00::1]:65535"),
	  .op = MPROX_OP_PROBE_TARGET, .family = AF_INET6, .port = 65535,
	  .addr = "\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" },
	{ "probe_target none", T_LINE("set probe_target none"),
	  .op = MPROX_OP_PROBE_TARGET, .family = 0, .port = 0 },
	{ "probe_target port 0", T_LINE("set probe_target 10.0.0.1:0"), .ret = -ERANGE },
	{ "probe_target port 65536", T_LINE("set probe_target 10.0.0.1:65536"), .ret = -ERANGE },
	{ "probe_target without port", T_LINE("set probe_target 10.0.0.1"), .ret = -EINVAL },
	{ "probe_target empty port", T_LINE("set probe_target 10.0.0.1:"), .ret = -EINVAL },
	{ "probe_target IPv6 without brackets", T_LINE("set probe_target fd00::1:80"),
	  .ret = -EINVAL },
	{ "probe_target IPv6 bracket unclosed", T_LINE("set probe_target [fd00::1:80"),
	  .ret = -EINVAL },
	{ "probe_target IPv6 no port", T_LINE("set probe_target [fd00::1]"), .ret = -EINVAL },
	{ "probe_target IPv4 in brackets", T_LINE("set probe_target [10.0.0.1]:80"),
	  .ret = -EINVAL },
	{ "probe_target a name", T_LINE("set probe_target example.com:80"), .ret = -EINVAL },
	{ "probe_target NONE", T_LINE("set probe_target NONE"), .ret = -EINVAL },

	{ "set dns_ttl_s min", T_LINE("set dns_ttl_s 1"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_DNS_TTL_S, .value = 1 },
	{ "set dns_ttl_s max", T_LINE("set dns_ttl_s 3600"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_DNS_TTL_S, .value = 3600 },
	{ "set dns_ttl_s below", T_LINE("set dns_ttl_s 0"), .ret = -ERANGE },
	{ "set dns_ttl_s above", T_LINE("set dns_ttl_s 3601"), .ret = -ERANGE },
	{ "set dns_cache_size off", T_LINE("set dns_cache_size 0"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_DNS_CACHE_SIZE, .value = 0 },
	{ "set dns_cache_size max", T_LINE("set dns_cache_size 4096"),
	  .op = MPROX_OP_SET, .key = MPROX_TUNE_DNS_CACHE_SIZE, .value = 4096 },
	{ "set dns_cache_size above", T_LINE("set dns_cache_size 4097"), .ret = -ERANGE },

	/* dns fake-ip: a pool of each family at most, lengths within bounds */
	{ "dns fake-ip IPv4", T_LINE("dns fake-ip 198.18.0.0/15"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool4 = T_V4_198_18, .pool4_len = 15 },
	{ "dns fake-ip IPv6", T_LINE("dns fake-ip FC00::/64"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool6 = T_V6_FC00, .pool6_len = 64 },
	{ "dns fake-ip IPv4 then IPv6", T_LINE("dns fake-ip 198.18.0.0/16 fc00::/96"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool4 = T_V4_198_18, .pool4_len = 16, .pool6 = T_V6_FC00, .pool6_len = 96 },
	{ "dns fake-ip IPv6 then IPv4", T_LINE("\tdns  fake-ip\tfc00::/96 198.18.0.0/16 "),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool4 = T_V4_198_18, .pool4_len = 16, .pool6 = T_V6_FC00, .pool6_len = 96 },
	{ "dns fake-ip IPv4 /8", T_LINE("dns fake-ip 198.0.0.0/8"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool4 = "\xc6\0\0\0", .pool4_len = 8 },
	{ "dns fake-ip IPv4 /30", T_LINE("dns fake-ip 198.18.0.4/30"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool4 = "\xc6\x12\0\x04", .pool4_len = 30 },
	{ "dns fake-ip IPv4 /7", T_LINE("dns fake-ip 198.0.0.0/7"), .ret = -ERANGE },
	{ "dns fake-ip IPv4 /31", T_LINE("dns fake-ip 198.18.0.4/31"), .ret = -ERANGE },
	{ "dns fake-ip IPv4 /0", T_LINE("dns fake-ip 0.0.0.0/0"), .ret = -ERANGE },
	{ "dns fake-ip IPv4 without /LEN is /32", T_LINE("dns fake-ip 198.18.0.1"),
	  .ret = -ERANGE },
	{ "dns fake-ip IPv4 /33", T_LINE("dns fake-ip 198.18.0.0/33"), .ret = -ERANGE },
	{ "dns fake-ip IPv6 /32", T_LINE("dns fake-ip fc00::/32"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool6 = T_V6_FC00, .pool6_len = 32 },
	{ "dns fake-ip IPv6 /126", T_LINE("dns fake-ip fc00::4/126"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_FAKE_IP,
	  .pool6 = "\xfc\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\x04", .pool6_len = 126 },
	{ "dns fake-ip IPv6 /31", T_LINE("dns fake-ip fc00::/31"), .ret = -ERANGE },
	{ "dns fake-ip IPv6 /127", T_LINE("dns fake-ip fc00::4/127"), .ret = -ERANGE },
	{ "dns fake-ip IPv6 without /LEN is /128", T_LINE("dns fake-ip fc00::1"),
	  .ret = -ERANGE },
	{ "dns fake-ip IPv6 /129", T_LINE("dns fake-ip fc00::/129"), .ret = -ERANGE },
	{ "dns fake-ip IPv6 out of range, IPv4 fine",
	  T_LINE("dns fake-ip 198.18.0.0/15 fc00::/127"), .ret = -ERANGE },
	{ "dns fake-ip IPv4 host bits", T_LINE("dns fake-ip 198.18.0.1/15"), .ret = -EINVAL },
	{ "dns fake-ip IPv6 host bits", T_LINE("dns fake-ip fc00::1/64"), .ret = -EINVAL },
	{ "dns fake-ip host bits beat a bad length", T_LINE("dns fake-ip 198.18.0.1/7"),
	  .ret = -EINVAL },
	{ "dns fake-ip two IPv4", T_LINE("dns fake-ip 198.18.0.0/15 10.0.0.0/8"),
	  .ret = -EINVAL },
	{ "dns fake-ip two IPv6", T_LINE("dns fake-ip fc00::/64 fd00::/64"), .ret = -EINVAL },
	{ "dns fake-ip three pools",
	  T_LINE("dns fake-ip 198.18.0.0/15 fc00::/64 10.0.0.0/8"), .ret = -EINVAL },
	{ "dns fake-ip without a pool", T_LINE("dns fake-ip"), .ret = -EINVAL },
	{ "dns fake-ip a name", T_LINE("dns fake-ip example.com"), .ret = -EINVAL },
	{ "dns fake-ip bad length", T_LINE("dns fake-ip 198.18.0.0/x"), .ret = -EINVAL },
	{ "dns fake-ip empty length", T_LINE("dns fake-ip 198.18.0.0/"), .ret = -EINVAL },
	{ "dns fake-ip in brackets", T_LINE("dns fake-ip [fc00::]/64"), .ret = -EINVAL },

	/* dns server: an address, the port 53 unless given */
	{ "dns server IPv4", T_LINE("dns server 192.0.2.53"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER,
	  .family = AF_INET, .port = MPROX_DNS_PORT, .addr = T_V4_DNS },
	{ "dns server IPv4 and port", T_LINE("dns server 192.0.2.53:5353"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER,
	  .family = AF_INET, .port = 5353, .addr = T_V4_DNS },
	{ "dns server IPv4, port 1", T_LINE("dns server 192.0.2.53:1"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER,
	  .family = AF_INET, .port = 1, .addr = T_V4_DNS },
	{ "dns server IPv6 in brackets", T_LINE("dns server [2001:DB8::53]"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER,
	  .family = AF_INET6, .port = MPROX_DNS_PORT, .addr = T_V6_DNS },
	{ "dns server IPv6 and port", T_LINE("dns server [2001:db8::53]:65535"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER,
	  .family = AF_INET6, .port = 65535, .addr = T_V6_DNS },
	{ "dns server bare IPv6", T_LINE("dns server 2001:db8::53"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER,
	  .family = AF_INET6, .port = MPROX_DNS_PORT, .addr = T_V6_DNS },
	{ "dns server bare IPv6: the last group is no port", T_LINE("dns server 2001:db8::5353"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER, .family = AF_INET6,
	  .port = MPROX_DNS_PORT, .addr = "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\x53\x53" },
	{ "dns server bare ::", T_LINE("dns server ::"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_SERVER, .family = AF_INET6,
	  .port = MPROX_DNS_PORT, .addr = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0" },
	{ "dns server port 0", T_LINE("dns server 192.0.2.53:0"), .ret = -ERANGE },
	{ "dns server port 65536", T_LINE("dns server 192.0.2.53:65536"), .ret = -ERANGE },
	{ "dns server IPv6 port 0", T_LINE("dns server [2001:db8::53]:0"), .ret = -ERANGE },
	{ "dns server empty port", T_LINE("dns server 192.0.2.53:"), .ret = -EINVAL },
	{ "dns server port with a letter", T_LINE("dns server 192.0.2.53:5x"), .ret = -EINVAL },
	{ "dns server IPv6 empty port", T_LINE("dns server [2001:db8::53]:"), .ret = -EINVAL },
	{ "dns server a name", T_LINE("dns server dns.example"), .ret = -EINVAL },
	{ "dns server a name and port", T_LINE("dns server dns.example:53"), .ret = -EINVAL },
	{ "dns server empty brackets", T_LINE("dns server []"), .ret = -EINVAL },
	{ "dns server empty brackets and port", T_LINE("dns server []:53"), .ret = -EINVAL },
	{ "dns server bracket unclosed", T_LINE("dns server [2001:db8::53"), .ret = -EINVAL },
	{ "dns server bracket unopened", T_LINE("dns server 2001:db8::53]"), .ret = -EINVAL },
	{ "dns server junk after bracket", T_LINE("dns server [2001:db8::53]53"),
	  .ret = -EINVAL },
	{ "dns server IPv4 in brackets", T_LINE("dns server [192.0.2.53]"), .ret = -EINVAL },
	{ "dns server IPv6 zone id", T_LINE("dns server [fe80::1%eth0]"), .ret = -EINVAL },
	{ "dns server bad IPv4", T_LINE("dns server 192.0.2.256"), .ret = -EINVAL },
	{ "dns server a prefix", T_LINE("dns server 192.0.2.0/24"), .ret = -EINVAL },
	{ "dns server without address", T_LINE("dns server"), .ret = -EINVAL },
	{ "dns server two addresses", T_LINE("dns server 192.0.2.53 192.0.2.54"),
	  .ret = -EINVAL },
	{ "dns server with words", T_LINE("dns server 192.0.2.53 x y z"), .ret = -EINVAL },

	/* dns hijack, dns off */
	{ "dns hijack on", T_LINE("dns hijack on"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_HIJACK, .value = 1 },
	{ "dns hijack off", T_LINE("dns hijack off"),
	  .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_HIJACK, .value = 0 },
	{ "dns hijack ON", T_LINE("dns hijack ON"), .ret = -EINVAL },
	{ "dns hijack 1", T_LINE("dns hijack 1"), .ret = -EINVAL },
	{ "dns hijack alone", T_LINE("dns hijack"), .ret = -EINVAL },
	{ "dns hijack on off", T_LINE("dns hijack on off"), .ret = -EINVAL },
	{ "dns off", T_LINE(" dns\toff "), .op = MPROX_OP_DNS, .dns_op = MPROX_DNS_OFF },
	{ "dns off with a word", T_LINE("dns off now"), .ret = -EINVAL },
	{ "dns on is no directive", T_LINE("dns on"), .ret = -EINVAL },

	/* dns: other words */
	{ "dns alone", T_LINE("dns"), .ret = -EINVAL },
	{ "dns unknown word", T_LINE("dns frobnicate"), .ret = -EINVAL },
	{ "dns Server", T_LINE("dns Server 192.0.2.53"), .ret = -EINVAL },
	{ "dns fake_ip", T_LINE("dns fake_ip 198.18.0.0/15"), .ret = -EINVAL },
	{ "DNS is not dns", T_LINE("DNS off"), .ret = -EINVAL },
	{ "dnsx is not dns", T_LINE("dnsx off"), .ret = -EINVAL },
	{ "dns with a control character", T_LINE("dns off\x01"), .ret = -EINVAL },
	{ "rule with junk", T_LINE("  rule ]]] !!"), .ret = -EINVAL },
};

/* Whether @got is NUL terminated within @size bytes and equals @want. */
static bool mprox_case_str_ok(const char *got, size_t size, const char *want)
{
	return strnlen(got, size) < size && !strcmp(got, want ? want : "");
}

/* An address of @family: 4 or 16 bytes (@want), or none, and zeros after it. */
static bool mprox_case_addr_ok(const u8 *got, u16 family, const char *want)
{
	size_t n = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0, i;

	if (n && memcmp(got, want, n))
		return false;
	for (i = n; i < 16; i++)
		if (got[i])
			return false;
	return true;
}

/* probe_target, dns server: @c's family, port and addr. */
static const char *mprox_case_check_target(const struct mprox_parse_case *c,
					   const struct mprox_probe_target *t)
{
	if (t->family != c->family)
		return "family";
	if (t->port != c->port)
		return "port";
	return mprox_case_addr_ok(t->addr, c->family, c->addr) ? NULL : "addr";
}

/* A fake-IP pool: @addr (NULL: absent, then all zero) and @len. */
static bool mprox_case_pool_ok(const struct mprox_rule_prefix *p, u16 family,
			       const char *addr, u8 len)
{
	if (!addr)
		family = 0;
	return p->family == family && p->len == (addr ? len : 0) &&
	       mprox_case_addr_ok(p->addr, family, addr);
}

/* Every field of "dns ...", those of other dns ops included (zero). */
static const char *mprox_case_check_dns(const struct mprox_parse_case *c,
					const struct mprox_dns_directive *dns)
{
	if (dns->op != c->dns_op)
		return "dns op";
	if (!mprox_case_pool_ok(&dns->pool4, AF_INET, c->pool4, c->pool4_len))
		return "pool4";
	if (!mprox_case_pool_ok(&dns->pool6, AF_INET6, c->pool6, c->pool6_len))
		return "pool6";
	if (mprox_case_check_target(c, &dns->server))
		return "server";
	return dns->hijack == !!c->value ? NULL : "hijack";
}

static const char *mprox_case_check_spec(const struct mprox_parse_case *c,
					 const struct mprox_upstream_spec *s)
{
	static const u8 zero[sizeof(s->addr)];

	if (s->proto != c->proto)
		return "proto";
	if (s->family != c->family)
		return "family";
	if (s->port != c->port)
		return "port";
	if (c->family == AF_INET && memcmp(&s->addr.v4, c->addr, 4))
		return "addr";
	if (c->family == AF_INET6 && memcmp(&s->addr.v6, c->addr, 16))
		return "addr";
	if (c->family == AF_UNSPEC && memcmp(&s->addr, zero, sizeof(zero)))
		return "addr (not zero)";
	if (!mprox_case_str_ok(s->host, sizeof(s->host), c->host))
		return "host";
	if (!mprox_case_str_ok(s->user, sizeof(s->user), c->user))
		return "user";
	if (!mprox_case_str_ok(s->password, sizeof(s->password), c->password))
		return "password";
	return NULL;
}

/*
 * Run case @c with @d as the output (the caller provides it so that the
 * kernel runner can keep it off the stack) and put the return value in
 * @ret. Returns NULL when the case holds, otherwise what differed.
 */
static const char *mprox_parse_case_run(const struct mprox_parse_case *c,
					struct mprox_directive *d, int *ret)
{
	/* Garbage in the output shows up any field the parser fails to set. */
	memset(d, 0xa5, sizeof(*d));
	if (c->url)
		*ret = mprox_parse_url(c->in, c->len, &d->upstream);
	else
		*ret = mprox_parse_line(c->in, c->len, d);
	if (*ret != c->ret)
		return "return value";
	if (*ret)
		return NULL;
	if (c->url)
		return mprox_case_check_spec(c, &d->upstream);
	if (d->op != c->op)
		return "op";
	switch (c->op) {
	case MPROX_OP_UPSTREAM_ADD:
		if (!mprox_case_str_ok(d->upstream.name, sizeof(d->upstream.name), c->name))
			return "name";
		if (d->upstream.weight != c->weight)
			return "weight";
		if (d->upstream.priority != c->priority)
			return "priority";
		if (!mprox_case_str_ok(d->upstream.dev, sizeof(d->upstream.dev), c->dev))
			return "dev";
		return mprox_case_check_spec(c, &d->upstream);
	case MPROX_OP_UPSTREAM_DEL:
		return mprox_case_str_ok(d->name, sizeof(d->name), c->name) ? NULL : "name";
	case MPROX_OP_UPSTREAM_FLUSH:
		return NULL;
	case MPROX_OP_PERSIST:
		return d->persist == !!c->value ? NULL : "persist";
	case MPROX_OP_FWMARK:
		return d->fwmark == c->value ? NULL : "fwmark";
	case MPROX_OP_SET:
		if (d->set.key != c->key)
			return "set key";
		return d->set.value == c->value ? NULL : "set value";
	case MPROX_OP_PROBE_TARGET:
		return mprox_case_check_target(c, &d->probe_target);
	case MPROX_OP_DNS:
		return mprox_case_check_dns(c, &d->dns);
	case MPROX_OP_RULE_ADD:
	case MPROX_OP_RULE_DEL:
	case MPROX_OP_RULE_FLUSH:
	case MPROX_OP_PSET_ADD:
	case MPROX_OP_PSET_FLUSH:
		/* Their fields are rule_test_cases.h's to check. */
		return NULL;
	}
	return "unknown op";
}

/* mprox_next_line(): a buffer and the lines it must split into, in order. */
struct mprox_split_case {
	const char *desc;
	const char *buf;
	size_t len;
	unsigned int nlines;
	const char *lines[4];
};

#define T_BUF(s)	.buf = (s), .len = sizeof(s) - 1

static const struct mprox_split_case mprox_split_cases[] = {
	{ "no buffer", .buf = NULL, .len = 0, .nlines = 0 },
	{ "empty buffer", T_BUF(""), .nlines = 0 },
	{ "one line without newline", T_BUF("a"), .nlines = 1, .lines = { "a" } },
	{ "one line with newline", T_BUF("a\n"), .nlines = 1, .lines = { "a" } },
	{ "last line without newline", T_BUF("ab\ncd"), .nlines = 2, .lines = { "ab", "cd" } },
	{ "only a newline", T_BUF("\n"), .nlines = 1, .lines = { "" } },
	{ "two newlines", T_BUF("\n\n"), .nlines = 2, .lines = { "", "" } },
	{ "empty line inside", T_BUF("a\n\nb\n"), .nlines = 3, .lines = { "a", "", "b" } },
	{ "CR stays in the line", T_BUF("a\r\nb"), .nlines = 2, .lines = { "a\r", "b" } },
};

/* Returns NULL when @c splits as it should, otherwise what went wrong. */
static const char *mprox_split_case_run(const struct mprox_split_case *c)
{
	const char *line = NULL;
	size_t pos = 0, next, line_len = 0;
	unsigned int n;

	for (n = 0; (next = mprox_next_line(c->buf, c->len, pos, &line, &line_len)); n++) {
		if (n == c->nlines)
			return "too many lines";
		if (next <= pos || next > c->len)
			return "offset does not advance within the buffer";
		if (line != c->buf + pos || line_len > next - pos)
			return "line outside what was consumed";
		if (line_len != strlen(c->lines[n]) || memcmp(line, c->lines[n], line_len))
			return "line text";
		pos = next;
	}
	if (n != c->nlines)
		return "too few lines";
	if (mprox_next_line(c->buf, c->len, c->len + 1, &line, &line_len))
		return "a line past the end";
	return NULL;
}

/* Every tunable has a key and a default within its range. */
static const char *mprox_tunables_check(void)
{
	size_t i;

	for (i = 0; i < MPROX_TUNE_COUNT; i++) {
		const struct mprox_tunable_info *t = &mprox_tunables[i];

		if (!t->key)
			return "a tunable without a key";
		if (t->min > t->def || t->def > t->max)
			return t->key;
	}
	return NULL;
}

#endif /* _MPROX_PARSE_TEST_CASES_H */
