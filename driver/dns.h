/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DNS messages (RFC 1035), for the resolver in the kernel that answers the
 * queries routed into the device with addresses of its fake-IP pool, and
 * for the cache of what an upstream DNS server answers the rest with:
 * parse a query, answer it or refuse it, check a server's response.
 *
 * Pure, like the codecs (codec.h): no allocation, no locks, no global
 * state, no clock, nothing read or written outside the (pointer, length)
 * pairs given, every loop bounded by the message's own length or a
 * constant. Every byte of a message is hostile, a query's from any local
 * application and a response's from the network. The same file builds into
 * mprox.ko, into the KUnit suite and, with tests/shim/kernel_shim.h, into
 * the host unit test and the libFuzzer target.
 *
 * Names. A query's name is kept in presentation form: labels joined by
 * dots, no trailing dot, the root as the empty name. Only letters, digits,
 * '-' and '_' are taken in a label (host names and the _service labels of
 * SRV), and letters are lowercased, so that the name can key the fake-IP
 * pool and the cache as it is and be handed to a proxy as SOCKS5 ATYP 3 or
 * in a CONNECT line. A query names nothing before its question, so a
 * compression pointer in it is malformed; a response's names may point,
 * but only backwards (see mprox_dns_parse_response()).
 */
#ifndef _MPROX_DNS_H
#define _MPROX_DNS_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "kernel_shim.h"
#endif

#define MPROX_DNS_HDR_LEN		12
#define MPROX_DNS_LABEL_MAX		63
/* A name on the wire, its length bytes and the root's included. */
#define MPROX_DNS_WIRE_NAME_MAX		255
/* The same in presentation form: two bytes fewer (RFC 1035 2.3.4). */
#define MPROX_DNS_NAME_MAX		(MPROX_DNS_WIRE_NAME_MAX - 2)
/*
 * The most compression pointers one name may take: one for each label it
 * can have, and more than any encoder writes.
 */
#define MPROX_DNS_PTR_HOPS_MAX		(MPROX_DNS_WIRE_NAME_MAX / 2)
/* The longest message: what TCP's length prefix can say. */
#define MPROX_DNS_MSG_MAX		65535

/* The header's flags, the second 16-bit word. */
#define MPROX_DNS_QR			0x8000
#define MPROX_DNS_OPCODE_SHIFT		11
#define MPROX_DNS_OPCODE_MASK		0x7800
#define MPROX_DNS_AA			0x0400
#define MPROX_DNS_TC			0x0200
#define MPROX_DNS_RD			0x0100
#define MPROX_DNS_RA			0x0080
#define MPROX_DNS_CD			0x0010	/* checking disabled (RFC 4035) */
#define MPROX_DNS_RCODE_MASK		0x000f

#define MPROX_DNS_RCODE_NOERROR		0
#define MPROX_DNS_RCODE_FORMERR		1
#define MPROX_DNS_RCODE_SERVFAIL	2
#define MPROX_DNS_RCODE_NXDOMAIN	3
#define MPROX_DNS_RCODE_NOTIMP		4
#define MPROX_DNS_RCODE_REFUSED		5

#define MPROX_DNS_TYPE_A		1
#define MPROX_DNS_TYPE_CNAME		5
#define MPROX_DNS_TYPE_SOA		6
#define MPROX_DNS_TYPE_AAAA		28
#define MPROX_DNS_TYPE_OPT		41	/* EDNS (RFC 6891) */
#define MPROX_DNS_TYPE_SVCB		64	/* RFC 9460 */
#define MPROX_DNS_TYPE_HTTPS		65
#define MPROX_DNS_CLASS_IN		1

/*
 * The longest answer mprox_dns_build_answer() writes: header, question of
 * the longest name, and one AAAA record naming it by pointer.
 */
#define MPROX_DNS_ANSWER_MAX		(MPROX_DNS_HDR_LEN + MPROX_DNS_WIRE_NAME_MAX + 4 + \
					 2 + 10 + 16)

/* A query, as mprox_dns_parse_query() found it. */
struct mprox_dns_query {
	u16 id;
	/* The query's flags word as it came: the answer copies RD and OPCODE. */
	u16 flags;
	u16 qtype;
	u16 qclass;
	/*
	 * The question's end, from the start of the message: where the
	 * records after it would start. 0 when no question was read.
	 */
	u16 end;
	/* The question's name, 0..253 bytes, NUL terminated besides. */
	u8 name_len;
	char name[MPROX_DNS_NAME_MAX + 1];
};

