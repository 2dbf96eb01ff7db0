// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the header parser of driver/packet.c. The input is
 * a packet from its network header. It is parsed whole, then again from
 * prefixes the way mprox_pkt_parse_skb() does (each time a heap copy of
 * exactly the bytes the parser is given, so that a read past them is an
 * out-of-bounds access). Besides the sanitizers' checks, the verdict must
 * be in the documented set, what the parser fills in must lie inside the
 * packet, and parsing in steps must end where parsing the whole does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "packet.h"
#include "fuzz_check.h"

static void check_result(int ret, const struct mprox_pkt *p, size_t len, size_t pkt_len)
{
	CHECK(ret >= MPROX_PKT_OK && ret < MPROX_PKT_VERDICT_COUNT);
	/* Only a buffer shorter than the packet can need more. */
	CHECK(ret != MPROX_PKT_NEED_MORE || (p->need > len && p->need <= pkt_len));
	if (ret == MPROX_PKT_NEED_MORE)
		return;
	CHECK(p->need == 0);
	if (ret != MPROX_PKT_OK && ret != MPROX_PKT_UNSUPPORTED_PROTO && ret != MPROX_PKT_FRAGMENT)
		return;
	CHECK(p->family == AF_INET || p->family == AF_INET6);
	CHECK(p->len <= pkt_len);
	if (p->family == AF_INET)
		CHECK(p->nhlen >= 20 && p->nhlen <= 60 && p->nhlen % 4 == 0);
	else
		CHECK(p->nhlen == 40 && p->len > 40);
	CHECK(p->nhlen <= p->len && p->nhlen <= len);
	if (ret == MPROX_PKT_FRAGMENT)
		return;
	CHECK(p->thoff >= p->nhlen && p->thoff <= p->len);
	CHECK(p->thoff - p->nhlen <= MPROX_PKT_EXT_BYTES_MAX);
	CHECK(p->family == AF_INET6 || p->thoff == p->nhlen);
	if (ret == MPROX_PKT_UNSUPPORTED_PROTO) {
		CHECK(p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP);
		return;
	}
	/* OK: the transport header is whole, in the buffer and in the packet. */
	CHECK(p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP);
	if (p->proto == IPPROTO_TCP)
		CHECK(p->thlen >= 20 && p->thlen <= MPROX_PKT_TCP_MAX && p->thlen % 4 == 0);
	else
		CHECK(p->thlen == 8 && p->tcp_flags == 0);
	CHECK((size_t)p->thoff + p->thlen <= len);
	CHECK(mprox_pkt_csum_off(p) + 2 <= (size_t)p->thoff + p->thlen);
	CHECK((size_t)p->thoff + p->thlen + p->payload_len <= p->len);
	CHECK((size_t)p->thoff + p->thlen <= MPROX_PKT_HDR_MAX);
}

static int parse_copy(const uint8_t *data, size_t len, size_t pkt_len, struct mprox_pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	int ret;

	CHECK(copy);
	memcpy(copy, data, len);
	/* Poisoned, so that a field left unset shows. */
	memset(p, 0xa5, sizeof(*p));
	ret = mprox_pkt_parse_buf(copy, len, pkt_len, p);
	free(copy);
	check_result(ret, p, len, pkt_len);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mprox_pkt whole, p;
	size_t len, starts[3] = { 0, 1, size / 2 };
	int want, ret;
	unsigned int i, steps;

	want = parse_copy(data, size, size, &whole);
	CHECK(want != MPROX_PKT_NEED_MORE);

	for (i = 0; i < 3; i++) {
		len = starts[i] < size ? starts[i] : size;
		for (steps = 0;; steps++) {
			ret = parse_copy(data, len, size, &p);
			if (ret != MPROX_PKT_NEED_MORE)
				break;
			/* Each step asks for a header's worth: the chain is short. */
			CHECK(steps < 32);
			len = p.need;
		}
		CHECK(ret == want);
		CHECK(!memcmp(&p, &whole, sizeof(p)));
	}
	return 0;
}
