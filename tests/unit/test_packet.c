// SPDX-License-Identifier: GPL-2.0
/*
 * The packet header parser (driver/packet.c), built for the host with
 * tests/shim/kernel_shim.h. The cases are driver/packet_test_cases.h, which
 * the KUnit suite runs too; this is only the runner. Every parse reads a
 * heap copy of exactly the bytes it is given, so that AddressSanitizer
 * catches a read past them. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>

#include "packet.h"
#include "packet_test_cases.h"
#include "unit_tap.h"

int main(void)
{
	u8 buf[T_BUF_MAX];
	size_t i, k;

	printf("1..%zu\n", ARRAY_SIZE(mprox_pkt_cases) + T_TMPL_COUNT);
	for (i = 0; i < ARRAY_SIZE(mprox_pkt_cases); i++) {
		const struct mprox_pkt_case *c = &mprox_pkt_cases[i];
		/* malloc(0) may return NULL; one byte more is never read. */
		u8 *copy = malloc(mprox_pkt_case_len(c) ?: 1);
		const char *why;
		char msg[96];
		int ret;

		if (!copy)
			return 2;
		why = mprox_pkt_case_run(c, buf, copy, &ret);
		if (why) {
			snprintf(msg, sizeof(msg), "%s (verdict %s, want %s)", why,
				 mprox_pkt_verdict_name(ret), mprox_pkt_verdict_name(c->verdict));
			why = msg;
		}
		result(why, c->desc);
		free(copy);
	}
	for (i = 0; i < T_TMPL_COUNT; i++) {
		const char *why = NULL;
		char desc[96], msg[64];

		for (k = 0; k <= mprox_pkt_tmpls[i].len && !why; k++) {
			u8 *copy = malloc(k ?: 1);

			if (!copy)
				return 2;
			why = mprox_pkt_prefix_run(i, k, copy);
			if (why) {
				snprintf(msg, sizeof(msg), "%s at %zu bytes", why, k);
				why = msg;
			}
			free(copy);
		}
		snprintf(desc, sizeof(desc), "%s: every prefix", mprox_pkt_tmpls[i].name);
		result(why, desc);
	}
	return failed ? 1 : 0;
}
