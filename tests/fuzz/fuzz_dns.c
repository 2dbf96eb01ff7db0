// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for driver/dns.c. The first two bytes of the input pick
 * a split point (little endian); the rest is a DNS message, every parse of
 * which reads a heap copy of exactly the bytes it is given, so that ASan
 * catches a read past them. Besides the sanitizers' checks:
 *
 * - as a query: a verdict from the documented set, for the documented
 *   reasons; a question within the message and a name the resolver takes;
 *   the message cut at the split gives the whole one's verdict and query
 *   whenever it is not FORMERR for want of bytes;
 * - a question read is answered (A, AAAA, none, errors) into exactly the
 *   room the answer takes, which one byte less is not, and every answer
 *   parses back as the response to the query with its TTL, is never taken
 *   for a query itself, and written back as a query reads as the same one;
 * - as a response to its own question (the message read as a query with
 *   QR cleared): a result from the documented set, never "another
 *   question's", -EMSGSIZE exactly with TC, and the message cut at the
 *   split, when not malformed, gives the whole one's result;
 * - as a response to be cached: its question read by
 *   mprox_dns_response_question() is the one a query of the same bytes
 *   has; when it is the response to that question, aging a copy by the
 *   split point's seconds leaves the message itself alone and the copy's
 *   header and question as they were, and when the copy still parses
 *   (a pointer into an earlier TTL may make another name of it), its
 *   least TTL is no higher;
 * - the same bytes as a name from configuration: valid exactly when the
 *   encoder takes them (but for one trailing dot, and the root), and a
 *   valid name reads back from a message, lowercased;
 * - a response taken: the address a lookup takes from it is in it, and a
 *   query built for a question read parses back as that question;
 * - a query's EDNS OPT record: found exactly when the one additional
 *   record is an OPT owned by the root with its fixed part in the bytes,
 *   its payload size and DO bit those bytes, nothing written otherwise,
 *   and the message cut at the split, when it still holds that fixed
 *   part, gives the same answer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dns.h"
#include "fuzz_check.h"

/* A heap copy of the @len bytes at @data, exactly that long, QR cleared when @query. */
static u8 *copy(const u8 *data, size_t len, bool query)
{
	u8 *buf = malloc(len ? len : 1);

	CHECK(buf);
	memcpy(buf, data, len);
	if (query && len > 2)
		buf[2] &= ~(MPROX_DNS_QR >> 8);
	return buf;
}

