// SPDX-License-Identifier: GPL-2.0
/*
 * The relay between the two sockets of a connection; see relay.h.
 */

#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "relay.h"

void mprox_relay_dir_free(struct mprox_relay_dir *d)
{
	kfree(d->copy_buf);
	d->copy_buf = NULL;
	d->off = 0;
	d->len = 0;
}

/* What one splice pass hands its actor. */
struct mprox_relay_pass {
	struct sock *dst;
	int error;
	/*
	 * A pass in softirq (mprox_relay_pump_inline()) corks the sink by
	 * hand, since tcp_sock_set_cork() would lock it: @src, to find the
	 * last byte of its queue, which goes out on its own once the cork
	 * is off, so that its push sends everything; @corked until then.
	 */
	struct sock *src;
	bool softirq;
	bool corked;
};

/*
 * Is less than half of what @skb holds on to its payload? Its pages handed
 * to the sink would stay pinned for as long as the sink, and then the
 * receiving app, keep its bytes, while both are charged only for the
 * bytes: a peer sending 1-byte segments would pin a page fragment a byte.
 */
static bool mprox_relay_wasteful(const struct sk_buff *skb)
{
	return skb->len < skb->truesize / 2;
}

int mprox_relay_dir_preload(struct mprox_relay_dir *d, const u8 *buf,
			    size_t len)
{
	if (WARN_ON_ONCE(d->copy_buf || !len || len > U16_MAX))
		return -EINVAL;
	d->copy_buf = kmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!d->copy_buf)
		return -ENOMEM;
	memcpy(d->copy_buf, buf, len);
	d->off = 0;
	d->len = len;
	return 0;
}

/*
 * Copy [@offset, @offset + @len) of @skb to @dst (locked) through a small
 * buffer on the stack: nothing stays allocated for a connection that once
 * had a tiny segment, and most idle connections had. Returns what @dst
 * took, or -errno when it took nothing.
 */
static int mprox_relay_copy_skb(struct sock *dst, const struct sk_buff *skb,
				unsigned int offset, size_t len)
{
	u8 buf[MPROX_RELAY_COPY_BUF];
	size_t done = 0;

	while (done < len) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
		size_t n = min_t(size_t, len - done, sizeof(buf));
		struct kvec iov = { .iov_base = buf, .iov_len = n };
		int ret;

		if (skb_copy_bits(skb, offset + done, buf, n))
			return done ? done : -EFAULT;
		ret = kernel_sendmsg_locked(dst, &msg, &iov, 1, n);
		if (ret <= 0)
			return done ? done : ret;
		done += ret;
		if (ret < n)
			break;
	}
	return done;
}

/* Queue [@offset, @offset + @len) of @skb on the sink: what it took. */
static int mprox_relay_send(struct sock *dst, struct sk_buff *skb,
			    unsigned int offset, size_t len)
{
	if (mprox_relay_wasteful(skb))
		return mprox_relay_copy_skb(dst, skb, offset, len);
	return skb_send_sock_locked(dst, skb, offset, len);
}

/*
 * tcp_read_sock() actor: queue [@offset, @offset + @len) of @skb on the
 * sink (locked), by reference or, for a wasteful skb, by copy. Returns what
 * the sink took, which is what tcp_read_sock() then consumes; 0 stops it.
 */
static int mprox_relay_actor(read_descriptor_t *desc, struct sk_buff *skb,
			     unsigned int offset, size_t len)
{
	struct mprox_relay_pass *pass = desc->arg.data;
	int n, last;

	len = min_t(size_t, len, desc->count);
	if (!len)
		return 0;
	/*
	 * Without scatter-gather, TCP before 6.5 sends pages through
	 * kmap(), which may sleep: not in softirq. The route may change
	 * under a pass.
	 */
	if (pass->softirq && !(pass->dst->sk_route_caps & NETIF_F_SG))
		return 0;
	if (pass->corked && offset + len == skb->len &&
	    skb_queue_is_last(&pass->src->sk_receive_queue, skb)) {
		n = len > 1 ? mprox_relay_send(pass->dst, skb, offset,
					       len - 1) : 0;
		if (n == len - 1) {
			tcp_sk(pass->dst)->nonagle &= ~TCP_NAGLE_CORK;
			pass->corked = false;
			last = mprox_relay_send(pass->dst, skb, offset + n, 1);
			if (last > 0)
				n++;
			else if (!n)
				n = last;
		}
	} else {
		n = mprox_relay_send(pass->dst, skb, offset, len);
	}
	if (n < 0) {
		if (n != -EAGAIN)
			pass->error = n;
		return 0;
	}
	/* A short write means the sink is full: stop here. */
	desc->count = n < len ? 0 : desc->count - n;
	return n;
}

