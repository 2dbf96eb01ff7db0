// SPDX-License-Identifier: GPL-2.0
/*
 * DNS messages (RFC 1035, and RFC 6891's OPT record). The contract is in
 * dns.h.
 *
 * Every byte is read at an offset compared with the message's length
 * first. Names are walked by skip_name() alone, whatever is done with them
 * after: a question's name is then read again as the run of bytes
 * skip_name() found it to be, which holds no pointer: none is taken in a
 * query, and in a response's question one could only point into the
 * header, which none may. Builders work out the length, check the room,
 * and only then write.
 *
 * The same file builds in the kernel and, with tests/shim/kernel_shim.h, in
 * userspace: no kernel helper without a libc twin, and so no tolower(),
 * whose userspace twin follows the locale.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/socket.h>
#include <linux/string.h>
#else
#include "kernel_shim.h"
#endif
#include "dns.h"

/* Type, class, TTL and RDLENGTH: a record's fixed fields after its name. */
#define RR_FIXED_LEN		10
/* The shortest record: the root's name and the fixed fields. */
#define RR_MIN_LEN		(1 + RR_FIXED_LEN)
/* SOA RDATA: MNAME and RNAME (the root's at the least), then 5 numbers. */
#define SOA_RDATA_MIN		(1 + 1 + 5 * 4)
/* A name's first byte: a label's length, or a pointer in the top two bits. */
#define NAME_PTR		0xc0
#define NAME_PTR_TO_QUESTION	(0xc000 | MPROX_DNS_HDR_LEN)

static u16 get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