static u16 get16(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void check_query(const u8 *msg, size_t len, int v, const struct mprox_dns_query *q)
{
	size_t i;

	CHECK(v >= MPROX_DNS_OK && v < MPROX_DNS_VERDICT_COUNT);
	CHECK((v == MPROX_DNS_DROP) ==
	      (len < MPROX_DNS_HDR_LEN || len > MPROX_DNS_MSG_MAX || (msg[2] & 0x80)));
	if (v == MPROX_DNS_DROP)
		return;
	CHECK(q->id == get16(msg) && q->flags == get16(msg + 2));
	CHECK((v == MPROX_DNS_NOTIMP) == !!(q->flags & MPROX_DNS_OPCODE_MASK));
	CHECK(v != MPROX_DNS_OK || q->end);
	if (!q->end) {
		CHECK(!q->name_len && !q->name[0] && !q->qtype && !q->qclass);
		return;
	}
	CHECK(get16(msg + 4) == 1);
	CHECK(q->end >= MPROX_DNS_HDR_LEN + 1 + 4 && q->end <= len);
	CHECK(q->end == MPROX_DNS_HDR_LEN + (q->name_len ? q->name_len + 2 : 1) + 4);
	CHECK(q->qtype == get16(msg + q->end - 4) && q->qclass == get16(msg + q->end - 2));
	CHECK(q->name_len <= MPROX_DNS_NAME_MAX && q->name[q->name_len] == '\0');
	for (i = 0; i < q->name_len; i++)
		CHECK(name_char(q->name[i]) ||
		      (q->name[i] == '.' && i && i + 1 < q->name_len && q->name[i - 1] != '.'));
	CHECK(!q->name_len || mprox_dns_name_valid(q->name, q->name_len));
	CHECK(v == MPROX_DNS_OK || (get16(msg + 6) || get16(msg + 8) || get16(msg + 10) > 1));
}

static int parse_query(const u8 *data, size_t len, bool clear_qr, struct mprox_dns_query *q)
{
	u8 *msg = copy(data, len, clear_qr);
	int v;

	memset(q, 0xa5, sizeof(*q));
	v = mprox_dns_parse_query(msg, len, q);
	check_query(msg, len, v, q);
	free(msg);
	return v;
}

/* @q, written back as a query from the question of the response @resp. */
static void check_reads_back(const struct mprox_dns_query *q, const u8 *resp)
{
	size_t n = q->end;
	u8 *msg = malloc(n);
	struct mprox_dns_query again;

	CHECK(msg);
	memcpy(msg, resp, n);
	msg[2] = q->flags >> 8;
	msg[3] = q->flags & 0xff;
	memset(msg + 6, 0, 6);
	CHECK(mprox_dns_parse_query(msg, n, &again) == MPROX_DNS_OK);
	CHECK(!memcmp(&again, q, sizeof(again)));
	free(msg);
}

/*
 * The response to @q of @n bytes at @out: parsed back as its response
 * (@want, @want_ttl), never taken for a query, and its question, written
 * back as a query, read as @q.
 */
static void check_back(const struct mprox_dns_query *q, bool question, const u8 *out, int n,
		       int want, u32 want_ttl)
{
	struct mprox_dns_query again;
	u32 ttl = 0xa5a5a5a5;

	CHECK(mprox_dns_parse_response(out, n, q, &ttl) == want);
	CHECK(want < 0 || ttl == want_ttl);
	CHECK(mprox_dns_parse_query(out, n, &again) == MPROX_DNS_DROP);
	if (question)
		check_reads_back(q, out);
}

/* A heap buffer of exactly @n bytes, for a response that takes them. */
static u8 *exactly(int n)
{
	u8 *out;

	CHECK(n > 0);
	out = malloc(n);
	CHECK(out);
	return out;
}

/* The answer to @q with @addr of @family (NULL: NODATA), TTL @ttl. */
static void check_answer(const struct mprox_dns_query *q, const u8 *addr, int family, u32 ttl)
{
	size_t name = q->name_len ? q->name_len + 2 : 1;
	u8 big[MPROX_DNS_ANSWER_MAX], *out;
	int n;

	n = mprox_dns_build_answer(q, addr, family, ttl, big, sizeof(big));
	CHECK(n ==
	      (int)(MPROX_DNS_HDR_LEN + name + 4 + (addr ? 12 + (family == AF_INET ? 4 : 16) : 0)));
	/* Into exactly its room, which one byte less is not. */
	out = exactly(n);
	CHECK(mprox_dns_build_answer(q, addr, family, ttl, out, n) == n && !memcmp(out, big, n));
	CHECK(mprox_dns_build_answer(q, addr, family, ttl, out, n - 1) == -ENOSPC);
	check_back(q, true, out, n, 0, addr && !(ttl & 0x80000000) ? ttl : 0);
	free(out);
}

/* The error @rcode to @q, with its question or without. */
static void check_error(const struct mprox_dns_query *q, bool question, u8 rcode)
{
	size_t name = q->name_len ? q->name_len + 2 : 1;
	u8 big[MPROX_DNS_ANSWER_MAX], *out;
	int n;

	n = mprox_dns_build_error(q, question, rcode, big, sizeof(big));
	CHECK(n == (int)(MPROX_DNS_HDR_LEN + (question ? name + 4 : 0)));
	out = exactly(n);
	CHECK(mprox_dns_build_error(q, question, rcode, out, n) == n && !memcmp(out, big, n));
	CHECK(mprox_dns_build_error(q, question, rcode, out, n - 1) == -ENOSPC);
	check_back(q, question, out, n, question ? rcode : -ENOMSG, 0);
	free(out);
}

/* The message as the response to @q, whole and cut at @split. */
static void check_response(const u8 *data, size_t len, size_t split,
			   const struct mprox_dns_query *q)
{
	u8 *whole = copy(data, len, false), *part = copy(data, split, false);
	u32 ttl = 0xa5a5a5a5, part_ttl = 0xa5a5a5a5;
	int ret, part_ret;

	if (len > 2)
		whole[2] |= MPROX_DNS_QR >> 8;
	if (split > 2)
		part[2] |= MPROX_DNS_QR >> 8;
	ret = mprox_dns_parse_response(whole, len, q, &ttl);
	part_ret = mprox_dns_parse_response(part, split, q, &part_ttl);
	/* Its own question, and so never another's: malformed, cut or an RCODE. */
	CHECK(ret == -EBADMSG || ret == -EMSGSIZE || (ret >= 0 && ret < 4096));
	CHECK((ret == -EMSGSIZE) == !!(get16(whole + 2) & MPROX_DNS_TC));
	CHECK(ret < 0 || (ret & 0xf) == (whole[3] & 0xf));
	CHECK(ret >= 0 ? ttl <= 0x7fffffff : ttl == 0xa5a5a5a5);
	if (part_ret != -EBADMSG)
		CHECK(part_ret == ret && part_ttl == ttl);
	free(whole);
	free(part);
}

/* The bytes as a name from configuration, and as the name of a query. */
static void check_name(const u8 *data, size_t len)
{
	struct mprox_dns_query q, again;
	bool valid = mprox_dns_name_valid((const char *)data, len);
	size_t n = len, i;
	u8 *out;
	int ret;

	if (n && data[n - 1] == '.')
		n--;
	if (n > MPROX_DNS_NAME_MAX) {
		CHECK(!valid);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.id = 0x1234;
	q.qtype = MPROX_DNS_TYPE_A;
	q.qclass = MPROX_DNS_CLASS_IN;
	q.name_len = n;
	memcpy(q.name, data, n);
	out = malloc(MPROX_DNS_ANSWER_MAX);
	CHECK(out);
	ret = mprox_dns_build_error(&q, true, MPROX_DNS_RCODE_REFUSED, out, MPROX_DNS_ANSWER_MAX);
	/* The encoder takes the root and a trailing dot's name without its dot. */
	CHECK((ret > 0) == (valid || !n));
	if (ret > 0) {
		out[2] = 0;
		out[3] = 0;
		CHECK(mprox_dns_parse_query(out, ret, &again) == MPROX_DNS_OK);
		CHECK(again.name_len == n && again.end == ret);
		for (i = 0; i < n; i++)
			CHECK(again.name[i] ==
			      (data[i] >= 'A' && data[i] <= 'Z' ? data[i] + 32 : data[i]));
	}
	free(out);
}

/*
 * The address a lookup would take from the response @msg to @q: 4 or 16
 * bytes found in the message, and nothing written unless found.
 */
static void check_addr(const u8 *msg, size_t len, const struct mprox_dns_query *q)
{
	size_t want = q->qtype == MPROX_DNS_TYPE_AAAA ? 16 : 4;
	u8 addr[16];
	int ret;

	memset(addr, 0xa5, sizeof(addr));
	ret = mprox_dns_response_addr(msg, len, q, addr);
	CHECK(ret == 1 || ret == 0 || ret == -EBADMSG);
	if (ret == 1) {
		CHECK(q->qtype == MPROX_DNS_TYPE_A || q->qtype == MPROX_DNS_TYPE_AAAA);
		CHECK(memmem(msg, len, addr, want));
	} else {
		CHECK(addr[0] == 0xa5 && addr[15] == 0xa5);
	}
}

/* A query for @q's question: built into exactly its length, and read back as @q asks. */
static void check_query_built(const struct mprox_dns_query *q)
{
	struct mprox_dns_query again;
	u8 big[MPROX_DNS_ANSWER_MAX], *out;
	int n;

	n = mprox_dns_build_query(q, big, sizeof(big));
	CHECK(n > 0 && n <= (int)sizeof(big));
	out = exactly(n);
	CHECK(mprox_dns_build_query(q, out, n) == n && !memcmp(out, big, n));
	CHECK(mprox_dns_build_query(q, out, n - 1) == -ENOSPC);
	CHECK(mprox_dns_parse_query(out, n, &again) == MPROX_DNS_OK);
	CHECK(again.id == q->id && again.qtype == q->qtype && again.qclass == q->qclass &&
	      !strcmp(again.name, q->name) && again.end == n);
	free(out);
}

/* The response @data of @len bytes, as a cache would keep it (see the top). */
static void check_cache(const u8 *data, size_t len, u32 age)
{
	struct mprox_dns_query q, as_query;
	u32 ttl, aged_ttl;
	u8 *msg, *aged;
	size_t i;
	int ret;

	msg = copy(data, len, false);
	memset(&q, 0xa5, sizeof(q));
	ret = mprox_dns_response_question(msg, len, &q);
	CHECK(ret == 0 || ret == -EBADMSG || ret == -ENOMSG);
	if (ret) {
		CHECK(!q.end && !q.name_len);
		free(msg);
		return;
	}
	CHECK(q.end && q.end <= len && (q.flags & MPROX_DNS_QR));
	if (parse_query(data, len, true, &as_query) == MPROX_DNS_OK || as_query.end == q.end) {
		CHECK(as_query.qtype == q.qtype && as_query.qclass == q.qclass &&
		      !strcmp(as_query.name, q.name) && as_query.id == q.id);
	}
	ret = mprox_dns_parse_response(msg, len, &q, &ttl);
	if (ret >= 0) {
		aged = copy(msg, len, false);
		CHECK(mprox_dns_response_age(msg, len, &q, age, aged) == 0);
		CHECK(!memcmp(msg, data, len));
		/*
		 * Compression pointers into an earlier TTL may read another
		 * name now: only a message still whole is compared.
		 */
		if (mprox_dns_parse_response(aged, len, &q, &aged_ttl) == ret)
			CHECK(aged_ttl <= ttl);
		/* Only TTLs move: the header and question stay. */
		for (i = 0; i < q.end; i++)
			CHECK(aged[i] == data[i]);
		free(aged);
		check_addr(msg, len, &q);
	}
	free(msg);
}

/* The OPT record of the query @q read from @data, whole (@len) and cut at @split. */
static void check_opt(const u8 *data, size_t len, size_t split, const struct mprox_dns_query *q)
{
	u8 *whole = copy(data, len, true), *part;
	size_t at = q->end;
	u16 size = 0xa5a5, part_size = 0xa5a5;
	bool dnssec_ok = true, part_ok = true;
	int ret, part_ret;

	ret = mprox_dns_query_opt(whole, len, q, &size, &dnssec_ok);
	CHECK(ret == 0 || ret == 1 || ret == -EBADMSG);
	CHECK((ret == 0) == !get16(whole + 10));
	CHECK((ret == 1) == (get16(whole + 10) == 1 && len - at >= 11 && !whole[at] &&
			     get16(whole + at + 1) == MPROX_DNS_TYPE_OPT));
	if (ret == 1)
		CHECK(size == get16(whole + at + 3) && dnssec_ok == !!(whole[at + 7] & 0x80));
	else
		CHECK(size == 0xa5a5 && dnssec_ok);
	if (split >= at) {
		part = copy(data, split, true);
		part_ret = mprox_dns_query_opt(part, split, q, &part_size, &part_ok);
		if (split - at >= 11 || ret != 1)
			CHECK(part_ret == ret && part_size == size && part_ok == dnssec_ok);
		else
			CHECK(part_ret == -EBADMSG);
		free(part);
	}
	free(whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mprox_dns_query q, part;
	size_t split, len;
	int v, pv, rcode;

	if (size < 2)
		return 0;
	len = size - 2;
	split = (data[0] | data[1] << 8) % (len + 1);
	data += 2;

	v = parse_query(data, len, false, &q);
	pv = parse_query(data, split, false, &part);
	/* Cut short, only a question or the header can go missing. */
	if (pv == MPROX_DNS_OK || pv == MPROX_DNS_NOTIMP || part.end ||
	    (pv == MPROX_DNS_DROP && split >= MPROX_DNS_HDR_LEN))
		CHECK(pv == v && !memcmp(&part, &q, sizeof(q)));
	if (v != MPROX_DNS_DROP)
		check_error(&q, q.end, MPROX_DNS_RCODE_FORMERR);
	if (q.end) {
		/* TTLs from the input, the top bit included. */
		check_answer(&q, data, AF_INET, (u32)get16(data + q.end - 4) << 16 | q.id);
		check_answer(&q, data, AF_INET6, (u32)get16(data) << 16 | q.qclass);
		check_answer(&q, NULL, AF_INET6, 0);
		for (rcode = MPROX_DNS_RCODE_SERVFAIL; rcode <= MPROX_DNS_RCODE_REFUSED; rcode++)
			check_error(&q, true, rcode);
		check_query_built(&q);
		check_opt(data, len, split, &q);
	}

	/* As the response to its own question. */
	if (parse_query(data, len, true, &q) != MPROX_DNS_DROP && q.end)
		check_response(data, len, split, &q);
	check_cache(data, len, split);
	check_name(data, len);
	return 0;
}
