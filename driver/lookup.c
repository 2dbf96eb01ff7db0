// SPDX-License-Identifier: GPL-2.0
/*
 * Looking a name up for a direct connection; see lookup.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/random.h>
#include <linux/uio.h>
#include <net/dst.h>
#include <net/inet_sock.h>
#include <net/sock.h>

#include "config.h"
#include "datapath.h"
#include "lookup.h"
#include "ownsock.h"
#include "resolver.h"

/* The first resend after a second; each later one waits twice as long, up to 4 s. */
#define MPROX_LOOKUP_RESEND		HZ
#define MPROX_LOOKUP_RESEND_SHIFT_MAX	2
/* Datagrams one advance() reads before it yields: a flood cannot hold the work. */
#define MPROX_LOOKUP_READ_BUDGET	8

/*
 * Who asked, for the cache's expectation (dnscache.h): no app socket, so
 * no address, and the lookup socket's port.
 */
static const u8 mprox_lookup_asker[16];

/* Whether the route @sock was connected by leaves through an mprox device. */
static bool mprox_lookup_loops(struct socket *sock)
{
	struct dst_entry *dst = sk_dst_get(sock->sk);
	bool loops;

	if (!dst)
		return false;
	loops = dst->dev && mprox_netdev_is_mprox(dst->dev);
	dst_release(dst);
	return loops;
}

int mprox_lookup_socket(struct net *net, const struct mprox_probe_target *server,
			u32 mark, struct socket **sockp)
{
	struct sockaddr_storage ss = {};
	struct socket *sock;
	int len, err;

	*sockp = NULL;
	if (server->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, server->addr, 16);
		sin6->sin6_port = htons(server->port);
		len = sizeof(*sin6);
	} else if (server->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, server->addr, 4);
		sin->sin_port = htons(server->port);
		len = sizeof(*sin);
	} else {
		return -EDESTADDRREQ;
	}
	err = sock_create_kern(net, server->family, SOCK_DGRAM, IPPROTO_UDP, &sock);
	if (err)
		return err;
	sock_set_mark(sock->sk, mark);
	err = mprox_ownsock_add(sock->sk);
	if (err)
		goto err_release;
	/* A UDP connect only routes: it never waits. */
	err = kernel_connect(sock, (struct sockaddr *)&ss, len, 0);
	if (!err && mprox_lookup_loops(sock))
		err = -ELOOP;
	if (err)
		goto err_del;
	*sockp = sock;
	return 0;

err_del:
	mprox_ownsock_del(sock->sk);
err_release:
	sock_release(sock);
	return err;
}

void mprox_lookup_begin(struct mprox_lookup *l, const char *name, u8 len,
			u16 qtype, unsigned long deadline)
{
	memset(&l->q, 0, sizeof(l->q));
	/* The id and the socket's port are all an off-path forger must guess. */
	l->q.id = get_random_u32() & 0xffff;
	l->q.flags = MPROX_DNS_RD;
	l->q.qtype = qtype;
	l->q.qclass = MPROX_DNS_CLASS_IN;
	l->q.name_len = min_t(u8, len, MPROX_DNS_NAME_MAX);
	memcpy(l->q.name, name, l->q.name_len);
	l->deadline = deadline;
	l->resend = jiffies;
	l->sent = 0;
	l->more = false;
	l->result = MPROX_CONNECT_OK;
	l->cache = NULL;
	l->stored = false;
}

static enum mprox_lookup_status mprox_lookup_fail(struct mprox_lookup *l,
						  enum mprox_connect_result res)
{
	l->result = res;
	return MPROX_LOOKUP_FAILED;
}

