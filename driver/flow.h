/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-device flow table of the data path (design.md, "Data path").
 *
 * A flow is one proxied connection. It is found by two keys, each a whole
 * struct mprox_flow_key (family, proto, source, destination):
 *
 *   app  A:a -> D:P   the app's tuple, as its packets leave through xmit
 *   nat  F:f -> L:l   the tuple the app's packets are rewritten to: F from
 *                     the table's NAT address pool, f a port the table
 *                     allocates, L:l the in-kernel listener of the family.
 *                     The kernel's replies L:l -> F:f are looked up with
 *                     mprox_flow_key_reverse() of what they carry; the
 *                     listener's accepted socket (peer F:f, local L:l)
 *                     gives the key directly.
 *
 * L:l is fixed per family for the life of the table, so a unique nat key
 * is a unique (F, f) per family and protocol: TCP and UDP have their own
 * port spaces, as in the kernel. Every flow gets a nat tuple, UDP ones too.
 *
 * Lifetime. A flow is linked into both tables or into neither: creation
 * and removal happen under the table's lock. Being linked holds one
 * reference; mprox_flow_create() and the lookups return one more, which
 * the caller drops with mprox_flow_put(). mprox_flow_kill() unlinks the
 * flow, marks it DEAD and drops the table's reference; the flow lives on
 * until the last put. Lookups take their reference with
 * refcount_inc_not_zero() under RCU, so a flow whose count reached zero is
 * never handed out; the packet path's finds take none and keep the flow
 * only inside their RCU read-side section. After the last put, an RCU grace period later, in
 * process context (a workqueue), the flow's release callback runs (it may
 * sleep: it owns @priv, the relay context) and the flow is freed. Until
 * then the memory stays valid for RCU readers.
 *
 * Contexts. Lookups, create, touch, kill, put and the per-flow helpers
 * may run in softirq (xmit) or process context, never in hard IRQ; none
 * sleeps. Table init, destroy and the GC run in process context.
 */
#ifndef _MPROX_FLOW_H
#define _MPROX_FLOW_H

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "packet.h"

/*
 * A hash key: hashed with jhash2 and compared with memcmp as a whole, so
 * it has no implicit padding and every unused byte (the last 12 of an
 * IPv4 address, pad) must be zero. Build keys with mprox_flow_key_set().
 */
struct mprox_flow_key {
	union mprox_addr saddr;		/* network byte order */
	union mprox_addr daddr;
	__be16 sport;
	__be16 dport;
	u16 family;			/* AF_INET or AF_INET6 */
	u8 proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	u8 pad;				/* zero */
};

/* Fill @k, zeroing every byte first. Addresses are of @family. */
void mprox_flow_key_set(struct mprox_flow_key *k, u16 family, u8 proto,
			const union mprox_addr *saddr, __be16 sport,
			const union mprox_addr *daddr, __be16 dport);
/* The key of the packet @p parsed into (MPROX_PKT_OK), as it travels. */
void mprox_flow_key_from_pkt(struct mprox_flow_key *k,
			     const struct mprox_pkt *p);
/* @dst = @src with source and destination swapped (@dst may be @src). */
void mprox_flow_key_reverse(struct mprox_flow_key *dst,
			    const struct mprox_flow_key *src);

enum mprox_flow_state {
	/* Created by the app's SYN, which is held. */
	MPROX_FLOW_SYN_HELD,
	/* The upstream connection and proxy handshake are under way. */
	MPROX_FLOW_CONNECTING,
	MPROX_FLOW_ESTABLISHED,
	/* One side closed or reset; relay draining. */
	MPROX_FLOW_CLOSING,
	/* Killed (unlinked) or about to be: the GC unlinks a linked one. */
	MPROX_FLOW_DEAD,
};

