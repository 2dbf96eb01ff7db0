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

#include "choice.h"
#include "compat.h"
#include "conn.h"
#include "datapath.h"
#include "handshake.h"
#include "lookup.h"
#include "ownsock.h"
#include "relay.h"
#include "reply.h"
#include "sockwatch.h"
#include "upstream.h"

/* Bytes one pass of the work relays per direction before yielding. */
#define MPROX_RELAY_BUDGET	(256 * 1024)
/* ... and one pass from data_ready, in softirq. */
#define MPROX_RELAY_INLINE_BUDGET (64 * 1024)

/*
 * Who relays a direction now (bits of mprox_conn.pumping): the work or a
 * socket's data_ready, never both, so that its bytes keep their order.
 * Held from the connection's start; let go when it starts relaying, taken
 * for good when it closes.
 */
enum {
	MPROX_CONN_PUMP_UP,	/* to_upstream */
	MPROX_CONN_PUMP_DOWN,	/* to_app */
};

struct workqueue_struct *mprox_relay_wq;

enum mprox_conn_phase {
	MPROX_CONN_NEW,		/* the app's SYN held; nothing opened yet */
	MPROX_CONN_CONNECT,	/* upstream handshake; the app's SYN held */
	MPROX_CONN_ACCEPT,	/* SYN released; waiting for the listener */
	MPROX_CONN_RELAY,
	MPROX_CONN_DONE,	/* sockets closed, flow killed and put */
};

/* One of the connection's sockets, and the callbacks we took over. */
struct mprox_conn_sock {
	struct mprox_conn *conn;
	struct socket *sock;
	struct mprox_sockwatch watch;
};

struct mprox_conn {
	struct mprox_datapath *dp;
	const struct mprox_conn_ops *ops;
	struct mprox_flow *flow;
	struct mprox_upstream *up;
	/*
	 * Run the connection: each step of the handshake and the accept on
	 * the device's queue (work), each relay pass on the relay's
	 * (relay_work), so that relaying never queues behind handshakes.
	 * Two works, not one queued on either: a work is non-reentrant only
	 * on one queue. run_lock serialises them (a kick of one while the
	 * other runs, at the switch to RELAY). Kicked by every socket
	 * callback, so kicking must cost nothing when it is queued already:
	 * plain works, and the deadlines on a timer of their own (a delayed
	 * work's kick would re-queue it every time).
	 */
	struct work_struct work;
	struct work_struct relay_work;
	struct mutex run_lock;		/* serialises work and relay_work */
	/*
	 * CONNECT and ACCEPT: runs the work at their deadline; RELAY, once
	 * both FINs are passed on: runs the relay at fin_deadline.
	 */
	struct timer_list timer;
	bool fin_armed;
	unsigned long fin_deadline;
	/*
	 * The name the destination's address stands for (a fake-IP pool's,
	 * fakeip.h), NUL terminated: the proxy is asked for it instead of
	 * the address. NULL for any other destination.
	 */
	char *dest_name;
	u8 dest_name_len;
	/*
	 * A direct connection to @dest_name: its address, once "dns server"
	 * gave it (4 bytes for IPv4), and while it is asked for, the lookup
	 * on a UDP socket in ->upstream (lookup.h).
	 */
	bool dest_resolved;
	u8 dest_addr[16];
	struct mprox_lookup *lookup;
	/* jiffies: the app's SYN, where the handshake's deadlines start. */
	unsigned long syn_time;
	/* CONNECT: the handshake, on a spare or on a socket of our own. */
	struct mprox_handshake hs;
	bool on_spare;
	/* The trial of a down upstream this attempt holds (choice.h). */
	struct mprox_trial trial;
	/* Where the rules let this flow go: its retry stays there. */
	struct mprox_choice_scope scope;
	/*
	 * Set when the first upstream failed and this is the one retry on
	 * another: the first, held until the end, since a status read may
	 * still be looking at it through ->up.
	 */
	struct mprox_upstream *failed_up;
	/*
	 * This attempt began after an earlier one of the flow's had spent
	 * part of the app's time: the retry, or the connection of our own
	 * after a spare failed. It gets a connect_timeout of its own.
	 */
	bool restarted;
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
	unsigned long pumping;
};

/*
 * How long, after both FINs are passed on and all data is acknowledged,
 * the two sockets may wait for the ACK of their own FIN: Linux's default
 * tcp_fin_timeout. An application whose ACKs go elsewhere now (its routing
 * changed) or nowhere would otherwise hold the flow until the FIN
 * retransmissions give up, a quarter of an hour later. Data still on its
 * way to a slow reader is not bounded by this.
 */
#define MPROX_CONN_FIN_TIMEOUT (60 * HZ)

/* The least of the app's deadline a retry on another upstream needs. */
#define MPROX_CONN_RETRY_MIN (1 * HZ)

static void mprox_conn_work(struct work_struct *work);
static void mprox_conn_relay_work(struct work_struct *work);

static void mprox_conn_kick(struct mprox_conn *c)
{
	if (READ_ONCE(c->phase) == MPROX_CONN_RELAY)
		queue_work(mprox_relay_wq, &c->relay_work);
	else
		queue_work(c->dp->wq, &c->work);
}

