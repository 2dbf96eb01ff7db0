/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The DNS messages' test cases (dns.c), shared by the KUnit suite
 * (dns_test.c) and the host unit test (tests/unit/test_dns.c): one table,
 * two runners. Include after dns.c or dns.h (and <linux/string.h> or the
 * shim).
 *
 * Messages are raw bytes. The run functions work in a scratch buffer of
 * MPROX_DNS_TEST_SCRATCH bytes that the runner allocates on the heap; every
 * message is parsed, and every response built, at the very end of it, so
 * that a byte read or written past the (pointer, length) given is outside
 * the allocation, where KASAN or ASan see it. Each message is also parsed
 * cut short at every length, and each response built is parsed back.
 */
#ifndef _MPROX_DNS_TEST_CASES_H
#define _MPROX_DNS_TEST_CASES_H

#include "codec.h"
#include "codec_test.h"

#define MPROX_DNS_TEST_SCRATCH	1024

/* Inputs are string literals measured with sizeof: they hold NUL bytes. */
#define TN_IN(s)	.in = (s), .len = sizeof(s) - 1
#define TN_QUERY(s)	.query = (s), .query_len = sizeof(s) - 1

#define TN_A61	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TN_A62	TN_A61 "a"
#define TN_A63	TN_A62 "a"
#define TN_A64	TN_A63 "a"
/* Labels on the wire: 63 bytes, and 61 and 62 to end a 253- or 254-byte name. */
#define TN_W63	"\077" TN_A63
#define TN_W253	TN_W63 TN_W63 TN_W63 "\075" TN_A61 "\0"
#define TN_N253	TN_A63 "." TN_A63 "." TN_A63 "." TN_A61
#define TN_W254	TN_W63 TN_W63 TN_W63 "\076" TN_A62 "\0"

/* 192.0.2.1 and 2001:db8::1 */
#define TN_V4		"\xc0\x00\x02\x01"
#define TN_V6		"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"

/* Headers: id 0x1234, the flags word, then QD AN NS AR counts. */
#define TN_ID		"\x12\x34"
#define TN_RD		"\x01\x00"		/* a query asking for recursion */
#define TN_RESP		"\x81\x80"		/* QR RD RA, NOERROR */
#define TN_C1000	"\0\x01\0\0\0\0\0\0"
#define TN_C1001	"\0\x01\0\0\0\0\0\x01"
#define TN_C1100	"\0\x01\0\x01\0\0\0\0"
#define TN_C1101	"\0\x01\0\x01\0\0\0\x01"
#define TN_C1200	"\0\x01\0\x02\0\0\0\0"
#define TN_C1010	"\0\x01\0\0\0\x01\0\0"
#define TN_C1110	"\0\x01\0\x01\0\x01\0\0"
#define TN_C0000	"\0\0\0\0\0\0\0\0"
#define TN_HDR(flags, counts)	"\x12\x34" flags counts
#define TN_QHDR		"\x12\x34\x01\x00" TN_C1000
#define TN_RHDR(counts)	"\x12\x34\x81\x80" counts

/* example.com, 13 bytes from offset 12: its "com" is at 20 (0x14). */
#define TN_EXAMPLE	"\007example\003com\0"
#define TN_A_IN		"\0\x01\0\x01"
#define TN_AAAA_IN	"\0\x1c\0\x01"
#define TN_MX_IN	"\0\x0f\0\x01"
#define TN_TXT_IN	"\0\x10\0\x01"
/* The question "example.com A IN": 17 bytes, ending at 29, where records start. */
#define TN_QA		"\007example\003com\0" TN_A_IN
#define TN_QEND		29
/* EDNS OPT: root, type 41, 4096-byte payload, TTL @ttl (4 bytes), no RDATA. */
#define TN_OPT(ttl)	"\0\0\x29\x10\0" ttl "\0\0"
/* TTLs: 3600, 300, 60 */
#define TN_T3600	"\0\0\x0e\x10"
#define TN_T300		"\0\0\x01\x2c"
#define TN_T60		"\0\0\0\x3c"
/* Records for the question's name (pointer 0xc00c). */
#define TN_RR_A(ttl)	"\xc0\x0c\0\x01\0\x01" ttl "\0\x04" TN_V4
#define TN_RR_AAAA(ttl)	"\xc0\x0c\0\x1c\0\x01" ttl "\0\x10" TN_V6

/* ---- mprox_dns_parse_query() ---- */

struct mprox_dns_query_case {
	const char *desc;
	const char *in;
	size_t len;
	int verdict;		/* for all @len bytes */
	/* What the query holds: id 0x1234 and @flags, when not DROP... */
	u16 flags;
	/* ...its question when @end (where it ends) is not 0 */
	const char *name;
	u16 qtype;
	u16 qclass;
	u16 end;
};

#define TN_OK(n, t, e)	.verdict = MPROX_DNS_OK, .flags = 0x0100, .name = (n), .qtype = (t), \
			.qclass = 1, .end = (e)
#define TN_FORMERR	.verdict = MPROX_DNS_FORMERR, .flags = 0x0100

