/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Moving bytes between the two TCP sockets of a proxied connection: the
 * app's (accepted from the in-kernel listener) and the upstream's.
 *
 * A pass hands the source's received skbs to the sink without copying
 * their payload: tcp_read_sock() walks the receive queue and
 * skb_send_sock_locked() queues page references on the sink, as splice()
 * does through a pipe. Bytes are consumed from the source only as far as
 * the sink took them, so a slow reader on either side leaves data in the
 * source's receive queue: TCP's window then holds the sender back, and the
 * relay itself holds nothing.
 * An skb whose payload is less than half of its truesize (tiny segments,
 * each in a page fragment of its own) is copied instead: referenced, its
 * pages would stay pinned while the sink and the app are charged only
 * for the bytes.
 * Urgent data is the other exception: tcp_read_sock() stops at the urgent mark,
 * so while the source has some, a pass copies through a small buffer with
 * recvmsg(), which drops the out-of-band byte as the destination's own
 * recv() would have.
 * Half-close: the source's FIN becomes shutdown(SHUT_WR) of the sink once
 * everything before it has been passed on. A reset or error on either
 * socket ends the relay.
 */
#ifndef _MPROX_RELAY_H
#define _MPROX_RELAY_H

#include <linux/net.h>
#include <linux/types.h>

/*
 * The copy paths' buffer: on the stack for a wasteful skb, from the heap
 * for urgent data (kept while the sink has not taken it all).
 */
#define MPROX_RELAY_COPY_BUF	512

struct mprox_relay_dir {
	/*
	 * Bytes read from the source but not yet taken by the sink: the
	 * destination's first bytes (preload), or urgent data's copy. Freed
	 * once the sink has them all, so that an idle connection holds no
	 * buffer.
	 */
	u8 *copy_buf;
	u16 off;		/* sent so far of copy_buf[0..len) */
	u16 len;
	bool eof;		/* the source sent FIN */
	bool shut;		/* ... and the sink has been shut down */
	bool sink_failed;	/* RESET came from the sink, not the source */
};

enum mprox_relay_status {
	MPROX_RELAY_MORE,	/* call again when a socket has news */
	MPROX_RELAY_AGAIN,	/* budget used up: call again soon */
	MPROX_RELAY_DONE,	/* both directions closed cleanly */
	MPROX_RELAY_RESET,	/* a socket was reset or failed: abort both */
};

/* A zeroed mprox_relay_dir is ready to use; this frees what it gathered. */
void mprox_relay_dir_free(struct mprox_relay_dir *d);

/*
 * Bytes to send before anything from the source: the destination's first
 * bytes, which came with the proxy's reply. Once, on a fresh direction;
 * 1 to U16_MAX bytes. 0 or -ENOMEM.
 */
int mprox_relay_dir_preload(struct mprox_relay_dir *d, const u8 *buf,
			    size_t len);

/*
 * Move what can be moved from @src to @dst without blocking, at most
 * @budget bytes. Adds the bytes written to *@moved. Returns MORE, AGAIN, DONE
 * (this direction: FIN received and passed on) or RESET, with
 * @d->sink_failed telling which socket failed. Process context; takes both
 * sockets' locks.
 */
enum mprox_relay_status mprox_relay_pump(struct mprox_relay_dir *d,
					 struct socket *src,
					 struct socket *dst, size_t budget,
					 u64 *moved);

/*
 * The same, there and then, from @src's data_ready (in softirq, with @src's
 * spinlock held; a data_ready from @src's backlog, its owner's, finds it
 * owned and leaves it to the work) or with bottom halves off and @src's
 * spinlock taken as softirq would (conn.c, the attach), so that a request
 * or an answer does not wait for a worker to be scheduled. Only the plain
 * case, at most @budget bytes: nobody owns @dst (its spinlock is only
 * tried, so the two directions' softirqs never wait for each other), @dst
 * has nothing queued or in flight (mprox_relay_sink_ready()), nothing is
 * buffered in @d, no urgent data. Returns true when it left nothing for
 * mprox_relay_pump(): @src's queue empty, no FIN, no error, all sent
 * pushed. The caller serialises it with mprox_relay_pump() on @d, and does
 * not call it with PREEMPT_RT, whose softirqs run in threads that may be
 * preempted.
 */
bool mprox_relay_pump_inline(struct mprox_relay_dir *d, struct sock *src,
			     struct sock *dst, size_t budget, u64 *moved);

/* At module exit, once no connection is left. */
void mprox_relay_free_frags(void);

#endif /* _MPROX_RELAY_H */
