// SPDX-License-Identifier: GPL-2.0
/*
 * Proxied TCP connections; see conn.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/wait_bit.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "conn.h"
#include "datapath.h"
#include "device.h"
#include "listener.h"
#include "ownsock.h"
#include "relay.h"
#include "reply.h"
#include "tcp.h"
#include "upstream.h"

/* Bytes one pass of the work relays per direction before yielding. */
#define MPROX_RELAY_BUDGET	(256 * 1024)

struct workqueue_struct *mprox_conn_wq;

enum mprox_conn_phase {
	MPROX_CONN_CONNECT,	/* upstream handshake; the app's SYN held */
	MPROX_CONN_ACCEPT,	/* SYN released; waiting for the listener */
	MPROX_CONN_RELAY,
	MPROX_CONN_DONE,	/* sockets closed, flow killed and put */
};

/* One of the connection's sockets, and the callbacks we took over. */
struct mprox_conn_sock {
	struct mprox_conn *conn;
	struct socket *sock;
	void (*data_ready)(struct sock *sk);
	void (*write_space)(struct sock *sk);
	void (*state_change)(struct sock *sk);
};

struct mprox_conn {
	struct mprox_datapath *dp;
	struct mprox_flow *flow;
	struct mprox_upstream *up;
	/*
	 * Runs the connection: the handshake, then each relay pass. Kicked by
	 * every socket callback, so kicking must cost nothing when it is
	 * queued already: a plain work, and the one deadline on a timer of
	 * its own (a delayed work's kick would re-queue it every time).
	 */
	struct work_struct work;
	/* ACCEPT: runs the work at accept_deadline. */
	struct timer_list accept_timer;
	struct mprox_waiter waiter;
	/* Protects phase and app.sock against the listener's attach. */
	spinlock_t lock;
	enum mprox_conn_phase phase;
	/* The flow was killed (idle, device stopping): tear down. */
	bool dying;
	/* ACCEPT: give up on the listener after this (jiffies). */
	unsigned long accept_deadline;
	struct mprox_conn_sock upstream;
	struct mprox_conn_sock app;
	struct mprox_relay_dir to_upstream;
	struct mprox_relay_dir to_app;
};

static void mprox_conn_work(struct work_struct *work);

static void mprox_conn_kick(struct mprox_conn *c)
{
	wake_up(&c->waiter.wq);
	queue_work(mprox_conn_wq, &c->work);
}

static void mprox_conn_accept_timeout(struct timer_list *t)
{
	struct mprox_conn *c = from_timer(c, t, accept_timer);

	queue_work(mprox_conn_wq, &c->work);
}

/*
 * Socket callbacks, in softirq or process context: the stack's own, then a
 * kick. The socket's lock is not ours to take: sk_user_data is read under
 * sk_callback_lock, which mprox_conn_sock_release() takes to detach.
 */
static struct mprox_conn_sock *mprox_conn_sock_get(struct sock *sk)
{
	read_lock_bh(&sk->sk_callback_lock);
	return sk->sk_user_data;
}