static const struct mprox_dns_query_case mprox_dns_query_cases[] = {
	/* Valid queries: every prefix of each is tried too (see the run) */
	{ "A example.com", TN_IN(TN_QHDR TN_QA), TN_OK("example.com", 1, TN_QEND) },
	{ "AAAA example.com", TN_IN(TN_QHDR TN_EXAMPLE TN_AAAA_IN),
	  TN_OK("example.com", 28, TN_QEND) },
	{ "MX example.com", TN_IN(TN_QHDR TN_EXAMPLE TN_MX_IN), TN_OK("example.com", 15, TN_QEND) },
	{ "TXT example.com", TN_IN(TN_QHDR TN_EXAMPLE TN_TXT_IN),
	  TN_OK("example.com", 16, TN_QEND) },
	{ "A with EDNS OPT, not looked at", TN_IN(TN_ID TN_RD TN_C1001 TN_QA TN_OPT("\0\0\x80\0")),
	  TN_OK("example.com", 1, TN_QEND) },
	{ "AAAA with EDNS OPT and a cookie",
	  TN_IN(TN_ID TN_RD TN_C1001 TN_EXAMPLE TN_AAAA_IN "\0\0\x29\x04\xd0\0\0\0\0\0\x0c"
		"\0\012\0\010abcdefgh"),
	  TN_OK("example.com", 28, TN_QEND) },
	{ "MX with EDNS OPT", TN_IN(TN_ID TN_RD TN_C1001 TN_EXAMPLE TN_MX_IN TN_OPT("\0\0\0\0")),
	  TN_OK("example.com", 15, TN_QEND) },
	{ "TXT with EDNS OPT", TN_IN(TN_ID TN_RD TN_C1001 TN_EXAMPLE TN_TXT_IN TN_OPT("\0\0\0\0")),
	  TN_OK("example.com", 16, TN_QEND) },
	{ "ARCOUNT 1 with nothing after the question", TN_IN(TN_ID TN_RD TN_C1001 TN_QA),
	  TN_OK("example.com", 1, TN_QEND) },
	{ "bytes after the question, not looked at", TN_IN(TN_QHDR TN_QA "\xc0\xc0\xff"),
	  TN_OK("example.com", 1, TN_QEND) },
	{ "no RD", TN_IN(TN_ID "\0\0" TN_C1000 TN_QA), .verdict = MPROX_DNS_OK, .flags = 0,
	  .name = "example.com", .qtype = 1, .qclass = 1, .end = TN_QEND },
	{ "TC, AD, CD and Z kept as they are", TN_IN(TN_ID "\x03\x70" TN_C1000 TN_QA),
	  .verdict = MPROX_DNS_OK, .flags = 0x0370, .name = "example.com", .qtype = 1,
	  .qclass = 1, .end = TN_QEND },
	{ "uppercase lowered", TN_IN(TN_QHDR "\007ExAmPlE\003COM\0" TN_A_IN),
	  TN_OK("example.com", 1, TN_QEND) },
	{ "digits, hyphen, underscore", TN_IN(TN_QHDR "\004_sip\004_tcp\005a-0_9\0\0\x21\0\x01"),
	  TN_OK("_sip._tcp.a-0_9", 33, 33) },
	{ "one label", TN_IN(TN_QHDR "\001a\0" TN_A_IN), TN_OK("a", 1, 19) },
	{ "the root, NS", TN_IN(TN_QHDR "\0\0\x02\0\x01"), TN_OK("", 2, 17) },
	{ "class CH, the caller's to refuse", TN_IN(TN_QHDR TN_EXAMPLE "\0\x10\0\x03"),
	  .verdict = MPROX_DNS_OK, .flags = 0x0100, .name = "example.com", .qtype = 16,
	  .qclass = 3, .end = TN_QEND },
	{ "label of 63 bytes", TN_IN(TN_QHDR TN_W63 "\0" TN_A_IN), TN_OK(TN_A63, 1, 81) },
	{ "name of 253 bytes, 255 on the wire", TN_IN(TN_QHDR TN_W253 TN_A_IN),
	  TN_OK(TN_N253, 1, 271) },

	/* FORMERR: the counts */
	{ "QDCOUNT 0", TN_IN(TN_ID TN_RD "\0\0\0\0\0\0\0\0" TN_QA), TN_FORMERR },
	{ "QDCOUNT 2", TN_IN(TN_ID TN_RD "\0\x02\0\0\0\0\0\0" TN_QA TN_QA), TN_FORMERR },
	{ "QDCOUNT 0, header only", TN_IN(TN_ID TN_RD "\0\0\0\0\0\0\0\0"), TN_FORMERR },
	{ "ANCOUNT 1, the question read",
	  TN_IN(TN_ID TN_RD TN_C1100 TN_QA TN_RR_A(TN_T3600)), TN_FORMERR,
	  .name = "example.com", .qtype = 1, .qclass = 1, .end = TN_QEND },
	{ "NSCOUNT 1, the question read", TN_IN(TN_ID TN_RD TN_C1010 TN_QA), TN_FORMERR,
	  .name = "example.com", .qtype = 1, .qclass = 1, .end = TN_QEND },
	{ "ARCOUNT 2, the question read",
	  TN_IN(TN_ID TN_RD "\0\x01\0\0\0\0\0\x02" TN_QA TN_OPT("\0\0\0\0") TN_OPT("\0\0\0\0")),
	  TN_FORMERR, .name = "example.com", .qtype = 1, .qclass = 1, .end = TN_QEND },

	/* FORMERR: the question */
	{ "header only", TN_IN(TN_QHDR), TN_FORMERR },
	{ "name without its root label", TN_IN(TN_QHDR "\007example\003com"), TN_FORMERR },
	{ "no type and class", TN_IN(TN_QHDR TN_EXAMPLE), TN_FORMERR },
	{ "class cut short", TN_IN(TN_QHDR TN_EXAMPLE "\0\x01\0"), TN_FORMERR },
	{ "label cut short", TN_IN(TN_QHDR "\007exam"), TN_FORMERR },
	{ "label of 64 bytes", TN_IN(TN_QHDR "\x40" TN_A64 "\0" TN_A_IN), TN_FORMERR },
	{ "name of 254 bytes, 256 on the wire", TN_IN(TN_QHDR TN_W254 TN_A_IN), TN_FORMERR },
	{ "pointer in a query", TN_IN(TN_QHDR "\xc0\x0c" TN_A_IN), TN_FORMERR },
	{ "pointer after a label", TN_IN(TN_QHDR "\007example\xc0\x0c" TN_A_IN), TN_FORMERR },
	{ "label type 0x40", TN_IN(TN_QHDR "\101a\0" TN_A_IN), TN_FORMERR },
	{ "label type 0x80", TN_IN(TN_QHDR "\201a\0" TN_A_IN), TN_FORMERR },
	{ "a dot in a label", TN_IN(TN_QHDR "\013example.com\0" TN_A_IN), TN_FORMERR },
	{ "a space", TN_IN(TN_QHDR "\003a b\0" TN_A_IN), TN_FORMERR },
	{ "a NUL in a label", TN_IN(TN_QHDR "\003a\0b\0" TN_A_IN), TN_FORMERR },
	{ "a wildcard", TN_IN(TN_QHDR "\001*\007example\003com\0" TN_A_IN), TN_FORMERR },
	{ "a byte over 0x7f", TN_IN(TN_QHDR "\004caf\xc3\0" TN_A_IN), TN_FORMERR },
	{ "a slash", TN_IN(TN_QHDR "\0030/8\0" TN_A_IN), TN_FORMERR },

	/* NOTIMP */
	{ "OPCODE 2 (STATUS)", TN_IN(TN_ID "\x11\x00" TN_C1000 TN_QA),
	  .verdict = MPROX_DNS_NOTIMP, .flags = 0x1100 },
	{ "OPCODE 1 (IQUERY)", TN_IN(TN_ID "\x08\x00" TN_C1000 TN_QA),
	  .verdict = MPROX_DNS_NOTIMP, .flags = 0x0800 },
	{ "OPCODE 5 (UPDATE)", TN_IN(TN_HDR("\x28\x00", TN_C1010) TN_EXAMPLE "\0\x06\0\x01"),
	  .verdict = MPROX_DNS_NOTIMP, .flags = 0x2800 },
	{ "OPCODE 15, header only", TN_IN(TN_ID "\x78\x00" TN_C1000),
	  .verdict = MPROX_DNS_NOTIMP, .flags = 0x7800 },
	{ "OPCODE 2 beats QDCOUNT 0", TN_IN(TN_HDR("\x10\x00", TN_C0000)),
	  .verdict = MPROX_DNS_NOTIMP, .flags = 0x1000 },

	/* Dropped */
	{ "QR 1: a response", TN_IN(TN_RHDR(TN_C1100) TN_QA TN_RR_A(TN_T3600)),
	  .verdict = MPROX_DNS_DROP },
	{ "QR 1 and OPCODE 2", TN_IN(TN_ID "\x91\x00" TN_C1000 TN_QA), .verdict = MPROX_DNS_DROP },
	{ "QR 1, header only", TN_IN(TN_ID "\x80\x00" TN_C1000), .verdict = MPROX_DNS_DROP },
	{ "11 bytes", TN_IN(TN_ID TN_RD "\0\x01\0\0\0\0\0"), .verdict = MPROX_DNS_DROP },
	{ "nothing", TN_IN(""), .verdict = MPROX_DNS_DROP },
};

static const char *const mprox_dns_verdict_names[MPROX_DNS_VERDICT_COUNT] = {
	[MPROX_DNS_OK] = "OK", [MPROX_DNS_FORMERR] = "FORMERR",
	[MPROX_DNS_NOTIMP] = "NOTIMP", [MPROX_DNS_DROP] = "DROP",
};

/* A verdict's name, for a failure's message. */
static const char *mprox_dns_verdict_name(int verdict)
{
	if (verdict < 0 || verdict >= MPROX_DNS_VERDICT_COUNT)
		return "?";
	return mprox_dns_verdict_names[verdict];
}

/*
 * What parsing the first @k bytes of @c gives: the verdict, and @q as it
 * must be. Shorter than a header, a message is dropped; a query cut short
 * of its question is FORMERR, without it.
 */
static int mprox_dns_query_case_want(const struct mprox_dns_query_case *c, size_t k,
				     struct mprox_dns_query *q)
{
	memset(q, 0, sizeof(*q));
	if (k < MPROX_DNS_HDR_LEN || c->verdict == MPROX_DNS_DROP)
		return MPROX_DNS_DROP;
	q->id = 0x1234;
	q->flags = c->flags;
	if (!c->end || k < c->end)
		return c->verdict == MPROX_DNS_OK ? MPROX_DNS_FORMERR : c->verdict;
	q->qtype = c->qtype;
	q->qclass = c->qclass;
	q->end = c->end;
	q->name_len = strlen(c->name);
	memcpy(q->name, c->name, q->name_len);
	return c->verdict;
}

/*
 * Run query case @c in @scratch (MPROX_DNS_TEST_SCRATCH bytes): every
 * prefix of the message, from none of it to all, at the very end of the
 * scratch buffer. Puts the last verdict in *@ret and the bytes given in
 * *@fed; returns NULL when the case holds, otherwise what differed.
 */
