// SPDX-License-Identifier: GPL-2.0
/*
 * The app's datagram as one of a UDP socket of the driver's own, from
 * xmit; see encap.h.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/udp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/sock.h>
#include <net/udp.h>

#include "encap.h"
#include "packet.h"

/* The largest UDP length; the IPv4 header must fit beside it in 64 KiB. */
static unsigned int mprox_encap_udp_max(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 ? 65535 : 65535 - sizeof(struct iphdr);
}

/*
 * Where one datagram goes: its route (the caller's reference) and the
 * addresses and ports of its IP and UDP headers.
 */
struct mprox_encap_path {
	struct dst_entry *dst;
	union mprox_addr saddr;
	union mprox_addr daddr;
	__be16 sport;
	__be16 dport;
};

static int mprox_encap_out4(struct sock *sk, struct sk_buff *skb,
			    const struct mprox_encap_path *path)
{
	struct inet_sock *inet = inet_sk(sk);
	struct dst_entry *dst = path->dst;
	int ttl = READ_ONCE(inet->uc_ttl);
	struct iphdr *iph;

	udp_set_csum(sk->sk_no_check_tx, skb, path->saddr.v4.s_addr,
		     path->daddr.v4.s_addr, skb->len);
	skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph = ip_hdr(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) >> 2;
	iph->tos = READ_ONCE(inet->tos);
	iph->ttl = ttl < 0 ? ip4_dst_hoplimit(dst) : ttl;
	iph->protocol = IPPROTO_UDP;
	iph->saddr = path->saddr.v4.s_addr;
	iph->daddr = path->daddr.v4.s_addr;
	/*
	 * As udp_sendmsg() would: DF while the datagram fits the path, so
	 * that the socket learns the path's MTU; fragments when it does not.
	 */
	if (ip_dont_fragment(sk, dst) && skb->len <= dst_mtu(dst)) {
		iph->frag_off = htons(IP_DF);
	} else {
		iph->frag_off = 0;
		skb->ignore_df = 1;
	}
	ip_select_ident(sock_net(sk), skb, sk);
	memset(IPCB(skb), 0, sizeof(*IPCB(skb)));
	/* Length, header checksum and protocol: __ip_local_out(). */
	return ip_local_out(sock_net(sk), sk, skb);
}

static int mprox_encap_out6(struct sock *sk, struct sk_buff *skb,
			    const struct mprox_encap_path *path)
{
	struct ipv6_pinfo *np = inet6_sk(sk);
	int hop = np->hop_limit;
	struct ipv6hdr *ip6h;

	udp6_set_csum(udp_get_no_check6_tx(sk), skb, &path->saddr.v6,
		      &path->daddr.v6, skb->len);
	skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6h = ipv6_hdr(skb);
	ip6_flow_hdr(ip6h, np->tclass, 0);
	ip6h->nexthdr = IPPROTO_UDP;
	ip6h->hop_limit = hop < 0 ? ip6_dst_hoplimit(path->dst) : hop;
	ip6h->saddr = path->saddr.v6;
	ip6h->daddr = path->daddr.v6;
	memset(IP6CB(skb), 0, sizeof(*IP6CB(skb)));
	/* A datagram bigger than the path leaves in fragments, as udpv6's. */
	skb->ignore_df = 1;
	/* Payload length and protocol: __ip6_local_out(). */
	return ip6_local_out(sock_net(sk), sk, skb);
}

/*
 * @skb (its first @strip bytes off, @hlen bytes of @hdr on) out along
 * @path, whose route it takes over. Checks and drops as mprox_encap_xmit()
 * says.
 */
static int mprox_encap_send(struct sock *sk, struct sk_buff *skb,
			    unsigned int strip, const u8 *hdr,
			    unsigned int hlen,
			    const struct mprox_encap_path *path)
{
	struct dst_entry *dst = path->dst;
	unsigned int len, room;
	struct udphdr *uh;
	int err;

	len = skb->len - strip + hlen + sizeof(*uh);
	if (len > mprox_encap_udp_max(sk)) {
		err = -EMSGSIZE;
		goto drop;
	}
	if (refcount_read(&sk->sk_wmem_alloc) > READ_ONCE(sk->sk_sndbuf)) {
		err = -ENOBUFS;
		goto drop;
	}
	room = LL_RESERVED_SPACE(dst->dev) + dst->header_len + hlen +
	       sizeof(*uh) + (sk->sk_family == AF_INET6 ?
			      sizeof(struct ipv6hdr) : sizeof(struct iphdr));
	/*
	 * The app's checksum state is about the UDP header that goes: the
	 * new one's is set up below, over everything after it.
	 */
	skb->ip_summed = CHECKSUM_NONE;
	__skb_pull(skb, strip);
	err = skb_cow_head(skb, room);
	if (err)
		goto drop;
	if (hlen)
		memcpy(skb_push(skb, hlen), hdr, hlen);
	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = path->sport;
	uh->dest = path->dport;
	uh->len = htons(len);
	uh->check = 0;

	/* Nothing of the app's path stays: its route, conntrack, owner. */
	skb_scrub_packet(skb, true);
	skb_orphan(skb);
	skb_set_owner_w(skb, sk);
	skb->mark = READ_ONCE(sk->sk_mark);
	skb->priority = READ_ONCE(sk->sk_priority);
	skb->encapsulation = 0;
	skb_dst_set(skb, dst);

	if (sk->sk_family == AF_INET6)
		err = mprox_encap_out6(sk, skb, path);
	else
		err = mprox_encap_out4(sk, skb, path);
	return net_xmit_eval(err) ? -ENOBUFS : 0;

drop:
	dst_release(dst);
	kfree_skb(skb);
	return err;
}