enum mprox_lookup_status mprox_lookup_cached(struct mprox_lookup *l,
					     struct mprox_dns_cache *cache,
					     const struct mprox_probe_target *server,
					     u32 max)
{
	int len;

	if (!cache || !max || (server->family != AF_INET && server->family != AF_INET6))
		return MPROX_LOOKUP_PENDING;
	/*
	 * Where the question ends, in the query and so in any answer to it
	 * (a question's name has nothing before it to point to), is where
	 * fetch() finds the records whose TTLs it ages.
	 */
	len = mprox_dns_build_query(&l->q, l->buf, sizeof(l->buf));
	if (len < 0)
		return MPROX_LOOKUP_PENDING;
	l->q.end = len;
	mprox_dns_cache_key(&l->key, server->family, server->addr, htons(server->port), &l->q);
	l->key.direct = 1;
	l->cache = cache;
	l->cache_max = max;
	/* An answer longer than ours can be was the resolver's: asked again. */
	len = mprox_dns_cache_fetch(cache, &l->key, &l->q, l->buf, sizeof(l->buf));
	if (len <= 0)
		return MPROX_LOOKUP_PENDING;
	if (!(l->buf[3] & MPROX_DNS_RCODE_MASK) &&
	    mprox_dns_response_addr(l->buf, len, &l->q, l->addr) == 1)
		return MPROX_LOOKUP_FOUND;
	/* Only a negative answer is kept without an address (take()). */
	return mprox_lookup_fail(l, MPROX_CONNECT_HOST_UNREACH);
}

enum mprox_lookup_status mprox_lookup_start(struct mprox_lookup *l,
					    struct mprox_datapath *dp,
					    const char *name, u8 len, u16 family,
					    unsigned long deadline, u32 mark,
					    struct socket **sockp)
{
	struct mprox_probe_target server;
	const struct mprox_config *cfg;
	enum mprox_lookup_status status;
	u32 cache_max;
	int err;

	*sockp = NULL;
	rcu_read_lock();
	cfg = rcu_dereference(dp->config);
	server = cfg->dns.server;
	cache_max = cfg->tunables[MPROX_TUNE_DNS_CACHE_SIZE];
	rcu_read_unlock();
	atomic64_inc(&dp->dns[MPROX_DNS_STAT_LOOKUPS]);
	mprox_lookup_begin(l, name, len,
			   family == AF_INET6 ? MPROX_DNS_TYPE_AAAA : MPROX_DNS_TYPE_A,
			   deadline);
	status = mprox_lookup_cached(l, &dp->dns_cache, &server, cache_max);
	if (status != MPROX_LOOKUP_PENDING) {
		atomic64_inc(&dp->dns[MPROX_DNS_STAT_CACHE_HITS]);
		return status;
	}
	err = mprox_lookup_socket(dev_net(dp->dev), &server, mark, sockp);
	if (!err)
		return MPROX_LOOKUP_PENDING;
	if (err == -EDESTADDRREQ)
		pr_info_ratelimited("%s: %.*s, sent direct, needs a \"dns server\" to look the name up\n",
				    dp->dev->name, len, name);
	else if (err == -ELOOP)
		pr_warn_ratelimited("%s: the route to the dns server goes through an mprox device; add a rule for the fwmark (design.md, Loop safety)\n",
				    dp->dev->name);
	return mprox_lookup_fail(l, err == -ELOOP ? MPROX_CONNECT_LOOP :
				 MPROX_CONNECT_NET_UNREACH);
}

/* Keep the answer in l->buf (@len bytes, @ttl) in the cache, if any. */
static void mprox_lookup_store(struct mprox_lookup *l, struct socket *sock, size_t len,
			       u32 ttl)
{
	l->stored = l->cache &&
		    !mprox_dns_cache_store(l->cache, &l->key, l->q.id, mprox_lookup_asker,
					   inet_sk(sock->sk)->inet_sport, l->buf, len, ttl,
					   l->cache_max, GFP_KERNEL_ACCOUNT);
}

/*
 * What the response in l->buf (@len bytes) says: PENDING when it is not
 * the one to our query (another id or question, or broken: the real one
 * may still come), else the address or why there is none.
 */
static enum mprox_lookup_status mprox_lookup_take(struct mprox_lookup *l,
						  struct socket *sock, size_t len)
{
	u32 ttl = 0;	/* not set for TC (-EMSGSIZE) */
	int rcode = mprox_dns_parse_response(l->buf, len, &l->q, &ttl);