static void mprox_conn_timeout(struct timer_list *t)
{
	struct mprox_conn *c = from_timer(c, t, timer);

	mprox_conn_kick(c);
}

/* News of one of the connection's sockets (sockwatch.h): a kick. */
static void mprox_conn_sock_news(struct mprox_sockwatch *w)
{
	struct mprox_conn_sock *cs = container_of(w, struct mprox_conn_sock,
						  watch);

	mprox_conn_kick(cs->conn);
}

static void mprox_conn_count(struct mprox_conn *c, u64 up, u64 down,
			     enum mprox_traffic_pass pass)
{
	mprox_flow_add_bytes(c->flow, up, down);
	mprox_traffic_add(c->dp->traffic, up, down, pass);
	mprox_traffic_add(c->up->traffic, up, down, MPROX_TRAFFIC_NO_PASS);
	mprox_flow_touch(c->flow);
}

/* Become the one who relays direction @bit, if nobody is. */
static bool mprox_conn_pump_try(struct mprox_conn *c, int bit)
{
	return !test_and_set_bit(bit, &c->pumping);
}

/*
 * Take direction @bit for good, at close. Whoever holds it now is a pass
 * outside the work (from data_ready, or the attach's), with bottom halves
 * off on another CPU, bounded by its budget.
 */
static void mprox_conn_pump_end(struct mprox_conn *c, int bit)
{
	while (!mprox_conn_pump_try(c, bit))
		cpu_relax();
}

static void mprox_conn_pump_give(struct mprox_conn *c, int bit)
{
	clear_bit_unlock(bit, &c->pumping);
}

/* Direction @bit's relay state, with its source and sink. */
static struct mprox_relay_dir *mprox_conn_dir(struct mprox_conn *c, int bit,
					      struct socket **src,
					      struct socket **dst)
{
	bool up = bit == MPROX_CONN_PUMP_UP;

	*src = up ? c->app.sock : c->upstream.sock;
	*dst = up ? c->upstream.sock : c->app.sock;
	return up ? &c->to_upstream : &c->to_app;
}

/*
 * Take direction @bit for a pass outside the work, with bottom halves off
 * (so that the close, which spins for the direction, waits for one pass at
 * most). False, having kicked the work, when someone else has it or the
 * connection is not relaying: that one, or the work, sees to the bytes.
 * With PREEMPT_RT a softirq may be preempted, so such passes keep out.
 */
static bool mprox_conn_pump_take(struct mprox_conn *c, int bit)
{
	if (IS_ENABLED(CONFIG_PREEMPT_RT) || !mprox_conn_pump_try(c, bit)) {
		mprox_conn_kick(c);
		return false;
	}
	if (READ_ONCE(c->phase) != MPROX_CONN_RELAY) {
		mprox_conn_pump_give(c, bit);
		mprox_conn_kick(c);
		return false;
	}
	return true;
}

/*
 * Relay direction @bit, taken, there and then when the plain case allows
 * (relay.h), then give it back; kick the work for what is left. With the
 * source's spinlock held, or the source owned (a data_ready from its
 * backlog), which the pass sees and leaves to the work. Both sockets are
 * there while we hold the direction: the close takes both for good before
 * it releases them.
 */
static void mprox_conn_pump_inline(struct mprox_conn *c, int bit)
{
	bool up = bit == MPROX_CONN_PUMP_UP;
	struct socket *src, *dst;
	struct mprox_relay_dir *d;
	u64 moved = 0;
	bool done;

	d = mprox_conn_dir(c, bit, &src, &dst);
	done = mprox_relay_pump_inline(d, src->sk, dst->sk,
				       MPROX_RELAY_INLINE_BUDGET, &moved);
	mprox_conn_pump_give(c, bit);
	if (moved)
		mprox_conn_count(c, up ? moved : 0, up ? 0 : moved,
				 MPROX_TRAFFIC_PASS_INLINE);
	if (!done)
		mprox_conn_kick(c);
}

/*
 * Bytes arrived on one of the connection's relaying sockets, in its
 * data_ready. The connection is there until we return: the close stops
 * watching this socket, which waits for its callbacks, before the
 * connection can go.
 */
static void mprox_conn_sock_data_news(struct mprox_sockwatch *w)
{
	struct mprox_conn_sock *cs = container_of(w, struct mprox_conn_sock,
						  watch);
	struct mprox_conn *c = cs->conn;
	int bit = cs == &c->app ? MPROX_CONN_PUMP_UP : MPROX_CONN_PUMP_DOWN;

	if (mprox_conn_pump_take(c, bit))
		mprox_conn_pump_inline(c, bit);
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
	cs->conn = c;
	cs->sock = sock;
	mprox_sockwatch_start(&cs->watch, sock->sk, mprox_conn_sock_news,
			      data_ready);
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
	mprox_sockwatch_stop(&cs->watch);
	/* The app's socket was never registered: that finds nothing. */
	mprox_ownsock_del(sk);
	sock_release(cs->sock);
	cs->sock = NULL;
}