/*
 * Did @sk's FIN arrive, with everything before it read? Under its lock.
 * RCV_SHUTDOWN alone is no FIN: a reset sets it too (tcp_done()), and a
 * send of the other direction's that met the reset has taken its error
 * (sock_error()). Only tcp_fin() sets SOCK_DONE.
 */
static bool mprox_relay_src_eof(struct sock *sk)
{
	return sock_flag(sk, SOCK_DONE) &&
	       skb_queue_empty(&sk->sk_receive_queue);
}

/* Shut for reading without a FIN: reset, its error already taken. */
static bool mprox_relay_src_reset(struct sock *sk)
{
	return (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	       !sock_flag(sk, SOCK_DONE);
}

/*
 * Nothing to read, no FIN and no error? Then a pass has nothing to do, and
 * most passes find one direction idle. Lockless: what arrives after this
 * look calls data_ready, which runs the work again.
 */
static bool mprox_relay_src_idle(struct sock *sk)
{
	return skb_queue_empty_lockless(&sk->sk_receive_queue) &&
	       !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	       !READ_ONCE(sk->sk_err);
}

/* Bytes moved, 0 when nothing could move, or -errno. */
static int mprox_relay_splice(struct mprox_relay_dir *d, struct sock *src,
			      struct sock *dst, size_t budget)
{
	struct mprox_relay_pass pass = { .dst = dst };
	read_descriptor_t desc = {
		.arg.data = &pass,
		.count = budget,
	};
	int n;

	if (mprox_relay_src_idle(src))
		return 0;
	/*
	 * Corked while we queue one skb fragment at a time, so the sink
	 * sends full segments and not one per fragment; uncorking pushes
	 * the rest.
	 */
	tcp_sock_set_cork(dst, true);
	lock_sock(src);
	/* Only this connection's work ever holds both: no ABBA. */
	lock_sock_nested(dst, SINGLE_DEPTH_NESTING);
	n = tcp_read_sock(src, &desc, mprox_relay_actor);
	release_sock(dst);
	if (n >= 0 && pass.error) {
		n = pass.error;
		d->sink_failed = true;
	} else if (!n && READ_ONCE(src->sk_err)) {
		n = -READ_ONCE(src->sk_err);
	} else if (!n && mprox_relay_src_eof(src)) {
		d->eof = true;
	} else if (!n && mprox_relay_src_reset(src)) {
		n = -ECONNRESET;
	}
	release_sock(src);
	tcp_sock_set_cork(dst, false);
	return n;
}

/* The urgent-data path; same returns as mprox_relay_splice(). */
static int mprox_relay_copy(struct mprox_relay_dir *d, struct socket *src,
			    struct socket *dst)
{
	struct kvec iov;
	int n;

	if (d->off == d->len) {
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

		/* Freed whenever drained: none here. */
		d->copy_buf = kmalloc(MPROX_RELAY_COPY_BUF, GFP_KERNEL_ACCOUNT);
		if (!d->copy_buf)
			return -ENOMEM;
		iov.iov_base = d->copy_buf;
		iov.iov_len = MPROX_RELAY_COPY_BUF;
		n = kernel_recvmsg(src, &msg, &iov, 1, iov.iov_len,
				   MSG_DONTWAIT);
		if (n <= 0) {
			mprox_relay_dir_free(d);
			if (!n && mprox_relay_src_reset(src->sk))
				return -ECONNRESET;
			if (!n)
				d->eof = true;
			return n == -EAGAIN ? 0 : n;
		}
		d->off = 0;
		d->len = n;
	}
	{
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };

		iov.iov_base = d->copy_buf + d->off;
		iov.iov_len = d->len - d->off;
		n = kernel_sendmsg(dst, &msg, &iov, 1, iov.iov_len);
	}
	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		d->sink_failed = true;
		return n;
	}
	d->off += n;
	/* Kept only while it holds bytes the sink has not taken yet. */
	if (d->off == d->len)
		mprox_relay_dir_free(d);
	return n;
}

