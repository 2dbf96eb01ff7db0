// SPDX-License-Identifier: GPL-2.0
/*
 * The connection engine; see handshake.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "direct.h"
#include "handshake.h"
#include "ownsock.h"
#include "upstream.h"

/* The reply buffer's first size; it doubles up to the codec's reply_max. */
#define MPROX_HS_RX_START	512

const struct mprox_codec *mprox_codec_for(enum mprox_proto proto)
{
	switch (proto) {
	case MPROX_PROTO_SOCKS5:
	case MPROX_PROTO_SOCKS5H:
		return &mprox_socks5_codec;
	case MPROX_PROTO_SOCKS4:
		return &mprox_socks4_codec;
	case MPROX_PROTO_SOCKS4A:
		return &mprox_socks4a_codec;
	case MPROX_PROTO_HTTP:
		return &mprox_http_codec;
	default:
		return NULL;
	}
}

const struct mprox_codec *mprox_udp_codec_for(enum mprox_proto proto)
{
	if (proto == MPROX_PROTO_SOCKS5 || proto == MPROX_PROTO_SOCKS5H)
		return &mprox_socks5_udp_codec;
	return NULL;
}

static enum mprox_handshake_status
mprox_hs_finish(struct mprox_handshake *hs, enum mprox_connect_result res)
{
	hs->phase = MPROX_HS_DONE;
	hs->result = res;
	if (hs->tx) {
		/* It may hold a password. */
		kfree_sensitive(hs->tx);
		hs->tx = NULL;
	}
	if (res == MPROX_CONNECT_AUTH_FAILED) {
		atomic64_inc(&hs->up->auth_failed);
		pr_info_ratelimited("upstream %s: the proxy refused our credentials\n",
				    hs->up->spec.name);
	}
	return MPROX_HS_FINISHED;
}

/*
 * Would the route to the proxy go through an mprox device? Then it would
 * loop: asked before the SYN, so that nothing reaches the device, with
 * what the socket's own lookup uses (address, fwmark, bound interface).
 * A route that only a firewall rewrite changes later is caught in xmit
 * (ownsock.h).
 */
static bool mprox_hs_loops(struct socket *sock, const struct sockaddr *sa)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	struct dst_entry *dst;
	bool loops;

	if (sa->sa_family == AF_INET6) {
		struct flowi6 fl6 = {
			.daddr = ((const struct sockaddr_in6 *)sa)->sin6_addr,
			.flowi6_oif = sk->sk_bound_dev_if,
			.flowi6_mark = sk->sk_mark,
			.flowi6_proto = IPPROTO_TCP,
			.flowi6_uid = sk->sk_uid,
		};

		dst = ip6_route_output(net, sk, &fl6);
		if (dst->error) {
			dst_release(dst);
			return false;
		}
	} else {
		struct flowi4 fl4 = {
			.daddr = ((const struct sockaddr_in *)sa)->sin_addr.s_addr,
			.flowi4_oif = sk->sk_bound_dev_if,
			.flowi4_mark = sk->sk_mark,
			.flowi4_proto = IPPROTO_TCP,
			.flowi4_uid = sk->sk_uid,
		};
		struct rtable *rt = ip_route_output_key(net, &fl4);

		/* No route: connect() says so. */
		if (IS_ERR(rt))
			return false;
		dst = &rt->dst;
	}
	loops = dst->dev && mprox_netdev_is_mprox(dst->dev);
	dst_release(dst);
	return loops;
}

/*
 * Where the engine's TCP connect goes: the proxy, or the destination for
 * a codec that connects to it itself (direct.h). Returns the address's
 * length, or 0 when there is none to connect to.
 */
static int mprox_hs_peer(const struct mprox_handshake *hs,
			 const struct mprox_upstream_spec *s,
			 struct sockaddr_storage *ss)
{
	u16 family = hs->codec->to_dest ? hs->dest.family : s->family;
	u16 port = hs->codec->to_dest ? hs->dest.port : s->port;

	if (hs->codec->to_dest && !hs->has_dest)
		return 0;
	if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = hs->codec->to_dest ? hs->dest.addr.v6 :
						       s->addr.v6;
		sin6->sin6_port = htons(port);
		return sizeof(*sin6);
	}
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = hs->codec->to_dest ? hs->dest.addr.v4 :
						     s->addr.v4;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	return 0;
}

/*
 * The engine's own TCP connect failed with @err (positive; 0 unknown):
 * @proxy_res for a proxy's, the codec's word for a destination's.
 */
