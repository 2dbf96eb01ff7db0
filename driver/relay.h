/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Moving bytes between the two TCP sockets of a proxied connection: the
 * app's (accepted from the in-kernel listener) and the upstream's.
 *
 * Each direction has a buffer of MPROX_RELAY_BUF bytes. A pass reads from
 * the source only when that buffer is empty and writes to the sink without
 * blocking, so a slow reader on either side leaves data in the source's
 * receive queue: TCP's window then holds the sender back, and the kernel
 * never buffers more than the two socket buffers and these two.
 * Half-close: the source's FIN becomes shutdown(SHUT_WR) of the sink once
 * the buffer is drained. A reset or error on either socket ends the relay.
 */
#ifndef _MPROX_RELAY_H
#define _MPROX_RELAY_H

#include <linux/net.h>
#include <linux/types.h>

#define MPROX_RELAY_BUF		(64 * 1024)

struct mprox_relay_dir {
	u8 *buf;
	u32 off;		/* sent so far of buf[0..len) */
	u32 len;
	bool eof;		/* the source sent FIN */
	bool shut;		/* ... and the sink has been shut down */
};

enum mprox_relay_status {
	MPROX_RELAY_MORE,	/* call again when a socket has news */
	MPROX_RELAY_AGAIN,	/* budget used up: call again soon */
	MPROX_RELAY_DONE,	/* both directions closed cleanly */
	MPROX_RELAY_RESET,	/* a socket was reset or failed: abort both */
};

/* 0 or -ENOMEM. Process context. */
int mprox_relay_dir_init(struct mprox_relay_dir *d);
void mprox_relay_dir_free(struct mprox_relay_dir *d);

/*
 * Move what can be moved from @src to @dst without blocking, at most
 * @budget bytes. Adds the bytes written to *@moved. Returns MORE, AGAIN, DONE
 * (this direction: FIN received and passed on) or RESET. Process context.
 */
enum mprox_relay_status mprox_relay_pump(struct mprox_relay_dir *d,
					 struct socket *src,
					 struct socket *dst, size_t budget,
					 u64 *moved);

#endif /* _MPROX_RELAY_H */