enum mprox_relay_status mprox_relay_pump(struct mprox_relay_dir *d,
					 struct socket *src,
					 struct socket *dst, size_t budget,
					 u64 *moved)
{
	const struct tcp_sock *tp = tcp_sk(src->sk);
	size_t done = 0;
	bool copy;
	int n;

	while (done < budget && (!d->eof || d->off < d->len)) {
		/* Copied bytes go out before anything read after them. */
		copy = d->off < d->len || READ_ONCE(tp->urg_data);
		if (copy)
			n = mprox_relay_copy(d, src, dst);
		else
			n = mprox_relay_splice(d, src->sk, dst->sk,
					       budget - done);
		if (n < 0)
			return MPROX_RELAY_RESET;
		if (!n) {
			/* Urgent data may have stopped the splice. */
			if (!copy && !d->eof && READ_ONCE(tp->urg_data))
				continue;
			break;
		}
		done += n;
		*moved += n;
	}
	if (d->eof && d->off == d->len && !d->shut) {
		if (kernel_sock_shutdown(dst, SHUT_WR)) {
			d->sink_failed = true;
			return MPROX_RELAY_RESET;
		}
		d->shut = true;
	}
	if (d->shut)
		return MPROX_RELAY_DONE;
	return done >= budget ? MPROX_RELAY_AGAIN : MPROX_RELAY_MORE;
}

/*
 * The pages a pass in softirq copies into, one set per CPU: the sink's own
 * sk_frag would keep its page for as long as the socket lives, and
 * current's task_frag is the interrupted task's. Only touched with
 * bottom halves off.
 */
static DEFINE_PER_CPU(struct page_frag, mprox_relay_frag);

void mprox_relay_free_frags(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page_frag *pf = per_cpu_ptr(&mprox_relay_frag, cpu);

		if (pf->page)
			put_page(pf->page);
		pf->page = NULL;
	}
}

/*
 * Can @dst, whose spinlock we hold, take a pass in softirq? What TCP's
 * send path does without the socket's owner must be safe here:
 * - nobody owns it, so its backlog is empty and sk_flush_backlog() does
 *   not take the spinlock we hold;
 * - established, no error, not shut down, room in its buffer: the send
 *   neither waits for the connection nor fails with EPIPE, which would
 *   raise SIGPIPE in whatever task the softirq interrupted, and does not
 *   go to sk_stream_wait_memory() but for an allocation that failed;
 * - nothing queued or in flight: the case of a request or an answer,
 *   where waiting for a worker is what the bytes would feel. A bulk
 *   transfer stays with the work, which sends it in large corked passes
 *   and in a task the scheduler sees;
 * - TCP is not short of memory. An allocation that fails in the pass
 *   still declares memory pressure for every TCP socket and shrinks the
 *   sink's buffer: the pass allocates GFP_ATOMIC, as TCP does in softirq.
 */
static bool mprox_relay_sink_ready(struct sock *dst)
{
	return !sock_owned_by_user_nocheck(dst) &&
	       ((1 << dst->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) &&
	       !dst->sk_err && !(dst->sk_shutdown & SEND_SHUTDOWN) &&
	       sk_stream_memory_free(dst) &&
	       tcp_rtx_and_write_queues_empty(dst) &&
	       !tcp_under_memory_pressure(dst);
}

bool mprox_relay_pump_inline(struct mprox_relay_dir *d, struct sock *src,
			     struct sock *dst, size_t budget, u64 *moved)
{
	struct mprox_relay_pass pass = {
		.dst = dst,
		.src = src,
		.softirq = true,
	};
	read_descriptor_t desc = {
		.arg.data = &pass,
		.count = budget,
	};
	struct tcp_sock *tp = tcp_sk(dst);
	struct page_frag *pf;
	bool task_frag;
	gfp_t gfp;
	int n;

	if (sock_owned_by_user_nocheck(src) || d->off < d->len || d->eof ||
	    READ_ONCE(tcp_sk(src)->urg_data))
		return false;
	if (!spin_trylock(&dst->sk_lock.slock))
		return false;
	if (!mprox_relay_sink_ready(dst)) {
		spin_unlock(&dst->sk_lock.slock);
		return false;
	}
	/* Allocations must not sleep; copies go to this CPU's pages. */
	gfp = dst->sk_allocation;
	dst->sk_allocation = GFP_ATOMIC | __GFP_NOWARN;
	task_frag = mprox_compat_sk_use_task_frag(dst, false);
	pf = this_cpu_ptr(&mprox_relay_frag);
	swap(dst->sk_frag, *pf);
	tp->nonagle |= TCP_NAGLE_CORK;
	pass.corked = true;
	n = tcp_read_sock(src, &desc, mprox_relay_actor);
	tp->nonagle &= ~TCP_NAGLE_CORK;
	swap(dst->sk_frag, *pf);
	mprox_compat_sk_use_task_frag(dst, task_frag);
	dst->sk_allocation = gfp;
	spin_unlock(&dst->sk_lock.slock);
	if (n > 0)
		*moved += n;
	/* Sent with the cork on and not pushed: the work's pass pushes. */
	if (n < 0 || pass.error || (n > 0 && pass.corked))
		return false;
	return mprox_relay_src_idle(src);
}