static const char *mprox_dns_query_case_run(const struct mprox_dns_query_case *c,
					    u8 *scratch, int *ret, size_t *fed)
{
	struct mprox_dns_query q, want_q;
	int want;

	*ret = 0;
	if (c->len > MPROX_DNS_TEST_SCRATCH)
		return "bad case";
	for (*fed = 0; *fed <= c->len; (*fed)++) {
		u8 *buf = scratch + MPROX_DNS_TEST_SCRATCH - *fed;

		memcpy(buf, c->in, *fed);
		want = mprox_dns_query_case_want(c, *fed, &want_q);
		memset(&q, 0xa5, sizeof(q));
		*ret = mprox_dns_parse_query(buf, *fed, &q);
		if (*ret != want)
			return *fed < c->len ? "verdict for a prefix" : "verdict";
		if (memcmp(&q, &want_q, sizeof(q)))
			return *fed < c->len ? "query for a prefix" : "query";
	}
	(*fed)--;
	return NULL;
}

/* ---- mprox_dns_build_answer(), mprox_dns_build_error(), mprox_dns_build_query() ---- */

enum mprox_dns_test_build {
	TN_ANSWER,
	TN_ERROR,
	TN_QUERYMSG,			/* mprox_dns_build_query() */
};

struct mprox_dns_build_case {
	const char *desc;
	enum mprox_dns_test_build build;
	/* The query @q is parsed from; without one, @q is @qname's, of type A. */
	const char *query;
	size_t query_len;
	const char *qname;
	size_t qname_len;
	int family;			/* answer */
	const char *addr;		/* 4 or 16 bytes, or NULL */
	u32 ttl;
	u8 rcode;			/* error */
	bool have_question;
	/*
	 * With @sized, the buffer has @size bytes. Without, it is large, and
	 * a response that builds is also built into exactly its length and
	 * into one byte less (ENOSPC).
	 */
	bool sized;
	size_t size;
	int ret;
	const char *want;		/* @ret bytes, when @ret > 0 */
};

#define TN_QNAME(s)	.qname = (s), .qname_len = sizeof(s) - 1

static const struct mprox_dns_build_case mprox_dns_build_cases[] = {
	/* Answers: each is parsed back by mprox_dns_parse_response() too */
	{ "answer A", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA), .family = AF_INET, .addr = TN_V4,
	  .ttl = 60, .ret = 45, .want = TN_RHDR(TN_C1100) TN_QA TN_RR_A(TN_T60) },
	{ "answer AAAA", TN_ANSWER, TN_QUERY(TN_QHDR TN_EXAMPLE TN_AAAA_IN), .family = AF_INET6,
	  .addr = TN_V6, .ttl = 300, .ret = 57,
	  .want = TN_RHDR(TN_C1100) TN_EXAMPLE TN_AAAA_IN TN_RR_AAAA(TN_T300) },
	{ "answer without RD", TN_ANSWER, TN_QUERY(TN_ID "\0\0" TN_C1000 TN_QA),
	  .family = AF_INET, .addr = TN_V4, .ttl = 60, .ret = 45,
	  .want = TN_ID "\x80\x80" TN_C1100 TN_QA TN_RR_A(TN_T60) },
	{ "answer: TC, AD, CD and Z not copied", TN_ANSWER,
	  TN_QUERY(TN_ID "\x03\x70" TN_C1000 TN_QA), .family = AF_INET, .addr = TN_V4,
	  .ttl = 60, .ret = 45, .want = TN_RHDR(TN_C1100) TN_QA TN_RR_A(TN_T60) },
	{ "answer: the name lowercased, no OPT echoed", TN_ANSWER,
	  TN_QUERY(TN_ID TN_RD TN_C1001 "\007EXAMPLE\003Com\0" TN_A_IN TN_OPT("\0\0\x80\0")),
	  .family = AF_INET, .addr = TN_V4, .ttl = 60, .ret = 45,
	  .want = TN_RHDR(TN_C1100) TN_QA TN_RR_A(TN_T60) },
	{ "answer TTL 0", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA), .family = AF_INET, .addr = TN_V4,
	  .ttl = 0, .ret = 45, .want = TN_RHDR(TN_C1100) TN_QA TN_RR_A("\0\0\0\0") },
	{ "answer TTL with the top bit, as given", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA),
	  .family = AF_INET, .addr = TN_V4, .ttl = 0x80000001, .ret = 45,
	  .want = TN_RHDR(TN_C1100) TN_QA TN_RR_A("\x80\0\0\x01") },
	{ "answer to the root", TN_ANSWER, TN_QUERY(TN_QHDR "\0" TN_A_IN), .family = AF_INET,
	  .addr = TN_V4, .ttl = 60, .ret = 33,
	  .want = TN_RHDR(TN_C1100) "\0" TN_A_IN TN_RR_A(TN_T60) },
	{ "answer to a name of 253 bytes", TN_ANSWER, TN_QUERY(TN_QHDR TN_W253 TN_A_IN),
	  .family = AF_INET, .addr = TN_V4, .ttl = 60, .ret = 287,
	  .want = TN_RHDR(TN_C1100) TN_W253 TN_A_IN TN_RR_A(TN_T60) },
	{ "NODATA: no address of the type", TN_ANSWER,
	  TN_QUERY(TN_QHDR TN_EXAMPLE TN_AAAA_IN), .family = AF_INET6, .addr = NULL, .ret = 29,
	  .want = TN_RHDR(TN_C1000) TN_EXAMPLE TN_AAAA_IN },
	{ "NODATA, family not looked at", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA), .family = AF_UNIX,
	  .addr = NULL, .ret = 29, .want = TN_RHDR(TN_C1000) TN_QA },
	{ "answer A into 44 bytes", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA), .family = AF_INET,
	  .addr = TN_V4, .ttl = 60, .sized = true, .size = 44, .ret = -ENOSPC },
	{ "answer A into a header's room", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA), .family = AF_INET,
	  .addr = TN_V4, .ttl = 60, .sized = true, .size = 12, .ret = -ENOSPC },
	{ "answer AF_UNIX", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA), .family = AF_UNIX,
	  .addr = TN_V4, .ret = -EINVAL },
	{ "answer AF_UNIX beats no room", TN_ANSWER, TN_QUERY(TN_QHDR TN_QA), .family = AF_UNIX,
	  .addr = TN_V4, .sized = true, .size = 0, .ret = -EINVAL },
	{ "answer to a name made up: a.b", TN_ANSWER, TN_QNAME("a.b"), .family = AF_INET,
	  .addr = TN_V4, .ttl = 1, .ret = 37,
	  .want = TN_RHDR(TN_C1100) "\001a\001b\0" TN_A_IN TN_RR_A("\0\0\0\x01") },
	{ "answer to a name with an empty label", TN_ANSWER, TN_QNAME("a..b"),
	  .family = AF_INET, .addr = TN_V4, .ret = -EINVAL },
	{ "answer to a name with a trailing dot", TN_ANSWER, TN_QNAME("a.b."),
	  .family = AF_INET, .addr = TN_V4, .ret = -EINVAL },
	{ "answer to a name with a space", TN_ANSWER, TN_QNAME("a b"), .family = AF_INET,
	  .addr = TN_V4, .ret = -EINVAL },
	{ "answer to a label of 64 bytes", TN_ANSWER, TN_QNAME(TN_A64), .family = AF_INET,
	  .addr = TN_V4, .ret = -EINVAL },
	{ "answer to a name of 254 bytes", TN_ANSWER, TN_QNAME(TN_N253 "a"), .family = AF_INET,
	  .addr = TN_V4, .ret = -EINVAL },

	/* Errors */
	{ "FORMERR with the question", TN_ERROR,
	  TN_QUERY(TN_ID TN_RD TN_C1100 TN_QA TN_RR_A(TN_T60)),
	  .rcode = MPROX_DNS_RCODE_FORMERR, .have_question = true, .ret = 29,
	  .want = TN_ID "\x81\x81" TN_C1000 TN_QA },
	{ "FORMERR without a question", TN_ERROR,
	  TN_QUERY(TN_ID TN_RD "\0\x02\0\0\0\0\0\0" TN_QA TN_QA),
	  .rcode = MPROX_DNS_RCODE_FORMERR, .ret = 12,
	  .want = TN_HDR("\x81\x81", TN_C0000) },
	{ "NOTIMP: OPCODE copied", TN_ERROR, TN_QUERY(TN_ID "\x11\x00" TN_C1000 TN_QA),
	  .rcode = MPROX_DNS_RCODE_NOTIMP, .ret = 12,
	  .want = TN_HDR("\x91\x84", TN_C0000) },
	{ "SERVFAIL", TN_ERROR, TN_QUERY(TN_QHDR TN_QA), .rcode = MPROX_DNS_RCODE_SERVFAIL,
	  .have_question = true, .ret = 29, .want = TN_ID "\x81\x82" TN_C1000 TN_QA },
	{ "REFUSED", TN_ERROR, TN_QUERY(TN_QHDR TN_EXAMPLE TN_MX_IN),
	  .rcode = MPROX_DNS_RCODE_REFUSED, .have_question = true, .ret = 29,
	  .want = TN_ID "\x81\x85" TN_C1000 TN_EXAMPLE TN_MX_IN },
	{ "NXDOMAIN", TN_ERROR, TN_QUERY(TN_QHDR TN_QA), .rcode = MPROX_DNS_RCODE_NXDOMAIN,
	  .have_question = true, .ret = 29, .want = TN_ID "\x81\x83" TN_C1000 TN_QA },
	{ "RCODE 15", TN_ERROR, TN_QUERY(TN_QHDR TN_QA), .rcode = 15, .ret = 12,
	  .want = TN_HDR("\x81\x8f", TN_C0000) },
	{ "RCODE 16 needs EDNS", TN_ERROR, TN_QUERY(TN_QHDR TN_QA), .rcode = 16,
	  .have_question = true, .ret = -EINVAL },
	{ "SERVFAIL into 28 bytes", TN_ERROR, TN_QUERY(TN_QHDR TN_QA),
	  .rcode = MPROX_DNS_RCODE_SERVFAIL, .have_question = true, .sized = true, .size = 28,
	  .ret = -ENOSPC },
	{ "FORMERR into 11 bytes", TN_ERROR, TN_QUERY(TN_ID TN_RD "\0\0\0\0\0\0\0\0"),
	  .rcode = MPROX_DNS_RCODE_FORMERR, .sized = true, .size = 11, .ret = -ENOSPC },

	/* Queries: each is parsed back by mprox_dns_parse_query() too */
	{ "query A", TN_QUERYMSG, TN_QNAME("example.com"), .ret = 29, .want = TN_QHDR TN_QA },
	{ "query from a parsed one: only RD kept, no OPT", TN_QUERYMSG,
	  TN_QUERY(TN_ID "\x03\x70" TN_C1001 "\007EXAMPLE\003Com\0" TN_A_IN TN_OPT("\0\0\x80\0")),
	  .ret = 29, .want = TN_QHDR TN_QA },
	{ "query without RD", TN_QUERYMSG, TN_QUERY(TN_ID "\0\0" TN_C1000 TN_EXAMPLE TN_MX_IN),
	  .ret = 29, .want = TN_ID "\0\0" TN_C1000 TN_EXAMPLE TN_MX_IN },
	{ "query for a name of 253 bytes", TN_QUERYMSG, TN_QNAME(TN_N253), .ret = 271,
	  .want = TN_QHDR TN_W253 TN_A_IN },
	{ "query for a name of 254 bytes", TN_QUERYMSG, TN_QNAME(TN_N253 "a"), .ret = -EINVAL },
	{ "query for a name with an empty label", TN_QUERYMSG, TN_QNAME("a..b"), .ret = -EINVAL },
	{ "query into 28 bytes", TN_QUERYMSG, TN_QNAME("example.com"), .sized = true,
	  .size = 28, .ret = -ENOSPC },
	{ "query for a bad name beats no room", TN_QUERYMSG, TN_QNAME("a b"), .sized = true,
	  .size = 0, .ret = -EINVAL },
};