struct mprox_conn *mprox_conn_alloc(struct mprox_datapath *dp,
				    struct mprox_upstream *up,
				    const struct mprox_choice_scope *scope,
				    const struct mprox_trial *trial,
				    const struct mprox_conn_ops *ops,
				    gfp_t gfp)
{
	struct mprox_conn *c = kzalloc(sizeof(*c), gfp);

	if (!c)
		return NULL;
	c->dp = dp;
	c->ops = ops;
	c->trial = *trial;
	c->scope = *scope;
	c->up = mprox_upstream_get(up);
	atomic_inc(&up->active);
	spin_lock_init(&c->lock);
	INIT_WORK(&c->work, mprox_conn_work);
	INIT_WORK(&c->relay_work, mprox_conn_relay_work);
	mutex_init(&c->run_lock);
	timer_setup(&c->timer, mprox_conn_timeout, 0);
	c->syn_time = jiffies;
	c->phase = MPROX_CONN_NEW;
	c->pumping = BIT(MPROX_CONN_PUMP_UP) | BIT(MPROX_CONN_PUMP_DOWN);
	percpu_ref_get(&dp->conns);
	return c;
}

static void mprox_conn_free(struct mprox_conn *c)
{
	struct mprox_datapath *dp = c->dp;

	mprox_relay_dir_free(&c->to_upstream);
	mprox_relay_dir_free(&c->to_app);
	mprox_handshake_reset(&c->hs);
	/* Gone before its outcome: its trial may go to another flow. */
	mprox_choice_drop_trial(dp, c->up, &c->trial);
	atomic_dec(&c->up->active);
	mprox_upstream_put(c->up);
	if (c->failed_up)
		mprox_upstream_put(c->failed_up);
	kfree(c->lookup);
	kfree(c->dest_name);
	kfree(c);
	/* Maybe the last of a stopped data path: nothing of dp after it. */
	percpu_ref_put(&dp->conns);
}

void mprox_conn_set_dest_name(struct mprox_conn *c, char *name, u8 len)
{
	c->dest_name = name;
	c->dest_name_len = len;
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
	bool relaying;

	spin_lock_bh(&c->lock);
	relaying = c->phase == MPROX_CONN_RELAY;
	WRITE_ONCE(c->phase, MPROX_CONN_DONE);
	spin_unlock_bh(&c->lock);
	/*
	 * No pass from data_ready runs, or will, on the sockets we close:
	 * one that takes a direction from here on sees DONE and lets go.
	 */
	if (relaying) {
		/* DONE before our tries; pairs with pump_take's try, then read. */
		smp_mb();
		mprox_conn_pump_end(c, MPROX_CONN_PUMP_UP);
		mprox_conn_pump_end(c, MPROX_CONN_PUMP_DOWN);
	}
	if (abort)
		c->ops->abort_app(c->dp, f);
	mprox_conn_sock_release(&c->app);
	mprox_conn_sock_release(&c->upstream);
	mprox_flow_kill(&c->dp->flows, f);
	/* Our reference; the last one frees @c through the release callback. */
	mprox_flow_put(f);
}

static const char *const mprox_conn_close_names[MPROX_CONN_CLOSE_COUNT] = {
	[MPROX_CONN_CLOSE_FIN] = "fin",
	[MPROX_CONN_CLOSE_FIN_TIMEOUT] = "fin_timeout",
	[MPROX_CONN_CLOSE_APP_RESET] = "app_reset",
	[MPROX_CONN_CLOSE_UPSTREAM_RESET] = "upstream_reset",
	[MPROX_CONN_CLOSE_ACCEPT_TIMEOUT] = "accept_timeout",
	[MPROX_CONN_CLOSE_KILLED] = "killed",
};

const char *mprox_conn_close_name(enum mprox_conn_close why)
{
	return mprox_conn_close_names[why];
}

/*
 * The end of a connection the proxy accepted, counted by @why: only a
 * clean close leaves the app's connection alone.
 */
static void mprox_conn_end(struct mprox_conn *c, enum mprox_conn_close why)
{
	atomic64_inc(&c->dp->closes[why]);
	mprox_conn_close(c, why != MPROX_CONN_CLOSE_FIN);
}