struct mprox_flow {
	struct rhash_head app_node;
	struct rhash_head nat_node;
	struct mprox_flow_key app;	/* A:a -> D:P */
	struct mprox_flow_key nat;	/* F:f -> L:l */
	refcount_t ref;
	/* enum mprox_flow_state: written under lock, read with READ_ONCE. */
	u8 state;
	/* Unlinked from the tables; under the table's lock. */
	bool unlinked;
	/*
	 * The app's socket is gone (it sent a RST|ACK, its tuple came back
	 * in a new SYN, or a RST from its side closed the listener's socket):
	 * a socket found by the tuple now is a new one, never to be aborted
	 * for this flow. Set once, read with READ_ONCE.
	 */
	bool app_gone;
	/*
	 * The app is a host the machine forwards for (its first packet came
	 * from no local socket): what goes back to it is routed on, not
	 * delivered here. Set by the creator right after the create, before
	 * the flow's first answer (WRITE_ONCE; read with READ_ONCE: a stray
	 * segment may look it up in between).
	 */
	bool app_forwarded;
	/* jiffies: of the last mprox_flow_touch(), and of creation. */
	unsigned long last_active;
	unsigned long created;
	/* Protects state writes, held_syn, syn_absorbed, held_rst. BH-safe. */
	spinlock_t lock;
	/* The held SYN: at most one; retransmits are dropped and counted. */
	struct sk_buff *held_syn;
	u32 syn_absorbed;
	/*
	 * The app's RST for the listener's socket, on its way to the stack
	 * through the connection's work: at most one, the newest.
	 */
	struct sk_buff *held_rst;
	/*
	 * Bytes app -> upstream and upstream -> app (the relay's): atomics
	 * of the flow's own, as the two directions relay on two CPUs.
	 */
	atomic64_t bytes_up;
	atomic64_t bytes_down;
	/* The caller's (relay context); handed to release on the last put. */
	void *priv;
	void (*release)(struct mprox_flow *f);
	void (*killed)(struct mprox_flow *f);
	/* RCU grace period, then the release work in process context. */
	struct rcu_work free_work;
};

/*
 * The NAT side of one family: F is @base, @base + 1, ... @nr_addrs
 * addresses (IPv4: the address as a number; IPv6: its last 32 bits);
 * @nr_addrs 0 refuses flows of the family (-EAFNOSUPPORT). L:l is
 * @listen_addr:@listen_port.
 */
struct mprox_flow_nat_pool {
	union mprox_addr base;
	u32 nr_addrs;
	union mprox_addr listen_addr;
	__be16 listen_port;
};

struct mprox_flow_table_params {
	struct mprox_flow_nat_pool v4;
	struct mprox_flow_nat_pool v6;
	/* The NAT ports f, host byte order, inclusive; 1 <= min <= max. */
	u16 port_min;
	u16 port_max;
	/* Idle timeouts in jiffies; see mprox_flow_table_set_timeouts(). */
	unsigned long tcp_idle;
	unsigned long udp_idle;
	/* Period of the GC work in jiffies; 0: none (call the GC yourself). */
	unsigned long gc_interval;
	/*
	 * Called once per flow as it is freed (see above), also for one
	 * whose create failed after a reader could see it (priv NULL); may
	 * be NULL. It may run after the table is destroyed: it must not
	 * reach the device without a reference of its own.
	 */
	void (*release)(struct mprox_flow *f);
	/*
	 * Called once per linked flow right after it is unlinked (by
	 * mprox_flow_kill(), the GC or mprox_flow_table_destroy()), from
	 * the context of the killer, with a reference held by the killer:
	 * softirq or process context, must not sleep. May be NULL.
	 */
	void (*killed)(struct mprox_flow *f);
};

struct mprox_flow_stats {
	u32 active;			/* linked flows */
	u64 created;
	u64 refused_limit;		/* creates refused by max_flows */
	u64 port_exhausted;		/* creates refused for want of (F, f) */
	u64 expired;			/* killed by the GC */
};

