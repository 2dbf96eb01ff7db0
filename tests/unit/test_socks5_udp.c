// SPDX-License-Identifier: GPL-2.0
/*
 * The SOCKS5 UDP header (driver/socks5_udp.c, with the address part of
 * driver/socks5.c), built for the host with tests/shim/kernel_shim.h. The
 * cases are driver/socks5_udp_test_cases.h, which the KUnit suite runs
 * too; this is only the runner. Prints TAP.
 */
#include "socks5_udp.h"
#include "socks5_udp_test_cases.h"
#include "codec_runner.h"

int main(void)
{
	u8 *scratch = codec_scratch(MPROX_SOCKS5_UDP_TEST_SCRATCH);
	size_t i, k;
	int ret;

	printf("1..%zu\n",
	       ARRAY_SIZE(mprox_socks5_udp_build_cases) + ARRAY_SIZE(mprox_socks5_udp_parse_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_socks5_udp_build_cases); i++) {
		const struct mprox_socks5_udp_build_case *c = &mprox_socks5_udp_build_cases[i];
		const char *why = mprox_socks5_udp_build_case_run(c, scratch, &ret, &k);

		codec_build_result(why, c->desc, k, ret);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_socks5_udp_parse_cases); i++) {
		const struct mprox_socks5_udp_parse_case *c = &mprox_socks5_udp_parse_cases[i];
		const char *why = mprox_socks5_udp_parse_case_run(c, scratch, &ret, &k);

		codec_reply_result(why, c->desc, k, c->len + c->payload, ret, c->ret);
	}
	free(scratch);
	return failed ? 1 : 0;
}