static enum mprox_reply_kind mprox_conn_refusal(enum mprox_connect_result res)
{
	switch (res) {
	case MPROX_CONNECT_REFUSED:
	case MPROX_CONNECT_AUTH_FAILED:
	case MPROX_CONNECT_REJECTED:
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

/* What the handshake reads of the configuration. */
struct mprox_conn_params {
	u32 mark;
	unsigned long connect_timeout;
	unsigned long handshake_timeout;
};

static void mprox_conn_params(struct mprox_conn *c, struct mprox_conn_params *p)
{
	const struct mprox_config *cfg;

	rcu_read_lock();
	cfg = rcu_dereference(c->dp->config);
	p->mark = cfg->fwmark;
	p->connect_timeout =
		msecs_to_jiffies(cfg->tunables[MPROX_TUNE_CONNECT_TIMEOUT_MS]);
	p->handshake_timeout =
		msecs_to_jiffies(cfg->tunables[MPROX_TUNE_HANDSHAKE_TIMEOUT_MS]);
	rcu_read_unlock();
}

static void mprox_conn_dest(const struct mprox_conn *c, struct mprox_dest *dest)
{
	const struct mprox_flow *f = c->flow;

	memset(dest, 0, sizeof(*dest));
	if (c->dest_resolved) {
		dest->family = f->app.family;
		dest->port = ntohs(f->app.dport);
		memcpy(&dest->addr, c->dest_addr,
		       dest->family == AF_INET6 ? 16 : 4);
		return;
	}
	if (c->dest_name) {
		dest->family = AF_UNSPEC;
		dest->port = ntohs(f->app.dport);
		dest->name = c->dest_name;
		dest->name_len = c->dest_name_len;
		return;
	}
	dest->family = f->app.family;
	dest->port = ntohs(f->app.dport);
	if (dest->family == AF_INET6)
		dest->addr.v6 = f->app.daddr.v6;
	else
		dest->addr.v4 = f->app.daddr.v4;
}

static enum mprox_handshake_status
mprox_conn_begin(struct mprox_conn *c, bool spare_ok);

/*
 * The lookup of a direct connection's name is over (@status FOUND or
 * FAILED): its socket, if it had one, goes, and the connection to the
 * address begins, or fails.
 */
static enum mprox_handshake_status
mprox_conn_lookup_end(struct mprox_conn *c, enum mprox_lookup_status status)
{
	struct mprox_lookup *l = c->lookup;
	enum mprox_connect_result res;

	if (status == MPROX_LOOKUP_FOUND) {
		memcpy(c->dest_addr, l->addr, sizeof(c->dest_addr));
		c->dest_resolved = true;
	} else {
		atomic64_inc(&c->dp->dns[MPROX_DNS_STAT_LOOKUP_FAILED]);
	}
	if (l->stored)
		atomic64_inc(&c->dp->dns[MPROX_DNS_STAT_CACHE_STORED]);
	res = l->result;
	mprox_conn_sock_release(&c->upstream);
	kfree(l);
	c->lookup = NULL;
	if (!c->dest_resolved)
		return mprox_handshake_fail(&c->hs, res);
	return mprox_conn_begin(c, false);
}

/* A step of the lookup: what the socket brought, or the time. */
static enum mprox_handshake_status mprox_conn_lookup_step(struct mprox_conn *c)
{
	enum mprox_lookup_status status = mprox_lookup_advance(c->lookup, c->upstream.sock);

	if (status == MPROX_LOOKUP_PENDING)
		return MPROX_HS_PENDING;
	return mprox_conn_lookup_end(c, status);
}

/*
 * A direct connection to a name has no proxy to resolve it: ask "dns
 * server" for its address of the app's family, within connect_timeout_ms,
 * as reaching a proxy would be.
 */
static enum mprox_handshake_status mprox_conn_lookup_begin(struct mprox_conn *c)
{
	struct mprox_datapath *dp = c->dp;
	enum mprox_lookup_status status;
	struct mprox_conn_params p;
	struct socket *sock;

	mprox_conn_params(c, &p);
	c->lookup = kzalloc(sizeof(*c->lookup), GFP_KERNEL_ACCOUNT);
	if (!c->lookup) {
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_LOOKUPS]);
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_LOOKUP_FAILED]);
		return mprox_handshake_fail(&c->hs, MPROX_CONNECT_GENERAL_FAILURE);
	}
	/* Never a retry: a direct flow has no other upstream (choice.c). */
	status = mprox_lookup_start(c->lookup, dp, c->dest_name, c->dest_name_len,
				    c->flow->app.family, c->syn_time + p.connect_timeout,
				    p.mark, &sock);
	if (status != MPROX_LOOKUP_PENDING)
		return mprox_conn_lookup_end(c, status);
	mprox_conn_sock_attach(c, &c->upstream, sock, NULL);
	return mprox_conn_lookup_step(c);
}

/*
 * Start the handshake for the flow's destination: on a spare when one is
 * ready (it is past everything but the request), else on a socket of our
 * own. Returns what the first step came to.
 */
static enum mprox_handshake_status
mprox_conn_begin(struct mprox_conn *c, bool spare_ok)
{
	struct mprox_datapath *dp = c->dp;
	struct mprox_conn_params p;
	struct mprox_dest dest;
	struct socket *sock;

	mprox_handshake_reset(&c->hs);
	/* Directly to a name: its address first. */
	if (c->up->direct && c->dest_name && !c->dest_resolved)
		return mprox_conn_lookup_begin(c);
	mprox_conn_params(c, &p);
	mprox_conn_dest(c, &dest);
	/* A direct connection has no proxy to have a spare of. */
	sock = spare_ok && !c->up->direct ?
	       mprox_spares_take(&dp->spares, c->up, &c->hs) : NULL;
	c->on_spare = sock;
	if (sock) {
		mprox_conn_sock_attach(c, &c->upstream, sock, NULL);
		mprox_handshake_set_dest(&c->hs, &dest);
		mprox_handshake_set_deadlines(&c->hs, c->syn_time,
					      p.handshake_timeout);
		return mprox_handshake_advance(&c->hs, sock);
	}

	if (mprox_handshake_socket(&c->hs, dev_net(dp->dev), c->up, p.mark,
				   &sock))
		return MPROX_HS_FINISHED;
	mprox_conn_sock_attach(c, &c->upstream, sock, NULL);
	mprox_handshake_set_dest(&c->hs, &dest);
	if (c->restarted) {
		/*
		 * The whole connect_timeout to reach the proxy (the first
		 * attempt may have spent it on a silent one, or on a spare's
		 * answer), but the answer is still due by the app's own
		 * deadline.
		 */
		unsigned long now = jiffies, spent = now - c->syn_time;

		return mprox_handshake_begin(&c->hs, sock, c->up,
					     now, p.connect_timeout,
					     p.handshake_timeout > spent ?
					     p.handshake_timeout - spent : 0);
	}
	return mprox_handshake_begin(&c->hs, sock, c->up, c->syn_time,
				     p.connect_timeout, p.handshake_timeout);
}