struct mprox_flow_table {
	struct rhashtable app;
	struct rhashtable nat;
	/* Serialises inserts and removals in both tables. BH-safe. */
	spinlock_t lock;
	/* Linked flows; changed under lock, read anywhere. */
	atomic_t count;
	/* Set under lock by destroy: creates fail with -ENODEV. */
	bool dying;
	struct mprox_flow_nat_pool pool[2];	/* [0] IPv4, [1] IPv6 */
	u16 port_min;
	u16 port_max;
	/* Next (F, f) to try per family, as address * ports + port; lock. */
	u64 nat_cursor[2];
	unsigned long tcp_idle;		/* READ_ONCE/WRITE_ONCE */
	unsigned long udp_idle;
	unsigned long gc_interval;
	void (*release)(struct mprox_flow *f);
	void (*killed)(struct mprox_flow *f);
	struct delayed_work gc_work;
	atomic64_t created;
	atomic64_t refused_limit;
	atomic64_t port_exhausted;
	atomic64_t expired;
};

/* Module init and exit: the flows' slab cache and release workqueue. */
int mprox_flow_init(void);
void mprox_flow_exit(void);
/*
 * Wait until every flow whose last reference is gone has been released
 * and freed. Sleeps.
 */
void mprox_flow_flush(void);

/* Process context (allocates with GFP_KERNEL). 0 or a negative errno. */
int mprox_flow_table_init(struct mprox_flow_table *t,
			  const struct mprox_flow_table_params *p);
/*
 * Process context. Stops the GC, kills every flow and frees the hash
 * tables; flows still referenced live on until their last put. No create
 * or lookup may run concurrently or later (the device is unregistered);
 * concurrent kills are fine, and later ones of this table's flows are
 * no-ops that do not touch @t.
 */
void mprox_flow_table_destroy(struct mprox_flow_table *t);
/* Any context but hard IRQ; takes effect at the next GC pass. */
void mprox_flow_table_set_timeouts(struct mprox_flow_table *t,
				   unsigned long tcp_idle,
				   unsigned long udp_idle);
void mprox_flow_table_stats(struct mprox_flow_table *t,
			    struct mprox_flow_stats *s);

/*
 * Lookups: the flow with that key, with a reference, or NULL. They take
 * rcu_read_lock() themselves. A flow being killed concurrently may still
 * be returned; mprox_flow_state() says DEAD once it is.
 */
struct mprox_flow *mprox_flow_lookup_app(struct mprox_flow_table *t,
					 const struct mprox_flow_key *k);
struct mprox_flow *mprox_flow_lookup_nat(struct mprox_flow_table *t,
					 const struct mprox_flow_key *k);
/*
 * The same without a reference, for the packet path: the caller holds
 * rcu_read_lock() and uses the flow only until it drops it. The memory is
 * valid that long (the free waits for a grace period); anything kept
 * longer needs mprox_flow_tryget(), which fails once the last reference
 * is gone.
 */
struct mprox_flow *mprox_flow_find_app(struct mprox_flow_table *t,
				       const struct mprox_flow_key *k);
struct mprox_flow *mprox_flow_find_nat(struct mprox_flow_table *t,
				       const struct mprox_flow_key *k);
bool mprox_flow_tryget(struct mprox_flow *f);
/*
 * @f's priv while it is linked, else NULL. For a flow found in the nat
 * table, whose reader may see it while a create fails: f->priv itself may
 * then be freed under the reader. A flow found in the app table was
 * linked whole; its priv lives as long as the caller's reference.
 */
void *mprox_flow_priv_linked(struct mprox_flow_table *t, struct mprox_flow *f);

