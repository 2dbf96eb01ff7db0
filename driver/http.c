// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP CONNECT client codec: the request, with Basic proxy authentication,
 * and the response's header block. The contract is in http.h.
 *
 * The builder checks its arguments, then the room it has, and only then
 * writes. The parser looks at each byte of the response once, in order,
 * from where the last call stopped (st->scanned), looking back at most two
 * bytes: so an index is below @len before each read, a violation is
 * reported by the first byte that shows it, and the result for a prefix
 * of the bytes is 0 or the result for all of them.
 *
 * The same file builds in the kernel and, with tests/shim/kernel_shim.h, in
 * userspace: no kernel helper without a libc twin, so base64 is written
 * here, and the address text in dest.c.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include "kernel_shim.h"
#endif
#include "dest.h"
#include "http.h"

/* "[" the longest IPv6 text "]". */
#define HTTP_ADDR_TEXT_MAX	(1 + MPROX_DEST_V6_TEXT_MAX + 1)

static const char http_base64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/*
 * A name as the host of a request line: 1..255 bytes, none of them a control
 * character, space or DEL (they would end or split the line, or a NUL cut it
 * short for a proxy written in C), nor a URI delimiter that would change
 * where the host ends (RFC 3986 gen-delims). Bytes >= 0x80 are passed on.
 */
static int check_name(const char *s, size_t len)
{
	size_t i;

	if (!s || !len)
		return -EINVAL;
	if (len > MPROX_HTTP_NAME_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++) {
		u8 c = s[i];

		if (c <= ' ' || c == 0x7f || memchr(":/?#[]@", c, 7))
			return -EINVAL;
	}
	return 0;
}

/* Credentials Basic can carry: a user without ':'; 255 bytes each at most. */
static int check_creds(const struct mprox_codec_creds *cr)
{
	if ((!cr->user && cr->user_len) || (!cr->password && cr->password_len))
		return -EACCES;
	if (cr->user_len > MPROX_HTTP_CRED_MAX || cr->password_len > MPROX_HTTP_CRED_MAX)
		return -EACCES;
	if (memchr(cr->user, ':', cr->user_len))
		return -EACCES;
	return 0;
}

/* Byte @i of "user:password". */
static u8 cred_byte(const struct mprox_codec_creds *cr, size_t i)
{
	if (i < cr->user_len)
		return cr->user[i];
	if (i == cr->user_len)
		return ':';
	return cr->password[i - cr->user_len - 1];
}

/* Base64 of "user:password" at @p (RFC 4648 section 4); returns its length. */
static size_t put_basic(char *p, const struct mprox_codec_creds *cr)
{
	size_t len = cr->user_len + 1 + cr->password_len, i, n = 0;

	for (i = 0; i < len; i += 3) {
		u32 v = cred_byte(cr, i) << 16;

		if (i + 1 < len)
			v |= cred_byte(cr, i + 1) << 8;
		if (i + 2 < len)
			v |= cred_byte(cr, i + 2);
		p[n++] = http_base64[v >> 18 & 0x3f];
		p[n++] = http_base64[v >> 12 & 0x3f];
		p[n++] = i + 1 < len ? http_base64[v >> 6 & 0x3f] : '=';
		p[n++] = i + 2 < len ? http_base64[v & 0x3f] : '=';
	}
	return n;
}

static char *put(char *p, const char *s, size_t len)
{
	memcpy(p, s, len);
	return p + len;
}

static char *put_str(char *p, const char *s)
{
	return put(p, s, strlen(s));
}

