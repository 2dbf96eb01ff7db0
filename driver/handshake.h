/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection engine: a connection to an upstream proxy and its
 * handshake, as a state machine that never waits (design.md, "The
 * connection engine").
 *
 * The owner (a proxied connection, conn.c, or a spare, spare.c) takes over
 * the socket's callbacks and runs mprox_handshake_advance() from its own
 * work whenever the socket has news or the deadline the engine gave it
 * passes. Each call does what can be done without blocking (connect
 * completed, a message sent, the bytes that arrived fed to the codec) and
 * returns: no thread ever sleeps for the proxy, so ten thousand handshakes
 * may be pending and cost only their memory.
 *
 * What is said on the wire is the codec's (codec.h); the engine does not
 * know the protocol. It reads the proxy's replies as they arrive, whole
 * segments at a time, into a buffer that grows to the codec's reply_max;
 * what follows the final reply is the destination's and is left for the
 * owner in the buffer (mprox_handshake_early_data()).
 *
 * Two deadlines, both from the application's SYN (or, for a spare, from
 * the start): the TCP connect to the proxy within connect_timeout_ms, so
 * that a dead proxy is found fast, and the proxy's answer within
 * handshake_timeout_ms, which is as long as the application's own
 * connect() waits by default: a proxy slow to check a password is not cut
 * short.
 */
#ifndef _MPROX_HANDSHAKE_H
#define _MPROX_HANDSHAKE_H

#include <linux/net.h>
#include <linux/types.h>

#include "codec.h"
#include "config.h"

enum mprox_handshake_phase {
	MPROX_HS_CONNECTING,	/* TCP connect to the proxy under way */
	MPROX_HS_PREPARING,	/* the codec's exchange before the request */
	MPROX_HS_READY,		/* prepared: waits for a destination */
	MPROX_HS_REQUESTING,	/* the request sent or being sent; its reply */
	MPROX_HS_DONE,		/* result set */
};

/* What mprox_handshake_advance() came to. */
enum mprox_handshake_status {
	MPROX_HS_PENDING,	/* waiting for the socket or the deadline */
	MPROX_HS_PREPARED,	/* READY, and no destination was given */
	MPROX_HS_FINISHED,	/* DONE: see ->result */
};

struct mprox_handshake {
	const struct mprox_codec *codec;
	struct mprox_codec_state st;
	struct mprox_codec_creds creds;	/* into ->up's spec */
	struct mprox_upstream *up;	/* the owner's reference */
	enum mprox_handshake_phase phase;
	bool has_dest;
	/*
	 * Set by the owner before begin: ask for a UDP association, not a
	 * connection (mprox_udp_codec_for()); the destination is where the
	 * datagrams come from, ->bound the relay when it is OK.
	 */
	bool associate;
	struct mprox_dest bound;
	/* The request for the destination was made (a timeout may be its). */
	bool requested;
	/* TIMEOUT: the whole handshake's deadline passed, not the connect's. */
	bool late;
	struct mprox_dest dest;
	/* jiffies: the TCP connect, then the whole handshake. */
	unsigned long connect_deadline;
	unsigned long deadline;
	/* The proxy's bytes not yet used by the codec. */
	u8 *rx;
	u16 rx_len;
	u16 rx_size;
	/* A message not yet sent in full (the socket's buffer was full). */
	u8 *tx;
	u16 tx_len;
	u16 tx_off;
	enum mprox_connect_result result;
	/*
	 * PROXY_ERROR because the connection ended, not because of what the
	 * proxy said: MPROX_HS_CLOSED for its FIN, or the negative errno
	 * the socket gave (a reset). 0 otherwise.
	 */
	int ended;
};

#define MPROX_HS_CLOSED 1

/* The codec of @proto, or NULL when the engine does not speak it. */
const struct mprox_codec *mprox_codec_for(enum mprox_proto proto);
/* The same for UDP associations: NULL for a protocol without UDP. */
const struct mprox_codec *mprox_udp_codec_for(enum mprox_proto proto);

/*
 * A socket (mprox_upstream_socket()) for @hs's connection to @up, carrying
 * @mark, in *@sockp. Returns 0, or a negative errno with *@sockp NULL and
 * @hs over: UPSTREAM_DOWN, since the upstream's configuration failed, not
 * the destination (choice.h); a reason the owner can fix is logged.
 */
int mprox_handshake_socket(struct mprox_handshake *hs, struct net *net,
			   const struct mprox_upstream *up, u32 mark,
			   struct socket **sockp);

/*
 * Before begin: the owner found the handshake over already (its own step
 * before it failed), with @res. Returns FINISHED.
 */
enum mprox_handshake_status
mprox_handshake_fail(struct mprox_handshake *hs, enum mprox_connect_result res);

/*
 * Start connecting @sock (from mprox_handshake_socket()) to @up, which the
 * caller keeps a reference to for as long as @hs lives, with deadlines
 * from @start (jiffies) and the configuration's timeouts. Never blocks.
 * Returns what mprox_handshake_advance() returns: FINISHED when it failed
 * at once (a route into an mprox device, no route, a protocol the engine
 * does not speak), PREPARED when there is nothing to say before a request
 * and the connect completed at once.
 */
enum mprox_handshake_status
mprox_handshake_begin(struct mprox_handshake *hs, struct socket *sock,
		      struct mprox_upstream *up, unsigned long start,
		      unsigned long connect_timeout,
		      unsigned long handshake_timeout);

/*
 * Ask for @dest: from the start (before begin) or once PREPARED (a spare
 * taken by a flow, with deadlines of the flow's).
 */
void mprox_handshake_set_dest(struct mprox_handshake *hs,
			      const struct mprox_dest *dest);
void mprox_handshake_set_deadlines(struct mprox_handshake *hs,
				   unsigned long start,
				   unsigned long handshake_timeout);

/* Do what can be done now on @sock; see above. Process context. */
enum mprox_handshake_status
mprox_handshake_advance(struct mprox_handshake *hs, struct socket *sock);

/* When to call advance() again if the socket says nothing (jiffies). */
unsigned long mprox_handshake_next_deadline(const struct mprox_handshake *hs);

/*
 * After MPROX_CONNECT_OK: the destination's bytes that came with the
 * proxy's reply, rx[0..rx_len).
 */
static inline const u8 *mprox_handshake_early_data(const struct mprox_handshake *hs,
						   size_t *len)
{
	*len = hs->rx_len;
	return hs->rx;
}

/* Free what @hs holds (not the socket); it may be begun again after. */
void mprox_handshake_reset(struct mprox_handshake *hs);

#endif /* _MPROX_HANDSHAKE_H */
