// SPDX-License-Identifier: GPL-2.0
/*
 * UDP associations through a SOCKS5 relay, and DNS over TCP for sockets
 * whose upstream has no UDP; see assoc.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "assoc.h"
#include "choice.h"
#include "compat.h"
#include "datapath.h"
#include "directname.h"
#include "dns.h"
#include "encap.h"
#include "fakeip.h"
#include "handshake.h"
#include "ownsock.h"
#include "packet.h"
#include "reply.h"
#include "sockwatch.h"
#include "socks5_udp.h"
#include "upstream.h"

/* Datagrams one pass of the work moves per direction before yielding. */
#define MPROX_ASSOC_BUDGET	64
/*
 * The destinations the app sent to last, whose datagrams the relay may
 * bring back; one that came from any other source is dropped.
 */
#define MPROX_ASSOC_PEERS	16
/* The most payload a datagram to the app can carry: 64 KiB of IP. */
#define MPROX_ASSOC_PAYLOAD_MAX(family) \
	(65535 - ((family) == AF_INET6 ? 0 : (int)sizeof(struct iphdr)) - \
	 (int)sizeof(struct udphdr))

static const char *const mprox_udp_stat_names[MPROX_UDP_STAT_COUNT] = {
	[MPROX_UDP_ASSOCIATIONS] = "associations",
	[MPROX_UDP_REFUSED] = "refused",
	[MPROX_UDP_NO_UDP] = "no_udp",
	[MPROX_UDP_DATAGRAMS_UP] = "datagrams_up",
	[MPROX_UDP_DATAGRAMS_DOWN] = "datagrams_down",
	[MPROX_UDP_DATAGRAMS_QUEUED] = "datagrams_queued",
	[MPROX_UDP_BYTES_UP] = "bytes_up",
	[MPROX_UDP_BYTES_DOWN] = "bytes_down",
	[MPROX_UDP_DROPPED_FRAGMENT] = "dropped_fragment",
	[MPROX_UDP_DROPPED_MALFORMED] = "dropped_malformed",
	[MPROX_UDP_DROPPED_FOREIGN] = "dropped_foreign",
	[MPROX_UDP_DROPPED_QUEUE] = "dropped_queue",
	[MPROX_UDP_DROPPED_TOO_BIG] = "dropped_too_big",
	[MPROX_UDP_DROPPED_SEND] = "dropped_send",
	[MPROX_UDP_DROPPED_NO_NAME] = "dropped_no_name",
	[MPROX_UDP_DNS_STREAMS] = "dns_streams",
	[MPROX_UDP_ICMP_ERRORS] = "icmp_errors",
};

const char *mprox_udp_stat_name(enum mprox_udp_stat s)
{
	return mprox_udp_stat_names[s];
}

enum mprox_assoc_phase {
	MPROX_ASSOC_NEW,	/* datagrams held; nothing opened yet */
	MPROX_ASSOC_ASKING,	/* the control connection's handshake */
	MPROX_ASSOC_OPEN,	/* granted: datagrams go to the relay */
	MPROX_ASSOC_DONE,	/* sockets closed, flow killed and put */
};

/*
 * A destination of the app's: address (network order) and port. A fake-IP
 * pool address is sent to by its name (@named), and the relay answers from
 * whatever the proxy resolved the name to (mprox_assoc_answers()).
 */
struct mprox_assoc_peer {
	union mprox_addr addr;
	__be16 port;
	bool named;
};

struct mprox_assoc {
	struct mprox_datapath *dp;
	const struct mprox_assoc_ops *ops;
	struct mprox_flow *flow;
	struct mprox_upstream *up;
	/* The trial of a down @up this association holds (choice.h). */
	struct mprox_trial trial;
	struct work_struct work;
	/* ASKING: runs the work at the handshake's deadline. */
	struct timer_list timer;
	/*
	 * Protects phase, dying, txq, draining, fast and peers against xmit
	 * and the kill. BH-safe.
	 */
	spinlock_t lock;
	enum mprox_assoc_phase phase;
	bool dying;
	struct sk_buff_head txq;
	/* The work has datagrams of txq in hand: xmit's wait behind them. */
	bool draining;
	/*
	 * OPEN with UDP of its own (a proxy's relay, or direct): the relay
	 * socket, held, which xmit sends the app's datagrams from itself
	 * (encap.h) while nothing waits in txq; NULL otherwise (a stream),
	 * and from close on.
	 */
	struct sock *fast;
	/*
	 * jiffies: where the handshake's deadlines start: the first
	 * datagram, or the restart as a stream (mprox_assoc_restream()).
	 */
	unsigned long start;
	struct mprox_handshake hs;
	struct socket *ctrl;
	struct mprox_sockwatch ctrl_watch;
	struct socket *relay;
	struct mprox_sockwatch relay_watch;
	/*
	 * DNS over TCP (mprox_assoc_use_stream()): no relay; the control
	 * connection is a CONNECT to the one peer, peers[0], and carries the
	 * app's datagrams as DNS messages behind RFC 1035 4.2.2's two-byte
	 * length. The work's own: the message being sent (stx_len bytes,
	 * stx_off of them sent) and the one being read (its length's bytes
	 * in slen until both are there, then srx_len bytes into srx).
	 */
	bool stream;
	u8 *stx;
	u32 stx_len, stx_off;
	u8 slen[2];
	u8 slen_got;
	u8 *srx;
	u32 srx_len, srx_got;
	/* Where the app sent to, newest at peer_next - 1. */
	struct mprox_assoc_peer peers[MPROX_ASSOC_PEERS];
	u8 nr_peers;
	u8 peer_next;
	/*
	 * Direct: the addresses of the names the app sends to, asked of
	 * "dns server" (directname.h). Made by the work at the first name,
	 * read by xmit from then on.
	 */
	struct mprox_directname *names;
};

static void mprox_assoc_count(struct mprox_assoc *a, enum mprox_udp_stat s, u64 n)
{
	atomic64_add(n, &a->dp->udp[s]);
}

static void mprox_assoc_kick(struct mprox_assoc *a)
{
	queue_work(a->dp->wq, &a->work);
}

static void mprox_assoc_timeout(struct timer_list *t)
{
	struct mprox_assoc *a = from_timer(a, t, timer);

	mprox_assoc_kick(a);
}

static void mprox_assoc_ctrl_news(struct mprox_sockwatch *w)
{
	mprox_assoc_kick(container_of(w, struct mprox_assoc, ctrl_watch));
}

static void mprox_assoc_relay_news(struct mprox_sockwatch *w)
{
	mprox_assoc_kick(container_of(w, struct mprox_assoc, relay_watch));
}

static void mprox_assoc_work(struct work_struct *work);
static void mprox_assoc_relay(struct mprox_assoc *a);
static bool mprox_assoc_direct_errors(struct mprox_assoc *a);

struct mprox_assoc *mprox_assoc_alloc(struct mprox_datapath *dp,
				      struct mprox_upstream *up,
				      const struct mprox_trial *trial,
				      const struct mprox_assoc_ops *ops,
				      gfp_t gfp)
{
	struct mprox_assoc *a = kzalloc(sizeof(*a), gfp);

	if (!a)
		return NULL;
	a->dp = dp;
	a->ops = ops;
	a->trial = *trial;
	a->up = mprox_upstream_get(up);
	atomic_inc(&up->active);
	spin_lock_init(&a->lock);
	skb_queue_head_init(&a->txq);
	INIT_WORK(&a->work, mprox_assoc_work);
	timer_setup(&a->timer, mprox_assoc_timeout, 0);
	a->start = jiffies;
	a->phase = MPROX_ASSOC_NEW;
	percpu_ref_get(&dp->conns);
	return a;
}

