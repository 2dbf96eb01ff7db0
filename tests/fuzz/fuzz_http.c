// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for driver/http.c. The first two bytes of the input pick
 * a split point (little endian); the rest is what a proxy sent in answer to
 * CONNECT. It is given to the codec's reply() whole, as the prefix before
 * the split, and growing in chunks to one state as the engine would feed
 * it, each time from a heap copy of exactly the bytes given so that ASan
 * catches a read past them. The invariants are the codec's contract: an
 * event from the documented set, used no more than the input, a prefix
 * outcome that is MORE or the whole input's outcome, progress
 * (st->scanned) that only grows and stays within the input, no MORE once
 * reply_max bytes are there, and for an outcome with a status a header
 * block that really ends at used with its first blank line. The same bytes
 * also go through the request builder as a name, as credentials split at
 * the same point (the base64 is decoded back) and as IPv4 and IPv6
 * addresses (the text is read back with inet_pton and compared with
 * inet_ntop's).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "http.h"
#include "fuzz_check.h"

static const struct mprox_codec *codec = &mprox_http_codec;
static const struct mprox_codec_creds no_creds;

struct outcome {
	enum mprox_codec_event event;
	enum mprox_connect_result result;
	size_t used;
	u16 status;
};

/* A state after open() and request() for example.com:443. */
static void start(struct mprox_codec_state *st)
{
	static const struct mprox_dest dest = {
		.family = AF_UNSPEC,
		.port = 443,
		.name = "example.com",
		.name_len = 11,
	};
	u8 out[MPROX_HTTP_REQUEST_MAX];
	struct mprox_codec_step step;

	memset(st, 0, sizeof(*st));
	codec->open(st, &no_creds, out, sizeof(out), &step);
	CHECK(step.event == MPROX_CODEC_READY);
	codec->request(st, &no_creds, &dest, out, sizeof(out), &step);
	CHECK(step.event == MPROX_CODEC_SEND && step.out_len == 59);
}

/* Whether the line ending with the LF at @p (> 0) is empty: LF, or CR LF. */
static int blank_at(const u8 *buf, size_t p)
{
	return buf[p - 1] == '\n' || (p >= 2 && buf[p - 1] == '\r' && buf[p - 2] == '\n');
}

/* An outcome with a status: the header block buf[0..used) is one. */
static void check_block(const u8 *buf, const struct outcome *o)
{
	size_t p, first_lf = 0, lines = 0;

	CHECK(o->used >= 14 && o->used <= MPROX_HTTP_REPLY_MAX);
	CHECK(!memcmp(buf, "HTTP/1.", 7) && (buf[7] == '0' || buf[7] == '1') && buf[8] == ' ');
	CHECK(o->status == (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0'));
	CHECK(o->status >= 100 && o->status <= 599);
	CHECK(buf[12] == ' ' || buf[12] == '\r' || buf[12] == '\n');
	for (p = 0; p < o->used; p++) {
		if (buf[p] != '\n')
			continue;
		if (!first_lf) {
			first_lf = p;
			continue;
		}
		/* The first blank line after the status line is the last byte. */
		if (blank_at(buf, p))
			CHECK(p == o->used - 1);
		else
			lines++;
	}
	CHECK(first_lf >= 12 && buf[o->used - 1] == '\n' && o->used - 1 > first_lf);
	CHECK(blank_at(buf, o->used - 1));
	CHECK(lines <= MPROX_HTTP_LINES_MAX);
	if (buf[12] == '\r')
		CHECK(first_lf == 13);
}

/* reply() of the first @len bytes of @data to @st, from a copy of exactly @len bytes. */
static struct outcome feed(struct mprox_codec_state *st, const u8 *data, size_t len)
{
	u8 *buf = malloc(len ? len : 1);
	struct mprox_codec_step step;
	struct outcome o;

	CHECK(buf);
	memcpy(buf, data, len);
	memset(&step, 0xa5, sizeof(step));
	codec->reply(st, &no_creds, buf, len, NULL, 0, &step);
	o.event = step.event;
	o.result = step.result;
	o.used = step.used;
	o.status = st->status;
	CHECK(!step.out_len);
	CHECK(step.used <= len);
	switch (step.event) {
	case MPROX_CODEC_MORE:
		CHECK(!step.used);
		CHECK(len < codec->reply_max);
		CHECK(st->scanned <= len);
		o.result = 0;
		break;
	case MPROX_CODEC_CONNECTED:
		CHECK(step.result == MPROX_CONNECT_OK);
		CHECK(o.status >= 200 && o.status <= 299);
		check_block(buf, &o);
		break;
	case MPROX_CODEC_FAILED:
		if (step.result == MPROX_CONNECT_PROXY_ERROR) {
			CHECK(!step.used);
			break;
		}
		CHECK(step.result == MPROX_CONNECT_AUTH_FAILED ||
		      step.result == MPROX_CONNECT_REFUSED ||
		      step.result == MPROX_CONNECT_HOST_UNREACH ||
		      step.result == MPROX_CONNECT_GENERAL_FAILURE);
		CHECK(step.result == mprox_http_result(o.status));
		check_block(buf, &o);
		break;
	default:
		CHECK(!"an event reply() does not give");
	}
	free(buf);
	return o;
}

static int same(const struct outcome *a, const struct outcome *b)
{
	return a->event == b->event && a->result == b->result && a->used == b->used &&
	       a->status == b->status;
}

static void check_reply(const u8 *data, size_t len, size_t split)
{
	struct mprox_codec_state st;
	struct outcome whole, o;
	size_t k, chunk, scanned = 0;

	start(&st);
	whole = feed(&st, data, len);

	start(&st);
	o = feed(&st, data, split);
	if (o.event != MPROX_CODEC_MORE)
		CHECK(same(&o, &whole));

	/* Growing to one state, as the engine feeds it, at most 64 calls. */
	chunk = 1 + split % 61;
	if (chunk < len / 64)
		chunk = len / 64;
	start(&st);
	for (k = 0;; k = k + chunk < len ? k + chunk : len) {
		o = feed(&st, data, k);
		if (o.event != MPROX_CODEC_MORE || k == len)
			break;
		CHECK(st.scanned >= scanned);
		scanned = st.scanned;
	}
	CHECK(same(&o, &whole));

	/* A header block alone is all it takes; one byte short is not enough. */
	if (whole.event != MPROX_CODEC_MORE && whole.used) {
		start(&st);
		o = feed(&st, data, whole.used);
		CHECK(same(&o, &whole));
		start(&st);
		CHECK(feed(&st, data, whole.used - 1).event == MPROX_CODEC_MORE);
	}

	/* Out of turn. */
	memset(&st, 0, sizeof(st));
	CHECK(feed(&st, data, len).result == MPROX_CONNECT_PROXY_ERROR);
}

static int name_ok(const u8 *s, size_t len)
{
	size_t i;

	if (!len || len > 255)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] == 0x7f || strchr(":/?#[]@", s[i]))
			return 0;
	return 1;
}

static int unbase64(char c)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alphabet, c) : NULL;

	CHECK(p);
	return p - alphabet;
}

