// SPDX-License-Identifier: GPL-2.0
/*
 * SOCKS4 and SOCKS4a client codecs. The contract, and what each reply
 * comes to, is in socks4.h.
 *
 * The builder checks its arguments, then the room it has, and only then
 * writes. The parser looks at the reply byte by byte, in wire order, and
 * returns 0 as soon as the next byte has not arrived: so an index is
 * compared with @len before each read, an outcome is reported by the first
 * byte that decides it, and the result for a prefix of the bytes is 0 or
 * the result for all of them.
 *
 * The same file builds in the kernel and, with tests/shim/kernel_shim.h, in
 * userspace: no kernel helper without a libc twin, and so no %pI6c; the
 * address text is dest.c's.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include "kernel_shim.h"
#endif
#include "dest.h"
#include "socks4.h"

/* The DSTIP of a SOCKS4a name request: 0.0.0.x with x != 0. */
static const u8 socks4a_marker[4] = { 0, 0, 0, 1 };

/* A user id: any length 0..255, @user may be NULL when empty; no NUL. */
static int check_user(const char *user, size_t len)
{
	if (!len)
		return 0;
	if (!user)
		return -EINVAL;
	if (len > MPROX_SOCKS4_USER_MAX)
		return -ENAMETOOLONG;
	if (memchr(user, '\0', len))
		return -EINVAL;
	return 0;
}