	if (rcode == -ENOMSG || rcode == -EBADMSG)
		return MPROX_LOOKUP_PENDING;
	if (!rcode && mprox_dns_response_addr(l->buf, len, &l->q, l->addr) == 1) {
		if (ttl)
			mprox_lookup_store(l, sock, len, ttl);
		return MPROX_LOOKUP_FOUND;
	}
	/*
	 * NXDOMAIN, and NODATA (no answer record at all), are kept for
	 * their SOA's time (RFC 2308; parse_response() gives 0 without
	 * one), as forwarded answers are: the next connection to the name
	 * fails without asking. Not a server's failure: it may pass.
	 */
	if ((rcode == MPROX_DNS_RCODE_NXDOMAIN ||
	     (!rcode && !(l->buf[6] | l->buf[7]))) && ttl)
		mprox_lookup_store(l, sock, len, ttl);
	/*
	 * TC: not even an A record fitted in 512 bytes. No such name is
	 * worth a TCP connection of its own; like NXDOMAIN, NODATA and a
	 * server's failure, the destination cannot be reached.
	 */
	return mprox_lookup_fail(l, MPROX_CONNECT_HOST_UNREACH);
}

/* Send the query (again). False when it cannot be written at all. */
static bool mprox_lookup_send(struct mprox_lookup *l, struct socket *sock)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec vec;
	int n = mprox_dns_build_query(&l->q, l->buf, sizeof(l->buf));

	/* The name was a pool's, checked on its way in: not expected. */
	if (n < 0)
		return false;
	/* Every send has the same id: one expectation will do. */
	if (l->cache && !l->sent)
		mprox_dns_cache_expect(l->cache, &l->key, l->q.id, mprox_lookup_asker,
				       inet_sk(sock->sk)->inet_sport);
	vec.iov_base = l->buf;
	vec.iov_len = n;
	/* A send that fails (no buffer, no route yet) is a lost datagram: resent. */
	kernel_sendmsg(sock, &msg, &vec, 1, n);
	l->resend = jiffies + (MPROX_LOOKUP_RESEND <<
			       min_t(unsigned int, l->sent, MPROX_LOOKUP_RESEND_SHIFT_MAX));
	l->sent++;
	return true;
}

enum mprox_lookup_status mprox_lookup_advance(struct mprox_lookup *l,
					      struct socket *sock)
{
	enum mprox_lookup_status status;
	struct msghdr msg;
	struct kvec vec;
	unsigned int i;
	int n;

	for (i = 0; i < MPROX_LOOKUP_READ_BUDGET; i++) {
		memset(&msg, 0, sizeof(msg));
		vec.iov_base = l->buf;
		vec.iov_len = sizeof(l->buf);
		n = kernel_recvmsg(sock, &msg, &vec, 1, sizeof(l->buf), MSG_DONTWAIT);
		if (n == -EAGAIN)
			break;
		/*
		 * The server's port is closed (ICMP port unreachable, which
		 * sockwatch wakes us for): over, as for a stub resolver.
		 */
		if (n == -ECONNREFUSED)
			return mprox_lookup_fail(l, MPROX_CONNECT_HOST_UNREACH);
		/* Another error, or more than a response without EDNS can be. */
		if (n < 0 || (msg.msg_flags & MSG_TRUNC))
			continue;
		status = mprox_lookup_take(l, sock, n);
		if (status != MPROX_LOOKUP_PENDING)
			return status;
	}
	/* The budget spent: the socket may hold more, and says so no more. */
	l->more = i == MPROX_LOOKUP_READ_BUDGET;
	if (time_after_eq(jiffies, l->deadline))
		return mprox_lookup_fail(l, MPROX_CONNECT_TIMEOUT);
	if (time_after_eq(jiffies, l->resend) && !mprox_lookup_send(l, sock))
		return mprox_lookup_fail(l, MPROX_CONNECT_GENERAL_FAILURE);
	return MPROX_LOOKUP_PENDING;
}

unsigned long mprox_lookup_next_deadline(const struct mprox_lookup *l)
{
	if (l->more)
		return jiffies;
	return time_before(l->resend, l->deadline) ? l->resend : l->deadline;
}
