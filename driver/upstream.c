// SPDX-License-Identifier: GPL-2.0
/*
 * The sockets of the connections to upstream proxies; see upstream.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/tcp.h>
#include <net/sock.h>
#include <net/tcp.h>

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

static unsigned int mprox_upstream_alen(u16 family)
{
	return family == AF_INET6 ? 16 : 4;
}

void mprox_upstream_set_dns_refused(struct mprox_upstream *up, u16 family,
				    const void *addr, __be16 port)
{
	struct mprox_probe_target *r = &up->dns_refused_to;

	spin_lock_bh(&up->dns_refused_lock);
	memset(r, 0, sizeof(*r));
	r->family = family;
	memcpy(r->addr, addr, mprox_upstream_alen(family));
	r->port = ntohs(port);
	up->dns_refused = jiffies | 1;
	spin_unlock_bh(&up->dns_refused_lock);
}

bool mprox_upstream_dns_refused(struct mprox_upstream *up, u16 family,
				const void *addr, __be16 port)
{
	const struct mprox_probe_target *r = &up->dns_refused_to;
	bool refused;

	spin_lock_bh(&up->dns_refused_lock);
	refused = up->dns_refused &&
		  time_before(jiffies, up->dns_refused + MPROX_UPSTREAM_DNS_REFUSED_KEEP) &&
		  r->family == family && r->port == ntohs(port) &&
		  !memcmp(r->addr, addr, mprox_upstream_alen(family));
	spin_unlock_bh(&up->dns_refused_lock);
	return refused;
}
