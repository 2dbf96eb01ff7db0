/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The news of a socket of the engine (a connection's, a spare's, a
 * probe's): while watched, each of its callbacks runs the stack's own,
 * then the owner's @news, which queues the owner's work. Nothing waits:
 * the work does what the news allow (handshake.h). A relaying
 * connection's data_ready may move the bytes itself (@data_news, relay.h).
 *
 * Callbacks run in softirq or process context and do not own the socket;
 * sk_user_data is read under sk_callback_lock, which unwatching takes, so
 * after mprox_sockwatch_stop() no callback looks at the watch any more.
 */
#ifndef _MPROX_SOCKWATCH_H
#define _MPROX_SOCKWATCH_H

#include <linux/workqueue.h>
#include <net/sock.h>

struct mprox_sockwatch {
	struct sock *sk;		/* NULL while not watching */
	void (*news)(struct mprox_sockwatch *w);
	/* When set, called after data_ready instead of @news. */
	void (*data_news)(struct mprox_sockwatch *w);
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
	/*
	 * An ICMP error on a connected UDP socket (a lookup's, an
	 * association's relay) says so only through this.
	 */
	void (*error_report)(struct sock *sk);
};

/*
 * Watch @sk, calling @news after each callback. @data_ready, when given,
 * is the stack's own for it (an accepted socket inherited its listener's,
 * which is ours).
 */
void mprox_sockwatch_start(struct mprox_sockwatch *w, struct sock *sk,
			   void (*news)(struct mprox_sockwatch *w),
			   void (*data_ready)(struct sock *sk));

/*
 * Have @data_news called after @w's data_ready instead of its news: for an
 * owner that can act there and then (in softirq, with the socket's
 * spinlock held when nobody owns it). @w is watching.
 */
void mprox_sockwatch_set_data_news(struct mprox_sockwatch *w,
				   void (*data_news)(struct mprox_sockwatch *w));

/* Give @w's socket its callbacks back; nothing when it is not watched. */
void mprox_sockwatch_stop(struct mprox_sockwatch *w);

/*
 * Run @dw on @wq within @delay: sooner if it is due sooner, never later.
 * For an owner's work that its sockets' news kick with delay 0 and that
 * reschedules itself at its next deadline as it ends: a kick that came
 * while it ran must not wait for that deadline. A work queued to run now
 * (pending, its timer not) is left alone: mod_delayed_work() with 0 does
 * not touch the timer, whose expiry may be stale. The caller serialises
 * the kicks of @dw (its owner's lock).
 */
static inline void mprox_sockwatch_kick(struct workqueue_struct *wq,
					struct delayed_work *dw,
					unsigned long delay)
{
	if (delayed_work_pending(dw) &&
	    (!timer_pending(&dw->timer) ||
	     !time_after(READ_ONCE(dw->timer.expires), jiffies + delay)))
		return;
	mod_delayed_work(wq, dw, delay);
}

#endif /* _MPROX_SOCKWATCH_H */