/* @c's query: parsed from its message, or made up from its name. */
static const char *mprox_dns_build_case_query(const struct mprox_dns_build_case *c,
					      struct mprox_dns_query *q)
{
	if (c->query) {
		if (mprox_dns_parse_query((const u8 *)c->query, c->query_len, q) ==
		    MPROX_DNS_DROP)
			return "bad case: its query is dropped";
		return NULL;
	}
	memset(q, 0, sizeof(*q));
	q->id = 0x1234;
	q->flags = MPROX_DNS_RD;
	q->qtype = MPROX_DNS_TYPE_A;
	q->qclass = MPROX_DNS_CLASS_IN;
	/* A name over 253 bytes is said by its length: it cannot be in @q->name. */
	q->name_len = c->qname_len;
	memcpy(q->name, c->qname, min_t(size_t, c->qname_len, sizeof(q->name)));
	return NULL;
}

/*
 * What mprox_dns_parse_response() must make of @c's response, @ret bytes
 * at @buf, to @q: its RCODE and TTL, or -ENOMSG with no question to match.
 */
static const char *mprox_dns_build_case_back(const struct mprox_dns_build_case *c,
					     const struct mprox_dns_query *q, const u8 *buf,
					     int ret)
{
	struct mprox_dns_query again;
	u32 ttl = 0xa5a5a5a5, want_ttl = 0;
	int want = 0;

	if (c->build == TN_QUERYMSG) {
		/* The question comes back as it was asked, and nothing else. */
		if (mprox_dns_parse_query(buf, ret, &again) != MPROX_DNS_OK ||
		    again.id != q->id || again.qtype != q->qtype || again.qclass != q->qclass ||
		    again.name_len != q->name_len || memcmp(again.name, q->name, q->name_len) ||
		    again.end != ret)
			return "does not parse back as the query";
		return NULL;
	}
	if (c->build == TN_ANSWER) {
		if (c->addr)
			want_ttl = c->ttl & 0x80000000 ? 0 : c->ttl;
	} else {
		want = c->have_question && !(q->flags & MPROX_DNS_OPCODE_MASK) ? c->rcode : -ENOMSG;
	}
	if (mprox_dns_parse_response(buf, ret, q, &ttl) != want)
		return "does not parse back";
	if (want >= 0 && ttl != want_ttl)
		return "parses back with another TTL";
	/* A response is never answered. */
	if (mprox_dns_parse_query(buf, ret, &again) != MPROX_DNS_DROP)
		return "a response taken for a query";
	return NULL;
}

/* One build of @c (a struct mprox_dns_build_case): mprox_test_build_fn. */
static const char *mprox_dns_build_once(const void *arg, u8 *scratch, size_t size, int want,
					int *ret)
{
	const struct mprox_dns_build_case *c = arg;
	u8 *buf = scratch + MPROX_DNS_TEST_SCRATCH - size;
	struct mprox_dns_query q;
	const char *why;

	*ret = 0;
	why = mprox_dns_build_case_query(c, &q);
	if (why)
		return why;
	memset(scratch, 0xa5, MPROX_DNS_TEST_SCRATCH);
	if (c->build == TN_ANSWER)
		*ret = mprox_dns_build_answer(&q, c->addr, c->family, c->ttl, buf, size);
	else if (c->build == TN_QUERYMSG)
		*ret = mprox_dns_build_query(&q, buf, size);
	else
		*ret = mprox_dns_build_error(&q, c->have_question, c->rcode, buf, size);
	why = mprox_test_built(buf, size, *ret, want, c->want);
	if (why || *ret <= 0)
		return why;
	return mprox_dns_build_case_back(c, &q, buf, *ret);
}

/*
 * Run builder case @c in @scratch (MPROX_DNS_TEST_SCRATCH bytes). Puts the
 * return value in *@ret and the buffer size in *@size; returns NULL when
 * the case holds, otherwise what differed.
 */
static const char *mprox_dns_build_case_run(const struct mprox_dns_build_case *c,
					    u8 *scratch, int *ret, size_t *size)
{
	const struct mprox_test_build b = {
		.sized = c->sized, .size = c->size, .large = MPROX_DNS_TEST_SCRATCH,
		.ret = c->ret,
	};

	return mprox_test_build_sizes(mprox_dns_build_once, c, &b, scratch, ret, size);
}

/* ---- mprox_dns_parse_response() ---- */

struct mprox_dns_response_case {
	const char *desc;
	const char *in;
	size_t len;
	/* The query: id 0x1234, class IN, example.com and type A unless said. */
	const char *qname;
	u16 qtype;
	int ret;		/* for all @len bytes */
	u32 ttl;		/* when @ret >= 0 */
	/*
	 * How many bytes settle @ret: every shorter prefix is -EBADMSG and
	 * every longer one @ret. 0: all of them.
	 */
	size_t at;
	/*
	 * When @ret is 0, mprox_dns_response_addr()'s: the 4 or 16 bytes it
	 * finds, or with NULL none (or with @addr_bad, -EBADMSG).
	 */
	const char *addr;
	bool addr_bad;
};

