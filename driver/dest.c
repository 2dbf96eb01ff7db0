// SPDX-License-Identifier: GPL-2.0
/*
 * The text of a destination's address and port (dest.h). Each function
 * works out how long its text is as it writes it, one byte after the
 * other, and never writes more than the maximum dest.h gives for it.
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include "kernel_shim.h"
#endif
#include "dest.h"

/* @v in decimal without leading zeros, 1..5 digits; returns its length. */
static size_t put_dec(char *p, u16 v)
{
	char tmp[MPROX_DEST_PORT_TEXT_MAX];
	size_t n = 0, i;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* @w in lower-case hex without leading zeros, 1..4 digits. */
static size_t put_hex(char *p, u16 w)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;
	int shift;

	for (shift = 12; shift > 0 && !(w >> shift); shift -= 4)
		;
	for (; shift >= 0; shift -= 4)
		p[n++] = digits[(w >> shift) & 0xf];
	return n;
}

/* The dotted quad of the 4 bytes at @b, 7..15 bytes. */
static size_t put_quad(char *p, const u8 *b)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			p[n++] = '.';
		n += put_dec(p + n, b[i]);
	}
	return n;
}

size_t mprox_dest_port_text(char *buf, u16 port)
{
	return put_dec(buf, port);
}

size_t mprox_dest_v4_text(char *buf, const struct in_addr *a)
{
	return put_quad(buf, (const u8 *)&a->s_addr);
}

size_t mprox_dest_v6_text(char *buf, const struct in6_addr *a, bool mapped_dotted)
{
	const u8 *b = a->s6_addr;
	int i, run, best = -1, best_len = 0;
	size_t n = 0;
	u16 w[8];

	for (i = 0; i < 8; i++)
		w[i] = (u16)(b[2 * i] << 8 | b[2 * i + 1]);

	/* ::ffff:0:0/96, IPv4-mapped: RFC 5952 section 5, mixed notation. */
	if (mapped_dotted && !w[0] && !w[1] && !w[2] && !w[3] && !w[4] && w[5] == 0xffff) {
		memcpy(buf, "::ffff:", 7);
		return 7 + put_quad(buf + 7, b + 12);
	}

	/* The longest run of zero groups, the first of equal ones (4.2.3). */
	for (i = 0; i < 8; i += run ? run : 1) {
		for (run = 0; i + run < 8 && !w[i + run]; run++)
			;
		if (run > best_len) {
			best = i;
			best_len = run;
		}
	}
	/* "::" never stands for one group alone (4.2.2). */
	if (best_len < 2)
		best = -1;

	for (i = 0; i < 8; i++) {
		if (i == best) {
			buf[n++] = ':';
			buf[n++] = ':';
			i += best_len - 1;
			continue;
		}
		if (n && buf[n - 1] != ':')
			buf[n++] = ':';
		n += put_hex(buf + n, w[i]);
	}
	return n;
}