static void mprox_assoc_free(struct mprox_assoc *a)
{
	struct mprox_datapath *dp = a->dp;

	skb_queue_purge(&a->txq);
	if (a->names)
		mprox_directname_free(a->names);
	kvfree(a->stx);
	kvfree(a->srx);
	mprox_handshake_reset(&a->hs);
	/* Gone before its outcome: its trial may go to another flow. */
	mprox_choice_drop_trial(dp, a->up, &a->trial);
	atomic_dec(&a->up->active);
	mprox_upstream_put(a->up);
	kfree(a);
	/* Maybe the last of a stopped data path: nothing of dp after it. */
	percpu_ref_put(&dp->conns);
}

void mprox_assoc_free_unused(struct mprox_assoc *a)
{
	mprox_assoc_free(a);
}

void mprox_assoc_use_stream(struct mprox_assoc *a, const struct mprox_pkt *p)
{
	a->stream = true;
	a->peers[0].addr = p->daddr;
	a->peers[0].port = p->dport;
	a->nr_peers = 1;
}

void mprox_assoc_start(struct mprox_assoc *a, struct mprox_flow *f)
{
	/* Pairs with the acquire in the work, which xmit may kick before. */
	smp_store_release(&a->flow, f);
	mprox_assoc_kick(a);
}

static bool mprox_assoc_enqueue(struct mprox_assoc *a, struct sk_buff *skb)
{
	bool queued = false;
	u32 max;

	spin_lock_bh(&a->lock);
	max = a->phase == MPROX_ASSOC_OPEN ? MPROX_ASSOC_QUEUED : MPROX_ASSOC_HELD;
	if (a->phase != MPROX_ASSOC_DONE && !a->dying &&
	    skb_queue_len(&a->txq) < max) {
		__skb_queue_tail(&a->txq, skb);
		queued = true;
	}
	spin_unlock_bh(&a->lock);
	if (!queued) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_QUEUE, 1);
		kfree_skb(skb);
		return false;
	}
	mprox_assoc_kick(a);
	return true;
}

static int mprox_assoc_send_fast(struct mprox_assoc *a, struct sock *sk,
				 struct sk_buff *skb, const struct mprox_pkt *p);

bool mprox_assoc_queue(struct mprox_assoc *a, struct sk_buff *skb,
		       const struct mprox_pkt *p)
{
	struct sock *fast = NULL;
	int err;

	spin_lock_bh(&a->lock);
	if (a->fast && !a->draining && skb_queue_empty(&a->txq)) {
		fast = a->fast;
		sock_hold(fast);
	}
	spin_unlock_bh(&a->lock);
	if (fast) {
		err = mprox_assoc_send_fast(a, fast, skb, p);
		sock_put(fast);
		if (err != -EAGAIN)
			return !err;
	}
	return mprox_assoc_enqueue(a, skb);
}

static void mprox_assoc_sock_release(struct mprox_sockwatch *w,
				     struct socket **sockp)
{
	if (!*sockp)
		return;
	mprox_sockwatch_stop(w);
	mprox_upstream_release(*sockp);
	*sockp = NULL;
}

/*
 * Sockets closed, flow killed and our reference dropped: @a is gone once
 * the flow's last reference is. Datagrams still queued are dropped: UDP
 * promised nothing about them.
 */
static void mprox_assoc_close(struct mprox_assoc *a)
{
	struct mprox_flow *f = a->flow;
	struct sk_buff_head dropped;
	struct sock *fast;

	__skb_queue_head_init(&dropped);
	spin_lock_bh(&a->lock);
	a->phase = MPROX_ASSOC_DONE;
	skb_queue_splice_init(&a->txq, &dropped);
	fast = a->fast;
	a->fast = NULL;
	spin_unlock_bh(&a->lock);
	/* A datagram xmit still sends holds its own reference. */
	if (fast)
		sock_put(fast);
	del_timer(&a->timer);
	__skb_queue_purge(&dropped);
	mprox_assoc_sock_release(&a->relay_watch, &a->relay);
	mprox_assoc_sock_release(&a->ctrl_watch, &a->ctrl);
	if (a->names)
		mprox_directname_stop(a->names);
	mprox_flow_kill(&a->dp->flows, f);
	mprox_flow_put(f);
}

/* The proxy said no, or never yes: every held datagram gets @kind. */
static void mprox_assoc_refuse(struct mprox_assoc *a, enum mprox_reply_kind kind)
{
	struct sk_buff_head held;
	struct sk_buff *skb;

	__skb_queue_head_init(&held);
	spin_lock_bh(&a->lock);
	skb_queue_splice_init(&a->txq, &held);
	spin_unlock_bh(&a->lock);
	while ((skb = __skb_dequeue(&held))) {
		a->ops->refuse(a->dp, skb, kind);
		kfree_skb(skb);
	}
}

static void mprox_assoc_params(struct mprox_assoc *a, u32 *mark,
			       unsigned long *connect_timeout,
			       unsigned long *handshake_timeout)
{
	const struct mprox_config *cfg;

	rcu_read_lock();
	cfg = rcu_dereference(a->dp->config);
	*mark = cfg->fwmark;
	*connect_timeout =
		msecs_to_jiffies(cfg->tunables[MPROX_TUNE_CONNECT_TIMEOUT_MS]);
	*handshake_timeout =
		msecs_to_jiffies(cfg->tunables[MPROX_TUNE_HANDSHAKE_TIMEOUT_MS]);
	rcu_read_unlock();
}

/*
 * NEW: open the control connection and ask for the association, or for a
 * stream's connection to its peer.
 */
static enum mprox_handshake_status mprox_assoc_begin(struct mprox_assoc *a)
{
	unsigned long connect_timeout, handshake_timeout;
	/* Where the datagrams come from is not known before the relay is. */
	struct mprox_dest from = { .family = AF_INET };
	u32 mark;

	mprox_assoc_params(a, &mark, &connect_timeout, &handshake_timeout);
	mprox_handshake_reset(&a->hs);
	a->hs.associate = !a->stream;
	if (a->stream) {
		from.family = a->flow->app.family;
		from.port = ntohs(a->peers[0].port);
		if (from.family == AF_INET6)
			from.addr.v6 = a->peers[0].addr.v6;
		else
			from.addr.v4 = a->peers[0].addr.v4;
	}
	if (mprox_handshake_socket(&a->hs, dev_net(a->dp->dev), a->up, mark,
				   &a->ctrl))
		return MPROX_HS_FINISHED;
	mprox_sockwatch_start(&a->ctrl_watch, a->ctrl->sk,
			      mprox_assoc_ctrl_news, NULL);
	mprox_handshake_set_dest(&a->hs, &from);
	return mprox_handshake_begin(&a->hs, a->ctrl, a->up, a->start,
				     connect_timeout, handshake_timeout);
}

/*
 * The relay the proxy named, as a socket address: its BND, or the proxy's
 * own address for an unspecified one (RFC 1928 leaves that to the
 * client; servers behind NAT send zeros). 0, or -EPROTO for a name.
 */
/* An IPv4-mapped address is an IPv4 one. */
static void mprox_assoc_unmap(u16 *family, __be32 *v4, const struct in6_addr *v6)
{
	if (*family == AF_INET6 && ipv6_addr_v4mapped(v6)) {
		*family = AF_INET;
		*v4 = v6->s6_addr32[3];
	}
}

static int mprox_assoc_relay_addr(const struct mprox_assoc *a,
				  struct sockaddr_storage *ss, int *len)
{
	const struct mprox_upstream_spec *s = &a->up->spec;
	const struct mprox_dest *b = &a->hs.bound;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	u16 family = b->family;
	struct in6_addr v6 = b->addr.v6;
	__be32 v4 = b->addr.v4.s_addr;
	bool any;

