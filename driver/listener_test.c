// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite of the listener's data_ready hook on an accepted socket,
 * part of mprox-test.ko. listener.c and sockwatch.c are included rather
 * than linked, as the other suites do. The accept path's call into the
 * connection is a stub the cases never reach, since their socket listens
 * on nothing; its calls into the flow table link to flow_test.c's flow.c.
 *
 * An accepted socket inherits the listener's callback and sk_user_data.
 * Softirq may have entered that callback when the socket's connection
 * takes it over (mprox_sockwatch_start() under sk_callback_lock): by the
 * time it gets the lock, sk_user_data is the connection's watch. The cases
 * call the hook in that state, which the race reaches only now and then.
 */
#include "listener.c"
#include "sockwatch.c"

#include <kunit/test.h>
#include <linux/net.h>

#include "kunit_suites.h"

void mprox_conn_attach(struct mprox_conn *c, struct socket *sock,
		       void (*data_ready)(struct sock *sk))
{
}

/* What the cases' callbacks saw; the suite's cases run one at a time. */
static struct {
	unsigned int stack, news, data_news;
	struct sock *sk;
	struct mprox_sockwatch *w;
} t_seen;

static void t_stack_data_ready(struct sock *sk)
{
	t_seen.stack++;
	t_seen.sk = sk;
}

static void t_news(struct mprox_sockwatch *w)
{
	t_seen.news++;
	t_seen.w = w;
}

static void t_data_news(struct mprox_sockwatch *w)
{
	t_seen.data_news++;
	t_seen.w = w;
}

struct t_child {
	struct socket *sock;
	void (*data_ready)(struct sock *sk);	/* the socket's own */
	struct mprox_listener l;
	struct mprox_sockwatch w;
};

/* A socket as accepted: the listener's callback and sk_user_data. */
static void t_child_open(struct kunit *test, struct t_child *c)
{
	struct sock *sk;

	memset(c, 0, sizeof(*c));
	memset(&t_seen, 0, sizeof(t_seen));
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_INET, SOCK_STREAM,
					       IPPROTO_TCP, &c->sock), 0);
	sk = c->sock->sk;
	c->l.data_ready = t_stack_data_ready;
	write_lock_bh(&sk->sk_callback_lock);
	c->data_ready = sk->sk_data_ready;
	sk->sk_user_data = &c->l;
	sk->sk_data_ready = mprox_listener_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void t_child_close(struct t_child *c)
{
	struct sock *sk = c->sock->sk;

	mprox_sockwatch_stop(&c->w);
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = c->data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	sock_release(c->sock);
}

/* Not taken over yet: the stack's own callback, and no accept work. */
static void listener_hook_accepted(struct kunit *test)
{
	struct t_child c;

	t_child_open(test, &c);
	mprox_listener_data_ready(c.sock->sk);
	KUNIT_EXPECT_EQ(test, t_seen.stack, 1U);
	KUNIT_EXPECT_PTR_EQ(test, t_seen.sk, c.sock->sk);
	t_child_close(&c);
}

/*
 * Taken over by a connection, which has not set its data_news yet (it
 * does so under a second lock): sk_user_data is a watch whose data_news
 * is NULL. The hook hands the news to the watch.
 */
static void listener_hook_taken_over(struct kunit *test)
{
	struct t_child c;

	t_child_open(test, &c);
	mprox_sockwatch_start(&c.w, c.sock->sk, t_news, t_stack_data_ready);
	mprox_listener_data_ready(c.sock->sk);
	KUNIT_EXPECT_EQ(test, t_seen.stack, 1U);
	KUNIT_EXPECT_PTR_EQ(test, t_seen.sk, c.sock->sk);
	KUNIT_EXPECT_EQ(test, t_seen.news, 1U);
	KUNIT_EXPECT_PTR_EQ(test, t_seen.w, &c.w);
	t_child_close(&c);
}

/* Taken over and relaying: the watch's data_news, with the watch. */
static void listener_hook_relaying(struct kunit *test)
{
	struct t_child c;

	t_child_open(test, &c);
	mprox_sockwatch_start(&c.w, c.sock->sk, t_news, t_stack_data_ready);
	mprox_sockwatch_set_data_news(&c.w, t_data_news);
	mprox_listener_data_ready(c.sock->sk);
	KUNIT_EXPECT_EQ(test, t_seen.stack, 1U);
	KUNIT_EXPECT_EQ(test, t_seen.data_news, 1U);
	KUNIT_EXPECT_EQ(test, t_seen.news, 0U);
	KUNIT_EXPECT_PTR_EQ(test, t_seen.w, &c.w);
	t_child_close(&c);
}

/* Given back to the stack (the connection closed it): nothing of ours. */
static void listener_hook_unwatched(struct kunit *test)
{
	struct t_child c;

	t_child_open(test, &c);
	mprox_sockwatch_start(&c.w, c.sock->sk, t_news, t_stack_data_ready);
	mprox_sockwatch_stop(&c.w);
	mprox_listener_data_ready(c.sock->sk);
	KUNIT_EXPECT_EQ(test, t_seen.stack, 1U);
	KUNIT_EXPECT_EQ(test, t_seen.news, 0U);
	t_child_close(&c);
}

static struct kunit_case mprox_listener_test_cases[] = {
	KUNIT_CASE(listener_hook_accepted),
	KUNIT_CASE(listener_hook_taken_over),
	KUNIT_CASE(listener_hook_relaying),
	KUNIT_CASE(listener_hook_unwatched),
	{}
};

struct kunit_suite mprox_listener_test_suite = {
	.name = "mprox_listener",
	.test_cases = mprox_listener_test_cases,
};
