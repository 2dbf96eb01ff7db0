// SPDX-License-Identifier: GPL-2.0
/*
 * The mproxN netdevice: an L3 point-to-point device like tun in IFF_TUN
 * mode or wireguard, created through /dev/mprox or "ip link add ... type
 * mprox". Its transmit path is the proxy: datapath.c.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/if_arp.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/rtnetlink.h>

#include "compat.h"
#include "device.h"

/* Big enough for 64 KiB GSO packets to pass whole, like loopback. */
#define MPROX_DEFAULT_MTU	65535

static void mprox_dev_free_state(struct net_device *dev)
{
	struct mprox_dev *md = netdev_priv(dev);

	/* Nothing can reach the configuration any more: no RCU delay. */
	mprox_config_free(rcu_dereference_protected(md->dp.config, true));
	RCU_INIT_POINTER(md->dp.config, NULL);
	free_percpu(dev->tstats);
	dev->tstats = NULL;
	mprox_datapath_release(&md->dp);
}

static void mprox_dev_copy_name(struct mprox_dev *md)
{
	ASSERT_RTNL();
	spin_lock_bh(&md->name_lock);
	memcpy(md->name, md->dev->name, IFNAMSIZ);
	md->name[IFNAMSIZ - 1] = '\0';
	spin_unlock_bh(&md->name_lock);
}

/*
 * Everything the device owns is allocated here, so that register_netdevice()
 * failing at any later point frees it through the destructor, and failing
 * here frees it right away. mprox_dev_free_state() may run more than once.
 */
static int mprox_dev_init(struct net_device *dev)
{
	struct mprox_dev *md = netdev_priv(dev);
	struct mprox_config *cfg;

	int err;

	/* ioctl or rtnetlink: the task creating the device. */
	err = mprox_datapath_prepare(&md->dp);
	/* register_netdevice() has resolved a "%d" in the name by now. */
	mprox_dev_copy_name(md);
	cfg = mprox_config_new_default(md->persist_at_create);
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	RCU_INIT_POINTER(md->dp.config, cfg);
	if (err || !cfg || !dev->tstats) {
		mprox_dev_free_state(dev);
		return -ENOMEM;
	}
	return 0;
}

void mprox_dev_watcher_init(struct mprox_dev_watcher *w)
{
	RCU_INIT_POINTER(w->md, NULL);
	INIT_LIST_HEAD(&w->node);
	init_waitqueue_head(&w->wq);
}

void mprox_device_watch(struct mprox_dev *md, struct mprox_dev_watcher *w)
{
	ASSERT_RTNL();
	spin_lock_bh(&md->watchers_lock);
	list_add_tail(&w->node, &md->watchers);
	spin_unlock_bh(&md->watchers_lock);
	rcu_assign_pointer(w->md, md);
}

void mprox_device_unwatch(struct mprox_dev *md, struct mprox_dev_watcher *w)
{
	ASSERT_RTNL();
	spin_lock_bh(&md->watchers_lock);
	list_del_init(&w->node);
	spin_unlock_bh(&md->watchers_lock);
	RCU_INIT_POINTER(w->md, NULL);
}

bool mprox_device_watched(struct mprox_dev *md)
{
	ASSERT_RTNL();
	return !list_empty(&md->watchers);
}

/* The device goes: every watcher is let go and told. */
static void mprox_device_unwatch_all(struct mprox_dev *md)
{
	struct mprox_dev_watcher *w, *tmp;

	ASSERT_RTNL();
	spin_lock_bh(&md->watchers_lock);
	list_for_each_entry_safe(w, tmp, &md->watchers, node) {
		list_del_init(&w->node);
		RCU_INIT_POINTER(w->md, NULL);
		wake_up_interruptible_poll(&w->wq, EPOLLERR | EPOLLHUP);
	}
	spin_unlock_bh(&md->watchers_lock);
}

/*
 * Something a reader of the status document would see has changed: bump
 * the generation, wake every watcher. Any context but hard IRQ.
 */
