/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the codecs' case tables (socks5_test_cases.h, socks4_test_cases.h,
 * http_test_cases.h, and those of the UDP header and the DNS messages,
 * socks5_udp_test_cases.h and dns_test_cases.h) share, for their KUnit and
 * host runners alike. Include after codec.h (and <linux/string.h> or the
 * shim).
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

/*
 * What one build into the last @size bytes at @buf of a buffer filled with
 * 0xa5 must have done: returned @want, written the @want bytes at @bytes
 * when it is a length, and nothing else. @ret is what it returned. Returns
 * NULL when it did, otherwise what differed.
 */
static inline const char *mprox_test_built(const u8 *buf, size_t size, int ret, int want,
					   const char *bytes)
{
	if (ret != want)
		return "return value";
	if (ret > 0 && memcmp(buf, bytes, ret))
		return "bytes written";
	if (!mprox_test_untouched(buf, ret > 0 ? ret : 0, size))
		return ret > 0 ? "wrote past the message" : "wrote on error";
	return NULL;
}

/*
 * One build of the builder's case @c into @size bytes at the end of
 * @scratch, wanting @want: what it returned in *@ret, and NULL when it
 * holds (mprox_test_built() and whatever else the table checks), otherwise
 * what differed.
 */
typedef const char *(*mprox_test_build_fn)(const void *c, u8 *scratch, size_t size, int want,
					   int *ret);

/* A builder's case as mprox_test_build_sizes() runs it. */
struct mprox_test_build {
	/* With @sized, the buffer has @size bytes; without, @large. */
	bool sized;
	size_t size;
	size_t large;
	int ret;			/* what the build returns */
};

/*
 * Run the builder's case @c, as @b says, with @build: once, then, for an
 * unsized case that builds @b->ret bytes, into exactly that many and into
 * one fewer, which is -ENOSPC. Puts the last return value in *@ret and
 * buffer size in *@size; returns NULL when the case holds, otherwise what
 * differed.
 */
static inline const char *mprox_test_build_sizes(mprox_test_build_fn build, const void *c,
						 const struct mprox_test_build *b, u8 *scratch,
						 int *ret, size_t *size)
{
	const char *why;

	*size = b->sized ? b->size : b->large;
	why = build(c, scratch, *size, b->ret, ret);
	if (why || b->sized || b->ret <= 0)
		return why;
	*size = b->ret;
	why = build(c, scratch, *size, b->ret, ret);
	if (why)
		return why;
	*size = b->ret - 1;
	return build(c, scratch, *size, -ENOSPC, ret);
}

#endif /* _MPROX_CODEC_TEST_H */
