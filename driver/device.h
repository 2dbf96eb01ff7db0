/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mprox netdevice and what binds file descriptors to it.
 */
#ifndef _MPROX_DEVICE_H
#define _MPROX_DEVICE_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/wait.h>

#include "config.h"
#include "datapath.h"

struct mprox_dev;

/*
 * One who watches a device (a /dev/mprox fd bound to it, control.c):
 * woken with EPOLLIN on every visible change, and when the device goes,
 * unlinked, @md cleared and woken with EPOLLERR | EPOLLHUP. The device
 * reports up through this, never by calling its watchers' code.
 */
struct mprox_dev_watcher {
	struct mprox_dev __rcu *md;	/* NULL: not watching, or device gone */
	struct list_head node;		/* in md->watchers */
	wait_queue_head_t wq;
};

struct mprox_dev {
	struct net_device *dev;
	/* Serialises writers of dp.config; readers use RCU. */
	struct mutex config_lock;
	/*
	 * Its watchers. Changed with RTNL and watchers_lock held, walked with
	 * either (watchers_lock: to wake pollers from any context).
	 */
	struct list_head watchers;
	spinlock_t watchers_lock;	/* protects watchers, see above */
	/*
	 * Bumped on every visible change (configuration, link state, name,
	 * MTU, deletion) after the change is visible; poll() compares it with
	 * what a file last read. Fully ordered increment, acquire reads.
	 */
	atomic64_t generation;
	/*
	 * A copy of dev->name for readers without RTNL (the status document,
	 * fdinfo): set by ndo_init and on NETDEV_CHANGENAME, before the
	 * generation goes up.
	 */
	spinlock_t name_lock;		/* protects name */
	char name[IFNAMSIZ];
	/* Initial "persist" for ndo_init, which builds the configuration. */
	bool persist_at_create;
	struct mprox_datapath dp;
};

extern struct rtnl_link_ops mprox_link_ops;

int mprox_device_init(void);
void mprox_device_exit(void);

/* RTNL held. Creates and registers a device in @net, named from @name. */
struct mprox_dev *mprox_device_create(struct net *net, const char *name,
				      bool persist);
/*
 * The device's name, never torn by a rename: the new one once the rename
 * has notified (NETDEV_CHANGENAME). No RTNL; any context but hard IRQ.
 */
void mprox_device_name(struct mprox_dev *md, char name[IFNAMSIZ]);

/* RTNL held. The mprox device called @name in @net, or NULL. */
struct mprox_dev *mprox_device_find(struct net *net, const char *name);

static inline bool mprox_device_persistent(struct mprox_dev *md)
{
	bool persist;

	rcu_read_lock();
	persist = rcu_dereference(md->dp.config)->persist;
	rcu_read_unlock();
	return persist;
}

void mprox_dev_watcher_init(struct mprox_dev_watcher *w);
/* RTNL held. @w watches @md from now on; w->md is published last. */
void mprox_device_watch(struct mprox_dev *md, struct mprox_dev_watcher *w);
/* RTNL held. @w, which watches @md, stops. */
void mprox_device_unwatch(struct mprox_dev *md, struct mprox_dev_watcher *w);
/* RTNL held. Whether anyone watches @md. */
bool mprox_device_watched(struct mprox_dev *md);

/*
 * Apply a whole write() of directives: all or nothing (see config.h).
 * Sleeps.
 */
int mprox_device_apply(struct mprox_dev *md, const char *buf, size_t len);

#endif /* _MPROX_DEVICE_H */
