// SPDX-License-Identifier: GPL-2.0
/*
 * SOCKS5 client codec: RFC 1928 requests and replies, RFC 1929
 * username/password. The contract is in socks5.h.
 *
 * Builders check their arguments, then the room they have, and only then
 * write. Parsers look at the reply field by field, in wire order, and
 * return 0 as soon as the next field has not arrived: so an index is
 * compared with @len before each read, a violation is reported by the
 * first byte that shows it, and the result for a prefix of the bytes is 0
 * or the result for all of them.
 *
 * The same file builds in the kernel and, with tests/shim/kernel_shim.h, in
 * userspace: no kernel helper without a libc twin.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include "kernel_shim.h"
#endif
#include "socks5.h"

static void put_port(u8 *p, u16 port)
{
	p[0] = port >> 8;
	p[1] = port & 0xff;
}

static u16 get_port(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

/* A length-prefixed field: 1..255 bytes. */
static int check_field(const char *s, size_t len)
{
	if (!s || !len)
		return -EINVAL;
	if (len > MPROX_SOCKS5_FIELD_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int mprox_socks5_greeting(u8 *buf, size_t size, bool userpass)
{
	size_t n = userpass ? 4 : 3;

	if (size < n)
		return -ENOSPC;
	buf[0] = MPROX_SOCKS5_VERSION;
	buf[1] = n - 2;
	buf[2] = MPROX_SOCKS5_METHOD_NONE;
	if (userpass)
		buf[3] = MPROX_SOCKS5_METHOD_USERPASS;
	return n;
}

int mprox_socks5_auth_request(u8 *buf, size_t size, const char *user, size_t user_len,
			      const char *password, size_t password_len)
{
	size_t n;
	int err;

	err = check_field(user, user_len);
	if (err)
		return err;
	err = check_field(password, password_len);
	if (err)
		return err;
	n = 3 + user_len + password_len;
	if (size < n)
		return -ENOSPC;
	buf[0] = MPROX_SOCKS5_AUTH_VERSION;
	buf[1] = user_len;
	memcpy(buf + 2, user, user_len);
	buf[2 + user_len] = password_len;
	memcpy(buf + 3 + user_len, password, password_len);
	return n;
}

int mprox_socks5_addr_len(const struct mprox_dest *dest)
{
	int err;

	switch (dest->family) {
	case AF_INET:
		return 1 + 4 + 2;
	case AF_INET6:
		return 1 + 16 + 2;
	case AF_UNSPEC:
		err = check_field(dest->name, dest->name_len);
		if (err)
			return err;
		if (memchr(dest->name, '\0', dest->name_len))
			return -EINVAL;
		return 2 + dest->name_len + 2;
	default:
		return -EINVAL;
	}
}

void mprox_socks5_put_addr(u8 *p, const struct mprox_dest *dest)
{
	size_t alen;

	if (dest->family == AF_INET) {
		p[0] = MPROX_SOCKS5_ATYP_IPV4;
		memcpy(p + 1, &dest->addr.v4.s_addr, 4);
		alen = 1 + 4;
	} else if (dest->family == AF_INET6) {
		p[0] = MPROX_SOCKS5_ATYP_IPV6;
		memcpy(p + 1, dest->addr.v6.s6_addr, 16);
		alen = 1 + 16;
	} else {
		p[0] = MPROX_SOCKS5_ATYP_NAME;
		p[1] = dest->name_len;
		memcpy(p + 2, dest->name, dest->name_len);
		alen = 2 + dest->name_len;
	}
	put_port(p + alen, dest->port);
}

int mprox_socks5_get_addr(const u8 *p, size_t len, struct mprox_dest *dest)
{
	size_t addr = 1, alen;	/* where the address starts, its length */

	if (len < 1)
		return 0;
	switch (p[0]) {
	case MPROX_SOCKS5_ATYP_IPV4:
		alen = 4;
		break;
	case MPROX_SOCKS5_ATYP_IPV6:
		alen = 16;
		break;
	case MPROX_SOCKS5_ATYP_NAME:
		if (len < 2)
			return 0;
		if (!p[1])
			return -EPROTO;
		addr = 2;
		alen = p[1];
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (len < addr + alen + 2)
		return 0;

	memset(dest, 0, sizeof(*dest));
	if (p[0] == MPROX_SOCKS5_ATYP_IPV4) {
		dest->family = AF_INET;
		memcpy(&dest->addr.v4.s_addr, p + addr, 4);
	} else if (p[0] == MPROX_SOCKS5_ATYP_IPV6) {
		dest->family = AF_INET6;
		memcpy(dest->addr.v6.s6_addr, p + addr, 16);
	} else {
		dest->family = AF_UNSPEC;
		dest->name = (const char *)p + addr;
		dest->name_len = alen;
	}
	dest->port = get_port(p + addr + alen);
	return addr + alen + 2;
}

static int mprox_socks5_request(u8 *buf, size_t size, u8 cmd, const struct mprox_dest *dest)
{
	int n = mprox_socks5_addr_len(dest);

	if (n < 0)
		return n;
	if (size < 3 + (size_t)n)
		return -ENOSPC;
	buf[0] = MPROX_SOCKS5_VERSION;
	buf[1] = cmd;
	buf[2] = 0;
	mprox_socks5_put_addr(buf + 3, dest);
	return 3 + n;
}

int mprox_socks5_connect_request(u8 *buf, size_t size, const struct mprox_dest *dest)
{
	return mprox_socks5_request(buf, size, MPROX_SOCKS5_CMD_CONNECT, dest);
}

int mprox_socks5_udp_associate_request(u8 *buf, size_t size, const struct mprox_dest *from)
{
	if (from->family != AF_INET && from->family != AF_INET6)
		return -EINVAL;
	return mprox_socks5_request(buf, size, MPROX_SOCKS5_CMD_UDP_ASSOCIATE, from);
}

int mprox_socks5_parse_method(const u8 *buf, size_t len, bool userpass, u8 *method)
{
	if (len < 1)
		return 0;
	if (buf[0] != MPROX_SOCKS5_VERSION)
		return -EPROTO;
	if (len < 2)
		return 0;
	switch (buf[1]) {
	case MPROX_SOCKS5_METHOD_NONE:
	case MPROX_SOCKS5_METHOD_USERPASS:
		if (buf[1] == MPROX_SOCKS5_METHOD_USERPASS && !userpass)
			return -EPROTO;
		*method = buf[1];
		return MPROX_SOCKS5_METHOD_REPLY_LEN;
	case MPROX_SOCKS5_METHOD_REJECT:
		return -EACCES;
	default:
		return -EPROTO;
	}
}

int mprox_socks5_parse_auth_reply(const u8 *buf, size_t len)
{
	if (len < 1)
		return 0;
	/*
	 * RFC 1929 has 1; a good deal of servers send 5 (docs/upstreams.md,
	 * "Choices where the specs leave room").
	 */
	if (buf[0] != MPROX_SOCKS5_AUTH_VERSION && buf[0] != MPROX_SOCKS5_VERSION)
		return -EPROTO;
	if (len < 2)
		return 0;
	return buf[1] ? -EACCES : MPROX_SOCKS5_AUTH_REPLY_LEN;
}

int mprox_socks5_parse_connect_reply(const u8 *buf, size_t len, struct mprox_socks5_reply *out)
{
	struct mprox_dest bnd;
	int n;

	if (len < 1)
		return 0;
	if (buf[0] != MPROX_SOCKS5_VERSION)
		return -EPROTO;
	/*
	 * REP may be anything; RSV is ignored (see docs/upstreams.md,
	 * "Choices where the specs leave room").
	 */
	if (len < 4)
		return 0;
	n = mprox_socks5_get_addr(buf + 3, len - 3, &bnd);
	if (n <= 0)
		return n ? -EPROTO : 0;

	memset(out, 0, sizeof(*out));
	out->rep = buf[1];
	memcpy(&out->bnd, &bnd, sizeof(bnd));
	return 3 + n;
}

enum mprox_connect_result mprox_socks5_result(u8 rep)
{
	switch (rep) {
	case MPROX_SOCKS5_REP_SUCCEEDED:
		return MPROX_CONNECT_OK;
	case MPROX_SOCKS5_REP_NOT_ALLOWED:
		return MPROX_CONNECT_NOT_ALLOWED;
	case MPROX_SOCKS5_REP_NET_UNREACH:
		return MPROX_CONNECT_NET_UNREACH;
	case MPROX_SOCKS5_REP_HOST_UNREACH:
		return MPROX_CONNECT_HOST_UNREACH;
	case MPROX_SOCKS5_REP_REFUSED:
		return MPROX_CONNECT_REFUSED;
	case MPROX_SOCKS5_REP_TTL_EXPIRED:
		return MPROX_CONNECT_TTL_EXPIRED;
	case MPROX_SOCKS5_REP_CMD_UNSUPP:
		return MPROX_CONNECT_CMD_UNSUPPORTED;
	case MPROX_SOCKS5_REP_ATYP_UNSUPP:
		return MPROX_CONNECT_ATYP_UNSUPPORTED;
	default:	/* 1, general failure, and the unassigned 9..255 */
		return MPROX_CONNECT_GENERAL_FAILURE;
	}
}

/* The codec (codec.h): the exchange above as steps. */
enum {
	S5_START,
	S5_METHOD,		/* greeting sent; the method reply next */
	S5_AUTH,		/* password sent; its reply next */
	S5_READY,
	S5_CONNECT,		/* request sent; its reply next */
	S5_DONE,
};

/* A parser's negative errno: turned down (-EACCES) or a broken reply. */
static void s5_fail_parse(struct mprox_codec_state *st, struct mprox_codec_step *step, int ret)
{
	mprox_codec_fail(st, step, S5_DONE,
			 ret == -EACCES ? MPROX_CONNECT_AUTH_FAILED : MPROX_CONNECT_PROXY_ERROR);
}

static void s5_open(struct mprox_codec_state *st, const struct mprox_codec_creds *cr, u8 *out,
		    size_t size, struct mprox_codec_step *step)
{
	int n = mprox_socks5_greeting(out, size, cr->user_len > 0);

	memset(step, 0, sizeof(*step));
	if (n < 0) {
		mprox_codec_fail(st, step, S5_DONE, MPROX_CONNECT_PROXY_ERROR);
		return;
	}
	st->step = S5_METHOD;
	step->event = MPROX_CODEC_SEND;
	step->out_len = n;
}

static void s5_send_request(struct mprox_codec_state *st, int n, struct mprox_codec_step *step)
{
	memset(step, 0, sizeof(*step));
	if (st->step != S5_READY || n < 0) {
		mprox_codec_fail(st, step, S5_DONE, MPROX_CONNECT_GENERAL_FAILURE);
		return;
	}
	st->step = S5_CONNECT;
	step->event = MPROX_CODEC_SEND;
	step->out_len = n;
}

static void s5_request(struct mprox_codec_state *st,
		       const struct mprox_codec_creds *cr __always_unused,
		       const struct mprox_dest *dest, u8 *out, size_t size,
		       struct mprox_codec_step *step)
{
	s5_send_request(st, mprox_socks5_connect_request(out, size, dest), step);
}

static void s5_udp_request(struct mprox_codec_state *st,
			   const struct mprox_codec_creds *cr __always_unused,
			   const struct mprox_dest *dest, u8 *out, size_t size,
			   struct mprox_codec_step *step)
{
	s5_send_request(st, mprox_socks5_udp_associate_request(out, size, dest), step);
}

static void s5_reply(struct mprox_codec_state *st, const struct mprox_codec_creds *cr,
		     const u8 *buf, size_t len, u8 *out, size_t size,
		     struct mprox_codec_step *step)
{
	struct mprox_socks5_reply reply;
	int ret, n;

	memset(step, 0, sizeof(*step));
	switch (st->step) {
	case S5_METHOD:
		ret = mprox_socks5_parse_method(buf, len, cr->user_len > 0, &st->method);
		if (ret <= 0)
			break;
		step->used = ret;
		if (st->method != MPROX_SOCKS5_METHOD_USERPASS) {
			st->step = S5_READY;
			step->event = MPROX_CODEC_READY;
			return;
		}
		n = mprox_socks5_auth_request(out, size, cr->user, cr->user_len, cr->password,
					      cr->password_len);
		if (n < 0) {
			/* An empty password: not one the proxy could accept. */
			mprox_codec_fail(st, step, S5_DONE, MPROX_CONNECT_AUTH_FAILED);
			return;
		}
		st->step = S5_AUTH;
		step->event = MPROX_CODEC_SEND;
		step->out_len = n;
		return;
	case S5_AUTH:
		ret = mprox_socks5_parse_auth_reply(buf, len);
		if (ret <= 0)
			break;
		step->used = ret;
		st->step = S5_READY;
		step->event = MPROX_CODEC_READY;
		return;
	case S5_CONNECT:
		ret = mprox_socks5_parse_connect_reply(buf, len, &reply);
		if (ret <= 0)
			break;
		step->used = ret;
		step->result = mprox_socks5_result(reply.rep);
		step->bound = reply.bnd;
		/* It points into @buf, which the engine reuses. */
		step->bound.name = NULL;
		st->step = S5_DONE;
		step->event = step->result == MPROX_CONNECT_OK ? MPROX_CODEC_CONNECTED :
								 MPROX_CODEC_FAILED;
		return;
	default:
		/* Bytes when none were asked for. */
		mprox_codec_fail(st, step, S5_DONE, MPROX_CONNECT_PROXY_ERROR);
		return;
	}
	if (ret < 0)
		s5_fail_parse(st, step, ret);
	else
		step->event = MPROX_CODEC_MORE;
}

const struct mprox_codec mprox_socks5_codec = {
	.name = "socks5",
	.reply_max = MPROX_SOCKS5_REPLY_MAX,
	.out_max = MPROX_SOCKS5_AUTH_MAX,
	.open = s5_open,
	.request = s5_request,
	.reply = s5_reply,
};

const struct mprox_codec mprox_socks5_udp_codec = {
	.name = "socks5-udp",
	.reply_max = MPROX_SOCKS5_REPLY_MAX,
	.out_max = MPROX_SOCKS5_AUTH_MAX,
	.open = s5_open,
	.request = s5_udp_request,
	.reply = s5_reply,
};