/* What to do with a query: mprox_dns_parse_query()'s verdict. */
enum mprox_dns_verdict {
	/* A question to answer: all of struct mprox_dns_query is filled in. */
	MPROX_DNS_OK,
	/*
	 * Answer FORMERR: a query, but not one of a single well-formed
	 * question (QDCOUNT not 1, ANCOUNT or NSCOUNT not 0, ARCOUNT over 1;
	 * a question cut short, a label over 63 bytes or of a reserved type,
	 * a pointer, a name over 255 bytes or with a byte it may not hold).
	 * Its id and flags are filled in, and the question too when it was
	 * read (@end != 0) and only a count of records after it is wrong.
	 */
	MPROX_DNS_FORMERR,
	/* Answer NOTIMP: an OPCODE other than QUERY. Its id and flags are filled in. */
	MPROX_DNS_NOTIMP,
	/*
	 * Answer nothing: shorter than a header, so not even an id to answer
	 * to (or longer than MPROX_DNS_MSG_MAX, so not DNS), or a response
	 * (QR 1), which is never answered, so that two resolvers cannot
	 * bounce a message between them forever.
	 */
	MPROX_DNS_DROP,
	MPROX_DNS_VERDICT_COUNT
};

/*
 * Parse the query @msg of @len bytes into @q. Returns an enum
 * mprox_dns_verdict; what it leaves in @q is said above, the rest zero.
 * A query is one question (QDCOUNT 1) of standard OPCODE 0, no answer or
 * authority records, at most one additional record (an EDNS OPT record,
 * which is not looked at: nor is anything after the question).
 */
int mprox_dns_parse_query(const u8 *msg, size_t len, struct mprox_dns_query *q);

/*
 * Builders. Each writes one response to @q at the start of @out, which has
 * @size bytes, and returns its length, or a negative errno with @out
 * untouched:
 *   -EINVAL  an argument it cannot encode (see each), @q's name among them
 *   -ENOSPC  @size too small for the response
 * The arguments are checked before @size, so an invalid one is never
 * -ENOSPC. A response has @q's id, QR 1, @q's OPCODE and RD, RA 1 and AA
 * 0 (the answers are the device's own, not a zone's), and the question
 * written anew from @q: nothing of the query's bytes is echoed.
 */

/*
 * The answer to @q: RCODE NOERROR and one record for the question's name
 * (a pointer to it, 0xc00c), class IN, TTL @ttl: A with the 4 bytes at
 * @addr for @family AF_INET, AAAA with 16 bytes for AF_INET6. With @addr
 * NULL (and @family not looked at), no record: NOERROR without data, the
 * answer for a name that exists but has no address of that type (AAAA with
 * an IPv4 pool only). The record's type is the family's, whatever @q asks
 * for: the caller answers only the questions it means to. Another family
 * with an @addr is -EINVAL.
 */
int mprox_dns_build_answer(const struct mprox_dns_query *q, const void *addr, int family,
			   u32 ttl, u8 *out, size_t size);

/*
 * An error response to @q: RCODE @rcode (FORMERR, SERVFAIL, NOTIMP,
 * REFUSED, ...; over 15, which needs EDNS, is -EINVAL), no records, the
 * question when @have_question and none otherwise (QDCOUNT 0: for a
 * FORMERR or NOTIMP whose question was not read).
 */
int mprox_dns_build_error(const struct mprox_dns_query *q, bool have_question, u8 rcode,
			  u8 *out, size_t size);

/*
 * A query for @q's question: @q's id, RD as in @q's flags (the rest of
 * them 0), QDCOUNT 1 and nothing else, the name written anew from @q.
 * Same returns as the builders: its length, -EINVAL for a name it cannot
 * encode, -ENOSPC for a short @size.
 */
int mprox_dns_build_query(const struct mprox_dns_query *q, u8 *out, size_t size);