static enum mprox_handshake_status
mprox_hs_connect_failed(struct mprox_handshake *hs, int err,
			enum mprox_connect_result proxy_res)
{
	if (hs->codec->connect_error)
		return mprox_hs_finish(hs, hs->codec->connect_error(err));
	return mprox_hs_finish(hs, proxy_res);
}

int mprox_handshake_socket(struct mprox_handshake *hs, struct net *net,
			   const struct mprox_upstream *up, u32 mark,
			   struct socket **sockp)
{
	int err = mprox_upstream_socket(net, up, mark, sockp);

	if (!err)
		return 0;
	*sockp = NULL;
	if (err == -EAFNOSUPPORT)
		pr_warn_ratelimited("upstream %s: host names are not resolved in the kernel yet; give an address\n",
				    up->spec.name);
	else if (err == -ENODEV)
		pr_warn_ratelimited("upstream %s: no interface %s\n",
				    up->spec.name, up->spec.dev);
	mprox_handshake_fail(hs, MPROX_CONNECT_UPSTREAM_DOWN);
	return err;
}

enum mprox_handshake_status
mprox_handshake_fail(struct mprox_handshake *hs, enum mprox_connect_result res)
{
	hs->phase = MPROX_HS_DONE;
	hs->result = res;
	return MPROX_HS_FINISHED;
}

enum mprox_handshake_status
mprox_handshake_begin(struct mprox_handshake *hs, struct socket *sock,
		      struct mprox_upstream *up, unsigned long start,
		      unsigned long connect_timeout,
		      unsigned long handshake_timeout)
{
	const struct mprox_upstream_spec *s = &up->spec;
	struct sockaddr_storage ss = {};
	int len, err;

	hs->up = up;
	if (hs->associate)
		hs->codec = up->direct ? NULL : mprox_udp_codec_for(s->proto);
	else
		hs->codec = up->direct ? &mprox_direct_codec :
					 mprox_codec_for(s->proto);
	memset(&hs->bound, 0, sizeof(hs->bound));
	memset(&hs->st, 0, sizeof(hs->st));
	hs->ended = 0;
	hs->creds.user = s->user;
	hs->creds.user_len = strlen(s->user);
	hs->creds.password = s->password;
	hs->creds.password_len = strlen(s->password);
	hs->connect_deadline = start + connect_timeout;
	hs->deadline = start + handshake_timeout;
	hs->phase = MPROX_HS_CONNECTING;
	if (!hs->codec)
		return mprox_hs_finish(hs, MPROX_CONNECT_CMD_UNSUPPORTED);
	/*
	 * A destination's connect takes what the application's own would:
	 * connect_timeout_ms is there to find a dead proxy fast.
	 */
	if (hs->codec->to_dest)
		hs->connect_deadline = hs->deadline;

	len = mprox_hs_peer(hs, s, &ss);
	if (!len)
		return mprox_hs_finish(hs, MPROX_CONNECT_NET_UNREACH);
	if (mprox_hs_loops(sock, (struct sockaddr *)&ss)) {
		pr_warn_ratelimited("upstream %s: the route to %pISpc goes through an mprox device; add a rule for the fwmark (design.md, Loop safety)\n",
				    s->name, &ss);
		return mprox_hs_finish(hs, MPROX_CONNECT_LOOP);
	}
	/*
	 * What fails at once fails here, before a packet left: no route, a
	 * prohibit or blackhole one, no local port. The proxy was not
	 * reached, whatever the errno.
	 */
	err = kernel_connect(sock, (struct sockaddr *)&ss, len, O_NONBLOCK);
	if (err && err != -EINPROGRESS)
		return mprox_hs_connect_failed(hs, -err,
					       MPROX_CONNECT_UPSTREAM_DOWN);
	return mprox_handshake_advance(hs, sock);
}

void mprox_handshake_set_dest(struct mprox_handshake *hs,
			      const struct mprox_dest *dest)
{
	hs->dest = *dest;
	hs->has_dest = true;
}

void mprox_handshake_set_deadlines(struct mprox_handshake *hs,
				   unsigned long start,
				   unsigned long handshake_timeout)
{
	hs->deadline = start + handshake_timeout;
}

unsigned long mprox_handshake_next_deadline(const struct mprox_handshake *hs)
{
	if (hs->phase == MPROX_HS_CONNECTING &&
	    time_before(hs->connect_deadline, hs->deadline))
		return hs->connect_deadline;
	return hs->deadline;
}