static void put16(u8 *p, u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(u8 *p, u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static u8 lower(u8 c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* A byte of a name the resolver takes: a letter, a digit, '-' or '_'. */
static bool name_char(u8 c)
{
	c = lower(c);
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Walk the name at @off of @msg[0..@len): returns the offset just past it
 * where it stands (past its root label, or past its first pointer), or
 * -EBADMSG.
 * With @ptr_ok a pointer is followed, but only to before @from, where the
 * labels being read began: so each pointer goes further back than the one
 * before, and no name loops, however its pointers are laid out. Neither
 * may one point into the header. The labels read, pointers or not, are 255
 * bytes at most.
 */
static int skip_name(const u8 *msg, size_t len, size_t off, bool ptr_ok)
{
	size_t pos = off, from = off, end = 0, wire = 0, to;
	unsigned int hops = 0, step;
	u8 c;

	/*
	 * A step takes a label, at least a byte of the 255, or a pointer,
	 * at most MPROX_DNS_PTR_HOPS_MAX of them: the bound is never reached.
	 */
	for (step = 0; step <= MPROX_DNS_WIRE_NAME_MAX + MPROX_DNS_PTR_HOPS_MAX; step++) {
		if (pos >= len)
			return -EBADMSG;
		c = msg[pos];
		if ((c & NAME_PTR) == NAME_PTR) {
			if (!ptr_ok || pos + 1 >= len)
				return -EBADMSG;
			to = (size_t)(c - NAME_PTR) << 8 | msg[pos + 1];
			if (to < MPROX_DNS_HDR_LEN || to >= from || ++hops > MPROX_DNS_PTR_HOPS_MAX)
				return -EBADMSG;
			if (!end)
				end = pos + 2;
			pos = to;
			from = to;
			continue;
		}
		/* 0x40 and 0x80: reserved label types (RFC 1035 4.1.4, RFC 6891 5). */
		if (c > MPROX_DNS_LABEL_MAX)
			return -EBADMSG;
		wire += 1 + c;
		if (wire > MPROX_DNS_WIRE_NAME_MAX || c >= len - pos)
			return -EBADMSG;
		pos += 1 + c;
		if (!c)
			return end ? end : pos;
	}
	return -EBADMSG;
}

/*
 * A query's question name, the @n bytes at @p that skip_name() walked,
 * into @q->name, lowercased: false for a byte it may not hold, with some
 * of @q->name written.
 */
static bool name_to_text(const u8 *p, size_t n, struct mprox_dns_query *q)
{
	size_t i = 0, len = 0, k;
	u8 label;

	while (i < n && p[i]) {
		label = p[i++];
		if (len)
			q->name[len++] = '.';
		for (k = 0; k < label; k++) {
			if (!name_char(p[i + k]))
				return false;
			q->name[len++] = lower(p[i + k]);
		}
		i += label;
	}
	q->name[len] = '\0';
	q->name_len = len;
	return true;
}

/*
 * The wire form of the name @name, @len bytes in presentation form without
 * a trailing dot (0: the root), at @out unless it is NULL. Returns its
 * length, 1..255, or -EINVAL: an empty label, a label over 63 bytes, a
 * byte not name_char()'s, or more than 253 bytes.
 *
 * The wire form is the text one byte on, each dot a length byte: the
 * length of the label at @name[s] goes to @out[s], and @name[i] to
 * @out[i + 1].
 */
static int name_to_wire(const char *name, size_t len, u8 *out)
{
	size_t i, label = 0;	/* where the label being read starts */

	if (len > MPROX_DNS_NAME_MAX)
		return -EINVAL;
	if (!len) {
		if (out)
			out[0] = 0;
		return 1;
	}
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (i == label)
				return -EINVAL;
			if (out)
				out[label] = i - label;
			label = i + 1;
			continue;
		}
		if (!name_char(name[i]) || i - label >= MPROX_DNS_LABEL_MAX)
			return -EINVAL;
		if (out)
			out[i + 1] = name[i];
	}
	if (i == label)		/* a trailing dot */
		return -EINVAL;
	if (out) {
		out[label] = len - label;
		out[len + 1] = 0;
	}
	return len + 2;
}

/*
 * Whether the wire name at @p that skip_name() walked, with no pointer in
 * it, is @q's, case aside. A dot within a label never matches: "a.b" in
 * one label is not the two labels of a.b.
 */
static bool name_is(const u8 *p, size_t n, const struct mprox_dns_query *q)
{
	size_t i = 0, j = 0, k;
	u8 label;

	if (q->name_len > MPROX_DNS_NAME_MAX)
		return false;
	while (i < n && p[i]) {
		label = p[i++];
		if (j) {
			if (j >= q->name_len || q->name[j] != '.')
				return false;
			j++;
		}
		if (label > q->name_len - j)
			return false;
		for (k = 0; k < label; k++)
			if (p[i + k] == '.' || lower(p[i + k]) != lower(q->name[j + k]))
				return false;
		i += label;
		j += label;
	}
	return j == q->name_len;
}

/*
 * The record at @pos of @msg: its name walked, its fixed fields and RDATA
 * within @len. Returns the offset of its fixed fields (type, class, TTL,
 * RDLENGTH), with *@next where the record after it starts, or -EBADMSG.
 */
static int record_at(const u8 *msg, size_t len, size_t pos, size_t *next)
{
	int end = skip_name(msg, len, pos, true);

	if (end < 0 || len - end < RR_FIXED_LEN ||
	    get16(msg + end + 8) > len - end - RR_FIXED_LEN)
		return -EBADMSG;
	*next = end + RR_FIXED_LEN + get16(msg + end + 8);
	return end;
}

int mprox_dns_parse_query(const u8 *msg, size_t len, struct mprox_dns_query *q)
{
	int end;

	memset(q, 0, sizeof(*q));
	if (len < MPROX_DNS_HDR_LEN || len > MPROX_DNS_MSG_MAX || (get16(msg + 2) & MPROX_DNS_QR))
		return MPROX_DNS_DROP;
	q->id = get16(msg);
	q->flags = get16(msg + 2);
	/* Before the counts: what they count depends on the OPCODE. */
	if (q->flags & MPROX_DNS_OPCODE_MASK)
		return MPROX_DNS_NOTIMP;
	if (get16(msg + 4) != 1)
		return MPROX_DNS_FORMERR;

	end = skip_name(msg, len, MPROX_DNS_HDR_LEN, false);
	if (end < 0 || len - end < 4 ||
	    !name_to_text(msg + MPROX_DNS_HDR_LEN, end - MPROX_DNS_HDR_LEN, q)) {
		memset(q->name, 0, sizeof(q->name));
		q->name_len = 0;
		return MPROX_DNS_FORMERR;
	}
	q->qtype = get16(msg + end);
	q->qclass = get16(msg + end + 2);
	q->end = end + 4;
	/* Nothing to answer in a query; an EDNS OPT record, left alone. */
	if (get16(msg + 6) || get16(msg + 8) || get16(msg + 10) > 1)
		return MPROX_DNS_FORMERR;
	return MPROX_DNS_OK;
}

/*
 * A response to @q of RCODE @rcode: with its question when @question and
 * one record when @addr is not NULL, of type @rtype, @alen bytes at @addr.
 */
static int build(const struct mprox_dns_query *q, bool question, u8 rcode, u16 rtype,
		 const void *addr, size_t alen, u32 ttl, u8 *out, size_t size)
{
	size_t n = MPROX_DNS_HDR_LEN;
	int name = 0;
	u8 *p;

	if (question) {
		name = name_to_wire(q->name, q->name_len, NULL);
		if (name < 0)
			return name;
		n += name + 4;
	}
	if (addr)
		n += 2 + RR_FIXED_LEN + alen;
	if (size < n)
		return -ENOSPC;

	put16(out, q->id);
	put16(out + 2, MPROX_DNS_QR | MPROX_DNS_RA | rcode |
		       (q->flags & (MPROX_DNS_OPCODE_MASK | MPROX_DNS_RD)));
	put16(out + 4, question);
	put16(out + 6, !!addr);
	put16(out + 8, 0);
	put16(out + 10, 0);
	p = out + MPROX_DNS_HDR_LEN;
	if (question) {
		name_to_wire(q->name, q->name_len, p);
		p += name;
		put16(p, q->qtype);
		put16(p + 2, q->qclass);
		p += 4;
	}
	if (addr) {
		put16(p, NAME_PTR_TO_QUESTION);
		put16(p + 2, rtype);
		put16(p + 4, MPROX_DNS_CLASS_IN);
		put32(p + 6, ttl);
		put16(p + 10, alen);
		memcpy(p + 12, addr, alen);
	}
	return n;
}

int mprox_dns_build_answer(const struct mprox_dns_query *q, const void *addr, int family,
			   u32 ttl, u8 *out, size_t size)
{
	if (!addr)
		return build(q, true, MPROX_DNS_RCODE_NOERROR, 0, NULL, 0, 0, out, size);
	if (family == AF_INET)
		return build(q, true, MPROX_DNS_RCODE_NOERROR, MPROX_DNS_TYPE_A, addr, 4, ttl,
			     out, size);
	if (family == AF_INET6)
		return build(q, true, MPROX_DNS_RCODE_NOERROR, MPROX_DNS_TYPE_AAAA, addr, 16, ttl,
			     out, size);
	return -EINVAL;
}

int mprox_dns_build_error(const struct mprox_dns_query *q, bool have_question, u8 rcode,
			  u8 *out, size_t size)
{
	if (rcode > MPROX_DNS_RCODE_MASK)
		return -EINVAL;
	return build(q, have_question, rcode, 0, NULL, 0, 0, out, size);
}

int mprox_dns_build_query(const struct mprox_dns_query *q, u8 *out, size_t size)
{
	int name = name_to_wire(q->name, q->name_len, NULL);
	size_t n;

	if (name < 0)
		return name;
	n = MPROX_DNS_HDR_LEN + name + 4;
	if (size < n)
		return -ENOSPC;
	put16(out, q->id);
	put16(out + 2, q->flags & MPROX_DNS_RD);
	put16(out + 4, 1);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	name_to_wire(q->name, q->name_len, out + MPROX_DNS_HDR_LEN);
	put16(out + MPROX_DNS_HDR_LEN + name, q->qtype);
	put16(out + MPROX_DNS_HDR_LEN + name + 2, q->qclass);
	return n;
}

/*
 * How long the authority section's SOA record at @end (its fixed fields;
 * @rdlen bytes of RDATA within the message), of TTL @ttl (top bit already
 * read as 0), lets a negative answer be kept (RFC 2308 section 5): the
 * lesser of its TTL and MINIMUM. U32_MAX when its RDATA is too short to
 * be an SOA's.
 */
static u32 soa_ttl(const u8 *msg, size_t end, size_t rdlen, u32 ttl)
{
	u32 minimum;

	if (rdlen < SOA_RDATA_MIN)
		return U32_MAX;
	/* MINIMUM: RDATA's last 4 bytes, whatever its names' length. */
	minimum = get32(msg + end + RR_FIXED_LEN + rdlen - 4);
	return min_t(u32, ttl, minimum & 0x80000000 ? 0 : minimum);
}

int mprox_dns_parse_response(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			     u32 *min_ttl)
{
	size_t pos, at, answers, authority, records, i, rdlen;
	u32 ttl, least = U32_MAX, negative = U32_MAX;
	u16 flags, type, class;
	u8 ext_rcode = 0;
	int rcode;
	bool opt = false;
	int end;

	if (len < MPROX_DNS_HDR_LEN || len > MPROX_DNS_MSG_MAX)
		return -EBADMSG;
	flags = get16(msg + 2);
	if (!(flags & MPROX_DNS_QR) || (flags & MPROX_DNS_OPCODE_MASK) || get16(msg) != q->id ||
	    get16(msg + 4) != 1)
		return -ENOMSG;
	end = skip_name(msg, len, MPROX_DNS_HDR_LEN, true);
	if (end < 0 || len - end < 4)
		return -EBADMSG;
	if (!name_is(msg + MPROX_DNS_HDR_LEN, end - MPROX_DNS_HDR_LEN, q) ||
	    get16(msg + end) != q->qtype || get16(msg + end + 2) != q->qclass)
		return -ENOMSG;
	if (flags & MPROX_DNS_TC)
		return -EMSGSIZE;

	pos = end + 4;
	answers = get16(msg + 6);
	authority = answers + get16(msg + 8);
	records = authority + get16(msg + 10);
	/* Counts that say more records than the rest could hold lie: found before the walk. */
	if (records > (len - pos) / RR_MIN_LEN)
		return -EBADMSG;
	for (i = 0; i < records; i++) {
		at = pos;
		end = record_at(msg, len, at, &pos);
		if (end < 0)
			return end;
		type = get16(msg + end);
		class = get16(msg + end + 2);
		ttl = get32(msg + end + 4);
		rdlen = get16(msg + end + 8);

		if (type == MPROX_DNS_TYPE_OPT) {
			/* RFC 6891 6.1.1: one, in the additional section, owned by the root. */
			if (opt || i < records - get16(msg + 10) || msg[at])
				return -EBADMSG;
			opt = true;
			/* Its TTL is no TTL: the upper 8 bits of the RCODE, then EDNS flags. */
			ext_rcode = ttl >> 24;
			continue;
		}
		if (class == MPROX_DNS_CLASS_IN &&
		    ((type == MPROX_DNS_TYPE_A && rdlen != 4) ||
		     (type == MPROX_DNS_TYPE_AAAA && rdlen != 16)))
			return -EBADMSG;
		ttl = ttl & 0x80000000 ? 0 : ttl;
		if (i < answers) {
			least = min_t(u32, least, ttl);
		} else if (i < authority && class == MPROX_DNS_CLASS_IN &&
			   type == MPROX_DNS_TYPE_SOA) {
			ttl = soa_ttl(msg, end, rdlen, ttl);
			if (ttl == U32_MAX)
				return -EBADMSG;
			negative = min_t(u32, negative, ttl);
		}
	}
	rcode = ext_rcode << 4 | (flags & MPROX_DNS_RCODE_MASK);
	/* NXDOMAIN after a CNAME chain: the chain's end is the negative answer. */
	if (!answers || rcode == MPROX_DNS_RCODE_NXDOMAIN)
		least = min_t(u32, least, negative);
	*min_ttl = least == U32_MAX ? 0 : least;
	return rcode;
}

int mprox_dns_response_question(const u8 *msg, size_t len, struct mprox_dns_query *q)
{
	int end;

	memset(q, 0, sizeof(*q));
	if (len < MPROX_DNS_HDR_LEN || len > MPROX_DNS_MSG_MAX)
		return -EBADMSG;
	q->flags = get16(msg + 2);
	if (!(q->flags & MPROX_DNS_QR) || (q->flags & MPROX_DNS_OPCODE_MASK) ||
	    get16(msg + 4) != 1)
		return -ENOMSG;
	end = skip_name(msg, len, MPROX_DNS_HDR_LEN, false);
	if (end < 0 || len - end < 4 ||
	    !name_to_text(msg + MPROX_DNS_HDR_LEN, end - MPROX_DNS_HDR_LEN, q)) {
		memset(q, 0, sizeof(*q));
		return -EBADMSG;
	}
	q->id = get16(msg);
	q->qtype = get16(msg + end);
	q->qclass = get16(msg + end + 2);
	q->end = end + 4;
	return 0;
}

/*
 * Where the label at @pos of a name that skip_name() walked really is:
 * past the pointers that lead to it.
 */
static size_t label_at(const u8 *msg, size_t pos)
{
	unsigned int hops;

	for (hops = 0; hops <= MPROX_DNS_PTR_HOPS_MAX && (msg[pos] & NAME_PTR) == NAME_PTR;
	     hops++)
		pos = (size_t)(msg[pos] - NAME_PTR) << 8 | msg[pos + 1];
	return pos;
}

/* Whether the names at @a and @b of @msg, both walked by skip_name(), are one, case aside. */
static bool names_equal(const u8 *msg, size_t a, size_t b)
{
	unsigned int step;
	u8 n, k;

	for (step = 0; step <= MPROX_DNS_WIRE_NAME_MAX; step++) {
		a = label_at(msg, a);
		b = label_at(msg, b);
		n = msg[a];
		if (n != msg[b])
			return false;
		if (!n)
			return true;
		for (k = 1; k <= n; k++)
			if (lower(msg[a + k]) != lower(msg[b + k]))
				return false;
		a += 1 + n;
		b += 1 + n;
	}
	return false;
}

int mprox_dns_response_addr(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			    u8 *addr)
{
	size_t pos, at, answers, i, rdlen, want, chain = MPROX_DNS_HDR_LEN;
	u16 type;
	int end;

	want = q->qtype == MPROX_DNS_TYPE_A ? 4 : q->qtype == MPROX_DNS_TYPE_AAAA ? 16 : 0;
	if (len < MPROX_DNS_HDR_LEN || len > MPROX_DNS_MSG_MAX)
		return -EBADMSG;
	end = skip_name(msg, len, MPROX_DNS_HDR_LEN, true);
	if (end < 0 || len - end < 4)
		return -EBADMSG;
	pos = end + 4;
	answers = get16(msg + 6);
	if (answers > (len - pos) / RR_MIN_LEN)
		return -EBADMSG;
	for (i = 0; i < answers; i++) {
		at = pos;
		end = record_at(msg, len, at, &pos);
		if (end < 0)
			return end;
		type = get16(msg + end);
		rdlen = get16(msg + end + 8);
		if (get16(msg + end + 2) != MPROX_DNS_CLASS_IN || !names_equal(msg, at, chain))
			continue;
		if (want && type == q->qtype) {
			if (rdlen != want)
				return -EBADMSG;
			memcpy(addr, msg + end + RR_FIXED_LEN, want);
			return 1;
		}
		if (type == MPROX_DNS_TYPE_CNAME) {
			/* The chain goes on from the target, which must lie within RDATA. */
			at = end + RR_FIXED_LEN;
			end = skip_name(msg, len, at, true);
			if (end < 0 || (size_t)end > pos)
				return -EBADMSG;
			chain = at;
		}
	}
	return 0;
}

int mprox_dns_query_opt(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			u16 *udp_size, bool *dnssec_ok)
{
	size_t at = q->end;

	if (at < MPROX_DNS_HDR_LEN || at > len || get16(msg + 10) > 1)
		return -EBADMSG;
	if (!get16(msg + 10))
		return 0;
	if (len - at < RR_MIN_LEN || msg[at] || get16(msg + at + 1) != MPROX_DNS_TYPE_OPT)
		return -EBADMSG;
	*udp_size = get16(msg + at + 3);
	*dnssec_ok = msg[at + 7] & 0x80;
	return 1;
}

int mprox_dns_response_age(const u8 *msg, size_t len, const struct mprox_dns_query *q,
			   u32 age, u8 *out)
{
	size_t pos = q->end, answers, authority, records, i, rdlen;
	u32 ttl;
	int end;

	if (pos < MPROX_DNS_HDR_LEN || pos > len)
		return -EBADMSG;
	answers = get16(msg + 6);
	authority = answers + get16(msg + 8);
	records = authority + get16(msg + 10);
	for (i = 0; i < records; i++) {
		end = record_at(msg, len, pos, &pos);
		if (end < 0)
			return end;
		/* OPT's TTL is the extended RCODE and flags (RFC 6891 6.1.3). */
		if (get16(msg + end) == MPROX_DNS_TYPE_OPT)
			continue;
		ttl = get32(msg + end + 4);
		/* Over 2^31 - 1 is 0 (RFC 2181 8), as parse_response() reads it. */
		ttl = ttl & 0x80000000 ? 0 : ttl;
		rdlen = get16(msg + end + 8);
		/* The SOA's TTL counts down from the negative one (RFC 2308 5). */
		if (i >= answers && i < authority && get16(msg + end) == MPROX_DNS_TYPE_SOA &&
		    get16(msg + end + 2) == MPROX_DNS_CLASS_IN &&
		    soa_ttl(msg, end, rdlen, ttl) != U32_MAX)
			ttl = soa_ttl(msg, end, rdlen, ttl);
		put32(out + end + 4, ttl < age ? 0 : ttl - age);
	}
	return 0;
}

bool mprox_dns_name_valid(const char *name, size_t len)
{
	if (len && name[len - 1] == '.')
		len--;
	return len && name_to_wire(name, len, NULL) > 0;
}