/* Decode @n (a multiple of 4) base64 characters at @s into @out; returns the length. */
static size_t base64_decode(const char *s, size_t n, u8 *out)
{
	size_t i, len = 0;

	CHECK(n % 4 == 0);
	for (i = 0; i < n; i += 4) {
		int pad = (s[i + 3] == '=') + (s[i + 2] == '=');
		uint32_t v = unbase64(s[i]) << 18 | unbase64(s[i + 1]) << 12;

		CHECK(pad == 0 || i + 4 == n);
		if (pad < 2)
			v |= unbase64(s[i + 2]) << 6;
		if (pad < 1)
			v |= unbase64(s[i + 3]);
		out[len++] = v >> 16;
		if (pad < 2)
			out[len++] = v >> 8 & 0xff;
		if (pad < 1)
			out[len++] = v & 0xff;
	}
	return len;
}

/* The request for @dest with @cr into a heap buffer of exactly its length. */
static int build(const struct mprox_dest *dest, const struct mprox_codec_creds *cr, char **req)
{
	u8 big[MPROX_HTTP_REQUEST_MAX];
	int ret = mprox_http_connect_request(big, sizeof(big), dest, cr);

	*req = NULL;
	if (ret < 0)
		return ret;
	CHECK(ret > 0 && ret <= (int)MPROX_HTTP_REQUEST_MAX);
	*req = malloc(ret);
	CHECK(*req);
	CHECK(mprox_http_connect_request((u8 *)*req, ret, dest, cr) == ret);
	CHECK(!memcmp(*req, big, ret));
	if (ret > 1)
		CHECK(mprox_http_connect_request(big, ret - 1, dest, cr) == -ENOSPC);
	return ret;
}

/* The host:port of a request without credentials, checked against @want. */
static void check_plain(const char *req, int ret, const char *hp, size_t hp_len)
{
	CHECK(ret == (int)(29 + 2 * hp_len));
	CHECK(!memcmp(req, "CONNECT ", 8) && !memcmp(req + 8, hp, hp_len));
	CHECK(!memcmp(req + 8 + hp_len, " HTTP/1.1\r\nHost: ", 17));
	CHECK(!memcmp(req + 25 + hp_len, hp, hp_len));
	CHECK(!memcmp(req + 25 + 2 * hp_len, "\r\n\r\n", 4));
}

