// SPDX-License-Identifier: GPL-2.0
/*
 * The SOCKS5 UDP request header (RFC 1928 section 7). The contract is in
 * socks5_udp.h; the address part is socks5.c's, shared with the CONNECT
 * request and reply, so that a destination is named the same way over TCP
 * and UDP.
 *
 * The same file builds in the kernel and, with tests/shim/kernel_shim.h, in
 * userspace: no kernel helper without a libc twin.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#else
#include "kernel_shim.h"
#endif
#include "socks5_udp.h"

/* RSV and FRAG: what comes before the address part. */
#define UDP_PREFIX_LEN	3

int mprox_socks5_udp_header(const struct mprox_dest *dest, u8 *buf, size_t size)
{
	int n = mprox_socks5_addr_len(dest);

	/*
	 * One errno for every @dest that cannot be named: whatever the
	 * reason, the datagram cannot go, and the caller has no other way to
	 * send it.
	 */
	if (n < 0)
		return -EINVAL;
	if (size < UDP_PREFIX_LEN + (size_t)n)
		return -ENOSPC;
	buf[0] = 0;
	buf[1] = 0;
	buf[2] = 0;
	mprox_socks5_put_addr(buf + UDP_PREFIX_LEN, dest);
	return UDP_PREFIX_LEN + n;
}

int mprox_socks5_udp_parse(const u8 *buf, size_t len, struct mprox_dest *dest)
{
	size_t i;
	int n;

	/* Field by field: a byte that is there and wrong beats a short datagram. */
	for (i = 0; i < 2; i++) {
		if (len <= i)
			return -MPROX_SOCKS5_UDP_TRUNCATED;
		if (buf[i])
			return -MPROX_SOCKS5_UDP_BAD_RSV;
	}
	if (len <= 2)
		return -MPROX_SOCKS5_UDP_TRUNCATED;
	if (buf[2])
		return -MPROX_SOCKS5_UDP_FRAGMENT;

	n = mprox_socks5_get_addr(buf + UDP_PREFIX_LEN, len - UDP_PREFIX_LEN, dest);
	if (n == -EAFNOSUPPORT)
		return -MPROX_SOCKS5_UDP_BAD_ATYP;
	if (n < 0)
		return -MPROX_SOCKS5_UDP_EMPTY_NAME;
	if (!n)
		return -MPROX_SOCKS5_UDP_TRUNCATED;
	return UDP_PREFIX_LEN + n;
}
