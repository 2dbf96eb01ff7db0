// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for driver/socks4.c. The first two bytes of the input
 * pick a split point (little endian); the rest is what a proxy sent, given
 * to the reply parser and to both codecs (socks4, socks4a) whole, as the
 * prefix before the split and one byte more at a time, each copied into a
 * heap buffer of exactly its length so that ASan catches a read past it.
 * The invariants are the contract of socks4.h and codec.h: events and
 * results from the documented set, used <= len (8 on CONNECTED, 0
 * otherwise), and a prefix's outcome MORE or the whole input's. The same
 * bytes go through the request builder as a user id and a name split at
 * the same point. The address text SOCKS4a sends for IPv6 is dest.c's,
 * fuzzed by fuzz_dest.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "socks4.h"
#include "fuzz_check.h"

static const struct mprox_codec *const codecs[] = { &mprox_socks4_codec, &mprox_socks4a_codec };

/* A heap copy of exactly @len bytes of @data (one byte for none, unread). */
static u8 *copy(const u8 *data, size_t len)
{
	u8 *p = malloc(len ? len : 1);

	CHECK(p);
	memcpy(p, data, len);
	return p;
}

static int parse(const u8 *data, size_t len)
{
	u8 *buf = copy(data, len);
	int ret = mprox_socks4_parse_reply(buf, len);

	CHECK(ret == 0 || ret == 8 || ret == -EPROTO || ret == -EACCES || ret == -ECONNREFUSED);
	CHECK(ret <= (int)len);
	if (ret == 0)
		CHECK(len < 8 && (len < 1 || buf[0] == 0 || buf[0] == 4) &&
		      (len < 2 || buf[1] == 90));
	if (ret == 8)
		CHECK((buf[0] == 0 || buf[0] == 4) && buf[1] == 90);
	if (ret == -ECONNREFUSED)
		CHECK((buf[0] == 0 || buf[0] == 4) && buf[1] == 91);
	if (ret == -EACCES)
		CHECK((buf[0] == 0 || buf[0] == 4) && (buf[1] == 92 || buf[1] == 93));
	free(buf);
	return ret;
}

static void check_parser(const u8 *data, size_t len, size_t split)
{
	int whole = parse(data, len), part = parse(data, split);

	if (part)
		CHECK(part == whole);
	if (whole == 8) {
		CHECK(parse(data, 8) == 8);
		CHECK(parse(data, 7) == 0);
	}
}

/* A codec after open() and request(): waiting for the reply. */
static void start(const struct mprox_codec *codec, struct mprox_codec_state *st)
{
	static const struct mprox_codec_creds cr = { .user = "u", .user_len = 1 };
	struct mprox_dest dest = { .family = AF_INET, .port = 80 };
	struct mprox_codec_step step;
	u8 *out = malloc(codec->out_max);

	CHECK(out);
	memcpy(&dest.addr.v4, "\x7f\0\0\x01", 4);
	memset(st, 0, sizeof(*st));
	codec->open(st, &cr, out, codec->out_max, &step);
	CHECK(step.event == MPROX_CODEC_READY);
	codec->request(st, &cr, &dest, out, codec->out_max, &step);
	CHECK(step.event == MPROX_CODEC_SEND && step.out_len == 10);
	free(out);
}

/*
 * reply() with a copy of exactly @len bytes; out is a 1-byte heap buffer.
 * After a request (@sent), the outcome is the parser's.
 */
static struct mprox_codec_step reply(const struct mprox_codec *codec, struct mprox_codec_state *st,
				     const u8 *data, size_t len, bool sent)
{
	static const struct mprox_codec_creds cr = { .user = "u", .user_len = 1 };
	struct mprox_codec_step step;
	u8 *buf = copy(data, len), *out = malloc(1);
	int ret = mprox_socks4_parse_reply(buf, len);

	CHECK(out);
	memset(&step, 0xa5, sizeof(step));
	codec->reply(st, &cr, buf, len, out, 0, &step);
	CHECK(step.out_len == 0);
	CHECK(step.used <= len);
	if (!sent)
		ret = -EPROTO; /* out of turn: PROXY_ERROR */
	switch (step.event) {
	case MPROX_CODEC_MORE:
		CHECK(ret == 0 && step.used == 0);
		break;
	case MPROX_CODEC_CONNECTED:
		CHECK(ret == 8 && step.used == 8 && step.result == MPROX_CONNECT_OK);
		break;
	case MPROX_CODEC_FAILED:
		CHECK(step.used == 0);
		CHECK((ret == -ECONNREFUSED && step.result == MPROX_CONNECT_REFUSED) ||
		      (ret == -EACCES && step.result == MPROX_CONNECT_AUTH_FAILED) ||
		      (ret == -EPROTO && step.result == MPROX_CONNECT_PROXY_ERROR));
		break;
	default:
		CHECK(!"an event reply() never gives");
	}
	free(out);
	free(buf);
	return step;
}