/*
 * The attempt's outcome, for its upstream's health. A restarted attempt's
 * answer is due by the app's deadline, shortened by the first attempt:
 * its timeout at that deadline says nothing of its proxy (at its own
 * connect deadline it does).
 */
static void mprox_conn_report(struct mprox_conn *c)
{
	mprox_choice_report(c->dp, c->up, c->hs.result,
			    c->hs.requested || (c->restarted && c->hs.late),
			    &c->trial);
}

/*
 * The proxy failed us before it said yes: once per flow, the flow's
 * attempt moves to another usable upstream, still within the app's
 * connect(), which never sees the failed one. False when there is none
 * (then the failure is the app's answer).
 */
static bool mprox_conn_retry(struct mprox_conn *c)
{
	struct mprox_upstream *next;
	enum mprox_connect_result why;
	struct mprox_conn_params p;

	if (c->failed_up || READ_ONCE(c->dying) ||
	    mprox_health_verdict(c->hs.result, c->hs.requested) !=
	    MPROX_HEALTH_BLAMED)
		return false;
	/* Not when the app's deadline leaves the retry no time to work. */
	mprox_conn_params(c, &p);
	if (time_after(jiffies + MPROX_CONN_RETRY_MIN, c->syn_time + p.handshake_timeout))
		return false;
	rcu_read_lock();
	next = mprox_choose_upstream(c->dp, rcu_dereference(c->dp->config), &c->scope,
				     c->up, NULL, &why, &c->trial);
	if (next) {
		mprox_upstream_get(next);
		atomic_inc(&next->active);
	}
	rcu_read_unlock();
	if (!next)
		return false;
	atomic64_inc(&c->dp->retries);
	mprox_conn_sock_release(&c->upstream);
	atomic_dec(&c->up->active);
	c->failed_up = c->up;
	c->restarted = true;
	WRITE_ONCE(c->up, next);
	return true;
}

/*
 * Not about the destination: the upstream is broken or misconfigured. How
 * the connection ended tells a reset from a proxy that hung up on us.
 */
static void mprox_conn_log_upstream_fault(const struct mprox_conn *c,
					  enum mprox_connect_result res)
{
	const char *name = c->up->spec.name;

	if (res == MPROX_CONNECT_CMD_UNSUPPORTED)
		pr_info_ratelimited("upstream %s: the proxy does not do CONNECT\n",
				    name);
	else if (res != MPROX_CONNECT_PROXY_ERROR)
		return;
	else if (c->hs.ended == MPROX_HS_CLOSED)
		pr_info_ratelimited("upstream %s: the proxy closed the connection during the handshake\n",
				    name);
	else if (c->hs.ended)
		pr_info_ratelimited("upstream %s: the connection to the proxy failed during the handshake: %pe\n",
				    name, ERR_PTR(c->hs.ended));
	else
		pr_info_ratelimited("upstream %s: the proxy broke the protocol\n",
				    name);
}

/* The handshake is over: release the app's SYN, or answer it. */
static void mprox_conn_connected(struct mprox_conn *c,
				 enum mprox_connect_result res)
{
	struct mprox_datapath *dp = c->dp;
	struct mprox_flow *f = c->flow;
	struct mprox_conn_params p;
	const u8 *early;
	size_t len;

	if (res == MPROX_CONNECT_OK && READ_ONCE(c->dying))
		res = MPROX_CONNECT_ABORTED;
	/* The destination's first bytes, if they came with the reply. */
	early = mprox_handshake_early_data(&c->hs, &len);
	if (res == MPROX_CONNECT_OK && len &&
	    mprox_relay_dir_preload(&c->to_app, early, len))
		res = MPROX_CONNECT_GENERAL_FAILURE;
	atomic64_inc(&dp->connects[res]);
	mprox_conn_log_upstream_fault(c, res);