#define TN_A_RESP	"\x12\x34\x81\x80" TN_C1100 TN_QA TN_RR_A(TN_T3600)
/* 192 + 1 bytes of name at 29, TXT, 60 s, RDATA one empty string: to 233. */
#define TN_RR_LONG	TN_W63 TN_W63 TN_W63 "\0" TN_TXT_IN TN_T60 "\0\x01\0"

/* An SOA record owned by the question's name: TTL @ttl, MINIMUM @min. */
#define TN_SOA(ttl, min)	"\xc0\x0c\0\x06\0\x01" ttl "\0\x16\0\0\0\0\0\x01\0\0\x0e\x10" \
				"\0\0\x01\x2c\0\x09\x3a\x80" min
#define TN_NXDOMAIN(counts)	TN_HDR("\x81\x83", counts)

static const struct mprox_dns_response_case mprox_dns_response_cases[] = {
	/* Valid */
	{ "A", TN_IN(TN_A_RESP), .ret = 0, .ttl = 3600, .addr = TN_V4 },
	{ "two A, the smaller TTL",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA TN_RR_A(TN_T3600) TN_RR_A(TN_T300)), .ttl = 300,
	  .addr = TN_V4 },
	{ "AAAA", TN_IN(TN_RHDR(TN_C1100) TN_EXAMPLE TN_AAAA_IN TN_RR_AAAA(TN_T300)),
	  .qtype = 28, .ttl = 300, .addr = TN_V6 },
	{ "CNAME, then A of the name it points to",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA "\xc0\x0c\0\x05\0\x01\0\0\x02\x58\0\x06\003www\xc0\x0c"
		"\xc0\x29\0\x01\0\x01" TN_T60 "\0\x04" TN_V4), .ttl = 60, .addr = TN_V4 },
	{ "a pointer to a pointer",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA TN_RR_A(TN_T3600)
		"\xc0\x1d\0\x01\0\x01" TN_T300 "\0\x04" TN_V4), .ttl = 300, .addr = TN_V4 },
	{ "an owner written out", TN_IN(TN_RHDR(TN_C1100) TN_QA TN_EXAMPLE "\0\x01\0\x01" TN_T60
					"\0\x04" TN_V4), .ttl = 60, .addr = TN_V4 },
	{ "NXDOMAIN, SOA in the authority section",
	  TN_IN(TN_HDR("\x81\x83", TN_C1010) TN_QA "\xc0\x14\0\x06\0\x01\0\0\x03\x84\0\x20"
		"\002ns\xc0\x14\004host\xc0\x14\0\0\0\x01\0\0\x0e\x10\0\0\x01\x2c"
		"\0\x09\x3a\x80\0\0\x03\x84"), .ret = 3, .ttl = 900 },
	{ "NXDOMAIN: the SOA's MINIMUM, smaller than its TTL",
	  TN_IN(TN_HDR("\x81\x83", TN_C1010) TN_QA "\xc0\x14\0\x06\0\x01\0\0\x03\x84\0\x16"
		"\0\0\0\0\0\x01\0\0\x0e\x10\0\0\x01\x2c\0\x09\x3a\x80\0\0\0\x3c"),
	  .ret = 3, .ttl = 60 },
	{ "NODATA, SOA with the TTL smaller than MINIMUM",
	  TN_IN(TN_RHDR(TN_C1010) TN_EXAMPLE TN_AAAA_IN "\xc0\x0c\0\x06\0\x01\0\0\0\x1e\0\x16"
		"\0\0\0\0\0\x01\0\0\x0e\x10\0\0\x01\x2c\0\x09\x3a\x80\0\0\x03\x84"),
	  .qtype = 28, .ttl = 30 },
	{ "NODATA, SOA MINIMUM with the top bit counts as 0",
	  TN_IN(TN_RHDR(TN_C1010) TN_EXAMPLE TN_AAAA_IN "\xc0\x0c\0\x06\0\x01\0\0\0\x1e\0\x16"
		"\0\0\0\0\0\x01\0\0\x0e\x10\0\0\x01\x2c\0\x09\x3a\x80\x80\0\0\x01"),
	  .qtype = 28, .ttl = 0 },
	{ "NODATA, SOA of class CH: no negative TTL",
	  TN_IN(TN_RHDR(TN_C1010) TN_EXAMPLE TN_AAAA_IN "\xc0\x0c\0\x06\0\x03\0\0\0\x1e\0\x01"
		"\0"), .qtype = 28, .ttl = 0 },
	{ "NODATA, SOA in the additional section: no negative TTL",
	  TN_IN(TN_RHDR(TN_C1001) TN_EXAMPLE TN_AAAA_IN "\xc0\x0c\0\x06\0\x01\0\0\0\x1e\0\x16"
		"\0\0\0\0\0\x01\0\0\x0e\x10\0\0\x01\x2c\0\x09\x3a\x80\0\0\x03\x84"),
	  .qtype = 28, .ttl = 0 },
	{ "A with an SOA beside: the answer's TTL",
	  TN_IN(TN_RHDR(TN_C1110) TN_QA TN_RR_A(TN_T3600) "\xc0\x0c\0\x06\0\x01\0\0\0\x1e\0\x16"
		"\0\0\0\0\0\x01\0\0\x0e\x10\0\0\x01\x2c\0\x09\x3a\x80\0\0\0\x0a"),
	  .ttl = 3600, .addr = TN_V4 },
	{ "NXDOMAIN at the end of a CNAME chain: the SOA's, not the CNAME's",
	  TN_IN(TN_NXDOMAIN(TN_C1110) TN_QA "\xc0\x0c\0\x05\0\x01\0\0\x02\x58\0\x06\003www\xc0\x0c"
		TN_SOA(TN_T3600, "\0\0\0\x3c")), .ret = 3, .ttl = 60 },
	{ "two SOAs: the smaller",
	  TN_IN(TN_NXDOMAIN("\0\x01\0\0\0\x02\0\0") TN_QA TN_SOA(TN_T3600, "\0\0\x01\x2c")
		TN_SOA("\0\0\0\x78", "\0\0\x03\x84")), .ret = 3, .ttl = 120 },
	{ "NXDOMAIN, the SOA's TTL with the top bit counts as 0",
	  TN_IN(TN_NXDOMAIN(TN_C1010) TN_QA TN_SOA("\x80\0\0\x01", "\0\0\x03\x84")), .ret = 3,
	  .ttl = 0 },
	{ "NODATA, a short SOA in the additional section: not looked at",
	  TN_IN(TN_RHDR(TN_C1001) TN_EXAMPLE TN_AAAA_IN "\xc0\x0c\0\x06\0\x01\0\0\0\x1e\0\x01\0"),
	  .qtype = 28, .ttl = 0 },
	{ "NODATA", TN_IN(TN_RHDR(TN_C1000) TN_EXAMPLE TN_AAAA_IN), .qtype = 28, .ttl = 0 },
	{ "SERVFAIL", TN_IN(TN_ID "\x81\x82" TN_C1000 TN_QA), .ret = 2 },
	{ "EDNS OPT: its TTL is no TTL",
	  TN_IN(TN_RHDR(TN_C1101) TN_QA TN_RR_A(TN_T3600) TN_OPT("\0\0\x80\0")), .ttl = 3600,
	  .addr = TN_V4 },
	{ "EDNS OPT: BADVERS, RCODE 16",
	  TN_IN(TN_RHDR("\0\x01\0\0\0\0\0\x01") TN_QA TN_OPT("\x01\0\0\0")), .ret = 16 },
	{ "EDNS OPT: RCODE 1 << 4 | NXDOMAIN",
	  TN_IN(TN_HDR("\x81\x83", TN_C1001) TN_QA TN_OPT("\x01\0\0\0")), .ret = 19 },
	{ "TTL with the top bit counts as 0",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA TN_RR_A(TN_T3600) TN_RR_A("\x80\0\0\x01")), .ttl = 0,
	  .addr = TN_V4 },
	{ "TTL 0x7fffffff", TN_IN(TN_RHDR(TN_C1100) TN_QA TN_RR_A("\x7f\xff\xff\xff")),
	  .ttl = 0x7fffffff, .addr = TN_V4 },
	{ "question in another case", TN_IN(TN_RHDR(TN_C1100) "\007ExAmPlE\003cOM\0" TN_A_IN
					    TN_RR_A(TN_T3600)), .ttl = 3600, .addr = TN_V4 },
	{ "bytes after the last record, ignored", TN_IN(TN_A_RESP "JUNK"), .ttl = 3600,
	  .at = sizeof(TN_A_RESP) - 1, .addr = TN_V4 },
	{ "A of class CH with 5 bytes: not looked into",
	  TN_IN(TN_RHDR(TN_C1100) TN_QA "\xc0\x0c\0\x01\0\x03" TN_T60 "\0\005abcde"),
	  .ttl = 60 },
	{ "a name of 255 bytes through a pointer",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA TN_RR_LONG "\075" TN_A61 "\xc0\x1d" TN_TXT_IN TN_T300
		"\0\x01\0"), .ttl = 60 },
	{ "the root question", TN_IN(TN_RHDR(TN_C1000) "\0\0\x02\0\x01"), .qname = "",
	  .qtype = 2 },

	/* The address: the chain of CNAMEs from the question's name */
	{ "A of another name: no address",
	  TN_IN(TN_RHDR(TN_C1100) TN_QA "\001b\0\0\x01\0\x01" TN_T60 "\0\x04" TN_V4), .ttl = 60 },
	{ "A for an AAAA question: no address",
	  TN_IN(TN_RHDR(TN_C1100) TN_EXAMPLE TN_AAAA_IN TN_RR_A(TN_T60)), .qtype = 28, .ttl = 60 },
	{ "two CNAMEs, then A",
	  TN_IN(TN_RHDR("\0\x01\0\x03\0\0\0\0") TN_QA
		"\xc0\x0c\0\x05\0\x01" TN_T60 "\0\x06\003www\xc0\x0c"
		"\xc0\x29\0\x05\0\x01" TN_T60 "\0\x04\001x\xc0\x14"
		"\xc0\x3b\0\x01\0\x01" TN_T60 "\0\x04" TN_V4), .ttl = 60, .addr = TN_V4 },
	{ "CNAME, then A of the name itself, not of the target",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA "\xc0\x0c\0\x05\0\x01" TN_T60 "\0\x06\003www\xc0\x0c"
		TN_RR_A(TN_T60)), .ttl = 60 },
	{ "A of the target before its CNAME: not followed",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA "\003www\xc0\x0c\0\x01\0\x01" TN_T60 "\0\x04" TN_V4
		"\xc0\x0c\0\x05\0\x01" TN_T60 "\0\x02\xc0\x1d"), .ttl = 60 },
	{ "A of class CH, then of class IN", TN_IN(TN_RHDR(TN_C1200) TN_QA
	  "\xc0\x0c\0\x01\0\x03" TN_T60 "\0\x04\x0a\0\0\x01" TN_RR_A(TN_T60)),
	  .ttl = 60, .addr = TN_V4 },
	{ "owner in another case", TN_IN(TN_RHDR(TN_C1100) TN_QA "\007EXAMPLE\003COM\0" TN_A_IN
					 TN_T60 "\0\x04" TN_V4), .ttl = 60, .addr = TN_V4 },
	{ "CNAME target past its RDATA",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA "\xc0\x0c\0\x05\0\x01" TN_T60
		"\0\x02\001x\0\0\x01\0\x01" TN_T60 "\0\x04" TN_V4), .ttl = 60, .addr_bad = true },
	{ "CNAME target pointing forward",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA "\xc0\x0c\0\x05\0\x01" TN_T60 "\0\x02\xc0\x2b"
		TN_RR_A(TN_T60)), .ttl = 60, .addr_bad = true },
	{ "CNAME with no RDATA", TN_IN(TN_RHDR(TN_C1200) TN_QA "\xc0\x0c\0\x05\0\x01" TN_T60
				       "\0\0" TN_RR_A(TN_T60)), .ttl = 60, .addr_bad = true },

	/* Not the response to the query */
	{ "QR 0", TN_IN(TN_ID TN_RD TN_C1000 TN_QA), .ret = -ENOMSG, .at = 12 },
	{ "another id", TN_IN("\x12\x35" TN_RESP TN_C1100 TN_QA TN_RR_A(TN_T60)), .ret = -ENOMSG,
	  .at = 12 },
	{ "OPCODE 2", TN_IN(TN_ID "\x91\x80" TN_C1000 TN_QA), .ret = -ENOMSG, .at = 12 },
	{ "no question", TN_IN(TN_HDR("\x81\x85", TN_C0000)), .ret = -ENOMSG, .at = 12 },
	{ "two questions", TN_IN(TN_RHDR("\0\x02\0\0\0\0\0\0") TN_QA TN_QA), .ret = -ENOMSG,
	  .at = 12 },
	{ "another name", TN_IN(TN_RHDR(TN_C1100) "\007example\003org\0" TN_A_IN
				TN_RR_A(TN_T60)), .ret = -ENOMSG, .at = TN_QEND },
	{ "a longer name", TN_IN(TN_RHDR(TN_C1000) "\003www\007example\003com\0" TN_A_IN),
	  .ret = -ENOMSG, .at = 33 },
	{ "a shorter name", TN_IN(TN_RHDR(TN_C1000) "\007example\002co\0" TN_A_IN),
	  .ret = -ENOMSG, .at = 28 },
	{ "the name in one label with a dot", TN_IN(TN_RHDR(TN_C1000) "\013example.com\0" TN_A_IN),
	  .ret = -ENOMSG, .at = TN_QEND },
	{ "another type", TN_IN(TN_RHDR(TN_C1000) TN_EXAMPLE TN_AAAA_IN), .ret = -ENOMSG,
	  .at = TN_QEND },
	{ "another class", TN_IN(TN_RHDR(TN_C1000) TN_EXAMPLE "\0\x01\0\x03"), .ret = -ENOMSG,
	  .at = TN_QEND },
	{ "TC: ask again over TCP", TN_IN(TN_ID "\x83\x80" TN_C1100 TN_QA), .ret = -EMSGSIZE,
	  .at = TN_QEND },

	/* Malformed: names */
	{ "pointer in the question", TN_IN(TN_RHDR(TN_C1000) "\xc0\x0c" TN_A_IN),
	  .ret = -EBADMSG },
	{ "pointer to itself", TN_IN(TN_RHDR(TN_C1100) TN_QA "\xc0\x1d\0\x01\0\x01" TN_T60
				     "\0\x04" TN_V4), .ret = -EBADMSG },
	{ "pointer loop through a label", TN_IN(TN_RHDR(TN_C1100) TN_QA "\001a\xc0\x1d\0\x01\0\x01"
						TN_T60 "\0\x04" TN_V4), .ret = -EBADMSG },
	{ "pointer forward",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA "\xc0\x2d\0\x01\0\x01" TN_T60 "\0\x04" TN_V4
		TN_RR_A(TN_T60)), .ret = -EBADMSG },
	{ "pointer into the header", TN_IN(TN_RHDR(TN_C1100) TN_QA "\xc0\x02\0\x01\0\x01" TN_T60
					   "\0\x04" TN_V4), .ret = -EBADMSG },
	{ "pointer to offset 0", TN_IN(TN_RHDR(TN_C1100) TN_QA "\xc0\x00\0\x01\0\x01" TN_T60
				       "\0\x04" TN_V4), .ret = -EBADMSG },
	{ "pointer cut short", TN_IN(TN_RHDR(TN_C1100) TN_QA "\001a\001b\001c\001d\001e\xc0"),
	  .ret = -EBADMSG },
	{ "label of 64 bytes", TN_IN(TN_RHDR(TN_C1100) TN_QA "\x40" TN_A64 "\0\0\x10\0\x01"
				     TN_T60 "\0\0"), .ret = -EBADMSG },
	{ "label type 0x80", TN_IN(TN_RHDR(TN_C1100) TN_QA "\201a\0\0\x01\0\x01" TN_T60
				   "\0\x04" TN_V4), .ret = -EBADMSG },
	{ "a name of 257 bytes through a pointer",
	  TN_IN(TN_RHDR(TN_C1200) TN_QA TN_RR_LONG TN_W63 "\xc0\x1d" TN_TXT_IN TN_T300 "\0\x01\0"),
	  .ret = -EBADMSG },
	{ "a name of 256 bytes written out",
	  TN_IN(TN_RHDR(TN_C1100) TN_QA TN_W254 TN_TXT_IN TN_T60 "\0\x01\0"), .ret = -EBADMSG },

	/* Malformed: lengths and counts */
	{ "11 bytes", TN_IN(TN_ID TN_RESP "\0\x01\0\0\0\0\0"), .ret = -EBADMSG },
	{ "nothing", TN_IN(""), .ret = -EBADMSG },
	{ "question cut short", TN_IN(TN_RHDR(TN_C1000) TN_EXAMPLE "\0\x01"), .ret = -EBADMSG },
	{ "RDLENGTH past the end", TN_IN(TN_RHDR(TN_C1100) TN_QA "\xc0\x0c\0\x01\0\x01" TN_T60
					 "\0\x05" TN_V4), .ret = -EBADMSG },
	{ "RDLENGTH 65535", TN_IN(TN_RHDR(TN_C1100) TN_QA "\xc0\x0c\0\x10\0\x01" TN_T60
				  "\377\377abcd"), .ret = -EBADMSG },
	{ "A with 5 bytes", TN_IN(TN_RHDR(TN_C1100) TN_QA "\xc0\x0c\0\x01\0\x01" TN_T60
				  "\0\x05" TN_V4 "x"), .ret = -EBADMSG },
	{ "AAAA with 4 bytes", TN_IN(TN_RHDR(TN_C1100) TN_EXAMPLE TN_AAAA_IN
				     "\xc0\x0c\0\x1c\0\x01" TN_T60 "\0\x04" TN_V4),
	  .qtype = 28, .ret = -EBADMSG },
	{ "ANCOUNT 2, one record", TN_IN(TN_RHDR(TN_C1200) TN_QA TN_RR_A(TN_T60)),
	  .ret = -EBADMSG },
	{ "ANCOUNT 65535", TN_IN(TN_RHDR("\0\x01\xff\xff\0\0\0\0") TN_QA TN_RR_A(TN_T60)),
	  .ret = -EBADMSG },
	{ "ARCOUNT 1, no record", TN_IN(TN_RHDR(TN_C1001) TN_QA), .ret = -EBADMSG },
	{ "fixed fields cut short", TN_IN(TN_RHDR(TN_C1100) TN_QA "\001a\001b\001c\0\0\x01\0"),
	  .ret = -EBADMSG },
	{ "SOA with 21 bytes of RDATA",
	  TN_IN(TN_RHDR(TN_C1010) TN_EXAMPLE TN_AAAA_IN "\xc0\x0c\0\x06\0\x01\0\0\0\x1e\0\x15"
		"\0\0\0\0\x01\0\0\x0e\x10\0\0\x01\x2c\0\x09\x3a\x80\0\0\x03\x84"),
	  .qtype = 28, .ret = -EBADMSG },

	/* Malformed: OPT */
	{ "two OPT", TN_IN(TN_RHDR("\0\x01\0\0\0\0\0\x02") TN_QA TN_OPT("\0\0\0\0")
			   TN_OPT("\0\0\0\0")), .ret = -EBADMSG },
	{ "OPT in the answer section", TN_IN(TN_RHDR(TN_C1100) TN_QA TN_OPT("\0\0\0\0")),
	  .ret = -EBADMSG },
	{ "OPT not owned by the root",
	  TN_IN(TN_RHDR(TN_C1001) TN_QA "\001a\0\0\x29\x10\0\0\0\0\0\0\0"), .ret = -EBADMSG },
};

