// SPDX-License-Identifier: GPL-2.0
/*
 * Local delivery of rewritten packets; see inject.h.
 */

#include <linux/bottom_half.h>
#include <linux/if_ether.h>
#include <net/addrconf.h>
#include <net/dst.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "compat.h"
#include "inject.h"

/*
 * The routes hang off the namespace's loopback device, like the kernel's
 * own local routes: a socket may cache one as its rx_dst for as long as it
 * lives, and lo outlives every socket of its namespace, where our device
 * does not.
 */
int mprox_inject_init(struct mprox_inject *inj, struct net_device *dev)
{
	struct net *net = dev_net(dev);
	struct inet6_dev *idev;
	struct rt6_info *rt6;
	struct rtable *rt;

	inj->dev = dev;
	rt = mprox_compat_rt_dst_alloc(net->loopback_dev, RTCF_LOCAL,
				       RTN_LOCAL);
	if (!rt)
		return -ENOMEM;
	/* rt_dst_alloc() set dst.input to ip_local_deliver for RTCF_LOCAL. */
	inj->dst4 = &rt->dst;

	/*
	 * IPv6 takes the input interface of a packet with a route from the
	 * route's inet6_dev (IP6CB()->iif), so that one must be the
	 * device's; without IPv6 on the device there is no IPv6 here.
	 */
	idev = in6_dev_get(dev);
	if (!idev)
		return 0;
	rt6 = ip6_dst_alloc(net, net->loopback_dev, 0);
	if (!rt6) {
		in6_dev_put(idev);
		mprox_inject_destroy(inj);
		return -ENOMEM;
	}
	/* TCP's SYN handling checks RTF_LOCAL: "to one of our addresses". */
	rt6->rt6i_flags = RTF_LOCAL | RTF_UP;
	rt6->rt6i_idev = idev;
	/* Input only: the output stays dst_alloc()'s discard. */
	rt6->dst.input = ip6_input;
	inj->dst6 = &rt6->dst;
	return 0;
}

/*
 * Sockets keep the route of the last packet they received (sk_rx_dst):
 * kill ours, as the kernel kills the routes of a device going away, so
 * that they drop it at their next packet and nothing keeps the device's
 * inet6_dev alive.
 */
static void mprox_inject_dst_put(struct dst_entry **dstp)
{
	if (!*dstp)
		return;
	dst_dev_put(*dstp);
	dst_release(*dstp);
	*dstp = NULL;
}

void mprox_inject_destroy(struct mprox_inject *inj)
{
	mprox_inject_dst_put(&inj->dst4);
	mprox_inject_dst_put(&inj->dst6);
}

/*
 * Make @skb a packet received on the device, with the kernel's own scrub
 * of a packet crossing from one device to another (__dev_forward_skb()):
 * nothing of its way out (owner, conntrack, tc redirect, IPVS, trace,
 * extensions, mark, priority) is seen on its way in. Returns its route.
 */
static struct dst_entry *mprox_inject_prepare(struct mprox_inject *inj,
					      struct sk_buff *skb)
{
	bool v6 = (skb->data[0] >> 4) == 6;
	struct dst_entry *dst = v6 ? inj->dst6 : inj->dst4;
	struct net_device *dev = inj->dev;

	if (unlikely(!dst))
		return NULL;
	skb_orphan(skb);
	skb_scrub_packet(skb, true);
	skb_reset_redirect(skb);
	skb->priority = 0;
	skb->dev = dev;
	skb->skb_iif = dev->ifindex;
	skb->protocol = v6 ? htons(ETH_P_IPV6) : htons(ETH_P_IP);
	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	skb_dst_set(skb, dst_clone(dst));
	return dst;
}

bool mprox_inject_rx(struct mprox_inject *inj, struct sk_buff *skb)
{
	struct net_device *dev = inj->dev;
	unsigned int len = skb->len;
	bool delivered;

	if (unlikely(!mprox_inject_prepare(inj, skb))) {
		kfree_skb(skb);
		return false;
	}
	/*
	 * Always through the backlog: inside xmit, receiving at once would
	 * run the stack under the transmit path (and its locks). It refuses
	 * a device that is going down.
	 */
	local_bh_disable();
	delivered = netif_rx(skb) == NET_RX_SUCCESS;
	if (likely(delivered))
		dev_sw_netstats_rx_add(dev, len);
	local_bh_enable();
	return delivered;
}

bool mprox_inject_rx_task(struct mprox_inject *inj, struct sk_buff *skb)
{
	struct net_device *dev = inj->dev;
	unsigned int len = skb->len;
	bool delivered;

	might_sleep();
	if (likely(netif_running(dev)))
		return mprox_inject_rx(inj, skb);
	/*
	 * The device is going down and its backlog refuses packets; the
	 * answers that fail an app's connect at once still go, straight
	 * into the stack: this is a connection's work, not xmit.
	 */
	if (unlikely(!mprox_inject_prepare(inj, skb))) {
		kfree_skb(skb);
		return false;
	}
	local_bh_disable();
	delivered = netif_receive_skb(skb) == NET_RX_SUCCESS;
	if (likely(delivered))
		dev_sw_netstats_rx_add(dev, len);
	local_bh_enable();
	return delivered;
}