static void check_builders(const u8 *data, size_t len, size_t split)
{
	struct mprox_dest dest = { .family = AF_UNSPEC, .port = 443 };
	struct mprox_codec_creds cr = { 0 };
	char text[INET6_ADDRSTRLEN], hp[300], *req;
	u8 decoded[600];
	int ret, n;

	/* The bytes as a name. */
	dest.name = (const char *)data;
	dest.name_len = len;
	ret = build(&dest, NULL, &req);
	if (!len || !name_ok(data, len))
		CHECK(ret == (len > 255 ? -ENAMETOOLONG : -EINVAL));
	else {
		memcpy(hp, data, len);
		memcpy(hp + len, ":443", 4);
		check_plain(req, ret, hp, len + 4);
	}
	free(req);

	/* As credentials: the user before the split, the password after. */
	dest.name = "h";
	dest.name_len = 1;
	cr.user = (const char *)data;
	cr.user_len = split;
	cr.password = (const char *)data + split;
	cr.password_len = len - split;
	ret = build(&dest, &cr, &req);
	if (!split) {
		check_plain(req, ret, "h:443", 5);
	} else if (split > 255 || len - split > 255 || memchr(data, ':', split)) {
		CHECK(ret == -EACCES);
	} else {
		size_t b64 = MPROX_HTTP_BASE64_LEN(len + 1);

		/* After "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n", 37 bytes. */
		CHECK(ret == (int)(37 + 27 + b64 + 4));
		CHECK(!memcmp(req, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n", 37));
		CHECK(!memcmp(req + 37, "Proxy-Authorization: Basic ", 27));
		CHECK(!memcmp(req + 64 + b64, "\r\n\r\n", 4));
		CHECK(base64_decode(req + 64, b64, decoded) == len + 1);
		CHECK(!memcmp(decoded, data, split) && decoded[split] == ':');
		CHECK(!memcmp(decoded + split + 1, data + split, len - split));
	}
	free(req);

	/* As addresses, with the split as the port. */
	dest.port = split;
	if (len >= 4) {
		dest.family = AF_INET;
		memcpy(&dest.addr.v4, data, 4);
		ret = build(&dest, NULL, &req);
		CHECK(inet_ntop(AF_INET, &dest.addr.v4, text, sizeof(text)));
		n = snprintf(hp, sizeof(hp), "%s:%u", text, dest.port);
		check_plain(req, ret, hp, n);
		free(req);
	}
	if (len >= 16) {
		struct in6_addr back;
		const char *end;

		dest.family = AF_INET6;
		memcpy(&dest.addr.v6, data, 16);
		ret = build(&dest, NULL, &req);
		CHECK(ret > 0 && req[8] == '[');
		end = memchr(req + 9, ']', ret - 9);
		CHECK(end && end - (req + 9) <= 39);
		memcpy(text, req + 9, end - (req + 9));
		text[end - (req + 9)] = '\0';
		CHECK(inet_pton(AF_INET6, text, &back) == 1);
		CHECK(!memcmp(&back, &dest.addr.v6, 16));
		n = snprintf(hp, sizeof(hp), "[%s]:%u", text, dest.port);
		check_plain(req, ret, hp, n);
		/*
		 * glibc's inet_ntop writes RFC 5952 text too, but for a v4-mapped
		 * or v4-compatible address the dotted form, which mprox does not.
		 */
		CHECK(inet_ntop(AF_INET6, &dest.addr.v6, hp, sizeof(hp)));
		if (!strchr(hp, '.'))
			CHECK(!strcmp(hp, text));
		free(req);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split, len, i;
	unsigned int raw;

	if (size < 2)
		return 0;
	len = size - 2;
	raw = data[0] | data[1] << 8;
	split = raw % (len + 1);
	check_reply(data + 2, len, split);
	check_builders(data + 2, len, split);

	/*
	 * Inputs are shorter than the limits (run.sh's -max_len): with the top
	 * two bits of the split set, the bytes repeated to one past
	 * MPROX_HTTP_REPLY_MAX are a response too.
	 */
	if ((raw & 0xc000) == 0xc000 && len) {
		size_t big_len = MPROX_HTTP_REPLY_MAX + 1;
		u8 *big = malloc(big_len);

		CHECK(big);
		for (i = 0; i < big_len; i++)
			big[i] = data[2 + i % len];
		check_reply(big, big_len, raw % (big_len + 1));
		free(big);
	}
	return 0;
}
