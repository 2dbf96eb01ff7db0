// SPDX-License-Identifier: GPL-2.0
/*
 * The registry of the driver's own sockets; see ownsock.h.
 */

#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "ownsock.h"

struct mprox_ownsock {
	struct rhash_head node;
	const struct sock *sk;
	struct rcu_head rcu;
};

static const struct rhashtable_params mprox_ownsock_params = {
	.head_offset = offsetof(struct mprox_ownsock, node),
	.key_offset = offsetof(struct mprox_ownsock, sk),
	.key_len = sizeof(const struct sock *),
	.automatic_shrinking = true,
};

static struct rhashtable mprox_ownsocks;

int mprox_ownsock_add(struct sock *sk)
{
	struct mprox_ownsock *o;
	int err;

	/* Charged like the socket itself, to whoever made the device. */
	o = kzalloc(sizeof(*o), GFP_KERNEL_ACCOUNT);
	if (!o)
		return -ENOMEM;
	o->sk = sk;
	err = rhashtable_lookup_insert_fast(&mprox_ownsocks, &o->node,
					    mprox_ownsock_params);
	if (err)
		kfree(o);
	return err;
}

void mprox_ownsock_del(struct sock *sk)
{
	const struct sock *key = sk;
	struct mprox_ownsock *o;

	rcu_read_lock();
	o = rhashtable_lookup(&mprox_ownsocks, &key, mprox_ownsock_params);
	if (o && !rhashtable_remove_fast(&mprox_ownsocks, &o->node,
					 mprox_ownsock_params))
		kfree_rcu(o, rcu);
	rcu_read_unlock();
}

bool __mprox_ownsock_is_ours(const struct sock *sk)
{
	bool ours;

	rcu_read_lock();
	ours = rhashtable_lookup(&mprox_ownsocks, &sk, mprox_ownsock_params);
	rcu_read_unlock();
	return ours;
}

int mprox_ownsock_init(void)
{
	return rhashtable_init(&mprox_ownsocks, &mprox_ownsock_params);
}

void mprox_ownsock_exit(void)
{
	/* Every socket was released with its connection or spare. */
	WARN_ON_ONCE(atomic_read(&mprox_ownsocks.nelems));
	rhashtable_destroy(&mprox_ownsocks);
}