	if (res == MPROX_CONNECT_ABORTED) {
		mprox_conn_close(c, true);
		return;
	}
	if (res != MPROX_CONNECT_OK) {
		/* The refusal is the app's answer: nothing to abort. */
		c->ops->refuse_syn(dp, f, mprox_conn_refusal(res));
		mprox_conn_close(c, false);
		return;
	}
	mprox_handshake_reset(&c->hs);
	spin_lock_bh(&c->lock);
	c->phase = MPROX_CONN_ACCEPT;
	spin_unlock_bh(&c->lock);
	/* The app gets connect_timeout_ms to complete its handshake with us. */
	mprox_conn_params(c, &p);
	c->accept_deadline = jiffies + p.connect_timeout;
	mprox_flow_set_state(f, MPROX_FLOW_ESTABLISHED);
	/*
	 * The listener's attach takes over, or the deadline kicks us.
	 * Armed before the release: the attach may come before this
	 * returns, and it disarms the timer.
	 */
	mod_timer(&c->timer, c->accept_deadline);
	c->ops->release_syn(dp, f);
}

/*
 * The proxy may have closed the spare just before our request reached it:
 * that says nothing about the destination, nor about the proxy. Ask again
 * on a connection of our own.
 */
static enum mprox_handshake_status
mprox_conn_spare_failed(struct mprox_conn *c, enum mprox_handshake_status status)
{
	if (status != MPROX_HS_FINISHED || !c->on_spare ||
	    c->hs.result != MPROX_CONNECT_PROXY_ERROR)
		return status;
	mprox_conn_sock_release(&c->upstream);
	c->restarted = true;
	return mprox_conn_begin(c, false);
}

/* A step of the handshake: the socket had news, or a deadline passed. */
static void mprox_conn_connect(struct mprox_conn *c)
{
	enum mprox_handshake_status status;

	if (c->phase == MPROX_CONN_NEW) {
		spin_lock_bh(&c->lock);
		c->phase = MPROX_CONN_CONNECT;
		spin_unlock_bh(&c->lock);
		mprox_flow_set_state(c->flow, MPROX_FLOW_CONNECTING);
		status = mprox_conn_begin(c, true);
	} else if (c->lookup) {
		status = mprox_conn_lookup_step(c);
	} else {
		status = mprox_handshake_advance(&c->hs, c->upstream.sock);
	}
	status = mprox_conn_spare_failed(c, status);
	if (status == MPROX_HS_FINISHED) {
		mprox_conn_report(c);
		if (mprox_conn_retry(c)) {
			status = mprox_conn_spare_failed(c, mprox_conn_begin(c, true));
			/* The retry may fail at once, too. */
			if (status == MPROX_HS_FINISHED)
				mprox_conn_report(c);
		}
	}
	if (status == MPROX_HS_FINISHED) {
		del_timer(&c->timer);
		mprox_conn_connected(c, c->hs.result);
		return;
	}
	/* PENDING: the socket's callbacks kick us, or the deadline does. */
	mod_timer(&c->timer, c->lookup ? mprox_lookup_next_deadline(c->lookup) :
					 mprox_handshake_next_deadline(&c->hs));
}

/*
 * The pass direction @bit's data_ready would have given it, from process
 * context. The direction is taken first: a close (a kick since the attach
 * may have run the work) releases the sockets only once it has it.
 */
static void mprox_conn_pump_attached(struct mprox_conn *c, int bit)
{
	struct socket *src, *dst;
	struct sock *sk;

	local_bh_disable();
	if (mprox_conn_pump_take(c, bit)) {
		mprox_conn_dir(c, bit, &src, &dst);
		sk = src->sk;
		bh_lock_sock(sk);
		if (sock_owned_by_user(sk)) {
			mprox_conn_pump_give(c, bit);
			mprox_conn_kick(c);
		} else {
			mprox_conn_pump_inline(c, bit);
		}
		bh_unlock_sock(sk);
	}
	local_bh_enable();
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
		/*
		 * The accept's deadline is met: an idle connection must not
		 * wake a worker when it passes. Before RELAY, whose FIN
		 * timeout is the timer's next use.
		 */
		del_timer(&c->timer);
		mprox_conn_sock_attach(c, &c->app, sock, data_ready);
		mprox_sockwatch_set_data_news(&c->app.watch,
					      mprox_conn_sock_data_news);
		mprox_sockwatch_set_data_news(&c->upstream.watch,
					      mprox_conn_sock_data_news);
		c->phase = MPROX_CONN_RELAY;
		mprox_conn_pump_give(c, MPROX_CONN_PUMP_UP);
		mprox_conn_pump_give(c, MPROX_CONN_PUMP_DOWN);
	}
	spin_unlock_bh(&c->lock);
	if (!wanted) {
		sock_release(sock);
		return;
	}
	/*
	 * What came before the attach found no data_news: the app's first
	 * bytes (its request, as a rule, sent as soon as connect()
	 * returned) and the destination's (a banner). Each direction gets
	 * the pass its data_ready would have given it, rather than wait
	 * for one more worker to wake.
	 */
	mprox_conn_pump_attached(c, MPROX_CONN_PUMP_UP);
	mprox_conn_pump_attached(c, MPROX_CONN_PUMP_DOWN);
}

static bool mprox_conn_sock_closed(struct mprox_conn_sock *cs)
{
	return READ_ONCE(cs->sock->sk->sk_state) == TCP_CLOSE;
}

