// SPDX-License-Identifier: GPL-2.0
/*
 * The DNS messages (driver/dns.c), built for the host with
 * tests/shim/kernel_shim.h. The cases are driver/dns_test_cases.h, which
 * the KUnit suite runs too; this is only the runner. Prints TAP.
 */
#include "dns.h"
#include "dns_test_cases.h"
#include "codec_runner.h"

int main(void)
{
	u8 *scratch = codec_scratch(MPROX_DNS_TEST_SCRATCH);
	char desc[80], detail[80];
	size_t i, k;
	int ret;

	printf("1..%zu\n",
	       ARRAY_SIZE(mprox_dns_query_cases) + ARRAY_SIZE(mprox_dns_build_cases) +
		       ARRAY_SIZE(mprox_dns_response_cases) + ARRAY_SIZE(mprox_dns_cache_cases) +
		       ARRAY_SIZE(mprox_dns_opt_cases) + ARRAY_SIZE(mprox_dns_name_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_dns_query_cases); i++) {
		const struct mprox_dns_query_case *c = &mprox_dns_query_cases[i];
		const char *why = mprox_dns_query_case_run(c, scratch, &ret, &k);

		snprintf(detail, sizeof(detail), " (%zu of %zu bytes: %s, want %s)", k, c->len,
			 mprox_dns_verdict_name(ret), mprox_dns_verdict_name(c->verdict));
		snprintf(desc, sizeof(desc), "query: %s", c->desc);
		result_detail(why, desc, detail);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_dns_build_cases); i++) {
		const struct mprox_dns_build_case *c = &mprox_dns_build_cases[i];
		const char *why = mprox_dns_build_case_run(c, scratch, &ret, &k);

		codec_build_result(why, c->desc, k, ret);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_dns_response_cases); i++) {
		const struct mprox_dns_response_case *c = &mprox_dns_response_cases[i];
		const char *why = mprox_dns_response_case_run(c, scratch, &ret, &k);

		snprintf(desc, sizeof(desc), "response: %s", c->desc);
		codec_reply_result(why, desc, k, c->len, ret, c->ret);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_dns_cache_cases); i++) {
		const struct mprox_dns_cache_case *c = &mprox_dns_cache_cases[i];
		const char *why = mprox_dns_cache_case_run(c, scratch, &ret);

		snprintf(desc, sizeof(desc), "cached response: %s", c->desc);
		snprintf(detail, sizeof(detail), " (returned %d, want %d)", ret, c->ret);
		result_detail(why, desc, detail);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_dns_opt_cases); i++) {
		const struct mprox_dns_opt_case *c = &mprox_dns_opt_cases[i];
		const char *why = mprox_dns_opt_case_run(c, scratch, &ret);

		snprintf(desc, sizeof(desc), "query OPT: %s", c->desc);
		snprintf(detail, sizeof(detail), " (returned %d, want %d)", ret, c->ret);
		result_detail(why, desc, detail);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_dns_name_cases); i++) {
		const struct mprox_dns_name_case *c = &mprox_dns_name_cases[i];

		snprintf(desc, sizeof(desc), "name of %zu bytes \"%.40s\" %s", c->len, c->name,
			 c->valid ? "valid" : "invalid");
		result(mprox_dns_name_case_run(c), desc);
	}
	free(scratch);
	return failed ? 1 : 0;
}
