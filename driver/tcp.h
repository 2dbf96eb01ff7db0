/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP in xmit: the app's segments (A:a -> D:P) and the listener's replies
 * (L:l -> F:f), rewritten for each other and handed to the local stack.
 */
#ifndef _MPROX_TCP_H
#define _MPROX_TCP_H

#include <linux/skbuff.h>

#include "packet.h"
#include "reply.h"

struct mprox_datapath;
struct mprox_flow;

/* xmit, with @skb parsed into @p (TCP, MPROX_PKT_OK). Consumes @skb. */
void mprox_tcp_xmit(struct mprox_datapath *dp, struct sk_buff *skb,
		    const struct mprox_pkt *p);

/* The upstream said yes: hand the held SYN to the listener as F:f -> L:l. */
void mprox_tcp_release_syn(struct mprox_datapath *dp, struct mprox_flow *f);
/* The upstream said no: answer the held SYN with @kind and drop it. */
void mprox_tcp_refuse_syn(struct mprox_datapath *dp, struct mprox_flow *f,
			  enum mprox_reply_kind kind);

/*
 * Abort the app's own socket of @f with ECONNRESET, as `ss -K` would, if
 * it is still there: for a connection torn down while the app may still
 * use it or still wait for its connect(). Process context.
 */
void mprox_tcp_abort_app(struct mprox_datapath *dp,
			 const struct mprox_flow *f);

/*
 * The name a packet to an address of a fake-IP pool is for, which the
 * proxy is asked for instead (fakeip.h), for the caller to kfree(); NULL
 * for any other address; ERR_PTR(-ENOENT) for a pool address with no
 * name, or ERR_PTR(-ENOMEM). From xmit, under rcu_read_lock().
 */
char *mprox_tcp_fake_name(struct mprox_datapath *dp, const struct mprox_pkt *p,
			  u8 *len);

/* Answer the app's packet @skb (parsed into @p) with @kind; @skb is kept. */
void mprox_tcp_answer(struct mprox_datapath *dp, const struct sk_buff *skb,
		      const struct mprox_pkt *p, enum mprox_reply_kind kind);

#endif /* _MPROX_TCP_H */