/*
 * Create the flow of app tuple @app (state SYN_HELD) with @priv, allocate
 * its nat tuple and link it into both tables, if fewer than @max_flows flows are
 * linked (the caller reads the limit from its configuration). Returns the
 * flow with a reference for the caller, or an ERR_PTR:
 *   -EEXIST        a flow with this app tuple is linked: of concurrent
 *                  creates of one tuple exactly one succeeds; the others
 *                  look the winner up if they want it
 *   -ENOSPC        @max_flows reached (counted in refused_limit), or every
 *                  (F, f) of the family and protocol is taken (counted in
 *                  port_exhausted)
 *   -EADDRINUSE    no free (F, f) found in a bounded number of probes
 *                  (counted in port_exhausted)
 *   -EAFNOSUPPORT  no NAT pool for the family
 *   -EINVAL        not TCP or UDP
 *   -ENOMEM, -ENODEV (table being destroyed), or an rhashtable error
 * @gfp: GFP_ATOMIC from xmit.
 */
struct mprox_flow *mprox_flow_create(struct mprox_flow_table *t,
				     const struct mprox_flow_key *app,
				     u32 max_flows, void *priv, gfp_t gfp);

/* Drop a reference. Any context but hard IRQ. */
void mprox_flow_put(struct mprox_flow *f);
/*
 * Unlink @f from both tables, mark it DEAD and drop the table's
 * reference; the caller holds a reference of its own, which stays its
 * own. Idempotent; on a flow already unlinked (by a kill, the GC or
 * mprox_flow_table_destroy()) it returns without touching @t. True if
 * this call unlinked it.
 */
bool mprox_flow_kill(struct mprox_flow_table *t, struct mprox_flow *f);

/* Record activity now. Lockless; cheap enough for every packet. */
static inline void mprox_flow_touch(struct mprox_flow *f)
{
	unsigned long now = jiffies;

	if (READ_ONCE(f->last_active) != now)
		WRITE_ONCE(f->last_active, now);
}

static inline enum mprox_flow_state mprox_flow_state(const struct mprox_flow *f)
{
	return READ_ONCE(f->state);
}

/*
 * Move @f to @state; DEAD is final (later calls do nothing and return
 * false). A flow set DEAD while linked is unlinked by the next GC pass.
 */
bool mprox_flow_set_state(struct mprox_flow *f, enum mprox_flow_state state);

/*
 * Hold the app's SYN @skb, which this consumes either way: returns true
 * if it is now held, false if a SYN already was or the flow is past
 * CONNECTING (a retransmit: dropped and counted in syn_absorbed).
 */
bool mprox_flow_hold_syn(struct mprox_flow *f, struct sk_buff *skb);
/* Take the held SYN back (to re-inject it), or NULL. */
struct sk_buff *mprox_flow_take_syn(struct mprox_flow *f);

/*
 * Hold the app's RST @skb (consumed) for the connection to deliver; one
 * held before is dropped. Returns false, having consumed @skb, if the
 * flow is DEAD: nobody would take it any more.
 */
bool mprox_flow_hold_rst(struct mprox_flow *f, struct sk_buff *skb);
/* Take the held RST, or NULL. */
struct sk_buff *mprox_flow_take_rst(struct mprox_flow *f);

void mprox_flow_add_bytes(struct mprox_flow *f, u64 up, u64 down);

/*
 * Call @fn for every linked flow, under RCU (it must not sleep; the flow
 * is valid for the call), until it returns false. The walk reschedules
 * between flows when asked to. A flow moved by a concurrent resize, or
 * next to one unlinked while the walk rescheduled, may be seen twice or
 * not at all. Process context; no concurrent mprox_flow_table_destroy().
 */
void mprox_flow_table_walk(struct mprox_flow_table *t,
			   bool (*fn)(struct mprox_flow *f, void *arg),
			   void *arg);

/*
 * One GC pass as of @now (jiffies): kill every linked flow that is DEAD or
 * idle for longer than its protocol's timeout. Returns how many it
 * killed. Process context; the GC work calls it with jiffies, tests with
 * a made-up time.
 */
unsigned int mprox_flow_table_gc(struct mprox_flow_table *t,
				 unsigned long now);

#endif /* _MPROX_FLOW_H */