static void mprox_device_changed(struct mprox_dev *md)
{
	struct mprox_dev_watcher *w;

	/* Ordered after the change itself: see mprox_fop_read(). */
	atomic64_inc_return(&md->generation);
	spin_lock_bh(&md->watchers_lock);
	list_for_each_entry(w, &md->watchers, node)
		wake_up_interruptible_poll(&w->wq, EPOLLIN | EPOLLRDNORM);
	spin_unlock_bh(&md->watchers_lock);
}

static void mprox_device_dp_changed(struct mprox_datapath *dp)
{
	mprox_device_changed(container_of(dp, struct mprox_dev, dp));
}

static void mprox_dev_uninit(struct net_device *dev)
{
	struct mprox_dev *md = netdev_priv(dev);

	/* Files still bound to us get ENODEV from now on. */
	mprox_device_unwatch_all(md);
	mprox_device_changed(md);
	/*
	 * The connections of the last run inject into the device: they go
	 * before it is unregistered.
	 */
	mprox_datapath_wait_stopped(&md->dp);
}

static int mprox_open(struct net_device *dev)
{
	struct mprox_dev *md = netdev_priv(dev);

	return mprox_datapath_start(&md->dp);
}

static int mprox_stop(struct net_device *dev)
{
	struct mprox_dev *md = netdev_priv(dev);

	mprox_datapath_stop(&md->dp);
	return 0;
}

static netdev_tx_t mprox_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct mprox_dev *md = netdev_priv(dev);

	mprox_compat_sw_netstats_tx_add(dev, skb->len);
	return mprox_datapath_xmit(&md->dp, skb);
}

static void mprox_get_stats64(struct net_device *dev,
			      struct rtnl_link_stats64 *stats)
{
	struct mprox_dev *md = netdev_priv(dev);
	int i;

	dev_fetch_sw_netstats(stats, dev->tstats);
	/* What xmit did not deliver, for whatever reason (see the JSON). */
	for (i = 0; i < MPROX_DROP_COUNT; i++)
		stats->tx_dropped += mprox_datapath_drops(&md->dp, i);
}

static const struct net_device_ops mprox_netdev_ops = {
	.ndo_init		= mprox_dev_init,
	.ndo_uninit		= mprox_dev_uninit,
	.ndo_open		= mprox_open,
	.ndo_stop		= mprox_stop,
	.ndo_start_xmit		= mprox_xmit,
	.ndo_get_stats64	= mprox_get_stats64,
};

static void mprox_dev_destruct(struct net_device *dev)
{
	mprox_dev_free_state(dev);
}

static void mprox_setup(struct net_device *dev)
{
	/*
	 * A UDP GSO packet (UDP_SEGMENT, or forwarded UDP GRO) is many
	 * datagrams, but the association sends each skb as one: let the core
	 * segment those before xmit. GSO_FRAGLIST too, whose segments carry
	 * headers of their own that xmit does not see.
	 */
	const netdev_features_t features = NETIF_F_SG | NETIF_F_HW_CSUM |
		NETIF_F_RXCSUM | NETIF_F_FRAGLIST | NETIF_F_HIGHDMA |
		(NETIF_F_GSO_SOFTWARE &
		 ~(NETIF_F_GSO_UDP_L4 | NETIF_F_GSO_FRAGLIST));
	struct mprox_dev *md = netdev_priv(dev);

	dev->netdev_ops = &mprox_netdev_ops;
	dev->rtnl_link_ops = &mprox_link_ops;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = MPROX_DEFAULT_MTU;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	dev->features |= features;
	dev->hw_features |= features;
	dev->hw_enc_features |= features;
	mprox_compat_set_lltx(dev);
	/* Its fds, flows and sockets belong to one namespace: stay there. */
	mprox_compat_set_netns_local(dev);
	dev->needs_free_netdev = true;
	dev->priv_destructor = mprox_dev_destruct;

	md->dev = dev;
	mutex_init(&md->config_lock);
	INIT_LIST_HEAD(&md->watchers);
	spin_lock_init(&md->watchers_lock);
	spin_lock_init(&md->name_lock);
	atomic64_set(&md->generation, 0);
	mprox_datapath_setup(&md->dp, dev, mprox_device_dp_changed);
}

