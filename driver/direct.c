// SPDX-License-Identifier: GPL-2.0
/*
 * The "direct" codec; see direct.h.
 */

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#endif

#include "direct.h"

/* The connect was the whole exchange: the destination accepted. */
static void mprox_direct_request(struct mprox_codec_state *st,
				 const struct mprox_codec_creds *cr __always_unused,
				 const struct mprox_dest *dest __always_unused,
				 u8 *out __always_unused,
				 size_t size __always_unused,
				 struct mprox_codec_step *step)
{
	memset(step, 0, sizeof(*step));
	st->step = MPROX_CODEC_STEP_OPENED + 1;
	step->event = MPROX_CODEC_CONNECTED;
}

/* Never called: nothing is asked, so the destination has nothing to answer. */
static void mprox_direct_reply(struct mprox_codec_state *st,
			       const struct mprox_codec_creds *cr __always_unused,
			       const u8 *buf __always_unused,
			       size_t len __always_unused,
			       u8 *out __always_unused,
			       size_t size __always_unused,
			       struct mprox_codec_step *step)
{
	memset(step, 0, sizeof(*step));
	mprox_codec_fail(st, step, st->step, MPROX_CONNECT_PROXY_ERROR);
}

enum mprox_connect_result mprox_direct_result(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return MPROX_CONNECT_REFUSED;
	case ENETUNREACH:
		return MPROX_CONNECT_NET_UNREACH;
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return MPROX_CONNECT_HOST_UNREACH;
	case ETIMEDOUT:
		return MPROX_CONNECT_TIMEOUT;
	case EACCES:
	case EPERM:
		return MPROX_CONNECT_NOT_ALLOWED;
	default:
		return MPROX_CONNECT_GENERAL_FAILURE;
	}
}

const struct mprox_codec mprox_direct_codec = {
	.name = "direct",
	.reply_max = 1,
	.out_max = 1,
	.to_dest = true,
	.connect_error = mprox_direct_result,
	.open = mprox_codec_open_ready,
	.request = mprox_direct_request,
	.reply = mprox_direct_reply,
};