static void mprox_conn_sock_put(struct sock *sk, struct mprox_conn_sock *cs)
{
	if (cs)
		mprox_conn_kick(cs->conn);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void mprox_conn_data_ready(struct sock *sk)
{
	struct mprox_conn_sock *cs = mprox_conn_sock_get(sk);

	if (cs)
		cs->data_ready(sk);
	mprox_conn_sock_put(sk, cs);
}

static void mprox_conn_write_space(struct sock *sk)
{
	struct mprox_conn_sock *cs = mprox_conn_sock_get(sk);

	if (cs)
		cs->write_space(sk);
	mprox_conn_sock_put(sk, cs);
}

static void mprox_conn_state_change(struct sock *sk)
{
	struct mprox_conn_sock *cs = mprox_conn_sock_get(sk);

	if (cs)
		cs->state_change(sk);
	mprox_conn_sock_put(sk, cs);
}

/*
 * Take over @sock's callbacks. @data_ready, when given, is the stack's own
 * (an accepted socket inherited the listener's, which is ours).
 */
static void mprox_conn_sock_attach(struct mprox_conn *c,
				   struct mprox_conn_sock *cs,
				   struct socket *sock,
				   void (*data_ready)(struct sock *sk))
{
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	cs->conn = c;
	cs->sock = sock;
	cs->data_ready = data_ready ?: sk->sk_data_ready;
	cs->write_space = sk->sk_write_space;
	cs->state_change = sk->sk_state_change;
	sk->sk_user_data = cs;
	sk->sk_data_ready = mprox_conn_data_ready;
	sk->sk_write_space = mprox_conn_write_space;
	sk->sk_state_change = mprox_conn_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

/*
 * Give the socket its callbacks back and close it. Every socket of ours
 * has SO_LINGER 0: one that is not closed already sends RST and is gone at
 * once, never an orphan that could outlive the namespace.
 */
static void mprox_conn_sock_release(struct mprox_conn_sock *cs)
{
	struct sock *sk;

	if (!cs->sock)
		return;
	sk = cs->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = cs->data_ready;
	sk->sk_write_space = cs->write_space;
	sk->sk_state_change = cs->state_change;
	write_unlock_bh(&sk->sk_callback_lock);
	/* The app's socket was never registered: that finds nothing. */
	mprox_ownsock_del(sk);
	sock_release(cs->sock);
	cs->sock = NULL;
}

struct mprox_conn *mprox_conn_alloc(struct mprox_datapath *dp,
				    struct mprox_upstream *up, gfp_t gfp)
{
	struct mprox_conn *c = kzalloc(sizeof(*c), gfp);

	if (!c)
		return NULL;
	c->dp = dp;
	c->up = mprox_upstream_get(up);
	spin_lock_init(&c->lock);
	init_waitqueue_head(&c->waiter.wq);
	INIT_WORK(&c->work, mprox_conn_work);
	timer_setup(&c->accept_timer, mprox_conn_accept_timeout, 0);
	c->phase = MPROX_CONN_CONNECT;
	atomic_inc(&dp->nr_conns);
	return c;
}

static void mprox_conn_free(struct mprox_conn *c)
{
	struct mprox_datapath *dp = c->dp;

	mprox_relay_dir_free(&c->to_upstream);
	mprox_relay_dir_free(&c->to_app);
	mprox_upstream_put(c->up);
	kfree(c);
	if (atomic_dec_and_test(&dp->nr_conns))
		wake_up_var(&dp->nr_conns);
}

void mprox_conn_free_unused(struct mprox_conn *c)
{
	mprox_conn_free(c);
}

/*
 * Sockets closed, flow killed and our reference to it dropped: @c is gone.
 * @abort: the app's connection is torn down under it (a reset, the flow
 * killed), so its socket is aborted too. Closing ours would reset it
 * through xmit, but not once the device is going down, nor while the app
 * still waits for its SYN's answer.
 */
static void mprox_conn_close(struct mprox_conn *c, bool abort)
{
	struct mprox_flow *f = c->flow;

	spin_lock_bh(&c->lock);
	c->phase = MPROX_CONN_DONE;
	spin_unlock_bh(&c->lock);
	if (abort)
		mprox_tcp_abort_app(c->dp, f);
	mprox_conn_sock_release(&c->app);
	mprox_conn_sock_release(&c->upstream);
	mprox_flow_kill(&c->dp->flows, f);
	/* Our reference; the last one frees @c through the release callback. */
	mprox_flow_put(f);
}

static enum mprox_reply_kind mprox_conn_refusal(enum mprox_connect_result res)
{
	switch (res) {
	case MPROX_CONNECT_REFUSED:
	case MPROX_CONNECT_AUTH_FAILED:
		return MPROX_REPLY_RST;
	case MPROX_CONNECT_NOT_ALLOWED:
		return MPROX_REPLY_ADMIN_PROHIBITED;
	case MPROX_CONNECT_NET_UNREACH:
	case MPROX_CONNECT_ATYP_UNSUPPORTED:
	case MPROX_CONNECT_NO_UPSTREAM:
		return MPROX_REPLY_NET_UNREACH;
	case MPROX_CONNECT_TTL_EXPIRED:
		return MPROX_REPLY_TIME_EXCEEDED;
	default:
		return MPROX_REPLY_HOST_UNREACH;
	}
}

/*
 * Our connection to the upstream for @dest, through its handshake: on a
 * spare when one is ready, else on a socket of our own.
 */
static enum mprox_connect_result
mprox_conn_upstream(struct mprox_conn *c, const struct mprox_dest *dest,
		    u32 mark)
{
	struct mprox_datapath *dp = c->dp;
	enum mprox_connect_result res;
	struct socket *sock;
	int err;

	sock = mprox_spares_take(&dp->spares, c->up);
	if (sock) {
		mprox_conn_sock_attach(c, &c->upstream, sock, NULL);
		res = mprox_upstream_request(sock, c->up, dest, &c->waiter);
		/*
		 * The proxy may have closed the spare just before our request
		 * reached it: that says nothing about @dest. Ask again on a
		 * connection of our own.
		 */
		if (res != MPROX_CONNECT_PROXY_ERROR)
			return res;
		mprox_conn_sock_release(&c->upstream);
	}

	err = mprox_upstream_socket(dev_net(dp->md->dev), c->up, mark, &sock);
	if (err) {
		if (err == -EAFNOSUPPORT)
			pr_warn_ratelimited("upstream %s: host names are not resolved in the kernel yet; give an address\n",
					    c->up->spec.name);
		else if (err == -ENODEV)
			pr_warn_ratelimited("upstream %s: no interface %s\n",
					    c->up->spec.name, c->up->spec.dev);
		return err == -ENODEV ? MPROX_CONNECT_UPSTREAM_DOWN :
					MPROX_CONNECT_PROXY_ERROR;
	}
	mprox_conn_sock_attach(c, &c->upstream, sock, NULL);
	return mprox_upstream_handshake(sock, c->up, dest, &c->waiter);
}

static void mprox_conn_connect(struct mprox_conn *c)
{
	struct mprox_datapath *dp = c->dp;
	struct mprox_flow *f = c->flow;
	struct mprox_dest dest = {};
	enum mprox_connect_result res;
	struct mprox_config *cfg;
	unsigned long timeout;
	u32 mark;

	rcu_read_lock();
	cfg = rcu_dereference(dp->md->config);
	mark = cfg->fwmark;
	timeout = msecs_to_jiffies(cfg->tunables[MPROX_TUNE_CONNECT_TIMEOUT_MS]);
	rcu_read_unlock();
	c->waiter.deadline = jiffies + timeout;

	dest.family = f->app.family;
	dest.port = ntohs(f->app.dport);
	if (dest.family == AF_INET6)
		dest.addr.v6 = f->app.daddr.v6;
	else
		dest.addr.v4 = f->app.daddr.v4;

	mprox_flow_set_state(f, MPROX_FLOW_CONNECTING);
	res = mprox_conn_upstream(c, &dest, mark);
	if (res == MPROX_CONNECT_OK && READ_ONCE(c->dying))
		res = MPROX_CONNECT_ABORTED;
	atomic64_inc(&dp->connects[res]);
	/* Not about the destination: the upstream is broken or misconfigured. */
	if (res == MPROX_CONNECT_CMD_UNSUPPORTED ||
	    res == MPROX_CONNECT_PROXY_ERROR)
		pr_info_ratelimited("upstream %s: %s\n", c->up->spec.name,
				    res == MPROX_CONNECT_PROXY_ERROR ?
				    "the proxy broke the protocol or closed the connection" :
				    "the proxy does not do CONNECT");

	if (res == MPROX_CONNECT_ABORTED) {
		mprox_conn_close(c, true);
		return;
	}
	if (res != MPROX_CONNECT_OK) {
		/* The refusal is the app's answer: nothing to abort. */
		mprox_tcp_refuse_syn(dp, f, mprox_conn_refusal(res));
		mprox_conn_close(c, false);
		return;
	}
	spin_lock_bh(&c->lock);
	c->phase = MPROX_CONN_ACCEPT;
	spin_unlock_bh(&c->lock);
	/* The app gets the same time to complete its handshake with us. */
	c->accept_deadline = jiffies + timeout;
	mprox_flow_set_state(f, MPROX_FLOW_ESTABLISHED);
	mprox_tcp_release_syn(dp, f);
	mprox_listener_accept_now(dp, f->app.family);
	/* The listener's attach kicks us, or the deadline does. */
	mod_timer(&c->accept_timer, c->accept_deadline);
}

void mprox_conn_attach(struct mprox_conn *c, struct socket *sock,
		       void (*data_ready)(struct sock *sk))
{
	bool wanted;

	sock_no_linger(sock->sk);
	tcp_sock_set_nodelay(sock->sk);
	spin_lock_bh(&c->lock);
	wanted = c->phase == MPROX_CONN_ACCEPT && !c->app.sock &&
		 !READ_ONCE(c->dying);
	if (wanted) {
		mprox_conn_sock_attach(c, &c->app, sock, data_ready);
		c->phase = MPROX_CONN_RELAY;
	}
	spin_unlock_bh(&c->lock);
	if (!wanted) {
		sock_release(sock);
		return;
	}
	mprox_conn_kick(c);
}

static bool mprox_conn_sock_closed(struct mprox_conn_sock *cs)
{
	return READ_ONCE(cs->sock->sk->sk_state) == TCP_CLOSE;
}

static bool mprox_conn_sock_failed(struct mprox_conn_sock *cs)
{
	return READ_ONCE(cs->sock->sk->sk_err) != 0;
}

static void mprox_conn_relay(struct mprox_conn *c)
{
	struct mprox_datapath *dp = c->dp;
	enum mprox_relay_status up, down;
	u64 bytes_up = 0, bytes_down = 0;

	up = mprox_relay_pump(&c->to_upstream, c->app.sock, c->upstream.sock,
			      MPROX_RELAY_BUDGET, &bytes_up);
	down = mprox_relay_pump(&c->to_app, c->upstream.sock, c->app.sock,
				MPROX_RELAY_BUDGET, &bytes_down);
	if (bytes_up || bytes_down) {
		mprox_flow_add_bytes(c->flow, bytes_up, bytes_down);
		atomic64_add(bytes_up, &dp->bytes_up);
		atomic64_add(bytes_down, &dp->bytes_down);
		mprox_flow_touch(c->flow);
	}
	if (up == MPROX_RELAY_RESET || down == MPROX_RELAY_RESET ||
	    mprox_conn_sock_failed(&c->app) ||
	    mprox_conn_sock_failed(&c->upstream)) {
		/* Closing with SO_LINGER 0 resets the other side too. */
		mprox_conn_close(c, true);
		return;
	}
	if (up == MPROX_RELAY_DONE || down == MPROX_RELAY_DONE)
		mprox_flow_set_state(c->flow, MPROX_FLOW_CLOSING);
	if (up == MPROX_RELAY_DONE && down == MPROX_RELAY_DONE) {
		/*
		 * Both FINs passed on. Close once both sockets have had
		 * their own FIN acknowledged (TCP_CLOSE), so that closing
		 * resets nothing and loses nothing; their state changes
		 * kick us. The idle timeout bounds the wait.
		 */
		if (mprox_conn_sock_closed(&c->app) &&
		    mprox_conn_sock_closed(&c->upstream))
			mprox_conn_close(c, false);
		return;
	}
	if (up == MPROX_RELAY_AGAIN || down == MPROX_RELAY_AGAIN)
		queue_work(mprox_conn_wq, &c->work);
}

static void __mprox_conn_work(struct mprox_conn *c)
{
	enum mprox_conn_phase phase;

	spin_lock_bh(&c->lock);
	phase = c->phase;
	spin_unlock_bh(&c->lock);

	if (phase == MPROX_CONN_DONE)
		return;
	if (READ_ONCE(c->dying)) {
		mprox_conn_close(c, true);
		return;
	}
	switch (phase) {
	case MPROX_CONN_CONNECT:
		mprox_conn_connect(c);
		break;
	case MPROX_CONN_ACCEPT:
		/* Kicked before the attach (a callback), or timed out. */
		if (time_after_eq(jiffies, c->accept_deadline))
			mprox_conn_close(c, true);
		break;
	case MPROX_CONN_RELAY:
		mprox_conn_relay(c);
		break;
	case MPROX_CONN_DONE:
		break;
	}
}

/*
 * What the work allocates (the upstream socket, buffers) is charged to the
 * device's creator. @c may be gone once __mprox_conn_work() returns.
 */
static void mprox_conn_work(struct work_struct *work)
{
	struct mprox_conn *c = container_of(work, struct mprox_conn, work);
	struct mem_cgroup *old = mprox_datapath_charge_begin(c->dp);

	__mprox_conn_work(c);
	mprox_datapath_charge_end(old);
}

void mprox_conn_start(struct mprox_conn *c, struct mprox_flow *f)
{
	c->flow = f;
	queue_work(mprox_conn_wq, &c->work);
}

void mprox_conn_flow_killed(struct mprox_flow *f)
{
	struct mprox_conn *c = f->priv;

	if (!c)
		return;
	WRITE_ONCE(c->dying, true);
	WRITE_ONCE(c->waiter.aborted, true);
	mprox_conn_kick(c);
}

void mprox_conn_flow_release(struct mprox_flow *f)
{
	struct mprox_conn *c = f->priv;

	if (!c)
		return;
	/*
	 * Closed: nothing arms the timer any more, but it may still queue
	 * the work, as may a late kick.
	 */
	mprox_compat_timer_delete_sync(&c->accept_timer);
	cancel_work_sync(&c->work);
	mprox_conn_free(c);
}

const char *mprox_conn_upstream_name(struct mprox_flow *f)
{
	struct mprox_conn *c = f->priv;

	return c ? c->up->spec.name : "";
}

int mprox_conn_init(void)
{
	/*
	 * Unbound: a handshake may wait for a slow proxy for the whole
	 * connect timeout, and hundreds may wait at once. Normal priority,
	 * like kTLS's and sockmap's workers: a relay at high priority
	 * preempts the proxy or the application for every segment that
	 * arrives and moves them one at a time (downloads from microsocks,
	 * which writes 1 KiB at a time, measured 0.5-0.7x against 0.8-1.2x
	 * at normal priority, make bench), and a bulk transfer through the
	 * device would take the CPU from everything else. (Per-CPU workers
	 * measured no better: the relay then waits for the softirq that
	 * feeds it, on the same CPU.)
	 */
	mprox_conn_wq = alloc_workqueue("mprox_conn", WQ_UNBOUND, 0);
	return mprox_conn_wq ? 0 : -ENOMEM;
}

void mprox_conn_exit(void)
{
	destroy_workqueue(mprox_conn_wq);
}
