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

/*
 * tcp_read_sock() actor: queue [@offset, @offset + @len) of @skb on the
 * sink (locked), by reference or, for a wasteful skb, by copy. Returns what
 * the sink took, which is what tcp_read_sock() then consumes; 0 stops it.
 */
static int mprox_relay_actor(read_descriptor_t *desc, struct sk_buff *skb,
			     unsigned int offset, size_t len)
{
	struct mprox_relay_pass *pass = desc->arg.data;
	int n;

	len = min_t(size_t, len, desc->count);
	if (!len)
		return 0;
	if (mprox_relay_wasteful(skb))
		n = mprox_relay_copy_skb(pass->dst, skb, offset, len);
	else
		n = skb_send_sock_locked(pass->dst, skb, offset, len);
	if (n < 0) {
		if (n != -EAGAIN)
			pass->error = n;
		return 0;
	}
	/* A short write means the sink is full: stop here. */
	desc->count = n < len ? 0 : desc->count - n;
	return n;
}

/* Did @sk's FIN arrive, with everything before it read? Under its lock. */
static bool mprox_relay_src_eof(struct sock *sk)
{
	return (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) &&
	       skb_queue_empty(&sk->sk_receive_queue);
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
	if (n >= 0 && pass.error)
		n = pass.error;
	else if (!n && READ_ONCE(src->sk_err))
		n = -READ_ONCE(src->sk_err);
	else if (!n && mprox_relay_src_eof(src))
		d->eof = true;
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
	if (n < 0)
		return n == -EAGAIN ? 0 : n;
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
		if (kernel_sock_shutdown(dst, SHUT_WR))
			return MPROX_RELAY_RESET;
		d->shut = true;
	}
	if (d->shut)
		return MPROX_RELAY_DONE;
	return done >= budget ? MPROX_RELAY_AGAIN : MPROX_RELAY_MORE;
}