/*
 * Whether all of @cs's data has been sent and acknowledged, so that at
 * most its FIN still waits for an ACK (write_seq counts a queued FIN).
 * Read without the socket's lock: a stale view only delays the timeout.
 */
static bool mprox_conn_sock_drained(struct mprox_conn_sock *cs)
{
	const struct sock *sk = cs->sock->sk;
	const struct tcp_sock *tp = tcp_sk(sk);

	return READ_ONCE(sk->sk_state) == TCP_CLOSE ||
	       !after(READ_ONCE(tp->write_seq), READ_ONCE(tp->snd_una) + 1);
}

static bool mprox_conn_sock_failed(struct mprox_conn_sock *cs)
{
	return READ_ONCE(cs->sock->sk->sk_err) != 0;
}

/*
 * One work pass of direction @bit. A direction a pass from data_ready holds
 * now is left to it: it kicks us if it leaves anything behind.
 */
static enum mprox_relay_status mprox_conn_relay_dir(struct mprox_conn *c,
						    int bit, u64 *moved)
{
	enum mprox_relay_status status;
	struct socket *src, *dst;
	struct mprox_relay_dir *d;

	if (!mprox_conn_pump_try(c, bit))
		return MPROX_RELAY_MORE;
	d = mprox_conn_dir(c, bit, &src, &dst);
	status = mprox_relay_pump(d, src, dst, MPROX_RELAY_BUDGET, moved);
	mprox_conn_pump_give(c, bit);
	return status;
}

/*
 * Which side failed, the relay having seen @up and @down: the socket a
 * pass failed on, or one in error without a pass (a direction that had
 * nothing to move, or a pass from data_ready held it), or the app's
 * socket closed under us by a bare RST (xmit leaves it to the listener).
 */
static enum mprox_conn_close mprox_conn_reset_side(struct mprox_conn *c,
						   enum mprox_relay_status up,
						   enum mprox_relay_status down)
{
	bool app;

	if (up == MPROX_RELAY_RESET)
		app = !c->to_upstream.sink_failed;
	else if (down == MPROX_RELAY_RESET)
		app = c->to_app.sink_failed;
	else
		app = !mprox_conn_sock_failed(&c->upstream);
	return app ? MPROX_CONN_CLOSE_APP_RESET :
		     MPROX_CONN_CLOSE_UPSTREAM_RESET;
}

static void mprox_conn_relay(struct mprox_conn *c)
{
	enum mprox_relay_status up, down;
	u64 bytes_up = 0, bytes_down = 0;

	up = mprox_conn_relay_dir(c, MPROX_CONN_PUMP_UP, &bytes_up);
	down = mprox_conn_relay_dir(c, MPROX_CONN_PUMP_DOWN, &bytes_down);
	if (bytes_up || bytes_down)
		mprox_conn_count(c, bytes_up, bytes_down,
				 MPROX_TRAFFIC_PASS_WORK);
	if (up == MPROX_RELAY_RESET || down == MPROX_RELAY_RESET ||
	    mprox_conn_sock_failed(&c->app) ||
	    mprox_conn_sock_failed(&c->upstream)) {
		/*
		 * The listener's socket closed under the relay: a RST from
		 * the app's host took it (a bare one, which xmit leaves to
		 * it). The app's socket is gone; one the tuple finds now is
		 * a new one, not to be aborted.
		 */
		if (mprox_conn_sock_closed(&c->app))
			WRITE_ONCE(c->flow->app_gone, true);
		/* Closing with SO_LINGER 0 resets the other side too. */
		mprox_conn_end(c, mprox_conn_reset_side(c, up, down));
		return;
	}
	if (up == MPROX_RELAY_DONE || down == MPROX_RELAY_DONE)
		mprox_flow_set_state(c->flow, MPROX_FLOW_CLOSING);
	if (up == MPROX_RELAY_DONE && down == MPROX_RELAY_DONE) {
		/*
		 * Both FINs passed on. Close once both sockets have had
		 * their own FIN acknowledged (TCP_CLOSE), so that closing
		 * resets nothing and loses nothing; their state changes
		 * kick us, the FIN timeout bounds the wait.
		 */
		if (mprox_conn_sock_closed(&c->app) &&
		    mprox_conn_sock_closed(&c->upstream)) {
			mprox_conn_end(c, MPROX_CONN_CLOSE_FIN);
		} else if (!mprox_conn_sock_drained(&c->app) ||
			   !mprox_conn_sock_drained(&c->upstream)) {
			/* A slow reader still takes data: look again later. */
			c->fin_armed = false;
			mod_timer(&c->timer, jiffies + MPROX_CONN_FIN_TIMEOUT);
		} else if (!c->fin_armed) {
			c->fin_armed = true;
			c->fin_deadline = jiffies + MPROX_CONN_FIN_TIMEOUT;
			mod_timer(&c->timer, c->fin_deadline);
		} else if (time_after_eq(jiffies, c->fin_deadline)) {
			mprox_conn_end(c, MPROX_CONN_CLOSE_FIN_TIMEOUT);
		}
		return;
	}
	if (up == MPROX_RELAY_AGAIN || down == MPROX_RELAY_AGAIN)
		queue_work(mprox_relay_wq, &c->relay_work);
}