	if (family != AF_INET && family != AF_INET6)
		return -EPROTO;
	/*
	 * Mapped addresses are unmapped: the relay's socket and the headers
	 * encap.c builds for it follow the family, which must be the route's.
	 */
	mprox_assoc_unmap(&family, &v4, &v6);
	/*
	 * A loopback BND cannot be the proxy's, seen from here: a proxy that
	 * says so (or a hostile one) is taken for its own address, never for
	 * this host's.
	 */
	if (family == AF_INET6)
		any = ipv6_addr_any(&v6) || ipv6_addr_loopback(&v6);
	else
		any = !v4 || ipv4_is_loopback(v4);
	if (any) {
		family = s->family;
		v6 = s->addr.v6;
		v4 = s->addr.v4.s_addr;
		mprox_assoc_unmap(&family, &v4, &v6);
	}
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = v6;
		sin6->sin6_port = htons(b->port);
		*len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = v4;
		sin->sin_port = htons(b->port);
		*len = sizeof(*sin);
	}
	return b->port ? 0 : -EPROTO;
}

/*
 * A UDP socket of the driver's own for @a, of @family: its mark, the
 * interface of @ifindex (0: any), registered so that xmit knows it, and
 * watched. In a->relay.
 */
static int mprox_assoc_udp_socket(struct mprox_assoc *a, u16 family, int ifindex)
{
	struct net *net = dev_net(a->dp->dev);
	struct socket *sock;
	unsigned long ct, ht;
	u32 mark;
	int err;

	mprox_assoc_params(a, &mark, &ct, &ht);
	err = sock_create_kern(net, family, SOCK_DGRAM, IPPROTO_UDP, &sock);
	if (err)
		return err;
	sock_set_mark(sock->sk, mark);
	if (ifindex) {
		err = sock_bindtoindex(sock->sk, ifindex, true);
		if (err)
			goto err_release;
	}
	err = mprox_ownsock_add(sock->sk);
	if (err)
		goto err_release;
	a->relay = sock;
	mprox_sockwatch_start(&a->relay_watch, sock->sk,
			      mprox_assoc_relay_news, NULL);
	return 0;

err_release:
	sock_release(sock);
	return err;
}

/*
 * The UDP socket to the relay, on the control connection's interface and
 * connected, so that the stack drops whatever does not come from the
 * relay.
 */
static int mprox_assoc_open_relay(struct mprox_assoc *a)
{
	struct sockaddr_storage ss;
	int len, err;

	err = mprox_assoc_relay_addr(a, &ss, &len);
	if (err)
		return err;
	err = mprox_assoc_udp_socket(a, ss.ss_family, a->ctrl->sk->sk_bound_dev_if);
	if (err)
		return err;
	err = kernel_connect(a->relay, (struct sockaddr *)&ss, len, 0);
	if (err)
		mprox_assoc_sock_release(&a->relay_watch, &a->relay);
	return err;
}

/*
 * "direct": no proxy, the datagrams go from a socket of our own to their
 * destinations and come back from them; unconnected, since there may be
 * many (mprox_assoc_known() tells who may answer). The mark takes it
 * around the device, as a direct TCP connection's.
 */
static int mprox_assoc_open_direct(struct mprox_assoc *a)
{
	int err = mprox_assoc_udp_socket(a, a->flow->app.family, 0);

	if (err)
		return err;
	/*
	 * An unconnected socket hears of the ICMP errors its datagrams
	 * meet only on its error queue (mprox_assoc_direct_errors()).
	 */
	if (a->flow->app.family == AF_INET6)
		ip6_sock_set_recverr(a->relay->sk);
	else
		ip_sock_set_recverr(a->relay->sk);
	return 0;
}

/*
 * The proxy has no UDP. When the first datagram held is one the owner
 * says may go over TCP (a DNS query), start again as a stream to its
 * destination, so that not even the first query is refused for it.
 */
static bool mprox_assoc_restream(struct mprox_assoc *a)
{
	struct sk_buff *skb;
	struct mprox_pkt p;

	/* Only the work takes from txq: the datagram stays while we look. */
	spin_lock_bh(&a->lock);
	skb = skb_peek(&a->txq);
	spin_unlock_bh(&a->lock);
	if (!skb || mprox_pkt_parse_skb(skb, &p) != MPROX_PKT_OK ||
	    !a->ops->over_tcp || !a->ops->over_tcp(a->dp, &p))
		return false;
	mprox_assoc_sock_release(&a->ctrl_watch, &a->ctrl);
	mprox_handshake_reset(&a->hs);
	mprox_assoc_use_stream(a, &p);
	/*
	 * A new connection, with deadlines of its own: the refusal may have
	 * come after connect_timeout_ms, which would have timed the
	 * stream's connect out before it began.
	 */
	a->start = jiffies;
	spin_lock_bh(&a->lock);
	a->phase = MPROX_ASSOC_NEW;
	spin_unlock_bh(&a->lock);
	mprox_assoc_kick(a);
	return true;
}

/*
 * The proxy answered the request for @a's connection with a refusal that
 * lasts: a port or destination it does not allow, or a server that
 * refused. Not a server it could not reach (a route may come back within
 * a stub resolver's retry), nor its own trouble (a timeout, a broken
 * answer, credentials), which health checks see to, nor a general
 * failure, which may be ours (no memory for its answer: hs.requested is
 * set once the request went).
 */
static bool mprox_assoc_server_refused(const struct mprox_assoc *a,
				       enum mprox_connect_result res)
{
	return a->hs.requested &&
	       (res == MPROX_CONNECT_NOT_ALLOWED || res == MPROX_CONNECT_REFUSED);
}

/* ASKING is over: open the relay's socket, or refuse what was held. */
static void mprox_assoc_answered(struct mprox_assoc *a)
{
	enum mprox_connect_result res = a->hs.result;
	size_t len;
	bool dying;

	if (res == MPROX_CONNECT_OK && a->stream) {
		/*
		 * No query went yet, so no byte can be an answer: a proxy
		 * that speaks for the server is not to be believed.
		 */
		mprox_handshake_early_data(&a->hs, &len);
		if (len)
			res = MPROX_CONNECT_PROXY_ERROR;
	} else if (res == MPROX_CONNECT_OK && !a->relay && mprox_assoc_open_relay(a)) {
		pr_info_ratelimited("upstream %s: the proxy's UDP relay cannot be used\n",
				    a->up->spec.name);
		res = MPROX_CONNECT_PROXY_ERROR;
	}
	if (res == MPROX_CONNECT_CMD_UNSUPPORTED && !a->stream) {
		pr_info_ratelimited("upstream %s: the proxy does not do UDP ASSOCIATE\n",
				    a->up->spec.name);
		/* Its next sockets are refused without asking, for a while. */
		WRITE_ONCE(a->up->udp_unsupported, jiffies | 1);
		if (mprox_assoc_restream(a))
			return;
	}
	if (res != MPROX_CONNECT_OK) {
		mprox_assoc_count(a, MPROX_UDP_REFUSED, 1);
		if (a->stream && mprox_assoc_server_refused(a, res))
			mprox_upstream_set_dns_refused(a->up, a->flow->app.family,
						       &a->peers[0].addr, a->peers[0].port);
		/*
		 * Whatever the reason: what a host without the service
		 * says, so that the app gives up on UDP (QUIC falls back to
		 * TCP) instead of retrying into the same refusal.
		 */
		if (res != MPROX_CONNECT_ABORTED)
			mprox_assoc_refuse(a, MPROX_REPLY_PORT_UNREACH);
		mprox_assoc_close(a);
		return;
	}
	mprox_handshake_reset(&a->hs);
	mprox_assoc_count(a, a->stream ? MPROX_UDP_DNS_STREAMS : MPROX_UDP_ASSOCIATIONS, 1);
	spin_lock_bh(&a->lock);
	dying = a->dying;
	if (!dying)
		a->phase = MPROX_ASSOC_OPEN;
	/* The held datagrams first: the work drains them before xmit sends. */
	if (!dying && !a->stream) {
		a->fast = a->relay->sk;
		sock_hold(a->fast);
	}
	spin_unlock_bh(&a->lock);
	if (dying) {
		mprox_assoc_close(a);
		return;
	}
	mprox_flow_set_state(a->flow, MPROX_FLOW_ESTABLISHED);
	/* What was held goes now: nothing else may come to kick us. */
	mprox_assoc_relay(a);
}