/* The buffer the codec writes its next message to: hs->tx. */
static u8 *mprox_hs_out(struct mprox_handshake *hs)
{
	if (!hs->tx)
		hs->tx = kmalloc(hs->codec->out_max, GFP_KERNEL_ACCOUNT);
	return hs->tx;
}

/* Send what is left of hs->tx: 1 sent in full, 0 not yet, or -errno. */
static int mprox_hs_flush(struct mprox_handshake *hs, struct socket *sock)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec iov;
	int n;

	while (hs->tx_off < hs->tx_len) {
		iov.iov_base = hs->tx + hs->tx_off;
		iov.iov_len = hs->tx_len - hs->tx_off;
		n = kernel_sendmsg(sock, &msg, &iov, 1, iov.iov_len);
		if (n == -EAGAIN)
			return 0;
		if (n <= 0)
			return n ?: -EPIPE;
		hs->tx_off += n;
	}
	kfree_sensitive(hs->tx);
	hs->tx = NULL;
	hs->tx_len = 0;
	hs->tx_off = 0;
	return 1;
}

/*
 * Act on what the codec said: a message to send (hs->tx, written by the
 * codec), the phase it moved to, or the end. Drops the reply bytes it used.
 */
static enum mprox_handshake_status
mprox_hs_step(struct mprox_handshake *hs, const struct mprox_codec_step *step)
{
	/* A codec that claims more than it was given is a bug: fail safe. */
	if (WARN_ON_ONCE(step->used > hs->rx_len ||
			 step->out_len > hs->codec->out_max))
		return mprox_hs_finish(hs, MPROX_CONNECT_PROXY_ERROR);
	if (step->used) {
		hs->rx_len -= step->used;
		memmove(hs->rx, hs->rx + step->used, hs->rx_len);
	}
	switch (step->event) {
	case MPROX_CODEC_MORE:
		return MPROX_HS_PENDING;
	case MPROX_CODEC_SEND:
		hs->tx_len = step->out_len;
		hs->tx_off = 0;
		return MPROX_HS_PENDING;
	case MPROX_CODEC_READY:
		hs->phase = MPROX_HS_READY;
		/* The proxy may not speak before it was asked. */
		if (hs->rx_len)
			return mprox_hs_finish(hs, MPROX_CONNECT_PROXY_ERROR);
		return MPROX_HS_PENDING;
	case MPROX_CODEC_CONNECTED:
		hs->bound = step->bound;
		return mprox_hs_finish(hs, MPROX_CONNECT_OK);
	default:
		return mprox_hs_finish(hs, step->result);
	}
}

/* Room for at least one more byte in hs->rx, up to the codec's limit. */
static int mprox_hs_rx_room(struct mprox_handshake *hs)
{
	size_t size;
	u8 *rx;

	if (hs->rx && hs->rx_len < hs->rx_size)
		return 0;
	if (hs->rx_size >= hs->codec->reply_max)
		return -EMSGSIZE;
	size = hs->rx_size ? hs->rx_size * 2 : MPROX_HS_RX_START;
	size = min_t(size_t, size, hs->codec->reply_max);
	rx = krealloc(hs->rx, size, GFP_KERNEL_ACCOUNT);
	if (!rx)
		return -ENOMEM;
	hs->rx = rx;
	hs->rx_size = size;
	return 0;
}

/*
 * Read what the socket has, then feed every byte not yet used to the codec
 * (also those left over when it last had a message to send) until it
 * needs more, has a message to send, or is done. The codec asks for at
 * most reply_max bytes at once. *@drained: the socket had nothing to read.
 */
