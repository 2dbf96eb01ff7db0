// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel listeners; see listener.h.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <net/sock.h>

#include "conn.h"
#include "listener.h"

/* Connections completing the handshake at once, per listener. */
#define MPROX_LISTEN_BACKLOG	1024

/*
 * Will an accept_now() take the socket just queued on @l? The socket is
 * in the accept queue before data_ready runs: the barrier orders that
 * before our read of the count, as accept_now() orders its decrement
 * before its accept. Either it finds the socket, or we see no accept to
 * come and wake the work.
 */
static bool mprox_listener_accept_due(struct mprox_listener *l)
{
	/* The queued socket before the count. */
	smp_mb();
	return atomic_read(&l->accept_soon) > 0;
}

static void mprox_listener_data_ready(struct sock *sk)
{
	void (*taken)(struct sock *sk) = NULL;
	struct mprox_listener *l;

	read_lock_bh(&sk->sk_callback_lock);
	/*
	 * An accepted socket inherits this callback and sk_user_data from
	 * the listener. A connection that takes it over replaces both under
	 * the lock we may have waited for: then sk_user_data is its watch,
	 * not a listener, and the news is for its callback.
	 */
	if (sk->sk_data_ready != mprox_listener_data_ready) {
		taken = sk->sk_data_ready;
	} else {
		l = sk->sk_user_data;
		if (l) {
			l->data_ready(sk);
			/*
			 * Only the listener's news is news for the accept
			 * work.
			 */
			if (sk->sk_state == TCP_LISTEN &&
			    !mprox_listener_accept_due(l))
				queue_work(l->dp->wq, &l->dp->accept_work);
		}
	}
	read_unlock_bh(&sk->sk_callback_lock);
	if (taken)
		taken(sk);
}

static int mprox_listener_setsockopt(struct socket *sock, int level, int name)
{
	int one = 1;

	return sock->ops->setsockopt(sock, level, name, KERNEL_SOCKPTR(&one),
				     sizeof(one));
}

int mprox_listener_open(struct mprox_datapath *dp, struct mprox_listener *l,
			u16 family, const union mprox_addr *addr)
{
	struct net_device *dev = dp->dev;
	struct sockaddr_storage ss = {};
	struct socket *sock;
	int len, err;

	err = sock_create_kern(dev_net(dev), family, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err)
		return err;
	sock_no_linger(sock->sk);
	err = sock_bindtoindex(sock->sk, dev->ifindex, true);
	if (err)
		goto err_release;
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		err = mprox_listener_setsockopt(sock, SOL_IPV6, IPV6_TRANSPARENT);
		if (!err)
			err = mprox_listener_setsockopt(sock, SOL_IPV6,
							IPV6_V6ONLY);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = addr->v6;
		sin6->sin6_scope_id = dev->ifindex;
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		err = mprox_listener_setsockopt(sock, SOL_IP, IP_TRANSPARENT);
		sin->sin_family = AF_INET;
		sin->sin_addr = addr->v4;
		len = sizeof(*sin);
	}
	if (err)
		goto err_release;
	/* Port 0: the kernel picks a free one, as for any socket. */
	err = kernel_bind(sock, (struct sockaddr *)&ss, len);
	if (err)
		goto err_release;
	err = kernel_getsockname(sock, (struct sockaddr *)&ss);
	if (err < 0)
		goto err_release;
	l->port = family == AF_INET6 ?
		  ((struct sockaddr_in6 *)&ss)->sin6_port :
		  ((struct sockaddr_in *)&ss)->sin_port;

	l->dp = dp;
	write_lock_bh(&sock->sk->sk_callback_lock);
	l->data_ready = sock->sk->sk_data_ready;
	sock->sk->sk_user_data = l;
	sock->sk->sk_data_ready = mprox_listener_data_ready;
	write_unlock_bh(&sock->sk->sk_callback_lock);
	err = kernel_listen(sock, MPROX_LISTEN_BACKLOG);
	if (err)
		goto err_release;
	l->sock = sock;
	return 0;

err_release:
	sock_release(sock);
	return err;
}

void mprox_listener_quiesce(struct mprox_listener *l)
{
	struct sock *sk;

	if (!l->sock)
		return;
	sk = l->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = l->data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
}

