/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One proxied TCP connection: the upstream socket and its handshake while
 * the app's SYN is held, then the pairing with the socket the in-kernel
 * listener accepted, then the relay between the two, then teardown.
 *
 * All of it runs in the connection's work (on the device's queue while it
 * handshakes, on mprox_relay_wq once it relays), so socket calls
 * on one connection are never concurrent. The sockets' callbacks, the
 * listener's accept, the packet path's held RST and the flow table's
 * kill only kick the work, with one exception: once it relays, a
 * socket's data_ready relays the bytes that came itself when nothing
 * else is going on (relay.h), and the attach of the accepted socket does
 * the same for the bytes that came before it; each direction is held by
 * one of them at a time.
 *
 * Lifetime. A connection is the @priv of its flow and holds one reference
 * to it until teardown; the flow table's release callback frees the
 * connection once the flow's last reference is gone.
 */
#ifndef _MPROX_CONN_H
#define _MPROX_CONN_H

#include <linux/net.h>
#include <linux/types.h>

#include "reply.h"

struct mprox_choice_scope;
struct mprox_trial;

struct mprox_conn;
struct mprox_datapath;
struct mprox_flow;
struct mprox_upstream;

int mprox_conn_init(void);
void mprox_conn_exit(void);

/*
 * How a connection the proxy accepted ended; the names are the JSON keys.
 * A reset is counted on the side whose socket failed first: the app's is
 * the one the listener accepted, so a RST the app's host sent, and the
 * upstream's is the proxy's.
 */
enum mprox_conn_close {
	MPROX_CONN_CLOSE_FIN,		/* both FINs passed and acknowledged */
	MPROX_CONN_CLOSE_FIN_TIMEOUT,	/* both FINs passed, an ACK never came */
	MPROX_CONN_CLOSE_APP_RESET,	/* the app's socket reset or failed */
	MPROX_CONN_CLOSE_UPSTREAM_RESET, /* the upstream's */
	/* The app never completed its handshake with the listener. */
	MPROX_CONN_CLOSE_ACCEPT_TIMEOUT,
	/* Its flow was killed: idle, taken by a new SYN, device down. */
	MPROX_CONN_CLOSE_KILLED,
	MPROX_CONN_CLOSE_COUNT
};

const char *mprox_conn_close_name(enum mprox_conn_close why);

/*
 * What a connection tells the packet path that made it (tcp.c), which
 * holds the app's SYN: the engine reports up through these, it never
 * calls into the layers above it. Process context.
 */
struct mprox_conn_ops {
	/* The proxy said yes: let the held SYN through to the listener. */
	void (*release_syn)(struct mprox_datapath *dp, struct mprox_flow *f);
	/* It said no: answer the held SYN with @kind. */
	void (*refuse_syn)(struct mprox_datapath *dp, struct mprox_flow *f,
			   enum mprox_reply_kind kind);
	/* Torn down under the app: abort its socket, if it is still there. */
	void (*abort_app)(struct mprox_datapath *dp,
			  const struct mprox_flow *f);
	/* The app's RST held on @f: into the stack, for the listener. */
	void (*deliver_rst)(struct mprox_datapath *dp, struct mprox_flow *f);
};

/*
 * From xmit (@gfp GFP_ATOMIC): a connection through @up, for a flow about
 * to be made, reporting to @ops. Takes a reference to @up, and over
 * @trial, the trial of a down @up it may hold, and @scope, where the
 * rules let its retry go (choice.h).
 */
struct mprox_conn *mprox_conn_alloc(struct mprox_datapath *dp,
				    struct mprox_upstream *up,
				    const struct mprox_choice_scope *scope,
				    const struct mprox_trial *trial,
				    const struct mprox_conn_ops *ops,
				    gfp_t gfp);
/*
 * Before the start: ask the proxy for @name (@len bytes, NUL terminated,
 * kmalloc()ed; @c frees it) instead of the destination's address, which
 * stands for it (fakeip.h).
 */
void mprox_conn_set_dest_name(struct mprox_conn *c, char *name, u8 len);
/* The flow could not be made: free @c, which was never started. */
void mprox_conn_free_unused(struct mprox_conn *c);
/* @f (state SYN_HELD, its SYN held) was made for @c: connect upstream. */
void mprox_conn_start(struct mprox_conn *c, struct mprox_flow *f);

/*
 * The listener accepted @sock for @c's flow: relay from now on. Consumes
 * @sock (closed with RST if @c no longer wants it). Process context.
 */
void mprox_conn_attach(struct mprox_conn *c, struct socket *sock,
		       void (*data_ready)(struct sock *sk));

/* The flow table's callbacks (flow.h). */
/*
 * The app reset its connection (tcp.c saw its RST go by): its socket is
 * gone and the flow closing at once, so that a SYN for the tuple is a new
 * connection. The connection owns its flow's state from the SYN's hold to
 * the kill; this is how the packet path reports what it saw. Softirq.
 */
void mprox_conn_app_reset(struct mprox_flow *f);
/*
 * A RST from the app's side waits on @f for the connection's work, which
 * hands it to the listener's socket through @ops->deliver_rst. Softirq.
 */
void mprox_conn_app_rst_held(struct mprox_flow *f);
void mprox_conn_flow_killed(struct mprox_flow *f);
void mprox_conn_flow_release(struct mprox_flow *f);

/* The upstream's name, valid while the caller holds a reference to @f. */
const char *mprox_conn_upstream_name(struct mprox_flow *f);

#endif /* _MPROX_CONN_H */