/* The query response case @c is to. */
static void mprox_dns_response_case_query(const struct mprox_dns_response_case *c,
					  struct mprox_dns_query *q)
{
	const char *name = c->qname ? c->qname : "example.com";

	memset(q, 0, sizeof(*q));
	q->id = 0x1234;
	q->flags = MPROX_DNS_RD;
	q->qtype = c->qtype ? c->qtype : MPROX_DNS_TYPE_A;
	q->qclass = MPROX_DNS_CLASS_IN;
	q->name_len = strlen(name);
	memcpy(q->name, name, q->name_len);
}

/* What mprox_dns_response_addr() finds in @c's response @buf of @len bytes. */
static const char *mprox_dns_response_case_addr(const struct mprox_dns_response_case *c,
						const u8 *buf, size_t len,
						const struct mprox_dns_query *q)
{
	size_t alen = q->qtype == MPROX_DNS_TYPE_AAAA ? 16 : 4;
	u8 addr[16];
	int ret;

	memset(addr, 0xa5, sizeof(addr));
	ret = mprox_dns_response_addr(buf, len, q, addr);
	if (ret != (c->addr_bad ? -EBADMSG : !!c->addr))
		return "address found or not";
	if (ret == 1 && memcmp(addr, c->addr, alen))
		return "address";
	if (ret != 1 && addr[0] != 0xa5)
		return "address written when none was found";
	return NULL;
}