static void mprox_assoc_ask(struct mprox_assoc *a)
{
	enum mprox_handshake_status status;

	if (a->phase == MPROX_ASSOC_NEW && a->up->direct && !a->stream) {
		/* Nobody to ask: the socket of our own is the whole of it. */
		a->hs.result = mprox_assoc_open_direct(a) ? MPROX_CONNECT_NET_UNREACH :
							    MPROX_CONNECT_OK;
		mprox_assoc_answered(a);
		return;
	}
	if (a->phase == MPROX_ASSOC_NEW) {
		spin_lock_bh(&a->lock);
		a->phase = MPROX_ASSOC_ASKING;
		spin_unlock_bh(&a->lock);
		mprox_flow_set_state(a->flow, MPROX_FLOW_CONNECTING);
		status = mprox_assoc_begin(a);
	} else {
		status = mprox_handshake_advance(&a->hs, a->ctrl);
	}
	if (status == MPROX_HS_FINISHED) {
		del_timer(&a->timer);
		/*
		 * A proxy that answers the request with a refusal or a close
		 * works; it just has no UDP for us (assoc_refused()), which
		 * says nothing about its TCP.
		 */
		if (a->hs.result == MPROX_CONNECT_OK || !a->hs.requested)
			mprox_choice_report_health(a->dp, a->up, a->hs.result,
						   a->hs.requested, &a->trial);
		mprox_assoc_answered(a);
		return;
	}
	mod_timer(&a->timer, mprox_handshake_next_deadline(&a->hs));
}

static void mprox_assoc_remember(struct mprox_assoc *a, const struct mprox_pkt *p,
				 bool named)
{
	struct mprox_assoc_peer *peer;
	unsigned int i;

	for (i = 0; i < a->nr_peers; i++) {
		peer = &a->peers[i];
		if (peer->port == p->dport &&
		    !memcmp(&peer->addr, &p->daddr, sizeof(peer->addr))) {
			/* A pool came or went since: the address says another thing. */
			peer->named = named;
			return;
		}
	}
	peer = &a->peers[a->peer_next];
	memset(peer, 0, sizeof(*peer));
	peer->addr = p->daddr;
	peer->port = p->dport;
	peer->named = named;
	a->peer_next = (a->peer_next + 1) % MPROX_ASSOC_PEERS;
	if (a->nr_peers < MPROX_ASSOC_PEERS)
		a->nr_peers++;
}

static bool mprox_assoc_known(const struct mprox_assoc *a, u16 family,
			      const union mprox_addr *addr, __be16 port)
{
	size_t alen = family == AF_INET6 ? 16 : 4;
	unsigned int i;

	for (i = 0; i < a->nr_peers; i++)
		if (a->peers[i].port == port &&
		    !memcmp(&a->peers[i].addr, addr, alen))
			return true;
	return false;
}

/*
 * The name the app's destination @addr stands for, if it is an address of
 * the fake-IP pool of the app's family, into @buf (MPROX_DNS_NAME_MAX + 1
 * bytes): its length; 0 for an address of no pool; -ENOENT for a pool
 * address that stands for no name (any more).
 */
static int mprox_assoc_peer_name(struct mprox_assoc *a,
				 const union mprox_addr *addr, char *buf)
{
	struct mprox_fakeip_pool *pool;
	int len = 0;

	rcu_read_lock();
	pool = mprox_dns_pool_of(&rcu_dereference(a->dp->config)->dns,
				 a->flow->app.family, addr);
	if (pool)
		len = mprox_fakeip_name_copy(pool, (const u8 *)addr, buf);
	rcu_read_unlock();
	return len;
}

static bool mprox_assoc_same(u16 family, const union mprox_addr *x,
			     const struct mprox_dest *src)
{
	return family == src->family &&
	       !memcmp(x, &src->addr, family == AF_INET6 ? 16 : 4);
}

/*
 * The destination of the app's that the relay's datagram from @src
 * answers, or NULL. An address the app sent to answers for itself, first.
 * A name sent by a pool address is answered from what the proxy resolved
 * it to, which only its answers tell: an answer carrying the name (ATYP 3)
 * is the name's; one from any other address on a port where the app sent
 * to one name only is that name's, whatever address the proxy resolved
 * the name to, and again to. With several names on the port, such an
 * answer is ambiguous and dropped rather than given to the wrong name.
 * A foreign source that the relay passes on needed the destination's
 * address and port before; for a name, the port alone does now (the
 * address was public anyway). Direct, a name's answers come from the
 * address "dns server" gave for it, which only they may come from.
 */
static struct mprox_assoc_peer *mprox_assoc_answers(struct mprox_assoc *a,
						    const struct mprox_dest *src)
{
	u16 family = a->flow->app.family;
	__be16 port = htons(src->port);
	struct mprox_assoc_peer *peer, *named = NULL;
	char name[MPROX_DNS_NAME_MAX + 1];
	unsigned int i, nr_named = 0;
	union mprox_addr addr;

	for (i = 0; i < a->nr_peers; i++) {
		peer = &a->peers[i];
		if (peer->port == port && !peer->named &&
		    mprox_assoc_same(family, &peer->addr, src))
			return peer;
	}
	/* Direct: a name answers from the address it came to, and only. */
	if (a->up->direct) {
		for (i = 0; a->names && i < a->nr_peers; i++) {
			peer = &a->peers[i];
			if (peer->port == port && peer->named &&
			    mprox_directname_addr(a->names, &peer->addr, NULL, &addr) &&
			    mprox_assoc_same(family, &addr, src))
				return peer;
		}
		return NULL;
	}
	for (i = 0; i < a->nr_peers; i++) {
		peer = &a->peers[i];
		if (peer->port != port || !peer->named)
			continue;
		if (src->family == AF_UNSPEC &&
		    mprox_assoc_peer_name(a, &peer->addr, name) == (int)src->name_len &&
		    !strncasecmp(name, src->name, src->name_len))
			return peer;
		named = peer;
		nr_named++;
	}
	return src->family != AF_UNSPEC && nr_named == 1 ? named : NULL;
}

/* @addr and @port of @family as a socket address in @ss; returns its length. */
static int mprox_assoc_sockaddr(u16 family, const union mprox_addr *addr, __be16 port,
				struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = addr->v6;
		sin6->sin6_port = port;
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_addr = addr->v4;
	sin->sin_port = port;
	return sizeof(*sin);
}

/*
 * The SOCKS5 header that takes @p's payload to its destination, into
 * @hdr, with @name (MPROX_DNS_NAME_MAX + 1 bytes) as scratch; direct,
 * none, and the address to send to in @to. And @p's destination
 * remembered as one the relay may answer for. Returns the header's
 * length, or a negative errno: -ENOENT when a pool address stands for no
 * name (counted), -EAGAIN when it is to go direct and its name's address
 * is not known yet (mprox_assoc_await_name()), -EINVAL for a header the
 * codec will not write.
 */
static int mprox_assoc_header(struct mprox_assoc *a, const struct mprox_pkt *p,
			      u8 *hdr, char *name, union mprox_addr *to)
{
	struct mprox_directname *names;
	struct mprox_dest dest = {};
	int hlen = 0, name_len;
	u32 hash;

	/* A pool address goes by its name: the proxy resolves it. */
	name_len = mprox_assoc_peer_name(a, &p->daddr, name);
	if (name_len < 0) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_NO_NAME, 1);
		return -ENOENT;
	}
	if (a->up->direct) {
		/* Pairs with the release in mprox_assoc_await_name(). */
		names = smp_load_acquire(&a->names);
		*to = p->daddr;
		if (name_len) {
			hash = mprox_directname_hash(name, name_len);
			if (!names || !mprox_directname_addr(names, &p->daddr, &hash, to))
				return -EAGAIN;
		}
	} else {
		dest.family = p->family;
		dest.port = ntohs(p->dport);
		if (p->family == AF_INET6)
			dest.addr.v6 = p->daddr.v6;
		else
			dest.addr.v4 = p->daddr.v4;
		if (name_len) {
			dest.family = AF_UNSPEC;
			dest.name = name;
			dest.name_len = name_len;
		}
		hlen = mprox_socks5_udp_header(&dest, hdr, MPROX_SOCKS5_UDP_HDR_MAX);
		if (hlen < 0) {
			mprox_datapath_drop(a->dp, MPROX_DROP_MALFORMED);
			return -EINVAL;
		}
	}
	spin_lock_bh(&a->lock);
	mprox_assoc_remember(a, p, name_len > 0);
	spin_unlock_bh(&a->lock);
	return hlen;
}

