// SPDX-License-Identifier: GPL-2.0
/*
 * Connecting to the upstream proxy and its handshake; see upstream.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/tcp.h>
#include <net/ip6_route.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "device.h"
#include "ownsock.h"
#include "upstream.h"

/* Keepalive on the upstream leg: a dead proxy is noticed in ~2 minutes. */
#define MPROX_KEEPIDLE_S	60
#define MPROX_KEEPINTVL_S	10
#define MPROX_KEEPCNT		6

int mprox_upstream_socket(struct net *net, const struct mprox_upstream *up,
			  u32 mark, struct socket **sockp)
{
	u16 family = up->spec.family;
	struct socket *sock;
	struct sock *sk;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	err = sock_create_kern(net, family, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err)
		return err;
	sk = sock->sk;
	if (up->spec.dev[0]) {
		struct net_device *dev = dev_get_by_name(net, up->spec.dev);

		if (!dev) {
			sock_release(sock);
			return -ENODEV;
		}
		err = sock_bindtoindex(sk, dev->ifindex, true);
		dev_put(dev);
		if (err) {
			sock_release(sock);
			return err;
		}
	}
	sock_set_mark(sk, mark);
	sock_no_linger(sk);
	sock_set_keepalive(sk);
	tcp_sock_set_keepidle(sk, MPROX_KEEPIDLE_S);
	tcp_sock_set_keepintvl(sk, MPROX_KEEPINTVL_S);
	tcp_sock_set_keepcnt(sk, MPROX_KEEPCNT);
	tcp_sock_set_nodelay(sk);
	err = mprox_ownsock_add(sk);
	if (err) {
		sock_release(sock);
		return err;
	}
	*sockp = sock;
	return 0;
}

void mprox_upstream_release(struct socket *sock)
{
	mprox_ownsock_del(sock->sk);
	sock_release(sock);
}

/* Wait until @cond(@sk), the deadline or an abort; 0 or the result. */
static enum mprox_connect_result
mprox_upstream_wait(struct mprox_waiter *w,
		    struct sock *sk,
		    bool (*cond)(struct sock *sk))
{
	long left = (long)(w->deadline - jiffies);

	if (left > 0)
		wait_event_timeout(w->wq, cond(sk) || READ_ONCE(w->aborted),
				   left);
	if (READ_ONCE(w->aborted))
		return MPROX_CONNECT_ABORTED;
	if (!cond(sk))
		return MPROX_CONNECT_TIMEOUT;
	return MPROX_CONNECT_OK;
}

static bool mprox_sk_connected(struct sock *sk)
{
	return READ_ONCE(sk->sk_state) != TCP_SYN_SENT;
}

static bool mprox_sk_readable(struct sock *sk)
{
	return !skb_queue_empty_lockless(&sk->sk_receive_queue) ||
	       READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
	       READ_ONCE(sk->sk_state) == TCP_CLOSE;
}

/*
 * Would the route to the proxy go through an mprox device? Then it would
 * loop: asked before the SYN, so that nothing reaches the device, with
 * what the socket's own lookup uses (address, fwmark, bound interface).
 * A route that only a firewall rewrite changes later is caught in xmit
 * (ownsock.h).
 */
