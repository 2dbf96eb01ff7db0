/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The proxy protocols as codecs: what the connection engine (handshake.c)
 * sends to an upstream proxy and what it makes of the answers. One codec
 * per protocol (socks5.c, socks4.c, http.c); the engine never looks at the
 * protocol anywhere else, so adding a protocol is adding a codec.
 *
 * A codec is pure, like parse.c: no allocation, no locks, no global state,
 * no access outside the (pointer, length) pairs it is given, no sockets and
 * no clock. Its state between calls is a struct mprox_codec_state that the
 * engine keeps zeroed until the first call. Every byte from the proxy is
 * hostile. The same files build into mprox.ko, into the KUnit suite and,
 * with tests/shim/kernel_shim.h, into the host unit tests and the libFuzzer
 * targets.
 *
 * A handshake in two parts, so that the first can run ahead of need on a
 * spare connection:
 *
 *   engine                                codec
 *   TCP connected to the proxy   ->       open():    SEND (a greeting) or READY
 *   bytes from the proxy         ->       reply():   MORE, SEND, READY or FAILED
 *   READY, a destination known   ->       request(): SEND or FAILED
 *   bytes from the proxy         ->       reply():   MORE, SEND, CONNECTED or FAILED
 *
 * reply() is given every byte received and not yet used, from the first;
 * it says how many it used (step->used) and the engine drops those before
 * the next call. MORE uses nothing: call again with more bytes. After
 * CONNECTED, the bytes from step->used on are the destination's and go to
 * the application. A codec must not ask for more than its reply_max bytes
 * at once: the engine fails the proxy that sends more without an answer.
 */
#ifndef _MPROX_CODEC_H
#define _MPROX_CODEC_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#include <linux/string.h>
#else
#include "kernel_shim.h"
#endif

/* A destination: an address and port, or a domain name and port. */
struct mprox_dest {
	/* AF_INET, AF_INET6, or AF_UNSPEC for a domain name. */
	u16 family;
	u16 port;			/* host byte order */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;				/* network byte order */
	/*
	 * AF_UNSPEC: the name, 1..255 bytes, not NUL terminated. In a reply
	 * it points into the buffer that was parsed.
	 */
	const char *name;
	size_t name_len;
};

/*
 * What a connection attempt through the proxy comes to, and so what the
 * application's held SYN gets (docs/upstreams.md has each protocol's
 * table).
 */
enum mprox_connect_result {
	MPROX_CONNECT_OK,		/* release the SYN */
	MPROX_CONNECT_GENERAL_FAILURE,	/* ICMP host unreachable */
	MPROX_CONNECT_NOT_ALLOWED,	/* ICMP administratively prohibited */
	MPROX_CONNECT_NET_UNREACH,	/* ICMP net unreachable */
	MPROX_CONNECT_HOST_UNREACH,	/* ICMP host unreachable */
	MPROX_CONNECT_REFUSED,		/* RST */
	MPROX_CONNECT_TTL_EXPIRED,	/* ICMP time exceeded */
	MPROX_CONNECT_CMD_UNSUPPORTED,	/* ICMP host unreachable */
	MPROX_CONNECT_ATYP_UNSUPPORTED,	/* ICMP net unreachable */
	MPROX_CONNECT_AUTH_FAILED,	/* RST, and counted */
	MPROX_CONNECT_PROXY_ERROR,	/* ICMP host unreachable, and counted */
	/* Outcomes of the engine itself (driver/handshake.c): */
	MPROX_CONNECT_TIMEOUT,		/* ICMP host unreachable */
	MPROX_CONNECT_UPSTREAM_DOWN,	/* ICMP host unreachable */
	MPROX_CONNECT_LOOP,		/* ICMP host unreachable, and logged */
	MPROX_CONNECT_NO_UPSTREAM,	/* ICMP net unreachable */
	MPROX_CONNECT_ALL_DOWN,		/* ICMP host unreachable: every upstream down */
	MPROX_CONNECT_REJECTED,		/* RST: a rule said "reject" */
	MPROX_CONNECT_ABORTED,		/* nothing: the device is going away */
	MPROX_CONNECT_RESULT_COUNT
};

/* The upstream's credentials, from its URL; lengths 0 when absent. */
struct mprox_codec_creds {
	const char *user;
	size_t user_len;
	const char *password;
	size_t password_len;
};

/* A codec's own state; zeroed before the first call. */
struct mprox_codec_state {
	u8 step;			/* where the exchange is; codec-defined */
	u8 method;			/* SOCKS5: the method the proxy chose */
	u16 lines;			/* HTTP: header lines seen */
	u32 scanned;			/* HTTP: bytes known to hold no end */
	u16 status;			/* HTTP: the status code */
};