/*
 * What became of one of the app's datagrams of @len bytes: @err; @queued
 * when it went through the work.
 */
static void mprox_assoc_sent(struct mprox_assoc *a, int err, u32 len,
			     bool queued)
{
	if (err == -EMSGSIZE) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_TOO_BIG, 1);
	} else if (err < 0) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_SEND, 1);
	} else {
		mprox_assoc_count(a, MPROX_UDP_DATAGRAMS_UP, 1);
		if (queued)
			mprox_assoc_count(a, MPROX_UDP_DATAGRAMS_QUEUED, 1);
		mprox_assoc_count(a, MPROX_UDP_BYTES_UP, len);
		mprox_flow_add_bytes(a->flow, len, 0);
		mprox_traffic_add(a->up->traffic, len, 0,
				  MPROX_TRAFFIC_NO_PASS);
	}
}

/*
 * The fast path's scratch: xmit runs with BH off, and nothing here is
 * used again once the datagram is handed to the IP layer.
 */
struct mprox_assoc_scratch {
	u8 hdr[MPROX_SOCKS5_UDP_HDR_MAX];
	char name[MPROX_DNS_NAME_MAX + 1];
	union mprox_addr to;
};

static DEFINE_PER_CPU(struct mprox_assoc_scratch, mprox_assoc_scratch);

/*
 * From xmit: @skb, parsed into @p, out through the relay socket @sk at
 * once. -EAGAIN leaves it to the work (encap.h); otherwise it is consumed
 * and counted, and 0 says it went.
 */
static int mprox_assoc_send_fast(struct mprox_assoc *a, struct sock *sk,
				 struct sk_buff *skb, const struct mprox_pkt *p)
{
	unsigned int strip = p->thoff + sizeof(struct udphdr);
	struct mprox_assoc_scratch *s;
	int hlen, err;

	/* Padding after the datagram is the work's to cut (it copies). */
	if (skb->len != strip + p->payload_len)
		return -EAGAIN;
	local_bh_disable();
	s = this_cpu_ptr(&mprox_assoc_scratch);
	hlen = mprox_assoc_header(a, p, s->hdr, s->name, &s->to);
	if (hlen == -EAGAIN) {
		err = hlen;
	} else if (hlen < 0) {
		kfree_skb(skb);
		err = hlen;
	} else {
		if (a->up->direct)
			err = mprox_encap_xmit_to(sk, skb, strip, &s->to,
						  p->dport);
		else
			err = mprox_encap_xmit(sk, skb, strip, s->hdr, hlen);
		if (err != -EAGAIN)
			mprox_assoc_sent(a, err, p->payload_len, false);
	}
	local_bh_enable();
	return err;
}

static void mprox_assoc_kick_owner(void *owner)
{
	mprox_assoc_kick(owner);
}

/*
 * Whether the rules send the app's datagram @skb (parsed into @p) to the
 * name @name (@len bytes) direct. They decided for the association on its
 * first datagram; a name met later that they send to a proxy, or reject,
 * must not go direct, nor be asked of "dns server".
 */
static bool mprox_assoc_direct_for(struct mprox_assoc *a, const struct sk_buff *skb,
				   const struct mprox_pkt *p, const char *name, int len)
{
	struct mprox_choice_scope scope;
	struct mprox_rule_pkt rp;
	bool direct;

	mprox_choice_pkt(&rp, skb, p);
	rp.name = name;
	rp.name_len = len;
	rcu_read_lock();
	direct = !mprox_choice_rules(a->dp, rcu_dereference(a->dp->config), &rp, &scope) &&
		 scope.kind == MPROX_CHOICE_DIRECT;
	rcu_read_unlock();
	return direct;
}

/*
 * Direct, the app's datagram @skb (parsed into @p) to a pool address,
 * whose name (@len bytes at @name) has no address known yet: held until
 * it has (directname.h). A name the rules do not send direct is refused.
 * Consumes @skb.
 */
static void mprox_assoc_await_name(struct mprox_assoc *a, struct sk_buff *skb,
				   const struct mprox_pkt *p, const char *name, int len)
{
	struct mprox_directname *names = a->names;

	if (!mprox_assoc_direct_for(a, skb, p, name, len)) {
		mprox_assoc_count(a, MPROX_UDP_REFUSED, 1);
		a->ops->refuse(a->dp, skb, MPROX_REPLY_PORT_UNREACH);
		kfree_skb(skb);
		return;
	}
	if (!names) {
		names = mprox_directname_alloc(a->dp, a->flow->app.family,
					       mprox_assoc_kick_owner, a);
		if (!names) {
			mprox_datapath_drop(a->dp, MPROX_DROP_NOMEM);
			kfree_skb(skb);
			return;
		}
		/* xmit reads it without the work's ordering. */
		smp_store_release(&a->names, names);
	}
	if (!mprox_directname_hold(names, skb, &p->daddr, mprox_directname_hash(name, len)))
		mprox_assoc_count(a, MPROX_UDP_DROPPED_QUEUE, 1);
}

/*
 * kernel_sendmsg() on the relay socket. A direct one is unconnected with
 * IP_RECVERR: an ICMP error about an earlier datagram sets sk_err too, and
 * the next send fails with it (sock_alloc_send_pskb()), this datagram
 * having nothing wrong. When the error comes back while the earlier send
 * is still in the stack (softirqs run as it leaves), that is the very next
 * one: read the errors first, and again if one came in between.
 */
static int mprox_assoc_sendmsg(struct mprox_assoc *a, struct msghdr *msg,
			       struct kvec *vec, size_t len)
{
	struct sock *sk = a->relay->sk;
	int err;

	if (!a->up->direct)
		return kernel_sendmsg(a->relay, msg, vec, 2, len);
	if (READ_ONCE(sk->sk_err))
		mprox_assoc_direct_errors(a);
	err = kernel_sendmsg(a->relay, msg, vec, 2, len);
	if (err < 0 && !skb_queue_empty_lockless(&sk->sk_error_queue)) {
		mprox_assoc_direct_errors(a);
		err = kernel_sendmsg(a->relay, msg, vec, 2, len);
	}
	return err;
}

/*
 * One of the app's datagrams to the relay, with its request header; or,
 * direct, as it is to its destination. Through the socket: it copies,
 * but it also finds a route where the fast path had none cached. Returns
 * whether it took @skb (held for a name's address); else the caller
 * frees it.
 */
static bool mprox_assoc_send(struct mprox_assoc *a, struct sk_buff *skb)
{
	u8 hdr[MPROX_SOCKS5_UDP_HDR_MAX];
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	char name[MPROX_DNS_NAME_MAX + 1];
	struct sockaddr_storage ss;
	union mprox_addr to;
	struct kvec vec[2];
	struct mprox_pkt p;
	int hlen, err;

	if (skb_linearize(skb)) {
		mprox_datapath_drop(a->dp, MPROX_DROP_NOMEM);
		return false;
	}
	if (mprox_pkt_parse_skb(skb, &p) != MPROX_PKT_OK ||
	    p.proto != IPPROTO_UDP) {
		mprox_datapath_drop(a->dp, MPROX_DROP_MALFORMED);
		return false;
	}
	hlen = mprox_assoc_header(a, &p, hdr, name, &to);
	if (hlen == -EAGAIN) {
		mprox_assoc_await_name(a, skb, &p, name, strnlen(name, MPROX_DNS_NAME_MAX));
		return true;
	}
	if (hlen < 0)
		return false;
	if (a->up->direct) {
		msg.msg_name = &ss;
		msg.msg_namelen = mprox_assoc_sockaddr(p.family, &to, p.dport, &ss);
	}
	vec[0].iov_base = hdr;
	vec[0].iov_len = hlen;
	vec[1].iov_base = skb_network_header(skb) + p.thoff + sizeof(struct udphdr);
	vec[1].iov_len = p.payload_len;
	err = mprox_assoc_sendmsg(a, &msg, vec, hlen + p.payload_len);
	mprox_assoc_sent(a, err, p.payload_len, true);
	return false;
}

