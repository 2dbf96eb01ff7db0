/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host runners of the codecs' case tables (test_socks5.c,
 * test_socks4.c, test_http.c, test_socks5_udp.c, test_dns.c) share: the
 * scratch buffer the cases run in and the TAP results of the kinds of case
 * every codec has, with what a failure needs to be understood.
 */
#ifndef MPROX_CODEC_RUNNER_H
#define MPROX_CODEC_RUNNER_H

#include <stdio.h>
#include <stdlib.h>

#include "unit_tap.h"

/* A scratch buffer of @size bytes, on the heap: ASan then sees a byte past its end. */
static inline u8 *codec_scratch(size_t size)
{
	u8 *scratch = malloc(size);

	if (!scratch)
		exit(1);
	return scratch;
}

/* A builder's case: built into @size bytes, the builder returned @ret. */
static inline void codec_build_result(const char *why, const char *desc, size_t size, int ret)
{
	char detail[80];

	snprintf(detail, sizeof(detail), " (into %zu bytes: returned %d)", size, ret);
	result_detail(why, desc, detail);
}

/* A parser's case: given @fed of @len bytes, it returned @ret, not @want. */
static inline void codec_reply_result(const char *why, const char *desc, size_t fed, size_t len,
				      int ret, int want)
{
	char detail[80];

	snprintf(detail, sizeof(detail), " (%zu of %zu bytes: returned %d, want %d)", fed, len, ret,
		 want);
	result_detail(why, desc, detail);
}

#endif /* MPROX_CODEC_RUNNER_H */