static int mprox_register(struct net_device *dev, bool persist)
{
	struct mprox_dev *md = netdev_priv(dev);
	int err;

	md->persist_at_create = persist;
	err = register_netdevice(dev);
	if (err)
		mprox_compat_register_failed(dev, mprox_dev_free_state);
	return err;
}

/* "ip link add NAME type mprox": no fd holds it, so it starts persistent. */
static int mprox_newlink(struct net *src_net, struct net_device *dev,
			 struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	return mprox_register(dev, true);
}

struct rtnl_link_ops mprox_link_ops __read_mostly = {
	.kind		= MPROX_DRIVER_NAME,
	.priv_size	= sizeof(struct mprox_dev),
	.setup		= mprox_setup,
	.newlink	= mprox_newlink,
};

struct mprox_dev *mprox_device_create(struct net *net, const char *name,
				      bool persist)
{
	struct net_device *dev;
	int err;

	ASSERT_RTNL();
	dev = alloc_netdev(sizeof(struct mprox_dev), name,
			   strchr(name, '%') ? NET_NAME_ENUM : NET_NAME_USER,
			   mprox_setup);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	dev_net_set(dev, net);
	err = mprox_register(dev, persist);
	if (err) {
		free_netdev(dev);
		return ERR_PTR(err);
	}
	return netdev_priv(dev);
}

int mprox_device_apply(struct mprox_dev *md, const char *buf, size_t len)
{
	struct mprox_config *old, *draft;
	int err;

	mutex_lock(&md->config_lock);
	old = rcu_dereference_protected(md->dp.config,
					lockdep_is_held(&md->config_lock));
	draft = mprox_config_clone(old);
	if (!draft) {
		err = -ENOMEM;
		goto out_unlock;
	}
	err = mprox_config_apply_text(draft, buf, len);
	if (err) {
		mprox_config_free(draft);
		goto out_unlock;
	}
	rcu_assign_pointer(md->dp.config, draft);
	mprox_config_free_rcu(old);
	mprox_device_changed(md);
out_unlock:
	mutex_unlock(&md->config_lock);
	if (!err) {
		/* The data path starts and stops under RTNL. */
		rtnl_lock();
		mprox_datapath_reconfigure(&md->dp);
		rtnl_unlock();
	}
	return err;
}

void mprox_device_name(struct mprox_dev *md, char name[IFNAMSIZ])
{
	/*
	 * Not dev->name: renames write it under RTNL only, and
	 * netdev_get_name() is not exported.
	 */
	spin_lock_bh(&md->name_lock);
	memcpy(name, md->name, IFNAMSIZ);
	spin_unlock_bh(&md->name_lock);
}

struct mprox_dev *mprox_device_find(struct net *net, const char *name)
{
	struct net_device *dev;

	ASSERT_RTNL();
	dev = __dev_get_by_name(net, name);
	if (!dev || dev->rtnl_link_ops != &mprox_link_ops)
		return NULL;
	return netdev_priv(dev);
}

/*
 * Link state, name and MTU are in the status document: tell pollers when
 * they change. Notifiers run after the change is visible, which ndo_open
 * and ndo_stop do not (IFF_UP is set after ndo_open returns).
 */
static int mprox_netdev_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (dev->netdev_ops != &mprox_netdev_ops)
		return NOTIFY_DONE;
	switch (event) {
	case NETDEV_CHANGENAME:
		/* Renames notify with RTNL held, the new name in place. */
		mprox_dev_copy_name(netdev_priv(dev));
		fallthrough;
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGEMTU:
		mprox_device_changed(netdev_priv(dev));
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block mprox_netdev_notifier = {
	.notifier_call = mprox_netdev_event,
};

int mprox_device_init(void)
{
	int err;

	err = register_netdevice_notifier(&mprox_netdev_notifier);
	if (err)
		return err;
	err = rtnl_link_register(&mprox_link_ops);
	if (err)
		unregister_netdevice_notifier(&mprox_netdev_notifier);
	return err;
}

void mprox_device_exit(void)
{
	/* Deletes every mprox device left, in every namespace. */
	rtnl_link_unregister(&mprox_link_ops);
	unregister_netdevice_notifier(&mprox_netdev_notifier);
}

MODULE_ALIAS_RTNL_LINK(MPROX_DRIVER_NAME);