/*
 * Run response case @c in @scratch (MPROX_DNS_TEST_SCRATCH bytes): every
 * prefix of the message, at the very end of the scratch buffer. Puts the
 * last result in *@ret and the bytes given in *@fed; returns NULL when the
 * case holds, otherwise what differed.
 */
static const char *mprox_dns_response_case_run(const struct mprox_dns_response_case *c,
					       u8 *scratch, int *ret, size_t *fed)
{
	size_t at = c->at ? c->at : c->len;
	struct mprox_dns_query q;
	const char *why;
	u32 ttl;
	int want;

	*ret = 0;
	if (c->len > MPROX_DNS_TEST_SCRATCH || at > c->len)
		return "bad case";
	mprox_dns_response_case_query(c, &q);
	for (*fed = 0; *fed <= c->len; (*fed)++) {
		u8 *buf = scratch + MPROX_DNS_TEST_SCRATCH - *fed;

		memcpy(buf, c->in, *fed);
		want = *fed < at ? -EBADMSG : c->ret;
		ttl = 0xa5a5a5a5;
		*ret = mprox_dns_parse_response(buf, *fed, &q, &ttl);
		if (*ret != want)
			return *fed < c->len ? "result for a prefix" : "result";
		if (*ret < 0 && ttl != 0xa5a5a5a5)
			return "TTL written on an error";
		if (*ret >= 0 && ttl != c->ttl)
			return "TTL";
		if (!*ret) {
			why = mprox_dns_response_case_addr(c, buf, *fed, &q);
			if (why)
				return why;
		}
	}
	(*fed)--;
	return NULL;
}

/* ---- mprox_dns_response_question() and mprox_dns_response_age() ---- */

struct mprox_dns_cache_case {
	const char *desc;
	const char *in;
	size_t len;
	int ret;		/* of mprox_dns_response_question() */
	/* When @ret is 0: the question read, and @in aged @age seconds. */
	const char *qname;
	u16 qtype;
	u32 age;
	const char *out;	/* NULL: @in unchanged */
};

#define TN_RR_A_AT(ttl)	"\xc0\x0c\0\x01\0\x01" ttl "\0\x04" TN_V4