int mprox_http_connect_request(u8 *buf, size_t size, const struct mprox_dest *dest,
			       const struct mprox_codec_creds *cr)
{
	static const struct mprox_codec_creds none;
	char addr[HTTP_ADDR_TEXT_MAX], port[MPROX_DEST_PORT_TEXT_MAX];
	size_t host_len, port_len, auth_len = 0, n;
	const char *host = addr;
	char *p = (char *)buf;
	int err;

	switch (dest->family) {
	case AF_INET:
		host_len = mprox_dest_v4_text(addr, &dest->addr.v4);
		break;
	case AF_INET6:
		addr[0] = '[';
		host_len = 1 + mprox_dest_v6_text(addr + 1, &dest->addr.v6, false);
		addr[host_len++] = ']';
		break;
	case AF_UNSPEC:
		err = check_name(dest->name, dest->name_len);
		if (err)
			return err;
		host = dest->name;
		host_len = dest->name_len;
		break;
	default:
		return -EINVAL;
	}
	if (!cr)
		cr = &none;
	if (cr->user_len) {
		err = check_creds(cr);
		if (err)
			return err;
		auth_len = sizeof("Proxy-Authorization: Basic \r\n") - 1 +
			   MPROX_HTTP_BASE64_LEN(cr->user_len + 1 + cr->password_len);
	}
	port_len = mprox_dest_port_text(port, dest->port);
	n = sizeof("CONNECT  HTTP/1.1\r\nHost: \r\n\r\n") - 1 + 2 * (host_len + 1 + port_len) +
	    auth_len;
	if (size < n)
		return -ENOSPC;

	p = put_str(p, "CONNECT ");
	p = put(p, host, host_len);
	p = put_str(p, ":");
	p = put(p, port, port_len);
	p = put_str(p, " HTTP/1.1\r\nHost: ");
	p = put(p, host, host_len);
	p = put_str(p, ":");
	p = put(p, port, port_len);
	p = put_str(p, "\r\n");
	if (auth_len) {
		p = put_str(p, "Proxy-Authorization: Basic ");
		p += put_basic(p, cr);
		p = put_str(p, "\r\n");
	}
	put_str(p, "\r\n");
	return n;
}

/*
 * The fixed start of a status line, "HTTP/1.x NNN": whether @c may be byte
 * @i of it (i < HTTP_STATUS_FIXED). Version 1.0 or 1.1; a status code of
 * 100..599.
 */
#define HTTP_STATUS_FIXED	12

static bool status_byte_ok(size_t i, u8 c)
{
	static const char start[] = "HTTP/1.";

	if (i < sizeof(start) - 1)
		return c == start[i];
	switch (i) {
	case 7:
		return c == '0' || c == '1';
	case 8:
		return c == ' ';
	case 9:
		return c >= '1' && c <= '5';
	default:
		return c >= '0' && c <= '9';
	}
}

int mprox_http_parse_reply(const u8 *buf, size_t len, struct mprox_codec_state *st)
{
	size_t lim = len, p;

	if (lim > MPROX_HTTP_REPLY_MAX)
		lim = MPROX_HTTP_REPLY_MAX;
	for (p = st->scanned; p < lim; p++) {
		u8 c = buf[p];

		if (!st->status) {
			/* The status line: "HTTP/1.x NNN", then SP and a reason, or CRLF or LF. */
			if (p < HTTP_STATUS_FIXED) {
				if (!status_byte_ok(p, c))
					return -EPROTO;
				continue;
			}
			if (p == HTTP_STATUS_FIXED) {
				if (c == ' ' || c == '\r')
					continue;
				if (c != '\n')
					return -EPROTO;
			} else if (buf[HTTP_STATUS_FIXED] == '\r') {
				if (c != '\n')
					return -EPROTO;
			} else if (c != '\n') {
				continue;	/* the reason phrase: any bytes */
			}
			st->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
			continue;
		}

		/*
		 * Header lines, up to the blank one. The first byte after the
		 * status line is at HTTP_STATUS_FIXED + 1 at the earliest, so
		 * buf[p - 2] is there.
		 */
		if (c != '\n') {
			/* After the last header line allowed, only CRLF or LF. */
			if (st->lines >= MPROX_HTTP_LINES_MAX &&
			    (c != '\r' || buf[p - 1] != '\n'))
				return -EPROTO;
			continue;
		}
		if (buf[p - 1] == '\n' || (buf[p - 1] == '\r' && buf[p - 2] == '\n'))
			return p + 1;
		if (++st->lines > MPROX_HTTP_LINES_MAX)
			return -EPROTO;
	}
	/* No end in the first MPROX_HTTP_REPLY_MAX bytes: there never will be. */
	if (lim == MPROX_HTTP_REPLY_MAX)
		return -EPROTO;
	if (lim > st->scanned)
		st->scanned = lim;
	return 0;
}

