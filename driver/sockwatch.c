// SPDX-License-Identifier: GPL-2.0
/*
 * Watching a socket of the engine; see sockwatch.h.
 */

#include "sockwatch.h"

static struct mprox_sockwatch *mprox_sockwatch_get(struct sock *sk)
{
	read_lock_bh(&sk->sk_callback_lock);
	return sk->sk_user_data;
}

static void mprox_sockwatch_put(struct sock *sk, struct mprox_sockwatch *w)
{
	if (w)
		w->news(w);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void mprox_sockwatch_data_ready(struct sock *sk)
{
	struct mprox_sockwatch *w = mprox_sockwatch_get(sk);

	if (w) {
		w->data_ready(sk);
		(w->data_news ?: w->news)(w);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void mprox_sockwatch_write_space(struct sock *sk)
{
	struct mprox_sockwatch *w = mprox_sockwatch_get(sk);

	if (w)
		w->write_space(sk);
	mprox_sockwatch_put(sk, w);
}

static void mprox_sockwatch_state_change(struct sock *sk)
{
	struct mprox_sockwatch *w = mprox_sockwatch_get(sk);

	if (w)
		w->state_change(sk);
	mprox_sockwatch_put(sk, w);
}

static void mprox_sockwatch_error_report(struct sock *sk)
{
	struct mprox_sockwatch *w = mprox_sockwatch_get(sk);

	if (w)
		w->error_report(sk);
	mprox_sockwatch_put(sk, w);
}

void mprox_sockwatch_start(struct mprox_sockwatch *w, struct sock *sk,
			   void (*news)(struct mprox_sockwatch *w),
			   void (*data_ready)(struct sock *sk))
{
	write_lock_bh(&sk->sk_callback_lock);
	w->sk = sk;
	w->news = news;
	w->data_news = NULL;
	w->data_ready = data_ready ?: sk->sk_data_ready;
	w->write_space = sk->sk_write_space;
	w->state_change = sk->sk_state_change;
	w->error_report = sk->sk_error_report;
	sk->sk_user_data = w;
	sk->sk_data_ready = mprox_sockwatch_data_ready;
	sk->sk_write_space = mprox_sockwatch_write_space;
	sk->sk_state_change = mprox_sockwatch_state_change;
	sk->sk_error_report = mprox_sockwatch_error_report;
	write_unlock_bh(&sk->sk_callback_lock);
}

void mprox_sockwatch_set_data_news(struct mprox_sockwatch *w,
				   void (*data_news)(struct mprox_sockwatch *w))
{
	write_lock_bh(&w->sk->sk_callback_lock);
	w->data_news = data_news;
	write_unlock_bh(&w->sk->sk_callback_lock);
}

void mprox_sockwatch_stop(struct mprox_sockwatch *w)
{
	struct sock *sk = w->sk;

	if (!sk)
		return;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = w->data_ready;
	sk->sk_write_space = w->write_space;
	sk->sk_state_change = w->state_change;
	sk->sk_error_report = w->error_report;
	write_unlock_bh(&sk->sk_callback_lock);
	w->sk = NULL;
}
