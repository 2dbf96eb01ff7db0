/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the codecs' case tables (socks5_test_cases.h, socks4_test_cases.h,
 * http_test_cases.h) share, for their KUnit and host runners alike.
 * Include after codec.h (and <linux/string.h> or the shim).
 */
#ifndef _MPROX_CODEC_TEST_H
#define _MPROX_CODEC_TEST_H

/*
 * A case's destination: @family; for AF_INET and AF_INET6 the 4 or 16
 * bytes at @addr, network order; @name and @name_len as they are; @port.
 */
static inline void mprox_test_dest(struct mprox_dest *dest, u16 family, const char *addr,
				   const char *name, size_t name_len, u16 port)
{
	memset(dest, 0, sizeof(*dest));
	dest->family = family;
	if (family == AF_INET)
		memcpy(&dest->addr.v4, addr, 4);
	if (family == AF_INET6)
		memcpy(&dest->addr.v6, addr, 16);
	dest->name = name;
	dest->name_len = name_len;
	dest->port = port;
}

/*
 * Whether @buf[@from..@size) still holds only 0xa5, the byte the cases
 * fill their buffers with to see what was written.
 */
static inline bool mprox_test_untouched(const u8 *buf, size_t from, size_t size)
{
	size_t i;

	for (i = from; i < size; i++)
		if (buf[i] != 0xa5)
			return false;
	return true;
}

#endif /* _MPROX_CODEC_TEST_H */
