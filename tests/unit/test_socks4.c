// SPDX-License-Identifier: GPL-2.0
/*
 * The SOCKS4 and SOCKS4a codecs (driver/socks4.c), built for the host with
 * tests/shim/kernel_shim.h. The cases are driver/socks4_test_cases.h, which
 * the KUnit suite runs too; this is only the runner. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>

#include "socks4.h"
#include "socks4_test_cases.h"

static int n, failed;

static void result(const char *why, const char *desc, const char *detail)
{
	n++;
	if (why)
		failed++;
	printf("%sok %d - %s%s%s%s\n", why ? "not " : "", n, desc, why ? ": " : "", why ? why : "",
	       why ? detail : "");
}

int main(void)
{
	/* Heap, not stack: ASan then sees a byte past its end. */
	u8 *scratch = malloc(MPROX_SOCKS4_TEST_SCRATCH);
	char detail[80];
	size_t i, k;
	int ret;

	if (!scratch)
		return 1;
	printf("1..%zu\n", ARRAY_SIZE(mprox_socks4_request_cases) +
				   ARRAY_SIZE(mprox_socks4_reply_cases) +
				   ARRAY_SIZE(mprox_socks4_seq_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_socks4_request_cases); i++) {
		const struct mprox_socks4_request_case *c = &mprox_socks4_request_cases[i];
		const char *why = mprox_socks4_request_case_run(c, scratch, &ret, &k);

		snprintf(detail, sizeof(detail), " (into %zu bytes: returned %d)", k, ret);
		result(why, c->desc, detail);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_socks4_reply_cases); i++) {
		const struct mprox_socks4_reply_case *c = &mprox_socks4_reply_cases[i];
		const char *why = mprox_socks4_reply_case_run(c, scratch, &ret, &k);

		snprintf(detail, sizeof(detail), " (%zu of %zu bytes: returned %d, want %d)", k,
			 c->len, ret, c->ret);
		result(why, c->desc, detail);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_socks4_seq_cases); i++)
		result(mprox_socks4_seq_case_run(&mprox_socks4_seq_cases[i], scratch),
		       mprox_socks4_seq_cases[i].desc, "");
	free(scratch);
	return failed ? 1 : 0;
}
