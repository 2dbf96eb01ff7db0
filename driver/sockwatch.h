/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The news of a socket of the engine (a connection's, a spare's, a
 * probe's): while watched, each of its callbacks runs the stack's own,
 * then the owner's @news, which queues the owner's work. Nothing waits:
 * the work does what the news allow (handshake.h).
 *
 * Callbacks run in softirq or process context and do not own the socket;
 * sk_user_data is read under sk_callback_lock, which unwatching takes, so
 * after mprox_sockwatch_stop() no callback looks at the watch any more.
 */
#ifndef _MPROX_SOCKWATCH_H
#define _MPROX_SOCKWATCH_H

#include <net/sock.h>

struct mprox_sockwatch {
	struct sock *sk;		/* NULL while not watching */
	void (*news)(struct mprox_sockwatch *w);
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
};

/*
 * Watch @sk, calling @news after each callback. @data_ready, when given,
 * is the stack's own for it (an accepted socket inherited its listener's,
 * which is ours).
 */
void mprox_sockwatch_start(struct mprox_sockwatch *w, struct sock *sk,
			   void (*news)(struct mprox_sockwatch *w),
			   void (*data_ready)(struct sock *sk));

/* Give @w's socket its callbacks back; nothing when it is not watched. */
void mprox_sockwatch_stop(struct mprox_sockwatch *w);

#endif /* _MPROX_SOCKWATCH_H */