void mprox_listener_close(struct mprox_listener *l)
{
	if (!l->sock)
		return;
	mprox_listener_quiesce(l);
	sock_release(l->sock);
	l->sock = NULL;
}

/* The flow key of an accepted socket: peer F:f, local L:l. */
static int mprox_listener_key(struct socket *sock, struct mprox_flow_key *k)
{
	struct sockaddr_storage peer, local;
	union mprox_addr pa = {}, la = {};
	__be16 pp, lp;

	if (kernel_getpeername(sock, (struct sockaddr *)&peer) < 0 ||
	    kernel_getsockname(sock, (struct sockaddr *)&local) < 0)
		return -ENOTCONN;
	if (peer.ss_family == AF_INET6) {
		pa.v6 = ((struct sockaddr_in6 *)&peer)->sin6_addr;
		pp = ((struct sockaddr_in6 *)&peer)->sin6_port;
		la.v6 = ((struct sockaddr_in6 *)&local)->sin6_addr;
		lp = ((struct sockaddr_in6 *)&local)->sin6_port;
	} else {
		pa.v4 = ((struct sockaddr_in *)&peer)->sin_addr;
		pp = ((struct sockaddr_in *)&peer)->sin_port;
		la.v4 = ((struct sockaddr_in *)&local)->sin_addr;
		lp = ((struct sockaddr_in *)&local)->sin_port;
	}
	mprox_flow_key_set(k, peer.ss_family, IPPROTO_TCP, &pa, pp, &la, lp);
	return 0;
}

/*
 * Accept until the queue is empty (-EAGAIN), the data path stops (0) or
 * accepting fails (-ENOMEM, ...): returns which.
 */
static int mprox_listener_accept(struct mprox_datapath *dp,
				 struct mprox_listener *l)
{
	struct mprox_flow_key k;
	struct mprox_conn *c;
	struct mprox_flow *f;
	struct socket *sock;
	int err = 0;

	mutex_lock(&dp->accept_lock);
	/*
	 * The flow table is only there while the data path runs (the
	 * acquire pairs with the release in start).
	 */
	while (smp_load_acquire(&dp->running) && l->sock &&
	       !(err = kernel_accept(l->sock, &sock, O_NONBLOCK))) {
		f = NULL;
		c = NULL;
		if (!mprox_listener_key(sock, &k))
			f = mprox_flow_lookup_nat(&dp->flows, &k);
		if (f)
			c = mprox_flow_priv_linked(&dp->flows, f);
		if (!c) {
			/* Its flow is gone: reset it. */
			sock_no_linger(sock->sk);
			sock_release(sock);
		} else {
			mprox_conn_attach(c, sock, l->data_ready);
		}
		if (f)
			mprox_flow_put(f);
		cond_resched();
	}
	mutex_unlock(&dp->accept_lock);
	return err;
}

static struct mprox_listener *mprox_listener_of(struct mprox_datapath *dp,
						u16 family)
{
	return &dp->listener[family == AF_INET6];
}

void mprox_listener_accept_soon(struct mprox_datapath *dp, u16 family)
{
	atomic_inc(&mprox_listener_of(dp, family)->accept_soon);
}

void mprox_listener_accept_now(struct mprox_datapath *dp, u16 family)
{
	struct mprox_listener *l = mprox_listener_of(dp, family);
	int err;

	atomic_dec(&l->accept_soon);
	/* Pairs with mprox_listener_accept_due(). */
	smp_mb__after_atomic();
	err = mprox_listener_accept(dp, l);
	/*
	 * What failed to be accepted may be sockets whose news did not
	 * queue the work, since we were coming: the work tries again. Not
	 * the work itself, which would spin while memory is short.
	 */
	if (err && err != -EAGAIN)
		queue_work(dp->wq, &dp->accept_work);
}

void mprox_listener_accept_work(struct work_struct *work)
{
	struct mprox_datapath *dp = container_of(work, struct mprox_datapath,
						 accept_work);

	mprox_listener_accept(dp, &dp->listener[0]);
	mprox_listener_accept(dp, &dp->listener[1]);
}
