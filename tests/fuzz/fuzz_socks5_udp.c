// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for driver/socks5_udp.c (with the address part of
 * driver/socks5.c). The first two bytes of the input pick a split point
 * (little endian); the rest is a datagram from the relay, parsed whole and
 * cut at the split, each from a heap copy of exactly its length so that
 * ASan catches a read past it. The invariants are the contract: an outcome
 * from the documented set, a header no longer than the datagram and of the
 * length its ATYP says, a cut datagram TRUNCATED or with the whole one's
 * outcome, and a parsed header that encodes back to the same bytes. The
 * same bytes then go through the builder as a name and as addresses, and
 * what it writes must parse back to them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "socks5_udp.h"
#include "fuzz_check.h"

struct outcome {
	int ret;
	struct mprox_dest dest;
	size_t name_off; /* of a name, from the start of the datagram */
};

/* A heap copy of the @len bytes at @data, exactly that long. */
static u8 *copy(const u8 *data, size_t len)
{
	u8 *buf = malloc(len ? len : 1);

	CHECK(buf);
	memcpy(buf, data, len);
	return buf;
}

/* Encode @d again: the @n bytes at @hdr, or -EINVAL for a name with a NUL. */
static void check_encodes_back(const struct mprox_dest *d, const u8 *hdr, int n)
{
	bool nul = d->family == AF_UNSPEC && memchr(d->name, '\0', d->name_len);
	u8 *out = malloc(n);

	CHECK(out);
	CHECK(mprox_socks5_udp_header(d, out, n) == (nul ? -EINVAL : n));
	if (!nul)
		CHECK(!memcmp(out, hdr, n));
	CHECK(mprox_socks5_udp_header(d, out, n - 1) == (nul ? -EINVAL : -ENOSPC));
	free(out);
}

static struct outcome parse(const u8 *data, size_t len)
{
	u8 *buf = copy(data, len);
	struct outcome o;
	struct mprox_dest poison;

	memset(&o, 0, sizeof(o));
	memset(&o.dest, 0xa5, sizeof(o.dest));
	memcpy(&poison, &o.dest, sizeof(poison));
	o.ret = mprox_socks5_udp_parse(buf, len, &o.dest);
	if (o.ret < 0) {
		CHECK(o.ret <= -MPROX_SOCKS5_UDP_TRUNCATED && o.ret > -MPROX_SOCKS5_UDP_DROP_COUNT);
		CHECK(!memcmp(&o.dest, &poison, sizeof(poison)));
		free(buf);
		return o;
	}
	CHECK(o.ret >= MPROX_SOCKS5_UDP_HDR_MIN && o.ret <= MPROX_SOCKS5_UDP_HDR_MAX);
	CHECK((size_t)o.ret <= len && !buf[0] && !buf[1] && !buf[2]);
	switch (o.dest.family) {
	case AF_INET:
		CHECK(buf[3] == 1 && o.ret == 10 && !memcmp(&o.dest.addr.v4, buf + 4, 4));
		break;
	case AF_INET6:
		CHECK(buf[3] == 4 && o.ret == 22 && !memcmp(&o.dest.addr.v6, buf + 4, 16));
		break;
	default:
		CHECK(o.dest.family == AF_UNSPEC && buf[3] == 3);
		CHECK(o.dest.name_len >= 1 && o.dest.name_len <= 255 && buf[4] == o.dest.name_len);
		CHECK(o.dest.name == (const char *)buf + 5 && o.ret == (int)o.dest.name_len + 7);
		o.name_off = 5;
		break;
	}
	CHECK(o.dest.port == (buf[o.ret - 2] << 8 | buf[o.ret - 1]));
	check_encodes_back(&o.dest, buf, o.ret);
	/* It points into a buffer about to be freed. */
	o.dest.name = NULL;
	free(buf);
	return o;
}

/* @d built and parsed back: the same destination, a name in the header. */
static void check_builds(const struct mprox_dest *d)
{
	u8 *out = malloc(MPROX_SOCKS5_UDP_HDR_MAX);
	struct mprox_dest back;
	int n;

	CHECK(out);
	n = mprox_socks5_udp_header(d, out, MPROX_SOCKS5_UDP_HDR_MAX);
	if (d->family == AF_UNSPEC &&
	    (!d->name_len || d->name_len > 255 || memchr(d->name, '\0', d->name_len))) {
		CHECK(n == -EINVAL);
		free(out);
		return;
	}
	CHECK(n > 0 && mprox_socks5_udp_parse(out, n, &back) == n);
	CHECK(back.family == d->family && back.port == d->port);
	if (d->family == AF_INET)
		CHECK(!memcmp(&back.addr.v4, &d->addr.v4, 4));
	else if (d->family == AF_INET6)
		CHECK(!memcmp(&back.addr.v6, &d->addr.v6, 16));
	else
		CHECK(back.name == (const char *)out + 5 && back.name_len == d->name_len &&
		      !memcmp(back.name, d->name, d->name_len));
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, part;
	struct mprox_dest d;
	size_t split, len;

	if (size < 2)
		return 0;
	len = size - 2;
	split = (data[0] | data[1] << 8) % (len + 1);
	data += 2;

	whole = parse(data, len);
	part = parse(data, split);
	if (whole.ret > 0 && split < (size_t)whole.ret)
		CHECK(part.ret == -MPROX_SOCKS5_UDP_TRUNCATED);
	else if (whole.ret > 0 || part.ret != -MPROX_SOCKS5_UDP_TRUNCATED)
		CHECK(!memcmp(&part, &whole, sizeof(part)));

	memset(&d, 0, sizeof(d));
	d.port = split;
	d.family = AF_UNSPEC;
	d.name = (const char *)data;
	d.name_len = len;
	check_builds(&d);
	if (len >= 16) {
		d.family = AF_INET;
		memcpy(&d.addr.v4, data, 4);
		check_builds(&d);
		d.family = AF_INET6;
		memcpy(&d.addr.v6, data, 16);
		check_builds(&d);
	}
	return 0;
}