/* Whether datagrams are left: the budget ran out first. */
static bool mprox_assoc_send_all(struct mprox_assoc *a)
{
	struct sk_buff *skb;
	int n;

	for (n = 0; n < MPROX_ASSOC_BUDGET; n++) {
		spin_lock_bh(&a->lock);
		skb = __skb_dequeue(&a->txq);
		/* Until txq is empty, xmit's datagrams queue behind ours. */
		a->draining = skb;
		spin_unlock_bh(&a->lock);
		if (!skb)
			return false;
		if (!mprox_assoc_send(a, skb))
			kfree_skb(skb);
	}
	return true;
}

/* A direct datagram's sender, from @ss, as @src; 0 or -EPROTO. */
static int mprox_assoc_source(const struct sockaddr_storage *ss, struct mprox_dest *src)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	memset(src, 0, sizeof(*src));
	src->family = ss->ss_family;
	if (ss->ss_family == AF_INET6) {
		src->addr.v6 = sin6->sin6_addr;
		src->port = ntohs(sin6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		src->addr.v4 = sin->sin_addr;
		src->port = ntohs(sin->sin_port);
	} else {
		return -EPROTO;
	}
	return 0;
}

/* Throw away the relay's next datagram. */
static void mprox_assoc_discard(struct mprox_assoc *a)
{
	struct msghdr msg = {};
	struct kvec vec = {};

	kernel_recvmsg(a->relay, &msg, &vec, 0, 0, MSG_DONTWAIT | MSG_TRUNC);
}

/* The answers are for a local socket, or for a host we forward for. */
static enum mprox_inject_to mprox_assoc_to_app(const struct mprox_assoc *a)
{
	return READ_ONCE(a->flow->app_forwarded) ? MPROX_INJECT_ROUTED :
						   MPROX_INJECT_LOCAL;
}

/*
 * The relay's next datagram, to the app as from its source. Returns false
 * when there was none. *@answered: it came from a peer the app sent to.
 */
static bool mprox_assoc_receive(struct mprox_assoc *a, bool *answered)
{
	const struct mprox_flow_key *app = &a->flow->app;
	u8 hdr[MPROX_SOCKS5_UDP_HDR_MAX];
	struct mprox_assoc_peer *peer;
	struct sockaddr_storage from;
	struct msghdr msg = {};
	struct mprox_dest src;
	struct mprox_pkt p = {};
	struct sk_buff *skb;
	struct kvec vec[2];
	int len, hlen, n;
	u8 *payload;

	vec[0].iov_base = hdr;
	vec[0].iov_len = a->up->direct ? 0 : sizeof(hdr);
	if (a->up->direct) {
		/* Who sent it is the whole header. */
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
	}
	/* The header, and (MSG_TRUNC) the whole datagram's length. */
	len = kernel_recvmsg(a->relay, &msg, vec, 1, vec[0].iov_len,
			     MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	if (len < 0)
		return len != -EAGAIN;
	if (a->up->direct)
		hlen = mprox_assoc_source(&from, &src);
	else
		hlen = mprox_socks5_udp_parse(hdr, min_t(int, len, sizeof(hdr)), &src);
	if (hlen < 0) {
		mprox_assoc_count(a, hlen == -MPROX_SOCKS5_UDP_FRAGMENT ?
				  MPROX_UDP_DROPPED_FRAGMENT :
				  MPROX_UDP_DROPPED_MALFORMED, 1);
		mprox_assoc_discard(a);
		return true;
	}
	/* xmit remembers peers as it sends. */
	spin_lock_bh(&a->lock);
	peer = mprox_assoc_answers(a, &src);
	if (peer) {
		/* From the address the app sent to, a pool address included. */
		p.daddr = peer->addr;
		p.dport = peer->port;
	}
	spin_unlock_bh(&a->lock);
	if (!peer) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_FOREIGN, 1);
		mprox_assoc_discard(a);
		return true;
	}
	*answered = true;
	p.family = app->family;
	p.proto = IPPROTO_UDP;
	p.saddr = app->saddr;
	p.sport = app->sport;
	/* An IPv6 relay's datagram may not fit an IPv4 one to the app. */
	if (len - hlen > MPROX_ASSOC_PAYLOAD_MAX(p.family)) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_TOO_BIG, 1);
		mprox_assoc_discard(a);
		return true;
	}
	skb = mprox_reply_udp(&p, len - hlen, &payload);
	if (!skb) {
		mprox_datapath_drop(a->dp, MPROX_DROP_NOMEM);
		mprox_assoc_discard(a);
		return true;
	}
	vec[0].iov_len = hlen;
	vec[1].iov_base = payload;
	vec[1].iov_len = len - hlen;
	memset(&msg, 0, sizeof(msg));
	n = kernel_recvmsg(a->relay, &msg, vec, 2, len, MSG_DONTWAIT);
	if (n != len) {
		/*
		 * An error the socket had (an ICMP's) came before the
		 * datagram: it is still there for the next call.
		 */
		kfree_skb(skb);
		return true;
	}
	if (a->ops->answer)
		a->ops->answer(a->dp, &p, payload, len - hlen);
	mprox_reply_udp_seal(skb, &p, len - hlen);
	mprox_assoc_count(a, MPROX_UDP_DATAGRAMS_DOWN, 1);
	mprox_assoc_count(a, MPROX_UDP_BYTES_DOWN, len - hlen);
	mprox_flow_add_bytes(a->flow, 0, len - hlen);
	mprox_traffic_add(a->up->traffic, 0, len - hlen,
			  MPROX_TRAFFIC_NO_PASS);
	if (!mprox_inject_rx_task(&a->dp->inject, skb, mprox_assoc_to_app(a)))
		mprox_datapath_drop(a->dp, MPROX_DROP_RX_BACKLOG);
	return true;
}

/* Whether the proxy ended the association: its control connection closed. */
static bool mprox_assoc_ctrl_gone(struct mprox_assoc *a)
{
	struct sock *sk = a->ctrl->sk;
	struct msghdr msg = {};
	struct kvec vec;
	u8 junk[64];
	int n, i;

	if (READ_ONCE(sk->sk_err) || READ_ONCE(sk->sk_state) != TCP_ESTABLISHED)
		return true;
	/*
	 * Nothing is due on it; read what a proxy says anyway, a bounded
	 * amount a pass (its data ready kicks the next), and its EOF.
	 */
	for (i = 0; i < 16; i++) {
		vec.iov_base = junk;
		vec.iov_len = sizeof(junk);
		n = kernel_recvmsg(a->ctrl, &msg, &vec, 1, sizeof(junk),
				   MSG_DONTWAIT);
		if (n <= 0)
			return n == 0;
	}
	return false;
}

