// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for driver/socks5.c. The first two bytes of the input
 * pick a split point (little endian); the rest is what a proxy sent, given
 * to every reply parser whole and as the prefix before the split, each
 * copied into a heap buffer of exactly its length so that ASan catches a
 * read past it. The invariants are the parsers' contract: a result from
 * the documented set, a complete reply no longer than the input and
 * exactly as long when fed alone, and a prefix result that is 0 or the
 * whole input's result. The same bytes also go through the builders as a
 * name and as credentials split at the same point.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "socks5.h"
#include "fuzz_check.h"

enum parser { METHOD, METHOD_USERPASS, AUTH, CONNECT, PARSERS };

struct outcome {
	int ret;
	u8 method;
	struct mprox_socks5_reply reply;
};

/* Parse the first @len bytes of @data with @p, from a copy of exactly @len bytes. */
static struct outcome run(enum parser p, const u8 *data, size_t len)
{
	u8 *buf = malloc(len ? len : 1);
	struct outcome o;

	CHECK(buf);
	memcpy(buf, data, len);
	memset(&o, 0xa5, sizeof(o));
	switch (p) {
	case METHOD:
	case METHOD_USERPASS:
		o.ret = mprox_socks5_parse_method(buf, len, p == METHOD_USERPASS, &o.method);
		CHECK(o.ret == 0 || o.ret == 2 || o.ret == -EPROTO || o.ret == -EACCES);
		if (o.ret > 0)
			CHECK(o.method == 0 || (o.method == 2 && p == METHOD_USERPASS));
		if (o.ret == -EACCES)
			CHECK(buf[0] == 5 && buf[1] == 0xff);
		break;
	case AUTH:
		o.ret = mprox_socks5_parse_auth_reply(buf, len);
		CHECK(o.ret == 0 || o.ret == 2 || o.ret == -EPROTO || o.ret == -EACCES);
		if (o.ret == 2 || o.ret == -EACCES)
			CHECK((buf[0] == 1 || buf[0] == 5) && (buf[1] == 0) == (o.ret == 2));
		break;
	default:
		o.ret = mprox_socks5_parse_connect_reply(buf, len, &o.reply);
		CHECK(o.ret == 0 || o.ret == -EPROTO || (o.ret >= 8 && o.ret <= 262));
		if (o.ret > 0) {
			const struct mprox_dest *b = &o.reply.bnd;

			CHECK(o.reply.rep == buf[1]);
			CHECK(b->family == AF_INET || b->family == AF_INET6 ||
			      b->family == AF_UNSPEC);
			if (b->family == AF_INET)
				CHECK(o.ret == 10);
			if (b->family == AF_INET6)
				CHECK(o.ret == 22);
			if (b->family == AF_UNSPEC) {
				CHECK(b->name_len >= 1 && b->name_len <= 255);
				CHECK(b->name == (const char *)buf + 5);
				CHECK(o.ret == (int)(b->name_len + 7));
			}
			CHECK(b->port == (buf[o.ret - 2] << 8 | buf[o.ret - 1]));
			/* It points into a buffer about to be freed. */
			o.reply.bnd.name = NULL;
		}
		break;
	}
	CHECK(o.ret <= (int)len);
	free(buf);
	return o;
}

static void check_parser(enum parser p, const u8 *data, size_t len, size_t split)
{
	struct outcome whole = run(p, data, len), part = run(p, data, split), exact;

	if (part.ret)
		CHECK(part.ret == whole.ret);
	if (part.ret > 0)
		CHECK(!memcmp(&part, &whole, sizeof(part)));
	if (whole.ret > 0) {
		/* The reply alone is complete; one byte short of it is not. */
		exact = run(p, data, whole.ret);
		CHECK(!memcmp(&exact, &whole, sizeof(exact)));
		CHECK(run(p, data, whole.ret - 1).ret == 0);
	}
}

static void check_builders(const u8 *data, size_t len, size_t split)
{
	struct mprox_dest dest = { .family = AF_UNSPEC, .port = 443 };
	u8 out[MPROX_SOCKS5_AUTH_MAX];
	int ret;

	dest.name = (const char *)data;
	dest.name_len = len;
	ret = mprox_socks5_connect_request(out, sizeof(out), &dest);
	if (len == 0)
		CHECK(ret == -EINVAL);
	else if (len > 255)
		CHECK(ret == -ENAMETOOLONG);
	else if (memchr(data, '\0', len))
		CHECK(ret == -EINVAL);
	else
		CHECK(ret == (int)len + 7 && out[4] == len && !memcmp(out + 5, data, len));

	ret = mprox_socks5_auth_request(out, sizeof(out), (const char *)data, split,
					(const char *)data + split, len - split);
	/* The user is checked first, then the password. */
	if (split == 0)
		CHECK(ret == -EINVAL);
	else if (split > 255)
		CHECK(ret == -ENAMETOOLONG);
	else if (split == len)
		CHECK(ret == -EINVAL);
	else if (len - split > 255)
		CHECK(ret == -ENAMETOOLONG);
	else
		CHECK(ret == (int)len + 3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split, len;
	int p;

	if (size < 2)
		return 0;
	len = size - 2;
	split = (data[0] | data[1] << 8) % (len + 1);
	for (p = 0; p < PARSERS; p++)
		check_parser(p, data + 2, len, split);
	check_builders(data + 2, len, split);
	return 0;
}