int mprox_socks4_request(u8 *buf, size_t size, const struct mprox_dest *dest,
			 const char *user, size_t user_len, bool socks4a)
{
	char text[MPROX_DEST_V6_TEXT_MAX];
	const char *name = NULL;
	size_t name_len = 0, n;
	const u8 *ip = NULL;
	int err;

	switch (dest->family) {
	case AF_INET:
		ip = (const u8 *)&dest->addr.v4.s_addr;
		if (ip[0] || ip[1] || ip[2] || !ip[3])
			break;
		/* 0.0.0.x, x != 0: it would read as a SOCKS4a name request. */
		if (!socks4a)
			return -EAFNOSUPPORT;
		name_len = mprox_dest_v4_text(text, &dest->addr.v4);
		name = text;
		break;
	case AF_INET6:
		if (!socks4a)
			return -EAFNOSUPPORT;
		name_len = mprox_dest_v6_text(text, &dest->addr.v6, true);
		name = text;
		break;
	case AF_UNSPEC:
		if (!socks4a)
			return -EAFNOSUPPORT;
		name = dest->name;
		name_len = dest->name_len;
		if (!name || !name_len)
			return -EINVAL;
		if (name_len > MPROX_SOCKS4_NAME_MAX)
			return -ENAMETOOLONG;
		/* A proxy reading up to the NUL would see a shorter name. */
		if (memchr(name, '\0', name_len))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	err = check_user(user, user_len);
	if (err)
		return err;
	n = 8 + user_len + 1 + (name ? name_len + 1 : 0);
	if (size < n)
		return -ENOSPC;

	buf[0] = MPROX_SOCKS4_VERSION;
	buf[1] = MPROX_SOCKS4_CMD_CONNECT;
	buf[2] = dest->port >> 8;
	buf[3] = dest->port & 0xff;
	memcpy(buf + 4, name ? socks4a_marker : ip, 4);
	if (user_len)
		memcpy(buf + 8, user, user_len);
	buf[8 + user_len] = '\0';
	if (name) {
		memcpy(buf + 9 + user_len, name, name_len);
		buf[9 + user_len + name_len] = '\0';
	}
	return n;
}

int mprox_socks4_parse_reply(const u8 *buf, size_t len)
{
	if (len < 1)
		return 0;
	/* 0 in the protocol; 4, the request's version, from some servers. */
	if (buf[0] != MPROX_SOCKS4_REPLY_VERSION && buf[0] != MPROX_SOCKS4_VERSION)
		return -EPROTO;
	if (len < 2)
		return 0;
	switch (buf[1]) {
	case MPROX_SOCKS4_CD_GRANTED:
		break;
	case MPROX_SOCKS4_CD_REJECTED:
		return -ECONNREFUSED;
	case MPROX_SOCKS4_CD_NO_IDENTD:
	case MPROX_SOCKS4_CD_IDENT_MISMATCH:
		return -EACCES;
	default:
		return -EPROTO;
	}
	/* DSTPORT and DSTIP carry nothing a client needs: not looked at. */
	return len < MPROX_SOCKS4_REPLY_LEN ? 0 : MPROX_SOCKS4_REPLY_LEN;
}

/* The codecs (codec.h): the exchange above as steps. */
enum {
	S4_START = MPROX_CODEC_STEP_START,
	S4_READY = MPROX_CODEC_STEP_OPENED,	/* open() done; the request next */
	S4_SENT,		/* request sent; its reply next */
	S4_DONE,
};

static void s4_request_common(struct mprox_codec_state *st, const struct mprox_codec_creds *cr,
			      const struct mprox_dest *dest, u8 *out, size_t size,
			      struct mprox_codec_step *step, bool socks4a)
{
	int n;

	memset(step, 0, sizeof(*step));
	/* Not READY, or a user the proxy must not see: not about @dest. */
	if (st->step != S4_READY || check_user(cr->user, cr->user_len)) {
		mprox_codec_fail(st, step, S4_DONE, MPROX_CONNECT_PROXY_ERROR);
		return;
	}
	n = mprox_socks4_request(out, size, dest, cr->user, cr->user_len, socks4a);
	if (n == -EAFNOSUPPORT) {
		mprox_codec_fail(st, step, S4_DONE, MPROX_CONNECT_NET_UNREACH);
		return;
	}
	if (n < 0) {
		/* -ENOSPC is the engine's doing; the rest is @dest's. */
		mprox_codec_fail(st, step, S4_DONE,
				 n == -ENOSPC ? MPROX_CONNECT_PROXY_ERROR :
						MPROX_CONNECT_GENERAL_FAILURE);
		return;
	}
	st->step = S4_SENT;
	step->event = MPROX_CODEC_SEND;
	step->out_len = n;
}

static void s4_request(struct mprox_codec_state *st, const struct mprox_codec_creds *cr,
		       const struct mprox_dest *dest, u8 *out, size_t size,
		       struct mprox_codec_step *step)
{
	s4_request_common(st, cr, dest, out, size, step, false);
}

static void s4a_request(struct mprox_codec_state *st, const struct mprox_codec_creds *cr,
			const struct mprox_dest *dest, u8 *out, size_t size,
			struct mprox_codec_step *step)
{
	s4_request_common(st, cr, dest, out, size, step, true);
}

/* FAILED uses no bytes: the engine closes the connection to the proxy. */
static void s4_reply(struct mprox_codec_state *st,
		     const struct mprox_codec_creds *cr __always_unused,
		     const u8 *buf, size_t len, u8 *out __always_unused,
		     size_t size __always_unused, struct mprox_codec_step *step)
{
	int ret;

	memset(step, 0, sizeof(*step));
	if (st->step != S4_SENT) {
		/* Bytes when none were asked for. */
		mprox_codec_fail(st, step, S4_DONE, MPROX_CONNECT_PROXY_ERROR);
		return;
	}
	ret = mprox_socks4_parse_reply(buf, len);
	if (!ret) {
		step->event = MPROX_CODEC_MORE;
		return;
	}
	if (ret > 0) {
		st->step = S4_DONE;
		step->event = MPROX_CODEC_CONNECTED;
		step->result = MPROX_CONNECT_OK;
		step->used = ret;
		return;
	}
	switch (ret) {
	case -ECONNREFUSED:
		mprox_codec_fail(st, step, S4_DONE, MPROX_CONNECT_REFUSED);
		break;
	case -EACCES:
		mprox_codec_fail(st, step, S4_DONE, MPROX_CONNECT_AUTH_FAILED);
		break;
	default:
		mprox_codec_fail(st, step, S4_DONE, MPROX_CONNECT_PROXY_ERROR);
		break;
	}
}

/* SOCKS4's longest request has no name. */
const struct mprox_codec mprox_socks4_codec = {
	.name = "socks4",
	.reply_max = MPROX_SOCKS4_REPLY_LEN,
	.out_max = 8 + MPROX_SOCKS4_USER_MAX + 1,
	.open = mprox_codec_open_ready,
	.request = s4_request,
	.reply = s4_reply,
};

const struct mprox_codec mprox_socks4a_codec = {
	.name = "socks4a",
	.reply_max = MPROX_SOCKS4_REPLY_LEN,
	.out_max = MPROX_SOCKS4_REQUEST_MAX,
	.open = mprox_codec_open_ready,
	.request = s4a_request,
	.reply = s4_reply,
};
