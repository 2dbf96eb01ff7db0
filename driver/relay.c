// SPDX-License-Identifier: GPL-2.0
/*
 * The relay between the two sockets of a connection; see relay.h.
 */

#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "relay.h"

int mprox_relay_dir_init(struct mprox_relay_dir *d)
{
	memset(d, 0, sizeof(*d));
	d->buf = kvmalloc(MPROX_RELAY_BUF, GFP_KERNEL);
	return d->buf ? 0 : -ENOMEM;
}

void mprox_relay_dir_free(struct mprox_relay_dir *d)
{
	kvfree(d->buf);
	d->buf = NULL;
}

enum mprox_relay_status mprox_relay_pump(struct mprox_relay_dir *d,
					 struct socket *src,
					 struct socket *dst, size_t budget,
					 u64 *moved)
{
	size_t done = 0;
	int n;

	while (done < budget) {
		if (d->off == d->len && !d->eof) {
			struct kvec iov = {
				.iov_base = d->buf,
				.iov_len = MPROX_RELAY_BUF,
			};
			struct msghdr msg = { .msg_flags = MSG_DONTWAIT };

			n = kernel_recvmsg(src, &msg, &iov, 1, iov.iov_len,
					   MSG_DONTWAIT);
			if (n == -EAGAIN)
				break;
			if (n < 0)
				return MPROX_RELAY_RESET;
			d->off = 0;
			d->len = n;
			if (!n)
				d->eof = true;
		}
		if (d->off < d->len) {
			struct kvec iov = {
				.iov_base = d->buf + d->off,
				.iov_len = d->len - d->off,
			};
			struct msghdr msg = {
				.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL,
			};

			n = kernel_sendmsg(dst, &msg, &iov, 1, iov.iov_len);
			if (n == -EAGAIN)
				break;
			if (n < 0)
				return MPROX_RELAY_RESET;
			d->off += n;
			done += n;
			*moved += n;
			if (d->off < d->len)
				break;	/* the sink is full: wait for space */
			continue;
		}
		if (d->eof && !d->shut) {
			if (kernel_sock_shutdown(dst, SHUT_WR))
				return MPROX_RELAY_RESET;
			d->shut = true;
		}
		break;
	}
	if (d->shut)
		return MPROX_RELAY_DONE;
	return done >= budget ? MPROX_RELAY_AGAIN : MPROX_RELAY_MORE;
}