/* DNS over TCP: one of the server's messages, to the app from the peer. */
static void mprox_assoc_stream_deliver(struct mprox_assoc *a, const u8 *m, u32 len)
{
	const struct mprox_flow_key *app = &a->flow->app;
	struct mprox_pkt p = {
		.family = app->family,
		.proto = IPPROTO_UDP,
		.saddr = app->saddr,
		.sport = app->sport,
		.daddr = a->peers[0].addr,
		.dport = a->peers[0].port,
	};
	struct sk_buff *skb;
	u8 *payload;

	/* A message too short for its header is not one: the app is spared it. */
	if (len < MPROX_DNS_HDR_LEN) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_MALFORMED, 1);
		return;
	}
	if (len > MPROX_ASSOC_PAYLOAD_MAX(p.family)) {
		mprox_assoc_count(a, MPROX_UDP_DROPPED_TOO_BIG, 1);
		return;
	}
	skb = mprox_reply_udp(&p, len, &payload);
	if (!skb) {
		mprox_datapath_drop(a->dp, MPROX_DROP_NOMEM);
		return;
	}
	memcpy(payload, m, len);
	if (a->ops->answer)
		a->ops->answer(a->dp, &p, payload, len);
	mprox_reply_udp_seal(skb, &p, len);
	mprox_assoc_count(a, MPROX_UDP_DATAGRAMS_DOWN, 1);
	mprox_assoc_count(a, MPROX_UDP_BYTES_DOWN, len);
	mprox_flow_add_bytes(a->flow, 0, len);
	mprox_traffic_add(a->up->traffic, 0, len,
			  MPROX_TRAFFIC_NO_PASS);
	if (!mprox_inject_rx_task(&a->dp->inject, skb, mprox_assoc_to_app(a)))
		mprox_datapath_drop(a->dp, MPROX_DROP_RX_BACKLOG);
}

/*
 * DNS over TCP: @len bytes of the stream at @data, each whole message to
 * the app. False when out of memory.
 */
static bool mprox_assoc_stream_take(struct mprox_assoc *a, const u8 *data,
				    size_t len)
{
	size_t n;

	while (len) {
		if (a->slen_got < sizeof(a->slen)) {
			a->slen[a->slen_got++] = *data++;
			len--;
			if (a->slen_got < sizeof(a->slen))
				continue;
			a->srx_len = a->slen[0] << 8 | a->slen[1];
			a->srx_got = 0;
			if (!a->srx_len) {
				mprox_assoc_count(a, MPROX_UDP_DROPPED_MALFORMED, 1);
				a->slen_got = 0;
				continue;
			}
			/*
			 * At most 64 KiB, the length's own bound, at a time;
			 * the server's word, so charged and allowed to fail.
			 */
			a->srx = kvmalloc(a->srx_len, GFP_KERNEL_ACCOUNT);
			if (!a->srx)
				return false;
			continue;
		}
		n = min_t(size_t, len, a->srx_len - a->srx_got);
		memcpy(a->srx + a->srx_got, data, n);
		a->srx_got += n;
		data += n;
		len -= n;
		if (a->srx_got < a->srx_len)
			continue;
		mprox_assoc_stream_deliver(a, a->srx, a->srx_len);
		kvfree(a->srx);
		a->srx = NULL;
		a->slen_got = 0;
	}
	return true;
}

/*
 * DNS over TCP: the app's next datagram, framed, as the message to send
 * (true), or none left (false). Each datagram taken counts against @budget:
 * one to another destination than the stream's is refused (the owner
 * answers it), one too short for a DNS header dropped.
 */
static bool mprox_assoc_stream_next(struct mprox_assoc *a, int *budget)
{
	struct sk_buff *skb;
	struct mprox_pkt p;

	for (; *budget > 0; (*budget)--) {
		spin_lock_bh(&a->lock);
		skb = __skb_dequeue(&a->txq);
		spin_unlock_bh(&a->lock);
		if (!skb)
			return false;
		if (skb_linearize(skb)) {
			mprox_datapath_drop(a->dp, MPROX_DROP_NOMEM);
		} else if (mprox_pkt_parse_skb(skb, &p) != MPROX_PKT_OK ||
			   p.proto != IPPROTO_UDP) {
			mprox_datapath_drop(a->dp, MPROX_DROP_MALFORMED);
		} else if (!mprox_assoc_known(a, p.family, &p.daddr, p.dport)) {
			a->ops->refuse(a->dp, skb, MPROX_REPLY_PORT_UNREACH);
		} else if (p.payload_len < MPROX_DNS_HDR_LEN) {
			/* Framed, it could end the stream for every query on it. */
			mprox_assoc_count(a, MPROX_UDP_DROPPED_MALFORMED, 1);
		} else {
			a->stx = kvmalloc(2 + p.payload_len, GFP_KERNEL_ACCOUNT);
			if (!a->stx) {
				mprox_datapath_drop(a->dp, MPROX_DROP_NOMEM);
				kfree_skb(skb);
				continue;
			}
			a->stx[0] = p.payload_len >> 8;
			a->stx[1] = p.payload_len & 0xff;
			memcpy(a->stx + 2, skb_network_header(skb) + p.thoff +
			       sizeof(struct udphdr), p.payload_len);
			a->stx_len = 2 + p.payload_len;
			a->stx_off = 0;
			mprox_assoc_count(a, MPROX_UDP_DATAGRAMS_UP, 1);
			mprox_assoc_count(a, MPROX_UDP_BYTES_UP, p.payload_len);
			mprox_flow_add_bytes(a->flow, p.payload_len, 0);
			mprox_traffic_add(a->up->traffic, p.payload_len, 0,
					  MPROX_TRAFFIC_NO_PASS);
			consume_skb(skb);
			(*budget)--;
			return true;
		}
		kfree_skb(skb);
	}
	return false;
}

/*
 * DNS over TCP: send what is left of the message being sent. 0 when it
 * went in whole, -EAGAIN when the socket is full (its write space kicks
 * the work), another negative errno when the connection failed.
 */
static int mprox_assoc_stream_push(struct mprox_assoc *a)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec;
	int n;

	while (a->stx_off < a->stx_len) {
		vec.iov_base = a->stx + a->stx_off;
		vec.iov_len = a->stx_len - a->stx_off;
		n = kernel_sendmsg(a->ctrl, &msg, &vec, 1, vec.iov_len);
		if (n < 0)
			return n;
		a->stx_off += n;
	}
	kvfree(a->stx);
	a->stx = NULL;
	return 0;
}

/*
 * DNS over TCP, OPEN: the app's queries to the server, its answers back,
 * a budget of each a pass. The server's close, or a failed send, ends it
 * once what the server sent before is read: the app's next query opens
 * another.
 */
static void mprox_assoc_stream_relay(struct mprox_assoc *a)
{
	int budget = MPROX_ASSOC_BUDGET, i, n, err = 0, rx_err = 0;
	struct msghdr msg = {};
	bool more, moved = false;
	struct kvec vec;
	u8 buf[512];

	while (a->stx || mprox_assoc_stream_next(a, &budget)) {
		err = mprox_assoc_stream_push(a);
		if (err)
			break;
		moved = true;
	}
	more = budget <= 0;
	if (err == -EAGAIN)
		err = 0;
	for (i = 0; !rx_err && i < MPROX_ASSOC_BUDGET; i++) {
		vec.iov_base = buf;
		vec.iov_len = sizeof(buf);
		n = kernel_recvmsg(a->ctrl, &msg, &vec, 1, sizeof(buf),
				   MSG_DONTWAIT);
		if (n == -EAGAIN)
			break;
		if (n <= 0)
			rx_err = n ?: -ECONNRESET;
		else if (!mprox_assoc_stream_take(a, buf, n))
			rx_err = -ENOMEM;
		else
			moved = true;
	}
	more |= i == MPROX_ASSOC_BUDGET;
	if (err || rx_err) {
		mprox_assoc_close(a);
		return;
	}
	if (moved)
		mprox_flow_touch(a->flow);
	if (more)
		mprox_assoc_kick(a);
}

/*
 * What the app gets for the ICMP error @ee about a datagram to one of its
 * peers: what it would have got sending there itself. -1 for an error a
 * UDP socket does not fail for (too big: the driver's socket learns the
 * path's MTU; time exceeded, redirects).
 */