static const struct mprox_dns_cache_case mprox_dns_cache_cases[] = {
	{ "A, 100 s older", TN_IN(TN_A_RESP), 0, "example.com", 1, 100,
	  TN_RHDR(TN_C1100) TN_QA TN_RR_A_AT("\0\0\x0d\xac") },
	{ "older than its TTL: 0", TN_IN(TN_RHDR(TN_C1100) TN_QA TN_RR_A(TN_T60)), 0,
	  "example.com", 1, 61, TN_RHDR(TN_C1100) TN_QA TN_RR_A_AT("\0\0\0\0") },
	{ "exactly its TTL: 0", TN_IN(TN_RHDR(TN_C1100) TN_QA TN_RR_A(TN_T60)), 0,
	  "example.com", 1, 60, TN_RHDR(TN_C1100) TN_QA TN_RR_A_AT("\0\0\0\0") },
	{ "a TTL over 2^31 - 1 is 0", TN_IN(TN_RHDR(TN_C1100) TN_QA TN_RR_A("\x80\0\0\x01")),
	  0, "example.com", 1, 0, TN_RHDR(TN_C1100) TN_QA TN_RR_A_AT("\0\0\0\0") },
	{ "every section aged, OPT's TTL left alone",
	  TN_IN(TN_RHDR("\0\x01\0\x01\0\x01\0\x01") TN_QA TN_RR_A(TN_T300)
		"\xc0\x14\0\x02\0\x01" TN_T3600 "\0\x02\xc0\x14" TN_OPT("\0\0\x80\0")),
	  0, "example.com", 1, 10,
	  TN_RHDR("\0\x01\0\x01\0\x01\0\x01") TN_QA TN_RR_A_AT("\0\0\x01\x22")
	  "\xc0\x14\0\x02\0\x01\0\0\x0e\x06\0\x02\xc0\x14" TN_OPT("\0\0\x80\0") },
	{ "NXDOMAIN, 10 s older: its SOA from the lesser of TTL and MINIMUM",
	  TN_IN(TN_NXDOMAIN(TN_C1010) TN_QA TN_SOA(TN_T3600, "\0\0\0\x3c")), 0, "example.com", 1,
	  10, TN_NXDOMAIN(TN_C1010) TN_QA TN_SOA("\0\0\0\x32", "\0\0\0\x3c") },
	{ "MX, its question in capitals: lowercased",
	  TN_IN(TN_RHDR(TN_C1000) "\007EXAMPLE\003Com\0" TN_MX_IN), 0, "example.com", 15, 0,
	  NULL },
	{ "no records", TN_IN(TN_RHDR(TN_C1000) TN_QA), 0, "example.com", 1, 5, NULL },
	{ "a query", TN_IN(TN_QHDR TN_QA), -ENOMSG },
	{ "OPCODE 2", TN_IN(TN_HDR("\x90\0", TN_C1000) TN_QA), -ENOMSG },
	{ "two questions", TN_IN(TN_HDR("\x81\x80", "\0\x02\0\0\0\0\0\0") TN_QA TN_QA),
	  -ENOMSG },
	{ "no question", TN_IN(TN_HDR("\x81\x80", TN_C0000)), -ENOMSG },
	{ "a pointer in the question", TN_IN(TN_RHDR(TN_C1000) "\xc0\x0c" TN_A_IN), -EBADMSG },
	{ "the question cut short", TN_IN(TN_RHDR(TN_C1000) "\007exam"), -EBADMSG },
	{ "no type and class", TN_IN(TN_RHDR(TN_C1000) TN_EXAMPLE "\0\x01"), -EBADMSG },
	{ "a space in the name", TN_IN(TN_RHDR(TN_C1000) "\003a b\0" TN_A_IN), -EBADMSG },
	{ "shorter than a header", TN_IN("\x12\x34\x81\x80\0\x01"), -EBADMSG },
};

/*
 * Run cache case @c in @scratch (MPROX_DNS_TEST_SCRATCH bytes), the
 * message at its very end and its aged copy at the start. Puts the result
 * in *@ret; returns NULL when the case holds, otherwise what differed.
 */
static const char *mprox_dns_cache_case_run(const struct mprox_dns_cache_case *c,
					    u8 *scratch, int *ret)
{
	u8 *buf = scratch + MPROX_DNS_TEST_SCRATCH - c->len;
	const char *want = c->out ? c->out : c->in;
	struct mprox_dns_query q;
	u32 ttl;

	if (2 * c->len > MPROX_DNS_TEST_SCRATCH)
		return "bad case";
	memcpy(buf, c->in, c->len);
	memset(&q, 0xa5, sizeof(q));
	*ret = mprox_dns_response_question(buf, c->len, &q);
	if (*ret != c->ret)
		return "result";
	if (*ret)
		return q.name_len || q.end ? "question left on an error" : NULL;
	if (strcmp(q.name, c->qname) || q.name_len != strlen(c->qname) ||
	    q.qtype != c->qtype || q.qclass != MPROX_DNS_CLASS_IN || q.id != 0x1234)
		return "question";
	/* What a cache stores has been taken as the response to its question. */
	if (mprox_dns_parse_response(buf, c->len, &q, &ttl) < 0)
		return "not its response";
	memcpy(scratch, buf, c->len);
	if (mprox_dns_response_age(buf, c->len, &q, c->age, scratch))
		return "aging failed";
	if (memcmp(buf, c->in, c->len))
		return "the cached message changed";
	return memcmp(scratch, want, c->len) ? "aged bytes" : NULL;
}

/* ---- mprox_dns_query_opt() ---- */

struct mprox_dns_opt_case {
	const char *desc;
	const char *in;
	size_t len;
	int ret;
	u16 size;
	bool dnssec_ok;
};

static const struct mprox_dns_opt_case mprox_dns_opt_cases[] = {
	{ "no OPT", TN_IN(TN_QHDR TN_QA), 0 },
	{ "OPT, 4096 bytes", TN_IN(TN_HDR(TN_RD, TN_C1001) TN_QA TN_OPT("\0\0\0\0")), 1, 4096 },
	{ "OPT with DO", TN_IN(TN_HDR(TN_RD, TN_C1001) TN_QA TN_OPT("\0\0\x80\0")), 1, 4096,
	  true },
	{ "OPT, 512 bytes, an option after it",
	  TN_IN(TN_HDR(TN_RD, TN_C1001) TN_QA "\0\0\x29\x02\0\0\0\0\0\0\x04\0\x0a\0\0"), 1,
	  512 },
	{ "an A record, not OPT",
	  TN_IN(TN_HDR(TN_RD, TN_C1001) TN_QA "\0\0\x01\0\x01" TN_T60 "\0\0"), -EBADMSG },
	{ "OPT not owned by the root",
	  TN_IN(TN_HDR(TN_RD, TN_C1001) TN_QA "\001a\0\0\x29\x10\0\0\0\0\0\0\0"), -EBADMSG },
	{ "OPT cut short", TN_IN(TN_HDR(TN_RD, TN_C1001) TN_QA "\0\0\x29\x10\0\0\0"),
	  -EBADMSG },
};

/* Run OPT case @c at the very end of @scratch; NULL when it holds. */
static const char *mprox_dns_opt_case_run(const struct mprox_dns_opt_case *c, u8 *scratch,
					  int *ret)
{
	u8 *buf = scratch + MPROX_DNS_TEST_SCRATCH - c->len;
	struct mprox_dns_query q;
	bool dnssec_ok = false;
	u16 size = 0;

	if (c->len > MPROX_DNS_TEST_SCRATCH)
		return "bad case";
	memcpy(buf, c->in, c->len);
	if (mprox_dns_parse_query(buf, c->len, &q) != MPROX_DNS_OK)
		return "not a query";
	*ret = mprox_dns_query_opt(buf, c->len, &q, &size, &dnssec_ok);
	if (*ret != c->ret)
		return "result";
	if (*ret == 1 && (size != c->size || dnssec_ok != c->dnssec_ok))
		return "size or DO";
	return NULL;
}

/* ---- mprox_dns_name_valid() ---- */

struct mprox_dns_name_case {
	const char *name;	/* and the description */
	size_t len;
	bool valid;
};

#define TN_NAME(s, v)	{ (s), sizeof(s) - 1, (v) }

static const struct mprox_dns_name_case mprox_dns_name_cases[] = {
	TN_NAME("example.com", true),
	TN_NAME("example.com.", true),
	TN_NAME("EXAMPLE.Com", true),
	TN_NAME("a", true),
	TN_NAME("a.", true),
	TN_NAME("_sip._tcp.example.com", true),
	TN_NAME("xn--bcher-kva.example", true),
	TN_NAME("-a-.0", true),
	TN_NAME("0.1.2.3", true),
	TN_NAME(TN_A63 ".com", true),
	TN_NAME(TN_N253, true),
	TN_NAME(TN_N253 ".", true),
	TN_NAME("", false),
	TN_NAME(".", false),
	TN_NAME("..", false),
	TN_NAME(".example.com", false),
	TN_NAME("example..com", false),
	TN_NAME("example.com..", false),
	TN_NAME("exa mple.com", false),
	TN_NAME("*.example.com", false),
	TN_NAME("example.com/24", false),
	TN_NAME("caf\xc3\xa9.example", false),
	TN_NAME("a\0b", false),
	TN_NAME("a\0", false),
	TN_NAME(TN_A64 ".com", false),
	TN_NAME(TN_N253 "a", false),
	TN_NAME(TN_N253 "a.", false),
};

static const char *mprox_dns_name_case_run(const struct mprox_dns_name_case *c)
{
	return mprox_dns_name_valid(c->name, c->len) == c->valid ? NULL : "validity";
}

#endif /* _MPROX_DNS_TEST_CASES_H */