static enum mprox_handshake_status
mprox_hs_receive(struct mprox_handshake *hs, struct socket *sock,
		 bool *drained)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	enum mprox_handshake_status status;
	struct mprox_codec_step step;
	struct kvec iov;
	u8 *out;
	int n;

	n = mprox_hs_rx_room(hs);
	if (n)
		return mprox_hs_finish(hs, n == -ENOMEM ?
				       MPROX_CONNECT_GENERAL_FAILURE :
				       MPROX_CONNECT_PROXY_ERROR);
	iov.iov_base = hs->rx + hs->rx_len;
	iov.iov_len = hs->rx_size - hs->rx_len;
	n = kernel_recvmsg(sock, &msg, &iov, 1, iov.iov_len, MSG_DONTWAIT);
	*drained = n == -EAGAIN;
	/* Closed or reset before the answer was complete. */
	if (!*drained && n <= 0) {
		hs->ended = n ?: MPROX_HS_CLOSED;
		return mprox_hs_finish(hs, MPROX_CONNECT_PROXY_ERROR);
	}
	if (n > 0)
		hs->rx_len += n;

	while (hs->rx_len && hs->phase != MPROX_HS_READY &&
	       hs->phase != MPROX_HS_DONE && !hs->tx_len) {
		out = mprox_hs_out(hs);
		if (!out)
			return mprox_hs_finish(hs, MPROX_CONNECT_GENERAL_FAILURE);
		hs->codec->reply(&hs->st, &hs->creds, hs->rx, hs->rx_len, out,
				 hs->codec->out_max, &step);
		status = mprox_hs_step(hs, &step);
		if (status == MPROX_HS_FINISHED)
			return status;
		if (step.event == MPROX_CODEC_MORE) {
			/* Everything the codec may need is there: it is not. */
			if (hs->rx_len >= hs->codec->reply_max)
				return mprox_hs_finish(hs, MPROX_CONNECT_PROXY_ERROR);
			break;
		}
	}
	/* Nothing to send: the buffer (and what the codec left in it) goes. */
	if (!hs->tx_len && hs->tx) {
		kfree_sensitive(hs->tx);
		hs->tx = NULL;
	}
	return MPROX_HS_PENDING;
}

/* The codec's open() or request(): its message, or its verdict. */
static enum mprox_handshake_status
mprox_hs_start_message(struct mprox_handshake *hs, bool request)
{
	struct mprox_codec_step step;
	u8 *out = mprox_hs_out(hs);

	if (!out)
		return mprox_hs_finish(hs, MPROX_CONNECT_GENERAL_FAILURE);
	if (request) {
		hs->phase = MPROX_HS_REQUESTING;
		hs->requested = true;
		hs->codec->request(&hs->st, &hs->creds, &hs->dest, out,
				   hs->codec->out_max, &step);
	} else {
		hs->phase = MPROX_HS_PREPARING;
		hs->codec->open(&hs->st, &hs->creds, out, hs->codec->out_max,
				&step);
	}
	step.used = 0;
	return mprox_hs_step(hs, &step);
}

enum mprox_handshake_status
mprox_handshake_advance(struct mprox_handshake *hs, struct socket *sock)
{
	enum mprox_handshake_status status;
	struct sock *sk = sock->sk;
	bool drained;
	int state, err;

	for (;;) {
		if (hs->phase == MPROX_HS_DONE)
			return MPROX_HS_FINISHED;
		if (time_after_eq(jiffies, mprox_handshake_next_deadline(hs))) {
			hs->late = time_after_eq(jiffies, hs->deadline);
			return mprox_hs_finish(hs, MPROX_CONNECT_TIMEOUT);
		}

		if (hs->phase == MPROX_HS_CONNECTING) {
			state = READ_ONCE(sk->sk_state);
			if (state == TCP_SYN_SENT)
				return MPROX_HS_PENDING;
			/* Refused, unreachable, or reset at once. */
			if (state != TCP_ESTABLISHED && state != TCP_CLOSE_WAIT)
				return mprox_hs_connect_failed(hs,
							       READ_ONCE(sk->sk_err) ?:
							       READ_ONCE(sk->sk_err_soft),
							       MPROX_CONNECT_UPSTREAM_DOWN);
			status = mprox_hs_start_message(hs, false);
			if (status != MPROX_HS_PENDING)
				return status;
			continue;
		}
		if (hs->tx_len) {
			err = mprox_hs_flush(hs, sock);
			if (err < 0) {
				hs->ended = err;
				return mprox_hs_finish(hs, MPROX_CONNECT_PROXY_ERROR);
			}
			if (!err)
				return MPROX_HS_PENDING;
			continue;
		}
		if (hs->phase == MPROX_HS_READY) {
			if (!hs->has_dest)
				return MPROX_HS_PREPARED;
			status = mprox_hs_start_message(hs, true);
			if (status != MPROX_HS_PENDING)
				return status;
			continue;
		}
		status = mprox_hs_receive(hs, sock, &drained);
		if (status != MPROX_HS_PENDING)
			return status;
		/*
		 * Read until the socket is empty (it will not tell us again),
		 * unless there is a message to send or a request to make.
		 */
		if (drained && !hs->tx_len && hs->phase != MPROX_HS_READY)
			return MPROX_HS_PENDING;
	}
}

void mprox_handshake_reset(struct mprox_handshake *hs)
{
	kfree_sensitive(hs->tx);
	kfree(hs->rx);
	memset(hs, 0, sizeof(*hs));
}