static bool mprox_upstream_loops(struct socket *sock,
				 const struct mprox_upstream_spec *s)
{
	struct sock *sk = sock->sk;
	struct net *net = sock_net(sk);
	struct dst_entry *dst;
	bool loops;

	if (s->family == AF_INET6) {
		struct flowi6 fl6 = {
			.daddr = s->addr.v6,
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
			.daddr = s->addr.v4.s_addr,
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
	loops = dst->dev && mprox_device_is_mprox(dst->dev);
	dst_release(dst);
	return loops;
}

static enum mprox_connect_result
mprox_upstream_connect(struct socket *sock,
		       struct mprox_upstream *up,
		       struct mprox_waiter *w)
{
	const struct mprox_upstream_spec *s = &up->spec;
	struct sockaddr_storage ss = {};
	enum mprox_connect_result res;
	int len, err;

	if (s->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = s->addr.v6;
		sin6->sin6_port = htons(s->port);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = s->addr.v4;
		sin->sin_port = htons(s->port);
		len = sizeof(*sin);
	}
	if (mprox_upstream_loops(sock, s)) {
		pr_warn_ratelimited("upstream %s: the route to %s goes through an mprox device; add a rule for the fwmark (design.md, Loop safety)\n",
				    s->name, s->host);
		return MPROX_CONNECT_LOOP;
	}
	err = kernel_connect(sock, (struct sockaddr *)&ss, len, O_NONBLOCK);
	if (err && err != -EINPROGRESS)
		return err == -ENETUNREACH || err == -EHOSTUNREACH ?
		       MPROX_CONNECT_UPSTREAM_DOWN : MPROX_CONNECT_PROXY_ERROR;
	res = mprox_upstream_wait(w, sock->sk, mprox_sk_connected);
	if (res != MPROX_CONNECT_OK)
		return res;
	if (READ_ONCE(sock->sk->sk_state) != TCP_ESTABLISHED)
		return MPROX_CONNECT_UPSTREAM_DOWN;
	return MPROX_CONNECT_OK;
}

static enum mprox_connect_result
mprox_upstream_send(struct socket *sock,
		    const u8 *buf, int len)
{
	struct kvec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };

	/* A handshake message always fits in an empty send buffer. */
	if (kernel_sendmsg(sock, &msg, &iov, 1, len) != len)
		return MPROX_CONNECT_PROXY_ERROR;
	return MPROX_CONNECT_OK;
}

/*
 * Receive one reply into @buf: at least @min bytes, then one byte at a time
 * until @parse says it is complete, so that nothing after the reply (the
 * destination's first bytes) is consumed. Returns the result, and the
 * parser's value (the reply length or its negative errno) in *@ret.
 */
static enum mprox_connect_result
mprox_upstream_recv(struct socket *sock,
		    u8 *buf, size_t size,
		    size_t min,
		    int (*parse)(const u8 *buf, size_t len, void *arg),
		    void *arg, struct mprox_waiter *w,
		    int *ret)
{
	enum mprox_connect_result res;
	size_t have = 0;
	int n;

	for (;;) {
		size_t want = have < min ? min - have : 1;
		struct kvec iov = { .iov_base = buf + have, .iov_len = want };
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

		if (have + want > size)
			return MPROX_CONNECT_PROXY_ERROR;
		n = kernel_recvmsg(sock, &msg, &iov, 1, want, MSG_DONTWAIT);
		if (n == -EAGAIN) {
			res = mprox_upstream_wait(w, sock->sk, mprox_sk_readable);
			if (res != MPROX_CONNECT_OK)
				return res;
			continue;
		}
		if (n <= 0)	/* closed or reset mid-reply */
			return MPROX_CONNECT_PROXY_ERROR;
		have += n;
		if (have < min)
			continue;
		*ret = parse(buf, have, arg);
		if (*ret)
			return MPROX_CONNECT_OK;
	}
}

static int mprox_parse_method(const u8 *buf, size_t len, void *arg)
{
	return mprox_socks5_parse_method(buf, len, true, arg);
}

static int mprox_parse_method_noauth(const u8 *buf, size_t len, void *arg)
{
	return mprox_socks5_parse_method(buf, len, false, arg);
}

static int mprox_parse_auth(const u8 *buf, size_t len, void *arg)
{
	return mprox_socks5_parse_auth_reply(buf, len);
}

static int mprox_parse_connect(const u8 *buf, size_t len, void *arg)
{
	return mprox_socks5_parse_connect_reply(buf, len, arg);
}

static enum mprox_connect_result
mprox_upstream_auth_failed(struct mprox_upstream *up)
{
	atomic64_inc(&up->auth_failed);
	pr_info_ratelimited("upstream %s: the proxy refused our credentials\n",
			    up->spec.name);
	return MPROX_CONNECT_AUTH_FAILED;
}

/*
 * After a method or authentication reply: what the receive came to (@res)
 * and the parser said (@ret). The proxy turning us down is an auth failure.
 */
static enum mprox_connect_result
mprox_upstream_verdict(struct mprox_upstream *up, enum mprox_connect_result res,
		       int ret)
{
	if (res != MPROX_CONNECT_OK)
		return res;
	if (ret == -EACCES)
		return mprox_upstream_auth_failed(up);
	if (ret < 0)
		return MPROX_CONNECT_PROXY_ERROR;
	return MPROX_CONNECT_OK;
}

/* SOCKS5 up to the request: the method, and the password if it asks. */
static enum mprox_connect_result
mprox_upstream_socks5_auth(struct socket *sock,
			   struct mprox_upstream *up,
			   struct mprox_waiter *w)
{
	const struct mprox_upstream_spec *s = &up->spec;
	bool userpass = s->user[0] != '\0';
	enum mprox_connect_result res;
	u8 buf[MPROX_SOCKS5_AUTH_MAX];
	u8 method;
	int len, ret;

	len = mprox_socks5_greeting(buf, sizeof(buf), userpass);
	res = mprox_upstream_send(sock, buf, len);
	if (res != MPROX_CONNECT_OK)
		return res;
	res = mprox_upstream_recv(sock, buf, sizeof(buf),
				  MPROX_SOCKS5_METHOD_REPLY_LEN,
				  userpass ? mprox_parse_method :
					     mprox_parse_method_noauth,
				  &method, w, &ret);
	res = mprox_upstream_verdict(up, res, ret);
	if (res != MPROX_CONNECT_OK || method != MPROX_SOCKS5_METHOD_USERPASS)
		return res;

	len = mprox_socks5_auth_request(buf, sizeof(buf), s->user,
					strlen(s->user), s->password,
					strlen(s->password));
	if (len < 0)
		return mprox_upstream_auth_failed(up);
	res = mprox_upstream_send(sock, buf, len);
	memzero_explicit(buf, sizeof(buf));
	if (res != MPROX_CONNECT_OK)
		return res;
	res = mprox_upstream_recv(sock, buf, sizeof(buf),
				  MPROX_SOCKS5_AUTH_REPLY_LEN,
				  mprox_parse_auth, NULL, w, &ret);
	return mprox_upstream_verdict(up, res, ret);
}

/* The SOCKS5 CONNECT request and its reply. */
static enum mprox_connect_result
mprox_upstream_socks5_connect(struct socket *sock,
			      const struct mprox_dest *dest,
			      struct mprox_waiter *w)
{
	struct mprox_socks5_reply reply;
	enum mprox_connect_result res;
	u8 buf[MPROX_SOCKS5_REPLY_MAX];
	int len, ret;

	BUILD_BUG_ON(sizeof(buf) < MPROX_SOCKS5_REQUEST_MAX);
	len = mprox_socks5_connect_request(buf, sizeof(buf), dest);
	if (len < 0)
		return MPROX_CONNECT_PROXY_ERROR;
	res = mprox_upstream_send(sock, buf, len);
	if (res != MPROX_CONNECT_OK)
		return res;
	/* VER REP RSV ATYP and one more byte tell the reply's length. */
	res = mprox_upstream_recv(sock, buf, sizeof(buf), 5,
				  mprox_parse_connect, &reply, w, &ret);
	if (res != MPROX_CONNECT_OK)
		return res;
	if (ret < 0)
		return MPROX_CONNECT_PROXY_ERROR;
	return mprox_socks5_result(reply.rep);
}

enum mprox_connect_result
mprox_upstream_prepare(struct socket *sock,
		       struct mprox_upstream *up,
		       struct mprox_waiter *w)
{
	enum mprox_connect_result res;

	res = mprox_upstream_connect(sock, up, w);
	if (res != MPROX_CONNECT_OK)
		return res;
	switch (up->spec.proto) {
	case MPROX_PROTO_SOCKS5:
	case MPROX_PROTO_SOCKS5H:
		return mprox_upstream_socks5_auth(sock, up, w);
	default:
		/* Chosen only among upstreams the data path speaks. */
		return MPROX_CONNECT_PROXY_ERROR;
	}
}

enum mprox_connect_result
mprox_upstream_request(struct socket *sock,
		       struct mprox_upstream *up,
		       const struct mprox_dest *dest,
		       struct mprox_waiter *w)
{
	switch (up->spec.proto) {
	case MPROX_PROTO_SOCKS5:
	case MPROX_PROTO_SOCKS5H:
		return mprox_upstream_socks5_connect(sock, dest, w);
	default:
		return MPROX_CONNECT_PROXY_ERROR;
	}
}

enum mprox_connect_result
mprox_upstream_handshake(struct socket *sock,
			 struct mprox_upstream *up,
			 const struct mprox_dest *dest,
			 struct mprox_waiter *w)
{
	enum mprox_connect_result res;

	res = mprox_upstream_prepare(sock, up, w);
	if (res != MPROX_CONNECT_OK)
		return res;
	return mprox_upstream_request(sock, up, dest, w);
}