enum mprox_connect_result mprox_http_result(u16 status)
{
	if (status >= 200 && status <= 299)
		return MPROX_CONNECT_OK;
	switch (status) {
	/*
	 * 401 is the origin server's code, but tinyproxy 1.11 answers a
	 * wrong password with it (407 only when none was sent): either way
	 * our credentials were turned down.
	 */
	case 401:
	case 407:		/* proxy authentication required */
		return MPROX_CONNECT_AUTH_FAILED;
	case 403:		/* forbidden */
	case 405:		/* method not allowed */
		return MPROX_CONNECT_REFUSED;
	case 502:		/* bad gateway */
	case 503:		/* service unavailable */
	case 504:		/* gateway timeout */
		return MPROX_CONNECT_HOST_UNREACH;
	default:		/* 1xx (not skipped), 3xx, other 4xx and 5xx */
		return MPROX_CONNECT_GENERAL_FAILURE;
	}
}

/* The codec (codec.h): the exchange above as steps. */
enum {
	HTTP_START = MPROX_CODEC_STEP_START,
	HTTP_READY = MPROX_CODEC_STEP_OPENED,	/* nothing to send before the request */
	HTTP_CONNECT,		/* request sent; the response next */
	HTTP_DONE,
};

static void http_request(struct mprox_codec_state *st, const struct mprox_codec_creds *cr,
			 const struct mprox_dest *dest, u8 *out, size_t size,
			 struct mprox_codec_step *step)
{
	int n;

	memset(step, 0, sizeof(*step));
	if (st->step != HTTP_READY) {
		mprox_codec_fail(st, step, HTTP_DONE, MPROX_CONNECT_GENERAL_FAILURE);
		return;
	}
	n = mprox_http_connect_request(out, size, dest, cr);
	if (n < 0) {
		/* Credentials that cannot be sent cannot get past the proxy. */
		mprox_codec_fail(st, step, HTTP_DONE,
				 n == -EACCES ? MPROX_CONNECT_AUTH_FAILED :
						MPROX_CONNECT_GENERAL_FAILURE);
		return;
	}
	st->step = HTTP_CONNECT;
	step->event = MPROX_CODEC_SEND;
	step->out_len = n;
}

static void http_reply(struct mprox_codec_state *st,
		       const struct mprox_codec_creds *cr __always_unused,
		       const u8 *buf, size_t len, u8 *out __always_unused,
		       size_t size __always_unused, struct mprox_codec_step *step)
{
	int ret;

	memset(step, 0, sizeof(*step));
	if (st->step != HTTP_CONNECT) {
		/* Bytes before the request: the proxy spoke out of turn. */
		mprox_codec_fail(st, step, HTTP_DONE, MPROX_CONNECT_PROXY_ERROR);
		return;
	}
	ret = mprox_http_parse_reply(buf, len, st);
	if (!ret) {
		step->event = MPROX_CODEC_MORE;
		return;
	}
	if (ret < 0) {
		mprox_codec_fail(st, step, HTTP_DONE, MPROX_CONNECT_PROXY_ERROR);
		return;
	}
	/* The header block; after a 2xx, the destination's bytes follow. */
	step->used = ret;
	step->result = mprox_http_result(st->status);
	st->step = HTTP_DONE;
	step->event = step->result == MPROX_CONNECT_OK ? MPROX_CODEC_CONNECTED :
							 MPROX_CODEC_FAILED;
}

const struct mprox_codec mprox_http_codec = {
	.name = "http",
	.reply_max = MPROX_HTTP_REPLY_MAX,
	.out_max = MPROX_HTTP_REQUEST_MAX,
	.open = mprox_codec_open_ready,
	.request = http_request,
	.reply = http_reply,
};