enum mprox_codec_event {
	MPROX_CODEC_MORE,		/* call reply() again with more bytes */
	MPROX_CODEC_SEND,		/* send out[0..out_len), then go on */
	MPROX_CODEC_READY,		/* the request may go */
	MPROX_CODEC_CONNECTED,		/* the proxy connected to the destination */
	MPROX_CODEC_FAILED,		/* ->result says why */
};

struct mprox_codec_step {
	enum mprox_codec_event event;
	size_t used;			/* reply(): bytes of the input used */
	size_t out_len;			/* SEND: bytes written to out */
	enum mprox_connect_result result;	/* FAILED */
	/*
	 * CONNECTED: the address the proxy bound, when its protocol says
	 * one (SOCKS5's BND); family 0 when not. Never a name: ->name is
	 * NULL, since the bytes it was read from are the engine's.
	 */
	struct mprox_dest bound;
};

struct mprox_codec {
	const char *name;		/* in logs and the status document */
	/* The most reply bytes the codec may need at once. */
	size_t reply_max;
	/* The longest message the codec writes. */
	size_t out_max;
	/*
	 * The engine connects to the destination itself, not to a proxy
	 * (direct.h): a failed connect is the destination's answer.
	 */
	bool to_dest;
	/*
	 * With to_dest: what the application gets for the engine's failed
	 * connect, from its errno (positive). Proxies' codecs leave it NULL:
	 * their failed connect is the proxy's (UPSTREAM_DOWN).
	 */
	enum mprox_connect_result (*connect_error)(int err);
	/*
	 * Connected to the proxy: the first message, if the protocol has one
	 * before the request (SEND), or READY. @out has @size >= out_max
	 * bytes.
	 */
	void (*open)(struct mprox_codec_state *st,
		     const struct mprox_codec_creds *cr,
		     u8 *out, size_t size, struct mprox_codec_step *step);
	/*
	 * READY: the request for @dest (SEND), or FAILED when the protocol
	 * cannot ask for it (an IPv6 destination through SOCKS4).
	 */
	void (*request)(struct mprox_codec_state *st,
			const struct mprox_codec_creds *cr,
			const struct mprox_dest *dest,
			u8 *out, size_t size, struct mprox_codec_step *step);
	/*
	 * The proxy's bytes received and not yet used, buf[0..len). Never
	 * called in READY (the engine fails a proxy that speaks out of turn)
	 * nor after CONNECTED or FAILED.
	 */
	void (*reply)(struct mprox_codec_state *st,
		      const struct mprox_codec_creds *cr,
		      const u8 *buf, size_t len,
		      u8 *out, size_t size, struct mprox_codec_step *step);
};

/*
 * For the codecs' ops, whose steps are their own: FAILED with @res, and
 * @st at @done, the codec's last step, from which it answers nothing else.
 */
static inline void mprox_codec_fail(struct mprox_codec_state *st,
				    struct mprox_codec_step *step, u8 done,
				    enum mprox_connect_result res)
{
	st->step = done;
	step->event = MPROX_CODEC_FAILED;
	step->result = res;
}

/*
 * The first steps of a codec with nothing to send before the request
 * (HTTP, SOCKS4): its open() is mprox_codec_open_ready(), READY at once,
 * and its own steps go on from MPROX_CODEC_STEP_OPENED, where the request
 * is taken.
 */
enum {
	MPROX_CODEC_STEP_START,		/* zeroed: nothing done yet */
	MPROX_CODEC_STEP_OPENED,	/* open() done; the request next */
};

static inline void mprox_codec_open_ready(struct mprox_codec_state *st,
					  const struct mprox_codec_creds *cr __always_unused,
					  u8 *out __always_unused,
					  size_t size __always_unused,
					  struct mprox_codec_step *step)
{
	memset(step, 0, sizeof(*step));
	st->step = MPROX_CODEC_STEP_OPENED;
	step->event = MPROX_CODEC_READY;
}

extern const struct mprox_codec mprox_socks5_codec;
/*
 * SOCKS5 asked for a UDP association instead of a connection: the
 * request's destination is where the datagrams will come from, and
 * CONNECTED's ->bound the relay they go to.
 */
extern const struct mprox_codec mprox_socks5_udp_codec;
extern const struct mprox_codec mprox_socks4_codec;
extern const struct mprox_codec mprox_socks4a_codec;
extern const struct mprox_codec mprox_http_codec;
extern const struct mprox_codec mprox_direct_codec;

#endif /* _MPROX_CODEC_H */