static int mprox_assoc_error_kind(u16 family, const struct sock_extended_err *ee)
{
	if (family == AF_INET6) {
		if (ee->ee_origin != SO_EE_ORIGIN_ICMP6 || ee->ee_type != ICMPV6_DEST_UNREACH)
			return -1;
		switch (ee->ee_code) {
		case ICMPV6_PORT_UNREACH:
			return MPROX_REPLY_PORT_UNREACH;
		case ICMPV6_ADM_PROHIBITED:
			return MPROX_REPLY_ADMIN_PROHIBITED;
		case ICMPV6_NOROUTE:
			return MPROX_REPLY_NET_UNREACH;
		default:
			return MPROX_REPLY_HOST_UNREACH;
		}
	}
	if (ee->ee_origin != SO_EE_ORIGIN_ICMP || ee->ee_type != ICMP_DEST_UNREACH)
		return -1;
	switch (ee->ee_code) {
	case ICMP_PORT_UNREACH:
		return MPROX_REPLY_PORT_UNREACH;
	case ICMP_FRAG_NEEDED:
		return -1;
	case ICMP_NET_UNREACH:
	case ICMP_NET_UNKNOWN:
		return MPROX_REPLY_NET_UNREACH;
	case ICMP_NET_ANO:
	case ICMP_HOST_ANO:
	case ICMP_PKT_FILTERED:
		return MPROX_REPLY_ADMIN_PROHIBITED;
	default:
		return MPROX_REPLY_HOST_UNREACH;
	}
}

/*
 * The ICMP error @err (from the direct socket's error queue) about a
 * datagram to a peer of the app's, answered to the app as from that
 * peer: its connected socket fails with ECONNREFUSED and the like, as
 * sending there itself.
 */
static void mprox_assoc_direct_error(struct mprox_assoc *a, const struct sk_buff *err)
{
	const struct sock_exterr_skb *serr = SKB_EXT_ERR(err);
	const struct mprox_flow_key *app = &a->flow->app;
	unsigned int alen = app->family == AF_INET6 ? 16 : 4;
	struct sk_buff *dgram, *reply;
	struct mprox_assoc_peer *peer;
	struct mprox_dest dst = {};
	union mprox_addr from = {};
	struct mprox_pkt p = {};
	u8 *payload;
	int kind;

	kind = mprox_assoc_error_kind(app->family, &serr->ee);
	if (kind < 0)
		return;
	/*
	 * Where the datagram went: the quoted IP header's destination, in
	 * the linear part, where ip_recv_error() reads it too.
	 */
	dst.family = app->family;
	dst.port = ntohs(serr->port);
	memcpy(&dst.addr, skb_network_header(err) + serr->addr_offset, alen);
	spin_lock_bh(&a->lock);
	peer = mprox_assoc_answers(a, &dst);
	/* The pool address, for a name: the app sent there. */
	if (peer)
		from = peer->addr;
	spin_unlock_bh(&a->lock);
	if (!peer)
		return;
	/* The app's datagram as it left, A:a -> D:P, for the reply to quote. */
	p.family = app->family;
	p.proto = IPPROTO_UDP;
	p.saddr = from;
	p.sport = serr->port;
	p.daddr = app->saddr;
	p.dport = app->sport;
	dgram = mprox_reply_udp(&p, 0, &payload);
	if (!dgram) {
		mprox_datapath_drop(a->dp, MPROX_DROP_NOMEM);
		return;
	}
	mprox_reply_udp_seal(dgram, &p, 0);
	if (mprox_pkt_parse_skb(dgram, &p) != MPROX_PKT_OK) {
		kfree_skb(dgram);
		return;
	}
	reply = mprox_reply_build(dgram, &p, kind);
	kfree_skb(dgram);
	/* Out of memory, or a peer no answer goes to (a group, a broadcast). */
	if (!reply)
		return;
	mprox_assoc_count(a, MPROX_UDP_ICMP_ERRORS, 1);
	if (!mprox_inject_rx_task(&a->dp->inject, reply, mprox_assoc_to_app(a)))
		mprox_datapath_drop(a->dp, MPROX_DROP_RX_BACKLOG);
}

/*
 * Direct: the names' lookup (directname.h). Datagrams whose name came to
 * an address go there. Those of a name that came to none get port
 * unreachable, as a refused association's (mprox_assoc_answered()): a
 * connected UDP socket takes host unreachable for a passing trouble
 * (RFC 1122 4.1.3.3) and would wait out its own timeout.
 */
static bool mprox_assoc_names(struct mprox_assoc *a)
{
	struct sk_buff_head ready, failed;
	struct sk_buff *skb;
	unsigned long next;
	bool more;

	__skb_queue_head_init(&ready);
	__skb_queue_head_init(&failed);
	more = mprox_directname_run(a->names, &ready, &failed, &next);
	while ((skb = __skb_dequeue(&ready)))
		if (!mprox_assoc_send(a, skb))
			kfree_skb(skb);
	while ((skb = __skb_dequeue(&failed))) {
		a->ops->refuse(a->dp, skb, MPROX_REPLY_PORT_UNREACH);
		kfree_skb(skb);
	}
	if (next)
		mod_timer(&a->timer, next);
	return more;
}

/* The direct socket's error queue, a bounded number a pass. */
static bool mprox_assoc_direct_errors(struct mprox_assoc *a)
{
	struct sk_buff *skb;
	int n;

	for (n = 0; n < MPROX_ASSOC_BUDGET; n++) {
		skb = sock_dequeue_err_skb(a->relay->sk);
		if (!skb)
			return false;
		mprox_assoc_direct_error(a, skb);
		kfree_skb(skb);
	}
	return true;
}

static void mprox_assoc_relay(struct mprox_assoc *a)
{
	bool more, answered = false;
	int n;

	if (a->stream) {
		mprox_assoc_stream_relay(a);
		return;
	}
	/* A direct association has nobody to end it but its idle time. */
	if (a->ctrl && mprox_assoc_ctrl_gone(a)) {
		mprox_assoc_close(a);
		return;
	}
	more = mprox_assoc_send_all(a);
	if (a->names)
		more |= mprox_assoc_names(a);
	if (a->up->direct)
		more |= mprox_assoc_direct_errors(a);
	for (n = 0; n < MPROX_ASSOC_BUDGET && mprox_assoc_receive(a, &answered);
	     n++)
		;
	/*
	 * Only answers keep the association: a direct one's socket is
	 * unconnected, and a stranger sending to it must not hold it open.
	 */
	if (answered)
		mprox_flow_touch(a->flow);
	if (more || n == MPROX_ASSOC_BUDGET)
		mprox_assoc_kick(a);
}

static void __mprox_assoc_work(struct mprox_assoc *a)
{
	enum mprox_assoc_phase phase;
	bool dying;

	/*
	 * The flow is linked, so xmit and the kill may kick us, before
	 * mprox_assoc_start(), whose own kick comes next.
	 */
	if (!smp_load_acquire(&a->flow))
		return;
	spin_lock_bh(&a->lock);
	phase = a->phase;
	dying = a->dying;
	spin_unlock_bh(&a->lock);
	if (phase == MPROX_ASSOC_DONE)
		return;
	if (dying) {
		mprox_assoc_close(a);
		return;
	}
	if (phase == MPROX_ASSOC_OPEN)
		mprox_assoc_relay(a);
	else
		mprox_assoc_ask(a);
}

static void mprox_assoc_work(struct work_struct *work)
{
	struct mprox_assoc *a = container_of(work, struct mprox_assoc, work);
	struct mem_cgroup *old = mprox_datapath_charge_begin(a->dp);

	__mprox_assoc_work(a);
	mprox_datapath_charge_end(old);
}

void mprox_assoc_flow_killed(struct mprox_flow *f)
{
	struct mprox_assoc *a = f->priv;

	if (!a)
		return;
	spin_lock_bh(&a->lock);
	a->dying = true;
	spin_unlock_bh(&a->lock);
	mprox_assoc_kick(a);
}

void mprox_assoc_flow_release(struct mprox_flow *f)
{
	struct mprox_assoc *a = f->priv;

	if (!a)
		return;
	mprox_compat_timer_delete_sync(&a->timer);
	cancel_work_sync(&a->work);
	mprox_assoc_free(a);
}

const char *mprox_assoc_upstream_name(struct mprox_flow *f)
{
	struct mprox_assoc *a = f->priv;

	return a ? a->up->spec.name : "";
}
