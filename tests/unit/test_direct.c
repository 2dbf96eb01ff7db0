// SPDX-License-Identifier: GPL-2.0
/*
 * The "direct" codec (driver/direct.c), built for the host with
 * tests/shim/kernel_shim.h: what the application gets for each way the
 * driver's own connect to the destination can fail, and the codec's two
 * steps (ready at once, connected at the request). Prints TAP.
 */
#include <stdio.h>

#include "direct.h"
#include "unit_tap.h"

static const struct {
	int err;
	enum mprox_connect_result want;
} cases[] = {
	{ ECONNREFUSED, MPROX_CONNECT_REFUSED }, /* RST: ECONNREFUSED */
	{ ENETUNREACH, MPROX_CONNECT_NET_UNREACH }, { EHOSTUNREACH, MPROX_CONNECT_HOST_UNREACH },
	{ EHOSTDOWN, MPROX_CONNECT_HOST_UNREACH },  { ETIMEDOUT, MPROX_CONNECT_TIMEOUT },
	{ EACCES, MPROX_CONNECT_NOT_ALLOWED }, /* a firewall's prohibited */
	{ EPERM, MPROX_CONNECT_NOT_ALLOWED },	    { EPROTO, MPROX_CONNECT_GENERAL_FAILURE },
	{ 0, MPROX_CONNECT_GENERAL_FAILURE }, /* closed with no error */
};

int main(void)
{
	struct mprox_codec_state st = { 0 };
	struct mprox_codec_step step;
	struct mprox_dest dest = { .family = AF_INET, .port = 80 };
	char desc[64];
	size_t i;

	printf("1..%zu\n", sizeof(cases) / sizeof(cases[0]) + 3);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(desc, sizeof(desc), "errno %d: result %d", cases[i].err, cases[i].want);
		result(mprox_direct_result(cases[i].err) == cases[i].want ? NULL : "another result",
		       desc);
	}
	result(mprox_direct_codec.to_dest && mprox_direct_codec.connect_error == mprox_direct_result
		       ? NULL
		       : "not a to_dest codec with its connect_error",
	       "the codec connects to the destination and maps its errors");
	mprox_direct_codec.open(&st, NULL, NULL, 0, &step);
	result(step.event == MPROX_CODEC_READY ? NULL : "not READY", "open: ready at once");
	mprox_direct_codec.request(&st, NULL, &dest, NULL, 0, &step);
	result(step.event == MPROX_CODEC_CONNECTED && !step.out_len
		       ? NULL
		       : "not CONNECTED, or bytes to send",
	       "request: connected, nothing sent");
	return failed ? 1 : 0;
}
