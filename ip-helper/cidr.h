/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Networks in CIDR notation, as "mprox route --exclude" and the
 * configuration file's "Exclude" take them: one parser, so that both
 * accept the same and call the same network a duplicate.
 */
#ifndef MPROX_CIDR_H
#define MPROX_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 network; the bytes past an IPv4 address are zero. */
struct cidr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned int prefix;
};

enum cidr_status {
	CIDR_OK,
	CIDR_NOT_ADDRESS, /* before the '/': no IPv4 or IPv6 address */
	CIDR_NOT_NUMBER, /* after it: not decimal digits without a leading zero */
	CIDR_PREFIX_RANGE, /* a number above 32 (IPv4) or 128 (IPv6) */
	CIDR_HOST_BITS, /* bits set past the prefix: *c is the network meant */
};

/* What cidr_format() writes at most, with its NUL. */
#define CIDR_TEXT_MAX (46 + 4)

/*
 * Parse ADDRESS[/PREFIX] from the @len bytes at @s (no NUL needed); with
 * no prefix, the one address (/32 or /128). *@c is written in full on
 * CIDR_OK and CIDR_HOST_BITS; on a prefix's error only its family is
 * set (the range it missed); on CIDR_NOT_ADDRESS it is zeroed. Pure: no
 * allocation.
 */
enum cidr_status cidr_parse(const char *s, size_t len, struct cidr *c);

/* The same network: family, prefix and address. */
bool cidr_equal(const struct cidr *a, const struct cidr *b);

/* "ADDRESS/PREFIX" into @buf of @size (CIDR_TEXT_MAX will do); returns @buf. */
char *cidr_format(const struct cidr *c, char *buf, size_t size);

#endif /* MPROX_CIDR_H */
