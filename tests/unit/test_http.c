// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP CONNECT codec (driver/http.c), built for the host with
 * tests/shim/kernel_shim.h. The cases are driver/http_test_cases.h, which
 * the KUnit suite runs too; this is only the runner. Prints TAP.
 */
#include "http.h"
#include "http_test_cases.h"
#include "codec_runner.h"

int main(void)
{
	u8 *scratch = codec_scratch(2 * MPROX_HTTP_TEST_SCRATCH);
	struct mprox_codec_step step;
	char detail[100];
	size_t i, k;
	int ret;

	printf("1..%zu\n", ARRAY_SIZE(mprox_http_build_cases) + ARRAY_SIZE(mprox_http_reply_cases) +
				   ARRAY_SIZE(mprox_http_result_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_http_build_cases); i++) {
		const struct mprox_http_build_case *c = &mprox_http_build_cases[i];
		const char *why = mprox_http_build_case_run(c, scratch, &ret, &k);

		codec_build_result(why, c->desc, k, ret);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_http_reply_cases); i++) {
		const struct mprox_http_reply_case *c = &mprox_http_reply_cases[i];
		const char *why = mprox_http_reply_case_run(c, scratch, &step, &k);

		snprintf(detail, sizeof(detail),
			 " (%zu of %zu bytes: event %d result %d used %zu, want %d %d at %zu)", k,
			 mprox_http_reply_len(c), step.event, step.result, step.used, c->event,
			 c->result, c->at);
		result_detail(why, c->desc, detail);
	}
	for (i = 0; i < ARRAY_SIZE(mprox_http_result_cases); i++)
		result(mprox_http_result_case_run(&mprox_http_result_cases[i]),
		       mprox_http_result_cases[i].desc);
	free(scratch);
	return failed ? 1 : 0;
}