int mprox_encap_xmit(struct sock *sk, struct sk_buff *skb, unsigned int strip,
		     const u8 *hdr, unsigned int hlen)
{
	struct mprox_encap_path path = {
		.sport = inet_sk(sk)->inet_sport,
		.dport = inet_sk(sk)->inet_dport,
	};
	u32 cookie = 0;

	if (skb_is_gso(skb) || skb->len < strip)
		return -EAGAIN;
	if (sk->sk_family == AF_INET6) {
		cookie = inet6_sk(sk)->dst_cookie;
		path.saddr.v6 = sk->sk_v6_rcv_saddr;
		path.daddr.v6 = sk->sk_v6_daddr;
	} else {
		path.saddr.v4.s_addr = inet_sk(sk)->inet_saddr;
		path.daddr.v4.s_addr = inet_sk(sk)->inet_daddr;
	}
	path.dst = sk_dst_check(sk, cookie);
	if (!path.dst)
		return -EAGAIN;
	return mprox_encap_send(sk, skb, strip, hdr, hlen, &path);
}

/* The route from unconnected @sk to @path's destination, as udp_sendmsg()'s. */
static int mprox_encap_route4(struct sock *sk, struct mprox_encap_path *path)
{
	struct inet_sock *inet = inet_sk(sk);
	struct flowi4 fl4;
	struct rtable *rt;

	flowi4_init_output(&fl4, sk->sk_bound_dev_if, READ_ONCE(sk->sk_mark),
			   READ_ONCE(inet->tos) & IPTOS_TOS_MASK,
			   RT_SCOPE_UNIVERSE, IPPROTO_UDP,
			   inet_sk_flowi_flags(sk), path->daddr.v4.s_addr,
			   inet->inet_saddr, path->dport, path->sport,
			   sock_net_uid(sock_net(sk), sk));
	rt = ip_route_output_flow(sock_net(sk), &fl4, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	/* As the socket would say: it has no SO_BROADCAST. */
	if (rt->rt_flags & RTCF_BROADCAST) {
		ip_rt_put(rt);
		return -EACCES;
	}
	path->dst = &rt->dst;
	path->saddr.v4.s_addr = fl4.saddr;
	return 0;
}

static int mprox_encap_route6(struct sock *sk, struct mprox_encap_path *path)
{
	struct flowi6 fl6 = {
		.flowi6_oif = sk->sk_bound_dev_if,
		.flowi6_mark = READ_ONCE(sk->sk_mark),
		.flowi6_proto = IPPROTO_UDP,
		.flowi6_uid = sock_net_uid(sock_net(sk), sk),
		.daddr = path->daddr.v6,
		.saddr = sk->sk_v6_rcv_saddr,
		.fl6_dport = path->dport,
		.fl6_sport = path->sport,
	};
	struct dst_entry *dst;

	dst = ip6_dst_lookup_flow(sock_net(sk), sk, &fl6, NULL);
	if (IS_ERR(dst))
		return PTR_ERR(dst);
	path->dst = dst;
	path->saddr.v6 = fl6.saddr;
	return 0;
}

int mprox_encap_xmit_to(struct sock *sk, struct sk_buff *skb,
			unsigned int strip, const union mprox_addr *daddr,
			__be16 dport)
{
	struct mprox_encap_path path = {
		.daddr = *daddr,
		.sport = inet_sk(sk)->inet_sport,
		.dport = dport,
	};
	int err;

	/* Unbound, the socket's first send through the stack binds it. */
	if (skb_is_gso(skb) || skb->len < strip || !path.sport)
		return -EAGAIN;
	if (sk->sk_family == AF_INET6)
		err = mprox_encap_route6(sk, &path);
	else
		err = mprox_encap_route4(sk, &path);
	if (err) {
		kfree_skb(skb);
		return err;
	}
	return mprox_encap_send(sk, skb, strip, NULL, 0, &path);
}
