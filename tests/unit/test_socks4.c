// SPDX-License-Identifier: GPL-2.0
/*
 * The SOCKS4 and SOCKS4a codecs (driver/socks4.c), built for the host with
 * tests/shim/kernel_shim.h. The cases are driver/socks4_test_cases.h, which
 * the KUnit suite runs too; this is only the runner. Prints TAP.
 */
#include "socks4.h"
#include "socks4_test_cases.h"
#include "codec_runner.h"

int main(void)
{
	u8 *scratch = codec_scratch(MPROX_SOCKS4_TEST_SCRATCH);
	size_t i, k;
	int ret;

	printf("1..%zu\n", ARRAY_SIZE(mprox_socks4_request_cases) +
				   ARRAY_SIZE(mprox_socks4_reply_cases) +
				   ARRAY_SIZE(mprox_socks4_seq_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_socks4_request_cases); i++) {
		const struct mprox_socks4_request_case *c = &mprox_socks4_request_cases[i];
		const char *why = mprox_socks4_request_case_run(c, scratch, &ret, &k);

		codec_build_result(why, c->desc, k, ret);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_socks4_reply_cases); i++) {
		const struct mprox_socks4_reply_case *c = &mprox_socks4_reply_cases[i];
		const char *why = mprox_socks4_reply_case_run(c, scratch, &ret, &k);

		codec_reply_result(why, c->desc, k, c->len, ret, c->ret);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_socks4_seq_cases); i++)
		result(mprox_socks4_seq_case_run(&mprox_socks4_seq_cases[i], scratch),
		       mprox_socks4_seq_cases[i].desc);
	free(scratch);
	return failed ? 1 : 0;
}