static bool same(const struct mprox_codec_step *a, const struct mprox_codec_step *b)
{
	return a->event == b->event && a->used == b->used && a->out_len == b->out_len &&
	       (a->event == MPROX_CODEC_MORE || a->result == b->result);
}

static void check_codec(const struct mprox_codec *codec, const u8 *data, size_t len, size_t split)
{
	struct mprox_codec_step whole, part, step;
	struct mprox_codec_state st;
	size_t k;

	start(codec, &st);
	whole = reply(codec, &st, data, len, true);
	start(codec, &st);
	part = reply(codec, &st, data, split, true);
	if (part.event != MPROX_CODEC_MORE)
		CHECK(same(&part, &whole));

	/* As the bytes arrive, on one state, until the codec decides. */
	start(codec, &st);
	for (k = 0; k <= len; k++) {
		step = reply(codec, &st, data, k, true);
		if (step.event != MPROX_CODEC_MORE)
			break;
	}
	CHECK(same(&step, &whole));
	CHECK(step.event == MPROX_CODEC_MORE || k <= codec->reply_max);

	/* Bytes before the request: the proxy spoke out of turn. */
	memset(&st, 0, sizeof(st));
	step = reply(codec, &st, data, len, false);
	CHECK(step.event == MPROX_CODEC_FAILED && step.result == MPROX_CONNECT_PROXY_ERROR);
}

/* mprox_socks4_request(), and the codec, for @dest and @user. */
static void check_request(const struct mprox_dest *dest, const char *user, size_t user_len,
			  bool socks4a, int want)
{
	const struct mprox_codec *codec = codecs[socks4a];
	struct mprox_codec_creds cr = { .user = user, .user_len = user_len };
	u8 *out = malloc(codec->out_max);
	bool user_ok = !memchr(user, '\0', user_len) && user_len <= 255;
	struct mprox_codec_state st = {};
	struct mprox_codec_step step;
	int ret;

	CHECK(out);
	ret = mprox_socks4_request(out, codec->out_max, dest, user, user_len, socks4a);
	CHECK(ret == want);
	if (ret > 0) {
		CHECK(out[0] == 4 && out[1] == 1);
		CHECK(out[2] == dest->port >> 8 && out[3] == (dest->port & 0xff));
		CHECK(!memcmp(out + 8, user, user_len) && out[8 + user_len] == 0);
		CHECK(out[ret - 1] == 0);
	}
	codec->open(&st, &cr, out, codec->out_max, &step);
	codec->request(&st, &cr, dest, out, codec->out_max, &step);
	if (!user_ok) {
		CHECK(step.event == MPROX_CODEC_FAILED && step.result == MPROX_CONNECT_PROXY_ERROR);
	} else if (ret > 0) {
		CHECK(step.event == MPROX_CODEC_SEND && step.out_len == (size_t)ret);
	} else {
		CHECK(step.event == MPROX_CODEC_FAILED);
		CHECK(step.result == (ret == -EAFNOSUPPORT ? MPROX_CONNECT_NET_UNREACH
							   : MPROX_CONNECT_GENERAL_FAILURE));
	}
	free(out);
}

static void check_builders(const u8 *data, size_t len, size_t split)
{
	char *user = (char *)copy(data, split), *name = (char *)copy(data + split, len - split);
	size_t user_len = split, name_len = len - split;
	bool user_ok = !memchr(user, '\0', user_len) && user_len <= 255;
	/* The length is looked at before the bytes. */
	int user_err = user_len > 255 ? -ENAMETOOLONG : -EINVAL;
	struct mprox_dest dest = { .family = AF_UNSPEC, .port = 443 };
	int want;

	dest.name = name;
	dest.name_len = name_len;
	if (name_len == 0)
		want = -EINVAL;
	else if (name_len > 255)
		want = -ENAMETOOLONG;
	else if (memchr(name, '\0', name_len))
		want = -EINVAL;
	else if (!user_ok)
		want = user_err;
	else
		want = (int)(8 + user_len + 1 + name_len + 1);
	check_request(&dest, user, user_len, true, want);
	check_request(&dest, user, user_len, false, -EAFNOSUPPORT);

	if (name_len >= 4) {
		const u8 *ip = (const u8 *)name;
		bool marker = !ip[0] && !ip[1] && !ip[2] && ip[3];

		dest.family = AF_INET;
		memcpy(&dest.addr.v4, name, 4);
		want = user_ok ? (int)(8 + user_len + 1) : user_err;
		check_request(&dest, user, user_len, false, marker ? -EAFNOSUPPORT : want);
		if (marker && want > 0)
			want += 8 + (ip[3] >= 10) + (ip[3] >= 100); /* "0.0.0.x\0" */
		check_request(&dest, user, user_len, true, want);
	}
	free(name);
	free(user);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split, len, i;

	if (size < 2)
		return 0;
	len = size - 2;
	split = (data[0] | data[1] << 8) % (len + 1);
	check_parser(data + 2, len, split);
	for (i = 0; i < ARRAY_SIZE(codecs); i++)
		check_codec(codecs[i], data + 2, len, split);
	check_builders(data + 2, len, split);
	return 0;
}