/*
 * Check the response @msg of @len bytes from a DNS server, to the query
 * @q: QR 1, OPCODE 0, @q's id, exactly one question, @q's name (case
 * aside), type and class. Then every record of the answer, authority and
 * additional sections is walked: each name (a compression pointer only
 * backwards, to before the labels read since the name's start or the last
 * pointer, so that no name loops, never into the header, at most
 * MPROX_DNS_PTR_HOPS_MAX of them, 255 bytes of name in all), the fixed
 * fields and RDATA within the message (the counts cannot say more records
 * than it holds), an A or AAAA record of class IN with 4 or 16 bytes of
 * RDATA, one OPT record at most, in the additional section and owned by
 * the root. Other RDATA is not looked into, but for an SOA's MINIMUM. Bytes after the last record
 * are ignored.
 *
 * Returns the RCODE, 0..4095 (the 4 bits of the header, and the 8 above
 * them from the OPT record when there is one), with *@min_ttl how long the
 * response may be kept: the smallest TTL of the answer section's records;
 * for a negative answer (none, or NXDOMAIN at the end of a CNAME chain),
 * no longer than RFC 2308 section 5 says: the smaller of the TTL and the
 * MINIMUM field of the authority section's SOA record of class IN (the
 * smallest of several); 0 with neither. A TTL with its top bit set counts
 * as 0 (RFC 2181 section 8), and so does such a MINIMUM. An authority SOA
 * of class IN needs 22 bytes of RDATA at least (two names of the root,
 * then five numbers), of which the last 4 are MINIMUM. Or, with *@min_ttl
 * untouched:
 *   -EBADMSG   malformed: shorter than its header, question or records
 *              say, longer than MPROX_DNS_MSG_MAX, or anything above
 *              broken
 *   -ENOMSG    not the response to @q: QR 0, another id or OPCODE, no
 *              question or several, or another question
 *   -EMSGSIZE  the response to @q, but TC: cut short by the server, to be
 *              asked again over TCP; its records are not looked at
 */
int mprox_dns_parse_response(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			     u32 *min_ttl);

/*
 * The address a response answers @q with, @msg of @len bytes, one that
 * mprox_dns_parse_response() took as the response to @q with RCODE 0:
 * the answer section's records are read in order, following the CNAME
 * chain from the question's name (as a stub resolver does), and the
 * first of class IN and @q's type (A or AAAA) owned by a name of the chain
 * gives its 4 or 16 bytes to @addr. Records of other names, classes or
 * types are passed over. 1 when found, 0 when not (a name without an
 * address of the type), -EBADMSG for a message it would not have taken
 * or a CNAME whose target is broken (a pointer forward, past its RDATA).
 */
int mprox_dns_response_addr(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			    u8 *addr);

/*
 * The question of the response @msg of @len bytes, into @q as
 * mprox_dns_parse_query() would read it from the query (its name
 * lowercased), so that mprox_dns_parse_response() can check the rest
 * against it: what a cache keys an answer by. 0, or with @q zeroed:
 *   -EBADMSG  shorter than a header or longer than MPROX_DNS_MSG_MAX, or
 *             a question cut short or with a name the resolver does not
 *             take (a pointer among them)
 *   -ENOMSG   not a response of OPCODE 0 with exactly one question
 */
int mprox_dns_response_question(const u8 *msg, size_t len, struct mprox_dns_query *q);

/*
 * The EDNS OPT record of the query @msg (@len bytes of it at least; the
 * record's fixed part is all that is read) that mprox_dns_parse_query()
 * took as @q: 1 with its UDP payload size in *@udp_size and its DO bit
 * (DNSSEC OK) in *@dnssec_ok, or 0 when the query has none. -EBADMSG
 * when its one additional record is not an OPT owned by the root, or is
 * cut short within @len.
 */
int mprox_dns_query_opt(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			u16 *udp_size, bool *dnssec_ok);

/*
 * A cached response grown @age seconds older: in @out, which holds a copy
 * of @msg, every record's TTL but an EDNS OPT's lowered by @age, to 0 at
 * the least (one over 2^31 - 1, which RFC 2181 says to read as 0, becomes
 * 0); an authority SOA's from the lesser of its TTL and MINIMUM, the time
 * a negative answer may be kept (RFC 2308 section 5). The records are
 * found in @msg, never in what is being written: a compression pointer
 * may point into an earlier record's TTL. @msg, of
 * @len bytes, is one mprox_dns_parse_response() took as the response to
 * @q. 0, or -EBADMSG for a message it would not have taken (then some TTLs
 * may be aged).
 */
int mprox_dns_response_age(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			   u32 age, u8 *out);

/*
 * Whether the @len bytes at @name are a name from configuration ("rule add
 * domain NAME ..."): 1..253 bytes with one trailing dot allowed besides,
 * labels of 1..63 letters (either case), digits, '-' and '_'.
 */
bool mprox_dns_name_valid(const char *name, size_t len);

#endif /* _MPROX_DNS_H */