/*
 * The accept's deadline has passed: ACCEPT becomes DONE, under the lock
 * that mprox_conn_attach() takes, unless an attach came first since the
 * work read the phase (it keeps its connection).
 */
static bool mprox_conn_accept_expired(struct mprox_conn *c)
{
	bool expired;

	spin_lock_bh(&c->lock);
	expired = c->phase == MPROX_CONN_ACCEPT &&
		  time_after_eq(jiffies, c->accept_deadline);
	if (expired)
		WRITE_ONCE(c->phase, MPROX_CONN_DONE);
	spin_unlock_bh(&c->lock);
	return expired;
}

static void __mprox_conn_work(struct mprox_conn *c)
{
	enum mprox_conn_phase phase;

	spin_lock_bh(&c->lock);
	phase = c->phase;
	spin_unlock_bh(&c->lock);

	if (phase == MPROX_CONN_DONE)
		return;
	/* Before the relay's pass, which then finds the reset it made. */
	if (unlikely(READ_ONCE(c->flow->held_rst)))
		c->ops->deliver_rst(c->dp, c->flow);
	if (READ_ONCE(c->dying)) {
		if (phase >= MPROX_CONN_ACCEPT) {
			mprox_conn_end(c, MPROX_CONN_CLOSE_KILLED);
		} else {
			/*
			 * Before the proxy's answer: no health report, but
			 * the attempt's outcome is counted for its upstream
			 * as for the device.
			 */
			atomic64_inc(&c->dp->connects[MPROX_CONNECT_ABORTED]);
			atomic64_inc(&c->up->connects[MPROX_CONNECT_ABORTED]);
			mprox_conn_close(c, true);
		}
		return;
	}
	switch (phase) {
	case MPROX_CONN_NEW:
	case MPROX_CONN_CONNECT:
		mprox_conn_connect(c);
		break;
	case MPROX_CONN_ACCEPT:
		/* Kicked before the attach (a callback), or timed out. */
		if (mprox_conn_accept_expired(c))
			mprox_conn_end(c, MPROX_CONN_CLOSE_ACCEPT_TIMEOUT);
		break;
	case MPROX_CONN_RELAY:
		mprox_conn_relay(c);
		break;
	case MPROX_CONN_DONE:
		break;
	}
}

/*
 * What the works allocate (the upstream socket, buffers) is charged to the
 * device's creator. The release callback waits for both works to return
 * before it frees @c.
 */
static void mprox_conn_run(struct mprox_conn *c)
{
	struct mem_cgroup *old = mprox_datapath_charge_begin(c->dp);

	mutex_lock(&c->run_lock);
	__mprox_conn_work(c);
	mutex_unlock(&c->run_lock);
	mprox_datapath_charge_end(old);
}

static void mprox_conn_work(struct work_struct *work)
{
	mprox_conn_run(container_of(work, struct mprox_conn, work));
}

static void mprox_conn_relay_work(struct work_struct *work)
{
	mprox_conn_run(container_of(work, struct mprox_conn, relay_work));
}

void mprox_conn_start(struct mprox_conn *c, struct mprox_flow *f)
{
	c->flow = f;
	queue_work(c->dp->wq, &c->work);
}

void mprox_conn_app_reset(struct mprox_flow *f)
{
	WRITE_ONCE(f->app_gone, true);
	mprox_flow_set_state(f, MPROX_FLOW_CLOSING);
}

void mprox_conn_app_rst_held(struct mprox_flow *f)
{
	struct mprox_conn *c = f->priv;

	if (c)
		mprox_conn_kick(c);
}

void mprox_conn_flow_killed(struct mprox_flow *f)
{
	struct mprox_conn *c = f->priv;

	if (!c)
		return;
	WRITE_ONCE(c->dying, true);
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
	mprox_compat_timer_delete_sync(&c->timer);
	cancel_work_sync(&c->work);
	cancel_work_sync(&c->relay_work);
	mprox_conn_free(c);
}

const char *mprox_conn_upstream_name(struct mprox_flow *f)
{
	struct mprox_conn *c = f->priv;

	return c ? READ_ONCE(c->up)->spec.name : "";
}

int mprox_conn_init(void)
{
	/*
	 * Relaying has its own queue, shared by every device, so that it
	 * never waits behind handshakes, accepts and spares, which run on
	 * each device's own queue (mprox_datapath_prepare()). Unbound and at
	 * normal priority, like kTLS's and sockmap's workers: a relay at high
	 * priority preempts the proxy or the application for every segment
	 * that arrives and moves them one at a time, and a bulk transfer
	 * through the device would take the CPU from everything else.
	 * (Per-CPU workers measured no better: the relay then waits for the
	 * softirq that feeds it, on the same CPU.) The small exchanges that
	 * data_ready relays itself are the exception (relay.h): bulk stays
	 * here.
	 */
	mprox_relay_wq = alloc_workqueue("mprox_relay", WQ_UNBOUND, 0);
	return mprox_relay_wq ? 0 : -ENOMEM;
}

void mprox_conn_exit(void)
{
	destroy_workqueue(mprox_relay_wq);
	mprox_relay_free_frags();
}
